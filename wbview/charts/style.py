"""What every figure shares: plotly loaded lazily (with an install hint), text from
data made plain for plotly, and the palette."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass


ARTIFACT_PALETTE = ("#ff7f0e", "#2ca02c", "#9467bd", "#d62728", "#8c564b", "#e377c2", "#17becf", "#bcbd22")


MAX_LABEL_CHARS = 28
ERROR_COLOUR = "#d62728"  # errors, misses: the warning colour
CORRECT_COLOUR = "#7f9bb5"  # correct rows: quiet
READABLE_FONT = {"size": 14, "color": "#1f1f1f"}  # readable from the back of a meeting room
READABLE_TICKS = {"size": 13, "color": "#1f1f1f"}  # axis ticks (Streamlit's theme styles them per axis)


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


def wrapped(text: object, width: int = 24, lines: int = 2) -> str:
    """A plotly label that wraps instead of being cut: plain text broken into lines of about
    ``width`` characters (plotly's ``<br>``), cut in the middle only beyond ``lines`` lines."""
    import textwrap

    parts = textwrap.wrap(short(str(text), width * lines), width=width, break_long_words=True, break_on_hyphens=True) or [""]
    return "<br>".join(plain(part) for part in parts)
