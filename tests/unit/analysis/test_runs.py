"""runs_table: runs -> DataFrame, filter widgets chosen from values, filtering, grouping."""

from __future__ import annotations

import pandas as pd
import pytest

from wbview.analysis.runs import (
    FilterSpec,
    apply_filters,
    config_columns,
    filter_spec,
    filter_specs,
    group_table,
    numeric_columns,
    runs_frame,
    summary_columns,
    varying_params,
)
from wbview.records import Run


def _run(rid, job_type="train", group=None, tags=(), config=None, summary=None):
    return Run(id=rid, entity="e", project="p", name=f"n-{rid}", job_type=job_type, group=group, tags=tags,
               config=config or {}, summary=summary or {})


RUNS = [
    _run("a", group="g1", tags=("base", "x"), config={"params": {"lr": 0.1, "enc": "ht"}, "meta": {"task": "t"}, "id": 7},
         summary={"eval/f1": 0.9, "_runtime": 3, "hist": {"bins": [1, 2]}}),
    _run("b", group="g1", tags=("x",), config={"params": {"lr": 0.3, "enc": "h"}}, summary={"eval/f1": 0.8}),
    _run("c", job_type="eval", group=None, config={"params": {"lr": 0.2, "enc": "ht", "flag": True}}, summary={"eval/f1": None}),
]


def test_runs_frame_flattens_config_and_summary():
    frame = runs_frame(RUNS)
    assert list(frame["id"]) == ["a", "b", "c"]
    assert frame.loc[0, "params.lr"] == 0.1 and frame.loc[0, "meta.task"] == "t"
    assert frame.loc[0, "config.id"] == 7  # a config key colliding with a run attribute is prefixed
    assert frame.loc[0, "summary.eval/f1"] == 0.9
    assert "summary._runtime" not in frame.columns  # W&B internals dropped
    assert frame.loc[0, "summary.hist.bins"] == "[1, 2]"  # lists become text a table can hold
    assert frame.loc[0, "tags"] == "base, x"


def test_column_groups_put_params_before_meta():
    frame = runs_frame(RUNS)
    assert config_columns(frame)[:3] == ["params.enc", "params.flag", "params.lr"]
    assert config_columns(frame)[3] == "meta.task"
    assert summary_columns(frame) == ["summary.eval/f1", "summary.hist.bins"]
    assert numeric_columns(frame, ["params.lr", "params.enc", "params.flag", "summary.eval/f1"]) == ["params.lr", "summary.eval/f1"]


@pytest.mark.parametrize("column, expected", [
    ("params.lr", FilterSpec("params.lr", "numeric", low=0.1, high=0.3)),
    ("params.enc", FilterSpec("params.enc", "categorical", ("h", "ht"))),
    ("params.flag", FilterSpec("params.flag", "categorical", ("(none)", "True"))),
    ("job_type", FilterSpec("job_type", "categorical", ("eval", "train"))),
    ("group", FilterSpec("group", "categorical", ("(none)", "g1"))),
    ("tags", FilterSpec("tags", "tags", ("base", "x"))),
    ("meta.task", FilterSpec("meta.task", "categorical", ("(none)", "t"))),
    ("summary.eval/f1", FilterSpec("summary.eval/f1", "numeric", low=0.8, high=0.9)),
    ("nope", None),
])
def test_filter_widget_is_chosen_from_the_values_present(column, expected):
    assert filter_spec(runs_frame(RUNS), column) == expected


def test_constant_columns_get_no_widget():
    frame = runs_frame([_run("a", config={"params": {"k": 1}}), _run("b", config={"params": {"k": 1}})])
    assert [s.column for s in filter_specs(frame)] == []


@pytest.mark.parametrize("chosen, ids", [
    ({}, ["a", "b", "c"]),
    ({"f.job_type": ["train"]}, ["a", "b"]),
    ({"f.group": ["(none)"]}, ["c"]),
    ({"f.params.lr": (0.15, 0.3)}, ["b", "c"]),
    ({"f.params.lr": (0.1, 0.3)}, ["a", "b", "c"]),  # the full range does not filter
    ({"f.summary.eval/f1": (0.85, 0.9)}, ["a"]),  # a narrowed range drops runs without the value
    ({"f.tags": ["x"]}, ["a", "b"]),
    ({"f.tags": ["base"], "f.params.enc": ["ht"]}, ["a"]),
    ({"f.params.enc": ["h"], "f.job_type": ["eval"]}, []),
])
def test_apply_filters(chosen, ids):
    frame = runs_frame(RUNS)
    assert list(apply_filters(frame, filter_specs(frame), chosen)["id"]) == ids


def test_group_table_counts_and_means():
    frame = runs_frame(RUNS)
    table = group_table(frame, "group", ["summary.eval/f1"])
    assert table.to_dict("list") == {"group": ["(none)", "g1"], "runs": [1, 2], "mean summary.eval/f1": [pytest.approx(float("nan"), nan_ok=True), pytest.approx(0.85)]}


def test_empty_runs_give_an_empty_frame_with_base_columns():
    frame = runs_frame([])
    assert frame.empty and "id" in frame.columns
    assert filter_specs(frame) == []
    assert isinstance(apply_filters(frame, [], {}), pd.DataFrame)


def test_varying_params_are_shared_by_every_run_and_differ():
    frame = runs_frame(RUNS)
    assert varying_params(frame) == ["params.enc", "params.lr"]  # params.flag is missing in two runs
    assert varying_params(frame.iloc[:1]) == []


def _board_runs():
    from wbview.records import Run

    return [
        Run(id="a", entity="e", project="p", name="exp-a", job_type="eval",
            config={"params": {"lr": 0.1, "enc": "x", "epochs": 3}}, summary={"eval/f1": 0.80, "eval/loss": 0.5}),
        Run(id="b", entity="e", project="p", name="exp-b", job_type="eval",
            config={"params": {"lr": 0.2, "enc": "x", "epochs": 3}}, summary={"eval/f1": 0.90, "eval/loss": 0.3}),
        Run(id="c", entity="e", project="p", name="exp-c", job_type="eval",
            config={"params": {"lr": 0.3, "enc": "y", "epochs": 3}}, summary={"eval/loss": 0.4}),
    ]


@pytest.mark.parametrize("metric, ids, first_columns", [
    ("summary.eval/f1", ["b", "a", "c"], ["name", "id", "summary.eval/f1", "params.enc", "params.lr", "summary.eval/loss"]),
    ("summary.eval/loss", ["b", "c", "a"], ["name", "id", "summary.eval/loss", "params.enc", "params.lr", "summary.eval/f1"]),
    (None, ["a", "b", "c"], ["name", "id", "params.enc", "params.lr"]),
])
def test_leaderboard_ranks_best_first_and_puts_what_differs_first(metric, ids, first_columns):
    from wbview.analysis.runs import leaderboard, runs_frame

    frame, columns = leaderboard(runs_frame(_board_runs()), metric)
    assert list(frame["id"]) == ids
    assert columns[:len(first_columns)] == first_columns
    assert columns.index("params.epochs") > columns.index("job_type")  # the same for every run: at the back
    assert "group" not in columns and "url" not in columns  # empty for these runs: hidden


@pytest.mark.parametrize("metric, lower", [("summary.eval/f1", False), ("summary.train/loss", True),
                                           ("summary.eval/error_rate", True), ("summary.eval/roc_auc", False)])
def test_lower_is_better(metric, lower):
    from wbview.analysis.runs import lower_is_better

    assert lower_is_better(metric) is lower
