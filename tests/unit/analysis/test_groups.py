"""Group-by histograms: shared edges, top-k + other, text length, selections; checked
against plain pandas groupby counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wbview.analysis.groups import OTHER, group_histograms
from wbview.analysis.prepare import prepare
from wbview.errors import UsageError


def table_frame(n_rows: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    truth = rng.choice(["ham", "phishing"], n_rows)
    pred = np.where(rng.random(n_rows) < 0.8, truth, np.where(truth == "ham", "phishing", "ham"))
    return pd.DataFrame(
        {
            "Decoded Text": [("word " * int(k)).strip() for k in rng.integers(1, 60, n_rows)],
            "True Label": truth,
            "Predicted Label": pred,
            "Score": rng.normal(0, 1, n_rows),
            "Source": rng.choice([f"s{i}" for i in range(15)], n_rows),
            "Flag": rng.random(n_rows) < 0.3,
        }
    )


def test_default_groups_by_is_error_and_counts_match_pandas():
    df = table_frame()
    table = prepare(df)
    result = group_histograms(table, bins=10, top_k=5)
    assert result.by == "Is Error"
    errors = df["True Label"] != df["Predicted Label"]
    assert result.group_sizes.to_dict() == {"False": int((~errors).sum()), "True": int(errors.sum())}
    flag = result.histograms["Flag"].counts
    expected = pd.crosstab(df["Flag"].astype(str), errors.astype(str))
    assert flag.loc["True", "True"] == expected.loc["True", "True"]
    assert flag.loc["False", "False"] == expected.loc["False", "False"]
    assert "Is Error" not in result.histograms


def test_numeric_edges_are_shared_and_counts_complete():
    df = table_frame()
    result = group_histograms(prepare(df), bins=8)
    hist = result.histograms["Score"]
    assert hist.kind == "numeric" and len(hist.edges) == 9
    assert hist.edges[0] == pytest.approx(df["Score"].min()) and hist.edges[-1] == pytest.approx(df["Score"].max())
    assert (hist.counts.sum() == result.group_sizes).all()
    np.testing.assert_array_equal(hist.counts.sum(axis=1).to_numpy(), np.histogram(df["Score"], hist.edges)[0])


def test_top_k_with_other():
    df = table_frame()
    hist = group_histograms(prepare(df), top_k=4).histograms["Source"]
    assert list(hist.counts.index)[-1] == OTHER and len(hist.counts) == 5
    top4 = df["Source"].value_counts().iloc[:4]
    assert hist.counts.sum(axis=1).iloc[:4].tolist() == top4.tolist()
    assert hist.counts.loc[OTHER].sum() == len(df) - top4.sum()


def test_long_text_gets_length_histogram():
    hist = group_histograms(prepare(table_frame())).histograms["Decoded Text"]
    assert hist.kind == "text_length"
    assert hist.edges[0] >= 4  # "word" is the shortest text


def test_group_by_other_column_and_selection():
    df = table_frame()
    rows = (df["Source"] == "s1").to_numpy()
    result = group_histograms(prepare(df), by="True Label", rows=rows)
    assert result.group_sizes.sum() == rows.sum()
    assert result.group_sizes.to_dict() == df[rows]["True Label"].value_counts().to_dict()


def test_group_by_numeric_column_uses_ranges():
    result = group_histograms(prepare(table_frame()), by="Score")
    assert len(result.group_sizes) == 5 and result.group_sizes.sum() == 400


def test_missing_values_are_counted_not_dropped():
    df = table_frame()
    df.loc[:9, "Score"] = np.nan
    hist = group_histograms(prepare(df)).histograms["Score"]
    assert hist.missing.sum() == 10 and hist.counts.to_numpy().sum() == len(df) - 10


def test_unknown_column_is_a_usage_error():
    with pytest.raises(UsageError, match="nope"):
        group_histograms(prepare(table_frame()), by="nope")


@pytest.mark.parametrize(
    "values",
    [
        np.random.default_rng(0).normal(size=5000),
        np.round(np.random.default_rng(1).random(5000), 2),  # many values on bin edges
        np.random.default_rng(2).integers(0, 7, 5000).astype(float),  # few distinct values
        np.array([3.0, 3.0, 3.0]),  # a single value
    ],
)
def test_numeric_bins_agree_with_numpy_histogram(values):
    from wbview.analysis.groups import _numeric_bins

    codes, edges = _numeric_bins(values, 20)
    np.testing.assert_array_equal(np.bincount(codes, minlength=len(edges) - 1), np.histogram(values, edges)[0])


@pytest.mark.parametrize("by", ["Is Error", "True Label", "Source", "Score", "Decoded Text"])
def test_whole_table_bins_are_kept_and_give_the_same_histograms(by, monkeypatch):
    """Without a selection each column's bins are computed once per table and reused for any
    group-by column; the histograms equal those of an every-row selection (computed afresh)."""
    from wbview.analysis import groups

    frame = table_frame()
    frame.loc[::7, "Score"] = np.nan  # missing values stay missing
    table = prepare(frame)
    kept = group_histograms(table, by=by, bins=10, top_k=5)
    group, labels = groups.group_codes(prepare(frame), by, top_k=5)
    every_row = np.ones(len(frame), dtype=bool)  # a selection's path: bins from the selected rows
    fresh = groups.GroupedHistograms(
        by,
        kept.group_sizes,
        {c: groups.column_histogram(prepare(frame), c, group, labels, rows=every_row, bins=10, top_k=5) for c in kept.histograms},
    )
    assert kept.histograms.keys() == fresh.histograms.keys()
    for column, histogram in kept.histograms.items():
        pd.testing.assert_frame_equal(histogram.counts, fresh.histograms[column].counts)
        pd.testing.assert_series_equal(histogram.missing, fresh.histograms[column].missing)
        assert histogram.kind == fresh.histograms[column].kind
        np.testing.assert_array_equal(
            histogram.edges if histogram.edges is not None else [],
            fresh.histograms[column].edges if fresh.histograms[column].edges is not None else [],
        )
    calls: list[str] = []
    original = groups._column_bins
    monkeypatch.setattr(groups, "_column_bins", lambda t, c, *a: (calls.append(c), original(t, c, *a))[1])
    again = group_histograms(table, by="Flag", bins=10, top_k=5)
    assert calls == [by]  # only the column that was the group-by column before is binned now
    calls.clear()
    group_histograms(table, by="True Label", rows=np.ones(len(frame), dtype=bool), bins=10, top_k=5)
    assert calls == []  # an every-row selection (the page's usual one) reuses them
    assert sum(int(h.counts.to_numpy().sum() + h.missing.sum()) for h in again.histograms.values()) == len(frame) * len(
        again.histograms
    )
