"""Error-analysis page helpers: row selection widgets (search, column filters, confusion
cell), and the renderers of each view. Analysis itself lives in ``wbview.analysis``."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import streamlit as st

from wbview.analysis import label_noise, outcomes, rows
from wbview.analysis.groups import group_histograms
from wbview.analysis.memo import RecentResults
from wbview.analysis.prepare import PreparedTable
from wbview.analysis.selection import MAX_SHOWN_ROWS, for_display, rate_columns
from wbview.charts.errors import confusion_figure, outcome_colours
from wbview.charts.histograms import group_histograms_html
from wbview.errors import BadFilter, BadTable
from wbview.filters import QUERY_PARAM
from wbview.ui import url_state
from wbview.ui.analysis_page import held_weakly
from wbview.ui.errors import guard
from wbview.ui.text import md_escape, show_long_text
from wbview.ui.widgets import fresh_click

ALL_CELLS = "all rows"
CELL_KEY = "cell"
ROW_FILTER_PREFIX = "rf."  # widget keys of the row filters
ROW_LIMIT = MAX_SHOWN_ROWS  # rows sent to the browser per table (one limit for every page); CSVs have all
MAX_HISTOGRAM_COLUMNS = 24
MEMO_ENTRIES = 8  # per prepared table and view: recent selections whose results are kept
T = TypeVar("T")


def memo(table: PreparedTable, view: str, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` once per (table, view, key): a rerun whose inputs did not change (another
    tab's widget moved) reuses the masks, histograms and figures instead of redoing 1M-row work.
    Kept in the table's own cache (shared by sessions, so results must not be mutated)."""
    recent = table.memo.get(("error_view", view), lambda: RecentResults(MEMO_ENTRIES))
    return recent.get(key, compute)


def query_mask(table: PreparedTable, query: rows.RowQuery) -> np.ndarray:
    """The search and column filters' row mask, computed once per query (read-only)."""

    def compute() -> np.ndarray:
        mask = rows.query_mask(table, query)
        mask.flags.writeable = False
        return mask

    return memo(table, "query", query, compute)


def cell_name(true_class: str, predicted_class: str) -> str:
    return f"true {true_class} → predicted {predicted_class}"


def cell_options(table: PreparedTable) -> dict[str, tuple[str, str] | None]:
    """Confusion-matrix cells a user can filter to (label -> (true, predicted))."""
    options: dict[str, tuple[str, str] | None] = {ALL_CELLS: None}
    if table.schema.has_labels:
        for true_class in table.classes:
            for predicted in table.classes:
                options[cell_name(true_class, predicted)] = (true_class, predicted)
    return options


_LAST_ROW_FILTERS = "_url_last:rows:" + QUERY_PARAM


def _seed_row_filters(table: PreparedTable, container: Any) -> None:
    """Widget values from a fresh link's ``f=`` conditions (``Confidence>=0.9``,
    ``"True Label" in ham``); a condition no widget can show is dropped with a notice."""
    texts = st.query_params.get_all(QUERY_PARAM)
    if not url_state.is_news(QUERY_PARAM, texts, st.session_state.get(_LAST_ROW_FILTERS)):
        return
    columns = {str(c) for c in table.frame.columns}
    ranges: dict[str, list[float | None]] = {}
    picked: dict[str, list[str]] = {}
    for text in texts:
        try:
            condition = rows.ColumnFilter.from_text(text)
            if condition.column not in columns:
                raise BadFilter(f"this table has no column {condition.column!r}")
        except BadFilter as exc:
            st.caption(f"ℹ️ The link's filter {md_escape(text)} was ignored: {md_escape(str(exc))}")
            continue
        if condition.op in (">=", "<=") and isinstance(condition.value, (int, float)):
            ranges.setdefault(condition.column, [None, None])[0 if condition.op == ">=" else 1] = float(condition.value)
        elif condition.op in ("=", "in"):
            values = condition.value if condition.op == "in" else (condition.value,)
            picked.setdefault(condition.column, []).extend(str(v) for v in values)
        else:
            st.caption(
                f"ℹ️ The link's filter {md_escape(text)} was ignored: the filter widgets here "
                "take value lists and ranges (=, in, >=, <=)."
            )
    state = st.session_state
    for key in [k for k in state if isinstance(k, str) and k.startswith(ROW_FILTER_PREFIX)]:
        del state[key]
    for column, (low, high) in ranges.items():
        choice = rows.filter_choices(table, column)
        if choice["kind"] == "range" and choice["min"] is not None:
            state[ROW_FILTER_PREFIX + column] = (
                low if low is not None else float(choice["min"]),
                high if high is not None else float(choice["max"]),
            )
    for column, labels in picked.items():
        state[ROW_FILTER_PREFIX + column] = labels
    state["row_filter_cols"] = list(dict.fromkeys([*ranges, *picked]))


