"""Run against run: how many rows were fixed, newly broken, still wrong."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from wbview.charts.style import READABLE_FONT, plotly, projector, title_lines

if TYPE_CHECKING:
    import plotly.graph_objects as go


STATUS_COLOURS = {"fixed": "#2ca02c", "newly broken": "#d62728", "still wrong": "#ff7f0e", "still right": "#9e9e9e"}


def run_diff_figure(counts: pd.DataFrame, names: tuple[str, str] = ("A", "B")) -> go.Figure:
    """Samples per status (``RunDiff.counts``) as bars: fixed, newly broken, still
    wrong, still right, with their share of matched samples."""
    go = plotly()
    statuses = counts["status"].tolist()
    fig = go.Figure(
        go.Bar(
            x=statuses,
            y=counts["rows"].tolist(),
            marker_color=[STATUS_COLOURS.get(s, "#1f77b4") for s in statuses],
            text=[f"{share:.1%}" for share in counts["share"]],
            textposition="outside",
            hovertemplate="%{x}<br>%{y:,} samples<extra></extra>",
        )
    )
    title = title_lines(f"{names[0]} → {names[1]}")
    fig.update_layout(
        font=READABLE_FONT,
        height=340,
        margin={"l": 40, "r": 20, "t": 40, "b": 40},
        title={"text": title, "x": 0},
        yaxis={"title": "samples"},
        xaxis={"type": "category"},
    )
    return projector(fig)
