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
        .positive_class (binary), .derived, .notes (assumptions to show the user),
        .is_error(), .labelled(), .confidence(), .positive_scores(),
        .memo (per-table work computed once and shared read-only by every session:
        keep one PreparedTable per loaded table, e.g. in st.cache_resource).
    Label spellings: "Prob (Ham)" matches label "ham"; prob columns naming no label
    are ignored with a note; rows without a true label are never errors.

Error analysis
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
    rows.ColumnFilter(column, op, value) in the run filters' operators (= != > >= < <= in, not in);
        .to_text()/.from_text() ("Confidence>=0.9", '"True Label" in ham,spam'); rows.range_filters
    rows.RowQuery(filters, search, regex, search_columns); .to_params()/.from_params()
    rows.query_mask(table, query) -> bool mask; rows.filter_choices(table, column)
    rows.to_csv_bytes(frame, escape_formulas=True) -> bytes (formula-like cells and headers quoted, nested cells JSON)

Threshold and cost, calibration, slices, run against run, stacking
    threshold.threshold_curve(table, fn_cost=1, fp_cost=1, rows=None) -> DataFrame
        (every distinct threshold ascending + a +inf row; tp fp fn tn precision recall
        fn_rate fp_rate cost expected_cost); threshold.curve_from_arrays(y, scores, ...)
    threshold.with_cost(curve, fn_cost, fp_cost); cost_optimal_threshold(curve);
    threshold.threshold_for_recall(curve, target_recall); logged_threshold(table);
    threshold.operating_point(table, t, ...); outcome_changes(table, new_t, old_t=None);
    threshold.outcome_change_summary(table, new_t, old_t=None, first=1000) -> OutcomeChanges(rows, counts, first)
    calibration.calibration(table, n_bins=10, strategy="uniform", rows=None) -> Calibration(bins, ece)
    calibration.compare_calibration({run: table}, ...) -> Calibration with a "run" column
    slices.rank_slices(table, target="error"|"fn", features=None, min_rows=30, rows=None, rank_by=...)
        (ranked by lift_low = Wilson lower bound / overall rate); slices.slice_mask(...)
    slices.rank_ngrams(table, target="fn", max_n=2, min_rows=50, max_sample_rows=100_000,
        rank_by="lift_low"|"excess_low")
    slices.error_tree(table, target="error", max_depth=3, min_rows=None) -> ErrorTree
        (.nodes, .leaves(), .mask(node))
    slices.slice_features(table, include_outputs=True); textfeatures.text_features(table, column)
    compare.diff_runs(a, b, on=None, names=("A", "B")) -> RunDiff(joined, counts, ...; .rows(status))
    compare.dataset_lineage_warning(dataset_a, dataset_b) -> str | None
    stacking.stack_tables({run: (df, config[, run_fields])}, params=None) -> DataFrame
    stacking.varying_params(configs); stacking.error_rates_by(stacked, column)
    stats.wilson_interval(successes, totals, confidence=0.95)

Runs, metadata, selection
    runs: the runs table of the Runs page (columns, filter widgets, parallel axes);
    metadata: artifact metadata made readable, completeness, diff; selection: which
    runs and tables the analysis pages offer and how results are thinned for the browser.

CI gate and label quality
    gate.regression_gate(baseline, candidate, on=None, metrics=None, max_drop=None, alpha=0.05,
        correction="holm"|"bh", min_rows=30, datasets=None, allow_different_data=False)
        -> GateResult(status, exit_code 0/1/2, reason, overall: PairedTest, metrics, failing_slices, ...)
    stats.mcnemar_exact(worse, better) -> (p_worse, p_two_sided); stats.holm(p); stats.benjamini_hochberg(p)
    label_noise.label_issues(table) -> LabelIssues(likely_mislabelled, label_quality, ...; .columns())
        (confident learning as cleanlab's find_label_issues default; label quality = self-confidence)
    label_noise.find_label_issues(labels, pred_probs); label_noise.detection_quality(flagged, flipped)

Figures: ``wbview.charts`` (one module per subject).
Speed on 1,000,000 rows: ``python -m bench analysis`` (one line per interaction).
"""
