"""W&B EvalTables (wandb.EvalTable, preview): the run's history holds a pointer, the rows
live in W&B Weave. The pointers and the Weave calls are what real wandb 0.31 + weave
0.54 wrote (tests/realwandb/record_evaltable.py, against the fake trace server); the
run is served by the fake W&B server and the calls by the fake trace server
(tests/fakewandb/traces.py), read through weave's own client. Compared value by value
with the logged table: by the W&B source, the CLI (``wbview table ... --out``) and the
dashboard's loader."""

from __future__ import annotations

import builtins
import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.fakewandb import FakeWandb
from tests.fakewandb.traces import FakeTraceServer
from tests.sources.wandb.test_realwandb_tables import RETRY_ENV, assert_same
from wbview.cli.main import main as cli_main
from wbview.errors import MissingDependency, RequestTimeout, ServerError, TableNotFound
from wbview.records import Run
from wbview.settings import Settings
from wbview.sources.memory import ProjectData
from wbview.sources.wandb import WandbSource
from wbview.sources.wandb.evalrows import CALL_ID_COLUMN, EXCEPTION_COLUMN, eval_rows
from wbview.sources.wandb.weaveclient import trace_server_url

RECORDED = Path(__file__).resolve().parents[2] / "realwandb" / "recorded" / "evaltable"
TABLES = json.loads((RECORDED / "tables.json").read_text())
CALLS = json.loads((RECORDED / "calls.json").read_text())
FILES = {path.name: path.read_bytes() for path in (RECORDED / "files").iterdir()}
VALUE_TABLES = ["eval/qa", "eval/plain"]  # compared value by value; "eval/media" holds images
PROJECT = "recorder/realwandb"
RUN = "evtab01"
CES_POINTER = {
    "_type": "eval-table-ces",
    "schema_version": 1,
    "ncols": 2,
    "nrows": 4,
    "log_mode": "IMMUTABLE",
    "evaluation_id": "ev-1",
    "evaluation_version_id": "evv-1",
    "dataset_id": "ds-1",
    "dataset_version_id": "dsv-1",
}  # the history value of wandb's CES writer (_writer_ces.py), which is not released


def logged(key: str) -> pd.DataFrame:
    """The logged table, in the column order Weave gives it back: inputs (or wandb's
    1-based "row" when no input column was named), outputs, scores."""
    spec = TABLES[key]
    frame = pd.DataFrame(spec["data"], columns=spec["columns"], dtype=object)
    roles = spec["roles"]
    if not roles["input"]:
        frame.insert(0, "row", list(range(1, len(frame) + 1)))
        return frame
    order = roles["input"] + roles["output"] + roles["score"]
    frame = frame[order]
    if "logged_at" in frame:  # naive datetimes are logged as UTC
        frame["logged_at"] = [None if v is None else pd.Timestamp(v, tz=UTC) for v in frame["logged_at"]]
    return frame


def row_call_ids(key: str) -> list[str]:
    parent = TABLES[key]["history_value"]["evaluate_call_id"]
    rows = [c for c in CALLS if c["parent_id"] == parent and "Evaluation.predict_and_score" in c["op_name"]]
    return [c["id"] for c in sorted(rows, key=lambda c: c["started_at"])]


def assert_rows(frame: pd.DataFrame, key: str) -> None:
    expected = logged(key)
    assert list(frame.columns) == [*expected.columns, CALL_ID_COLUMN]
    for column in expected.columns:
        assert_same(frame[column].astype(object), expected[column])
    assert list(frame[CALL_ID_COLUMN]) == row_call_ids(key)


def eval_run_server() -> FakeWandb:
    """The fake W&B server with one run whose history holds the recorded pointers (and a CES one)."""
    run = Run(
        id=RUN,
        entity="recorder",
        project="realwandb",
        name=RUN,
        state="finished",
        created_at=datetime(2025, 12, 1, tzinfo=UTC),
        # the CES pointer first: the dashboard must not default to a table it cannot read
        summary={"eval/ces": CES_POINTER, **{k: t["history_value"] for k, t in TABLES.items()}, "acc": 0.8},
    )
    return FakeWandb({PROJECT: ProjectData(runs={run.id: run})})


