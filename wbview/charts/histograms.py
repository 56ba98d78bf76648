"""The group-by histograms as plain HTML: a line of panels per column, a panel per group.

Why not a charting library: this is the chart Error analysis opens with, and the page has to
be drawn within a second in a browser on a small machine. Drawn by Vega-Lite it cost that
browser about 0.34 s of each open (1.37 s against 1.04 s for the same page with these HTML
bars, median of 6 opens of a 1,000,000-row table in Chromium on 2 cores; see
``bench/floor_app.py`` for the side-by-side bench). Bars of a histogram need no scales
a browser must compute: the server knows every count, so it sends finished bars, axes and
labels, and the browser only lays out boxes.

Every string from data (column names, bin and group labels) is HTML-escaped and drawn as
text; the markup around it is fixed here. ``st.html`` sanitises what it shows as well."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from wbview.charts.style import ARTIFACT_PALETTE, READABLE_FONT, READABLE_TICKS, short

if TYPE_CHECKING:
    from wbview.analysis.groups import ColumnHistogram

WIDTH_PX = 760  # every group's panels of one column side by side, within a 1366 px window's main column
PANEL_GAP_PX = 24
PLOT_HEIGHT_PX = 170  # one panel's bars
AXIS_PX = 64  # the count axis' labels, left of the bars
PANELS_PER_LINE = 3  # more groups wrap onto further lines of panels
BIN_CHARS = 24  # a bin label under the axis is cut in the middle past this (the tooltip has it whole)
GROUP_CHARS = 80  # a panel's group name, likewise
LABEL_PITCH_PX = 18  # tilted bin labels: at least this far apart, or every other one is left out
UPRIGHT_SLOT_PX = 56  # upright bin labels need this much room per bar
CHAR_PX = 7.5  # the width of one label character at READABLE_TICKS' size, roughly
TICKS = 4  # gridlines above zero on the count axis, about


@dataclass(frozen=True)
class Bar:
    label: str  # the bin, whole
    n: int
    share: float  # of the group's rows
    height: float  # of the panel's axis, 0 to 1
    labelled: bool  # its label is drawn under the axis (tilted labels are thinned out)


@dataclass(frozen=True)
class Panel:
    name: str  # the group, with its size
    colour: str
    bars: tuple[Bar, ...]
    ticks: tuple[int, ...]  # the count axis, from 0; the last is the axis' top


@dataclass(frozen=True)
class HistogramLine:
    title: str  # the column (and what is counted)
    panels: tuple[Panel, ...]
    tilted: bool  # bin labels at 45 degrees (numeric bins, long or many labels)


@dataclass(frozen=True)
class Histograms:
    lines: tuple[HistogramLine, ...]
    html: str


def nice_ticks(top: int, count: int = TICKS) -> tuple[int, ...]:
    """Whole-number gridlines from 0 to at least ``top``, about ``count`` steps of 1, 2 or 5
    times a power of ten: the numbers a person reads off an axis."""
    if top <= 0:
        return (0, 1)
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(1, int(step))
    return tuple(range(0, math.ceil(top / step) * step + 1, step))


def _tilted(kind: str, bins: Sequence[str], plot_px: float) -> bool:
    return kind != "categorical" or any(len(b) > 12 for b in bins) or len(bins) * UPRIGHT_SLOT_PX > plot_px


def group_histograms_html(
    histograms: Sequence[ColumnHistogram], group_sizes: pd.Series, colours: Mapping[str, str] | None = None
) -> Histograms:
    """Every column's histogram for each group: a title and a line of panels per column
    (shared bins; a panel per group, as in W&B's "Group by" table view), top to bottom, in
    the given order. Bars are counts; hovering a bar shows its bin, count and group share."""
    groups = [str(g) for g in group_sizes.index]
    for histogram in histograms:  # a group seen only in a histogram still gets its panel
        groups += [str(g) for g in histogram.counts.columns if str(g) not in groups]
    colour_of = {g: (colours or {}).get(g, ARTIFACT_PALETTE[i % len(ARTIFACT_PALETTE)]) for i, g in enumerate(groups)}
    per_line = max(1, min(len(groups), PANELS_PER_LINE))
    plot_px = (WIDTH_PX - PANEL_GAP_PX * (per_line - 1)) / per_line - AXIS_PX
    lines = []
    for histogram in histograms:
        bins = [str(b) for b in histogram.counts.index]
        tilted = _tilted(histogram.kind, bins, plot_px)
        every = max(1, math.ceil(len(bins) * LABEL_PITCH_PX / plot_px)) if tilted else 1
        panels = []
        for group in sorted(histogram.counts.columns, key=lambda g: groups.index(str(g))):
            counts = [int(n) for n in histogram.counts[group].tolist()]
            total = max(sum(counts), 1)
            ticks = nice_ticks(max(counts, default=0))
            bars = tuple(
                Bar(b, n, n / total, n / ticks[-1], i % every == 0) for i, (b, n) in enumerate(zip(bins, counts, strict=True))
            )
            name = f"{group} ({_rows(int(group_sizes.get(group, 0)))})"
            panels.append(Panel(name, colour_of[str(group)], bars, ticks))
        label = histogram.column + (" (text length)" if histogram.kind == "text_length" else "")
        lines.append(HistogramLine(label, tuple(panels), tilted))
    return Histograms(tuple(lines), _html(lines, per_line))


def _rows(n: int) -> str:
    return f"{n:,} row" if n == 1 else f"{n:,} rows"


def _text(value: object) -> str:
    return html.escape(str(value), quote=True)


# Class names are prefixed: st.html's style rules apply to the whole page.
_STYLE = f"""<style>
.wbv-hists {{ font-family: "Source Sans", sans-serif; color: {READABLE_FONT["color"]}; max-width: {WIDTH_PX + 40}px; }}
.wbv-hists .wbv-title {{ font-size: 17px; font-weight: 600; margin: 18px 0 6px; overflow-wrap: anywhere; }}
.wbv-hists .wbv-line {{ display: flex; flex-wrap: wrap; gap: 12px {PANEL_GAP_PX}px; }}
.wbv-hists figure {{ margin: 0; }}
.wbv-hists figcaption {{ font-size: 14px; text-align: center; padding-left: {AXIS_PX}px; overflow-wrap: anywhere; }}
.wbv-hists .wbv-plot {{ position: relative; height: {PLOT_HEIGHT_PX}px; margin: 10px 0 0 {AXIS_PX}px;
  display: flex; align-items: flex-end; border-bottom: 1px solid #888; }}
.wbv-hists .wbv-grid {{ position: absolute; left: 0; right: 0; border-top: 1px solid #e6e6e6; height: 0; }}
.wbv-hists .wbv-grid span {{ position: absolute; right: calc(100% + 6px); top: -0.65em;
  font-size: {READABLE_TICKS["size"]}px; color: {READABLE_TICKS["color"]}; white-space: nowrap; }}
.wbv-hists .wbv-bin {{ flex: 1 1 0; height: 100%; z-index: 1;
  background: linear-gradient(var(--wbv-colour), var(--wbv-colour)) center bottom / 86% var(--h) no-repeat; }}
.wbv-hists .wbv-bin:hover {{ filter: brightness(0.8); }}
.wbv-hists .wbv-bins {{ display: flex; margin-left: {AXIS_PX}px; font-size: {READABLE_TICKS["size"]}px;
  color: {READABLE_TICKS["color"]}; }}
.wbv-hists .wbv-bins span {{ flex: 1 1 0; min-width: 0; text-align: center; overflow-wrap: anywhere; padding-top: 3px; }}
.wbv-hists .wbv-tilted {{ position: relative; }}
.wbv-hists .wbv-tilted i {{ position: absolute; top: 4px; font-style: normal; white-space: nowrap;
  transform: rotate(-45deg); transform-origin: right top; }}
</style>"""


def _html(lines: Sequence[HistogramLine], per_line: int) -> str:
    panel_px = (WIDTH_PX - PANEL_GAP_PX * (per_line - 1)) // per_line
    out = ['<div class="wbv-hists">', _STYLE]
    for line in lines:
        out.append(f'<div class="wbv-title" role="heading" aria-level="4">{_text(line.title)}</div><div class="wbv-line">')
        longest = max((len(short(b.label, BIN_CHARS)) for p in line.panels for b in p.bars if b.labelled), default=1)
        # tilted labels hang below the axis: room for the longest, at 45 degrees
        below = math.ceil(longest * CHAR_PX * 0.71) + 14 if line.tilted else 0
        for panel in line.panels:
            out.append(
                f'<figure style="width:{panel_px}px;--wbv-colour:{_text(panel.colour)}">'
                f'<figcaption title="{_text(panel.name)}">{_text(short(panel.name, GROUP_CHARS))}</figcaption><div class="wbv-plot">'
            )
            top = panel.ticks[-1]
            out += [f'<div class="wbv-grid" style="bottom:{100 * t / top:.4g}%"><span>{t:,}</span></div>' for t in panel.ticks]
            # one element per bar (its colour a background of its height): a page draws hundreds
            out += [
                f'<div class="wbv-bin" title="{_text(bar.label)}: {_rows(bar.n)} ({bar.share:.1%} of the group)"'
                f' style="--h:{100 * bar.height:.4g}%"></div>'
                for bar in panel.bars
            ]
            out.append(
                f'</div><div class="wbv-bins{" wbv-tilted" if line.tilted else ""}"'
                + (f' style="height:{below}px">' if below else ">")
            )
            if line.tilted:  # only the labels shown, each hung from its bar's middle
                n = len(panel.bars)
                out += [
                    f'<i style="right:{100 - 100 * (i + 0.5) / n:.4g}%">{_text(short(b.label, BIN_CHARS))}</i>'
                    for i, b in enumerate(panel.bars)
                    if b.labelled
                ]
            else:
                out += [f"<span>{_text(b.label)}</span>" for b in panel.bars]
            out.append("</div></figure>")
        out.append("</div>")
    out.append("</div>")
    return "".join(out)
