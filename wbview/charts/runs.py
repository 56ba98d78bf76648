"""Figures of the Runs page: parallel coordinates over params, metric curves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from wbview.charts.style import READABLE_FONT, plain, plotly, projector, short

if TYPE_CHECKING:
    import plotly.graph_objects as go

# Parallel coordinates draw each axis' tick labels to its left, in the gap from the axis
# before: labels longer than that gap run into the previous axis' labels. Widths assumed for
# a laptop or projector window with the sidebar open (the page is laid out wide).
PARCOORDS_WIDTH_PX = 850
PARCOORDS_RUN_MARGIN_PX = 200  # the run axis' labels sit in the left margin
PARCOORDS_RIGHT_PX = 130  # the colour bar and its title
TICK_CHAR_PX = 7.5  # one character of a tick label at READABLE_TICKS' size, roughly
_SEPARATORS = "-_/:. "


def tick_chars(n_axes: int, run_axis: bool) -> int:
    """How many characters a category axis' tick labels may have so that they stay within
    the gap to the axis on their left (at least 8: below that a label says nothing)."""
    left = PARCOORDS_RUN_MARGIN_PX if run_axis else 60
    gap = (PARCOORDS_WIDTH_PX - left - PARCOORDS_RIGHT_PX) / max(n_axes - 1, 1)
    return max(8, int(gap / TICK_CHAR_PX) - 2)


def _run_tick(label: str, limit: int) -> str:
    """A run's tick within ``limit`` characters; a "name (id)" label keeps its id whole."""
    name, space, run_id = label.rpartition(" (")
    if not space or not run_id.endswith(")") or len(run_id) + 3 >= limit:
        return short(label, limit)
    return f"{short(name, limit - len(run_id) - 2)} ({run_id}"


def distinct_ticks(values: Sequence[str], limit: int) -> list[str]:
    """Tick labels of one axis within ``limit`` characters: the start that every value shares
    (up to a separator) becomes "…", so what tells them apart stays; then each is cut in the
    middle (``short``), which keeps the end (a version, a suffix)."""
    texts = [str(v) for v in values]
    common = 0
    if len(texts) > 1 and any(len(t) > limit for t in texts):
        first = min(texts, key=len)
        while common < len(first) and all(t[common] == first[common] for t in texts):
            common += 1
        while common and first[common - 1] not in _SEPARATORS:  # back to a word's start
            common -= 1
    return [short("…" + t[common:] if common > 1 else t, limit) for t in texts]


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
                "ticktext": [plain(_run_tick(name, int((PARCOORDS_RUN_MARGIN_PX - 10) / TICK_CHAR_PX))) for name in names],
            }
        )
    limit = tick_chars(len(dimensions) + (run_labels is not None), run_labels is not None)
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
                "ticktext": [plain(t) for t in distinct_ticks(categories, limit)],
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
        font=READABLE_FONT,
        margin={"l": PARCOORDS_RUN_MARGIN_PX if run_labels is not None else 60, "r": 60, "t": 60, "b": 30},
        height=420,
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
