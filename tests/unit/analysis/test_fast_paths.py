"""Fast paths give the same results as the slow ones they replace: switching the
positive class without re-preparing, regex search with Arrow's RE2, slice rows."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from wbview.analysis import rows, slices
from wbview.analysis.prepare import can_switch_positive, prepare, with_positive_class
from wbview.analysis.textfeatures import text_features
from wbview.errors import BadFilter, UsageError

TRICKY_TEXTS = [
    "Visit http://bit.ly/x now",
    "café http://BIT.ly",
    None,
    "",
    "x\x0bhttp://a.ly",
    "HTTP://FOO.LY",
    "naïve 123",
    "٣ digits",
    "tab\there",
    "line\nend",
    "ends with $",
    "K\u212a kelvin",
    "ſtraße",
    "😀 emoji www.Example.com, and https://www.two.org/p",
    "abc abc",
    "ab\u00a0c",
    "MiXeD CaSe 42",
]


def tricky_table(text_dtype: str | None = None) -> pd.DataFrame:
    texts = pd.Series(TRICKY_TEXTS * 2, dtype=text_dtype)
    n = len(texts)
    return pd.DataFrame(
        {
            "Decoded Text": texts,
            "True Label": (["spam", "ham", None] * n)[:n],
            "Predicted Label": (["spam", "spam", "ham", "ham"] * n)[:n],
            "Prob (Spam)": np.linspace(0.05, 0.95, n),
            "Source": (["web", "mail"] * n)[:n],
        }
    )


def _assert_same_table(fast, slow) -> None:
    pdt.assert_frame_equal(fast.frame, slow.frame)
    assert (fast.schema, fast.classes, fast.positive_class, fast.threshold, fast.derived, fast.notes) == (
        slow.schema,
        slow.classes,
        slow.positive_class,
        slow.threshold,
        slow.derived,
        slow.notes,
    )


@pytest.mark.parametrize("drop_outcome", [True, False])
@pytest.mark.parametrize("positive", ["ham", "HAM", "spam"])
def test_switching_positive_class_equals_preparing_again(positive, drop_outcome):
    df = tricky_table()
    if not drop_outcome:
        df["Outcome"] = ["logged"] * len(df)  # a logged outcome is kept as it is by prepare
    detected = prepare(df)
    assert can_switch_positive(detected)
    _assert_same_table(with_positive_class(detected, positive), prepare(df, positive_class=positive))


def test_switching_back_and_forth_keeps_the_outcomes_and_shares_text_work():
    df = tricky_table()
    detected = prepare(df)
    features = text_features(detected, "Decoded Text")
    switched = with_positive_class(detected, "ham")
    assert switched.frame["Outcome"].astype(str).tolist() != detected.frame["Outcome"].astype(str).tolist()
    assert text_features(switched, "Decoded Text") is features
    assert ("codes", "Outcome") not in switched.memo
    _assert_same_table(with_positive_class(switched, detected.positive_class), detected)
    assert with_positive_class(detected, detected.positive_class) is detected


def test_positive_class_switch_refuses_tables_it_cannot_retarget():
    df = tricky_table().drop(columns=["Predicted Label"])  # predictions from probabilities depend on the class
    derived = prepare(df)
    assert not can_switch_positive(derived)
    with pytest.raises(UsageError, match="prepare it again"):
        with_positive_class(derived, "ham")
    assert not can_switch_positive(prepare(tricky_table(), threshold=0.3))
    with pytest.raises(UsageError, match="not one of"):
        with_positive_class(prepare(tricky_table()), "eggs")


PATTERNS = [
    r"http://\S+\.ly",
    r"\d+",
    r"\w+ \w+",
    r"\bab",
    r"c$",
    r"^line",
    r"(?i)kelvin",
    r"a\s+c",
    r"ab.c",
    r"(abc) \1",
    r"(?<=abc) abc",
    r"[[:alpha:]]+",
    r"x{,2}",
    r"\Z",
    r"\s",
    r"\S+",
    r"(?i:VISIT)",
    r"é",
    r"[a-z]{3}",
    r"emoji|tab",
    r"(?:ab)+",
    r"s",
    r"\x41",
    r"k",
    r"www\.[a-z]+\.com",
    r"(?s)line.end",
    r"^$",
]


def _old_search(frame: pd.DataFrame, pattern: str) -> np.ndarray:
    """The search before the Arrow fast path: pandas' str.contains on the column."""
    series = frame["Decoded Text"]
    return rows._contains(series.astype("string") if series.dtype == object else series, pattern, regex=True)


