"""The embedded demo: it builds, it is deterministic, it holds every record type, and
every eval table traces back to the raw data through the Source interface."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import f1_score

from wbview.demo import DEMO_PROJECT, build_demo, demo_is_built
from wbview.demo.corpus import generate_corpus
from wbview.demo.pipeline import (
    RAW,
    SMALL_SIZE,
    TRUNCATION_MARK,
    normalise_text,
    truncate_words,
)
from wbview.errors import StoreError
from wbview.schema import detect_schema
from wbview.sources.store.local import LocalSource

JOB_TYPES = {"ingest", "clean", "encode", "train", "eval"}
# The seed guide's essential metadata per artifact type.
ESSENTIAL = {
    "dataset": ("num_samples", "splits", "class_distribution", "schema", "source", "preprocessing_applied"),
    "model": ("base_model", "dataset", "id2label", "label2id", "best_metric", "framework"),
    "predictions": ("model", "dataset", "threshold", "num_predictions"),
}


def store_digest(root: Path) -> dict[str, str]:
    """sha256 of every file of a store (the writer's lock file aside), by relative path."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name != ".lock"
    }


@pytest.fixture(scope="module")
def small_store(tmp_path_factory) -> Path:
    return build_demo(tmp_path_factory.mktemp("demo") / "store", seed=0, size=SMALL_SIZE)


@pytest.fixture(scope="module")
def source(small_store) -> LocalSource:
    return LocalSource(small_store)


def runs_by_job(source: LocalSource) -> dict[str, list]:
    grouped: dict[str, list] = {}
    for run in source.runs(DEMO_PROJECT):
        grouped.setdefault(run.job_type, []).append(run)
    return grouped


def all_artifacts(source: LocalSource) -> list:
    return [
        version
        for kind in source.artifact_types(DEMO_PROJECT)
        for collection in source.artifact_collections(DEMO_PROJECT, kind)
        for version in source.artifact_versions(DEMO_PROJECT, collection.name)
    ]


def test_corpus_is_deterministic_and_varied():
    first, second = generate_corpus(3000, seed=5), generate_corpus(3000, seed=5)
    assert first == second
    assert generate_corpus(3000, seed=6) != first
    texts = " ".join(m.text for m in first)
    assert "<script>alert(1)</script>" in texts or "<img src=x onerror=alert(1)>" in texts
    assert {m.language for m in first} == {"en", "es", "de", "fr"}
    assert any(ord(ch) > 0x1F000 for ch in texts)  # emoji
    # Label noise: some messages are labelled differently from what they are.
    assert 0 < sum(m.label != m.true_label for m in first) < len(first) * 0.1
    # Genuinely long messages: newsletters and reply chains with quoted replies, phishing among them.
    long = [m for m in first if len(m.text) > 1000]
    assert len(long) > 100 and {"newsletter", "thread", "long-phish"} <= {m.category for m in long}
    assert any("wrote:\n> " in m.text and "\n>> " in m.text for m in long)
    assert "on tomorrow" not in texts and "on next week" not in texts


@pytest.mark.parametrize(
    "encoder, expected",
    [
        ("standard", f"w0 w1 w2 w3 w4 w5 {TRUNCATION_MARK}"),
        ("head_tail", f"w0 w1 {TRUNCATION_MARK} w6 w7 w8 w9"),
    ],
)
def test_truncation_marks_where_words_were_cut(encoder, expected):
    text = " ".join(f"w{i}" for i in range(10))
    assert truncate_words(text, encoder, max_words=6, head_words=2) == expected
    assert truncate_words("short\n\ntext", encoder, max_words=6, head_words=2) == "short\n\ntext"


def test_clean_normalises_spaces_but_keeps_paragraphs():
    assert normalise_text("  Hi\u00a0 there,\t \n\n\n\n> quoted   line \n") == "Hi there,\n\n> quoted line"


def test_demo_store_is_flagged_and_opens_on_the_project(source, small_store):
    assert source.is_demo
    assert source.projects() == [DEMO_PROJECT]
    assert source.default_project() == DEMO_PROJECT
    assert not demo_is_built(small_store)  # a small test build never passes for the real demo