@pytest.fixture(scope="module")
def servers():
    with eval_run_server() as wandb_fake, FakeTraceServer(CALLS, FILES) as traces:
        yield wandb_fake, traces


@pytest.fixture
def traces(servers, monkeypatch):
    wandb_fake, traces = servers
    for name, value in {**wandb_fake.env(), **traces.env(), **RETRY_ENV}.items():
        monkeypatch.setenv(name, value)
    wandb_fake.reset()
    traces.reset()
    yield traces
    assert not traces.unknown, traces.unknown


@pytest.fixture
def source(servers, traces):
    wandb_fake, _ = servers
    settings = Settings(api_key=wandb_fake.api_key, base_url=wandb_fake.base_url, entity="recorder", project="realwandb")
    src = WandbSource(settings, timeout_s=20)
    yield src
    src.close()


def ref_of(source: WandbSource, key: str):
    (ref,) = [r for r in source.tables(PROJECT, RUN) if r.key == key]
    return ref


def cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = cli_main(args)
    out, err = capsys.readouterr()
    return code, out, err


# --- the W&B source ----------------------------------------------------------------------------


@pytest.mark.parametrize("key", VALUE_TABLES)
def test_source_loads_the_rows_weave_holds(source, traces, key):
    ref = ref_of(source, key)
    pointer = TABLES[key]["history_value"]
    assert (ref.kind, ref.nrows, ref.artifact) == ("eval-table", pointer["nrows"], f"weave-eval:{pointer['evaluate_call_id']}")
    loaded = source.load_table(PROJECT, ref)
    assert_rows(loaded.frame, key)
    assert (loaded.total_rows, loaded.truncated) == (pointer["nrows"], False)
    assert any("inputs: " in note and "scores: " in note for note in loaded.notes)
    # weave's client: get_call (the evaluation) + one page of get_calls (its children)
    assert traces.count("/calls/stream_query") == 2 and traces.count() == 2
    bodies = [r.body for r in traces.requests]
    assert bodies[0]["filter"]["call_ids"] == [pointer["evaluate_call_id"]]
    assert bodies[1]["filter"]["parent_ids"] == [pointer["evaluate_call_id"]]
    assert all(b["project_id"] == PROJECT for b in bodies)


def test_images_are_local_png_files_with_the_logged_pixels(source, traces):
    from PIL import Image

    from tests.realwandb.record_evaltable import MEDIA_ROWS, image_pixels

    loaded = source.load_table(PROJECT, ref_of(source, "eval/media"))
    frame = loaded.frame
    assert list(frame.columns) == ["image", "page", "pred", CALL_ID_COLUMN]
    for index in range(MEDIA_ROWS):
        assert np.array_equal(np.asarray(Image.open(frame["image"][index])), image_pixels(index))
    assert list(frame["page"]) == ["[wandb.Html not yet supported]"] * MEDIA_ROWS  # wandb 0.31 logs a stub
    assert list(frame["pred"]) == [f"cat{i}" for i in range(MEDIA_ROWS)]
    assert any("Image columns (image)" in note for note in loaded.notes)
    assert traces.count("/file/content") == MEDIA_ROWS


def test_rows_beyond_one_page_are_read_page_by_page(source, traces, monkeypatch):
    from wbview.sources.wandb import weaveclient

    monkeypatch.setattr(weaveclient, "PAGE_SIZE", 4)
    assert_rows(source.load_table(PROJECT, ref_of(source, "eval/qa")).frame, "eval/qa")
    # the evaluation's 6 children (5 rows and the summary; predict and score calls are
    # the rows' children): a full page of 4, then a short one that ends the listing
    pages = [(r.body["offset"], r.body["limit"]) for r in traces.requests if r.body["filter"]["parent_ids"]]
    assert pages == [(0, 4), (4, 4)]


