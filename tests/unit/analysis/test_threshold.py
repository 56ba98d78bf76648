"""Threshold and cost: every distinct threshold, checked against scikit-learn's
precision_recall_curve / roc_curve / precision_recall_fscore_support and hand cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics

from wbview.analysis import threshold as th
from wbview.analysis.prepare import prepare
from wbview.errors import BadTable, UsageError


def random_scores(n_rows: int, seed: int, decimals: int | None):
    rng = np.random.default_rng(seed)
    y = rng.random(n_rows) < 0.35
    s = np.clip(np.where(y, 0.65, 0.35) + rng.normal(0, 0.2, n_rows), 0, 1)
    return y, (np.round(s, decimals) if decimals is not None else s)


@pytest.mark.parametrize("seed, decimals", [(0, None), (1, 2), (2, 1), (3, 3)])  # rounding makes ties
def test_matches_sklearn_precision_recall_curve(seed, decimals):
    y, s = random_scores(700, seed, decimals)
    curve = th.curve_from_arrays(y, s)
    finite = curve[np.isfinite(curve["threshold"])]
    precision, recall, thresholds = metrics.precision_recall_curve(y, s)
    np.testing.assert_allclose(finite["threshold"], thresholds)
    np.testing.assert_allclose(finite["precision"], precision[:-1])
    np.testing.assert_allclose(finite["recall"], recall[:-1])
    assert len(finite) == len(np.unique(s))  # every distinct threshold, not 21 points


@pytest.mark.parametrize("seed, decimals", [(4, None), (5, 2)])
def test_matches_sklearn_roc_curve(seed, decimals):
    y, s = random_scores(500, seed, decimals)
    curve = th.curve_from_arrays(y, s).iloc[::-1]  # descending thresholds like roc_curve
    fpr, tpr, thresholds = metrics.roc_curve(y, s, drop_intermediate=False)
    np.testing.assert_allclose(curve["fp_rate"], fpr)
    np.testing.assert_allclose(curve["recall"], tpr)
    np.testing.assert_allclose(curve["threshold"].to_numpy()[1:], thresholds[1:])


@pytest.mark.parametrize("cut", [0.2, 0.5, 0.73])
def test_rows_match_precision_recall_fscore_support_at_each_threshold(cut):
    y, s = random_scores(400, 6, 2)
    curve = th.curve_from_arrays(y, s)
    row = curve[curve["threshold"] >= cut].iloc[0]
    predicted = s >= row["threshold"]
    precision, recall, _, _ = metrics.precision_recall_fscore_support(y, predicted, average="binary")
    tn, fp, fn, tp = metrics.confusion_matrix(y, predicted).ravel()
    assert (row["tp"], row["fp"], row["fn"], row["tn"]) == (tp, fp, fn, tn)
    assert row["precision"] == pytest.approx(precision) and row["recall"] == pytest.approx(recall)
    assert row["fp_rate"] == pytest.approx(fp / (fp + tn)) and row["fn_rate"] == pytest.approx(fn / (fn + tp))


# Hand case: scores and truth (positive = 1).
#   score: 0.9  0.8  0.8  0.6  0.4  0.2
#   truth:  1    1    0    1    0    0
HAND_Y = np.array([1, 1, 0, 1, 0, 0], dtype=bool)
HAND_S = np.array([0.9, 0.8, 0.8, 0.6, 0.4, 0.2])


def test_hand_case_counts_and_inf_row():
    curve = th.curve_from_arrays(HAND_Y, HAND_S)
    assert curve["threshold"].tolist() == [0.2, 0.4, 0.6, 0.8, 0.9, np.inf]
    assert curve["tp"].tolist() == [3, 3, 3, 2, 1, 0]
    assert curve["fp"].tolist() == [3, 2, 1, 1, 0, 0]
    assert np.isnan(curve["precision"].iloc[-1])


@pytest.mark.parametrize(
    "fn_cost, fp_cost, best_threshold, best_cost",
    [
        (1, 1, 0.6, 1),  # t=0.6: FN 0, FP 1
        (1, 10, 0.9, 2),  # false alarms expensive: t=0.9 (FN 2, FP 0); +inf costs 3
        (10, 1, 0.6, 1),  # misses expensive: t=0.6 catches all with one alarm
        (0, 1, np.inf, 0),  # misses free: flag nothing (ties go to the highest threshold)
    ],
)
def test_cost_optimal_threshold(fn_cost, fp_cost, best_threshold, best_cost):
    best = th.cost_optimal_threshold(th.curve_from_arrays(HAND_Y, HAND_S, fn_cost, fp_cost))
    assert best["threshold"] == best_threshold and best["cost"] == best_cost


def test_with_cost_changes_only_cost():
    curve = th.curve_from_arrays(HAND_Y, HAND_S)
    costly = th.with_cost(curve, fn_cost=5, fp_cost=1)
    assert costly["cost"].tolist() == (5 * curve["fn"] + curve["fp"]).tolist()
    assert costly["expected_cost"].iloc[0] == pytest.approx(3 / 6)


@pytest.mark.parametrize("target, expected", [(1.0, 0.6), (2 / 3, 0.8), (0.5, 0.8), (0.3, 0.9), (0.0, np.inf)])
def test_highest_threshold_reaching_recall(target, expected):
    assert th.threshold_for_recall(th.curve_from_arrays(HAND_Y, HAND_S), target)["threshold"] == expected


def test_bad_inputs():
    with pytest.raises(UsageError):
        th.threshold_for_recall(th.curve_from_arrays(HAND_Y, HAND_S), 1.5)
    with pytest.raises(BadTable, match="no probability"):
        th.curve_from_arrays(HAND_Y, np.array([0.1, np.nan, 0.2, 0.3, 0.4, 0.5]))


def hand_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Sample ID": range(6),
            "True Label": np.where(HAND_Y, "phishing", "ham"),
            "Prob (Phishing)": HAND_S,
            "Prob (Ham)": 1 - HAND_S,
            "Predicted Label": np.where(HAND_S >= 0.5, "phishing", "ham"),
        }
    )


def test_table_curve_and_logged_threshold():
    table = prepare(hand_table())
    curve = th.threshold_curve(table, fn_cost=2)
    assert curve["tp"].tolist() == [3, 3, 3, 2, 1, 0]
    assert th.logged_threshold(table) == 0.5
    assert th.threshold_curve(table, fn_cost=2) is curve  # the same costing is shared, not recomputed
    other = th.threshold_curve(table, fn_cost=3)
    assert other["cost"].tolist() == (3 * other["fn"] + other["fp"]).tolist()
    assert curve["cost"].tolist() == (2 * curve["fn"] + curve["fp"]).tolist()  # untouched by the other costing
    point = th.operating_point(table, 0.8)
    assert (point.tp, point.fp, point.fn, point.tn) == (2, 1, 1, 2)


def test_logged_threshold_inferred_from_predictions():
    df = hand_table()
    df["Predicted Label"] = np.where(HAND_S >= 0.8, "phishing", "ham")
    assert th.logged_threshold(prepare(df)) == 0.8
    df.loc[0, "Predicted Label"] = "ham"  # 0.9 negative, 0.8 positive: no single cut
    assert th.logged_threshold(prepare(df)) is None


def _counts(changes: pd.DataFrame) -> pd.DataFrame:
    """The reference for the summary's counts: a groupby over every changed row."""
    grouped = changes.groupby(["Outcome Before", "Outcome After"], observed=True).size()
    return grouped.rename("rows").reset_index().rename(columns={"Outcome Before": "before", "Outcome After": "after"})


