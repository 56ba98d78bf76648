"""Files made from a review (``wbview.analysis.review``): a self-contained HTML page."""