def test_error_analysis_columns_are_found_in_an_eval_table(source):
    from wbview.schema import detect_schema

    schema = detect_schema(source.load_table(PROJECT, ref_of(source, "eval/qa")).frame.columns)
    assert (schema.text, schema.true_label, schema.predicted_label) == ("text", "label", "pred")
    assert dict(schema.probs) == {"ham": "prob_ham", "spam": "prob_spam"}


def test_datetimes_come_back_as_utc_milliseconds(source):
    frame = source.load_table(PROJECT, ref_of(source, "eval/qa")).frame
    assert str(frame["logged_at"].dtype) == "datetime64[ms, UTC]"


# --- faults --------------------------------------------------------------------------------------


def test_server_error_names_the_evaluation(source, traces, capsys, tmp_path):
    traces.fail("/calls/stream_query", 500, times=None)
    ref = ref_of(source, "eval/qa")
    call_id = TABLES["eval/qa"]["history_value"]["evaluate_call_id"]
    with pytest.raises(ServerError, match=f"HTTP 500.*EvalTable 'eval/qa' \\(Weave evaluation {call_id}\\)"):
        source.load_table(PROJECT, ref)
    assert traces.count("/calls/stream_query") == 3  # weave's client retries twice
    code, _out, err = cli(["table", f"{PROJECT}/{RUN}", "eval/qa", "--out", str(tmp_path / "x.csv"), "--no-cache"], capsys)
    assert code == 1 and call_id in err and "HTTP 500" in err and "Traceback" not in err


def test_a_slow_trace_server_is_a_timeout_naming_the_evaluation(servers, monkeypatch):
    # A server of its own: the abandoned request (and weave's retries of it) cannot reach other tests.
    wandb_fake, _ = servers
    settings = Settings(api_key=wandb_fake.api_key, base_url=wandb_fake.base_url, entity="recorder", project="realwandb")
    with FakeTraceServer(CALLS, FILES) as slow:
        monkeypatch.setenv("WF_TRACE_SERVER_URL", slow.url)
        src = WandbSource(settings, timeout_s=1)
        ref = ref_of(src, "eval/qa")
        slow.delay("/calls/stream_query", seconds=3, times=None)
        with pytest.raises(RequestTimeout, match="within 1 s while reading EvalTable 'eval/qa'"):
            src.load_table(PROJECT, ref)
        assert slow.count("/calls/stream_query") >= 1


def test_an_unknown_evaluation_is_not_found(source, traces):
    ref = ref_of(source, "eval/qa")
    gone = ref.__class__(**{**ref.__dict__, "artifact": "weave-eval:0000-gone"})
    with pytest.raises(TableNotFound, match="no evaluation 0000-gone"):
        source.load_table(PROJECT, gone)
    assert traces.count() == 1


def test_ces_pointers_are_refused_with_what_they_are(source, traces):
    ref = ref_of(source, "eval/ces")
    assert (ref.kind, ref.artifact, ref.nrows) == ("eval-table", "ces-eval:evv-1", 4)
    with pytest.raises(TableNotFound, match=r"'eval/ces' \(evaluation version evv-1\).*CoreWeave Evaluation Service"):
        source.load_table(PROJECT, ref)
    assert traces.count() == 0


@pytest.fixture
def without_weave(monkeypatch):
    """Every import of weave fails, as where the extra is not installed."""
    real_import = builtins.__import__

    def no_weave(name, *args, **kwargs):
        if name == "weave" or name.startswith("weave."):
            raise ImportError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_weave)


