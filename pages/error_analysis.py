"""Error analysis of one eval table: group-by histograms, false-negative focus,
high-confidence errors, a confusion matrix that filters rows, search, filters, CSV."""

import streamlit as st

from wbview.ui import analysis_page, error_view, loaders, marks_view, page, url_state
from wbview.ui.errors import guard
from wbview.ui.text import md_escape

ctx = page.start("Error analysis")
run, ref = page.pick_eval_table(ctx)
_, mapping = page.mapped_table(ctx, ref)
with guard():
    table = loaders.prepared(ctx.spec, ctx.project, ref, mapping)
analysis_page.download_review(ctx, [(run, ref, table)])

st.sidebar.header("Rows")
with guard():
    query = error_view.row_filters(table)
marks = marks_view.sidebar(ctx, ref)
options = error_view.cell_options(table)
selection_line = st.empty()  # "N of M rows selected", above the tabs, filled once the selection is known
# Only the open tab runs (bound tabs know which one is open): the others' figures and grids
# would be computed, sent and drawn for nothing. The open tab is in the link.
tab_groups, tab_fn, tab_conf, tab_matrix, tab_rows = st.tabs(
    ["Group by", "False negatives", "High-confidence errors", "Confusion matrix", "Rows"], key="tab", bind="query-params"
)
if tab_matrix.open:
    with tab_matrix, guard(stop=False):
        # Drawn before the cell widget so that a click on the heatmap can choose the cell.
        error_view.render_confusion(
            table,
            query,
            st.session_state.get(error_view.CELL_KEY) and options.get(st.session_state[error_view.CELL_KEY]),
            options,
        )
linked_cell = None if error_view.CELL_KEY in st.session_state else st.query_params.get(error_view.CELL_KEY)
cell_label = st.sidebar.selectbox("Rows in the confusion cell", list(options), key=error_view.CELL_KEY, bind="query-params")
if linked_cell is not None and linked_cell != cell_label:
    url_state.link_warning("Confusion cell", linked_cell, "is not a cell of this table's confusion matrix", cell_label)
with guard():
    mask = error_view.selection_mask(table, query, options.get(cell_label))
    marked = marks_view.mask(table, marks)
    if marked is not None:
        mask = mask & marked
selection_line.caption(f"{int(mask.sum()):,} of {table.n_rows:,} rows selected · classes: {md_escape(', '.join(table.classes))}")
if not mask.any():
    st.info("No row matches the search, filters, marks and confusion cell. Clear some of them in the sidebar.")
    st.stop()
# The histograms are kept per selection: the marks filter is part of it when it filters.
selection = (query, options.get(cell_label), (marks.tags, marks.which, marks.marks) if marks.filtering else None)
if tab_groups.open:
    with tab_groups, guard(stop=False):
        error_view.render_groups(table, mask, selection=selection)
if tab_fn.open:
    with tab_fn, guard(stop=False):
        error_view.render_false_negatives(table, mask)
if tab_conf.open:
    with tab_conf, guard(stop=False):
        error_view.render_high_confidence(table, mask)
if tab_rows.open:
    with tab_rows, guard(stop=False):
        error_view.render_rows(
            table,
            mask,
            file_stem=f"{run.id}-{ref.key.replace('/', '-')}",
            first_column=marks_view.column(table, marks),
            on_row=lambda row: marks_view.mark_form(ctx, ref, table, row, marks),
        )
