"""What every figure shares: plotly loaded lazily (with an install hint), text from
data made plain for plotly, the Vega-Lite chart type and theme, and the palette."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go


ARTIFACT_PALETTE = ("#ff7f0e", "#2ca02c", "#9467bd", "#d62728", "#8c564b", "#e377c2", "#17becf", "#bcbd22")


MAX_LABEL_CHARS = 28
ERROR_COLOUR = "#d62728"  # errors, misses: the warning colour
CORRECT_COLOUR = "#7f9bb5"  # correct rows: quiet
READABLE_FONT = {"size": 14, "color": "#1f1f1f"}  # readable from the back of a meeting room
READABLE_TICKS = {"size": 13, "color": "#1f1f1f"}  # axis ticks (Streamlit's theme styles them per axis)
# Characters per title line: at the title sizes used here (14-17 px) a line stays within a
# chart half as wide as the main column of a 1366 px window (about 440 px).
TITLE_LINE_CHARS = 48
TITLE_LINE_PX = 22  # room one more title line takes above the plot


def plotly():
    try:
        import plotly.graph_objects as go
    except ImportError as exc:  # pragma: no cover - plotly ships with the app extra
        from wbview.errors import MissingDependency

        raise MissingDependency("Charts need plotly: pip install 'wbview[app]'.") from exc
    return go


def plain(text: object) -> str:
    """Text for plotly labels: plotly treats '<br>' and a few tags as markup, so escape '<'."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def short(text: str, limit: int = MAX_LABEL_CHARS) -> str:
    """At most ``limit`` characters, cut in the middle: the start and the end stay (the end
    often tells names apart: a version ``:v3``, a run id, the last condition)."""
    if len(text) <= limit:
        return text
    tail = max(limit // 3, 1)
    return text[: limit - tail - 1] + "…" + text[-tail:]


def kept_apart(labels: list[str]) -> list[str]:
    """``labels`` with each repeat marked (" ·" added until it is new): a Vega-Lite nominal
    axis or facet draws one bar or panel per distinct label, so two names that shorten alike
    would share one."""
    seen: set[str] = set()
    apart = []
    for label in labels:
        while label in seen:
            label += " ·"
        seen.add(label)
        apart.append(label)
    return apart


def wrapped(text: object, width: int = 24, lines: int = 2) -> str:
    """A plotly label that wraps instead of being cut: plain text broken into lines of about
    ``width`` characters (plotly's ``<br>``), cut in the middle only beyond ``lines`` lines."""
    import textwrap

    parts = textwrap.wrap(short(str(text), width * lines), width=width, break_long_words=True, break_on_hyphens=True) or [""]
    return "<br>".join(plain(part) for part in parts)


def title_text(text: object, width: int = TITLE_LINE_CHARS) -> list[str]:
    """A title's lines: broken at spaces (long words inside) into lines of at most ``width``
    characters. Nothing is dropped."""
    import textwrap

    if width < 1:
        raise ValueError("width must be at least 1")
    return textwrap.wrap(str(text), width=width, break_long_words=True, break_on_hyphens=False) or [""]


def title_lines(text: object, width: int = TITLE_LINE_CHARS) -> str:
    """A plotly chart or axis title that wraps instead of being cut: ``title_text``'s lines,
    plain, joined with plotly's ``<br>``."""
    return "<br>".join(plain(part) for part in title_text(text, width))


def projector(fig: go.Figure) -> go.Figure:
    """The projector theme on a finished figure: the readable font, the larger tick labels
    on every axis and parallel-coordinates axis (Streamlit's chart theme sets tick fonts per
    axis, over ``layout.font``), and room above the plot for every line of a wrapped title."""
    fig.update_layout(font=READABLE_FONT)
    fig.update_xaxes(tickfont=READABLE_TICKS)
    fig.update_yaxes(tickfont=READABLE_TICKS)
    fig.update_traces(tickfont=READABLE_TICKS, selector={"type": "parcoords"})
    title = fig.layout.title.text if fig.layout.title is not None else None
    if title:
        extra = title.count("<br>") * TITLE_LINE_PX
        top = fig.layout.margin.t if fig.layout.margin.t is not None else 100
        fig.update_layout(margin={"t": top + extra})
    return fig


@dataclass(frozen=True)
class VegaChart:
    """A Vega-Lite chart for ``st.vega_lite_chart``: ``spec`` over one table, ``data``.

    The charts a page draws on opening are Vega-Lite, not plotly: plotly's 4.7 MB script
    takes a browser on a small machine about 0.8 s to load on every page open, and its
    figures longer to draw (measured: a bare Streamlit page 0.87 s to drawn, the same page
    with the group-by histograms in plotly 2.79 s, in Vega-Lite 1.37 s). Text from data
    (names, labels) reaches Vega-Lite as values in ``data`` only, never as a field name or an
    expression, and Vega draws it as text; the SVG renderer keeps that text in the page,
    where a screen reader (and a browser test) reads it."""

    data: pd.DataFrame
    spec: dict


def vega_config() -> dict:
    """The projector theme for Vega-Lite: ``READABLE_FONT`` and ``READABLE_TICKS`` on every
    axis, readable panel headers and titles, no frame around a plot."""
    return {
        "font": "sans-serif",
        "axis": {
            "labelFontSize": READABLE_TICKS["size"],
            "labelColor": READABLE_TICKS["color"],
            "titleFontSize": READABLE_FONT["size"],
            "titleColor": READABLE_FONT["color"],
        },
        "header": {"labelFontSize": 14, "labelColor": READABLE_FONT["color"]},
        "legend": {"labelFontSize": READABLE_FONT["size"], "labelColor": READABLE_FONT["color"]},
        "title": {"fontSize": 17, "color": READABLE_FONT["color"]},
        "view": {"stroke": None},
    }


VEGA_SVG = {"embedOptions": {"renderer": "svg"}}  # a spec's "usermeta": draw as SVG (see VegaChart)
