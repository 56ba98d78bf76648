"""Pure helpers and figure builders behind the analysis pages (no streamlit)."""

from __future__ import annotations

import math
from datetime import UTC

import numpy as np
import pandas as pd
import pytest

from wbview.analysis import calibration, slices, stacking
from wbview.analysis import selection as views
from wbview.analysis import threshold as th
from wbview.analysis.prepare import prepare
from wbview.charts import calibration as calibration_charts
from wbview.charts import slices as slice_charts
from wbview.charts import stacked as stacked_charts
from wbview.charts import threshold as threshold_charts
from wbview.records import Run, TableRef


def _ref(key: str, artifact: str = "a:v0") -> TableRef:
    return TableRef(run_id="r", key=key, artifact=artifact, entry=f"{key}.table.json")


def _run(run_id: str, *keys: str) -> Run:
    return Run(
        id=run_id,
        entity="e",
        project="p",
        name=f"name-{run_id}",
        config={"params": {"lr": 0.1}},
        tables=tuple(_ref(k, f"{run_id}-{k}:v0") for k in keys),
    )


def test_eval_runs_and_table_keys_most_common_first():
    runs = [_run("a", "eval/p", "eval/q"), _run("b", "eval/p"), _run("c")]
    assert [r.id for r in views.eval_runs(runs)] == ["a", "b"]
    assert views.table_keys(runs) == ["eval/p", "eval/q"]
    assert views.table_for_key(runs[0], "eval/q").key == "eval/q"
    assert views.table_for_key(runs[1], "eval/q") is None
    assert views.table_name(runs[1].tables[0]) == "b-eval/p:v0/eval/p.table.json"


@pytest.mark.parametrize(
    "used, types, expected",
    [
        (("model:v1", "data:v2"), {"model:v1": "model", "data:v2": "dataset"}, "data:v2"),
        (("model:v1",), {"model:v1": "model"}, None),
        ((), {}, None),
        (("b:v0", "a:v1"), {"a:v1": "dataset", "b:v0": "dataset"}, "a:v1 + b:v0"),  # order-free
        (("x:v0",), {}, None),  # unknown type (unreadable artifact) is not a dataset
    ],
)
def test_scored_dataset(used, types, expected):
    assert views.scored_dataset(used, types) == expected


@pytest.mark.parametrize("n, max_rows, keep", [(10, 20, []), (10_000, 100, [4321]), (5, 2, [3])])
def test_thin_rows_keeps_ends_and_chosen_positions(n, max_rows, keep):
    frame = pd.DataFrame({"x": np.arange(n)})
    thinned = views.thin_rows(frame, max_rows, keep=keep)
    assert len(thinned) <= max(max_rows + len(keep), 0) or n <= max_rows
    values = set(thinned["x"])
    assert {0, n - 1, *keep} <= values
    assert list(thinned["x"]) == sorted(values)  # order kept


@pytest.mark.parametrize("threshold, position", [(0.0, 0), (0.2, 0), (0.3, 1), (0.35, 1), (0.9, 2), (math.inf, 3)])
def test_curve_position_is_the_row_that_applies(threshold, position):
    curve = th.curve_from_arrays(np.array([0, 1, 1]), np.array([0.2, 0.3, 0.9]))
    assert list(curve["threshold"]) == [0.2, 0.3, 0.9, math.inf]
    assert views.curve_position(curve, threshold) == position


@pytest.mark.parametrize("value, text", [(None, "unknown"), (math.inf, "∞ (flag nothing)"), (0.123456, "0.1235"), (0.5, "0.5")])
def test_format_threshold(value, text):
    assert views.format_threshold(value) == text


def test_operating_metrics_format_and_deltas():
    y, s = np.array([1, 1, 0, 0]), np.array([0.9, 0.4, 0.6, 0.1])
    table = prepare(pd.DataFrame({"True Label": np.where(y == 1, "spam", "ham"), "Prob (spam)": s, "Prob (ham)": 1 - s}))
    now, before = th.operating_point(table, 0.3), th.operating_point(table, 0.5)
    rows = {label: (value, delta) for label, value, delta in views.operating_metrics(now, before)}
    assert rows["Recall"] == ("100.0%", "+50.00 pp")
    assert rows["Missed (FN)"] == ("0", "-1")
    assert rows["FP rate"] == ("50.0%", "+0.00 pp")
    nothing = th.operating_point(table, math.inf)
    assert dict((k, v) for k, v, _ in views.operating_metrics(nothing))["Precision"] == "–"  # undefined, not "nan%"


