"""Companion metrics (numpy only) against scikit-learn's."""

from __future__ import annotations

import numpy as np
import pytest

from wbview.companion import EvalTableBuilder, classification_metrics, namespaced
from wbview.companion.metrics import binary_roc_auc

sk = pytest.importorskip("sklearn.metrics")


def _sklearn_binary(y_true, y_pred, scores, positive):
    tn, fp, fn, tp = sk.confusion_matrix(y_true == positive, y_pred == positive, labels=[False, True]).ravel()
    return {
        "accuracy": sk.accuracy_score(y_true, y_pred),
        "precision": sk.precision_score(y_true, y_pred, pos_label=positive, zero_division=0),
        "recall": sk.recall_score(y_true, y_pred, pos_label=positive, zero_division=0),
        "f1": sk.f1_score(y_true, y_pred, pos_label=positive, zero_division=0),
        "fn_rate": fn / (fn + tp) if fn + tp else 0.0,
        "fp_rate": fp / (fp + tn) if fp + tn else 0.0,
        "roc_auc": sk.roc_auc_score(y_true == positive, scores),
    }


def _random_binary(seed, n, positive_rate=0.4, ties=False):
    rng = np.random.default_rng(seed)
    y_true = (rng.random(n) < positive_rate).astype(int)
    p1 = np.clip(rng.normal(0.35 + 0.3 * y_true, 0.2), 0, 1)
    if ties:
        p1 = np.round(p1, 1)  # many tied scores exercise the average-rank rule
    return y_true, np.stack([1 - p1, p1], 1)


@pytest.mark.parametrize(
    "seed, n, positive, threshold, ties",
    [(0, 50, 1, 0.5, False), (1, 500, 1, 0.3, True), (2, 1000, 0, 0.5, False), (3, 7, 1, 0.9, True), (4, 2000, 1, 0.5, True)],
)
def test_binary_metrics_match_sklearn(seed, n, positive, threshold, ties):
    y_true, probs = _random_binary(seed, n, ties=ties)
    y_pred = np.where(probs[:, positive] >= threshold, positive, 1 - positive)
    ours = classification_metrics(y_true, y_pred, probs, positive_index=positive, threshold=threshold)
    expected = _sklearn_binary(y_true, y_pred, probs[:, positive], positive)
    for name, value in expected.items():
        assert ours[name] == pytest.approx(value, abs=1e-12), name
    assert ours["threshold"] == threshold and ours["num_predictions"] == n


@pytest.mark.parametrize("seed, n, classes", [(0, 300, 3), (1, 1000, 5), (2, 40, 4)])
def test_multiclass_macro_metrics_match_sklearn(seed, n, classes):
    rng = np.random.default_rng(seed)
    y_true = np.concatenate([np.arange(classes), rng.integers(0, classes, n - classes)])
    logits = rng.normal(size=(n, classes)) + 1.5 * np.eye(classes)[y_true]
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    y_pred = probs.argmax(1)
    ours = classification_metrics(y_true, y_pred, probs)
    assert ours["accuracy"] == pytest.approx(sk.accuracy_score(y_true, y_pred))
    for name, fn in (("precision", sk.precision_score), ("recall", sk.recall_score), ("f1", sk.f1_score)):
        assert ours[name] == pytest.approx(fn(y_true, y_pred, average="macro", zero_division=0), abs=1e-12), name
    assert ours["roc_auc"] == pytest.approx(sk.roc_auc_score(y_true, probs, multi_class="ovr", average="macro"), abs=1e-12)
    cm = sk.confusion_matrix(y_true, y_pred)
    fn_ = cm.sum(1) - np.diag(cm)
    fp_ = cm.sum(0) - np.diag(cm)
    tn_ = cm.sum() - cm.sum(1) - cm.sum(0) + np.diag(cm)
    assert ours["fn_rate"] == pytest.approx(np.mean(fn_ / cm.sum(1)))
    assert ours["fp_rate"] == pytest.approx(np.mean(fp_ / (fp_ + tn_)))
    assert ours["threshold"] is None


def test_builder_metrics_equal_sklearn_on_its_own_table():
    y_true, probs = _random_binary(9, 400)
    builder = EvalTableBuilder(["ham", "phishing"], positive_class="phishing", threshold=0.4)
    builder.add_batch(probs=probs[:150], labels=y_true[:150])
    builder.add_batch(probs=probs[150:], labels=y_true[150:])
    frame = builder.finalize()
    y_pred = frame["Predicted Label"].cat.codes.to_numpy()
    expected = _sklearn_binary(y_true, y_pred, frame["Prob (phishing)"].to_numpy(), 1)
    ours = builder.metrics()
    for name, value in expected.items():
        assert ours[name] == pytest.approx(value, abs=1e-12), name


@pytest.mark.parametrize(
    "y_true, y_pred, expected",
    [
        ([1, 1, 1], [1, 1, 1], {"precision": 1.0, "recall": 1.0, "fp_rate": 0.0, "roc_auc": None}),
        ([0, 0], [0, 0], {"precision": 0.0, "recall": 0.0, "f1": 0.0, "fn_rate": 0.0, "roc_auc": None}),
        (
            [],
            [],
            {
                "accuracy": None,
                "precision": None,
                "recall": None,
                "f1": None,
                "fn_rate": None,
                "fp_rate": None,
                "roc_auc": None,
                "threshold": 0.5,
                "num_predictions": 0,
            },
        ),
    ],
)
def test_degenerate_cases_do_not_divide_by_zero(y_true, y_pred, expected):
    probs = np.eye(2)[np.asarray(y_pred, int)] if y_pred else np.zeros((0, 2))
    ours = classification_metrics(np.asarray(y_true, int), np.asarray(y_pred, int), probs, positive_index=1, threshold=0.5)
    for name, value in expected.items():
        assert ours[name] == value, name


def test_roc_auc_with_all_scores_tied_is_half():
    assert binary_roc_auc(np.array([True, False, True, False]), np.full(4, 0.3)) == 0.5


def test_namespaced():
    assert namespaced({"f1": 0.5}) == {"eval/f1": 0.5}
    assert namespaced({"f1": 0.5}, "test") == {"test/f1": 0.5}
