"""Pure figure builders (plotly figures, and Vega-Lite charts for what a page draws on
opening: the group-by histograms, the slice and n-gram rankings) from records, DataFrames
and analysis results, one
module per subject: ``runs``, ``lineage`` (with ``lineage_layout``), ``errors``,
``threshold``, ``calibration``, ``slices``, ``compare``, ``stacked``; ``style`` holds
what they share."""