@pytest.mark.parametrize("text_dtype", [None, "object", "string[python]"])
@pytest.mark.parametrize("pattern", PATTERNS)
def test_regex_search_matches_the_pandas_search(pattern, text_dtype):
    frame = tricky_table(text_dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # match groups / nested sets: pandas and re warn, results still count
        expected = _old_search(frame, pattern)
        found = rows.search_mask(prepare(frame), pattern, regex=True)
    np.testing.assert_array_equal(found, expected)


def test_regex_search_on_plain_text_uses_arrow_and_agrees_with_python_re():
    import re

    frame = tricky_table()
    table = prepare(frame)
    hits = rows._regex_rows(table, "Decoded Text", r"http://\S+\.ly")
    assert hits is not None  # the fast path was taken
    python = np.array(
        [isinstance(t, str) and re.search(r"http://\S+\.ly", t, re.IGNORECASE) is not None for t in frame["Decoded Text"]]
    )
    np.testing.assert_array_equal(hits, python)
    assert rows._regex_rows(table, "Decoded Text", r"(?<=a)b") is None  # lookbehind: Python's re decides


def test_bad_regex_still_raises_a_clear_bad_filter():
    with pytest.raises(BadFilter, match="not a valid regular expression"):
        rows.search_mask(prepare(tricky_table()), "http://(", regex=True)


def test_slice_mask_is_the_same_whichever_feature_list_holds_it():
    table = prepare(tricky_table())
    ranked = slices.rank_slices(table, min_rows=1, include_outputs=False)
    fresh = prepare(tricky_table())
    for feature, label in ranked[["feature", "slice"]].itertuples(index=False):
        full = next(f for f in slices.slice_features(fresh) if f.name == feature)
        np.testing.assert_array_equal(slices.slice_mask(table, feature, label), full.codes == full.labels.index(label))
    assert ("slice_features", None, True, True, 5, 20) not in table.memo  # inputs-only features sufficed
    prob_slice = next(f for f in slices.slice_features(fresh) if f.name == "Prob (Spam)")
    assert slices.slice_mask(table, "Prob (Spam)", prob_slice.labels[0]).sum() > 0


@pytest.mark.parametrize(
    "values",
    [
        np.r_[np.tile([1.0, 2.0], 6_000), np.arange(3.0, 12.0)],  # few values early, many later
        np.tile([1.0, 2.0, 3.0, np.nan], 4_000),  # few values throughout: one bin per value
        np.random.default_rng(0).random(30_000),  # many values
        np.r_[np.arange(20_000.0), [np.nan, np.inf]],
    ],
)
def test_quantile_feature_sampling_the_distinct_values_changes_nothing(values, monkeypatch):
    fast = slices._quantile_feature("x", values, 5)
    monkeypatch.setattr(slices, "_DISTINCT_SAMPLE_ROWS", 10**9)  # the previous behaviour: every value sorted
    slow = slices._quantile_feature("x", values, 5)
    np.testing.assert_array_equal(fast.codes, slow.codes)
    assert (fast.labels, fast.cuts, fast.ordered) == (slow.labels, slow.cuts, slow.ordered)


def test_threshold_curve_with_many_ties_equals_a_per_threshold_count():
    from wbview.analysis.threshold import curve_from_arrays

    rng = np.random.default_rng(1)
    scores = np.round(rng.random(20_000), 2)  # ~100 distinct scores: long runs of ties
    truth = rng.random(20_000) < scores
    curve = curve_from_arrays(truth, scores)
    for row in curve.iloc[::7].itertuples():
        flagged = scores >= row.threshold
        assert (row.tp, row.fp) == (int((flagged & truth).sum()), int((flagged & ~truth).sum()))
    assert list(curve["threshold"][:-1]) == sorted(set(scores))


def test_stacking_prepared_tables_equals_stacking_raw_frames():
    from wbview.analysis.stacking import stack_tables

    first, second = tricky_table(), tricky_table().iloc[::-1].reset_index(drop=True)
    raw = {"a": (first, {"lr": 1}), "b": (second, {"lr": 2}, {"run_id": "b"})}
    prepared = {"a": (prepare(first), {"lr": 1}), "b": (prepare(second), {"lr": 2}, {"run_id": "b"})}
    pdt.assert_frame_equal(stack_tables(prepared), stack_tables(raw))
