"""Figures of error analysis: the confusion matrix and per-group histograms."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import pandas as pd

from wbview.charts.style import (
    ARTIFACT_PALETTE,
    CORRECT_COLOUR,
    ERROR_COLOUR,
    READABLE_FONT,
    READABLE_TICKS,
    plain,
    plotly,
    projector,
    short,
    title_lines,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from wbview.analysis.groups import ColumnHistogram


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


def group_histogram_figure(
    histogram: ColumnHistogram, group_sizes: pd.Series, colours: Mapping[str, str] | None = None
) -> go.Figure:
    """One column's histogram for each group, side by side (one panel per group, shared
    bins), as in W&B's "Group by" table view; bars are counts, hover shows the group share.
    Panels are laid out by hand in one constructor call: make_subplots and update_layout
    validate the figure again at every step (0.6 s for a page of eight charts)."""
    go = plotly()
    groups = list(histogram.counts.columns)
    n_panels, gap = max(1, len(groups)), 0.04
    width = (1 - gap * (n_panels - 1)) / n_panels
    bins = [plain(short(str(b), 24)) for b in histogram.counts.index]
    layout: dict = {"annotations": []}
    traces = []
    for i, group in enumerate(groups):
        axis = "" if i == 0 else str(i + 1)
        x0 = i * (width + gap)
        # Tick fonts set on each axis: Streamlit's chart theme sets them there, over layout.font.
        layout[f"xaxis{axis}"] = {"domain": [x0, x0 + width], "anchor": f"y{axis}", "tickfont": READABLE_TICKS}
        layout[f"yaxis{axis}"] = {"anchor": f"x{axis}", "tickfont": READABLE_TICKS}
        layout["annotations"].append(
            {
                "text": plain(f"{short(str(group), 20)} ({int(group_sizes.get(group, 0)):,} rows)"),
                "x": x0 + width / 2,
                "y": 1.0,
                "xref": "paper",
                "yref": "paper",
                "xanchor": "center",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 14},
            }
        )
        counts = histogram.counts[group]
        total = max(int(counts.sum()), 1)
        traces.append(
            {
                "type": "bar",
                "x": bins,
                "y": counts.tolist(),
                "name": plain(group),
                "showlegend": False,
                "xaxis": f"x{axis}",
                "yaxis": f"y{axis}",
                "customdata": [c / total for c in counts],
                "marker": {"color": (colours or {}).get(str(group), ARTIFACT_PALETTE[i % len(ARTIFACT_PALETTE)])},
                "hovertemplate": "%{x}<br>%{y:,} rows (%{customdata:.1%} of the group)<extra></extra>",
            }
        )
    label = histogram.column + (" (text length)" if histogram.kind == "text_length" else "")
    layout.update(
        title={"text": title_lines(label), "x": 0, "font": {"size": 17}},
        height=280,
        font=READABLE_FONT,
        margin={"l": 40, "r": 10, "t": 66, "b": 40},
        bargap=0.05,
    )
    return projector(go.Figure(data=traces, layout=layout))
