"""The page bench_browser measures the browser's floor on (`streamlit run bench/floor_app.py`):
``?v=bare`` is a title only; ``?v=one-bar`` adds a Vega-Lite chart of one bar (what loading
Vega's code costs); ``?v=html`` adds wbview's group-by histograms of a 20,000-row synthetic
eval table, as Error analysis draws them (finished HTML bars); ``?v=vega`` adds the same
histograms as the one Vega-Lite chart the page drew before (bench/vega_histograms.py, the
baseline). Every run ends as app.py's do (``settle_after_run``)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # streamlit puts bench/ first, not the repository

import streamlit as st

from bench.bench_analysis import synthetic_eval_table
from bench.vega_histograms import HistogramsChart, group_histograms_chart
from wbview.analysis.groups import GroupedHistograms, group_histograms
from wbview.analysis.prepare import prepare
from wbview.charts.errors import outcome_colours
from wbview.charts.histograms import Histograms, group_histograms_html
from wbview.ui.long_lived import settle_after_run

ROWS = 20_000


@st.cache_resource
def _grouped() -> GroupedHistograms:
    table = prepare(synthetic_eval_table(ROWS))
    by = table.schema.is_error
    return group_histograms(table, by=by, columns=[c for c in table.frame.columns if c not in (by, table.schema.id)])


@st.cache_resource
def _vega() -> HistogramsChart:
    grouped = _grouped()
    return group_histograms_chart(
        list(grouped.histograms.values()), grouped.group_sizes, outcome_colours(grouped.group_sizes.index)
    )


@st.cache_resource
def _html() -> Histograms:
    grouped = _grouped()
    return group_histograms_html(
        list(grouped.histograms.values()), grouped.group_sizes, outcome_colours(grouped.group_sizes.index)
    )


variant = st.query_params.get("v", "bare")
st.title(f"Floor: {variant}")
if variant == "one-bar":
    st.vega_lite_chart(
        {"data": {"values": [{"n": 1}]}, "mark": "bar", "encoding": {"y": {"field": "n", "type": "quantitative"}}},
        key="one-bar",
    )
elif variant == "vega":
    chart = _vega()
    st.vega_lite_chart(chart.data, chart.spec, width="content", key="histograms")
elif variant == "html":
    st.html(_html().html)
# As app.py ends every run: the floor is wbview's server set-up with nothing on the page (without
# it, Streamlit's collection after each run walks every imported object, ~50 ms a run here).
settle_after_run()
