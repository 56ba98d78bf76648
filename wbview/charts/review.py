"""Figures for the review pages (threshold and cost, calibration, where errors
concentrate, stacked tables). Pure: result DataFrames in, plotly figures out; text
from data goes through ``_plain`` so plotly never reads it as markup."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from wbview.charts.core import ARTIFACT_PALETTE, _plain, _plotly, _short

if TYPE_CHECKING:
    import plotly.graph_objects as go

CURVE_LINES = (("precision", "Precision", "#1f77b4"), ("recall", "Recall", "#2ca02c"),
               ("fn_rate", "FN rate", "#d62728"), ("fp_rate", "FP rate", "#ff7f0e"))


def threshold_figure(curve: pd.DataFrame, chosen: float | None = None, logged: float | None = None) -> "go.Figure":
    """Precision, recall, FN and FP rates (left axis) and expected cost (right axis)
    against the threshold, with the chosen (solid) and logged (dashed) thresholds marked."""
    go = _plotly()
    finite = curve[np.isfinite(curve["threshold"].to_numpy())]
    x = finite["threshold"].to_numpy()
    traces = [go.Scatter(x=x, y=finite[column].to_numpy(), name=name, mode="lines", line={"color": colour},
                         hovertemplate=f"threshold %{{x:.4f}}<br>{name} %{{y:.2%}}<extra></extra>")
              for column, name, colour in CURVE_LINES]
    traces.append(go.Scatter(x=x, y=finite["expected_cost"].to_numpy(), name="Expected cost per row", mode="lines",
                             yaxis="y2", line={"color": "#7f7f7f", "dash": "dot"},
                             hovertemplate="threshold %{x:.4f}<br>cost per row %{y:.4g}<extra></extra>"))
    # Marks as plain layout shapes: add_vline re-validates the whole figure on every call.
    marks = [(value, dash, label) for value, dash, label in ((logged, "dash", "logged"), (chosen, "solid", "chosen"))
             if value is not None and np.isfinite(value)]
    shapes = [{"type": "line", "xref": "x", "yref": "paper", "x0": float(v), "x1": float(v), "y0": 0, "y1": 1,
               "line": {"color": "#333", "dash": dash, "width": 1.5}} for v, dash, _ in marks]
    # Labels point away from each other (the lower mark's to the left), so close marks never overlap.
    lower = min(marks, key=lambda m: m[0])[2] if len(marks) == 2 else None
    notes = [{"x": float(v), "y": 1.0, "xref": "x", "yref": "paper", "text": label, "showarrow": False,
              "yanchor": "bottom", "xanchor": "center" if lower is None else ("right" if label == lower else "left")}
             for v, _, label in marks]
    layout = {"height": 380, "margin": {"l": 40, "r": 40, "t": 30, "b": 40}, "hovermode": "x unified",
              "shapes": shapes, "annotations": notes,
              "xaxis": {"title": {"text": "threshold (flag when probability ≥ threshold)"}, "range": [0, 1]},
              "yaxis": {"title": {"text": "rate"}, "tickformat": ".0%", "range": [0, 1.02]},
              "yaxis2": {"title": {"text": "expected cost per row"}, "overlaying": "y", "side": "right",
                         "rangemode": "tozero"},
              "legend": {"orientation": "h", "y": -0.2}}
    return go.Figure(data=traces, layout=layout)


def reliability_figure(bins: pd.DataFrame, class_name: str) -> "go.Figure":
    """Reliability diagram: fraction positive against mean predicted probability per
    bin, one line per run (with Wilson error bars), and the diagonal of perfect calibration."""
    go = _plotly()
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfectly calibrated",
                             line={"color": "#999", "dash": "dash"}, hoverinfo="skip"))
    runs = list(dict.fromkeys(bins["run"])) if "run" in bins.columns else [None]
    for i, run in enumerate(runs):
        part = bins if run is None else bins[bins["run"] == run]
        part = part[part["rows"] > 0]
        fig.add_trace(go.Scatter(
            x=part["mean_predicted"].tolist(), y=part["fraction_positive"].tolist(), mode="lines+markers",
            name=_plain(_short(str(run), 64)) if run is not None else "table",
            line={"color": ARTIFACT_PALETTE[i % len(ARTIFACT_PALETTE)]}, customdata=part["rows"].tolist(),
            error_y={"type": "data", "symmetric": False,
                     "array": (part["fraction_positive_high"] - part["fraction_positive"]).tolist(),
                     "arrayminus": (part["fraction_positive"] - part["fraction_positive_low"]).tolist()},
            hovertemplate="predicted %{x:.3f}<br>observed %{y:.3f}<br>%{customdata:,} rows<extra></extra>"))
    fig.update_layout(height=430, margin={"l": 40, "r": 20, "t": 40, "b": 40},
                      title={"text": _plain(f"Reliability: {class_name}"), "x": 0, "font": {"size": 14}},
                      xaxis={"title": "mean predicted probability", "range": [0, 1]},
                      yaxis={"title": "observed fraction positive", "range": [0, 1.02]},
                      legend={"orientation": "h", "y": -0.2})
    return fig


def slice_lift_figure(ranked: pd.DataFrame, rate_label: str) -> "go.Figure":
    """The top slices' rates with 95% intervals as horizontal bars (best at the top),
    against a line at the overall rate."""
    go = _plotly()
    labels = [_plain(_short(f"{f} = {s}", 48)) for f, s in zip(ranked["feature"], ranked["slice"])]
    rate = ranked["rate"].to_numpy(dtype=float)
    fig = go.Figure(go.Bar(
        x=rate.tolist(), y=labels, orientation="h", marker_color="#d62728",
        error_x={"type": "data", "symmetric": False, "array": (ranked["rate_high"] - rate).tolist(),
                 "arrayminus": (rate - ranked["rate_low"]).tolist()},
        customdata=np.c_[ranked["rows"], ranked["lift"]].tolist(),
        hovertemplate="%{y}<br>rate %{x:.1%}<br>%{customdata[0]:,} rows · lift %{customdata[1]:.2f}<extra></extra>"))
    lift = ranked["lift"].to_numpy(dtype=float)
    overall = rate / lift
    overall = overall[np.isfinite(overall)]
    if overall.size:
        fig.add_vline(x=float(overall[0]), line={"color": "#333", "dash": "dash"}, annotation_text="overall")
    fig.update_layout(height=120 + 24 * len(labels), margin={"l": 10, "r": 20, "t": 30, "b": 40},
                      xaxis={"title": _plain(rate_label), "tickformat": ".0%"}, yaxis={"autorange": "reversed"})
    return fig


def error_tree_figure(nodes: pd.DataFrame) -> "go.Figure":
    """The error tree as an icicle: area = rows, colour = error (or FN) rate."""
    go = _plotly()
    ids = [str(n) for n in nodes["node"]]
    parents = ["" if pd.isna(p) else str(int(p)) for p in nodes["parent"]]
    labels = [_plain(_short(str(c), 40)) for c in nodes["condition"]]
    fig = go.Figure(go.Icicle(
        ids=ids, parents=parents, labels=labels, values=nodes["rows"].tolist(), branchvalues="total",
        marker={"colors": nodes["rate"].tolist(), "colorscale": "Reds", "cmin": 0, "showscale": True,
                "colorbar": {"title": "rate", "tickformat": ".0%"}},
        customdata=np.c_[nodes["rate"], nodes["coverage"], nodes["share_of_data"]].tolist(),
        texttemplate="%{label}<br>%{customdata[0]:.1%} · %{value:,} rows",
        hovertemplate="%{label}<br>rate %{customdata[0]:.1%}<br>coverage %{customdata[1]:.1%}"
                      "<br>share of data %{customdata[2]:.1%}<extra></extra>"))
    fig.update_layout(height=420, margin={"l": 10, "r": 10, "t": 20, "b": 10})
    return fig


def cohort_rate_figure(leaves: pd.DataFrame, rate_label: str, limit: int = 15) -> "go.Figure":
    """The error tree's leaf cohorts as horizontal bars, highest rate at the top: the icicle
    draws the worst cohorts (often small) as slivers; here each gets a readable bar."""
    go = _plotly()
    top = leaves.sort_values("rate", ascending=False, kind="stable").head(limit)
    paths = [p if isinstance(p, str) and p else "all rows" for p in top["path"]]
    labels = [_plain(_short(f"#{int(n)} {p}", 60)) for n, p in zip(top["node"], paths)]
    fig = go.Figure(go.Bar(
        x=top["rate"].tolist(), y=labels, orientation="h", marker_color="#d62728",
        customdata=np.c_[top["rows"], top["coverage"], top["share_of_data"]].tolist(),
        hovertemplate="%{y}<br>rate %{x:.1%}<br>%{customdata[0]:,} rows · coverage %{customdata[1]:.1%}"
                      " · share of data %{customdata[2]:.1%}<extra></extra>"))
    fig.update_layout(height=120 + 24 * len(labels), margin={"l": 10, "r": 20, "t": 30, "b": 40},
                      xaxis={"title": _plain(rate_label), "tickformat": ".0%"}, yaxis={"autorange": "reversed"})
    return fig


def error_rate_figure(rates: pd.DataFrame, column: str) -> "go.Figure":
    """Error rate per value of ``column`` with 95% Wilson intervals (stacked tables)."""
    go = _plotly()
    labels = [_plain(_short(str(v), 40)) for v in rates[column]]
    rate = rates["error_rate"].to_numpy(dtype=float)
    fig = go.Figure(go.Bar(
        x=labels, y=rate.tolist(), marker_color="#1f77b4", customdata=np.c_[rates["rows"], rates["runs"]].tolist(),
        error_y={"type": "data", "symmetric": False, "array": (rates["error_rate_high"] - rate).tolist(),
                 "arrayminus": (rate - rates["error_rate_low"]).tolist()},
        hovertemplate="%{x}<br>error rate %{y:.2%}<br>%{customdata[0]:,} rows from %{customdata[1]} run(s)<extra></extra>"))
    fig.update_layout(height=360, margin={"l": 40, "r": 20, "t": 20, "b": 40},
                      xaxis={"title": _plain(column), "type": "category"}, yaxis={"title": "error rate", "tickformat": ".0%"})
    return fig
