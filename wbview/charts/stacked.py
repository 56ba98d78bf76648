"""Stacked tables: error rate per run or per param value."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from wbview.charts.style import READABLE_FONT, plain, plotly, projector, short

if TYPE_CHECKING:
    import plotly.graph_objects as go


def error_rate_figure(rates: pd.DataFrame, column: str) -> go.Figure:
    """Error rate per value of ``column`` with 95% Wilson intervals (stacked tables)."""
    go = plotly()
    labels = [plain(short(str(v), 40)) for v in rates[column]]
    rate = rates["error_rate"].to_numpy(dtype=float)
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=rate.tolist(),
            marker_color="#1f77b4",
            customdata=np.c_[rates["rows"], rates["runs"]].tolist(),
            error_y={
                "type": "data",
                "symmetric": False,
                "array": (rates["error_rate_high"] - rate).tolist(),
                "arrayminus": (rate - rates["error_rate_low"]).tolist(),
            },
            hovertemplate="%{x}<br>error rate %{y:.2%}<br>%{customdata[0]:,} rows from %{customdata[1]} run(s)<extra></extra>",
        )
    )
    fig.update_layout(
        font=READABLE_FONT,
        height=360,
        margin={"l": 40, "r": 20, "t": 20, "b": 40},
        xaxis={"title": plain(column), "type": "category"},
        yaxis={"title": "error rate", "tickformat": ".0%"},
    )
    return projector(fig)