def row_filters(table: PreparedTable, container: Any = st.sidebar) -> rows.RowQuery:
    """Search box and per-column filters (widgets chosen from the column's values); the
    filters live in the URL as ``f=`` conditions, in the run filters' text syntax."""
    search = container.text_input(
        "Search the text",
        key="q",
        bind="query-params",
        help="Case-insensitive; finds rows where any text column ("
        + ", ".join(rows.default_search_columns(table))
        + ") contains it.",
    )
    _seed_row_filters(table, container)
    columns = [str(c) for c in table.frame.columns]
    chosen = container.multiselect("Filter on columns", columns, key="row_filter_cols", bind="query-params")
    filters: list[rows.ColumnFilter] = []
    for column in chosen:
        with guard(stop=False):
            choice = rows.filter_choices(table, column)
            key = ROW_FILTER_PREFIX + column
            if choice["kind"] == "range" and choice["min"] is not None and choice["min"] < choice["max"]:
                low, high = container.slider(
                    md_escape(column),
                    float(choice["min"]),
                    float(choice["max"]),
                    (float(choice["min"]), float(choice["max"])),
                    key=key,
                )
                filters.extend(
                    rows.range_filters(column, low if low > choice["min"] else None, high if high < choice["max"] else None)
                )
            elif choice["kind"] == "values":
                labels = [str(v) for v in choice["values"]]
                picked = container.multiselect(md_escape(column), labels, key=key, placeholder="any")
                if picked:
                    by_label = dict(zip(labels, choice["values"], strict=False))
                    filters.append(rows.ColumnFilter(column, "in", tuple(by_label[p] for p in picked)))
    texts = [f.to_text() for f in filters]
    st.session_state[_LAST_ROW_FILTERS] = texts
    url_state.set_param(QUERY_PARAM, texts)
    return rows.RowQuery(filters=tuple(filters), search=search or "")


def pick_cell(event: Any, options: dict[str, tuple[str, str] | None]) -> None:
    """Make a click on the confusion heatmap choose that cell (before the cell widget renders)."""
    points = (getattr(event, "selection", None) or {}).get("points", []) if event else []
    for point in points:
        custom = point.get("customdata")
        if not (isinstance(custom, list) and len(custom) == 2):
            continue
        name = cell_name(*custom)
        if name in options and fresh_click("confusion", name):
            st.session_state[CELL_KEY] = name
            st.rerun()  # redraw the matrix with the chosen cell outlined


def selection_mask(table: PreparedTable, query: rows.RowQuery, cell: tuple[str, str] | None) -> np.ndarray:
    """Rows matching the search, the column filters and the confusion cell (read-only)."""

    def compute() -> np.ndarray:
        mask = query_mask(table, query)
        if cell is not None:
            mask = mask & outcomes.confusion_cell_mask(table, *cell)
            mask.flags.writeable = False
        return mask

    return memo(table, "selection", (query, cell), compute)


