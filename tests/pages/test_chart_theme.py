"""Every chart of every analysis page on the demo, read on a projector: the larger tick
labels on every axis, and titles that wrap instead of being cut."""

from __future__ import annotations

import re

import pytest

from tests.pages.pagetest import histograms, open_page, plotly_specs, problems, vega_charts
from tests.pages.test_analysis_pages import eval_run, open_analysis_page
from wbview.charts.style import READABLE_TICKS, TITLE_LINE_CHARS

AXIS = re.compile(r"^[xy]axis\d*$")

PAGES = [
    ("error_analysis", {}),
    ("error_analysis", {"tab": "Confusion matrix"}),
    ("threshold", {}),
    ("calibration", {}),
    ("slices", {}),
    ("slices", {"view": "error tree"}),
    ("slices", {"view": "n-grams"}),
    ("run_diff", {"run_b": 4}),
    ("stacked", {"by": "config.params.threshold"}),
]


def _titles(spec: dict) -> list[str]:
    layout = spec["layout"]
    found = [layout.get("title", {}).get("text")]
    found += [layout[k].get("title", {}).get("text") for k in layout if AXIS.match(k)]
    return [t for t in found if t]


def _units(spec: dict) -> list[dict]:
    """A Vega-Lite spec's unit layers (nested layers flattened)."""
    return [unit for layer in spec.get("layer", []) for unit in (_units(layer) if "layer" in layer else [layer])]


@pytest.mark.parametrize(("page", "params"), PAGES, ids=[f"{p}-{'-'.join(map(str, q.values())) or 'default'}" for p, q in PAGES])
def test_every_chart_has_readable_ticks_and_uncut_titles(spec, demo, page, params):
    params = {k: (eval_run(demo, v).id if k == "run_b" else v) for k, v in params.items()}
    at = open_analysis_page(page, spec, run=eval_run(demo, 2).id, **params)
    assert problems(at) == []
    specs, vegas = plotly_specs(at), vega_charts(at)
    bars = [h.proto.body for h in at.get("html") if 'class="wbv-hists"' in h.proto.body]
    assert specs or vegas or bars
    for markup in bars:  # the group-by histograms: finished HTML, its type sizes in its style sheet
        sizes = {int(size) for size in re.findall(r"font-size: (\d+)px", markup)}
        assert min(sizes) == READABLE_TICKS["size"], page
        assert "text-overflow" not in markup, page  # titles and names wrap, whole
        assert all("…" not in title for title in histograms(at).panels), page
    for vega in vegas:  # the slice and n-gram rankings, the threshold curves
        assert vega.spec["config"]["axis"]["labelFontSize"] == READABLE_TICKS["size"], page
        assert vega.spec["usermeta"]["embedOptions"]["renderer"] == "svg", page
        for layer in _units(vega.spec):  # labels of a ranking: whole (cut only in the middle, by short())
            y = layer.get("encoding", {}).get("y", {})
            if y.get("type") == "nominal":
                assert y["axis"]["labelLimit"] >= 400, (page, y)
    for chart in specs:
        axes = [k for k in chart["layout"] if AXIS.match(k)]
        assert axes, chart["layout"].keys()
        for axis in axes:
            assert chart["layout"][axis].get("tickfont", {}).get("size") == READABLE_TICKS["size"], (page, axis)
        for title in _titles(chart):
            assert "…" not in title, title  # wrapped, not cut
            assert all(len(line) <= TITLE_LINE_CHARS for line in re.sub(r"&\w+;", "x", title).split("<br>")), title


def test_the_runs_and_lineage_charts_have_readable_ticks(spec):
    for page in ("pages/runs.py", "pages/lineage.py"):
        at = open_page(page, source=spec)
        assert problems(at) == []
        for chart in plotly_specs(at):
            for trace in chart["data"]:
                if trace["type"] == "parcoords":
                    assert trace["tickfont"]["size"] == READABLE_TICKS["size"]
            for axis in (k for k in chart["layout"] if AXIS.match(k)):
                assert chart["layout"][axis]["tickfont"]["size"] == READABLE_TICKS["size"], (page, axis)
