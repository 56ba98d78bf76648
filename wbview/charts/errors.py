"""Figures of error analysis: the confusion matrix (plotly) and the outcome colours of the
per-group histograms (drawn by wbview.charts.histograms)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pandas as pd

from wbview.charts.style import (
    CORRECT_COLOUR,
    ERROR_COLOUR,
    READABLE_FONT,
    plain,
    plotly,
    projector,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go


def confusion_figure(matrix: pd.DataFrame, highlight: tuple[str, str] | None = None) -> go.Figure:
    """A confusion matrix (rows: true label, columns: predicted label) as an annotated heatmap."""
    go = plotly()
    true_labels = [plain(v) for v in matrix.index]
    predicted = [plain(v) for v in matrix.columns]
    counts = matrix.to_numpy()
    fig = go.Figure(
        go.Heatmap(
            z=counts.tolist(),
            x=predicted,
            y=true_labels,
            colorscale="Blues",
            showscale=False,
            text=[[f"{int(v):,}" for v in row] for row in counts],
            texttemplate="%{text}",
            hoverinfo="skip",
        )
    )
    # Heatmaps cannot be selected in plotly: an invisible marker on each cell makes a click
    # select that cell, with the raw class names as customdata.
    cells = [(t, p) for t in matrix.index for p in matrix.columns]
    fig.add_trace(
        go.Scatter(
            x=[plain(p) for _, p in cells],
            y=[plain(t) for t, _ in cells],
            mode="markers",
            showlegend=False,
            customdata=[[str(t), str(p)] for t, p in cells],
            text=[f"{int(matrix.loc[t, p]):,}" for t, p in cells],
            hovertemplate="true %{y}<br>predicted %{x}<br>%{text} rows (click to filter)<extra></extra>",
            marker={"symbol": "square", "size": 40, "color": "rgba(0,0,0,0)"},
        )
    )
    if highlight is not None and highlight[0] in matrix.index and highlight[1] in matrix.columns:
        row, col = list(matrix.index).index(highlight[0]), list(matrix.columns).index(highlight[1])
        fig.add_shape(type="rect", x0=col - 0.5, x1=col + 0.5, y0=row - 0.5, y1=row + 0.5, line={"color": "#d62728", "width": 3})
    fig.update_layout(
        font=READABLE_FONT,
        xaxis_title="predicted",
        yaxis_title="true",
        yaxis={"autorange": "reversed"},
        height=120 + 60 * len(true_labels),
        margin={"t": 20},
    )
    return projector(fig)


def outcome_colours(groups: Iterable[object]) -> dict[str, str]:
    """Colours for groups of an is-error column: errors in the warning colour, correct rows
    in a quiet one (so a room reads red as 'wrong' at a glance)."""
    return {str(g): ERROR_COLOUR if str(g).lower() in ("true", "1", "error") else CORRECT_COLOUR for g in groups}
