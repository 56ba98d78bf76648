"""Where errors concentrate: slices ranked by lift, the error tree, cohorts, n-grams."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from wbview.charts.style import (
    ERROR_COLOUR,
    READABLE_FONT,
    VEGA_SVG,
    VegaChart,
    kept_apart,
    plain,
    plotly,
    projector,
    short,
    vega_config,
    wrapped,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go


SLICE_LABEL_CHARS = 48
SLICE_BAR_PX = 26  # one slice's line: a bar and its interval


def slice_lift_chart(ranked: pd.DataFrame, rate_label: str) -> VegaChart:
    """The top slices' rates with 95% intervals as horizontal bars (best at the top),
    against a dashed line at the overall rate (its value in the axis title). Vega-Lite, as
    the page's first chart (see VegaChart); hover shows the rate, the rows and the lift."""
    labels = kept_apart(
        [short(f"{f} = {s}", SLICE_LABEL_CHARS) for f, s in zip(ranked["feature"], ranked["slice"], strict=False)]
    )
    rate = ranked["rate"].to_numpy(dtype=float)
    data = pd.DataFrame(
        {
            "label": labels,
            "order": range(len(labels)),
            "rate": rate,
            "low": ranked["rate_low"].to_numpy(dtype=float),
            "high": ranked["rate_high"].to_numpy(dtype=float),
            "rows": ranked["rows"].to_numpy(),
            "lift": ranked["lift"].to_numpy(dtype=float),
        }
    )
    y = {
        "field": "label",
        "type": "nominal",
        "sort": {"field": "order"},
        "title": None,
        "axis": {"labelLimit": 440},  # a whole label: SLICE_LABEL_CHARS characters at the tick size
    }
    layers: list[dict] = [
        {
            "mark": {"type": "bar", "color": ERROR_COLOUR},
            "encoding": {
                "y": y,
                "x": {"field": "rate", "type": "quantitative", "axis": {"format": ".0%"}},
                "tooltip": [
                    {"field": "label", "type": "nominal", "title": "slice"},
                    {"field": "rate", "type": "quantitative", "format": ".1%", "title": "rate"},
                    {"field": "low", "type": "quantitative", "format": ".1%", "title": "95% from"},
                    {"field": "high", "type": "quantitative", "format": ".1%", "title": "95% to"},
                    {"field": "rows", "type": "quantitative", "format": ",", "title": "rows"},
                    {"field": "lift", "type": "quantitative", "format": ".2f", "title": "lift"},
                ],
            },
        },
        {
            "mark": {"type": "rule", "color": "#333"},
            "encoding": {"y": y, "x": {"field": "low", "type": "quantitative"}, "x2": {"field": "high"}},
        },
    ]
    # The overall rate is rate / lift of any slice with a lift above 0 (a slice with no hits
    # has lift 0, and 0 / 0 says nothing): divide only there.
    lift = data["lift"].to_numpy()
    usable = np.isfinite(lift) & (lift > 0) & np.isfinite(rate)
    x_title = rate_label
    if usable.any():
        overall = float(rate[usable][0] / lift[usable][0])
        x_title = f"{rate_label} (dashed line: overall, {overall:.1%})"
        layers.append(
            {
                "data": {"values": [{"overall": overall}]},
                "mark": {"type": "rule", "color": "#333", "strokeDash": [6, 4], "size": 2},
                "encoding": {"x": {"field": "overall", "type": "quantitative"}},
            }
        )
    layers[0]["encoding"]["x"]["title"] = x_title
    spec = {
        "usermeta": VEGA_SVG,
        "height": {"step": SLICE_BAR_PX},
        "layer": layers,
        "config": vega_config(),
    }
    return VegaChart(data, spec)


def error_tree_figure(nodes: pd.DataFrame) -> go.Figure:
    """The error tree as an icicle: area = rows, colour = error (or FN) rate."""
    go = plotly()
    ids = [str(n) for n in nodes["node"]]
    parents = ["" if pd.isna(p) else str(int(p)) for p in nodes["parent"]]
    labels = [wrapped(c, 30, 3) for c in nodes["condition"]]
    fig = go.Figure(
        go.Icicle(
            ids=ids,
            parents=parents,
            labels=labels,
            values=nodes["rows"].tolist(),
            branchvalues="total",
            marker={
                "colors": nodes["rate"].tolist(),
                "colorscale": "Reds",
                "cmin": 0,
                "showscale": True,
                "colorbar": {"title": "rate", "tickformat": ".0%"},
            },
            customdata=np.c_[nodes["rate"], nodes["coverage"], nodes["share_of_data"]].tolist(),
            texttemplate="%{label}<br>%{customdata[0]:.1%} · %{value:,} rows",
            hovertemplate="%{label}<br>rate %{customdata[0]:.1%}<br>coverage %{customdata[1]:.1%}"
            "<br>share of data %{customdata[2]:.1%}<extra></extra>",
        )
    )
    fig.update_layout(font=READABLE_FONT, height=420, margin={"l": 10, "r": 10, "t": 20, "b": 10})
    return projector(fig)


def cohort_rate_figure(leaves: pd.DataFrame, rate_label: str, limit: int = 15) -> go.Figure:
    """The error tree's leaf cohorts as horizontal bars, highest rate at the top: the icicle
    draws the worst cohorts (often small) as slivers; here each gets a readable bar."""
    go = plotly()
    top = leaves.sort_values("rate", ascending=False, kind="stable").head(limit)
    paths = [p if isinstance(p, str) and p else "all rows" for p in top["path"]]
    labels = [wrapped(f"#{int(n)} {p}", 48, 3) for n, p in zip(top["node"], paths, strict=True)]
    fig = go.Figure(
        go.Bar(
            x=top["rate"].tolist(),
            y=labels,
            orientation="h",
            marker_color="#d62728",
            customdata=np.c_[top["rows"], top["coverage"], top["share_of_data"]].tolist(),
            hovertemplate="%{y}<br>rate %{x:.1%}<br>%{customdata[0]:,} rows · coverage %{customdata[1]:.1%}"
            " · share of data %{customdata[2]:.1%}<extra></extra>",
        )
    )
    fig.update_layout(
        font=READABLE_FONT,
        height=120 + 18 * sum(label.count("<br>") + 1 for label in labels),
        margin={"l": 10, "r": 20, "t": 30, "b": 40},
        xaxis={"title": plain(rate_label), "tickformat": ".0%"},
        yaxis={"autorange": "reversed"},
    )
    return projector(fig)


def ngram_chart(ranked: pd.DataFrame, top: int = 20) -> VegaChart:
    """The top n-grams' rates (``rank_ngrams``) with Wilson intervals, drawn like the
    slice ranking: one bar per "contains <n-gram>" slice, best at the top."""
    shown = ranked.head(top)
    as_slices = shown.assign(feature="contains", slice=[f"“{g}”" for g in shown["ngram"]])
    rate_label = "FN rate" if (shown["target"] == "fn").all() else "error rate"
    return slice_lift_chart(as_slices, rate_label)
