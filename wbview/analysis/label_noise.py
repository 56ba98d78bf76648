"""Likely label errors: confident learning on the logged per-class probabilities.

Our own implementation of cleanlab's default ``cleanlab.filter.find_label_issues``
(``filter_by="prune_by_noise_rate"``, Northcutt et al., JAIR 2021), checked against
cleanlab in the tests, so the app needs no extra package:

1. per-class thresholds ``t_k`` = mean probability of class k over the rows labelled k
   (the class's average self-confidence);
2. the confident joint ``C[given, true]``: a row counts for the classes whose probability
   reaches their threshold (the most probable of them when several do), calibrated so
   each given class keeps its row count;
3. prune by noise rate: for each given class k and other class j, the ``C[k, j]`` rows
   labelled k with the largest margin ``p_j - p_k`` are flagged (at least one row is
   kept per class);
4. rows whose given label is still the model's top class are never flagged.

The label quality score is the self-confidence: the probability the model gives to the
row's given label (low = suspicious). The probabilities must be out-of-sample (an eval
split, as logged eval tables are); on training rows the model has memorised the labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from wbview.analysis.prepare import PreparedTable
from wbview.errors import BadTable

LIKELY_MISLABELLED = "Likely Mislabelled"
LABEL_QUALITY = "Label Quality"
_FUZZ = 1e-6  # cleanlab's FLOATING_POINT_COMPARISON
_MISSING_CLASS_THRESHOLD = 2.0  # no row is that confident: a class nobody is labelled with gets no count
_TINY = 1e-100


def confident_thresholds(labels: np.ndarray, pred_probs: np.ndarray) -> np.ndarray:
    """Mean self-confidence per class (2.0 for a class no row is labelled with)."""
    k = pred_probs.shape[1]
    counts = np.bincount(labels, minlength=k)
    # The mean of the class's own column over its rows (np.mean, summed as cleanlab sums it).
    means = np.array([pred_probs[labels == c, c].mean() if counts[c] else _MISSING_CLASS_THRESHOLD for c in range(k)])
    return np.clip(means, 2 * _FUZZ, None)


def _round_preserving_sum(values: np.ndarray) -> np.ndarray:
    """Round to integers keeping the (rounded) total, as cleanlab does it."""
    floats = np.asarray(values, dtype=float)
    ints = floats.round()
    target, total = np.sum(floats).round(), np.sum(ints).round()
    while abs(total - target) > _FUZZ:
        diff = np.round(target - total)
        step = -1 if diff < 0.0 else 1
        changes = min(int(abs(diff)), len(floats))
        for i in np.argsort(floats - ints)[::-step][:changes]:
            ints[i] += step
        total = np.sum(ints).round()
    return ints


def _round_rows(matrix: np.ndarray) -> np.ndarray:
    return np.array([_round_preserving_sum(row) for row in matrix]).astype(int)


def confident_joint(labels: np.ndarray, pred_probs: np.ndarray, calibrate: bool = True) -> np.ndarray:
    """``C[given, true]``: counts of rows labelled ``given`` confidently in class ``true``."""
    k = pred_probs.shape[1]
    confident = pred_probs >= confident_thresholds(labels, pred_probs) - _FUZZ
    n_confident = confident.sum(axis=1)
    guess = np.where(n_confident > 1, pred_probs.argmax(axis=1), confident.argmax(axis=1))
    counted = n_confident > 0
    # Counted as [true, given] and transposed (a Fortran-ordered view), as cleanlab builds it
    # from a confusion matrix: the sums below then round the same way, bit for bit.
    joint = np.bincount(guess[counted] * k + labels[counted], minlength=k * k).reshape(k, k).T
    np.fill_diagonal(joint, joint.diagonal().clip(min=1))
    if not calibrate:
        return joint
    label_counts = np.bincount(labels, minlength=k)
    calibrated = (joint.T / np.clip(joint.sum(axis=1), _TINY, None) * label_counts).T
    calibrated = calibrated / np.clip(calibrated.sum(), _TINY, None) * label_counts.sum()
    return _round_rows(calibrated)


def _prune_counts(joint: np.ndarray, keep_per_class: int = 1) -> np.ndarray:
    """``joint.T`` with each diagonal raised to ``keep_per_class``, the increase taken
    evenly off that column's non-zero noise counts (cleanlab's _keep_at_least_n_per_class)."""
    matrix = joint.T.astype(float)
    diagonal = np.diagonal(matrix)
    raised = np.maximum(diagonal, keep_per_class)
    per_column = np.maximum(np.count_nonzero(matrix, axis=0) - 1.0, 1.0)
    out = matrix - (raised - diagonal) / per_column
    out[out < 0] = 0
    np.fill_diagonal(out, raised)
    out = out.astype(int)  # cleanlab's _reduce_prune_counts with frac_noise=1 truncates here
    return _round_rows(out.astype(float))


def find_label_issues(labels: np.ndarray, pred_probs: np.ndarray) -> np.ndarray:
    """True where the given label (integer class codes 0..K-1) is likely wrong; the
    default of ``cleanlab.filter.find_label_issues``."""
    labels = np.asarray(labels, dtype=np.int64)
    pred_probs = np.asarray(pred_probs, dtype=float)
    if pred_probs.ndim != 2 or labels.shape != (pred_probs.shape[0],):
        raise ValueError("labels must be one class code per row of pred_probs (rows x classes).")
    k = pred_probs.shape[1]
    prune = _prune_counts(confident_joint(labels, pred_probs))
    issues = np.zeros(labels.size, dtype=bool)
    for given in range(k):
        rows = np.flatnonzero(labels == given)
        if rows.size <= 1:  # keep at least one row per class
            continue
        probs = pred_probs[rows]
        for other in range(k):
            count = int(prune[other, given])
            if other != given and count > 0:
                margin = probs[:, other] - probs[:, given]
                issues[rows[np.argsort(-margin)[:count]]] = True
    nudged = pred_probs.copy()
    nudged[np.arange(labels.size), labels] += _FUZZ
    issues[nudged.argmax(axis=1) == labels] = False
    return issues


def self_confidence(labels: np.ndarray, pred_probs: np.ndarray) -> np.ndarray:
    """The probability of each row's given label (``cleanlab.rank.get_label_quality_scores``'
    default): low means the label is suspicious."""
    labels = np.asarray(labels, dtype=np.int64)
    return np.asarray(pred_probs, dtype=float)[np.arange(labels.size), labels]


@dataclass(frozen=True)
class LabelIssues:
    """Per row of the table: ``likely_mislabelled`` (bool) and ``label_quality`` (the
    self-confidence; NaN where the row could not be scored: no true label or missing
    probabilities). ``rows_scored`` rows took part; ``thresholds`` per class."""

    likely_mislabelled: np.ndarray
    label_quality: np.ndarray
    rows_scored: int
    classes: tuple[str, ...]
    thresholds: tuple[float, ...]

    @property
    def count(self) -> int:
        return int(np.count_nonzero(self.likely_mislabelled))

    def columns(self, index: pd.Index | None = None) -> pd.DataFrame:
        """The two columns ("Likely Mislabelled", "Label Quality") to join onto the table."""
        return pd.DataFrame({LIKELY_MISLABELLED: self.likely_mislabelled, LABEL_QUALITY: self.label_quality}, index=index)


def _probability_matrix(table: PreparedTable, why: str) -> tuple[np.ndarray, list[str]]:
    """(rows x classes probabilities, class names) in the table's class order; a binary
    table with one probability column gets its complement."""
    classes = list(table.classes)
    columns = [table.prob_column(c) for c in classes]
    if all(c is not None for c in columns):
        return np.column_stack([table.frame[c].to_numpy(dtype=float, na_value=np.nan) for c in columns]), classes
    present = [c for c in columns if c is not None]
    if len(classes) == 2 and len(present) == 1:
        p = table.frame[present[0]].to_numpy(dtype=float, na_value=np.nan)
        first = columns[0] is not None
        return np.column_stack([p, 1.0 - p] if first else [1.0 - p, p]), classes
    missing = [cls for cls, col in zip(classes, columns, strict=True) if col is None]
    raise BadTable(
        f"{why} needs a probability column for every class ('Prob (<class>)'); none for {missing}. "
        "Log the per-class probabilities in the eval table (the companion's EvalTableBuilder does)."
    )


def label_issues(table: PreparedTable) -> LabelIssues:
    """Confident learning on ``table``'s true labels and logged probabilities (computed once
    per table). Raises ``BadTable`` without true labels or per-class probabilities."""
    return table.memo.get(("label_issues",), lambda: _label_issues(table))


def _label_issues(table: PreparedTable) -> LabelIssues:
    why = "Finding likely label errors"
    table.require("true_label", why=why)
    probs, classes = _probability_matrix(table, why)
    truth = table.frame[table.schema.true_label]
    category_to_class = {str(c).casefold(): i for i, c in enumerate(classes)}
    code_map = np.array([category_to_class.get(str(c).casefold(), -1) for c in truth.cat.categories] + [-1])
    codes = code_map[truth.cat.codes.to_numpy()]
    scored = table.labelled() & (codes >= 0) & np.isfinite(probs).all(axis=1)
    flagged = np.zeros(table.n_rows, dtype=bool)
    quality = np.full(table.n_rows, np.nan)
    rows = np.flatnonzero(scored)
    thresholds: tuple[float, ...] = ()
    if rows.size:
        flagged[rows] = find_label_issues(codes[rows], probs[rows])
        quality[rows] = self_confidence(codes[rows], probs[rows])
        thresholds = tuple(float(t) for t in confident_thresholds(codes[rows], probs[rows]))
    flagged.flags.writeable = quality.flags.writeable = False  # shared by every session of the table
    return LabelIssues(
        likely_mislabelled=flagged,
        label_quality=quality,
        rows_scored=int(rows.size),
        classes=tuple(classes),
        thresholds=thresholds,
    )


def detection_quality(flagged: np.ndarray, truly_flipped: np.ndarray) -> dict[str, float]:
    """Precision and recall of ``flagged`` against known flipped labels (both bool per row)."""
    flagged, truly_flipped = np.asarray(flagged, dtype=bool), np.asarray(truly_flipped, dtype=bool)
    hits = int(np.count_nonzero(flagged & truly_flipped))
    n_flagged, n_flipped = int(np.count_nonzero(flagged)), int(np.count_nonzero(truly_flipped))
    return {
        "flagged": n_flagged,
        "flipped": n_flipped,
        "true_positives": hits,
        "precision": hits / n_flagged if n_flagged else float("nan"),
        "recall": hits / n_flipped if n_flipped else float("nan"),
    }


def likely_mislabelled_rows(table: PreparedTable, rows: np.ndarray | None = None, limit: int | None = None) -> pd.DataFrame:
    """The rows flagged as likely mislabelled (within the boolean mask ``rows``), most
    suspicious (lowest label quality) first, with the "Label Quality" column added: the
    separate group that the false-negative focus and high-confidence errors show after the
    real model errors."""
    issues = label_issues(table)
    mask = issues.likely_mislabelled if rows is None else issues.likely_mislabelled & np.asarray(rows, dtype=bool)
    index = np.flatnonzero(mask)
    index = index[np.argsort(issues.label_quality[index], kind="stable")]
    if limit is not None:
        index = index[:limit]
    frame = table.frame.iloc[index]
    return frame.assign(**{LABEL_QUALITY: issues.label_quality[index]})