def test_rate_columns_slice_and_cohort_labels():
    config = views.rate_columns(["feature", "rate", "lift_low", "coverage"])
    assert config["rate"]["type_config"]["format"] == "percent"
    assert config["lift_low"]["type_config"]["format"] == "%.2f"
    assert "feature" not in config
    ranked = pd.DataFrame({"feature": ["len", "domain"], "slice": ["<10", "a.com"]})
    assert views.slice_labels(ranked) == {"len = <10": ("len", "<10"), "domain = a.com": ("domain", "a.com")}
    node = pd.DataFrame({"node": [3], "path": ["len < 10"], "rate": [0.25], "rows": [1200]}).iloc[0]
    assert views.cohort_label(node) == "#3 len < 10 (25.0% of 1,200)"


def test_stack_inputs_carry_run_fields_and_flat_config():
    runs = [_run("a", "k"), _run("b", "k")]
    frames = {"a": pd.DataFrame({"x": [1]})}
    inputs = views.stack_inputs(runs, frames)
    assert list(inputs) == ["name-a (a)"]
    frame, config, fields = inputs["name-a (a)"]
    assert config == {"params.lr": 0.1} and fields == {"run_id": "a", "run_name": "name-a"}


# --- figures ---------------------------------------------------------------------------


def _binary_table(n: int = 400, seed: int = 0):
    rng = np.random.default_rng(seed)
    truth = rng.random(n) < 0.4
    p = np.clip(np.where(truth, rng.beta(5, 2, n), rng.beta(2, 5, n)), 0, 1)
    text = [("see http://evil.example <b>now</b>" if t else "lunch?") + f" {i}" for i, t in enumerate(truth)]
    return prepare(
        pd.DataFrame(
            {"Decoded Text": text, "True Label": np.where(truth, "phishing", "ham"), "Prob (phishing)": p, "Prob (ham)": 1 - p}
        )
    )


def _layers(spec: dict) -> list[dict]:
    """A layered spec's unit layers, nested layers flattened."""
    return [unit for layer in spec["layer"] for unit in (_layers(layer) if "layer" in layer else [layer])]


def test_threshold_chart_marks_chosen_and_logged():
    curve = th.threshold_curve(_binary_table())
    chart = threshold_charts.threshold_chart(curve, 0.42, 0.5)
    finite = curve[np.isfinite(curve["threshold"])]
    lines = chart.data[chart.data["mark"].isna()]
    assert len(lines) == len(curve) - 1  # every finite threshold, no +inf point
    for column, name, _ in threshold_charts.CURVE_LINES:
        assert lines[name].tolist() == finite[column].tolist()
    assert lines["cost"].tolist() == finite["expected_cost"].tolist()
    (rates,) = [layer for layer in _layers(chart.spec) if any("fold" in t for t in layer.get("transform", []))]
    assert rates["transform"][-1]["fold"] == ["Precision", "Recall", "FN rate", "FP rate"]
    marks = chart.data[chart.data["mark"].notna()]
    assert sorted(zip(marks["threshold"], marks["mark"], marks["align"], strict=True)) == [
        (0.42, "chosen", "right"),  # the lower mark's label points left
        (0.5, "logged", "left"),
    ]


def test_moving_the_threshold_changes_only_the_threshold_chart_s_data():
    """The browser rebuilds a Vega chart whose spec changed, and only replaces the data of
    one whose spec stayed: a threshold move must leave the spec as it was."""
    curve = th.threshold_curve(_binary_table())
    first, moved = threshold_charts.threshold_chart(curve, 0.42, 0.5), threshold_charts.threshold_chart(curve, 0.61, 0.5)
    assert first.spec == moved.spec
    assert first.data["threshold"].tolist() != moved.data["threshold"].tolist()


