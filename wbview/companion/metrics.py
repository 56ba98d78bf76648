"""Headline classification metrics in numpy (no scikit-learn at run time).

Binary with a positive class: precision, recall, F1, FN rate and FP rate are those of
the positive class; ROC AUC scores P(positive). Otherwise (multi-class, or no positive
class): macro averages over the classes present in labels or predictions, and ROC AUC
is the macro one-vs-rest average (scikit-learn's ``multi_class="ovr"``). A ratio with
a zero denominator is 0.0 (scikit-learn's ``zero_division=0``); ROC AUC is ``None``
when it is undefined (a single class among the labels). With no rows at all, every
rate (accuracy to ROC AUC) is ``None``, not 0.0, and ``num_predictions`` is 0.

Per class (every class, present or not): ``per_class[name]`` holds ``precision``,
``recall``, ``f1`` (as scikit-learn's ``classification_report(..., zero_division=0)``
gives them) and ``support`` (true rows of that class); ``confusion_matrix`` holds
``labels`` (class names by index) and ``matrix`` (rows: true class, columns: predicted
class; scikit-learn's ``confusion_matrix(y_true, y_pred, labels=range(C))``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

METRIC_NAMES = (
    "accuracy",
    "precision",
    "recall",
    "f1",
    "fn_rate",
    "fp_rate",
    "roc_auc",
    "threshold",
    "num_predictions",
)
PER_CLASS_NAMES = ("precision", "recall", "f1", "support")


def _ratio(numerator: np.ndarray | float, denominator: np.ndarray | float) -> np.ndarray:
    numerator, denominator = np.asarray(numerator, float), np.asarray(denominator, float)
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)


def binary_roc_auc(is_positive: np.ndarray, scores: np.ndarray) -> float | None:
    """Area under the ROC curve via the rank-sum statistic (ties get average ranks)."""
    is_positive = np.asarray(is_positive, bool)
    n_pos = int(is_positive.sum())
    n_neg = is_positive.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    scores = np.asarray(scores, np.float64)
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    # Average rank for each run of tied scores.
    boundaries = np.flatnonzero(np.diff(sorted_scores)) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [scores.size]))
    mean_rank_per_run = (starts + ends + 1) / 2.0
    ranks = np.empty(scores.size, np.float64)
    ranks[order] = np.repeat(mean_rank_per_run, ends - starts)
    rank_sum = ranks[is_positive].sum()
    return float((rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def confusion_counts(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """``num_classes x num_classes`` counts, rows = true class, columns = predicted class."""
    flat = np.asarray(y_true, np.int64) * num_classes + np.asarray(y_pred, np.int64)
    return np.bincount(flat, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def classification_metrics(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    probs: np.ndarray | None = None,
    *,
    num_classes: int | None = None,
    positive_index: int | None = None,
    threshold: float | None = None,
    class_names: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Accuracy, precision, recall, F1, FN rate, FP rate, ROC AUC, threshold, count,
    then ``per_class`` and ``confusion_matrix`` (keyed by ``class_names``, default the
    class indices as strings).

    ``y_true``/``y_pred`` are class indices; ``probs`` is ``(n, num_classes)``.
    """
    y_true, y_pred = np.asarray(y_true, np.int64), np.asarray(y_pred, np.int64)
    if num_classes is None:
        num_classes = probs.shape[1] if probs is not None else int(max(y_true.max(initial=0), y_pred.max(initial=0)) + 1)
    n = int(y_true.size)
    counts = confusion_counts(y_true, y_pred, num_classes)
    tp = np.diag(counts).astype(float)
    fp = counts.sum(axis=0) - tp
    fn = counts.sum(axis=1) - tp
    tn = n - tp - fp - fn
    result: dict[str, Any] = {"accuracy": float(_ratio(tp.sum(), n))}
    per_class = {
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "fn_rate": _ratio(fn, fn + tp),
        "fp_rate": _ratio(fp, fp + tn),
    }
    if positive_index is not None:
        result.update({name: float(values[positive_index]) for name, values in per_class.items()})
    else:
        present = (counts.sum(axis=0) + counts.sum(axis=1)) > 0
        result.update({name: float(values[present].mean()) if present.any() else 0.0 for name, values in per_class.items()})
    if n == 0:  # nothing was predicted: a rate of 0.0 would read as "all wrong"
        result = dict.fromkeys(result, None)
    result["roc_auc"] = _roc_auc(y_true, probs, num_classes, positive_index)
    result["threshold"] = None if threshold is None else float(threshold)
    result["num_predictions"] = n
    names = [str(name) for name in class_names] if class_names is not None else [str(i) for i in range(num_classes)]
    if len(names) != num_classes:
        raise ValueError(f"class_names has {len(names)} names for {num_classes} classes.")
    support = counts.sum(axis=1)
    result["per_class"] = {
        name: {
            "precision": None if n == 0 else float(per_class["precision"][i]),
            "recall": None if n == 0 else float(per_class["recall"][i]),
            "f1": None if n == 0 else float(per_class["f1"][i]),
            "support": int(support[i]),
        }
        for i, name in enumerate(names)
    }
    result["confusion_matrix"] = {"labels": names, "matrix": counts.astype(int).tolist()}
    return result


def scalar_metrics(metrics: Mapping[str, Any]) -> dict[str, float | int]:
    """The numeric headline metrics only (what a Trainer or a plain log line takes)."""
    return {k: v for k, v in metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def _roc_auc(y_true: np.ndarray, probs: np.ndarray | None, num_classes: int, positive_index: int | None) -> float | None:
    if probs is None or y_true.size == 0:
        return None
    if positive_index is not None or num_classes == 2:
        column = 1 if positive_index is None else positive_index
        return binary_roc_auc(y_true == column, probs[:, column])
    present = np.unique(y_true)
    if present.size < 2:
        return None
    # With two or more classes present every one-vs-rest split has both sides: no None.
    scores = [s for s in (binary_roc_auc(y_true == c, probs[:, c]) for c in present) if s is not None]
    return float(np.mean(scores))


def namespaced(metrics: Mapping[str, Any], namespace: str = "eval/") -> dict[str, Any]:
    """``{"f1": 0.9}`` -> ``{"eval/f1": 0.9}``; the namespace gets a trailing ``/``."""
    prefix = namespace if not namespace or namespace.endswith("/") else namespace + "/"
    return {f"{prefix}{name}": value for name, value in metrics.items()}
