"""The page bench_browser measures the browser's floor on (`streamlit run bench/floor_app.py`):
``?v=bare`` is a title only; ``?v=one-bar`` adds a Vega-Lite chart of one bar (what loading
Vega's code costs); ``?v=vega`` adds wbview's group-by histograms of a 20,000-row
synthetic eval table (one Vega-Lite chart, as Error analysis draws them); ``?v=plotly`` adds
the same counts in plotly (one figure of subplots: faster than the figure per column the page
drew before). Every run ends as app.py's do (``settle_after_run``)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # streamlit puts bench/ first, not the repository

import streamlit as st

from bench.bench_analysis import synthetic_eval_table
from wbview.analysis.groups import group_histograms
from wbview.analysis.prepare import prepare
from wbview.charts.errors import HistogramsChart, group_histograms_chart, outcome_colours
from wbview.ui.long_lived import settle_after_run

ROWS = 20_000


@st.cache_resource
def _chart() -> HistogramsChart:
    table = prepare(synthetic_eval_table(ROWS))
    by = table.schema.is_error
    grouped = group_histograms(table, by=by, columns=[c for c in table.frame.columns if c not in (by, table.schema.id)])
    return group_histograms_chart(
        list(grouped.histograms.values()), grouped.group_sizes, outcome_colours(grouped.group_sizes.index)
    )


def _plotly(chart: HistogramsChart):
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    rows = chart.spec["vconcat"]
    ordered = chart.data.sort_values("group", kind="stable")
    panels = list(dict.fromkeys(ordered["panel"]))  # in the groups' order, as the Vega-Lite chart draws them
    colours = dict(zip(ordered["panel"], ordered["colour"], strict=True))
    figure = make_subplots(
        rows=len(rows), cols=len(panels), subplot_titles=[" ".join(r["title"]["text"]) for r in rows for _ in panels]
    )
    for r in range(len(rows)):
        for c, panel in enumerate(panels):
            part = chart.data[(chart.data["row"] == r) & (chart.data["panel"] == panel)]
            figure.add_trace(
                go.Bar(x=part["bin"], y=part["n"], marker_color=colours[panel], showlegend=False), row=r + 1, col=c + 1
            )
    figure.update_layout(height=280 * len(rows))
    return figure


variant = st.query_params.get("v", "bare")
st.title(f"Floor: {variant}")
if variant == "one-bar":
    st.vega_lite_chart(
        {"data": {"values": [{"n": 1}]}, "mark": "bar", "encoding": {"y": {"field": "n", "type": "quantitative"}}},
        key="one-bar",
    )
elif variant == "vega":
    chart = _chart()
    st.vega_lite_chart(chart.data, chart.spec, width="content", key="histograms")
elif variant == "plotly":
    st.plotly_chart(_plotly(_chart()), key="histograms")
# As app.py ends every run: the floor is wbview's server set-up with nothing on the page (without
# it, Streamlit's collection after each run walks every imported object, ~50 ms a run here).
settle_after_run()
