"""Confusion matrix, errors by class, FN focus and high-confidence errors vs scikit-learn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics

from wbview.analysis import outcomes
from wbview.analysis.prepare import prepare
from wbview.errors import UsageError


def random_table(n_rows: int, classes: list[str], seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    truth = rng.choice(classes, n_rows)
    pred = np.where(rng.random(n_rows) < 0.7, truth, rng.choice(classes, n_rows))
    probs = rng.dirichlet(np.ones(len(classes)), n_rows)
    frame = pd.DataFrame({"text": [f"t{i}" for i in range(n_rows)], "true_label": truth, "predicted_label": pred})
    for i, cls in enumerate(classes):
        frame[f"prob_{cls}"] = probs[:, i]
    return frame


@pytest.mark.parametrize("classes", [["ham", "spam"], ["a", "b", "c", "d"]])
@pytest.mark.parametrize("normalize", [None, "true", "pred", "all"])
def test_confusion_matrix_matches_sklearn(classes, normalize):
    df = random_table(500, classes, seed=len(classes))
    table = prepare(df)
    ours = outcomes.confusion_matrix(table, normalize=normalize)
    labels = list(ours.index)
    expected = metrics.confusion_matrix(df["true_label"], df["predicted_label"], labels=labels, normalize=normalize)
    assert list(ours.columns) == labels
    np.testing.assert_allclose(ours.to_numpy(), expected)


def test_confusion_matrix_on_selected_rows():
    df = random_table(300, ["x", "y", "z"], seed=3)
    table = prepare(df)
    rows = df.index.to_numpy() % 2 == 0
    ours = outcomes.confusion_matrix(table, rows=rows)
    sub = df[rows]
    expected = metrics.confusion_matrix(sub["true_label"], sub["predicted_label"], labels=list(ours.index))
    np.testing.assert_array_equal(ours.to_numpy(), expected)


def test_cell_mask_selects_exactly_the_cell():
    df = random_table(400, ["a", "b", "c"], seed=5)
    table = prepare(df)
    matrix = outcomes.confusion_matrix(table)
    mask = outcomes.confusion_cell_mask(table, "A", "c")  # class names match case-insensitively
    assert mask.sum() == matrix.loc["a", "c"]
    assert (df.loc[mask, "true_label"] == "a").all() and (df.loc[mask, "predicted_label"] == "c").all()
    with pytest.raises(UsageError, match="Unknown class"):
        outcomes.confusion_cell_mask(table, "a", "nope")


def hand_table() -> pd.DataFrame:
    # positive = phishing; rows: FN (0.9), FN (0.6), FP (0.7), TP, TN, TN
    return pd.DataFrame(
        {
            "Decoded Text": ["f1", "f2", "p1", "t1", "n1", "n2"],
            "True Label": ["phishing", "phishing", "ham", "phishing", "ham", "ham"],
            "Predicted Label": ["ham", "ham", "phishing", "phishing", "ham", "ham"],
            "Confidence": [0.6, 0.9, 0.7, 0.95, 0.8, 0.99],
        }
    )


def test_errors_by_true_class_hand_case():
    frame = outcomes.errors_by_true_class(prepare(hand_table())).set_index("true_class")
    assert frame.loc["phishing", ["rows", "errors"]].tolist() == [3, 2]
    assert frame.loc["ham", ["rows", "errors"]].tolist() == [3, 1]
    assert frame.loc["phishing", "share_of_errors"] == pytest.approx(2 / 3)
    assert frame.loc["phishing", "error_rate_low"] < 2 / 3 < frame.loc["phishing", "error_rate_high"]


def test_false_negative_summary_hand_case_and_sklearn():
    df = hand_table()
    summary = outcomes.false_negative_summary(prepare(df))
    tn, fp, fn, tp = metrics.confusion_matrix(df["True Label"], df["Predicted Label"], labels=["ham", "phishing"]).ravel()
    assert (summary.false_negatives, summary.false_positives) == (fn, fp) == (2, 1)
    assert summary.errors == 3 and summary.fn_share_of_errors == pytest.approx(2 / 3)
    assert summary.fn_rate == pytest.approx(
        1 - metrics.recall_score(df["True Label"], df["Predicted Label"], pos_label="phishing")
    )


def test_false_negative_rows_sorted_by_confidence_descending():
    rows = outcomes.false_negative_rows(prepare(hand_table()))
    assert list(rows["Decoded Text"]) == ["f2", "f1"]
    assert list(outcomes.false_negative_rows(prepare(hand_table()), limit=1)["Decoded Text"]) == ["f2"]


def test_high_confidence_errors():
    table = prepare(hand_table())
    assert list(outcomes.high_confidence_errors(table, 0.65)["Decoded Text"]) == ["f2", "p1"]
    assert outcomes.high_confidence_errors(table, 0.95).empty


def test_multiclass_fn_focus_needs_a_positive_class():
    df = random_table(50, ["a", "b", "c"], seed=1)
    with pytest.raises(UsageError, match="positive class"):
        outcomes.false_negative_summary(prepare(df))
    summary = outcomes.false_negative_summary(prepare(df, positive_class="b"))
    expected = int(((df["true_label"] == "b") & (df["predicted_label"] != "b")).sum())
    assert summary.false_negatives == expected


def test_fn_summary_ignores_unlabelled_rows():
    df = hand_table()
    df.loc[2, "True Label"] = None  # the false positive loses its label
    summary = outcomes.false_negative_summary(prepare(df))
    assert (summary.rows, summary.false_positives, summary.false_negatives, summary.errors) == (5, 0, 2, 2)
