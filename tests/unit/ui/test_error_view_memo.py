"""error_view.memo: per-table results reused across reruns, bounded, read-only masks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wbview.analysis import rows
from wbview.analysis.prepare import prepare
from wbview.schema import detect_schema
from wbview.ui import error_view


@pytest.fixture()
def table():
    frame = pd.DataFrame(
        {
            "Decoded Text": ["urgent: verify", "lunch?", "URGENT wire", "hi"],
            "True Label": ["phishing", "ham", "phishing", "ham"],
            "Predicted Label": ["phishing", "ham", "ham", "phishing"],
        }
    )
    return prepare(frame, detect_schema(frame.columns))


def test_memo_computes_once_per_key_and_keeps_the_most_recent(table):
    calls = []
    for key in [1, 1, 2, 1]:
        assert error_view.memo(table, "v", key, lambda k=key: calls.append(k) or k * 10) == key * 10
    assert calls == [1, 2]
    for key in range(3, 3 + error_view.MEMO_ENTRIES):
        error_view.memo(table, "v", key, lambda: None)
    error_view.memo(table, "v", 1, lambda: calls.append("again"))
    assert calls[-1] == "again"  # evicted after MEMO_ENTRIES newer keys


def test_selection_mask_is_cached_per_query_and_cell_and_read_only(table):
    query = rows.RowQuery(search="urgent")
    first = error_view.selection_mask(table, query, None)
    assert first.tolist() == [True, False, True, False]
    assert error_view.selection_mask(table, rows.RowQuery(search="urgent"), None) is first
    cell = error_view.selection_mask(table, query, ("phishing", "ham"))
    assert cell.tolist() == [False, False, True, False]
    assert first.tolist() == [True, False, True, False]  # the cell did not narrow the cached search mask
    with pytest.raises(ValueError):
        first &= np.zeros(4, dtype=bool)