def test_every_record_type_is_present(source):
    grouped = runs_by_job(source)
    assert set(grouped) == JOB_TYPES
    assert len(grouped["encode"]) == 3 and len(grouped["train"]) == 5 and len(grouped["eval"]) == 6
    assert {a.type for a in all_artifacts(source)} == {"dataset", "model", "predictions"}
    for run in source.runs(DEMO_PROJECT):
        assert set(run.config) == {"params", "meta"}
        assert run.tags and run.summary and run.state == "finished"
    for run in grouped["train"]:
        history = source.history(DEMO_PROJECT, run.id)
        assert len(history) == SMALL_SIZE.epochs
        assert history["train/loss"].notna().all() and history["eval/f1"].between(0, 1).all()
    for run in grouped["eval"]:
        (ref,) = source.tables(DEMO_PROJECT, run.id)
        assert ref.parquet_entry and ref.nrows == run.summary["eval/num_predictions"]


def test_run_names_and_groups_follow_the_seed_guide(source):
    grouped = runs_by_job(source)
    for run in grouped["train"] + grouped["eval"]:
        assert run.group.startswith("exp-0") and run.name.startswith(f"{run.group}-{run.job_type}-2025-")
        assert run.name.endswith("Z")
    data_ops = [r.name for job in ("ingest", "clean", "encode") for r in grouped[job]]
    assert "encode-head-tail-phishing-texts" in data_ops and "encode-standard-phishing-texts" in data_ops
    assert len({r.name for r in source.runs(DEMO_PROJECT)}) == len(source.runs(DEMO_PROJECT))


def test_artifacts_carry_the_essential_metadata_with_one_deliberate_gap(source):
    missing = {a.id: [k for k in ESSENTIAL[a.type] if k not in a.metadata] for a in all_artifacts(source)}
    gaps = {artifact: keys for artifact, keys in missing.items() if keys}
    assert gaps == {f"{RAW}:v0": ["class_distribution"]}
    versions = {a.name: [] for a in all_artifacts(source)}
    for artifact in all_artifacts(source):
        versions[artifact.name].append(artifact.version)
    assert sorted(versions[RAW]) == ["v0", "v1"]
    assert "best" in source.artifact(DEMO_PROJECT, "phishing-classifier-head-tail:best").aliases


def test_lineage_records_agree_both_ways(source):
    for run in source.runs(DEMO_PROJECT):
        links = source.run_artifacts(DEMO_PROJECT, run.id)
        assert links.used or run.job_type == "ingest"
        assert links.logged
        for artifact_id in links.logged:
            assert source.artifact(DEMO_PROJECT, artifact_id).logged_by == run.id
        for artifact_id in links.used:
            assert run.id in source.artifact(DEMO_PROJECT, artifact_id).used_by


def raw_ancestors(source: LocalSource, artifact_id: str) -> set[str]:
    """Walk producer -> inputs -> producer ... from an artifact; return the raw versions reached."""
    found, frontier, seen = set(), [artifact_id], set()
    while frontier:
        current = frontier.pop()
        if current in seen:
            continue
        seen.add(current)
        artifact = source.artifact(DEMO_PROJECT, current)
        if artifact.name == RAW:
            found.add(current)
        if artifact.logged_by:
            frontier.extend(source.run_artifacts(DEMO_PROJECT, artifact.logged_by).used)
    return found


def test_every_eval_table_traces_back_to_raw_data(source):
    from wbview.sources.lineage import walk_lineage

    for run in runs_by_job(source)["eval"]:
        for ref in source.tables(DEMO_PROJECT, run.id):
            assert source.artifact(DEMO_PROJECT, ref.artifact).logged_by == run.id
            (raw,) = raw_ancestors(source, ref.artifact)
            graph = walk_lineage(source, DEMO_PROJECT, ref.artifact, depth=12, direction="up")
            assert raw in {node.id for node in graph.nodes}


def test_eval_tables_hold_the_models_real_predictions(source):
    for run in runs_by_job(source)["eval"]:
        (ref,) = source.tables(DEMO_PROJECT, run.id)
        loaded = source.load_table(DEMO_PROJECT, ref)
        frame, schema = loaded.frame, detect_schema(loaded.frame.columns)
        assert not loaded.truncated and len(frame) == ref.nrows
        assert set(schema.probs) == {"ham", "phishing"} and schema.has_labels and schema.outcome
        threshold = run.config["params"]["threshold"]
        predicted_phishing = frame[schema.probs["phishing"]].to_numpy() >= np.float32(threshold)
        assert (predicted_phishing == (frame[schema.predicted_label] == "phishing")).all()
        f1 = f1_score(frame[schema.true_label] == "phishing", frame[schema.predicted_label] == "phishing")
        assert f1 == pytest.approx(run.summary["eval/f1"])
        dataset = source.artifact(DEMO_PROJECT, run.config["params"]["dataset"])
        assert len(frame) == dataset.metadata["num_samples"]["test"] == frame[schema.id].nunique()
        predictions = source.artifact(DEMO_PROJECT, ref.artifact)
        assert predictions.metadata["wbview_table"]["nrows"] == len(frame)
        assert {f.path for f in predictions.files} == {ref.entry, ref.parquet_entry}
        # The clean step really dropped exact duplicates; the model saw the truncated text.
        assert not frame["Full Text"].duplicated().any()
        encoder = dataset.metadata["encoding_strategy"]
        max_words, head_words = dataset.metadata["max_length"], dataset.metadata["params"]["head_length"] or 0
        assert all(
            decoded == truncate_words(full, encoder, max_words, head_words)
            for decoded, full in zip(frame[schema.text], frame["Full Text"], strict=False)
        )