def render_groups(table: PreparedTable, mask: np.ndarray, selection: Hashable = None) -> None:
    """Group by any column (Is Error by default) with every other column's histogram per group.
    ``selection`` names the rows in ``mask`` (e.g. (query, cell)): with it, the histograms and
    figures are built once per (selection, group-by column); None rebuilds them every time."""
    columns = [str(c) for c in table.frame.columns]
    default = columns.index(table.schema.is_error) if table.schema.is_error in columns else 0
    by = st.selectbox("Group by", columns, index=default, key="by", bind="query-params")
    others = [c for c in columns if c != by and c != table.schema.id]
    shown = others[:MAX_HISTOGRAM_COLUMNS]
    if len(others) > len(shown):
        st.caption(f"Showing the first {len(shown)} of {len(others)} columns.")

    def compute() -> tuple[Any, Any]:
        grouped = group_histograms(table, by=by, columns=shown, rows=mask)
        colours = outcome_colours(grouped.group_sizes.index) if by == table.schema.is_error else None
        histograms = list(grouped.histograms.values())
        return grouped.group_sizes, group_histograms_html(histograms, grouped.group_sizes, colours) if histograms else None

    with st.spinner("Computing histograms…"):
        group_sizes, figure = compute() if selection is None else memo(table, "groups", (selection, by, tuple(shown)), compute)
    st.caption("Rows per group: " + ", ".join(f"{md_escape(g)}: {n:,}" for g, n in group_sizes.items()))
    if figure is None:
        st.info(f"No other column to draw: the table's only columns are {md_escape(by)} and its id.")
        return
    # Finished bars as HTML, not a chart library's figure: see wbview.charts.histograms for why.
    st.html(figure.html)


def render_false_negatives(table: PreparedTable, mask: np.ndarray) -> None:
    if not table.is_binary:
        st.info(
            f"False-negative focus needs a binary table (two classes); this one has {len(table.classes)}. Errors by true class:"
        )
        by_class = outcomes.errors_by_true_class(table, rows=mask)
        st.dataframe(by_class, hide_index=True, column_config=rate_columns(by_class.columns))
        return
    summary = outcomes.false_negative_summary(table, rows=mask)
    cols = st.columns(4)
    cols[0].metric(f"Missed {md_escape(summary.positive_class)} (FN)", f"{summary.false_negatives:,}")
    cols[1].metric("False alarms (FP)", f"{summary.false_positives:,}")
    cols[2].metric("FN share of errors", f"{summary.fn_share_of_errors:.1%}")
    cols[3].metric("FN rate", f"{summary.fn_rate:.1%}")
    by_class = outcomes.errors_by_true_class(table, rows=mask)
    st.dataframe(by_class, hide_index=True, column_config=rate_columns(by_class.columns))  # percentages, as above
    likely = likely_mislabelled(table)
    fn_mask = mask & outcomes.false_negative_mask(table)
    model_errors = fn_mask if likely is None else fn_mask & ~likely
    n_model = int(model_errors.sum())
    shown = f" (the first {ROW_LIMIT:,} of {n_model:,})" if n_model > ROW_LIMIT else ""
    what = "Missed positives" if likely is None else f"Missed positives that look like model errors ({n_model:,})"
    st.caption(f"{what}, most confident first{shown}:")
    if likely is None or n_model:  # no empty table when every miss looks mislabelled
        st.dataframe(
            for_display(outcomes.false_negative_rows(table, rows=model_errors, limit=ROW_LIMIT), ROW_LIMIT),
            hide_index=True,
            key="fn_model_errors",
        )
    render_likely_mislabelled(table, fn_mask, likely, "missed positives", "fn")


def render_high_confidence(table: PreparedTable, mask: np.ndarray) -> None:
    if table.schema.confidence is None:
        st.info("This table has no confidence or probability column; map one in the column mapping.")
        return
    threshold = st.slider("Minimum confidence", 0.5, 1.0, 0.9, 0.01, key="min_conf", bind="query-params")
    likely = likely_mislabelled(table)
    confident = mask & outcomes.high_confidence_error_mask(table, threshold)
    model_errors = confident if likely is None else confident & ~likely
    errors = outcomes.high_confidence_errors(table, threshold, rows=model_errors, limit=ROW_LIMIT)
    kind = "errors" if likely is None else "errors that look like model errors"
    st.caption(f"{int(model_errors.sum()):,} {kind} made with confidence ≥ {threshold:.2f} (shown up to {ROW_LIMIT:,}).")
    if likely is None or len(errors):
        st.dataframe(for_display(errors, ROW_LIMIT), hide_index=True, key="conf_model_errors")
    render_likely_mislabelled(table, confident, likely, "high-confidence errors", "conf")


def likely_mislabelled(table: PreparedTable) -> np.ndarray | None:
    """Rows whose true label is likely wrong (confident learning on the logged probabilities,
    computed once per table), or None when the table lacks true labels or per-class probabilities."""
    try:
        return label_noise.label_issues(table).likely_mislabelled
    except BadTable:
        return None


