"""Review fixes on the insight pages: pure checks of the new defaults and values."""

from __future__ import annotations

import pandas as pd

from wbview.charts.review import cohort_rate_figure


def test_cohort_rate_figure_puts_the_highest_rate_leaf_first_with_a_readable_bar():
    leaves = pd.DataFrame({"node": [3, 4, 5], "path": ["a", "b", None], "rows": [900, 12, 88],
                           "rate": [0.05, 0.9, 0.4], "coverage": [0.4, 0.1, 0.5], "share_of_data": [0.9, 0.012, 0.088]})
    bar = cohort_rate_figure(leaves, "error rate").data[0]
    assert list(bar.x) == [0.9, 0.4, 0.05]
    assert list(bar.y) == ["#4 b", "#5 all rows", "#3 a"]
