"""Threshold and cost for binary tables: every distinct threshold, not 21 points.

Convention (as scikit-learn's): a row is predicted positive when its positive-class
probability is >= the threshold. One sort gives the counts at every distinct score
(O(n log n)); changing the cost ratio only recomputes one column.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from wbview.analysis.memo import RecentResults
from wbview.analysis.prepare import OUTCOMES_BINARY, PreparedTable
from wbview.analysis.stats import safe_rate
from wbview.errors import BadTable, UsageError

COSTINGS_KEPT = 8  # cost ratios whose curves stay shared (one per session's current ratio, roughly)
CURVE_COLUMNS = ("threshold", "tp", "fp", "fn", "tn", "precision", "recall", "fn_rate", "fp_rate", "cost", "expected_cost")


def curve_from_arrays(y_true: np.ndarray, scores: np.ndarray, fn_cost: float = 1.0, fp_cost: float = 1.0) -> pd.DataFrame:
    """Counts and rates at every distinct score, thresholds ascending, plus a last row
    at +inf (nothing predicted positive).

    ``cost`` = fn_cost * FN + fp_cost * FP; ``expected_cost`` = cost per row.
    ``precision`` is NaN where nothing is predicted positive.
    """
    y = np.asarray(y_true, dtype=bool)
    s = np.asarray(scores, dtype=float)
    if y.shape != s.shape:
        raise UsageError("y_true and scores must have the same length.")
    if np.isnan(s).any():
        raise BadTable(
            f"{int(np.isnan(s).sum())} row(s) have no probability for the positive class; "
            "filter them out before choosing a threshold."
        )
    # Only the counts at the end of each run of equal scores are read, and they do not
    # depend on the order within a run: the unstable sort (SIMD, ~4x faster) is enough.
    order = np.argsort(-s)
    s_desc, y_desc = s[order], y[order]
    # Last index of each run of equal scores = all rows scoring >= that threshold.
    ends = np.r_[np.flatnonzero(np.diff(s_desc)), s.size - 1] if s.size else np.array([], dtype=np.int64)
    tp_desc = np.cumsum(y_desc)[ends]
    fp_desc = ends + 1 - tp_desc
    thresholds = np.r_[s_desc[ends][::-1], np.inf]
    tp = np.r_[tp_desc[::-1], 0]
    fp = np.r_[fp_desc[::-1], 0]
    positives, negatives = int(y.sum()), int(y.size - y.sum())
    curve = pd.DataFrame({"threshold": thresholds, "tp": tp.astype(np.int64), "fp": fp.astype(np.int64)})
    curve["fn"] = positives - curve["tp"]
    curve["tn"] = negatives - curve["fp"]
    curve["precision"] = safe_rate(tp, tp + fp)
    curve["recall"] = safe_rate(tp, positives)
    curve["fn_rate"] = safe_rate(curve["fn"], positives)
    curve["fp_rate"] = safe_rate(fp, negatives)
    return with_cost(curve, fn_cost, fp_cost)


def with_cost(curve: pd.DataFrame, fn_cost: float = 1.0, fp_cost: float = 1.0) -> pd.DataFrame:
    """The curve with ``cost`` and ``expected_cost`` for a new FN:FP cost ratio."""
    if fn_cost < 0 or fp_cost < 0:
        raise UsageError("Costs must be non-negative.")
    out = curve.copy()
    out["cost"] = fn_cost * out["fn"].to_numpy(dtype=float) + fp_cost * out["fp"].to_numpy(dtype=float)
    rows = int(out["tp"].iloc[0] + out["fp"].iloc[0] + out["fn"].iloc[0] + out["tn"].iloc[0]) if len(out) else 0
    out["expected_cost"] = out["cost"] / max(rows, 1)
    return out


def threshold_curve(
    table: PreparedTable, fn_cost: float = 1.0, fp_cost: float = 1.0, rows: np.ndarray | None = None
) -> pd.DataFrame:
    """``curve_from_arrays`` on the table's positive class (binary tables)."""
    why = "Threshold analysis"
    if not table.is_binary:
        raise UsageError(f"{why} needs a binary table; this one has classes {list(table.classes)}.")

    def compute(keep: np.ndarray, fn: float, fp: float) -> pd.DataFrame:
        y, s = table.truth_is_positive(why), table.positive_scores(why)
        if not keep.all():
            y, s = y[keep], s[keep]
        return curve_from_arrays(y, s, fn, fp)

    if rows is None:  # the whole table's curve is shared by every session, and so are its recent costings
        shared = table.memo.get(("threshold_curve",), lambda: compute(table.labelled(), fn_cost, fp_cost))
        costed = table.memo.get(("threshold_curve_costs",), lambda: RecentResults(COSTINGS_KEPT))
        return costed.get((float(fn_cost), float(fp_cost)), lambda: with_cost(shared, fn_cost, fp_cost))
    return compute(table.labelled() & np.asarray(rows, dtype=bool), fn_cost, fp_cost)


