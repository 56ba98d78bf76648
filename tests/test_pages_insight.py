"""The "beyond the W&B UI" pages through AppTest on the demo project (six eval runs of
the same test split, built small in memory): every number shown is checked against
the analysis functions on the same tables; URL state, lineage warnings and failures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from streamlit.testing.v1 import AppTest

from tests.pagetest import APP, TIMEOUT_S, clear_streamlit_caches, plotly_specs, problems, texts
from wbview import insight_views as views
from wbview.analysis import calibration, compare, slices, stacking
from wbview.analysis import threshold as th
from wbview.analysis.prepare import prepare
from wbview.records import Run, RunArtifacts, TableRef
from wbview.sources.memory import MemorySource, ProjectData
from wbview.ui.source import register_source

DEMO_PROJECT = "demo/phishing-demo"


@pytest.fixture(autouse=True)
def _fresh_caches():
    clear_streamlit_caches()
    yield
    clear_streamlit_caches()


@pytest.fixture(scope="module")
def demo() -> ProjectData:
    from wbview.demo import build_project
    from wbview.demo.pipeline import SMALL_SIZE

    return build_project(size=SMALL_SIZE)


@pytest.fixture
def spec(demo) -> str:
    return register_source("insight", MemorySource({DEMO_PROJECT: demo}, label="demo (small)", is_demo=True))


MULTI_PROJECT = "acme/topics"
TOPICS = ("billing", "outage", "sales")


def _topic_run(run_id: str, minutes: int, lr: float) -> Run:
    from datetime import datetime, timedelta, timezone

    ref = TableRef(run_id=run_id, key="eval/predictions", artifact=f"run-{run_id}-evalpredictions:v0",
                   entry="eval/predictions.table.json", nrows=400, stored_rows=400)
    return Run(id=run_id, entity="acme", project="topics", name=f"exp-{run_id}-eval", job_type="eval",
               group="topics", created_at=datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=minutes),
               config={"params": {"lr": lr}}, tables=(ref,))


@pytest.fixture(scope="module")
def multi_project() -> ProjectData:
    """Three-class eval tables: m1 and m2 scored on topics:v0, m3 on no recorded
    dataset and without probability columns."""
    from tests.fixtures import build_eval_table
    from wbview.records import ArtifactVersion

    data = ProjectData()
    for i, (run_id, lr) in enumerate((("m1", 0.1), ("m2", 0.01), ("m3", 0.001))):
        run = _topic_run(run_id, i, lr)
        data.runs[run_id] = run
        frame = build_eval_table(400, seed=i, classes=TOPICS).drop(columns=["Outcome"])
        if run_id == "m3":
            frame = frame.drop(columns=[f"Prob ({c})" for c in TOPICS] + ["Confidence"])
        ref = run.tables[0]
        data.tables[(ref.artifact, ref.entry)] = frame
    data.artifacts["topics:v0"] = ArtifactVersion("acme", "topics", "topics", "v0", "dataset", used_by=("m1", "m2"))
    data.run_artifacts = {"m1": RunArtifacts("m1", used=("topics:v0",)), "m2": RunArtifacts("m2", used=("topics:v0",)),
                          "m3": RunArtifacts("m3")}
    return data


@pytest.fixture
def multi_spec(multi_project) -> str:
    return register_source("insight-multi", MemorySource({MULTI_PROJECT: multi_project}, label="topics"))


def eval_run(demo: ProjectData, experiment: int) -> Run:
    return next(r for r in demo.runs.values() if r.job_type == "eval" and r.group == f"exp-{experiment:03d}")


def frame_of(demo: ProjectData, run: Run) -> pd.DataFrame:
    ref = run.tables[0]
    return demo.tables[(ref.artifact, ref.entry)]


def prepared(demo: ProjectData, run: Run):
    return prepare(frame_of(demo, run))


def open_direct(page: str, **params) -> AppTest:
    """Open ``pages/<page>.py`` as a deep link does: the first run is already on that page
    (``open_page`` starts on Runs, whose own ``run`` picker would consume ?run=)."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(f"pages/{page}.py")
    return at.run()


def open_insight(page: str, spec: str, **params) -> AppTest:
    return open_direct(page, source=spec, project=DEMO_PROJECT, **params)


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def frame_with(at, column: str) -> pd.DataFrame:
    return next(df.value for df in at.dataframe if column in df.value.columns)


# --- threshold & cost ---------------------------------------------------------------


def test_threshold_page_numbers_match_the_analysis(spec, demo):
    run = eval_run(demo, 4)
    at = open_insight("threshold", spec, run=run.id, fn_cost="5", fp_cost="1", recall="0.99")
    assert problems(at) == []
    table = prepared(demo, run)
    curve = th.threshold_curve(table, fn_cost=5, fp_cost=1)
    best = th.cost_optimal_threshold(curve)
    reach = th.threshold_for_recall(curve, 0.99)
    shown = texts(at)
    assert f"{len(curve) - 1:,} distinct thresholds over {table.n_rows:,} rows" in shown
    assert f"Cost-optimal: {views.format_threshold(best['threshold'])} (cost {best['cost']:,.6g})" in shown
    assert f"recall ≥ 0.990: {views.format_threshold(reach['threshold'])}" in shown
    # The default operating point is the cost-optimal one.
    point = th.operating_point(table, float(best["threshold"]), 5, 1)
    assert metrics(at)["Recall"] == f"{point.recall:.1%}"
    assert metrics(at)["Missed (FN)"] == f"{point.fn:,.0f}"
    assert metrics(at)["Cost"] == f"{point.cost:,.6g}"
    changes = th.outcome_changes(table, float(best["threshold"]))
    assert len(frame_with(at, "Outcome After")) == len(changes) > 0
    counts = frame_with(at, "after")
    assert counts["rows"].sum() == len(changes)
    chart = plotly_specs(at)[0]
    assert [t["name"] for t in chart["data"]][:4] == ["Precision", "Recall", "FN rate", "FP rate"]


def test_threshold_target_recall_and_custom_point_from_the_url(spec, demo):
    run = eval_run(demo, 4)
    table = prepared(demo, run)
    curve = th.threshold_curve(table)
    at = open_insight("threshold", spec, run=run.id, point="target recall", recall="0.9")
    assert problems(at) == []
    reach = th.threshold_for_recall(curve, 0.9)
    assert at.get("subheader")[0].value == f"At threshold {views.format_threshold(reach['threshold'])}"
    assert float(metrics(at)["Recall"].rstrip("%")) >= 90.0
    at = open_insight("threshold", spec, run=run.id, point="custom", t="0.25")
    point = th.operating_point(table, 0.25)
    assert metrics(at)["Precision"] == f"{point.precision:.1%}"
    moved = frame_with(at, "Outcome After")
    assert set(moved["Outcome Before"]) <= {"TN", "FN"} and set(moved["Outcome After"]) <= {"FP", "TP"}
    assert len(moved) == len(th.outcome_changes(table, 0.25))


def test_threshold_logged_point_of_a_run_tuned_to_0_3(spec, demo):
    at = open_insight("threshold", spec, run=eval_run(demo, 6).id, point="logged")
    assert problems(at) == []
    assert "No row changes outcome" in texts(at)  # the logged threshold reproduces the logged predictions
    logged = th.logged_threshold(prepared(demo, eval_run(demo, 6)))
    assert 0.29 <= logged <= 0.31


def test_threshold_page_explains_a_multi_class_table(multi_spec):
    at = open_direct("threshold", source=multi_spec, project=MULTI_PROJECT)
    assert problems(at) == []
    assert "needs a binary table (two classes); this one has 3" in texts(at)
