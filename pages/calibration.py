"""Calibration: reliability diagram and expected calibration error (ECE) per class,
compared across the selected runs' eval tables (uniform bins line up run for run)."""

import streamlit as st

from wbview.analysis import selection as views
from wbview.analysis.calibration import compare_calibration
from wbview.charts import calibration as charts
from wbview.charts.calibration import ece_figure
from wbview.ui import analysis_page, page, url_state, widgets
from wbview.ui.errors import guard
from wbview.ui.text import md_escape

MAX_DEFAULT_RUNS = 3
BINS_PANEL_KEY = "_bins_open"  # the bins grid is drawn only while its panel is open

ctx = page.start("Calibration")
runs = analysis_page.eval_runs(ctx)
by_id = {r.id: r for r in runs}
# Options are run ids, kept in the URL by hand: a bound widget would write the shown "name (id)".
chosen_ids = url_state.choices(
    "Runs to compare",
    list(by_id),
    "runs",
    format_func=lambda i: views.run_choice_label(by_id[i]),
    help="Type part of a run's name or id to search.",
    placeholder=f"up to {MAX_DEFAULT_RUNS} distinct models, the weakest included",
)
with guard():
    chosen = [by_id[i] for i in chosen_ids] or views.distinct_model_runs(
        runs, lambda r: analysis_page.model_of(ctx, r), MAX_DEFAULT_RUNS
    )
st.caption("Comparing: " + " · ".join(md_escape(views.short_label(r)) for r in chosen))
keys = views.table_keys(chosen)
table_key = st.selectbox("Table key (the same table of each run)", keys, key="table_key", bind="query-params")
refs = {views.short_label(r): views.table_for_key(r, table_key) for r in chosen if views.table_for_key(r, table_key)}
first_ref = next(iter(refs.values()))
_, mapping = page.mapped_table(ctx, first_ref)
tables = {label: analysis_page.prepared(ctx, ref, mapping) for label, ref in refs.items()}
by_label = {views.short_label(r): r for r in chosen}
analysis_page.download_review(ctx, [(by_label[label], ref, tables[label]) for label, ref in refs.items()])

bins_col, strategy_col = st.columns(2)
n_bins = url_state.checked(bins_col.slider, "Bins", 5, 30, 10, key="bins", why="bins go from 5 to 30")
strategy = strategy_col.segmented_control(
    "Binning",
    ["uniform", "quantile"],
    default="uniform",
    required=True,
    key="strategy",
    bind="query-params",
    help="Uniform bins share their edges across runs; quantile bins hold equal rows.",
)
with guard():
    result = compare_calibration(tables, n_bins=n_bins, strategy=strategy)

classes = list(dict.fromkeys(result.ece["class"]))
cls = st.selectbox(
    "Class",
    classes,
    key="cls",
    bind="query-params",
    help="Binary tables: the positive class. Multi-class: each class one-vs-rest, and the top label.",
)
st.plotly_chart(charts.reliability_figure(result.bins[result.bins["class"] == cls], str(cls)), key="reliability_chart")
st.caption(
    "Points on the diagonal are perfectly calibrated: of the rows scored about p, a share p is positive. "
    "Bars give 95% Wilson intervals; ECE weighs each bin's gap by its rows."
)

st.subheader("Expected calibration error")
ece = result.ece.pivot(index="run", columns="class", values="ece").reset_index()
st.dataframe(
    ece,
    hide_index=True,
    key="ece_table",
    column_config={c: st.column_config.NumberColumn(str(c), format="%.4f") for c in classes},
)
st.plotly_chart(ece_figure(result.ece), key="ece_chart")
best = result.ece[result.ece["class"] == cls].sort_values("ece").iloc[0]
st.caption(f"Best calibrated on {md_escape(cls)}: {md_escape(best['run'])} (ECE {best['ece']:.4f}, {int(best['rows']):,} rows).")
bins_panel = widgets.panel_on_demand("Bins of every run and class", BINS_PANEL_KEY)
if bins_panel.open:
    with bins_panel:
        st.dataframe(result.bins, hide_index=True, key="bins_table")
        analysis_page.download_csv(result.bins, "calibration-bins", "bins")
