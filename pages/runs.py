"""Runs: filter, sort and page (done by the source: W&B on its server), group, compare
params (parallel coordinates) and, when asked, metric curves fetched in parallel."""

import streamlit as st

from wbview.analysis import runs as runs_table
from wbview.charts import runs as charts
from wbview.filters import KEY_SAMPLE_RUNS
from wbview.ui import loaders, page, url_state
from wbview.ui.errors import guard
from wbview.ui.text import md_escape
from wbview.ui.widgets import filter_panel

PAGE_SIZES = (50, 100, 500)
CURVE_RUNS = 10  # runs whose curves are drawn when none is picked
MAX_COMPARED = 20  # histories fetched for one chart

ctx = page.start("Runs")
with guard():  # the latest runs: filter choices, metrics and key names come from them, never from every run
    latest = loaders.runs_page(ctx.spec, ctx.project, limit=KEY_SAMPLE_RUNS)
if not latest.runs:
    st.info(f"The project {md_escape(ctx.project)} has no runs. Log a run to W&B, or pick another project in the sidebar.")
    st.stop()
sample = list(latest.runs)
in_project = latest.total if latest.total is not None else len(sample)
sample_frame = runs_table.runs_frame(sample)

specs = runs_table.filter_specs(sample_frame)  # widgets offer the values present
st.sidebar.header("Filters")
if in_project > len(sample):
    st.sidebar.caption(f"Choices come from the latest {len(sample):,} of the {in_project:,} runs; filters apply to all.")
run_filter = filter_panel(specs, pinned=runs_table.ATTRIBUTE_FILTERS, container=st.sidebar, runs=sample, runs_total=in_project)
filter_texts = tuple(run_filter.to_text())

metrics = runs_table.numeric_columns(sample_frame, runs_table.summary_columns(sample_frame))
default_metric = runs_table.default_metric(metrics)
rank_col, size_col, page_col = st.columns([3, 1, 1])
metric = (
    rank_col.selectbox(
        "Rank by metric",
        metrics,
        index=metrics.index(default_metric) if metrics else None,
        key="metric",
        bind="query-params",
        help="Best first (losses and error rates lowest first), over all matching runs; it also colours the chart below.",
    )
    if metrics
    else None
)
order = runs_table.best_first(sample_frame, metric)
per_page = int(size_col.selectbox("Runs per page", PAGE_SIZES, key="per_page", bind="query-params") or PAGE_SIZES[0])
number = url_state.linked_page("page", parent=(filter_texts, order.to_text(), per_page))
with guard():
    result = loaders.runs_page(ctx.spec, ctx.project, filter_texts, (number - 1) * per_page, per_page, order.to_text())
    if number > result.pages:  # a link past the last page: show the last one
        result = loaders.runs_page(ctx.spec, ctx.project, filter_texts, (result.pages - 1) * per_page, per_page, order.to_text())
number = url_state.page_number(f"Page (of {result.pages:,})", number, result.pages, "page", container=page_col)
matching = result.total if result.total is not None else len(result.runs)
if not result.runs:
    st.caption(f"0 of {in_project:,} runs match the filters.")
    st.info("No run matches these filters. Widen a range or clear a selection in the sidebar.")
    st.stop()
first = result.offset + 1
sorted_by = f"best {md_escape(metric)} first" if metric else "newest first"
st.caption(
    f"{matching:,} of {in_project:,} runs match the filters; showing {first:,}–{first + len(result.runs) - 1:,}, {sorted_by}."
)
shown = runs_table.runs_frame(result.runs)
page_metrics = runs_table.numeric_columns(shown, runs_table.summary_columns(shown))

group_by = st.segmented_control("Group by", ["none", *runs_table.GROUPABLE], default="none", key="group_by", bind="query-params")
if group_by and group_by != "none":
    if result.pages > 1:
        st.caption("Groups of the runs on this page.")
    st.dataframe(runs_table.group_table(shown, group_by, page_metrics), hide_index=True)

shown, leaderboard = runs_table.leaderboard(shown, metric)
chosen_columns = st.multiselect(
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
show_curves = url_state.checked(
    st.toggle,
    "Show metric curves",
    key="curves",
    help=f"Loads the histories of the runs picked here, else of the first {CURVE_RUNS} runs of this page, in parallel.",
)
compare = st.multiselect(
    "Runs",
    list(labels),
    format_func=labels.get,
    key="compare",
    bind="query-params",
    max_selections=MAX_COMPARED,
    placeholder=f"the first {CURVE_RUNS} runs of this page that logged a history",
    disabled=not show_curves,
)
if not show_curves:
    st.caption("Turn on “Show metric curves” to load the runs' histories (one request per run, made in parallel).")
else:
    with guard():
        histories = loaders.histories(ctx.spec, ctx.project, tuple(compare or list(labels)[:CURVE_RUNS]))
    curve_keys = sorted({c for h in histories.values() for c in h.columns if not c.startswith("_")})
    if curve_keys:
        curve = st.selectbox(
            "Metric", curve_keys, index=curve_keys.index(runs_table.default_metric(curve_keys)), key="curve", bind="query-params"
        )
        drawn = {labels[i]: h for i, h in histories.items() if compare or (curve in h.columns and h[curve].notna().any())}
        st.plotly_chart(charts.metric_curves(drawn, curve), key="curves_chart")
    else:
        st.caption("These runs logged no metric history.")

st.subheader("Open a run")
run = page.pick_run(ctx, label="Run", runs=list(result.runs))
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
