"""Where errors concentrate: every column and derived text feature ranked by lift in
error rate (or false-negative rate) with confidence intervals and support; n-grams
over-represented among the misses; an error tree of the worst cohorts."""

import streamlit as st

from wbview.analysis import selection as views
from wbview.analysis import slices
from wbview.charts import slices as charts
from wbview.ui import analysis_page, page, url_state
from wbview.ui.errors import guard
from wbview.ui.text import md_escape

TARGETS: dict[str, slices.Target] = {"error rate": "error", "FN rate": "fn"}  # label in the page and the URL -> target
VIEWS = ["ranked slices", "n-grams", "error tree"]
NGRAM_MIN_ROWS = 20  # n-grams are counted on a sample: their own support floor

ctx = page.start("Where errors concentrate")
run, ref = page.pick_eval_table(ctx)
_, mapping = page.mapped_table(ctx, ref)
table = analysis_page.prepared(ctx, ref, mapping)
positive = analysis_page.pick_positive(table)
table = analysis_page.prepared(ctx, ref, mapping, positive)
analysis_page.download_review(ctx, [(run, ref, table)])

target_col, support_col = st.columns(2)
labels = list(TARGETS) if table.is_binary else ["error rate"]
rank_by = target_col.segmented_control(
    "Rank by",
    labels,
    default="error rate",
    required=True,
    key="target",
    bind="query-params",
    help="FN rate: misses among the actual positives.",
)
target = TARGETS[rank_by]
min_rows = url_state.checked(
    support_col.number_input,
    "Smallest slice (rows)",
    min_value=1,
    value=30,
    step=10,
    key="min_rows",
    why="a slice needs at least 1 row",
    help="Slices with fewer rows are left out.",
)
args = (ctx.spec, ctx.project, ref, mapping, positive, target)
# One view at a time (not tabs): tabs would compute all three on every interaction.
view = st.segmented_control("View", VIEWS, default=VIEWS[0], required=True, key="view", bind="query-params")
include_outputs = st.toggle(
    "Include the model's outputs (confidence, probabilities, predicted label)",
    value=False,
    key="outputs",
    bind="query-params",
    help="They explain errors by construction, so they are left out of the ranked slices by default.",
)

if view == "ranked slices":
    with guard():
        ranked = analysis_page.ranked_slices(*args, int(min_rows), include_outputs)
    st.caption(
        f"{len(ranked):,} slices with ≥ {int(min_rows):,} rows, ranked by the lower 95% bound of the lift "
        f"({rank_by} in the slice ÷ overall), so small slices need strong evidence."
    )
    if ranked.empty:
        st.info("No slice is that large. Lower 'Smallest slice (rows)'.")
    else:
        lift = charts.slice_lift_chart(ranked.head(20), rank_by)
        st.vega_lite_chart(lift.data, lift.spec, width="stretch", key="lift_chart")
        st.dataframe(
            ranked.head(views.MAX_SHOWN_ROWS),
            hide_index=True,
            key="slices_table",
            column_config=views.rate_columns(ranked.columns),
        )
        analysis_page.download_csv(ranked, analysis_page.file_stem(run.id, "slices", target), "slices")
        slice_choices = views.slice_labels(ranked.head(50))
        picked = st.selectbox("Show the rows of a slice", list(slice_choices), key="slice", bind="query-params")
        with guard(stop=False):
            feature, value = slice_choices[picked]
            mask = slices.slice_mask(table, feature, value, target=target)  # the rows the table counted
            counted = "actual positives" if target == "fn" else "labelled rows"
            analysis_page.show_masked_rows(
                table.frame,
                mask,
                analysis_page.file_stem(run.id, "slice"),
                "slice_rows",
                caption=f"The slice's {counted} (its 'rows' above): ",
            )

elif view == "n-grams":
    if table.schema.text is None:
        st.info("N-grams need a text column; map one in the column mapping.")
    else:
        with guard():
            grams = analysis_page.ranked_ngrams(*args, NGRAM_MIN_ROWS)
        sampled, population = (int(grams[c].iloc[0]) for c in ("sampled_rows", "population_rows")) if len(grams) else (0, 0)
        st.caption(
            f"Word 1- and 2-grams in {md_escape(table.schema.text)}, ranked by lift in the {rank_by}"
            + (f" (a random sample of {sampled:,} rows)." if sampled and sampled < population else ".")
        )
        if len(grams):
            gram_chart = charts.ngram_chart(grams)
            st.vega_lite_chart(gram_chart.data, gram_chart.spec, width="stretch", key="ngram_chart")
        st.dataframe(
            grams.head(views.MAX_SHOWN_ROWS), hide_index=True, key="ngrams_table", column_config=views.rate_columns(grams.columns)
        )
        analysis_page.download_csv(grams, analysis_page.file_stem(run.id, "ngrams", target), "ngrams")

else:
    depth = url_state.checked(st.slider, "Tree depth", 1, 5, 3, key="depth", why="tree depth goes from 1 to 5")
    with guard():
        tree = analysis_page.error_tree(*args, depth)
    st.caption(
        "Greedy splits on the inputs (not the model's outputs). Coverage: the cohort's share of all "
        f"{'misses' if target == 'fn' else 'errors'}; share of data: its share of the rows."
    )
    leaves = tree.leaves()
    st.plotly_chart(charts.cohort_rate_figure(leaves, rank_by), key="cohort_chart")
    st.plotly_chart(charts.error_tree_figure(tree.nodes), key="tree_chart")
    st.dataframe(leaves, hide_index=True, key="leaves_table", column_config=views.rate_columns(leaves.columns))
    cohorts = {views.cohort_label(row): int(row.node) for row in leaves.itertuples()}
    cohort = st.selectbox("Show the rows of a cohort", list(cohorts), key="cohort", bind="query-params")
    analysis_page.show_masked_rows(
        table.frame, tree.mask(cohorts[cohort]), analysis_page.file_stem(run.id, "cohort"), "cohort_rows"
    )
