"""Runs: filter, sort, group, compare params (parallel coordinates) and metric curves."""

import streamlit as st

from wbview.analysis import runs as runs_table
from wbview.charts import runs as charts
from wbview.ui import loaders, page
from wbview.ui.errors import guard
from wbview.ui.text import md_escape
from wbview.ui.widgets import filter_panel

ctx = page.start("Runs")
runs = page.require_runs(ctx)

specs = runs_table.filter_specs(runs_table.runs_frame(runs))  # widgets offer the values present
st.sidebar.header("Filters")
run_filter = filter_panel(specs, pinned=runs_table.ATTRIBUTE_FILTERS, container=st.sidebar, runs=runs)
with guard():
    matching = loaders.runs(ctx.spec, ctx.project, tuple(run_filter.to_text())) if not run_filter.is_empty else runs
shown = runs_table.runs_frame(matching)
st.caption(f"{len(shown):,} of {len(runs):,} runs match the filters.")
if shown.empty:
    st.info("No run matches these filters. Widen a range or clear a selection in the sidebar.")
    st.stop()

metrics = runs_table.numeric_columns(shown, runs_table.summary_columns(shown))
group_by = st.segmented_control("Group by", ["none", *runs_table.GROUPABLE], default="none", key="group_by", bind="query-params")
if group_by and group_by != "none":
    st.dataframe(runs_table.group_table(shown, group_by, metrics), hide_index=True)

default_metric = runs_table.default_metric(metrics)
rank_col, columns_col = st.columns([1, 3])
metric = (
    rank_col.selectbox(
        "Rank by metric",
        metrics,
        index=metrics.index(default_metric) if metrics else None,
        key="metric",
        bind="query-params",
        help="Best first (losses and error rates lowest first); it also colours the chart below.",
    )
    if metrics
    else None
)
shown, leaderboard = runs_table.leaderboard(shown, metric)
chosen_columns = columns_col.multiselect(
    "Columns",
    [c for c in leaderboard if c not in ("name", "id")],
    key="cols",
    bind="query-params",
    placeholder="leaderboard: the metric, the params that differ, other metrics, then the rest",
    help="Kept in the link. Empty columns are left out; clear the choice for the leaderboard order.",
)
column_config = {
    "created_at": st.column_config.DatetimeColumn("created", format="YYYY-MM-DD HH:mm"),
    "name": st.column_config.TextColumn("name", pinned=True),
    "id": st.column_config.TextColumn("id", pinned=True),
    "page": st.column_config.LinkColumn("run page", display_text="open", help="The run's own page"),
}
shown = shown.assign(page=[page.page_url(ctx, "run", run=i) for i in shown["id"]])
columns = ["name", "id", "page", *(chosen_columns or leaderboard[2:])]
if shown["url"].notna().any():
    column_config["url"] = st.column_config.LinkColumn("W&B", display_text="open ↗")
    columns = [*columns[:3], "url", *columns[3:]]
st.dataframe(shown, column_order=columns, column_config=column_config, hide_index=True, key="runs_table")

st.subheader("Parameters against a metric")
scored, params = runs_table.parallel_axes(shown, metric)
if params:
    if scored["job_type"].nunique() == 1 and shown["job_type"].nunique() > 1:
        st.caption(
            f"Axes from the {len(scored)} {md_escape(scored['job_type'].iloc[0])} runs that report this metric "
            "(their params differ most); filter on job type to see the others."
        )
    st.plotly_chart(
        charts.parallel_coordinates(
            scored,
            [*params, metric],
            metric,
            run_labels=[f"{n} ({i})" for n, i in zip(scored["name"], scored["id"], strict=True)],
        ),
        key="parcoords",
    )
else:
    st.caption("Parallel coordinates need runs with a numeric summary metric whose params.* values differ.")

st.subheader("Metric curves")
labels = {row.id: f"{row.name} ({row.id})" for row in shown.itertuples()}
compare = st.multiselect(
    "Runs",
    list(labels),
    format_func=labels.get,
    key="compare",
    bind="query-params",
    placeholder="runs that logged this metric's history",
)
with guard():
    if compare:
        histories = {i: loaders.history(ctx.spec, ctx.project, i) for i in compare}
    else:
        histories = runs_table.runs_with_history(list(labels), lambda i: loaders.history(ctx.spec, ctx.project, i))
curve_keys = sorted({c for h in histories.values() for c in h.columns if not c.startswith("_")})
if curve_keys:
    curve = st.selectbox(
        "Metric", curve_keys, index=curve_keys.index(runs_table.default_metric(curve_keys)), key="curve", bind="query-params"
    )
    drawn = {labels[i]: h for i, h in histories.items() if compare or (curve in h.columns and h[curve].notna().any())}
    st.plotly_chart(charts.metric_curves(drawn, curve), key="curves")
else:
    st.caption("These runs logged no metric history.")

st.subheader("Open a run")
run = page.pick_run(ctx, label="Run", runs=[r for r in runs if r.id in labels])
if run is not None:
    cols = st.columns(4)
    with cols[0]:
        page.link(ctx, "run", "Open the run's page", run=run.id)
    with cols[1]:
        page.link(ctx, "lineage", "Lineage of this run", root=run.id)
    if run.tables:  # only runs that logged an eval table have an error analysis
        with cols[2]:
            page.link(ctx, "errors", "Error analysis of this run", run=run.id)
    if run.url:
        cols[3].link_button("Open in W&B ↗", run.url)
