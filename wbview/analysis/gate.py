"""A regression gate for CI: is a candidate run worse than a baseline run on the same
samples, overall, on a metric, or on a slice?

Both eval tables are joined sample by sample (``compare.join_columns`` /
``compare.match_rows``: the sample id, else the text) and only rows that both runs
scored (a true label and a predicted label in both) are compared. Then:

- **Paired test, overall.** McNemar's exact test on the discordant pairs: ``b`` rows
  right in the baseline and wrong in the candidate (newly broken), ``c`` rows fixed.
  Under "no change", ``b ~ Binomial(b + c, 1/2)``. The gate uses the **one-sided**
  p-value ``P(X >= b)`` ("the candidate is worse"): an improvement must never fail a
  gate, and a two-sided test would spend half of ``alpha`` on it. The two-sided
  p-value (``statsmodels``' ``mcnemar(exact=True)``) is reported beside it.
  A regression when ``p_worse <= alpha``.
- **Metrics.** accuracy, error_rate; for binary tables precision, recall, f1, fn_rate
  and fp_rate of the positive class; for more classes macro_precision, macro_recall
  and macro_f1 (scikit-learn's ``zero_division=0``). Each gated metric fails when it
  gets worse by more than its ``max_drop`` (absolute, in the metric's units; for
  error_rate, fn_rate and fp_rate "worse" means higher). Default: accuracy, and recall
  of the positive class for binary tables, with ``max_drop`` 0.01.
- **Slices.** The baseline table's input slices (``slices.slice_features`` with
  ``include_outputs=False``: every column and text feature, not the models' outputs,
  which differ between the runs). Every slice with at least ``min_rows`` paired rows
  and at least one discordant pair is tested with the one-sided McNemar test; the
  p-values are adjusted over that family with **Holm** (the default: it controls the
  chance of any false alarm under any dependence between slices, and slices overlap)
  or **Benjamini-Hochberg** (``correction="bh"``: controls the expected share of false
  alarms among the failing slices, more power, valid for positively dependent tests).
  A slice fails when its adjusted p-value is <= ``alpha``. Slices without discordant
  pairs cannot reach any significance level and are left out of the family.

Exit semantics (``GateResult.exit_code``): 0 pass, 1 regression found, 2 cannot
compare (different dataset versions through lineage unless allowed, no overlapping
samples, duplicated sample ids, different true labels for the same sample, missing
columns), always with a ``reason`` sentence.

With very large tables a tiny change is significant: the metric tolerances are the
knob for "how much worse matters"; the tests say whether a change is more than noise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from wbview.analysis.compare import dataset_lineage_warning, join_columns, match_rows
from wbview.analysis.prepare import MISSING_LABEL, PreparedTable
from wbview.analysis.slices import Feature, slice_features
from wbview.analysis.stats import benjamini_hochberg, holm, mcnemar_exact, safe_rate
from wbview.errors import BadTable, UsageError

Correction = Literal["holm", "bh"]
Status = Literal["pass", "regression", "cannot compare"]
EXIT_CODES: dict[str, int] = {"pass": 0, "regression": 1, "cannot compare": 2}
CORRECTIONS = ("holm", "bh")
DEFAULT_MAX_DROP = 0.01
DEFAULT_MAX_IDS = 20
HIGHER_IS_BETTER = ("accuracy", "precision", "recall", "f1", "macro_precision", "macro_recall", "macro_f1")
LOWER_IS_BETTER = ("error_rate", "fn_rate", "fp_rate")
BINARY_METRICS = ("accuracy", "error_rate", "precision", "recall", "f1", "fn_rate", "fp_rate")
MULTICLASS_METRICS = ("accuracy", "error_rate", "macro_precision", "macro_recall", "macro_f1")


@dataclass(frozen=True)
class PairedTest:
    """McNemar's exact test on paired rows: ``newly_broken`` (right -> wrong) against
    ``fixed`` (wrong -> right); error rates of both runs on the same rows."""

    rows: int
    baseline_errors: int
    candidate_errors: int
    newly_broken: int
    fixed: int
    p_worse: float
    p_two_sided: float

    @property
    def baseline_error_rate(self) -> float:
        return float(safe_rate(self.baseline_errors, self.rows))

    @property
    def candidate_error_rate(self) -> float:
        return float(safe_rate(self.candidate_errors, self.rows))

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "baseline_errors": self.baseline_errors,
            "candidate_errors": self.candidate_errors,
            "baseline_error_rate": self.baseline_error_rate,
            "candidate_error_rate": self.candidate_error_rate,
            "newly_broken": self.newly_broken,
            "fixed": self.fixed,
            "p_worse": self.p_worse,
            "p_two_sided": self.p_two_sided,
        }


@dataclass(frozen=True)
class MetricCheck:
    """One metric on the paired rows; ``drop`` > 0 means the candidate is worse."""

    metric: str
    baseline: float
    candidate: float
    drop: float
    max_drop: float | None  # None: reported, not gated
    failed: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "baseline": self.baseline,
            "candidate": self.candidate,
            "drop": self.drop,
            "max_drop": self.max_drop,
            "gated": self.max_drop is not None,
            "failed": self.failed,
        }


@dataclass(frozen=True)
class SliceCheck:
    """A slice's paired test; ``broken_ids`` are (up to ``max_ids``) sample ids of its
    newly broken rows, ``broken_total`` how many there are."""

    feature: str
    slice: str
    test: PairedTest
    p_adjusted: float
    failed: bool
    broken_ids: tuple[Any, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature": self.feature,
            "slice": self.slice,
            **self.test.to_dict(),
            "p_adjusted": self.p_adjusted,
            "failed": self.failed,
            "broken_ids": list(self.broken_ids),
            "broken_total": self.test.newly_broken,
        }


@dataclass(frozen=True)
class GateResult:
    """The verdict and the evidence. ``exit_code``: 0 pass, 1 regression, 2 cannot compare."""

    status: Status
    reason: str
    alpha: float
    correction: str
    key: str | None = None
    overall: PairedTest | None = None
    metrics: tuple[MetricCheck, ...] = ()
    slices_tested: int = 0
    failing_slices: tuple[SliceCheck, ...] = ()
    broken_ids: tuple[Any, ...] = ()
    matching: Mapping[str, int] = field(default_factory=dict)
    datasets: tuple[str | None, str | None] | None = None
    notes: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    @property
    def failing_metrics(self) -> tuple[MetricCheck, ...]:
        return tuple(m for m in self.metrics if m.failed)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json`` (NaN stays float; the CLI turns it into null)."""
        return {
            "status": self.status,
            "exit_code": self.exit_code,
            "reason": self.reason,
            "alpha": self.alpha,
            "correction": self.correction,
            "key": self.key,
            "datasets": None if self.datasets is None else {"baseline": self.datasets[0], "candidate": self.datasets[1]},
            "matching": dict(self.matching),
            "overall": None if self.overall is None else self.overall.to_dict(),
            "broken_ids": list(self.broken_ids),
            "broken_total": 0 if self.overall is None else self.overall.newly_broken,
            "metrics": [m.to_dict() for m in self.metrics],
            "slices_tested": self.slices_tested,
            "failing_slices": [s.to_dict() for s in self.failing_slices],
            "notes": list(self.notes),
        }