def test_outcome_changes_between_thresholds():
    table = prepare(hand_table())  # logged: positive when >= 0.5
    changes = th.outcome_changes(table, new_threshold=0.85)
    assert changes["Sample ID"].tolist() == [1, 2, 3]  # scores 0.8, 0.8, 0.6 flip to negative
    assert changes["Outcome Before"].astype(str).tolist() == ["TP", "FP", "TP"]
    assert changes["Outcome After"].astype(str).tolist() == ["FN", "TN", "FN"]
    counts = _counts(changes).set_index(["before", "after"])["rows"]
    assert counts[("TP", "FN")] == 2 and counts[("FP", "TN")] == 1
    lower = th.outcome_changes(table, new_threshold=0.3, old_threshold=0.5)
    assert lower["Sample ID"].tolist() == [4] and lower["Outcome After"].astype(str).tolist() == ["FP"]


def test_multiclass_rejected():
    df = pd.DataFrame({"label": ["a", "b", "c"], "prob_a": [1.0, 0, 0], "prob_b": [0, 1.0, 0], "prob_c": [0, 0, 1.0]})
    with pytest.raises(UsageError, match="binary"):
        th.threshold_curve(prepare(df))


def test_unlabelled_rows_left_out_of_the_curve():
    df = hand_table()
    df["True Label"] = df["True Label"].astype(object)
    df.loc[5, "True Label"] = None  # the 0.2 negative loses its label
    curve = th.threshold_curve(prepare(df))
    assert curve["threshold"].tolist() == [0.4, 0.6, 0.8, 0.9, np.inf]
    assert (curve["tp"] + curve["fp"] + curve["fn"] + curve["tn"] == 5).all()


