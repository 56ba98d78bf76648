"""runs_table: runs -> DataFrame, filter widgets chosen from values, their choices as
RunFilters (the CLI's filter vocabulary) and back, grouping."""

from __future__ import annotations

import pytest

from wbview.analysis.runs import (
    FilterSpec,
    choices_from,
    config_columns,
    filter_spec,
    filter_specs,
    group_table,
    numeric_columns,
    run_filter,
    runs_frame,
    summary_columns,
    varying_params,
)
from wbview.filters import parse_filters
from wbview.records import Run


def _run(rid, job_type="train", group=None, tags=(), config=None, summary=None):
    return Run(
        id=rid,
        entity="e",
        project="p",
        name=f"n-{rid}",
        job_type=job_type,
        group=group,
        tags=tags,
        config=config or {},
        summary=summary or {},
    )


RUNS = [
    _run(
        "a",
        group="g1",
        tags=("base", "x"),
        config={"params": {"lr": 0.1, "enc": "ht"}, "meta": {"task": "t"}, "id": 7},
        summary={"eval/f1": 0.9, "_runtime": 3, "hist": {"bins": [1, 2]}},
    ),
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
    assert numeric_columns(frame, ["params.lr", "params.enc", "params.flag", "summary.eval/f1"]) == [
        "params.lr",
        "summary.eval/f1",
    ]


@pytest.mark.parametrize(
    "column, expected",
    [
        ("params.lr", FilterSpec("params.lr", "numeric", low=0.1, high=0.3, path=("config", ("params", "lr")))),
        (
            "params.enc",
            FilterSpec("params.enc", "categorical", ("h", "ht"), path=("config", ("params", "enc")), values=("h", "ht")),
        ),
        # values present only: W&B never matches a run without the key, so there is no "(none)"
        ("params.flag", FilterSpec("params.flag", "categorical", ("True",), path=("config", ("params", "flag")), values=(True,))),
        ("job_type", FilterSpec("job_type", "categorical", ("eval", "train"), values=("eval", "train"))),
        ("group", FilterSpec("group", "categorical", ("g1",), values=("g1",))),
        ("tags", FilterSpec("tags", "tags", ("base", "x"))),
        ("meta.task", FilterSpec("meta.task", "categorical", ("t",), path=("config", ("meta", "task")), values=("t",))),
        ("summary.eval/f1", FilterSpec("summary.eval/f1", "numeric", low=0.8, high=0.9, path=("summary", ("eval/f1",)))),
        ("nope", None),
    ],
)
def test_filter_widget_is_chosen_from_the_values_present(column, expected):
    assert filter_spec(runs_frame(RUNS), column) == expected


def test_constant_columns_get_no_widget():
    frame = runs_frame([_run("a", config={"params": {"k": 1}}), _run("b", config={"params": {"k": 1}})])
    assert [s.column for s in filter_specs(frame)] == []


@pytest.mark.parametrize(
    "chosen, ids, texts",
    [
        ({}, ["a", "b", "c"], []),
        ({"f.job_type": ["train"]}, ["a", "b"], ["job_type in train"]),
        ({"f.group": ["g1"]}, ["a", "b"], ["group in g1"]),
        ({"f.params.flag": ["True"]}, ["c"], ["params.flag in true"]),
        ({"f.params.lr": (0.15, 0.3)}, ["b", "c"], ["params.lr>=0.15"]),
        ({"f.params.lr": (0.1, 0.3)}, ["a", "b", "c"], []),  # the full range does not filter
        ({"f.summary.eval/f1": (0.85, 0.9)}, ["a"], ["eval/f1>=0.85"]),  # narrowed: runs without it drop out
        ({"f.tags": ["x"]}, ["a", "b"], ["tags in x"]),
        ({"f.tags": ["base"], "f.params.enc": ["ht"]}, ["a"], ["tags in base", "params.enc in ht"]),
        ({"f.params.enc": ["h"], "f.job_type": ["eval"]}, [], ["job_type in eval", "params.enc in h"]),
    ],
)
def test_widget_choices_are_run_filters_in_the_cli_vocabulary(chosen, ids, texts):
    frame = runs_frame(RUNS)
    specs = filter_specs(frame)
    combined = run_filter(specs, chosen)
    assert [r.id for r in RUNS if combined.matches(r)] == ids
    assert sorted(combined.to_text()) == sorted(texts)
    # the URL's texts parse back to the same filter and seed the same widget choices
    parsed = parse_filters(combined.to_text())
    assert [r.id for r in RUNS if parsed.matches(r)] == ids
    seeded, rest = choices_from(specs, parsed)
    assert rest.is_empty
    assert {k: list(v) if isinstance(v, list) else tuple(v) for k, v in seeded.items()} == {
        k: list(v) if isinstance(v, list) else tuple(v)
        for k, v in chosen.items()
        if not (k == "f.params.lr" and tuple(v) == (0.1, 0.3))
    }


def test_a_link_condition_no_widget_shows_is_kept_as_the_rest():
    specs = filter_specs(runs_frame(RUNS))
    linked = parse_filters(["params.lr>0.15", "job_type in train"])
    seeded, rest = choices_from(specs, linked)
    assert seeded == {"f.job_type": ["train"]}
    assert rest.to_text() == ["params.lr>0.15"]


@pytest.mark.parametrize(
    "texts",
    [
        ["job_type in nope"],  # a value no run has
        ["params.enc in ht,zzz"],
        ["params.enc in ht", "params.enc=h"],  # two conditions on one key: no one widget choice says that
    ],
)
def test_a_link_value_no_widget_offers_stays_a_condition(texts):
    specs = filter_specs(runs_frame(RUNS))
    linked = parse_filters(texts)
    seeded, rest = choices_from(specs, linked)
    assert seeded == {} and rest == linked  # still applied, and listed on the page


def test_a_dotted_config_key_keeps_its_path():
    runs = [_run("a", config={"model.type": "cnn"}), _run("b", config={"model.type": "mlp"})]
    frame = runs_frame(runs)
    spec = filter_spec(frame, "model.type")
    combined = spec.to_filter(["cnn"])
    assert combined.conditions[0].keys == ("model.type",)  # one key with a dot, not model -> type
    assert [r.id for r in runs if combined.matches(r)] == ["a"]


def test_group_table_counts_and_means():
    frame = runs_frame(RUNS)
    table = group_table(frame, "group", ["summary.eval/f1"])
    assert table.to_dict("list") == {
        "group": ["(none)", "g1"],
        "runs": [1, 2],
        "mean summary.eval/f1": [pytest.approx(float("nan"), nan_ok=True), pytest.approx(0.85)],
    }


def test_empty_runs_give_an_empty_frame_with_base_columns():
    frame = runs_frame([])
    assert frame.empty and "id" in frame.columns
    assert filter_specs(frame) == []
    assert run_filter([], {}).is_empty


def test_varying_params_are_shared_by_every_run_and_differ():
    frame = runs_frame(RUNS)
    assert varying_params(frame) == ["params.enc", "params.lr"]  # params.flag is missing in two runs
    assert varying_params(frame.iloc[:1]) == []


def _board_runs():
    from wbview.records import Run

    return [
        Run(
            id="a",
            entity="e",
            project="p",
            name="exp-a",
            job_type="eval",
            config={"params": {"lr": 0.1, "enc": "x", "epochs": 3}},
            summary={"eval/f1": 0.80, "eval/loss": 0.5},
        ),
        Run(
            id="b",
            entity="e",
            project="p",
            name="exp-b",
            job_type="eval",
            config={"params": {"lr": 0.2, "enc": "x", "epochs": 3}},
            summary={"eval/f1": 0.90, "eval/loss": 0.3},
        ),
        Run(
            id="c",
            entity="e",
            project="p",
            name="exp-c",
            job_type="eval",
            config={"params": {"lr": 0.3, "enc": "y", "epochs": 3}},
            summary={"eval/loss": 0.4},
        ),
    ]


@pytest.mark.parametrize(
    "metric, ids, first_columns",
    [
        ("summary.eval/f1", ["b", "a", "c"], ["name", "id", "summary.eval/f1", "params.enc", "params.lr", "summary.eval/loss"]),
        ("summary.eval/loss", ["b", "c", "a"], ["name", "id", "summary.eval/loss", "params.enc", "params.lr", "summary.eval/f1"]),
        (None, ["a", "b", "c"], ["name", "id", "params.enc", "params.lr"]),
    ],
)
def test_leaderboard_ranks_best_first_and_puts_what_differs_first(metric, ids, first_columns):
    from wbview.analysis.runs import leaderboard, runs_frame

    frame, columns = leaderboard(runs_frame(_board_runs()), metric)
    assert list(frame["id"]) == ids
    assert columns[: len(first_columns)] == first_columns
    assert columns.index("params.epochs") > columns.index("job_type")  # the same for every run: at the back
    assert "group" not in columns and "url" not in columns  # empty for these runs: hidden


@pytest.mark.parametrize(
    "metric, lower",
    [
        ("summary.eval/f1", False),
        ("summary.train/loss", True),
        ("summary.eval/error_rate", True),
        ("summary.eval/roc_auc", False),
    ],
)
def test_lower_is_better(metric, lower):
    from wbview.analysis.runs import lower_is_better

    assert lower_is_better(metric) is lower


@pytest.mark.parametrize(
    ("column", "server"),
    [
        ("summary.eval/f1", "-summary_metrics.eval/f1"),  # higher is better
        ("summary.train/loss", "+summary_metrics.train/loss"),  # a loss: lowest first
        ("summary.a.b", "-summary_metrics.a.b"),  # a summary key with a dot in its name
        ("params.lr", "-config.params.value.lr"),
        (None, "-created_at"),  # no metric: newest first
    ],
)
def test_best_first_is_the_order_the_source_sorts_by(column, server):
    from wbview.analysis.runs import best_first, runs_frame

    frame = runs_frame([_run("r1", config={"params": {"lr": 1e-3}}, summary={"eval/f1": 0.9, "train/loss": 0.2, "a.b": 1})])
    order = best_first(frame, column)
    assert order.to_server() == server
    if column == "summary.a.b":
        assert order.keys == ("a.b",)  # one key, not a nested path