def cannot_compare(reason: str, alpha: float, correction: str, **extra: Any) -> GateResult:
    """A "cannot compare" result (exit 2), e.g. when a table could not be loaded."""
    return GateResult(status="cannot compare", reason=reason, alpha=alpha, correction=correction, **extra)


def _scored(table: PreparedTable) -> np.ndarray:
    """Rows the run scored: a true label and a predicted label."""
    keep = table.labelled()
    pred = table.frame[table.schema.predicted_label]
    if MISSING_LABEL in pred.cat.categories:
        keep = keep & (pred.cat.codes.to_numpy() != list(pred.cat.categories).index(MISSING_LABEL))
    return keep


def _duplicates(key: pd.Series) -> tuple[int, list[Any]]:
    repeated = key[key.duplicated(keep="first")]
    return int(repeated.size), list(pd.unique(repeated))[:3]


def _whole_numbers_as_int(key: pd.Series) -> pd.Series:
    """Float ids that are whole numbers (an int id column with a gap reads as float) as
    int64, so that 3.0 in one table pairs with 3 in the other."""
    if pd.api.types.is_float_dtype(key) and len(key):
        values = key.to_numpy(dtype=float)
        if np.isfinite(values).all() and (values == np.round(values)).all():
            return pd.Series(values.astype(np.int64), name=key.name)
    return key


