"""One run: what it is (job type, group, state, tags), its config and summary, its metric
curves, its eval tables, the artifacts it used and logged, and where to go next."""

import pandas as pd
import streamlit as st

from wbview.analysis import runs as runs_table
from wbview.analysis import selection as views
from wbview.analysis.metadata import format_value, values_frame
from wbview.charts import runs as charts
from wbview.ui import loaders, page
from wbview.ui.errors import guard
from wbview.ui.text import md_escape

ctx = page.start("Run")
runs = page.require_runs(ctx)
run = page.pick_run(ctx, label="Run", runs=runs)
if run is None:
    st.stop()

st.subheader(md_escape(views.run_choice_label(run)))
facts = {
    "id": run.id,
    "name": run.name,
    "job type": run.job_type or "-",
    "group": run.group or "-",
    "state": run.state or "-",
    "created": run.created_at.strftime("%Y-%m-%d %H:%M UTC") if run.created_at else "-",
    "tags": ", ".join(run.tags) or "-",
}
st.dataframe({"field": list(facts), "value": list(facts.values())}, hide_index=True, key="facts")
actions = st.columns(4)
with actions[0]:
    page.link(ctx, "lineage", "Lineage of this run", root=run.id)
if run.tables:
    with actions[1]:
        page.link(ctx, "errors", "Error analysis of this run", run=run.id)
with actions[2]:
    page.link(ctx, "runs", "All runs", run=run.id)
if run.url:
    actions[3].link_button("Open in W&B ↗", run.url)

config_col, summary_col = st.columns(2)
with config_col:
    st.markdown("**Config**")
    if run.config:
        st.dataframe(values_frame(run.config), hide_index=True, width="stretch", key="config")
    else:
        st.caption("This run recorded no config.")
with summary_col:
    st.markdown("**Summary**")
    summary = {k: v for k, v in run.summary.items() if not str(k).startswith("_")}
    if summary:
        st.dataframe(values_frame(summary), hide_index=True, width="stretch", key="summary")
    else:
        st.caption("This run recorded no summary.")

st.subheader("Metrics")
with guard(stop=False):
    history = loaders.history(ctx.spec, ctx.project, run.id)
    keys = sorted(c for c in history.columns if not str(c).startswith("_") and history[c].notna().any())
    if keys:
        metric = st.selectbox("Metric", keys, index=keys.index(runs_table.default_metric(keys)), key="curve", bind="query-params")
        st.plotly_chart(charts.metric_curves({views.run_choice_label(run): history}, metric), key="curve_chart")
    else:
        st.caption("This run logged no metric history.")

st.subheader("Tables")
with guard(stop=False):
    refs = loaders.tables(ctx.spec, ctx.project, run.id)
    if not refs:
        st.caption("This run logged no tables.")
    else:
        st.dataframe(
            pd.DataFrame(
                {"key": [r.key for r in refs], "table": [views.table_name(r) for r in refs], "rows": [r.nrows for r in refs]}
            ),
            hide_index=True,
            key="tables",
        )
        for ref in refs:
            page.link(ctx, "errors", f"Error analysis of {ref.key}", run=run.id, table=views.table_name(ref))

st.subheader("Artifacts")
with guard(stop=False):
    used_logged = loaders.run_artifacts(ctx.spec, ctx.project, run.id)
    for title, names in (("Used (inputs)", used_logged.used), ("Logged (outputs)", used_logged.logged)):
        st.markdown(f"**{title}**")
        if not names:
            st.caption("None recorded.")
        for name in names:
            with guard(stop=False):
                art = loaders.artifact(ctx.spec, ctx.project, name)
                page.link(
                    ctx,
                    "artifacts",
                    f"{art.id} · {art.type} · {format_value(art.size_bytes)} bytes"
                    if art.size_bytes
                    else f"{art.id} · {art.type}",
                    type=art.type,
                    collection=art.name,
                    version=art.version,
                )
