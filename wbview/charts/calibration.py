"""Calibration: reliability diagram and expected calibration error across runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from wbview.charts.style import ARTIFACT_PALETTE, READABLE_FONT, plain, plotly, projector, short, title_lines

if TYPE_CHECKING:
    import plotly.graph_objects as go


def reliability_figure(bins: pd.DataFrame, class_name: str) -> go.Figure:
    """Reliability diagram: fraction positive against mean predicted probability per
    bin, one line per run (with Wilson error bars), and the diagonal of perfect calibration."""
    go = plotly()
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            name="perfectly calibrated",
            line={"color": "#999", "dash": "dash"},
            hoverinfo="skip",
        )
    )
    runs = list(dict.fromkeys(bins["run"])) if "run" in bins.columns else [None]
    for i, run in enumerate(runs):
        part = bins if run is None else bins[bins["run"] == run]
        part = part[part["rows"] > 0]
        fig.add_trace(
            go.Scatter(
                x=part["mean_predicted"].tolist(),
                y=part["fraction_positive"].tolist(),
                mode="lines+markers",
                name=plain(short(str(run), 64)) if run is not None else "table",
                line={"color": ARTIFACT_PALETTE[i % len(ARTIFACT_PALETTE)]},
                customdata=part["rows"].tolist(),
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": (part["fraction_positive_high"] - part["fraction_positive"]).tolist(),
                    "arrayminus": (part["fraction_positive"] - part["fraction_positive_low"]).tolist(),
                },
                hovertemplate="predicted %{x:.3f}<br>observed %{y:.3f}<br>%{customdata:,} rows<extra></extra>",
            )
        )
    fig.update_layout(
        font=READABLE_FONT,
        height=430,
        margin={"l": 40, "r": 20, "t": 40, "b": 40},
        title={"text": title_lines(f"Reliability: {class_name}"), "x": 0, "font": {"size": 14}},
        xaxis={"title": "mean predicted probability", "range": [0, 1]},
        yaxis={"title": "observed fraction positive", "range": [0, 1.02]},
        legend={"orientation": "h", "y": -0.2},
    )
    return projector(fig)


def ece_figure(ece: pd.DataFrame) -> go.Figure:
    """Expected calibration error per class, one bar group per run (``Calibration.ece``
    from ``compare_calibration``; a frame without ``run`` draws one series)."""
    go = plotly()
    runs = list(dict.fromkeys(ece["run"])) if "run" in ece.columns else [None]
    fig = go.Figure()
    for i, run in enumerate(runs):
        part = ece if run is None else ece[ece["run"] == run]
        fig.add_trace(
            go.Bar(
                x=[plain(short(str(c), 30)) for c in part["class"]],
                y=part["ece"].tolist(),
                name=plain(short(str(run), 40)) if run is not None else "table",
                marker_color=ARTIFACT_PALETTE[i % len(ARTIFACT_PALETTE)],
                customdata=part["rows"].tolist(),
                hovertemplate="%{x}<br>ECE %{y:.4f}<br>%{customdata:,} rows<extra></extra>",
            )
        )
    fig.update_layout(
        font=READABLE_FONT,
        barmode="group",
        height=320,
        margin={"l": 40, "r": 20, "t": 20, "b": 40},
        yaxis={"title": "expected calibration error", "rangemode": "tozero"},
        xaxis={"type": "category"},
        legend={"orientation": "h", "y": -0.2},
    )
    return projector(fig)
