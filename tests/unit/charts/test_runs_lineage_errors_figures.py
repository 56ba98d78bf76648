"""charts.core: figure builders carry the data, distinguish node kinds, never pass markup through."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from wbview.analysis.groups import ColumnHistogram
from wbview.charts.errors import confusion_figure, group_histograms_chart, outcome_colours
from wbview.charts.lineage import lineage_figure
from wbview.charts.lineage_layout import layout_lineage
from wbview.charts.runs import metric_curves, parallel_coordinates
from wbview.records import LineageEdge, LineageGraph, LineageNode

PAYLOAD = "<img src=x onerror=alert(1)>"


def test_parallel_coordinates_encode_categories_as_ticks_and_escape_labels():
    frame = pd.DataFrame({"params.lr": [0.1, 0.2], "params.enc": [PAYLOAD, "ht"], "summary.f1": [0.8, 0.9]})
    fig = parallel_coordinates(frame, ["params.lr", "params.enc", "summary.f1"], "summary.f1")
    dims = fig.data[0].dimensions
    assert list(dims[0].values) == [0.1, 0.2]
    assert list(dims[1].values) == [0, 1] and dims[1].ticktext[0].startswith("&lt;img")
    assert "<" not in "".join(dims[1].ticktext)
    assert list(fig.data[0].line.color) == [0.8, 0.9]


def test_metric_curves_one_trace_per_run_with_the_metric():
    histories = {"a": pd.DataFrame({"_step": [0, 1], "loss": [1.0, 0.5]}), "b": pd.DataFrame({"_step": [0], "acc": [1]})}
    fig = metric_curves(histories, "loss")
    assert [t.name for t in fig.data] == ["a"] and list(fig.data[0].y) == [1.0, 0.5]


def test_lineage_figure_tells_runs_artifacts_and_clusters_apart():
    nodes = (
        LineageNode("r", "run", "train"),
        LineageNode("m:v0", "artifact", "m:v0", type="model"),
        LineageNode("d:v0", "artifact", PAYLOAD, type="dataset"),
        LineageNode("more:r:down", "more", "+3 more", hidden_count=3, hidden_ids=("a", "b", "c")),
    )
    graph = LineageGraph("r", nodes, (LineageEdge("d:v0", "r"), LineageEdge("r", "m:v0"), LineageEdge("r", "more:r:down")))
    fig = lineage_figure(layout_lineage(graph))
    by_symbol = {t.marker.symbol: list(t.customdata) for t in fig.data}
    assert by_symbol["square"] == ["r"] and by_symbol["diamond"] == ["more:r:down"]
    artifact_colours = {t.marker.color for t in fig.data if t.marker.symbol == "circle"}
    assert len(artifact_colours) == 2  # one colour per artifact type
    assert len(fig.layout.annotations) == 3  # one arrow per edge
    assert all("<img" not in text for t in fig.data for text in t.text)


def test_confusion_figure_counts_and_highlight():
    matrix = pd.DataFrame([[5, 1], [2, 7]], index=["ham", "phishing"], columns=["ham", "phishing"])
    fig = confusion_figure(matrix, highlight=("phishing", "ham"))
    assert [list(row) for row in fig.data[0].z] == [[5, 1], [2, 7]]
    assert fig.layout.shapes[0].x0 == -0.5 and fig.layout.shapes[0].y0 == 0.5


def test_group_histograms_chart_one_panel_per_group():
    counts = pd.DataFrame({"False": [3, 1], "True": [0, 2]}, index=["ham", "phishing"])
    histogram = ColumnHistogram("Predicted Label", "categorical", counts, None, pd.Series([0, 0], index=["False", "True"]))
    chart = group_histograms_chart([histogram], pd.Series({"False": 4, "True": 2}))
    data = chart.data
    assert data.groupby("panel", sort=False)["n"].apply(list).to_dict() == {"False (4 rows)": [3, 1], "True (2 rows)": [0, 2]}
    assert list(data["bin"]) == ["ham", "phishing"] * 2
    assert np.isclose(data["share"].iloc[3], 1.0)  # 2 of True's 2 rows
    (row,) = chart.spec["vconcat"]
    assert row["title"]["text"] == ["Predicted Label"]
    assert row["facet"]["sort"] == {"field": "group", "op": "min"}  # the panels in the groups' order
    assert data.groupby("panel")["group"].min().to_dict() == {"False (4 rows)": 0, "True (2 rows)": 1}


def test_group_histograms_chart_spec_is_the_same_for_other_rows_of_the_same_columns():
    """A search or a confusion cell changes the counts: only the data may change, so the
    browser updates the chart's data instead of building a new chart."""

    def chart(false_counts: list[int], true_counts: list[int]):
        counts = pd.DataFrame({"False": false_counts, "True": true_counts}, index=["ham", "phishing"])
        sizes = pd.Series({"False": sum(false_counts), "True": sum(true_counts)})
        return group_histograms_chart(
            [ColumnHistogram("Predicted Label", "categorical", counts, None, sizes * 0)], sizes, outcome_colours(sizes.index)
        )

    everything, searched = chart([300, 100], [10, 20]), chart([3, 1], [0, 2])
    assert everything.spec == searched.spec
    assert not everything.data.equals(searched.data)
    assert set(searched.data["panel"]) == {"False (4 rows)", "True (2 rows)"}


def test_group_histograms_chart_a_line_of_panels_per_column_in_order():
    """Every column in one chart, top to bottom in the given order; text from data stays
    a value (Vega draws it as text), never a field name or an expression."""
    sizes = pd.Series({"False": 4, "True": 2})
    names = ["first", "second <b>", "datum.x + 'y'", "third " + "long words " * 10]
    histograms = [
        ColumnHistogram(name, "categorical", pd.DataFrame({"False": [3, 1], "True": [0, 2]}, index=["a", "b"]), None, sizes * 0)
        for name in names
    ]
    chart = group_histograms_chart(histograms, sizes)
    rows = chart.spec["vconcat"]
    assert [r["transform"] for r in rows] == [[{"filter": {"field": "row", "equal": i}}] for i in range(4)]
    assert [" ".join(r["title"]["text"]) for r in rows[:3]] == names[:3]  # as written, not escaped
    assert len(rows[3]["title"]["text"]) > 1 and " ".join(rows[3]["title"]["text"]) == names[3].strip()  # wraps, whole
    assert sorted(chart.data["row"].unique()) == [0, 1, 2, 3]
    fields = json.dumps([r["spec"]["encoding"] for r in rows])
    assert "datum" not in fields and "<b>" not in json.dumps(chart.spec["config"])


def test_group_histograms_chart_wraps_many_groups_and_keeps_shortened_names_apart():
    groups = [f"a-very-long-group-name-{i}-same-end" for i in range(7)]
    sizes = pd.Series(range(1, 8), index=groups)
    counts = pd.DataFrame({g: [1, 2] for g in groups}, index=["x", "y"])
    chart = group_histograms_chart([ColumnHistogram("c", "categorical", counts, None, sizes * 0)], sizes)
    (row,) = chart.spec["vconcat"]
    assert row["columns"] == 3  # 7 panels on 3 lines
    assert chart.data["panel"].nunique() == 7 == chart.data["group"].nunique()
    assert row["spec"]["width"] * 3 <= 760
