"""Stack several runs' eval tables into one frame with run columns, and compare
error rates per run and per config value."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from wbview.analysis.prepare import PreparedTable, prepare
from wbview.analysis.stats import safe_rate, wilson_interval
from wbview.errors import BadTable, UsageError
from wbview.records import ArtifactVersion, Run, flatten
from wbview.schema import SEED_NAMES, prob_column

RUN_COLUMN = "run"
CONFIG_PREFIX = "config."
TRAIN_PREFIX = "train."  # params of the run that trained the model an eval run used (joined through lineage)
MODEL_TYPE = "model"


def varying_params(configs: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Config keys whose values differ between the runs (the ones worth comparing)."""
    keys = list(dict.fromkeys(k for config in configs.values() for k in config))
    return [k for k in keys if len({_hashable(c.get(k)) for c in configs.values()}) > 1]


def _hashable(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


def trained_with(used: Sequence[str], artifacts: Mapping[str, ArtifactVersion | None], runs: Mapping[str, Run]) -> dict[str, Any]:
    """The flat config of the run(s) that logged the model artifact(s) an eval run used,
    keyed ``train.<key>`` (e.g. ``train.params.learning_rate``): the eval run's own config
    rarely repeats the swept params. ``used``: the eval run's input artifact ids;
    ``artifacts``: id -> version record (None when unreadable); ``runs``: id -> run.
    Empty when no used model has a known producing run; values that differ between
    several models are joined with " + "."""
    values: dict[str, list[Any]] = {}
    for artifact_id in used:
        artifact = artifacts.get(artifact_id)
        producer = runs.get(artifact.logged_by) if artifact and artifact.type == MODEL_TYPE and artifact.logged_by else None
        for key, value in flatten(producer.config if producer else {}).items():
            values.setdefault(TRAIN_PREFIX + key, []).append(_hashable(value))
    return {key: found[0] if len(set(found)) == 1 else " + ".join(sorted(set(map(str, found)))) for key, found in values.items()}


def dataset_versions_warning(datasets: Mapping[str, str | None]) -> str | None:
    """A warning when the stacked runs were not all scored on one recorded dataset
    version (their rows then are not the same samples), else None.
    ``datasets``: run label -> the dataset it was scored on (``name:vN``) or None."""
    by_dataset: dict[str | None, list[str]] = {}
    for run, dataset in datasets.items():
        by_dataset.setdefault(dataset, []).append(run)
    if len(by_dataset) <= 1 and None not in by_dataset:
        return None
    if set(by_dataset) == {None}:
        return (
            f"None of the {len(datasets)} runs records its evaluation dataset (no input artifact of type dataset), "
            "so it is unknown whether their rows are the same samples."
        )
    parts = [
        f"{dataset} ({len(runs)} run{'s' if len(runs) > 1 else ''})"
        for dataset, runs in sorted(by_dataset.items(), key=lambda kv: (kv[0] is None, str(kv[0])))
        if dataset
    ]
    unknown = by_dataset.get(None, [])
    text = (
        f"These runs were scored on {len(parts)} different dataset versions: {'; '.join(parts)}. "
        "Error rates per value then mix different samples; filter to runs of one dataset to compare like with like."
    )
    if len(parts) == 1:
        text = f"Only some runs record their evaluation dataset ({parts[0]})."
    if unknown:
        text += f" {len(unknown)} run{'s' if len(unknown) > 1 else ''} record{'' if len(unknown) > 1 else 's'} none: {', '.join(unknown)}."
    return text


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


def _shared_categories(parts: list[pd.DataFrame]) -> None:
    """Give each categorical column one category list across parts, so concat keeps it
    categorical (instead of falling back to 1M Python strings)."""
    for column in parts[0].columns:
        if not all(column in p.columns and isinstance(p[column].dtype, pd.CategoricalDtype) for p in parts):
            continue
        union = list(dict.fromkeys(c for p in parts for c in p[column].cat.categories))
        for part in parts:
            part[column] = part[column].cat.set_categories(union)


def stack_tables(
    tables: Mapping[str, tuple], params: Sequence[str] | None = None, joined: Mapping[str, Mapping[str, Any]] | None = None
) -> pd.DataFrame:
    """One frame of every run's rows: ``run`` (the dict key), any extra run fields
    given as a third tuple item (e.g. {"run_id": ..., "run_name": ...}), one
    ``config.<key>`` column per param (default: those that differ between runs), one
    column per ``joined`` key that differs between runs (e.g. ``train.params.lr`` from
    ``trained_with``), then the table's columns with roles under seed names
    ("True Label", "Is Error", ...).

    ``tables``: run label -> (DataFrame, flat config dict[, run fields dict]); a
    ``PreparedTable`` in place of the DataFrame is used as it is (no second prepare).
    ``joined``: run label -> extra per-run values, named as the columns they become.
    """
    if not tables:
        raise UsageError("Choose at least one run to stack.")
    configs = {run: dict(item[1] or {}) for run, item in tables.items()}
    params = varying_params(configs) if params is None else list(params)
    joined_by_run = {run: dict((joined or {}).get(run) or {}) for run in tables}
    joined_keys = varying_params(joined_by_run)
    parts, run_values = [], []
    for run, item in tables.items():
        try:
            parts.append(_canonical(item[0] if isinstance(item[0], PreparedTable) else prepare(item[0])))
        except BadTable as exc:
            raise BadTable(f"Run {run!r}: {exc}") from exc
        extra = dict(item[2]) if len(item) > 2 and item[2] else {}
        run_values.append(
            {
                RUN_COLUMN: run,
                **extra,
                **{CONFIG_PREFIX + k: _hashable(configs[run].get(k)) for k in params},
                **{k: _hashable(joined_by_run[run].get(k)) for k in joined_keys},
            }
        )
    _shared_categories(parts)
    stacked = pd.concat(parts, ignore_index=True)
    lengths = [len(p) for p in parts]
    run_codes = np.repeat(np.arange(len(parts)), lengths)
    names = list(dict.fromkeys(k for values in run_values for k in values))
    run_columns = {}
    for name in names:
        per_run = [values.get(name) for values in run_values]
        if name == RUN_COLUMN:
            run_columns[name] = pd.Categorical.from_codes(run_codes, categories=per_run)
        elif all(isinstance(v, str) for v in per_run if v is not None) and any(v is not None for v in per_run):
            # Text constant per run (ids, names, string params): a categorical, not millions of str objects.
            categories = sorted({v for v in per_run if v is not None})
            code_of_run = np.array([categories.index(v) if v is not None else -1 for v in per_run], dtype=np.int64)
            run_columns[name] = pd.Categorical.from_codes(code_of_run[run_codes], categories=categories)
        else:
            run_columns[name] = pd.Series(per_run, dtype=None if any(v is not None for v in per_run) else object).to_numpy()[
                run_codes
            ]
    return pd.concat([pd.DataFrame(run_columns), stacked], axis=1)


def error_rates_by(stacked: pd.DataFrame, column: str, confidence: float = 0.95) -> pd.DataFrame:
    """Per value of ``column`` (a run, ``config.<key>`` or ``train.<key>`` column): runs, rows, errors,
    error rate with its Wilson interval."""
    error_column = SEED_NAMES["is_error"]
    for needed in (column, error_column):
        if needed not in stacked.columns:
            raise UsageError(f"The stacked table has no column {needed!r}; columns: {list(stacked.columns)}.")
    codes, values = pd.factorize(stacked[column], sort=True, use_na_sentinel=False)
    values = ["(missing)" if pd.isna(v) else v for v in values]
    k = len(values)
    wrong = stacked[error_column].to_numpy(dtype=bool)
    rows = np.bincount(codes, minlength=k)
    errors = np.bincount(codes, weights=wrong, minlength=k).astype(np.int64)
    if RUN_COLUMN in stacked.columns:
        run_codes, run_names = pd.factorize(stacked[RUN_COLUMN])
        pairs = np.sort(codes.astype(np.int64) * max(len(run_names), 1) + run_codes)
        pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]]  # distinct (value, run) pairs; sort beats hashing
        runs = np.bincount(pairs // max(len(run_names), 1), minlength=k)
    else:
        runs = np.ones(k, dtype=np.int64)
    low, high = wilson_interval(errors, rows, confidence)
    return pd.DataFrame(
        {
            column: values,
            "runs": runs,
            "rows": rows,
            "errors": errors,
            "error_rate": safe_rate(errors, rows),
            "error_rate_low": low,
            "error_rate_high": high,
        }
    )
