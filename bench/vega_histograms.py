"""The baseline of bench/floor_app.py: the group-by histograms as one Vega-Lite chart, the
way Error analysis drew them until the page switched to finished HTML bars
(wbview.charts.histograms). Kept here, out of the package, so the floor bench can measure
both in one run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from wbview.charts.style import ARTIFACT_PALETTE, VEGA_SVG, VegaChart, kept_apart, short, title_text, vega_config

if TYPE_CHECKING:
    from wbview.analysis.groups import ColumnHistogram

HISTOGRAM_WIDTH_PX = 760  # every group's panels of one column side by side: with the axes, within a 1366 px window's main column
HISTOGRAM_PANEL_GAP_PX = 24
HISTOGRAM_PLOT_PX = 170  # one panel's bars
HISTOGRAM_PANELS_PER_LINE = 3  # more groups wrap onto further lines of panels
HISTOGRAM_BIN_CHARS = 24


@dataclass(frozen=True)
class HistogramsChart(VegaChart):
    """The group-by histograms: ``data`` has a row per column, group and bin."""


def group_histograms_chart(
    histograms: Sequence[ColumnHistogram], group_sizes: pd.Series, colours: Mapping[str, str] | None = None
) -> HistogramsChart:
    """Every column's histogram for each group in one chart: a title and a line of panels per
    column (shared bins; a panel per group, as in W&B's "Group by" table view), top to bottom.
    Bars are counts; hover shows the bin, the count and the group share.

    Whatever depends on the rows (panel names with their sizes, the order of the groups,
    their colours) is in ``data``, not in ``spec``: a search, a filter or a confusion cell
    changes only the data, and the browser then replaces the chart's data in place instead
    of building a new chart (Streamlit rebuilds a Vega view only when its spec changes).

    Text from data (column names, bin and group labels) reaches Vega-Lite as values only,
    never as a field name or an expression, and Vega draws it as text."""
    groups = [str(g) for g in group_sizes.index]
    for histogram in histograms:  # a group seen only in a histogram still gets its panel
        groups += [str(g) for g in histogram.counts.columns if str(g) not in groups]
    # a panel's name is its group's, shortened, with its size
    names = kept_apart([f"{short(g, 20)} ({int(group_sizes.get(g, 0)):,} rows)" for g in groups])
    panel_names = dict(zip(groups, names, strict=True))
    colour_of = {g: (colours or {}).get(g, ARTIFACT_PALETTE[i % len(ARTIFACT_PALETTE)]) for i, g in enumerate(groups)}
    per_line = max(1, min(len(groups), HISTOGRAM_PANELS_PER_LINE))
    panel_width = int((HISTOGRAM_WIDTH_PX - HISTOGRAM_PANEL_GAP_PX * (per_line - 1)) / per_line)
    records: list[dict] = []
    rows = []
    for index, histogram in enumerate(histograms):
        bins = [short(str(b), HISTOGRAM_BIN_CHARS) for b in histogram.counts.index]
        for group in histogram.counts.columns:
            counts = histogram.counts[group]
            total = max(int(counts.sum()), 1)
            name, place, colour = panel_names[str(group)], groups.index(str(group)), colour_of[str(group)]
            records += [
                {
                    "row": index,
                    "panel": name,
                    "group": place,
                    "colour": colour,
                    "bin": b,
                    "order": i,
                    "n": int(n),
                    "share": int(n) / total,
                }
                for i, (b, n) in enumerate(zip(bins, counts.tolist(), strict=True))
            ]
        label = histogram.column + (" (text length)" if histogram.kind == "text_length" else "")
        tilted = histogram.kind != "categorical" or any(len(b) > 12 for b in bins)
        rows.append(
            {
                "title": {"text": title_text(label), "anchor": "start", "fontSize": 17, "offset": 8},
                "transform": [{"filter": {"field": "row", "equal": index}}],
                "facet": {
                    "field": "panel",
                    "type": "nominal",
                    "sort": {"field": "group", "op": "min"},
                    "title": None,
                },
                "columns": per_line,
                "spacing": HISTOGRAM_PANEL_GAP_PX,
                "spec": {
                    "width": panel_width,
                    "height": HISTOGRAM_PLOT_PX,
                    "mark": {"type": "bar"},
                    "encoding": {
                        "x": {
                            "field": "bin",
                            "type": "nominal",
                            "sort": {"field": "order"},
                            "title": None,
                            "axis": {"labelAngle": -45 if tilted else 0, "labelLimit": 160},
                        },
                        "y": {"field": "n", "type": "quantitative", "title": None},
                        "color": {"field": "colour", "type": "nominal", "scale": None, "legend": None},
                        "tooltip": [
                            {"field": "bin", "type": "nominal", "title": "bin"},
                            {"field": "n", "type": "quantitative", "format": ",", "title": "rows"},
                            {"field": "share", "type": "quantitative", "format": ".1%", "title": "of the group"},
                        ],
                    },
                },
                "resolve": {"scale": {"y": "independent", "x": "independent"}},
            }
        )
    spec = {
        "usermeta": VEGA_SVG,
        "vconcat": rows,
        "spacing": 28,
        "config": vega_config(),
    }
    return HistogramsChart(
        pd.DataFrame.from_records(records, columns=["row", "panel", "group", "colour", "bin", "order", "n", "share"]), spec
    )
