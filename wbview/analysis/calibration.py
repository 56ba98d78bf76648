"""Calibration: reliability-diagram bins and expected calibration error (ECE), per
class, comparable across runs (uniform bins share their edges across runs).

Binning matches ``sklearn.calibration.calibration_curve``: bin i holds
probabilities in (edge[i], edge[i+1]], the first bin also holds its left edge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from wbview.analysis.prepare import PreparedTable
from wbview.analysis.stats import safe_rate, wilson_interval
from wbview.errors import BadTable, UsageError

Strategy = Literal["uniform", "quantile"]
TOP_LABEL = "(top label)"


def reliability_from_arrays(
    y_true: np.ndarray, probs: np.ndarray, n_bins: int = 10, strategy: Strategy = "uniform"
) -> pd.DataFrame:
    """One row per bin: lower, upper, rows, mean_predicted, fraction_positive (with a
    Wilson interval) and gap = fraction_positive - mean_predicted. Empty bins kept
    (rows = 0, rates NaN) so runs line up bin for bin."""
    y = np.asarray(y_true, dtype=bool)
    p = np.asarray(probs, dtype=float)
    keep = np.isfinite(p)
    y, p = y[keep], p[keep]
    if p.size and (p.min() < 0 or p.max() > 1):
        raise BadTable("Probabilities must lie in [0, 1]; this column has values outside it.")
    if n_bins < 1:
        raise UsageError("n_bins must be at least 1.")
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    elif strategy == "quantile":
        edges = np.percentile(p, np.linspace(0, 100, n_bins + 1)) if p.size else np.linspace(0.0, 1.0, n_bins + 1)
    else:
        raise UsageError(f"strategy must be 'uniform' or 'quantile', got {strategy!r}.")
    ids = np.searchsorted(edges[1:-1], p)
    rows = np.bincount(ids, minlength=n_bins)
    sums = np.bincount(ids, weights=p, minlength=n_bins)
    hits = np.bincount(ids, weights=y, minlength=n_bins)
    low, high = wilson_interval(hits, rows)
    frame = pd.DataFrame(
        {
            "bin": np.arange(n_bins),
            "lower": edges[:-1],
            "upper": edges[1:],
            "rows": rows,
            "mean_predicted": safe_rate(sums, rows),
            "fraction_positive": safe_rate(hits, rows),
            "fraction_positive_low": low,
            "fraction_positive_high": high,
        }
    )
    frame["gap"] = frame["fraction_positive"] - frame["mean_predicted"]
    return frame


def ece_from_bins(bins: pd.DataFrame) -> float:
    """Expected calibration error: sum over bins of (rows / total) * |gap|."""
    rows = bins["rows"].to_numpy(dtype=float)
    total = rows.sum()
    if total == 0:
        return float("nan")
    return float(np.nansum(rows / total * np.abs(bins["gap"].to_numpy(dtype=float))))


@dataclass(frozen=True)
class Calibration:
    """``bins``: reliability rows with a ``class`` column; ``ece``: class -> ECE, with
    ``rows`` scored."""

    bins: pd.DataFrame
    ece: pd.DataFrame


def calibration(
    table: PreparedTable, n_bins: int = 10, strategy: Strategy = "uniform", rows: np.ndarray | None = None
) -> Calibration:
    """Reliability bins and ECE: the positive class for binary tables; each class
    one-vs-rest plus the top label (confidence vs correct) for multi-class."""
    why = "Calibration"
    table.require("true_label", why=why)
    if not table.schema.probs:
        raise BadTable(
            f"{why} needs probability columns ('Prob (<class>)'); this table has none. Map them in the column-mapping panel."
        )
    keep = table.labelled() if rows is None else table.labelled() & np.asarray(rows, dtype=bool)
    truth = table.frame[table.schema.true_label]
    classes = [table.positive_class] if table.is_binary and table.positive_class else list(table.classes)
    parts, eces = [], []
    for cls in classes:
        column = table.prob_column(cls)
        if column is None:
            continue
        y = (truth == cls).to_numpy(dtype=bool)[keep]
        p = table.frame[column].to_numpy(dtype=float, na_value=np.nan)[keep]
        parts.append(reliability_from_arrays(y, p, n_bins, strategy).assign(**{"class": cls}))
    if not table.is_binary and table.schema.confidence is not None:
        correct = ~table.is_error()[keep]
        parts.append(reliability_from_arrays(correct, table.confidence()[keep], n_bins, strategy).assign(**{"class": TOP_LABEL}))
    if not parts:
        raise BadTable(
            f"{why}: no probability column matches the classes {list(table.classes)}. "
            "Map the probability columns in the column-mapping panel."
        )
    for part in parts:
        eces.append({"class": part["class"].iloc[0], "ece": ece_from_bins(part), "rows": int(part["rows"].sum())})
    return Calibration(bins=pd.concat(parts, ignore_index=True), ece=pd.DataFrame(eces))


def compare_calibration(tables: Mapping[str, PreparedTable], n_bins: int = 10, strategy: Strategy = "uniform") -> Calibration:
    """``calibration`` for several runs' tables, stacked with a ``run`` column; ECE
    as one row per (run, class). Use ``strategy="uniform"`` to compare bin for bin."""
    if not tables:
        raise UsageError("Choose at least one run to compare calibration.")
    results = {run: calibration(table, n_bins, strategy) for run, table in tables.items()}
    bins = pd.concat([r.bins.assign(run=run) for run, r in results.items()], ignore_index=True)
    ece = pd.concat([r.ece.assign(run=run) for run, r in results.items()], ignore_index=True)
    return Calibration(bins=bins, ece=ece[["run", "class", "ece", "rows"]])
