"""Threshold & cost: precision, recall, FN/FP rates and expected cost at every distinct
threshold of a binary eval table; the cost-optimal threshold, the highest threshold
reaching a target recall, and the rows whose outcome changes at the chosen threshold."""

import streamlit as st

from wbview.analysis import selection as views
from wbview.analysis import threshold as th
from wbview.ui import analysis_page, page, url_state, widgets
from wbview.ui.errors import guard
from wbview.ui.text import md_escape

POINTS = ["cost-optimal", "target recall", "logged", "custom"]
CURVE_PANEL_KEY = "_curve_open"  # the every-threshold grid is drawn only while its panel is open

ctx = page.start("Threshold & cost")
run, ref = page.pick_eval_table(ctx)
_, mapping = page.mapped_table(ctx, ref)
table = analysis_page.prepared(ctx, ref, mapping)
one_class = analysis_page.pick_one_class(table)  # a multi-class table: one class against the rest
if one_class is not None:
    table = analysis_page.prepared(ctx, ref, mapping, one_class)
analysis_page.require_binary(table, "Threshold analysis")
if one_class is None:
    table = analysis_page.prepared(ctx, ref, mapping, analysis_page.pick_positive(table))
positive = table.positive_class

cost_fn, cost_fp, recall_col = st.columns(3)
fn_cost = cost_fn.number_input(
    "Cost of a missed positive (FN)",
    min_value=0.0,
    value=1.0,
    step=1.0,
    key="fn_cost",
    bind="query-params",
    help=f"A {md_escape(positive)} row the model lets through.",
)
fp_cost = cost_fp.number_input(
    "Cost of a false alarm (FP)", min_value=0.0, value=1.0, step=1.0, key="fp_cost", bind="query-params"
)
target_recall = recall_col.slider("Target recall", 0.5, 1.0, 0.95, 0.005, format="%.3f", key="recall", bind="query-params")
with guard():
    curve = th.threshold_curve(table, fn_cost, fp_cost)
    # A recorded threshold belongs to the logged (argmax) predictions, not to one class against the rest.
    recorded, recorded_in = (
        (None, "") if one_class is not None else views.recorded_threshold(run, analysis_page.artifact_metadata(ctx, ref.artifact))
    )
    logged = recorded if recorded is not None else th.logged_threshold(table)
    best = th.cost_optimal_threshold(curve)
    reach = th.threshold_for_recall(curve, target_recall)
st.caption(
    f"{len(curve) - 1:,} distinct thresholds over {table.n_rows:,} rows · a row is flagged "
    f"{md_escape(positive)} when its probability ≥ the threshold · cost ratio FN:FP = {fn_cost:g}:{fp_cost:g}."
)

point = st.segmented_control("Operating point", POINTS, default="cost-optimal", required=True, key="point", bind="query-params")
named = {"cost-optimal": float(best["threshold"]), "target recall": float(reach["threshold"]), "logged": logged}
if point == "custom":
    chosen = url_state.checked(
        st.number_input,
        "Threshold",
        min_value=0.0,
        max_value=1.0,
        value=logged if logged is not None else 0.5,
        step=0.01,
        format="%.4f",
        key="t",
        why="a threshold is between 0 and 1",
    )
elif point == "logged" and logged is None:
    st.warning("No single threshold reproduces the logged predictions; showing the cost-optimal one instead.")
    chosen = named["cost-optimal"]
else:
    chosen = named[point]

with guard():
    at_chosen = th.operating_point(table, chosen, fn_cost, fp_cost)
    at_logged = th.operating_point(table, logged, fn_cost, fp_cost) if logged is not None else None
analysis_page.download_review(ctx, [(run, ref, table)], threshold=chosen, fn_cost=fn_cost, fp_cost=fp_cost)
st.subheader(f"At threshold {views.format_threshold(chosen)}")
for column, (label, value, delta) in zip(st.columns(6), views.operating_metrics(at_chosen, at_logged), strict=False):
    column.metric(label, value, delta=delta, delta_color="off", help="Change against the logged threshold")
st.caption(
    f"Cost-optimal: {views.format_threshold(best['threshold'])} (cost {best['cost']:,.6g}) · highest "
    f"threshold with recall ≥ {target_recall:.3f}: {views.format_threshold(reach['threshold'])} · logged: "
    f"{views.format_threshold(logged)} ({f'from {md_escape(recorded_in)}' if recorded is not None else 'inferred from the table'})."
)

drawn = analysis_page.threshold_chart(table, curve, chosen, logged, fn_cost, fp_cost)
st.vega_lite_chart(drawn.data, drawn.spec, width="stretch", key="threshold_chart")
curve_panel = widgets.panel_on_demand(f"Every threshold ({len(curve):,} rows)", CURVE_PANEL_KEY)
if curve_panel.open:  # its grid changes at every threshold move: drawn only while open
    with curve_panel:
        shown = views.thin_rows(curve, views.MAX_SHOWN_ROWS, keep=[views.curve_position(curve, chosen)])
        if len(shown) < len(curve):
            st.caption(f"Showing {len(shown):,} evenly spaced thresholds; the CSV has all {len(curve):,}.")
        st.dataframe(shown, hide_index=True, key="curve_table", column_config=views.rate_columns(shown.columns))
        analysis_page.download_csv(
            curve, analysis_page.file_stem(run.id, "threshold-curve"), "curve", "Download every threshold as CSV"
        )

st.subheader("Rows that change outcome")
with guard():
    changes = analysis_page.outcome_changes(ctx.spec, ctx.project, ref, mapping, positive, chosen)
if not changes.rows:
    st.success(f"No row changes outcome between the logged predictions and threshold {views.format_threshold(chosen)}.")
else:
    st.caption("From the logged predictions to the chosen threshold:")
    st.dataframe(changes.counts, hide_index=True, key="change_counts")
    analysis_page.show_first_rows(
        changes.first,
        changes.rows,
        analysis_page.outcome_changes_csv(ctx.spec, ctx.project, ref, mapping, positive, chosen),
        analysis_page.file_stem(run.id, "outcome-changes"),
        "changes",
    )
