"""Pure figure builders from records, DataFrames and analysis results: plotly figures, and
Vega-Lite charts for what a page draws on opening (the group-by histograms, the slice and
n-gram rankings, the threshold curve). One module per subject: ``runs``, ``lineage`` (with
``lineage_layout``), ``errors``, ``threshold``, ``calibration``, ``slices``, ``compare``,
``stacked``; ``style`` holds what they share."""