def _labels_of(table: PreparedTable, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(true, predicted) class names (casefolded) of ``rows``."""

    def names(column: str) -> np.ndarray:
        series = table.frame[column]
        cats = np.array([str(c).casefold() for c in series.cat.categories] + [""], dtype=object)
        return cats[series.cat.codes.to_numpy()[rows]]

    truth, pred = table.schema.true_label, table.schema.predicted_label
    if truth is None or pred is None:
        raise BadTable("Comparing runs needs a true label and a predicted label in both tables.")
    return names(truth), names(pred)


def _binary_metrics(truth: np.ndarray, pred: np.ndarray, positive: str) -> dict[str, float]:
    true_pos, pred_pos = truth == positive, pred == positive
    tp = int(np.count_nonzero(true_pos & pred_pos))
    fp = int(np.count_nonzero(~true_pos & pred_pos))
    fn = int(np.count_nonzero(true_pos & ~pred_pos))
    tn = int(np.count_nonzero(~true_pos & ~pred_pos))
    precision, recall = float(safe_rate(tp, tp + fp)), float(safe_rate(tp, tp + fn))
    return {
        "precision": precision,
        "recall": recall,
        "f1": float(safe_rate(2 * tp, 2 * tp + fp + fn)),
        "fn_rate": float(safe_rate(fn, tp + fn)),
        "fp_rate": float(safe_rate(fp, fp + tn)),
    }


def _macro_metrics(truth: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    classes = sorted(set(truth.tolist()) | set(pred.tolist()))
    precision, recall, f1 = [], [], []
    for cls in classes:
        t, p = truth == cls, pred == cls
        tp = np.count_nonzero(t & p)
        fp, fn = np.count_nonzero(~t & p), np.count_nonzero(t & ~p)
        precision.append(tp / (tp + fp) if tp + fp else 0.0)
        recall.append(tp / (tp + fn) if tp + fn else 0.0)
        f1.append(2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else 0.0)
    return {"macro_precision": float(np.mean(precision)), "macro_recall": float(np.mean(recall)), "macro_f1": float(np.mean(f1))}


def paired_metrics(table: PreparedTable, rows: np.ndarray, positive: str | None) -> dict[str, float]:
    """Every gate metric of ``table`` on ``rows`` (indices): accuracy, error_rate, and
    binary (``positive`` given) or macro precision/recall/F1."""
    truth, pred = _labels_of(table, rows)
    errors = int(np.count_nonzero(table.is_error()[rows]))
    out = {"accuracy": float(safe_rate(rows.size - errors, rows.size)), "error_rate": float(safe_rate(errors, rows.size))}
    if positive is not None:
        out.update(_binary_metrics(truth, pred, positive.casefold()))
    else:
        out.update(_macro_metrics(truth, pred))
    return out


def _metric_checks(baseline: dict[str, float], candidate: dict[str, float], gated: Mapping[str, float]) -> list[MetricCheck]:
    checks = []
    for metric, before in baseline.items():
        after = candidate[metric]
        drop = before - after if metric in HIGHER_IS_BETTER else after - before
        limit = gated.get(metric)
        failed = limit is not None and bool(np.isfinite(drop)) and drop > limit + 1e-12
        checks.append(MetricCheck(metric, before, after, float(drop), limit, failed))
    return checks


def resolve_metric_limits(
    metrics: Sequence[str] | None, max_drop: float | None, binary: bool, metric_max_drop: Mapping[str, float] | None = None
) -> dict[str, float]:
    """{metric: max_drop} for the gated metrics: ``metrics`` (None: accuracy, plus recall
    for binary tables) and every metric named in ``metric_max_drop``. Each gets its own
    limit from ``metric_max_drop``, else ``max_drop``, else ``DEFAULT_MAX_DROP``."""
    known = BINARY_METRICS if binary else MULTICLASS_METRICS
    per_metric = dict(metric_max_drop or {})
    chosen = list(metrics) if metrics else (["accuracy", "recall"] if binary else ["accuracy"])
    chosen += [m for m in per_metric if m not in chosen]
    unknown = [m for m in chosen if m not in known]
    if unknown:
        kind = "binary" if binary else "multi-class"
        raise UsageError(f"Unknown metric(s) {unknown} for a {kind} table; choose from {list(known)}.")
    limits = {}
    for metric in chosen:
        limit = per_metric.get(metric, DEFAULT_MAX_DROP if max_drop is None else max_drop)
        if not np.isfinite(limit) or limit < 0:
            raise UsageError(f"max_drop for {metric} must be a number >= 0, got {limit}.")
        limits[metric] = float(limit)
    return limits


def _paired_test(n: int, base_err: int, cand_err: int, broken: int, fixed: int) -> PairedTest:
    p_worse, p_two = mcnemar_exact(broken, fixed)
    return PairedTest(
        rows=n,
        baseline_errors=base_err,
        candidate_errors=cand_err,
        newly_broken=broken,
        fixed=fixed,
        p_worse=float(p_worse),
        p_two_sided=float(p_two),
    )


def _slice_checks(
    features: Sequence[Feature],
    rows_a: np.ndarray,
    status: np.ndarray,
    ids: np.ndarray,
    min_rows: int,
    alpha: float,
    correction: Correction,
    max_ids: int,
) -> tuple[int, list[SliceCheck]]:
    """status per paired row: 0 both right, 1 newly broken, 2 fixed, 3 both wrong."""
    found = []
    for feature in features:
        codes = feature.codes[rows_a]
        k = len(feature.labels)
        counts = np.bincount(codes * 4 + status, minlength=4 * k).reshape(k, 4)
        for code in range(k):
            n, broken, fixed, both = (int(v) for v in (counts[code].sum(), *counts[code, 1:]))
            if n >= min_rows and broken + fixed > 0:
                found.append((feature, code, _paired_test(n, fixed + both, broken + both, broken, fixed)))
    if not found:
        return 0, []
    p = np.array([t.p_worse for _, _, t in found])
    adjusted = holm(p) if correction == "holm" else benjamini_hochberg(p)
    failing = []
    for (feature, code, test), p_adj in zip(found, adjusted, strict=True):
        if p_adj <= alpha:
            in_slice = (feature.codes[rows_a] == code) & (status == 1)
            failing.append(
                SliceCheck(feature.name, feature.labels[code], test, float(p_adj), True, tuple(ids[in_slice][:max_ids].tolist()))
            )
    failing.sort(key=lambda s: (s.p_adjusted, -s.test.newly_broken))
    return len(found), failing


def regression_gate(
    baseline: PreparedTable,
    candidate: PreparedTable,
    *,
    on: str | None = None,
    metrics: Sequence[str] | None = None,
    max_drop: float | None = None,
    metric_max_drop: Mapping[str, float] | None = None,
    alpha: float = 0.05,
    correction: Correction = "holm",
    min_rows: int = 30,
    datasets: tuple[str | None, str | None] | None = None,
    allow_different_data: bool = False,
    max_ids: int = DEFAULT_MAX_IDS,
) -> GateResult:
    """Compare ``candidate`` against ``baseline`` sample by sample; see the module doc.

    ``metrics``: the gated metrics; ``max_drop``: their tolerance (default 0.01);
    ``metric_max_drop``: per-metric tolerances (those metrics are gated too).

    ``datasets``: the dataset version each run scored (from lineage); None skips the
    check. A lineage doubt (different versions, unknown, a moving alias) makes the
    result "cannot compare" unless ``allow_different_data``.
    """
    if not 0.0 < alpha < 1.0:
        raise UsageError(f"alpha must lie strictly between 0 and 1, got {alpha}.")
    if correction not in CORRECTIONS:
        raise UsageError(f"correction must be one of {list(CORRECTIONS)}, got {correction!r}.")
    if max_ids < 0 or min_rows < 1:
        raise UsageError("max_ids must be >= 0 and min_rows >= 1.")
    notes: list[str] = []
    if datasets is not None:
        warning = dataset_lineage_warning(*datasets, names=("baseline", "candidate"))
        if warning is not None and not allow_different_data:
            return cannot_compare(
                f"Cannot compare: {warning} Pass --allow-different-data to compare the shared samples anyway.",
                alpha,
                correction,
                datasets=datasets,
            )
        if warning is not None:
            notes.append(f"Compared although: {warning}")
    for name, table in (("baseline", baseline), ("candidate", candidate)):
        missing = [r for r in ("true_label", "predicted_label") if getattr(table.schema, r) is None]
        if missing:
            return cannot_compare(
                f"Cannot compare: the {name} table has no {' and no '.join(missing)} column, so its errors are unknown.",
                alpha,
                correction,
                datasets=datasets,
            )
    try:
        col_a, col_b = join_columns(baseline, candidate, on)
    except BadTable as exc:
        return cannot_compare(f"Cannot compare: {exc}", alpha, correction, datasets=datasets)
    positive_a = baseline.positive_class if baseline.is_binary else None
    positive_b = candidate.positive_class if candidate.is_binary else None
    if (positive_a or "").casefold() != (positive_b or "").casefold():
        return cannot_compare(
            f"Cannot compare: the baseline's positive class is {positive_a!r} and the candidate's {positive_b!r}.",
            alpha,
            correction,
            datasets=datasets,
        )

    keep_a, keep_b = _scored(baseline), _scored(candidate)
    key_a, key_b = baseline.frame[col_a], candidate.frame[col_b]
    no_key_a, no_key_b = key_a.isna().to_numpy(), key_b.isna().to_numpy()
    rows_a_all, rows_b_all = np.flatnonzero(keep_a & ~no_key_a), np.flatnonzero(keep_b & ~no_key_b)
    matching = {
        "baseline_rows": baseline.n_rows,
        "candidate_rows": candidate.n_rows,
        "baseline_scored": int(np.count_nonzero(keep_a)),
        "candidate_scored": int(np.count_nonzero(keep_b)),
        "baseline_missing_key": int(np.count_nonzero(keep_a & no_key_a)),
        "candidate_missing_key": int(np.count_nonzero(keep_b & no_key_b)),
    }
    by_text = on is None and col_a == baseline.schema.text and col_a != baseline.schema.id
    if not by_text:
        for name, key in (("baseline", key_a.take(rows_a_all)), ("candidate", key_b.take(rows_b_all))):
            count, examples = _duplicates(key)
            if count:
                return cannot_compare(
                    f"Cannot compare: {count:,} row(s) of the {name} table repeat a sample id in "
                    f"{key.name!r} (e.g. {examples}), so rows cannot be paired with certainty. "
                    "Deduplicate the table or join on a unique column.",
                    alpha,
                    correction,
                    key=str(col_a),
                    matching=matching,
                    datasets=datasets,
                )
    ia, ib, occurrence = match_rows(
        _whole_numbers_as_int(key_a.take(rows_a_all).reset_index(drop=True)),
        _whole_numbers_as_int(key_b.take(rows_b_all).reset_index(drop=True)),
    )
    rows_a, rows_b = rows_a_all[ia], rows_b_all[ib]
    matching.update(
        paired=int(rows_a.size),
        only_in_baseline=int(rows_a_all.size - rows_a.size),
        only_in_candidate=int(rows_b_all.size - rows_b.size),
        repeated_keys_by_occurrence=int(np.count_nonzero(np.asarray(occurrence)[ia] > 0)),
    )
    if rows_a.size == 0:
        return cannot_compare(
            f"Cannot compare: no sample scored by both runs matches on {col_a!r} / {col_b!r} "
            f"({rows_a_all.size:,} baseline and {rows_b_all.size:,} candidate rows scored).",
            alpha,
            correction,
            key=str(col_a),
            matching=matching,
            datasets=datasets,
        )
    truth_a, truth_b = _labels_of(baseline, rows_a)[0], _labels_of(candidate, rows_b)[0]
    mismatched = int(np.count_nonzero(truth_a != truth_b))
    matching["label_mismatches"] = mismatched
    if mismatched and not allow_different_data:
        example = key_a.iloc[rows_a[np.flatnonzero(truth_a != truth_b)[0]]]
        return cannot_compare(
            f"Cannot compare: {mismatched:,} paired sample(s) have different true labels in the two "
            f"tables (e.g. {col_a} = {example!r}), so they were not scored on the same data. Pass "
            "--allow-different-data to compare anyway.",
            alpha,
            correction,
            key=str(col_a),
            matching=matching,
            datasets=datasets,
        )
    if mismatched:
        notes.append(f"{mismatched:,} paired sample(s) have different true labels; each run is judged against its own.")

    wrong_a, wrong_b = baseline.is_error()[rows_a], candidate.is_error()[rows_b]
    status = np.where(wrong_a, np.where(wrong_b, 3, 2), np.where(wrong_b, 1, 0)).astype(np.int64)
    counts = np.bincount(status, minlength=4)
    overall = _paired_test(
        int(rows_a.size), int(counts[2] + counts[3]), int(counts[1] + counts[3]), int(counts[1]), int(counts[2])
    )
    limits = resolve_metric_limits(metrics, max_drop, positive_a is not None, metric_max_drop)
    checks = _metric_checks(paired_metrics(baseline, rows_a, positive_a), paired_metrics(candidate, rows_b, positive_a), limits)
    ids = key_a.to_numpy()[rows_a]
    features = slice_features(baseline, include_outputs=False)
    tested, failing = _slice_checks(features, rows_a, status, ids, min_rows, alpha, correction, max_ids)
    broken_ids = tuple(ids[status == 1][:max_ids].tolist())

    reasons = []
    if overall.p_worse <= alpha:
        reasons.append(
            f"the candidate breaks {overall.newly_broken:,} sample(s) the baseline got right and fixes "
            f"{overall.fixed:,} (McNemar exact, one-sided p = {overall.p_worse:.3g} <= {alpha})"
        )
    failed_metrics = [m for m in checks if m.failed]
    if failed_metrics:
        reasons.append("; ".join(f"{m.metric} worse by {m.drop:.4g} (max {m.max_drop:.4g})" for m in failed_metrics))
    if failing:
        method = "Holm" if correction == "holm" else "Benjamini-Hochberg"
        reasons.append(
            f"{len(failing)} of {tested} tested slice(s) got worse ({method}-adjusted p <= {alpha}), "
            f"e.g. {failing[0].feature} = {failing[0].slice}"
        )
    verdict: Status
    if reasons:
        verdict, reason = "regression", "Regression: " + "; ".join(reasons) + "."
    else:
        verdict, reason = (
            "pass",
            (
                f"No regression on {overall.rows:,} paired samples: {overall.newly_broken:,} newly "
                f"broken, {overall.fixed:,} fixed (one-sided p = {overall.p_worse:.3g}); no gated "
                f"metric dropped beyond its limit; no slice of {tested} got significantly worse."
            ),
        )
    return GateResult(
        status=verdict,
        reason=reason,
        alpha=alpha,
        correction=correction,
        key=str(col_a),
        overall=overall,
        metrics=tuple(checks),
        slices_tested=tested,
        failing_slices=tuple(failing),
        broken_ids=broken_ids,
        matching=matching,
        datasets=datasets,
        notes=tuple(notes),
    )