def test_without_weave_the_message_gives_the_install_hint(source, traces, without_weave, capsys, tmp_path):
    with pytest.raises(MissingDependency, match=r"pip install 'wbview\[weave\]'"):
        source.load_table(PROJECT, ref_of(source, "eval/qa"))
    code, _out, err = cli(["table", f"{PROJECT}/{RUN}", "eval/qa", "--out", str(tmp_path / "x.csv"), "--no-cache"], capsys)
    assert code == 1 and "pip install 'wbview[weave]'" in err and "Traceback" not in err
    assert traces.count() == 0


# --- the CLI and the dashboard's loader --------------------------------------------------------------


def test_cli_lists_eval_tables_with_what_they_are(traces, capsys):
    code, out, _err = cli(["table", f"{PROJECT}/{RUN}", "--no-cache"], capsys)
    lines = {line.split()[0]: line for line in out.splitlines()[2:]}
    assert code == 0 and set(lines) == {"eval/qa", "eval/plain", "eval/media", "eval/ces"}
    assert "W&B EvalTable: rows in Weave, loaded with wbview[weave]" in lines["eval/qa"]
    assert "W&B EvalTable: rows in CES, not readable" in lines["eval/ces"]
    assert traces.count() == 0  # listing asks Weave nothing


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_cli_exports_the_rows_weave_holds(traces, capsys, tmp_path, suffix):
    out = tmp_path / f"qa{suffix}"
    code, stdout, stderr = cli(["table", f"{PROJECT}/{RUN}", "eval/qa", "--out", str(out)], capsys)
    assert code == 0, stderr
    assert "Wrote 5 rows of 'eval/qa'" in stdout
    frame = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    if suffix == ".csv":
        frame["logged_at"] = pd.to_datetime(frame["logged_at"], utc=True)
    assert_rows(frame, "eval/qa")
    assert traces.count("/calls/stream_query") == 2


def test_dashboard_loader_reads_the_rows_weave_holds(source, traces):
    from wbview.ui import loaders
    from wbview.ui.source import register_source

    spec = register_source("evaltables", source)
    (ref,) = [r for r in loaders.tables(spec, PROJECT, RUN) if r.key == "eval/plain"]
    assert_rows(loaders.table(spec, PROJECT, ref).frame, "eval/plain")


# --- pure parts ----------------------------------------------------------------------------------


def _call(example, result, *, op="Evaluation.predict_and_score", exception=None, call_id="c"):
    return {
        "id": call_id,
        "op_name": f"weave:///e/p/op/{op}:abc",
        "inputs": {"self": "weave:///e/p/object/Evaluation:1", "example": example},
        "output": result,
        "exception": exception,
    }


FLATTEN_CASES = [
    # (name, calls, expected columns -> values)
    (
        "roles keep the table's names",
        [_call({"q": "a"}, {"output": {"pred": "x"}, "scores": {"ok": True}, "model_latency": None})],
        {"q": ["a"], "pred": ["x"], "ok": [True]},
    ),
    (
        "scalar output is one 'output' column",
        [_call({"q": "a"}, {"output": 3, "scores": {}, "model_latency": None})],
        {"q": ["a"], "output": [3]},
    ),
    (
        "a name in several roles is prefixed with its role",
        [_call({"x": 1}, {"output": {"x": 2}, "scores": {"x": 0.5}, "model_latency": None})],
        {"inputs.x": [1], "output.x": [2], "scores.x": [0.5]},
    ),
    (
        "a scorer's dict becomes scorer.field",
        [_call({"q": "a"}, {"output": "y", "scores": {"acc": {"correct": False, "p": 0.2}}, "model_latency": None})],
        {"q": ["a"], "output": ["y"], "acc.correct": [False], "acc.p": [0.2]},
    ),
    (
        "other children of the evaluation are no rows",
        [
            _call({"q": "a"}, {"output": "y", "scores": {}, "model_latency": None}),
            _call(None, {"acc": {"true_fraction": 1.0}}, op="Evaluation.summarize"),
            _call({"q": "a"}, "y", op="Model.predict"),
        ],
        {"q": ["a"], "output": ["y"]},
    ),
    (
        "a field missing from one row is empty there",
        [
            _call({"q": "a"}, {"output": {"p": 0.5}, "scores": {}, "model_latency": None}, call_id="1"),
            _call({"q": "b"}, {"output": {}, "scores": {}, "model_latency": None}, call_id="2"),
        ],
        {"q": ["a", "b"], "p": [0.5, np.nan]},
    ),
]


