"""Logging eval tables: the .table.json round trip through wandb's own loader, offline
and disabled runs, truncation metadata, lineage refusal, never breaking the eval."""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from wbview.companion import EvalTableBuilder, log_eval_table, table_json
from wbview.formats.tablejson import read_table_json, write_table_json

wandb = pytest.importorskip("wandb")

KEY = "eval/predictions"


def _builder(n: int = 60, seed: int = 0, **options) -> EvalTableBuilder:
    rng = np.random.default_rng(seed)
    builder = EvalTableBuilder(["ham", "phishing"], positive_class="phishing", **options)
    for start in range(0, n, 25):
        size = min(25, n - start)
        builder.add_batch(
            logits=rng.normal(size=(size, 2)),
            labels=rng.integers(0, 2, size),
            texts=[f"message {i} \u00e9\u2713" for i in range(start, start + size)],
            extra={"length": rng.integers(1, 99, size), "score": rng.random(size)},
        )
    return builder


def _assert_same_table(loaded: pd.DataFrame, frame: pd.DataFrame) -> None:
    """Equal cell by cell: categories compared as strings, float32 exactly widened."""
    assert list(loaded.columns) == list(frame.columns)
    assert len(loaded) == len(frame)
    for column in frame.columns:
        ours = frame[column]
        if isinstance(ours.dtype, pd.CategoricalDtype) or ours.dtype == object or pd.api.types.is_string_dtype(ours):
            assert loaded[column].tolist() == ours.astype(object).tolist(), column
        elif ours.dtype == bool:
            assert loaded[column].tolist() == ours.tolist(), column
        else:
            np.testing.assert_array_equal(loaded[column].to_numpy(np.float64), ours.to_numpy(np.float64), err_msg=column)


def _wandb_get(artifact, key: str):
    """``Artifact.get`` for a draft artifact, step by step: wandb's own entry lookup
    (``key`` -> ``key.table.json`` and the Table class) and ``Table.from_json``.
    (``artifact.get`` itself refuses draft/offline artifacts; the fake-server test
    below calls it for real.)"""
    entry, wb_class = artifact._get_obj_entry(key)
    assert wb_class is wandb.Table
    with open(entry.local_path, encoding="utf-8") as handle:
        return wb_class.from_json(json.load(handle), artifact)


def test_table_json_loads_back_through_wandb_table(tmp_path):
    frame = _builder().finalize()
    path = tmp_path / "t.table.json"
    counts = write_table_json(frame, path)
    assert counts == {"nrows": 60, "stored_rows": 60, "truncated": False}
    artifact = wandb.Artifact("eval-predictions", "predictions")
    artifact.add_file(str(path), name=f"{KEY}.table.json")
    table = _wandb_get(artifact, KEY)
    _assert_same_table(table.get_dataframe(), frame)
    _assert_same_table(read_table_json(path).frame, frame)


def test_table_json_matches_what_wandb_table_writes():
    frame = pd.DataFrame({"n": [1, 2], "x": [0.5, np.nan], "s": ["a", None], "b": [True, False], "c": pd.Categorical(["u", "v"])})
    ours = table_json(frame)
    theirs = wandb.Table(dataframe=frame.astype({"c": object})).to_json(wandb.Artifact("x", "predictions"))
    assert ours["data"] == theirs["data"]
    assert ours["column_types"] == json.loads(json.dumps(theirs["column_types"]))
    assert {k: ours[k] for k in ("_type", "columns", "ncols", "nrows", "log_mode")} == {
        k: theirs[k] for k in ("_type", "columns", "ncols", "nrows", "log_mode")
    }