def test_unlabelled_rows_left_out_of_operating_point_and_changes():
    df = hand_table()
    df["True Label"] = df["True Label"].astype(object)
    df.loc[2, "True Label"] = None  # the 0.8 negative loses its label
    table = prepare(df)
    point = th.operating_point(table, 0.5)
    assert (point.tp, point.fp, point.fn, point.tn) == (3, 0, 0, 2)
    assert th.outcome_changes(table, 0.85)["Sample ID"].tolist() == [1, 3]


def _random_binary_table(n: int, seed: int):
    rng = np.random.default_rng(seed)
    scores = rng.random(n).round(2)  # ties, as real probabilities have
    truth = rng.random(n) < scores
    frame = pd.DataFrame(
        {
            "Sample ID": np.arange(n),
            "Decoded Text": [f"text {i}" for i in range(n)],
            "True Label": np.where(truth, "phishing", "ham"),
            "Predicted Label": np.where(scores >= 0.5, "phishing", "ham"),
            "Prob (Ham)": 1 - scores,
            "Prob (Phishing)": scores,
        }
    )
    frame.loc[rng.random(n) < 0.05, "True Label"] = None  # unlabelled rows have no outcome
    return prepare(frame)


@pytest.mark.parametrize(
    ("new", "old", "first"),
    [(0.3, None, 10), (0.8, None, 1_000), (0.5, None, 5), (0.35, 0.7, 25), (0.0, None, 3), (1.01, 0.2, 7)],
)
def test_the_change_summary_is_the_full_changes_counted_and_cut(new, old, first):
    table = _random_binary_table(3_000, seed=int(new * 100))
    full = th.outcome_changes(table, new, old)
    summary = th.outcome_change_summary(table, new, old, first=first)
    assert summary.rows == len(full)
    pd.testing.assert_frame_equal(summary.first, full.head(first))
    expected = _counts(full)
    pd.testing.assert_frame_equal(summary.counts, expected, check_dtype=False, check_categorical=False)
    assert list(full.columns[:2]) == ["Outcome Before", "Outcome After"]


def test_no_change_gives_an_empty_summary():
    table = _random_binary_table(200, seed=1)
    summary = th.outcome_change_summary(table, th.logged_threshold(table) or 0.5)
    assert summary.rows == 0 and summary.first.empty and summary.counts.empty


@pytest.mark.parametrize("target", [0.0, 0.3, 0.5, 0.77, 0.95, 1.0])
def test_threshold_for_recall_is_the_highest_threshold_reaching_it(target):
    curve = th.threshold_curve(_random_binary_table(2_000, seed=7))
    expected = curve[curve["recall"] >= target - 1e-12]
    expected = expected.loc[expected["threshold"].idxmax()]
    pd.testing.assert_series_equal(th.threshold_for_recall(curve, target), expected)


def test_operating_points_are_shared_per_threshold_and_costs():
    table = _random_binary_table(1_000, seed=3)
    first = th.operating_point(table, 0.4, 2, 1)
    assert th.operating_point(table, 0.4, 2.0, 1.0) is first  # computed once, shared
    other = th.operating_point(table, 0.4, 1, 1)
    assert (other.tp, other.fp, other.fn, other.tn) == (first.tp, first.fp, first.fn, first.tn)
    assert first.cost == 2 * first.fn + first.fp and other.cost == other.fn + other.fp
    labelled = table.labelled()
    y = table.truth_is_positive("test")[labelled]
    flagged = table.positive_scores("test")[labelled] >= 0.4
    assert first.tp == int((y & flagged).sum()) and first.fn == int((y & ~flagged).sum())