def test_two_builds_with_one_seed_are_identical(tmp_path, small_store):
    again = build_demo(tmp_path / "again", seed=0, size=SMALL_SIZE)
    assert store_digest(again) == store_digest(small_store)
    other = build_demo(tmp_path / "other", seed=1, size=SMALL_SIZE)
    assert store_digest(other) != store_digest(small_store)


def test_build_refuses_a_folder_that_is_not_a_demo(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    with pytest.raises(StoreError, match="not a wbview demo store"):
        build_demo(folder, size=SMALL_SIZE)
    assert (folder / "notes.txt").read_text() == "keep me"
    assert [p.name for p in tmp_path.iterdir()] == ["mine"]  # no staging folder left behind


@pytest.mark.slow
def test_full_demo_through_the_cli(tmp_path, capsys):
    from wbview.cli import main

    store = tmp_path / "demo"
    assert main(["demo", "--store", str(store)]) == 0
    assert demo_is_built(store, seed=0)
    progress = capsys.readouterr().err
    assert "[0/19] ingest" in progress and "demo ready" in progress
    source = LocalSource(store)
    grouped = runs_by_job(source)
    rows = {run.group: run.summary["eval/num_predictions"] for run in grouped["eval"]}
    assert max(rows.values()) >= 10_000
    f1 = {run.group: run.summary["eval/f1"] for run in grouped["eval"]}
    assert f1["exp-001"] < f1["exp-004"] - 0.08  # the clearly weaker baseline
    eval_004 = next(r for r in grouped["eval"] if r.group == "exp-004")
    frame = source.load_table(DEMO_PROJECT, source.tables(DEMO_PROJECT, eval_004.id)[0]).frame
    false_negatives = frame[frame["Outcome"] == "FN"]
    assert len(false_negatives) > 0 and (false_negatives["Prob (ham)"] > 0.9).any()
    # Long phishing with the lure at the end: standard truncation (exp-002) misses nearly all
    # of it; head_tail (exp-004) keeps the tail and catches most.
    long_fn_rate = {}
    for group in ("exp-002", "exp-004"):
        run = next(r for r in grouped["eval"] if r.group == group)
        table = source.load_table(DEMO_PROJECT, source.tables(DEMO_PROJECT, run.id)[0]).frame
        long_phishing = table[(table["Full Text"].str.len() > 1000) & (table["True Label"] == "phishing")]
        long_fn_rate[group] = (long_phishing["Outcome"] == "FN").mean()
        assert len(long_phishing) > 100
    assert long_fn_rate["exp-002"] > 0.9 and long_fn_rate["exp-004"] < 0.5
    assert f1["exp-004"] > f1["exp-002"] + 0.02
    texts = " ".join(frame["Decoded Text"])
    assert "<script>alert(1)</script>" in texts and "<img src=x onerror=alert(1)>" in texts
    assert all(accented in texts for accented in "ñüé")
    # Already built: a second call keeps it; --force rebuilds; a foreign folder is refused.
    before = store_digest(store)
    assert main(["demo", "--store", str(store)]) == 0
    assert main(["demo", "--store", str(store), "--force"]) == 0
    assert store_digest(store) == before
    assert main(["demo", "--store", str(tmp_path), "--force"]) == 1


def test_demo_store_records_its_flipped_labels(small_store, tmp_path):
    from wbview.demo import demo_label_flips
    from wbview.demo.corpus import flipped_label_ids

    messages = generate_corpus(SMALL_SIZE.n_messages, 0)
    expected = set(flipped_label_ids(messages))
    assert demo_label_flips(small_store) == expected
    assert expected == {m.id for m in messages if m.label != m.true_label} and len(expected) == 25
    assert demo_label_flips(tmp_path) is None  # no record: an older demo, or not a demo
