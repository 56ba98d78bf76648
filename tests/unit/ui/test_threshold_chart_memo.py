"""analysis_page.threshold_chart: one chart per (costs, threshold, logged threshold), shared
through the table's memo, and the same chart as built directly."""

from __future__ import annotations

import numpy as np
import pandas as pd

from wbview.analysis import selection as views
from wbview.analysis import threshold as th
from wbview.analysis.prepare import prepare
from wbview.charts import threshold as charts
from wbview.schema import detect_schema
from wbview.ui import analysis_page


def _table(n: int = 3_000):
    rng = np.random.default_rng(7)
    truth = rng.choice(["ham", "phishing"], n)
    p = np.clip(rng.normal(np.where(truth == "phishing", 0.7, 0.3), 0.2), 0, 1)
    frame = pd.DataFrame(
        {
            "Decoded Text": [f"t{i}" for i in range(n)],
            "True Label": truth,
            "Predicted Label": np.where(p >= 0.5, "phishing", "ham"),
            "Prob (Ham)": 1 - p,
            "Prob (Phishing)": p,
        }
    )
    return prepare(frame, detect_schema(frame.columns))


def test_the_chart_is_built_once_per_key_and_equals_the_direct_build():
    table = _table()
    curve = th.threshold_curve(table, 1.0, 1.0)
    first = analysis_page.threshold_chart(table, curve, 0.42, 0.5, 1.0, 1.0)
    assert analysis_page.threshold_chart(table, curve, 0.42, 0.5, 1.0, 1.0) is first
    direct = charts.threshold_chart(
        views.thin_rows(curve, views.MAX_CURVE_POINTS, keep=[views.curve_position(curve, 0.42)]), 0.42, 0.5
    )
    pd.testing.assert_frame_equal(first.data, direct.data)
    assert first.spec == direct.spec
    # another threshold, logged threshold or cost is another chart
    assert analysis_page.threshold_chart(table, curve, 0.43, 0.5, 1.0, 1.0) is not first
    assert analysis_page.threshold_chart(table, curve, 0.42, None, 1.0, 1.0) is not first
    costly = th.threshold_curve(table, 5.0, 1.0)
    assert analysis_page.threshold_chart(table, costly, 0.42, 0.5, 5.0, 1.0).data is not first.data


def test_a_table_keeps_a_bounded_number_of_charts():
    table = _table(500)
    curve = th.threshold_curve(table, 1.0, 1.0)
    first = analysis_page.threshold_chart(table, curve, 0.1, None, 1.0, 1.0)
    for i in range(analysis_page.THRESHOLD_CHARTS_KEPT):
        analysis_page.threshold_chart(table, curve, 0.2 + i / 100, None, 1.0, 1.0)
    assert analysis_page.threshold_chart(table, curve, 0.1, None, 1.0, 1.0) is not first  # evicted, rebuilt
