"""Confusion matrix, errors by true class, false-negative focus and high-confidence
errors, all as bincounts over the categorical label codes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from wbview.analysis.prepare import PreparedTable
from wbview.analysis.stats import safe_rate, wilson_interval
from wbview.errors import UsageError

Normalize = Literal["true", "pred", "all"] | None


def _select(mask: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
    return mask if rows is None else mask & np.asarray(rows, dtype=bool)


def _label_codes(table: PreparedTable, why: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    table.require("true_label", "predicted_label", why=why)
    truth = table.frame[table.schema.true_label]
    pred = table.frame[table.schema.predicted_label]
    return truth.cat.codes.to_numpy(), pred.cat.codes.to_numpy(), list(truth.cat.categories)


def confusion_matrix(table: PreparedTable, normalize: Normalize = None, rows: np.ndarray | None = None) -> pd.DataFrame:
    """Rows = true class, columns = predicted class; counts, or shares when
    ``normalize`` is "true" (each row sums to 1), "pred" (each column) or "all".
    Same conventions as ``sklearn.metrics.confusion_matrix``."""
    truth, pred, classes = _label_codes(table, "A confusion matrix")
    if rows is not None:
        keep = np.asarray(rows, dtype=bool)
        truth, pred = truth[keep], pred[keep]
    k = len(classes)
    counts = np.bincount(truth * k + pred, minlength=k * k).reshape(k, k)
    matrix = counts.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if normalize == "true":
            matrix = np.nan_to_num(matrix / matrix.sum(axis=1, keepdims=True))
        elif normalize == "pred":
            matrix = np.nan_to_num(matrix / matrix.sum(axis=0, keepdims=True))
        elif normalize == "all":
            matrix = matrix / max(matrix.sum(), 1.0)
        elif normalize is not None:
            raise UsageError(f"normalize must be None, 'true', 'pred' or 'all', got {normalize!r}.")
    data = counts if normalize is None else matrix
    frame = pd.DataFrame(data, index=pd.Index(classes, name="true"), columns=pd.Index(classes, name="predicted"))
    return frame


def confusion_cell_mask(table: PreparedTable, true_class: str, predicted_class: str) -> np.ndarray:
    """Boolean row mask for one confusion-matrix cell (click a cell -> these rows)."""
    truth, pred, classes = _label_codes(table, "Filtering by a confusion-matrix cell")
    lookup = {c.casefold(): i for i, c in enumerate(classes)}
    missing = [c for c in (true_class, predicted_class) if str(c).casefold() not in lookup]
    if missing:
        raise UsageError(f"Unknown class(es) {missing}; classes are {classes}.")
    return (truth == lookup[str(true_class).casefold()]) & (pred == lookup[str(predicted_class).casefold()])


def errors_by_true_class(table: PreparedTable, rows: np.ndarray | None = None, confidence: float = 0.95) -> pd.DataFrame:
    """Per true class: rows, errors, error rate (Wilson CI) and share of all errors."""
    table.require("true_label", why="Errors by true class")
    truth = table.frame[table.schema.true_label]
    codes = truth.cat.codes.to_numpy()
    wrong = table.is_error()
    if rows is not None:
        keep = np.asarray(rows, dtype=bool)
        codes, wrong = codes[keep], wrong[keep]
    k = len(truth.cat.categories)
    n = np.bincount(codes, minlength=k)
    errors = np.bincount(codes, weights=wrong, minlength=k).astype(np.int64)
    low, high = wilson_interval(errors, n, confidence)
    frame = pd.DataFrame(
        {
            "true_class": list(truth.cat.categories),
            "rows": n,
            "errors": errors,
            "error_rate": safe_rate(errors, n),
            "error_rate_low": low,
            "error_rate_high": high,
            "share_of_errors": safe_rate(errors, errors.sum()),
        }
    )
    return frame.sort_values("errors", ascending=False, kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class FalseNegativeSummary:
    """How much of the error is missed positives. ``fn_rate`` = FN / actual positives."""

    positive_class: str
    rows: int
    errors: int
    false_negatives: int
    false_positives: int
    actual_positives: int
    fn_share_of_errors: float
    fn_rate: float


def false_negative_summary(table: PreparedTable, rows: np.ndarray | None = None) -> FalseNegativeSummary:
    """FN / FP counts and the FN share of errors for the table's positive class."""
    why = "False-negative focus"
    true_pos, pred_pos = table.truth_is_positive(why), table.pred_is_positive(why)
    keep = table.labelled() if rows is None else table.labelled() & np.asarray(rows, dtype=bool)
    true_pos, pred_pos = true_pos[keep], pred_pos[keep]
    fn = int(np.count_nonzero(true_pos & ~pred_pos))
    fp = int(np.count_nonzero(~true_pos & pred_pos))
    wrong = table.is_error()[keep]
    errors = int(np.count_nonzero(wrong))
    positives = int(np.count_nonzero(true_pos))
    return FalseNegativeSummary(
        positive_class=table.require_positive(why),
        rows=int(true_pos.size),
        errors=errors,
        false_negatives=fn,
        false_positives=fp,
        actual_positives=positives,
        fn_share_of_errors=float(safe_rate(fn, errors)),
        fn_rate=float(safe_rate(fn, positives)),
    )


def _sorted_by_confidence(table: PreparedTable, mask: np.ndarray, limit: int | None) -> pd.DataFrame:
    index = np.flatnonzero(mask)
    if table.schema.confidence is not None:
        conf = table.confidence()[index]
        order = np.argsort(-np.nan_to_num(conf, nan=-np.inf), kind="stable")
        index = index[order]
    if limit is not None:
        index = index[:limit]
    return table.frame.iloc[index]


def false_negative_mask(table: PreparedTable) -> np.ndarray:
    """True where a positive row was predicted as another class."""
    why = "False-negative focus"
    return table.truth_is_positive(why) & ~table.pred_is_positive(why)


def false_negative_rows(table: PreparedTable, rows: np.ndarray | None = None, limit: int | None = None) -> pd.DataFrame:
    """Missed positives, most confident (most dangerous) first."""
    return _sorted_by_confidence(table, _select(false_negative_mask(table), rows), limit)


def high_confidence_error_mask(table: PreparedTable, min_confidence: float = 0.9) -> np.ndarray:
    table.require("confidence", why="High-confidence errors")
    return table.is_error() & (table.confidence() >= min_confidence)


def high_confidence_errors(
    table: PreparedTable, min_confidence: float = 0.9, rows: np.ndarray | None = None, limit: int | None = None
) -> pd.DataFrame:
    """Errors made with confidence >= ``min_confidence``, most confident first."""
    return _sorted_by_confidence(table, _select(high_confidence_error_mask(table, min_confidence), rows), limit)
