"""Pure figure builders (plotly/altair) from records, DataFrames and analysis results.

``core``: runs (parallel coordinates, metric curves), lineage graph, confusion matrix,
per-group histograms. ``insight``: figures for the deeper error analysis.
"""