def cost_optimal_threshold(curve: pd.DataFrame) -> pd.Series:
    """The curve row with the lowest cost; ties go to the highest threshold (fewest alarms)."""
    cost = curve["cost"].to_numpy()
    best = np.flatnonzero(cost == cost.min())
    return curve.iloc[best[np.argmax(curve["threshold"].to_numpy()[best])]]


def threshold_for_recall(curve: pd.DataFrame, target_recall: float) -> pd.Series:
    """The highest threshold whose recall still reaches ``target_recall``."""
    if not 0.0 <= target_recall <= 1.0:
        raise UsageError(f"Target recall must lie between 0 and 1, got {target_recall}.")
    reaching = np.flatnonzero(curve["recall"].to_numpy() >= target_recall - 1e-12)
    if not len(reaching):
        raise UsageError(f"No threshold reaches recall {target_recall:g} (there are no positive rows).")
    # positions, not a filtered copy of the curve (a million-row table's curve has as many rows)
    return curve.iloc[reaching[np.argmax(curve["threshold"].to_numpy()[reaching])]]


def logged_threshold(table: PreparedTable) -> float | None:
    """The threshold the logged predictions imply: ``table.threshold`` when set, 0.5 when
    the logged predictions agree with it, else the lowest positive score when a single
    cut reproduces them; None when no single threshold does."""
    if table.threshold is not None:
        return table.threshold
    why = "Finding the logged threshold"
    s, predicted = table.positive_scores(why), table.pred_is_positive(why)
    low = np.nanmax(s[~predicted]) if (~predicted).any() else -np.inf
    high = np.nanmin(s[predicted]) if predicted.any() else np.inf
    if low < 0.5 <= high:
        return 0.5
    if low < high:
        return float(high) if np.isfinite(high) else float(np.nextafter(low, np.inf))
    return None


@dataclass(frozen=True)
class OperatingPoint:
    threshold: float
    tp: int
    fp: int
    fn: int
    tn: int
    precision: float
    recall: float
    fn_rate: float
    fp_rate: float
    cost: float


POINTS_KEPT = 32  # operating points shared by the sessions (a few per session's current view)


def operating_point(table: PreparedTable, threshold: float, fn_cost: float = 1.0, fp_cost: float = 1.0) -> OperatingPoint:
    """Counts, rates and cost at one threshold (the recent ones shared through the table)."""
    points = table.memo.get(("operating_points",), lambda: RecentResults(POINTS_KEPT))
    key = (float(threshold), float(fn_cost), float(fp_cost))
    return points.get(key, lambda: _operating_point(table, threshold, fn_cost, fp_cost))


def _operating_point(table: PreparedTable, threshold: float, fn_cost: float, fp_cost: float) -> OperatingPoint:
    why = "Threshold analysis"
    labelled = table.labelled()
    y, predicted = table.truth_is_positive(why)[labelled], table.positive_scores(why)[labelled] >= threshold
    tp, fp = int(np.count_nonzero(y & predicted)), int(np.count_nonzero(~y & predicted))
    fn, tn = int(np.count_nonzero(y & ~predicted)), int(np.count_nonzero(~y & ~predicted))
    return OperatingPoint(
        threshold,
        tp,
        fp,
        fn,
        tn,
        float(safe_rate(tp, tp + fp)),
        float(safe_rate(tp, tp + fn)),
        float(safe_rate(fn, tp + fn)),
        float(safe_rate(fp, fp + tn)),
        fn_cost * fn + fp_cost * fp,
    )


