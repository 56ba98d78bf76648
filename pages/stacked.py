"""Stacked tables: pick runs with a config filter, stack their eval tables into one
frame with run and config columns, and compare error rates per param value."""

import streamlit as st

from wbview.analysis import runs as runs_table
from wbview.analysis import selection as views
from wbview.analysis.stacking import dataset_versions_warning, error_rates_by
from wbview.charts import stacked as charts
from wbview.ui import analysis_page, page, url_state
from wbview.ui.errors import guard
from wbview.ui.text import md_escape
from wbview.ui.widgets import filter_panel

ctx = page.start("Stacked tables")
runs = analysis_page.eval_runs(ctx)
specs = runs_table.filter_specs(runs_table.runs_frame(runs))
st.sidebar.header("Pick runs")
run_filter = filter_panel(specs, pinned=("job_type", "group"), container=st.sidebar, runs=runs)
picked_ids = [r.id for r in runs if run_filter.matches(r)]
if not picked_ids:
    st.info("No run with an eval table matches these filters. Widen a range or clear a selection in the sidebar.")
    st.stop()
cap = int(
    url_state.checked(
        st.sidebar.number_input,
        "Runs to stack (at most)",
        min_value=1,
        max_value=views.MAX_STACK_CAP,
        value=views.MAX_STACKED_RUNS,
        step=1,
        key="stack_runs",
        help="Each run's table is loaded into memory (a table may hold a million rows): raise it with care.",
    )
)
matching = len(picked_ids)
picked_ids = picked_ids[:cap]
picked = [r for r in runs if r.id in set(picked_ids)]
st.caption(f"Stacked {len(picked)} runs of {matching} matching (newest first).")
if matching > cap:
    st.warning(
        f"{matching} runs match; the first {cap} are stacked. Raise “Runs to stack” in the sidebar, "
        "or narrow the filters to choose which."
    )
table_key = st.selectbox("Table key (the same table of each run)", views.table_keys(picked), key="table_key", bind="query-params")
with guard():
    stacked = analysis_page.stacked_tables(ctx.spec, ctx.project, tuple(r.id for r in picked), table_key)
    warning = dataset_versions_warning({views.short_label(r): analysis_page.scored_dataset(ctx, r) for r in picked})


def review_sides() -> list[analysis_page.Side]:
    """The first runs' tables, prepared when the review is asked for (the stack is already cached)."""
    shown = [(r, views.table_for_key(r, table_key)) for r in picked[: analysis_page.MAX_REVIEW_RUNS]]
    return [(r, ref, analysis_page.prepared(ctx, ref, ())) for r, ref in shown if ref is not None]


analysis_page.download_review(ctx, review_sides, name=("stacked", table_key))
if warning:
    st.warning("**Dataset check (lineage).** " + md_escape(warning), icon="⚠️")
by_options = views.config_columns_for(stacked)
st.caption(
    f"{len(stacked):,} rows from {len(picked)} runs · config columns that differ between them (train.* come "
    f"from the run that trained each model, through lineage): "
    f"{', '.join(md_escape(c) for c in by_options if c != 'run') or 'none'}."
)

default = 1 if len(by_options) > 1 else 0
by = st.selectbox("Compare error rates by", by_options, index=default, key="by", bind="query-params")
with guard():
    rates = error_rates_by(stacked, by)
st.plotly_chart(charts.error_rate_figure(rates, by), key="rates_chart")
st.dataframe(rates, hide_index=True, key="rates_table", column_config=views.rate_columns(rates.columns))
st.caption("Error rates with 95% Wilson intervals; 'runs' counts the stacked runs behind each value.")

st.subheader("The stacked table")
analysis_page.show_rows(stacked, analysis_page.file_stem("stacked", table_key), "stacked")
