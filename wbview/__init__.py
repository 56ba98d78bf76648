"""wbview: review Weights & Biases runs, artifacts, lineage and evaluation tables."""

__version__ = "0.1.0"
