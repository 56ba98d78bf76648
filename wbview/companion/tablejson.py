"""Write W&B's ``.table.json`` format column-wise from a DataFrame.

The format (as ``wandb.Table.to_json(artifact)`` writes it in wandb 0.31):
``{"_type": "table", "columns": [...], "data": [[row], ...], "ncols", "nrows",
"column_types": {"wb_type": "typedDict", "params": {"type_map": {col: type}}},
"log_mode": "IMMUTABLE"}``; each column type is ``union(none, <type>)`` as wandb writes
for DataFrames, with ``<type>`` one of ``number``, ``string``, ``boolean``, ``any``.
NaN/NA cells become ``null`` (JSON has no NaN; wandb does the same). Each column is
converted once with vectorised numpy/pandas calls, so no per-row type inference runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .conventions import json_safe

MAX_ARTIFACT_ROWS = 200_000  # wandb.Table.MAX_ARTIFACT_ROWS in wandb 0.31
TABLE_SUFFIX = ".table.json"


def _union_with_none(wb_type: str) -> dict[str, Any]:
    # wandb lists a union's members sorted by name ("boolean" before "none").
    members = sorted(("none", wb_type))
    return {"wb_type": "union", "params": {"allowed_types": [{"wb_type": name} for name in members]}}


def _with_nulls(values: list[Any], missing: np.ndarray) -> list[Any]:
    for index in np.flatnonzero(missing):
        values[index] = None
    return values


def column_values(series: pd.Series) -> tuple[list[Any], str]:
    """JSON-ready cell values of one column and its W&B type name."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        categories = np.asarray(column_values(pd.Series(dtype.categories))[0] + [None], dtype=object)
        codes = series.cat.codes.to_numpy()
        _, wb_type = column_values(pd.Series(dtype.categories))
        return categories[codes].tolist(), wb_type
    if isinstance(dtype, np.dtype) and dtype.kind == "b":
        return series.to_numpy().tolist(), "boolean"
    if pd.api.types.is_bool_dtype(dtype):
        return [None if v is None else bool(v) for v in series.to_numpy(dtype=object, na_value=None).tolist()], "boolean"
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        return series.to_numpy().tolist(), "number"
    if pd.api.types.is_numeric_dtype(dtype):
        array = series.to_numpy(dtype=np.float64, na_value=np.nan)
        values = _with_nulls(array.tolist(), ~np.isfinite(array))
        if dtype.kind in "iu":  # nullable integers stay integers
            values = [None if v is None else int(v) for v in values]
        return values, "number"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        # wandb stores timestamps as epoch milliseconds with a "timestamp" type.
        millis = series.to_numpy(dtype="datetime64[ms]").astype(np.int64)
        return _with_nulls(millis.tolist(), series.isna().to_numpy()), "timestamp"
    return _object_values(series)


def _object_values(series: pd.Series) -> tuple[list[Any], str]:
    inferred = pd.api.types.infer_dtype(series, skipna=True)
    values = series.astype(object).where(series.notna(), None).tolist()
    if inferred in ("string", "empty"):
        return values, "string"
    if inferred == "boolean":
        return values, "boolean"
    if inferred in ("integer", "floating", "mixed-integer-float", "decimal"):
        return json_safe([None if v is None else float(v) for v in values], non_finite="null", path=str(series.name)), "number"
    return json_safe(values, non_finite="null", path=f"column {series.name!r}"), "any"


def table_json(frame: pd.DataFrame, max_rows: int = MAX_ARTIFACT_ROWS) -> dict[str, Any]:
    """The ``.table.json`` object for the first ``max_rows`` rows of ``frame``."""
    if not frame.columns.is_unique:
        raise ValueError(f"table columns must be unique; duplicates: {sorted(set(frame.columns[frame.columns.duplicated()]))}.")
    head = frame.iloc[:max_rows]
    columns = [str(c) for c in head.columns]
    converted = [column_values(head[c]) for c in head.columns]
    data = [list(row) for row in zip(*(values for values, _ in converted))] if columns else []
    return {
        "_type": "table",
        "columns": columns,
        "data": data,
        "ncols": len(columns),
        "nrows": len(data),
        "column_types": {
            "wb_type": "typedDict",
            "params": {"type_map": {col: _union_with_none(wb_type) for col, (_, wb_type) in zip(columns, converted)}},
        },
        "log_mode": "IMMUTABLE",
    }


def write_table_json(frame: pd.DataFrame, path: str | Path, max_rows: int = MAX_ARTIFACT_ROWS) -> dict[str, int | bool]:
    """Write ``frame`` (first ``max_rows`` rows) to ``path``; returns the row counts."""
    obj = table_json(frame, max_rows)
    Path(path).write_text(json.dumps(obj, allow_nan=False, separators=(",", ":")), encoding="utf-8")
    return {"nrows": len(frame), "stored_rows": obj["nrows"], "truncated": obj["nrows"] < len(frame)}


def read_table_json(path: str | Path) -> pd.DataFrame:
    """Load a ``.table.json`` straight into pandas (primitive columns only)."""
    with open(path, encoding="utf-8") as handle:
        obj = json.load(handle)
    return pd.DataFrame(obj["data"], columns=obj["columns"])