def _outcome_codes(truth: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    return np.where(predicted, np.where(truth, 0, 1), np.where(truth, 3, 2))


OUTCOME_COLUMNS = ("Outcome Before", "Outcome After")


@dataclass(frozen=True)
class _Changes:
    positions: np.ndarray  # rows whose outcome changes, highest score first
    before: np.ndarray  # their outcome codes (indices into OUTCOMES_BINARY)
    after: np.ndarray


def _changes(table: PreparedTable, new_threshold: float, old_threshold: float | None) -> _Changes:
    why = "Comparing thresholds"
    truth, scores = table.truth_is_positive(why), table.positive_scores(why)
    before = table.pred_is_positive(why) if old_threshold is None else scores >= old_threshold
    after = scores >= new_threshold
    changed = np.flatnonzero((before != after) & table.labelled())
    changed = changed[np.argsort(-scores[changed], kind="stable")]
    return _Changes(changed, _outcome_codes(truth[changed], before[changed]), _outcome_codes(truth[changed], after[changed]))


def _rows_with_outcomes(table: PreparedTable, changes: _Changes, upto: int | None = None) -> pd.DataFrame:
    """The changed rows (the first ``upto``), outcome columns first."""
    positions, before, after = changes.positions[:upto], changes.before[:upto], changes.after[:upto]
    out = table.frame.iloc[positions].copy()
    # from_codes: codes index OUTCOMES_BINARY directly (no per-row string matching on big tables)
    out[OUTCOME_COLUMNS[0]] = pd.Categorical.from_codes(before, categories=OUTCOMES_BINARY)
    out[OUTCOME_COLUMNS[1]] = pd.Categorical.from_codes(after, categories=OUTCOMES_BINARY)
    return out[[*OUTCOME_COLUMNS, *(c for c in out.columns if c not in OUTCOME_COLUMNS)]]


def outcome_changes(table: PreparedTable, new_threshold: float, old_threshold: float | None = None) -> pd.DataFrame:
    """Rows whose outcome changes when the threshold moves to ``new_threshold``, with
    "Outcome Before" / "Outcome After" (TP/FP/TN/FN) columns first, highest score first.

    ``old_threshold=None`` compares against the logged predictions. Rows without a
    true label have no outcome and are left out.
    """
    return _rows_with_outcomes(table, _changes(table, new_threshold, old_threshold))


@dataclass(frozen=True)
class OutcomeChanges:
    """What a page shows of ``outcome_changes`` without building all of it: how many rows
    change, the counts from each outcome to each other, and the first ``len(first)`` rows.
    On a million rows a move of the threshold can change 80,000 of them; taking all their
    text from the table took most of the move's server time."""

    rows: int
    counts: pd.DataFrame  # before, after, rows: how many rows move from each outcome to each other
    first: pd.DataFrame  # outcome_changes(...).head(n)


def outcome_change_summary(
    table: PreparedTable, new_threshold: float, old_threshold: float | None = None, first: int = 1_000
) -> OutcomeChanges:
    """``outcome_changes`` counted in full and cut to its ``first`` rows."""
    changes = _changes(table, new_threshold, old_threshold)
    n = len(OUTCOMES_BINARY)
    pairs = np.bincount(changes.before * n + changes.after, minlength=n * n)
    found = np.flatnonzero(pairs)
    counts = pd.DataFrame(
        {
            "before": pd.Categorical.from_codes(found // n, categories=OUTCOMES_BINARY),
            "after": pd.Categorical.from_codes(found % n, categories=OUTCOMES_BINARY),
            "rows": pairs[found],
        }
    )
    return OutcomeChanges(len(changes.positions), counts, _rows_with_outcomes(table, changes, first))
