"""The rows of a W&B EvalTable, from the Weave calls that hold them (pure: no weave).

``wandb.EvalTable`` (wandb 0.31, preview) writes each row through weave's
``EvaluationLogger.log_example``: one ``Evaluation.predict_and_score`` call per row,
a child of the evaluation's ``Evaluation.evaluate`` call, with

    inputs = {"self": <Evaluation ref>, "model": <Model ref>, "example": {input columns}}
    output = {"output": {output columns}, "scores": {score columns}, "model_latency": None}

(wandb/sdk/data_types/eval_table/eval_table.py and _writer_weave.py; weave
evaluation/eval_imperative.py). The evaluation's other children (``Evaluation.summarize``)
hold no row. Each row call becomes one table row: its input, output and score fields
as columns under the table's own column names, so the table reads as it was logged
and column-role detection (true/predicted label, ``prob_<class>``) works on it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

ROW_OP = "Evaluation.predict_and_score"  # weave.trace.constants.EVALUATION_RUN_PREDICTION_AND_SCORE_OP_NAME
CALL_ID_COLUMN = "weave_call_id"
EXCEPTION_COLUMN = "weave_exception"
ROLES = ("inputs", "output", "scores")


def is_row_call(call: Mapping[str, Any]) -> bool:
    """A predict_and_score call (its op name is a ref URI: ``weave:///e/p/op/<name>:<digest>``)."""
    op_name = str(call.get("op_name") or "")
    return op_name.rpartition("/")[2].partition(":")[0] == ROW_OP


def row_parts(call: Mapping[str, Any]) -> dict[str, Any]:
    """{"inputs": ..., "output": ..., "scores": ...} of one row call (None where absent)."""
    inputs = call.get("inputs")
    example = inputs.get("example") if isinstance(inputs, Mapping) else None
    result = call.get("output")
    if isinstance(result, Mapping) and ("output" in result or "scores" in result):
        output, scores = result.get("output"), result.get("scores")
    else:  # an unfinished or failed row: no result dict
        output, scores = result, None
    return {"inputs": example, "output": output, "scores": scores}


def _fields(role: str, value: Any) -> dict[str, Any]:
    """Column path -> value of one role: a dict's fields (nested dicts joined with "."),
    a scalar under the role's name ("output")."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        return {role: value}
    flat: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, Mapping) and item:
            flat.update({f"{key}.{k}": v for k, v in _fields(role, item).items()})
        else:
            flat[str(key)] = item
    return flat


def eval_rows(calls: Iterable[Mapping[str, Any]]) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """One row per predict_and_score call, in the order given; the notes say which
    columns came from the inputs, the output and the scores, and what was renamed."""
    rows: list[dict[str, dict[str, Any]]] = []
    ids: list[str | None] = []
    exceptions: list[str | None] = []
    for call in calls:
        if not is_row_call(call):
            continue
        parts = row_parts(call)
        rows.append({role: _fields(role, parts[role]) for role in ROLES})
        ids.append(call.get("id"))
        exceptions.append(call.get("exception"))
    names: dict[str, list[str]] = {role: [] for role in ROLES}
    for row in rows:
        for role in ROLES:
            names[role].extend(k for k in row[role] if k not in names[role])
    # A name in more than one role (wandb allows a column in several role lists) is
    # prefixed with its role ("inputs.x", "output.x", "scores.x"); others keep their name.
    seen: dict[str, int] = {}
    for role in ROLES:
        for name in names[role]:
            seen[name] = seen.get(name, 0) + 1
    reserved = {CALL_ID_COLUMN, EXCEPTION_COLUMN}
    column = {
        (role, name): f"{role}.{name}" if seen[name] > 1 or name in reserved else name for role in ROLES for name in names[role]
    }
    data: dict[str, list[Any]] = {column[(role, name)]: [] for role in ROLES for name in names[role]}
    for row in rows:
        for role in ROLES:
            for name in names[role]:
                data[column[(role, name)]].append(row[role].get(name))
    frame = pd.DataFrame(data, index=pd.RangeIndex(len(rows)))
    for name in frame.columns:
        frame[name] = _typed(frame[name])
    frame[CALL_ID_COLUMN] = pd.Series(ids, dtype="string")
    if any(exceptions):
        frame[EXCEPTION_COLUMN] = pd.Series(exceptions, dtype="string")
    notes = [
        "Rows read from W&B Weave (one Evaluation.predict_and_score call each); columns from "
        + "; ".join(f"{role}: {', '.join(column[(role, n)] for n in names[role]) or 'none'}" for role in ROLES)
        + f"; {CALL_ID_COLUMN}: the Weave call of the row."
    ]
    renamed = sorted(v for (_, n), v in column.items() if v != n)
    if renamed:
        notes.append(f"Prefixed with their role because the name is in several roles: {', '.join(renamed)}.")
    failed = sum(1 for e in exceptions if e)
    if failed:
        notes.append(f"{failed:,} row(s) ended with an exception ({EXCEPTION_COLUMN}).")
    return frame, tuple(notes)


def _typed(series: pd.Series) -> pd.Series:
    """Datetimes (weave decodes them timezone-aware) as ``datetime64[ms, UTC]``, like
    wandb's own tables; every other column as pandas infers it."""
    values = series.dropna()
    if len(values) and all(isinstance(v, dt.datetime) for v in values):
        return pd.to_datetime(series, utc=True).astype("datetime64[ms, UTC]")
    if len(values) == len(series) or series.dtype != object:
        return series
    inferred = pd.Series(series.tolist(), index=series.index)  # None in a numeric column -> NaN
    return inferred.infer_objects()
