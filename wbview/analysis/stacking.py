"""Stack several runs' eval tables into one frame with run columns, and compare
error rates per run and per config value."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from wbview.analysis.prepare import PreparedTable, prepare
from wbview.analysis.stats import safe_rate, wilson_interval
from wbview.errors import BadTable, UsageError
from wbview.schema import SEED_NAMES, prob_column

RUN_COLUMN = "run"
CONFIG_PREFIX = "config."


def varying_params(configs: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Config keys whose values differ between the runs (the ones worth comparing)."""
    keys = list(dict.fromkeys(k for config in configs.values() for k in config))
    return [k for k in keys if len({_hashable(c.get(k)) for c in configs.values()}) > 1]


def _hashable(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


def _canonical(table: PreparedTable) -> pd.DataFrame:
    """The table with role columns under seed names, so differently named tables line up."""
    renames = {}
    for role, seed in SEED_NAMES.items():
        column = getattr(table.schema, role)
        if column is not None:
            renames[column] = seed
    for cls, column in table.schema.probs.items():
        renames[column] = prob_column(cls)
    frame = table.frame.drop(columns=[c for c in table.frame.columns if c in renames.values() and c not in renames])
    return frame.rename(columns=renames)


def stack_tables(tables: Mapping[str, tuple], params: Sequence[str] | None = None) -> pd.DataFrame:
    """One frame of every run's rows: ``run`` (the dict key), any extra run fields
    given as a third tuple item (e.g. {"run_id": ..., "run_name": ...}), one
    ``config.<key>`` column per param (default: those that differ between runs), then
    the table's columns with roles under seed names ("True Label", "Is Error", ...).

    ``tables``: run label -> (DataFrame, flat config dict[, run fields dict]).
    """
    if not tables:
        raise UsageError("Choose at least one run to stack.")
    configs = {run: dict(item[1] or {}) for run, item in tables.items()}
    params = varying_params(configs) if params is None else list(params)
    parts = []
    for run, item in tables.items():
        frame, config = item[0], configs[run]
        extra = dict(item[2]) if len(item) > 2 and item[2] else {}
        try:
            part = _canonical(prepare(frame))
        except BadTable as exc:
            raise BadTable(f"Run {run!r}: {exc}") from exc
        run_columns = {RUN_COLUMN: run, **extra, **{CONFIG_PREFIX + k: _hashable(config.get(k)) for k in params}}
        for position, (name, value) in enumerate(run_columns.items()):
            part.insert(position, name, value)
        parts.append(part)
    stacked = pd.concat(parts, ignore_index=True)
    for column in [RUN_COLUMN, SEED_NAMES["true_label"], SEED_NAMES["predicted_label"], SEED_NAMES["outcome"]]:
        if column in stacked.columns:
            stacked[column] = stacked[column].astype("category")
    return stacked


def error_rates_by(stacked: pd.DataFrame, column: str, confidence: float = 0.95) -> pd.DataFrame:
    """Per value of ``column`` (a run or ``config.<key>`` column): runs, rows, errors,
    error rate with its Wilson interval."""
    error_column = SEED_NAMES["is_error"]
    for needed in (column, error_column):
        if needed not in stacked.columns:
            raise UsageError(f"The stacked table has no column {needed!r}; columns: {list(stacked.columns)}.")
    codes, values = pd.factorize(stacked[column].astype(object).where(stacked[column].notna(), "(missing)"), sort=True)
    k = len(values)
    wrong = stacked[error_column].to_numpy(dtype=bool)
    rows = np.bincount(codes, minlength=k)
    errors = np.bincount(codes, weights=wrong, minlength=k).astype(np.int64)
    run_codes = pd.factorize(stacked[RUN_COLUMN])[0] if RUN_COLUMN in stacked.columns else np.zeros(len(codes), int)
    runs = pd.Series(run_codes).groupby(codes).nunique().reindex(range(k), fill_value=0).to_numpy()
    low, high = wilson_interval(errors, rows, confidence)
    return pd.DataFrame({column: list(values), "runs": runs, "rows": rows, "errors": errors,
                         "error_rate": safe_rate(errors, rows), "error_rate_low": low, "error_rate_high": high})
