"""Figures of error analysis: the confusion matrix (plotly) and the per-group histograms
(one Vega-Lite chart)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from wbview.charts.style import (
    ARTIFACT_PALETTE,
    CORRECT_COLOUR,
    ERROR_COLOUR,
    READABLE_FONT,
    VEGA_SVG,
    VegaChart,
    kept_apart,
    plain,
    plotly,
    projector,
    short,
    title_text,
    vega_config,
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


HISTOGRAM_WIDTH_PX = 760  # every group's panels of one column side by side: with the axes, within a 1366 px window's main column
HISTOGRAM_PANEL_GAP_PX = 24
HISTOGRAM_PLOT_PX = 170  # one panel's bars
HISTOGRAM_PANELS_PER_LINE = 3  # more groups wrap onto further lines of panels
HISTOGRAM_BIN_CHARS = 24


@dataclass(frozen=True)
class HistogramsChart(VegaChart):
    """The group-by histograms: ``data`` has a row per column, group and bin."""


def group_histograms_chart(
    histograms: Sequence[ColumnHistogram], group_sizes: pd.Series, colours: Mapping[str, str] | None = None
) -> HistogramsChart:
    """Every column's histogram for each group in one chart: a title and a line of panels per
    column (shared bins; a panel per group, as in W&B's "Group by" table view), top to bottom.
    Bars are counts; hover shows the bin, the count and the group share.

    Whatever depends on the rows (panel names with their sizes, the order of the groups,
    their colours) is in ``data``, not in ``spec``: a search, a filter or a confusion cell
    changes only the data, and the browser then replaces the chart's data in place instead
    of building a new chart (Streamlit rebuilds a Vega view only when its spec changes).

    Text from data (column names, bin and group labels) reaches Vega-Lite as values only,
    never as a field name or an expression, and Vega draws it as text."""
    groups = [str(g) for g in group_sizes.index]
    for histogram in histograms:  # a group seen only in a histogram still gets its panel
        groups += [str(g) for g in histogram.counts.columns if str(g) not in groups]
    # a panel's name is its group's, shortened, with its size
    names = kept_apart([f"{short(g, 20)} ({int(group_sizes.get(g, 0)):,} rows)" for g in groups])
    panel_names = dict(zip(groups, names, strict=True))
    colour_of = {g: (colours or {}).get(g, ARTIFACT_PALETTE[i % len(ARTIFACT_PALETTE)]) for i, g in enumerate(groups)}
    per_line = max(1, min(len(groups), HISTOGRAM_PANELS_PER_LINE))
    panel_width = int((HISTOGRAM_WIDTH_PX - HISTOGRAM_PANEL_GAP_PX * (per_line - 1)) / per_line)
    records: list[dict] = []
    rows = []
    for index, histogram in enumerate(histograms):
        bins = [short(str(b), HISTOGRAM_BIN_CHARS) for b in histogram.counts.index]
        for group in histogram.counts.columns:
            counts = histogram.counts[group]
            total = max(int(counts.sum()), 1)
            name, place, colour = panel_names[str(group)], groups.index(str(group)), colour_of[str(group)]
            records += [
                {
                    "row": index,
                    "panel": name,
                    "group": place,
                    "colour": colour,
                    "bin": b,
                    "order": i,
                    "n": int(n),
                    "share": int(n) / total,
                }
                for i, (b, n) in enumerate(zip(bins, counts.tolist(), strict=True))
            ]
        label = histogram.column + (" (text length)" if histogram.kind == "text_length" else "")
        tilted = histogram.kind != "categorical" or any(len(b) > 12 for b in bins)
        rows.append(
            {
                "title": {"text": title_text(label), "anchor": "start", "fontSize": 17, "offset": 8},
                "transform": [{"filter": {"field": "row", "equal": index}}],
                "facet": {
                    "field": "panel",
                    "type": "nominal",
                    "sort": {"field": "group", "op": "min"},
                    "title": None,
                },
                "columns": per_line,
                "spacing": HISTOGRAM_PANEL_GAP_PX,
                "spec": {
                    "width": panel_width,
                    "height": HISTOGRAM_PLOT_PX,
                    "mark": {"type": "bar"},
                    "encoding": {
                        "x": {
                            "field": "bin",
                            "type": "nominal",
                            "sort": {"field": "order"},
                            "title": None,
                            "axis": {"labelAngle": -45 if tilted else 0, "labelLimit": 160},
                        },
                        "y": {"field": "n", "type": "quantitative", "title": None},
                        "color": {"field": "colour", "type": "nominal", "scale": None, "legend": None},
                        "tooltip": [
                            {"field": "bin", "type": "nominal", "title": "bin"},
                            {"field": "n", "type": "quantitative", "format": ",", "title": "rows"},
                            {"field": "share", "type": "quantitative", "format": ".1%", "title": "of the group"},
                        ],
                    },
                },
                "resolve": {"scale": {"y": "independent", "x": "independent"}},
            }
        )
    spec = {
        "usermeta": VEGA_SVG,
        "vconcat": rows,
        "spacing": 28,
        "config": vega_config(),
    }
    return HistogramsChart(
        pd.DataFrame.from_records(records, columns=["row", "panel", "group", "colour", "bin", "order", "n", "share"]), spec
    )
