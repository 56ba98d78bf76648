"""Review fixes on the analysis pages: pure checks of the new defaults and values."""

from __future__ import annotations

import pandas as pd
import pytest

from wbview.analysis.selection import recorded_threshold
from wbview.charts.slices import cohort_rate_figure
from wbview.charts.threshold import threshold_chart


def test_cohort_rate_figure_puts_the_highest_rate_leaf_first_with_a_readable_bar():
    leaves = pd.DataFrame(
        {
            "node": [3, 4, 5],
            "path": ["a", "b", None],
            "rows": [900, 12, 88],
            "rate": [0.05, 0.9, 0.4],
            "coverage": [0.4, 0.1, 0.5],
            "share_of_data": [0.9, 0.012, 0.088],
        }
    )
    bar = cohort_rate_figure(leaves, "error rate").data[0]
    assert list(bar.x) == [0.9, 0.4, 0.05]
    assert list(bar.y) == ["#4 b", "#5 all rows", "#3 a"]


def _eval_run(config=None, summary=None):
    from wbview.records import Run

    return Run(id="r", entity="e", project="p", name="r", job_type="eval", config=config or {}, summary=summary or {})


@pytest.mark.parametrize(
    "run, metadata, expected",
    [
        (
            _eval_run({"params": {"threshold": 0.3}}, {"eval/threshold": 0.35}),
            {"threshold": 0.4},
            (0.4, "the predictions artifact's metadata"),
        ),
        (_eval_run({"params": {"threshold": 0.3}}, {"eval/threshold": 0.35}), {}, (0.35, "the run summary (eval/threshold)")),
        (_eval_run({"params": {"threshold": 0.3}}), None, (0.3, "the run config (params.threshold)")),
        (_eval_run({"params": {"threshold": "high"}}, {"threshold": 7}), {"threshold": True}, (None, "")),
        (None, None, (None, "")),
    ],
)
def test_recorded_threshold_prefers_artifact_metadata_then_summary_then_config(run, metadata, expected):
    assert recorded_threshold(run, metadata) == expected


@pytest.mark.parametrize("chosen, logged", [(0.30, 0.3007), (0.5, 0.3)])
def test_threshold_marker_labels_point_away_from_each_other(chosen, logged):
    curve = pd.DataFrame(
        {
            "threshold": [0.0, 0.5, 1.0],
            "precision": [0.5, 0.8, 1.0],
            "recall": [1.0, 0.7, 0.0],
            "fn_rate": [0.0, 0.3, 1.0],
            "fp_rate": [1.0, 0.1, 0.0],
            "expected_cost": [0.5, 0.2, 0.5],
        }
    )
    data = threshold_chart(curve, chosen, logged).data
    marks = data[data["mark"].notna()]
    notes = dict(zip(marks["mark"], marks["align"], strict=True))
    lower, higher = ("chosen", "logged") if chosen < logged else ("logged", "chosen")
    assert notes == {lower: "right", higher: "left"}  # the labels point away from each other


def test_distinct_model_runs_keeps_one_run_per_model_and_the_weakest():
    from wbview.analysis.selection import distinct_model_runs

    runs = [
        _eval_run({"params": {"model": m}}, {"eval/f1": f1})
        for m, f1 in [("ht:v1", 0.97), ("ht:v2", 0.97), ("ht:v1", 0.96), ("ht:v0", 0.96), ("std:v1", 0.93), ("std:v0", 0.77)]
    ]
    runs = [r.__class__(**{**r.__dict__, "id": f"r{i}"}) for i, r in enumerate(runs)]
    model = lambda r: r.config["params"]["model"]  # noqa: E731
    assert [r.id for r in distinct_model_runs(runs, model, 3)] == ["r0", "r1", "r5"]
    assert [r.id for r in distinct_model_runs(runs, model, 6)] == ["r0", "r1", "r3", "r4", "r5"]
    assert [r.id for r in distinct_model_runs(runs, lambda r: None, 2)] == ["r0", "r5"]  # unknown model: own model
