"""charts.core: figure builders carry the data, distinguish node kinds, never pass markup through."""

from __future__ import annotations

import pandas as pd

from wbview.charts.errors import confusion_figure
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
