"""Figures of the Runs page: parallel coordinates over params, metric curves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from wbview.charts.style import READABLE_FONT, plain, plotly, projector, short

if TYPE_CHECKING:
    import plotly.graph_objects as go


def parallel_coordinates(
    frame: pd.DataFrame, dimensions: Sequence[str], colour_metric: str | None, run_labels: Sequence[str] | None = None
) -> go.Figure:
    """One line per run across ``dimensions`` (numbers as is, categories as ticks),
    coloured by ``colour_metric`` when given. ``run_labels`` (one per row) adds a first
    axis naming each run, so every line can be told apart."""
    go = plotly()
    dims = []
    if run_labels is not None:
        names = [str(label) for label in run_labels]
        dims.append(
            {
                "label": "run",
                "values": list(range(len(names))),
                "tickvals": list(range(len(names))),
                "ticktext": [plain(short(name, 32)) for name in names],
            }
        )
    for col in dimensions:
        numbers = pd.to_numeric(frame[col], errors="coerce")
        if numbers.notna().all() and len(numbers):
            dims.append({"label": plain(col), "values": numbers.tolist()})
            continue
        labels = frame[col].map(lambda v: "(none)" if v is None or v != v else str(v))
        categories = sorted(labels.unique())
        codes = labels.map({c: i for i, c in enumerate(categories)})
        dims.append(
            {
                "label": plain(col),
                "values": codes.tolist(),
                "tickvals": list(range(len(categories))),
                "ticktext": [plain(short(c, 32)) for c in categories],
            }
        )
    line: dict = {}
    if colour_metric and colour_metric in frame.columns:
        colour = pd.to_numeric(frame[colour_metric], errors="coerce")
        line = {
            "color": colour.fillna(colour.min() if colour.notna().any() else 0).tolist(),
            "colorscale": "Viridis",
            "showscale": True,
            "colorbar": {"title": {"text": plain(short(colour_metric))}},
        }
    fig = go.Figure(go.Parcoords(dimensions=dims, line=line))
    fig.update_layout(
        font=READABLE_FONT, margin={"l": 200 if run_labels is not None else 60, "r": 60, "t": 60, "b": 30}, height=420
    )
    return projector(fig)


def metric_curves(histories: Mapping[str, pd.DataFrame], metric: str, x: str = "_step") -> go.Figure:
    """One line per run (label -> history frame) of ``metric`` against ``x``."""
    go = plotly()
    fig = go.Figure()
    for label, history in histories.items():
        if metric not in history.columns:
            continue
        data = history[[x, metric]].dropna() if x in history.columns else history[[metric]].dropna().reset_index()
        xs = data[x] if x in data.columns else data.index
        fig.add_trace(go.Scatter(x=list(xs), y=data[metric].tolist(), mode="lines+markers", name=plain(short(label, 40))))
    fig.update_layout(
        font=READABLE_FONT,
        xaxis_title=x,
        yaxis_title=plain(metric),
        height=380,
        margin={"t": 50},
        legend={"orientation": "h", "y": 1.12},
    )
    return projector(fig)