def test_round_trip_through_wandb_artifact_get_on_a_fake_server(tmp_path, monkeypatch):
    from tests.fakewandb import FakeWandb
    from wbview.records import ArtifactFile, ArtifactVersion
    from wbview.sources.memory import ProjectData

    builder = _builder(n=80, seed=3)
    with pytest.warns(UserWarning, match="no active W&B run"):
        result = log_eval_table(builder, run=None, local_dir=tmp_path)
    frame = builder.finalize()
    version = ArtifactVersion(
        entity="me",
        project="evals",
        name="eval-predictions-abc",
        version="v0",
        type="predictions",
        files=(ArtifactFile(f"{KEY}.table.json"), ArtifactFile(f"{KEY}.parquet")),
        created_at=datetime(2025, 12, 13, 7, 30, 22, tzinfo=UTC),
    )
    files = {
        (version.id, f"{KEY}.table.json"): result.table_json_path.read_bytes(),
        (version.id, f"{KEY}.parquet"): result.parquet_path.read_bytes(),
    }
    with FakeWandb({"me/evals": ProjectData(artifacts={version.id: version})}, files=files) as fake:
        for name, value in fake.env().items():
            monkeypatch.setenv(name, value)
        api = wandb.Api(overrides={"entity": "me"}, timeout=20)
        artifact = api.artifact("me/evals/eval-predictions-abc:v0")
        loaded = artifact.get(KEY).get_dataframe()
        parquet = pd.read_parquet(artifact.get_entry(f"{KEY}.parquet").download(root=str(tmp_path / "dl")))
    _assert_same_table(loaded, frame)
    pd.testing.assert_frame_equal(parquet, frame)


def test_wandb_artifact_get_still_works_after_logging_with_a_run(tmp_path, monkeypatch):
    """Logging the workspace table must not change how wandb deserialises *any* table
    later in the same process (it once registered a wandb.Table subclass that wandb's
    ``artifact.get`` then picked for every "table" entry and failed to construct)."""
    from wandb.sdk.data_types.base_types.wb_value import WBValue

    from tests.fakewandb import FakeWandb
    from wbview.records import ArtifactFile, ArtifactVersion
    from wbview.sources.memory import ProjectData

    # wandb caches its _log_type -> class map on first use; start from a fresh process's state.
    monkeypatch.setattr(WBValue, "_type_mapping", None)
    monkeypatch.setenv("WANDB_MODE", "offline")
    builder = _builder(n=40, seed=5)
    run = wandb.init(mode="offline", settings=wandb.Settings(init_timeout=20), project="companion-test", job_type="eval")
    try:
        result = log_eval_table(builder, run=run, local_dir=tmp_path)
    finally:
        run.finish()
    monkeypatch.delenv("WANDB_MODE")
    assert WBValue.type_mapping()["table"] is wandb.Table
    version = ArtifactVersion(
        entity="me",
        project="evals",
        name="eval-predictions-def",
        version="v0",
        type="predictions",
        files=(ArtifactFile(f"{KEY}.table.json"),),
        created_at=datetime(2025, 12, 13, 7, 30, 22, tzinfo=UTC),
    )
    files = {(version.id, f"{KEY}.table.json"): result.table_json_path.read_bytes()}
    with FakeWandb({"me/evals": ProjectData(artifacts={version.id: version})}, files=files) as fake:
        for name, value in fake.env().items():
            monkeypatch.setenv(name, value)
        artifact = wandb.Api(overrides={"entity": "me"}, timeout=20).artifact("me/evals/eval-predictions-def:v0")
        loaded = artifact.get(KEY)
    assert type(loaded) is wandb.Table
    _assert_same_table(loaded.get_dataframe(), builder.finalize())


