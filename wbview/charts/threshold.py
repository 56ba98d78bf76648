"""Threshold and cost: precision, recall, FN and FP rate at every threshold."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from wbview.charts.style import READABLE_FONT, plotly, projector

if TYPE_CHECKING:
    import plotly.graph_objects as go


CURVE_LINES = (
    ("precision", "Precision", "#1f77b4"),
    ("recall", "Recall", "#2ca02c"),
    ("fn_rate", "FN rate", "#d62728"),
    ("fp_rate", "FP rate", "#ff7f0e"),
)


def threshold_figure(curve: pd.DataFrame, chosen: float | None = None, logged: float | None = None) -> go.Figure:
    """Precision, recall, FN and FP rates (left axis) and expected cost (right axis)
    against the threshold, with the chosen (solid) and logged (dashed) thresholds marked."""
    go = plotly()
    finite = curve[np.isfinite(curve["threshold"].to_numpy())]
    x = finite["threshold"].to_numpy()
    traces = [
        go.Scatter(
            x=x,
            y=finite[column].to_numpy(),
            name=name,
            mode="lines",
            line={"color": colour},
            hovertemplate=f"threshold %{{x:.4f}}<br>{name} %{{y:.2%}}<extra></extra>",
        )
        for column, name, colour in CURVE_LINES
    ]
    traces.append(
        go.Scatter(
            x=x,
            y=finite["expected_cost"].to_numpy(),
            name="Expected cost per row",
            mode="lines",
            yaxis="y2",
            line={"color": "#7f7f7f", "dash": "dot"},
            hovertemplate="threshold %{x:.4f}<br>cost per row %{y:.4g}<extra></extra>",
        )
    )
    # Marks as plain layout shapes: add_vline re-validates the whole figure on every call.
    marks = [
        (value, dash, label)
        for value, dash, label in ((logged, "dash", "logged"), (chosen, "solid", "chosen"))
        if value is not None and np.isfinite(value)
    ]
    shapes = [
        {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": float(v),
            "x1": float(v),
            "y0": 0,
            "y1": 1,
            "line": {"color": "#333", "dash": dash, "width": 1.5},
        }
        for v, dash, _ in marks
    ]
    # Labels point away from each other (the lower mark's to the left), so close marks never overlap.
    lower = min(marks, key=lambda m: m[0])[2] if len(marks) == 2 else None
    notes = [
        {
            "x": float(v),
            "y": 1.0,
            "xref": "x",
            "yref": "paper",
            "text": label,
            "showarrow": False,
            "yanchor": "bottom",
            "xanchor": "center" if lower is None else ("right" if label == lower else "left"),
        }
        for v, _, label in marks
    ]
    layout = {
        "height": 380,
        "font": READABLE_FONT,
        "margin": {"l": 40, "r": 40, "t": 30, "b": 40},
        "hovermode": "x unified",
        "shapes": shapes,
        "annotations": notes,
        "xaxis": {"title": {"text": "threshold (flag when probability ≥ threshold)"}, "range": [0, 1]},
        "yaxis": {"title": {"text": "rate"}, "tickformat": ".0%", "range": [0, 1.02]},
        "yaxis2": {"title": {"text": "expected cost per row"}, "overlaying": "y", "side": "right", "rangemode": "tozero"},
        "legend": {"orientation": "h", "y": -0.2},
    }
    return projector(go.Figure(data=traces, layout=layout))