@pytest.mark.parametrize(("name", "calls", "expected"), FLATTEN_CASES, ids=[c[0] for c in FLATTEN_CASES])
def test_eval_rows_flattens_inputs_output_and_scores(name, calls, expected):
    frame, notes = eval_rows(calls)
    assert list(frame.columns) == [*expected, CALL_ID_COLUMN]
    for column, values in expected.items():
        assert_same(frame[column].astype(object), pd.Series(values, dtype=object))
    assert notes and "inputs: " in notes[0]


def test_a_failed_row_keeps_its_inputs_and_says_so():
    frame, notes = eval_rows([_call({"q": "a"}, None, exception="ValueError: boom")])
    assert list(frame.columns) == ["q", CALL_ID_COLUMN, EXCEPTION_COLUMN]
    assert frame.loc[0, EXCEPTION_COLUMN] == "ValueError: boom"
    assert any("1 row(s) ended with an exception" in n for n in notes)


@pytest.mark.parametrize(
    ("base_url", "env", "expected"),
    [
        ("https://api.wandb.ai", {}, "https://trace.wandb.ai"),
        ("https://api.wandb.ai/", {}, "https://trace.wandb.ai"),
        ("https://wandb.acme.internal", {}, "https://wandb.acme.internal/traces"),
        ("https://wandb.acme.internal", {"WF_TRACE_SERVER_URL": "http://127.0.0.1:9/"}, "http://127.0.0.1:9"),
    ],
)
def test_trace_server_url_follows_weaves_rule(base_url, env, expected):
    assert trace_server_url(base_url, env) == expected


# --- nothing leaves the machine unasked ----------------------------------------------------------

SENTRY_CHILD = r"""
import json, os, sys
from wbview.settings import load_settings
from wbview.sources.wandb import WandbSource

before = os.environ.get("WANDB_ERROR_REPORTING")
source = WandbSource(load_settings(), timeout_s=20)
(ref,) = [r for r in source.tables(sys.argv[1], sys.argv[2]) if r.key == "eval/plain"]
rows = len(source.load_table(sys.argv[1], ref).frame)
from weave.telemetry.trace_sentry import global_trace_sentry  # set up when weave was first imported
print(json.dumps({"rows": rows, "sentry_on": not global_trace_sentry._disabled, "before": before,
                  "after": os.environ.get("WANDB_ERROR_REPORTING")}))
"""


@pytest.mark.parametrize(("user_setting", "reporting"), [(None, False), ("true", True)])
def test_weave_error_reporting_is_off_unless_the_user_asks(servers, tmp_path, user_setting, reporting):
    import os
    import subprocess
    import sys

    from tests.paths import REPO

    wandb_fake, traces = servers
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_", "WF_", "WEAVE_"))}
    env |= wandb_fake.env() | traces.env() | {"HOME": str(tmp_path), "PYTHONPATH": str(REPO)}
    env |= {"WANDB_CONFIG_DIR": str(tmp_path / "wandb"), "WANDB_CACHE_DIR": str(tmp_path / "c")}
    if user_setting is not None:
        env["WANDB_ERROR_REPORTING"] = user_setting
    done = subprocess.run(
        [sys.executable, "-c", SENTRY_CHILD, PROJECT, RUN], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["rows"] == len(TABLES["eval/plain"]["data"])
    assert report["sentry_on"] is reporting  # weave's Sentry client: set up only if the user asked
    assert report["before"] == report["after"] == user_setting