def test_threshold_chart_hover_snaps_to_at_most_hover_points():
    curve = pd.DataFrame(
        {c: np.linspace(0, 1, 1_001) for c in ("threshold", "precision", "recall", "fn_rate", "fp_rate", "expected_cost")}
    )
    chart = threshold_charts.threshold_chart(curve)
    assert 0 < int(chart.data["hover"].sum()) <= threshold_charts.HOVER_POINTS
    assert bool(chart.data["hover"].iloc[0])  # the lowest threshold is among them
    assert chart.data["mark"].isna().all()  # no threshold given: no mark


def test_reliability_figure_one_line_per_run_without_empty_bins():
    table = _binary_table()
    result = calibration.compare_calibration({"<script>run</script>": table, "b": table}, n_bins=20)
    fig = calibration_charts.reliability_figure(result.bins, "phishing")
    assert [t.name for t in fig.data] == ["perfectly calibrated", "&lt;script&gt;run&lt;/script&gt;", "b"]
    assert len(fig.data[1].x) == int((result.bins[result.bins["run"] == "b"]["rows"] > 0).sum())


def test_slice_tree_and_rate_figures_escape_data_text():
    table = _binary_table()
    ranked = slices.rank_slices(table, min_rows=10)
    chart = slice_charts.slice_lift_chart(ranked.head(5), "error rate")
    assert len(chart.data) == 5 and chart.data["rate"].tolist() == ranked["rate"].head(5).tolist()
    tree = slices.error_tree(table, max_depth=2)
    icicle = slice_charts.error_tree_figure(tree.nodes).data[0]
    assert list(icicle.values) == list(tree.nodes["rows"]) and icicle.parents[0] == ""
    stacked = stacking.stack_tables({"r<1>": (table.frame, {"lr": 1}), "r2": (table.frame, {"lr": 2})})
    rates = stacking.error_rates_by(stacked, "run")
    bars = stacked_charts.error_rate_figure(rates, "run").data[0]
    assert sorted(bars.x) == ["r&lt;1&gt;", "r2"]  # markup escaped
    assert list(bars.x) == [str(v).replace("<", "&lt;").replace(">", "&gt;") for v in rates["run"]]  # table order


@pytest.mark.parametrize(
    ("text", "limit", "shown"),
    [
        ("short", 10, "short"),
        ("x" * 10, 10, "x" * 10),
        ("x" * 11, 10, "x" * 10 + "… (1 more characters; the CSV export has them all)"),
        ("é" * 25, 5, "é" * 5 + "… (20 more characters; the CSV export has them all)"),
    ],
)
def test_clip_text(text, limit, shown):
    assert views.clip_text(text, limit) == shown


def test_for_display_cuts_only_long_text_cells_of_the_rows_shown():
    huge = "A" * 300_000
    frame = pd.DataFrame(
        {
            "text": ["ok", huge, None, "fine"],
            "tokens": [["a"], [], ["b"], ["c"]],
            "n": [1, 2, 3, 4],
            "label": pd.Series(["x", "y" * 50, "z", "w"], dtype="string"),
        }
    )
    shown = views.for_display(frame, max_rows=3, max_chars=20)
    assert len(shown) == 3
    assert shown["text"].tolist()[0] == "ok" and shown["text"].isna().tolist() == [False, False, True]
    assert shown["text"][1].startswith("A" * 20 + "… (299,980 more characters")
    assert shown["label"].tolist() == ["x", "y" * 20 + "… (30 more characters; the CSV export has them all)", "z"]
    assert shown["tokens"].tolist() == [["a"], [], ["b"]] and shown["n"].tolist() == [1, 2, 3]
    assert frame["text"][1] == huge  # the frame (store, CSV export) keeps the full value
    plain = frame.drop(index=1)
    assert views.for_display(plain, max_chars=20).equals(plain)