def render_likely_mislabelled(
    table: PreparedTable, rows_mask: np.ndarray, likely: np.ndarray | None, what: str, key: str
) -> None:
    """The group of ``rows_mask`` whose labels look wrong, apart from the model errors."""
    if likely is None:
        st.caption("Likely label errors are told apart when the table has a probability column per class.")
        return
    count = int((rows_mask & likely).sum())
    st.subheader(f"Likely mislabelled: {count:,} of the {what}", anchor=False)
    st.caption(
        "The model confidently disagrees with these labels (confident learning on the logged "
        "probabilities): check the label before blaming the model. Label Quality is the probability "
        "the model gives the recorded label; lowest first."
    )
    if count:
        st.dataframe(
            for_display(label_noise.likely_mislabelled_rows(table, rows=rows_mask, limit=ROW_LIMIT), ROW_LIMIT),
            hide_index=True,
            key=f"{key}_likely_mislabelled",
        )


def render_confusion(table: PreparedTable, query: rows.RowQuery, cell: tuple[str, str] | None, options: dict) -> None:
    if not table.schema.has_labels:
        st.info("A confusion matrix needs true and predicted labels; map them in the column mapping.")
        return
    matrix = memo(table, "confusion", query, lambda: outcomes.confusion_matrix(table, rows=query_mask(table, query)))
    event = st.plotly_chart(
        confusion_figure(matrix, highlight=cell), on_select="rerun", selection_mode="points", key="confusion_chart"
    )
    pick_cell(event, options)
    st.caption("Click a cell (or choose it under 'Rows in the confusion cell') to filter every view to its rows.")


def render_rows(
    table: PreparedTable,
    mask: np.ndarray,
    file_stem: str,
    first_column: pd.Series | None = None,
    on_row: Callable[[int], None] | None = None,
) -> None:
    """The selected rows as a table (first ROW_LIMIT), one row's text in full, and a CSV of all.

    ``first_column`` (one value per table row, e.g. the marks) is shown before the others;
    ``on_row`` is called with the table position of the row being read (e.g. to mark it)."""
    positions = np.flatnonzero(mask)  # no copy of the selected rows: only the shown ones are taken
    n_selected = len(positions)
    st.caption(f"{n_selected:,} rows selected (showing up to {ROW_LIMIT:,}). Click a row to read it in full.")
    shown = for_display(table.frame.iloc[positions[:ROW_LIMIT]], ROW_LIMIT)
    config: dict[str, Any] = {}
    if first_column is not None:
        name = str(first_column.name) if first_column.name not in shown.columns else f"{first_column.name} (wbview)"
        shown = shown.copy()
        shown.insert(0, name, first_column.to_numpy()[positions[: len(shown)]])
        config[name] = st.column_config.TextColumn(name, width="medium")  # wide enough to read a tag
    event = st.dataframe(
        shown, hide_index=True, key="rows_table", on_select="rerun", selection_mode="single-row", column_config=config
    )
    st.download_button(  # built on click from the shared table (held weakly) and mask: a session holds no copy
        "Download these rows as CSV",
        data=held_weakly(table, lambda shared: rows.to_csv_bytes(shared.frame[mask])),
        file_name=f"{file_stem}.csv",
        mime="text/csv",
        key="csv",
        on_click="ignore",
    )
    if not n_selected or (table.schema.text is None and on_row is None):
        return
    clicked = clicked_row(event, min(n_selected, ROW_LIMIT))
    if clicked is None:
        what = "full text" if table.schema.text is not None else "marks"
        position = int(
            st.number_input(
                f"Or show the {what} of row (0 = the first above)", 0, n_selected - 1, 0, key="row", bind="query-params"
            )
        )
    else:
        position = clicked
        st.caption(f"Row {clicked:,}, clicked in the table (click it again to pick a row by number):")
    if table.schema.text is not None:
        show_long_text(table.frame[table.schema.text].iloc[int(positions[position])])
    if on_row is not None:
        on_row(int(positions[position]))


def clicked_row(event: Any, n_rows: int) -> int | None:
    """The position of the row clicked in a single-row-selection table (None: none)."""
    picked = ((getattr(event, "selection", None) or {}).get("rows") or []) if event else []
    return int(picked[0]) if picked and 0 <= int(picked[0]) < n_rows else None
