"""Pure figure builders (plotly figures, and a Vega-Lite spec for the group-by histograms)
from records, DataFrames and analysis results, one
module per subject: ``runs``, ``lineage`` (with ``lineage_layout``), ``errors``,
``threshold``, ``calibration``, ``slices``, ``compare``, ``stacked``; ``style`` holds
what they share."""