@pytest.mark.parametrize("storage", ["python", "pyarrow"])
def test_for_display_counts_characters_of_a_string_column_with_missing_values(storage):
    # 20 characters of 2 bytes each is not over a 20-character limit; 21 is
    column = pd.Series(["é" * 20, None, "é" * 21], dtype=pd.StringDtype(storage))
    shown = views.for_display(pd.DataFrame({"t": column}), max_chars=20)
    assert shown["t"][0] == "é" * 20 and pd.isna(shown["t"][1])
    assert shown["t"][2] == "é" * 20 + "… (1 more characters; the CSV export has them all)"
    assert views.for_display(pd.DataFrame({"t": column[:2]}), max_chars=20)["t"][0] == "é" * 20


def _timed(run_id: str, minute: int | None, f1: float | None = None, tags: tuple[str, ...] = ()) -> Run:
    from datetime import datetime, timedelta

    created = None if minute is None else datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minute)
    return Run(
        id=run_id,
        entity="e",
        project="p",
        name=run_id,
        created_at=created,
        tags=tags,
        summary={} if f1 is None else {"eval/f1": f1},
    )


@pytest.mark.parametrize(
    "runs, expected",
    [
        ([], None),
        ([_timed("a", 1), _timed("b", 2)], "b"),  # no score: the most recent
        ([_timed("new", 3, 0.80), _timed("best", 1, 0.93), _timed("mid", 2, 0.90)], "best"),  # order given: newest first
        ([_timed("old", 1, 0.93), _timed("new", 2, 0.93)], "new"),  # equal scores: the most recent
        ([_timed("unscored", 5), _timed("scored", 1, 0.5)], "scored"),
        ([_timed("none", None, 0.9), _timed("dated", 1, 0.9)], "dated"),
    ],
)
def test_default_eval_run_is_the_best_scoring_then_the_newest(runs, expected):
    assert views.default_eval_run(runs) == expected


@pytest.mark.parametrize(
    "runs, expected",
    [
        ([], (None, None)),
        ([_timed("only", 1)], ("only", "only")),
        ([_timed("c", 3), _timed("a", 1), _timed("b", 2)], ("b", "c")),  # the run before the newest
        ([_timed("c", 3), _timed("base", 1, tags=("baseline",)), _timed("b", 2)], ("base", "c")),
        ([_timed("base", 3, tags=("baseline",)), _timed("a", 1)], ("a", "base")),  # the baseline is the newest: B
    ],
)
def test_default_comparison_goes_from_older_or_baseline_to_newest(runs, expected):
    assert views.default_comparison(runs) == expected


@pytest.mark.parametrize(
    "name, run_id, label", [("exp-002-eval", "ab12", "exp-002-eval (ab12)"), ("", "ab12", "ab12"), ("ab12", "ab12", "ab12")]
)
def test_run_choice_label_is_name_then_id(name, run_id, label):
    assert views.run_choice_label(Run(id=run_id, entity="e", project="p", name=name)) == label


def test_model_evaluations_flag_the_run_on_other_data():
    uses = [
        ("m:v1", "eval-a", "a", "texts:v0"),
        ("m:v1", "eval-b", "b", "texts:v0"),
        ("m:v1", "eval-c", "c", "texts:v1"),
        ("m:v1", "eval-c", "c", "texts:v1"),  # seen twice in the graph: listed once
        ("m:v2", "eval-d", "d", None),
    ]
    table = views.model_evaluations(uses)
    assert list(table.columns) == views.EVALUATION_COLUMNS
    assert list(table["run id"]) == ["a", "b", "c", "d"]
    assert list(table["dataset version(s)"]) == ["texts:v0", "texts:v0", "texts:v1", views.NO_DATASET]
    assert list(table["note"] != "") == [False, False, True, False]
    assert "texts:v0" in table["note"].iloc[2]
    (warning,) = views.model_dataset_warnings(table)
    assert warning.startswith("The eval runs of m:v1 scored 2 different dataset versions")
    assert "texts:v0: eval-a, eval-b; texts:v1: eval-c" in warning


def test_model_evaluations_on_one_dataset_warn_nothing():
    table = views.model_evaluations([("m:v1", "e1", "1", "d:v0"), ("m:v1", "e2", "2", "d:v0")])
    assert set(table["note"]) == {""} and views.model_dataset_warnings(table) == []
