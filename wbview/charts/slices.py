"""Where errors concentrate: slices ranked by lift, the error tree, cohorts, n-grams."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from wbview.charts.style import READABLE_FONT, plain, plotly, projector, short, wrapped

if TYPE_CHECKING:
    import plotly.graph_objects as go


def slice_lift_figure(ranked: pd.DataFrame, rate_label: str) -> go.Figure:
    """The top slices' rates with 95% intervals as horizontal bars (best at the top),
    against a line at the overall rate."""
    go = plotly()
    labels = [plain(short(f"{f} = {s}", 48)) for f, s in zip(ranked["feature"], ranked["slice"], strict=False)]
    rate = ranked["rate"].to_numpy(dtype=float)
    fig = go.Figure(
        go.Bar(
            x=rate.tolist(),
            y=labels,
            orientation="h",
            marker_color="#d62728",
            error_x={
                "type": "data",
                "symmetric": False,
                "array": (ranked["rate_high"] - rate).tolist(),
                "arrayminus": (rate - ranked["rate_low"]).tolist(),
            },
            customdata=np.c_[ranked["rows"], ranked["lift"]].tolist(),
            hovertemplate="%{y}<br>rate %{x:.1%}<br>%{customdata[0]:,} rows · lift %{customdata[1]:.2f}<extra></extra>",
        )
    )
    # The overall rate is rate / lift of any slice with a lift above 0 (a slice with no hits
    # has lift 0, and 0 / 0 says nothing): divide only there.
    lift = ranked["lift"].to_numpy(dtype=float)
    usable = np.isfinite(lift) & (lift > 0) & np.isfinite(rate)
    if usable.any():
        overall = float(rate[usable][0] / lift[usable][0])
        fig.add_vline(x=overall, line={"color": "#333", "dash": "dash"}, annotation_text="overall")
    fig.update_layout(
        font=READABLE_FONT,
        height=120 + 24 * len(labels),
        margin={"l": 10, "r": 20, "t": 30, "b": 40},
        xaxis={"title": plain(rate_label), "tickformat": ".0%"},
        yaxis={"autorange": "reversed"},
    )
    return projector(fig)


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


def ngram_figure(ranked: pd.DataFrame, top: int = 20) -> go.Figure:
    """The top n-grams' rates (``rank_ngrams``) with Wilson intervals, drawn like the
    slice ranking: one bar per "contains <n-gram>" slice, best at the top."""
    shown = ranked.head(top)
    as_slices = shown.assign(feature="contains", slice=[f"“{g}”" for g in shown["ngram"]])
    rate_label = "FN rate" if (shown["target"] == "fn").all() else "error rate"
    return slice_lift_figure(as_slices, rate_label)
