"""Pure analysis of eval tables on pandas DataFrames: imports neither wandb nor streamlit.

Start every analysis with ``prepare``; everything else takes the ``PreparedTable``.
Functions that work on a selection take ``rows`` (a boolean mask over
``table.frame``, e.g. from ``query_mask``) and return DataFrames or small frozen
dataclasses. Bad input raises ``wbview.errors.BadTable`` / ``UsageError`` /
``BadFilter`` with a message that says what to do.

Preparing (``wbview.analysis.prepare``)
    prepare(df, schema=None, positive_class=None, threshold=None) -> PreparedTable
        .frame (original columns + derived "Predicted Label"/"Is Error"/"Confidence"/
        "Outcome" where missing), .schema (role -> column in .frame), .classes,
        .positive_class (binary), .derived, .is_error(), .confidence(),
        .positive_scores(), .cache (memoised per-column work).

Error analysis (issue 6)
    groups.group_histograms(table, by=None, columns=None, rows=None, bins=20, top_k=10)
        -> GroupedHistograms(by, group_sizes, histograms: {column: ColumnHistogram(
           column, kind, counts[bin x group], edges, missing)})
    outcomes.confusion_matrix(table, normalize=None|"true"|"pred"|"all", rows=None)
    outcomes.confusion_cell_mask(table, true_class, predicted_class) -> bool mask
    outcomes.errors_by_true_class(table, rows=None) -> DataFrame
    outcomes.false_negative_summary(table, rows=None) -> FalseNegativeSummary
    outcomes.false_negative_rows(table, rows=None, limit=None)   (most confident first)
    outcomes.high_confidence_errors(table, min_confidence=0.9, rows=None, limit=None)
    rows.search_mask(table, query, columns=None, regex=False)    (literal, case-insensitive)
    rows.ColumnFilter(column, "eq"|"in"|"range", values); .to_string()/.from_string()
    rows.RowQuery(filters, search, regex, search_columns); .to_params()/.from_params()
    rows.query_mask(table, query) -> bool mask; rows.filter_choices(table, column)
    rows.to_csv_bytes(frame, escape_formulas=True) -> bytes
"""