def test_offline_run_logs_artifact_summary_and_workspace_table(tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    builder = _builder(n=70)
    run = wandb.init(
        mode="offline",
        settings=wandb.Settings(init_timeout=20),
        project="companion-test",
        name="exp-001-eval-2025-12-13T07-30-22Z",
        job_type="eval",
        config={"params": {"lr": 0.1}, "meta": {"task": "phishing"}},
    )
    try:
        with pytest.warns(UserWarning, match="Cannot use artifact when in offline mode"):
            result = log_eval_table(builder, run=run, model="clf:v1", dataset="texts:v2", local_dir=tmp_path)
        summary = dict(run.summary)
        workspace_entry = dict(run.summary[KEY])
    finally:
        run.finish()
    assert result.logged_to_wandb and result.artifact_name == f"eval-predictions-{run.id}"
    assert result.lineage_declared == ()
    expected = {name: value for name, value in builder.metrics().items() if name not in ("per_class", "confusion_matrix")}
    for name, value in expected.items():
        assert summary[f"eval/{name}"] == pytest.approx(value) if value is not None else f"eval/{name}" not in summary
    # The workspace table refers to the predictions artifact's entry (plus wandb's 10,000-row media copy).
    assert workspace_entry["_type"] == "table-file" and workspace_entry["nrows"] == 70
    assert workspace_entry["artifact_path"].endswith(f"/{KEY}.table.json")
    metadata = json.loads(result.metadata_path.read_text())
    assert metadata["model"] == "clf:v1" and metadata["dataset"] == "texts:v2"
    assert metadata["threshold"] == 0.5 and metadata["num_predictions"] == 70
    assert metadata["lineage"] == {
        "model": "clf:v1",
        "dataset": "texts:v2",
        "declared": False,
        "reason": "Cannot use artifact when in offline mode.",
    }
    assert metadata["id2label"] == {"0": "ham", "1": "phishing"} and metadata["label2id"] == {"ham": 0, "phishing": 1}
    assert metadata["config"] == {"params": {"lr": 0.1}, "meta": {"task": "phishing"}}
    assert metadata["summary"]["eval/num_predictions"] == 70
    assert metadata["wbview_table"]["table_entry"] == f"{KEY}.table.json"
    assert {k: metadata["wbview_table"][k] for k in ("key", "parquet_entry", "nrows", "stored_rows", "truncated")} == {
        "key": KEY,
        "parquet_entry": f"{KEY}.parquet",
        "nrows": 70,
        "stored_rows": 70,
        "truncated": False,
    }
    _assert_same_table(pd.read_parquet(result.parquet_path), builder.finalize())


def test_truncation_is_recorded_not_silent(tmp_path):
    builder = _builder(n=30)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = log_eval_table(builder, local_dir=tmp_path, max_table_rows=12)
    assert any("holds the first 12 of 30 rows" in str(w.message) for w in caught)
    assert (result.nrows, result.stored_rows, result.truncated) == (30, 12, True)
    assert len(read_table_json(result.table_json_path).frame) == 12
    assert len(pd.read_parquet(result.parquet_path)) == 30
    table_meta = json.loads(result.metadata_path.read_text())["wbview_table"]
    assert (table_meta["nrows"], table_meta["stored_rows"], table_meta["truncated"]) == (30, 12, True)


@pytest.mark.parametrize("mode", ["disabled", "none"])
def test_without_a_usable_run_everything_is_written_locally(tmp_path, mode):
    builder = _builder(n=10)
    run = wandb.init(mode="disabled") if mode == "disabled" else None
    try:
        with pytest.warns(UserWarning, match=f"written locally to {tmp_path}"):
            result = log_eval_table(builder, run=run, local_dir=tmp_path)
    finally:
        if run is not None:
            run.finish()
    assert not result.logged_to_wandb
    assert result.parquet_path.exists() and result.table_json_path.exists()
    assert json.loads(result.metrics_path.read_text())["num_predictions"] == 10


class _BrokenRun:
    """A run whose every W&B call fails, as when the service is unreachable."""

    id = "broken1"
    name = "exp-001-eval-x"
    disabled = False
    config: dict = {}

    @property
    def summary(self):
        raise ConnectionError("W&B is unreachable")


def test_wandb_failure_never_breaks_the_evaluation(tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = log_eval_table(_builder(n=10), run=_BrokenRun(), local_dir=tmp_path)
    messages = " ".join(str(w.message) for w in caught)
    assert "logging to W&B failed (ConnectionError: W&B is unreachable)" in messages and str(tmp_path) in messages
    assert not result.logged_to_wandb and len(pd.read_parquet(result.parquet_path)) == 10


def test_dataframe_input_and_bad_input(tmp_path):
    frame = pd.DataFrame({"text": ["a", "b"], "true_label": ["x", "y"], "predicted_label": ["x", "x"]})
    with pytest.warns(UserWarning):
        result = log_eval_table(frame, local_dir=tmp_path, metrics={"accuracy": 0.5})
    assert read_table_json(result.table_json_path).frame.equals(frame)
    with pytest.raises(TypeError, match="EvalTableBuilder or a pandas DataFrame"):
        log_eval_table([1, 2], local_dir=tmp_path)
