"""Figures for analyses that ``review`` does not draw: run-against-run status counts,
ECE compared across runs, and n-grams over-represented among errors. Pure: analysis
results in, plotly figures out; text from data goes through ``_plain``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from wbview.charts.core import ARTIFACT_PALETTE, _plain, _plotly, _short
from wbview.charts.review import slice_lift_figure

if TYPE_CHECKING:
    import plotly.graph_objects as go

STATUS_COLOURS = {"fixed": "#2ca02c", "newly broken": "#d62728", "still wrong": "#ff7f0e", "still right": "#9e9e9e"}


def run_diff_figure(counts: pd.DataFrame, names: tuple[str, str] = ("A", "B")) -> "go.Figure":
    """Samples per status (``RunDiff.counts``) as bars: fixed, newly broken, still
    wrong, still right, with their share of matched samples."""
    go = _plotly()
    statuses = counts["status"].tolist()
    fig = go.Figure(go.Bar(
        x=statuses, y=counts["rows"].tolist(), marker_color=[STATUS_COLOURS.get(s, "#1f77b4") for s in statuses],
        text=[f"{share:.1%}" for share in counts["share"]], textposition="outside",
        hovertemplate="%{x}<br>%{y:,} samples<extra></extra>"))
    title = f"{_plain(_short(names[0], 30))} → {_plain(_short(names[1], 30))}"
    fig.update_layout(height=340, margin={"l": 40, "r": 20, "t": 40, "b": 40}, title={"text": title, "x": 0},
                      yaxis={"title": "samples"}, xaxis={"type": "category"})
    return fig


def ece_figure(ece: pd.DataFrame) -> "go.Figure":
    """Expected calibration error per class, one bar group per run (``Calibration.ece``
    from ``compare_calibration``; a frame without ``run`` draws one series)."""
    go = _plotly()
    runs = list(dict.fromkeys(ece["run"])) if "run" in ece.columns else [None]
    fig = go.Figure()
    for i, run in enumerate(runs):
        part = ece if run is None else ece[ece["run"] == run]
        fig.add_trace(go.Bar(
            x=[_plain(_short(str(c), 30)) for c in part["class"]], y=part["ece"].tolist(),
            name=_plain(_short(str(run), 40)) if run is not None else "table",
            marker_color=ARTIFACT_PALETTE[i % len(ARTIFACT_PALETTE)], customdata=part["rows"].tolist(),
            hovertemplate="%{x}<br>ECE %{y:.4f}<br>%{customdata:,} rows<extra></extra>"))
    fig.update_layout(barmode="group", height=320, margin={"l": 40, "r": 20, "t": 20, "b": 40},
                      yaxis={"title": "expected calibration error", "rangemode": "tozero"},
                      xaxis={"type": "category"}, legend={"orientation": "h", "y": -0.2})
    return fig


def ngram_figure(ranked: pd.DataFrame, top: int = 20) -> "go.Figure":
    """The top n-grams' rates (``rank_ngrams``) with Wilson intervals, drawn like the
    slice ranking: one bar per "contains <n-gram>" slice, best at the top."""
    shown = ranked.head(top)
    as_slices = shown.assign(feature="contains", slice=[f"“{g}”" for g in shown["ngram"]])
    rate_label = "FN rate" if (shown["target"] == "fn").all() else "error rate"
    return slice_lift_figure(as_slices, rate_label)
