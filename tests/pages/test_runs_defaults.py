"""Runs page defaults: an informative metric, parallel-coordinate axes from the runs that
report it, metric curves from runs that logged history (pure, then on the demo store)."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.pages.pagetest import (
    clear_streamlit_caches,
    open_page,
    plotly_specs,
    problems,
)
from wbview.analysis.runs import (
    default_metric,
    parallel_axes,
    runs_frame,
    runs_with_history,
)
from wbview.records import Run


@pytest.mark.parametrize(
    "metrics, expected",
    [
        (["summary.avg_text_length", "summary.epoch", "summary.eval/accuracy", "summary.eval/f1"], "summary.eval/f1"),
        (["summary.avg_text_length", "summary.eval/num_predictions", "summary.eval/roc_auc"], "summary.eval/roc_auc"),
        (["summary.avg_text_length", "summary.epoch", "summary.train/loss"], "summary.train/loss"),
        (["epoch", "_step", "train/loss", "eval/loss"], "eval/loss"),
        (["epoch", "_step", "lr"], "lr"),
        (["epoch", "_step"], "epoch"),
        ([], None),
    ],
)
def test_default_metric_prefers_eval_f1_then_eval_then_loss_never_a_counter(metrics, expected):
    assert default_metric(metrics) == expected


def _run(rid, job_type, params, summary):
    return Run(id=rid, entity="e", project="p", name=rid, job_type=job_type, config={"params": params}, summary=summary)


MIXED = [
    _run("t1", "train", {"lr": 0.1, "enc": "a", "dataset": "d:v0"}, {"eval/f1": 0.8}),
    _run("t2", "train", {"lr": 0.5, "enc": "b", "dataset": "d:v1"}, {"eval/f1": 0.9}),
    _run("e1", "eval", {"model": "m:v0", "dataset": "d:v0"}, {"eval/f1": 0.81}),
    _run("e2", "eval", {"model": "m:v1", "dataset": "d:v1"}, {"eval/f1": 0.91}),
    _run("p1", "prep", {"rows": 10}, {"avg_text_length": 100.0}),
    _run("p2", "prep", {"rows": 20}, {"avg_text_length": 120.0}),
]


def test_parallel_axes_keep_the_job_type_whose_params_vary_most_among_runs_with_the_metric():
    scored, params = parallel_axes(runs_frame(MIXED), "summary.eval/f1")
    assert list(scored["id"]) == ["t1", "t2"]
    assert params == ["params.dataset", "params.enc", "params.lr"]


def test_parallel_axes_use_all_scored_runs_when_they_share_params():
    frame = runs_frame(MIXED[:2])
    scored, params = parallel_axes(frame, "summary.eval/f1")
    assert len(scored) == 2 and params == ["params.dataset", "params.enc", "params.lr"]
    assert parallel_axes(frame, None)[1] == [] and parallel_axes(frame, "summary.nope")[1] == []


def test_runs_with_history_skips_runs_without_metric_history_and_stops_at_want():
    histories = {
        "eval": pd.DataFrame({"_step": []}),
        "prep": pd.DataFrame({"_step": [0], "epoch": [0]}),
        "t1": pd.DataFrame({"_step": [0, 1], "train/loss": [0.5, 0.4]}),
        "t2": pd.DataFrame({"_step": [0], "eval/f1": [0.9]}),
        "t3": pd.DataFrame({"_step": [0], "eval/f1": [0.8]}),
    }
    loaded = []
    found = runs_with_history(list(histories), lambda i: loaded.append(i) or histories[i], want=2)
    assert list(found) == ["t1", "t2"] and loaded == ["eval", "prep", "t1", "t2"]
    assert runs_with_history(list(histories), histories.__getitem__, scan=2) == {}


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    from wbview.demo import build_demo
    from wbview.demo.pipeline import SMALL_SIZE

    return build_demo(tmp_path_factory.mktemp("runs-defaults") / "store", seed=0, size=SMALL_SIZE)


def test_demo_runs_page_defaults_to_eval_f1_train_params_and_train_curves(demo_store, monkeypatch):
    monkeypatch.setenv("WBVIEW_STORE", str(demo_store))
    clear_streamlit_caches()
    at = open_page("pages/runs.py", curves="true")
    assert problems(at) == []
    assert at.selectbox(key="metric").value == "summary.eval/f1"
    assert at.selectbox(key="curve").value == "eval/f1"
    parcoords, curves = plotly_specs(at)
    axes = [d["label"] for d in parcoords["data"][0]["dimensions"]]
    assert "params.learning_rate" in axes and "params.encoder" in axes and axes[-1] == "summary.eval/f1"
    names = [trace["name"] for trace in curves["data"]]
    assert names and all("-train-" in name for name in names)
    clear_streamlit_caches()
