"""Every table shape recorded from real wandb 0.31 (tests/realwandb), read through the
real wandb client against the fake W&B server serving the recorded files: by the W&B
source, by the CLI (``wbview table ... --out``) and by the dashboard's loader, each
compared value by value with what was logged (tests/realwandb/shapes.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.fakewandb.recorded import RecordedWandb
from tests.realwandb import shapes
from tests.realwandb.project import load_recorded
from wbview.cli.main import main as cli_main
from wbview.settings import Settings
from wbview.sources.wandb import WandbSource

PROJECT = "recorder/realwandb"
RETRY_ENV = {
    "WANDB__GRAPHQL_RETRY_MAX": "3",
    "WANDB__GRAPHQL_RETRY_WAIT_MIN_SECONDS": "0.05",
    "WANDB__GRAPHQL_RETRY_WAIT_MAX_SECONDS": "0.2",
}
UNKNOWN_TOTAL = "at most 200,000 rows were kept by wandb; the logged total is unknown"


@pytest.fixture(scope="module")
def recorded_server():
    with RecordedWandb(load_recorded()) as fake:
        yield fake


@pytest.fixture
def fake(recorded_server, monkeypatch):
    for name, value in {**recorded_server.env(), **RETRY_ENV}.items():
        monkeypatch.setenv(name, value)
    recorded_server.reset()
    yield recorded_server
    assert not recorded_server.unknown, recorded_server.unknown  # the fake answered everything asked


@pytest.fixture
def source(fake):
    settings = Settings(api_key=fake.api_key, base_url=fake.base_url, entity="recorder", project="realwandb")
    src = WandbSource(settings, timeout_s=20)
    yield src
    src.close()


def run_of(shape: str) -> str:
    return f"rw-{shape.replace('_', '-')}"


def refs_for(source: WandbSource, shape: str, key: str) -> list:
    return [r for r in source.tables(PROJECT, run_of(shape)) if r.key == key]


def load(source: WandbSource, shape: str, key: str, artifact: str | None = None):
    refs = refs_for(source, shape, key)
    assert refs, f"{shape}: no table {key!r} listed"
    if artifact is not None:
        refs = [r for r in refs if r.artifact == artifact]
    latest = [r for r in refs if r.latest] if artifact is None else refs
    assert len(latest) == 1, latest
    return source.load_table(PROJECT, latest[0])


def cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = cli_main(args)
    out, err = capsys.readouterr()
    return code, out, err


def export(shape: str, key: str, tmp_path: Path, capsys, *extra: str, suffix: str = ".parquet") -> tuple[pd.DataFrame, str]:
    out = tmp_path / f"{shape}{suffix}"
    code, stdout, stderr = cli(["table", f"{PROJECT}/{run_of(shape)}", key, "--out", str(out), "--no-cache", *extra], capsys)
    assert code == 0, stderr
    frame = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out)
    return frame, stdout + stderr


# --- value comparison -----------------------------------------------------------------------


def assert_same(actual: pd.Series, expected: pd.Series) -> None:
    """Cell by cell: NaN/None/NaT equal each other, lists and arrays by value, floats exactly."""
    assert len(actual) == len(expected), (list(actual), list(expected))
    for index, (got, want) in enumerate(zip(actual.tolist(), expected.tolist(), strict=True)):
        if isinstance(want, np.ndarray):
            want = want.tolist()
        if isinstance(got, np.ndarray):
            got = got.tolist()
        if _missing(want):
            assert _missing(got), (index, got, want)
        else:
            assert got == want and type(got) is not type(None), (index, got, want)


def _missing(value) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)) or value is pd.NA


# --- the shapes -----------------------------------------------------------------------------


def test_scalars_keep_ints_beyond_2_53_nan_inf_bools_and_text(source):
    loaded = load(source, "scalars", "eval/predictions")
    frame, expected = loaded.frame, shapes.scalars()
    assert list(frame.columns) == list(expected.columns)
    assert frame["big"].dtype == "int64" and frame["big"].tolist() == [shapes.BIG_INT, -shapes.BIG_INT, 2**62, 7]
    assert frame["flag"].dtype == bool
    for column in expected.columns:
        assert_same(frame[column], expected[column].astype(object))
    assert loaded.total_rows == 4 and not loaded.truncated


def test_nested_lists_and_dicts(source):
    loaded = load(source, "nested", "nested")
    for column in shapes.nested().columns:
        assert_same(loaded.frame[column], shapes.nested()[column])


def test_datetimes_naive_and_aware_become_utc_milliseconds(source):
    frame = load(source, "datetimes", "times").frame
    expected = shapes.datetimes()
    for column in ("naive", "aware"):
        assert str(frame[column].dtype) == "datetime64[ms, UTC]"
    assert_same(frame["naive"], expected["naive"].dt.tz_localize("UTC"))  # wandb takes naive times as UTC
    assert_same(frame["aware"], expected["aware"].dt.tz_convert("UTC"))


def test_arrays_inline_and_from_npz_side_files(source):
    loaded = load(source, "arrays", "arrays")
    expected = shapes.arrays()
    for column in ("short", "long", "matrix"):
        assert_same(loaded.frame[column], expected[column])
    assert not any("not loaded" in note for note in loaded.notes)


def test_media_cells_are_local_files_with_the_logged_content(source):
    from PIL import Image

    frame = load(source, "media", "media").frame
    assert frame["id"].tolist() == list(range(shapes.MEDIA_ROWS))
    for index in range(shapes.MEDIA_ROWS):
        assert np.array_equal(np.asarray(Image.open(frame["image"][index])), shapes.image_pixels(index))
        assert shapes.html_text(index) in Path(frame["page"][index]).read_text(encoding="utf-8")


def test_mixed_type_column_loads_and_exports_to_parquet_as_text(source, tmp_path, capsys):
    loaded = load(source, "mixed", "mixed")
    assert_same(loaded.frame["value"], shapes.mixed()["value"])
    frame, said = export("mixed", "mixed", tmp_path, capsys)
    assert frame["value"].tolist()[:3] == ["1", "two", "3.5"] and pd.isna(frame["value"][3])
    assert "mixed types" in said and "'value'" in said


def test_immutable_table_every_epoch_lists_each_version_with_its_step(source, tmp_path, capsys):
    refs = sorted(refs_for(source, "immutable_epochs", "eval/predictions"), key=lambda r: r.step)
    assert [(r.artifact.split(":")[1], r.step, r.latest) for r in refs] == [("v0", 0, False), ("v1", 1, False), ("v2", 2, True)]
    for epoch, ref in enumerate(refs):
        assert_same(source.load_table(PROJECT, ref).frame["loss"], shapes.epoch_frame(epoch)["loss"])
    frame, _ = export("immutable_epochs", "eval/predictions", tmp_path, capsys)  # the latest by default
    assert frame.equals(shapes.epoch_frame(2))
    older = refs[0].artifact
    frame, _ = export("immutable_epochs", "eval/predictions", tmp_path, capsys, "--artifact", older)
    assert frame.equals(shapes.epoch_frame(0))


def test_mutable_table_latest_version_has_every_row(source, tmp_path, capsys):
    expected = pd.concat([shapes.epoch_frame(e) for e in range(3)], ignore_index=True)
    assert load(source, "mutable", "eval/predictions").frame.equals(expected)
    assert export("mutable", "eval/predictions", tmp_path, capsys)[0].equals(expected)


def test_incremental_table_is_one_table_of_all_increments_in_order(source, tmp_path, capsys):
    refs = source.tables(PROJECT, run_of("incremental"))
    assert [r.key for r in refs] == ["eval/stream"]
    expected = pd.concat([shapes.increment(i) for i in range(shapes.INCREMENTS)], ignore_index=True)
    loaded = load(source, "incremental", "eval/stream")
    assert loaded.frame.equals(expected) and loaded.total_rows == len(expected) and not loaded.truncated
    assert export("incremental", "eval/stream", tmp_path, capsys)[0].equals(expected)


def test_partitioned_table_is_offered_as_one_table(source, tmp_path, capsys):
    refs = source.tables(PROJECT, run_of("partitioned"))
    assert [r.key for r in refs] == ["partitioned"]
    expected = pd.concat([shapes.part(i) for i in range(shapes.PARTS)], ignore_index=True)
    assert load(source, "partitioned", "partitioned").frame.equals(expected)
    assert export("partitioned", "partitioned", tmp_path, capsys)[0].equals(expected)


def test_joined_table_is_offered_as_one_table(source, tmp_path, capsys):
    keys = sorted(r.key for r in source.tables(PROJECT, run_of("joined")))
    assert "joined" in keys
    loaded = load(source, "joined", "joined")
    expected = shapes.joined_left().merge(shapes.joined_right(), on="id")
    assert loaded.frame.equals(expected)
    assert any("inner join" in note for note in loaded.notes)
    assert export("joined", "joined", tmp_path, capsys)[0].equals(expected)


def test_reference_entry_loads_the_table_it_points_at(source, tmp_path, capsys):
    refs = {r.key: r for r in source.tables(PROJECT, run_of("reference"))}
    assert refs["predictions"].artifact == "eval-predictions:v0"
    assert load(source, "reference", "predictions").frame.equals(shapes.reference())
    assert load(source, "reference", "eval/predictions").frame.equals(shapes.reference())
    assert export("reference", "predictions", tmp_path, capsys)[0].equals(shapes.reference())


def test_several_tables_under_one_key_is_a_question(source, tmp_path, capsys):
    out = tmp_path / "x.parquet"
    code, _out, err = cli(
        ["table", f"{PROJECT}/{run_of('ambiguous')}", "eval/predictions", "--out", str(out), "--no-cache"], capsys
    )
    assert code == 2 and not out.exists()
    for index in range(shapes.AMBIGUOUS):
        assert f"preds-{index}:v0" in err
    assert "--artifact" in err
    frame, _ = export("ambiguous", "eval/predictions", tmp_path, capsys, "--artifact", "preds-1")
    assert frame.equals(shapes.ambiguous(1))


def test_same_entry_name_in_another_artifact_is_not_taken_for_the_logged_table(source, tmp_path, capsys):
    """run.log({"preds": t1}) and another artifact holding a different table as "preds":
    two tables under one key (the second is no reference to the first), so a question."""
    refs = refs_for(source, "same_entry", "preds")
    assert sorted(r.artifact for r in refs) == ["other-preds:v0", "run-rw-same-entry-preds:v0"]
    out = tmp_path / "x.parquet"
    code, _out, err = cli(["table", f"{PROJECT}/{run_of('same_entry')}", "preds", "--out", str(out), "--no-cache"], capsys)
    assert code == 2 and "other-preds:v0" in err and "run-rw-same-entry-preds:v0" in err
    frame, _ = export("same_entry", "preds", tmp_path, capsys, "--artifact", "run-rw-same-entry-preds")
    assert frame.equals(shapes.same_entry_logged())


def test_table_added_to_an_artifact_before_run_log_is_listed_once(source):
    """wandb's run_table entry eval/split.table.json is a reference to the artifact's
    split_preds.table.json, which the summary names: one table, under the logged key."""
    refs = source.tables(PROJECT, run_of("added_first"))
    assert [(r.key, r.artifact, r.entry, r.nrows) for r in refs] == [("eval/split", "eval-split:v0", "split_preds.table.json", 2)]
    assert load(source, "added_first", "eval/split").frame.equals(shapes.added_first())


def test_rows_dropped_by_wandb_are_reported_as_an_unknown_total(source, tmp_path, capsys):
    loaded = load(source, "big", "big")
    assert len(loaded.frame) == 200_000 and loaded.frame["i"].equals(shapes.big()["i"].iloc[:200_000])
    assert loaded.truncated and UNKNOWN_TOTAL in loaded.note
    _frame, said = export("big", "big", tmp_path, capsys)
    assert UNKNOWN_TOTAL in said


# --- the dashboard's loader ---------------------------------------------------------------------


def _utc_datetimes() -> pd.DataFrame:
    frame = shapes.datetimes()
    return frame.assign(naive=frame["naive"].dt.tz_localize("UTC"), aware=frame["aware"].dt.tz_convert("UTC"))


def _media_check(frame: pd.DataFrame) -> None:
    from PIL import Image

    assert frame["id"].tolist() == list(range(shapes.MEDIA_ROWS))
    for index in range(shapes.MEDIA_ROWS):
        assert np.array_equal(np.asarray(Image.open(frame["image"][index])), shapes.image_pixels(index))
        assert shapes.html_text(index) in Path(frame["page"][index]).read_text(encoding="utf-8")


# Every recorded table shape: (shape, key, CLI arguments to pick it, what was logged).
EVERY_SHAPE = [
    ("scalars", "eval/predictions", (), shapes.scalars),
    ("nested", "nested", (), shapes.nested),
    ("datetimes", "times", (), _utc_datetimes),
    ("arrays", "arrays", (), shapes.arrays),
    ("media", "media", (), None),
    ("mixed", "mixed", (), shapes.mixed),
    ("immutable_epochs", "eval/predictions", (), lambda: shapes.epoch_frame(2)),
    ("mutable", "eval/predictions", (), lambda: pd.concat([shapes.epoch_frame(e) for e in range(3)], ignore_index=True)),
    (
        "incremental",
        "eval/stream",
        (),
        lambda: pd.concat([shapes.increment(i) for i in range(shapes.INCREMENTS)], ignore_index=True),
    ),
    ("partitioned", "partitioned", (), lambda: pd.concat([shapes.part(i) for i in range(shapes.PARTS)], ignore_index=True)),
    ("joined", "joined", (), lambda: shapes.joined_left().merge(shapes.joined_right(), on="id")),
    ("reference", "predictions", (), shapes.reference),
    ("ambiguous", "eval/predictions", ("--artifact", "preds-1"), lambda: shapes.ambiguous(1)),
    ("big", "big", (), lambda: shapes.big().iloc[:200_000]),
    ("same_entry", "preds", ("--artifact", "other-preds"), shapes.same_entry_other),
    ("added_first", "eval/split", (), shapes.added_first),
]


def deep_list(value):
    """Arrays (also arrays of arrays, as Parquet gives them back) as nested lists."""
    if isinstance(value, np.ndarray):
        return [deep_list(v) for v in value.tolist()] if value.dtype == object else value.tolist()
    if isinstance(value, list):
        return [deep_list(v) for v in value]
    if isinstance(value, dict):
        return {k: deep_list(v) for k, v in value.items()}
    return value


def assert_logged(actual: pd.DataFrame, expected: pd.DataFrame, as_text: tuple[str, ...] = ()) -> None:
    """Every cell of ``actual`` equals what was logged (columns in ``as_text``: its text)."""
    assert list(actual.columns) == list(expected.columns)
    for column in expected.columns:
        want = expected[column].astype(object).map(deep_list)
        if column in as_text:
            want = want.map(lambda v: None if _missing(v) else v if isinstance(v, str) else repr(v))
        assert_same(actual[column].astype(object).map(deep_list), want)


@pytest.mark.parametrize(("shape", "key", "pick", "logged"), EVERY_SHAPE, ids=[c[0] for c in EVERY_SHAPE])
def test_dashboard_loader_reads_each_shape(fake, shape, key, pick, logged):
    from wbview.ui import loaders
    from wbview.ui.source import register_source

    settings = Settings(api_key=fake.api_key, base_url=fake.base_url, entity="recorder", project="realwandb")
    spec = register_source(f"realwandb-{shape}", WandbSource(settings, timeout_s=20))
    refs = [r for r in loaders.tables(spec, PROJECT, run_of(shape)) if r.key == key and r.latest]
    if pick:
        refs = [r for r in refs if r.artifact.split(":")[0] == pick[1]]
    assert len(refs) == 1, refs
    frame = loaders.table(spec, PROJECT, refs[0]).frame
    _media_check(frame) if logged is None else assert_logged(frame, logged())


@pytest.mark.parametrize(("shape", "key", "pick", "logged"), EVERY_SHAPE, ids=[c[0] for c in EVERY_SHAPE])
def test_cli_exports_each_shape_to_parquet(fake, tmp_path, capsys, shape, key, pick, logged):
    frame, _said = export(shape, key, tmp_path, capsys, *pick)
    # Parquet holds the mixed-type column as text; 1 and 3.5 read back as their JSON text.
    _media_check(frame) if logged is None else assert_logged(frame, logged(), as_text=("value",) if shape == "mixed" else ())


def test_the_cache_keeps_notes_unknown_totals_and_mixed_values(fake, tmp_path, capsys, monkeypatch):
    import json

    monkeypatch.setenv("WBVIEW_CACHE_DIR", str(tmp_path / "cache"))
    results = []
    for attempt in range(2):
        fake.reset()
        out = tmp_path / f"big{attempt}.parquet"
        code, stdout, stderr = cli(["table", f"{PROJECT}/{run_of('big')}", "big", "--out", str(out), "--json"], capsys)
        assert code == 0, stderr
        results.append((json.loads(stdout), fake.count("file")))
    (first, first_files), (second, second_files) = results
    assert first["total_rows"] is None and second["total_rows"] is None and second["truncated"] is True
    assert first_files > 0 and second_files == 0  # the second read came from the cache
    for attempt in range(2):
        code, stdout, stderr = cli(
            ["table", f"{PROJECT}/{run_of('mixed')}", "mixed", "--out", str(tmp_path / f"m{attempt}.csv"), "--json"], capsys
        )
        assert code == 0, stderr
    assert pd.read_csv(tmp_path / "m1.csv")["value"].tolist()[:3] == ["1", "two", "3.5"]


# --- filters on the recorded config: a flat key with a dot, a typo --------------------------


@pytest.mark.parametrize(
    ("condition", "run_ids", "said"),
    [
        ("model.type=distil", ["rw-scalars"], ['flat config key "model.type"', "must be quoted"]),
        ('"model.type"=distil', ["rw-scalars"], []),  # quoted: no note needed
        ("model.type=bert", ["rw-nested"], ["config key config.model.type"]),
        ("params.encodr=head_tail", [], ["No run has the key params.encodr", "Closest keys: params.encoder"]),
        ("params.encoder=head_tail", ["rw-scalars"], []),
    ],
)
def test_run_filters_on_missing_keys_say_why(fake, capsys, condition, run_ids, said):
    import json

    code, out, err = cli(["runs", PROJECT, "--filter", condition, "--json", "--no-cache"], capsys)
    assert code == 0, err
    assert sorted(r["id"] for r in json.loads(out)) == run_ids
    for text in said:
        assert text in err
    if not said:
        assert "note:" not in err
