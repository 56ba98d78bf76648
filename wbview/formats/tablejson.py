"""wandb's ``.table.json`` format, read and written, and the Parquet copy beside it.

Reading: ``parse_table_json`` reads the JSON wandb writes for a ``wandb.Table`` column-wise,
without re-typing every cell through wandb's type system, which is what makes
``artifact.get(key).get_dataframe()`` slow. Media cells (images, audio, ...) stay
as the dicts wandb stored (``{"_type": "image-file", "path": ...}``), paths being
relative to the artifact.

Writing: ``table_json`` / ``write_table_json`` produce what ``wandb.Table.to_json(artifact)``
writes in wandb 0.31: ``{"_type": "table", "columns": [...], "data": [[row], ...], "ncols",
"nrows", "column_types": {"wb_type": "typedDict", "params": {"type_map": {col: type}}},
"log_mode": "IMMUTABLE"}``; each column type is ``union(none, <type>)`` as wandb writes for
DataFrames, with ``<type>`` one of ``number``, ``string``, ``boolean``, ``timestamp``, ``any``.
NaN/NA cells become ``null`` (JSON has no NaN; wandb does the same). Each column is
converted once with vectorised numpy/pandas calls, so no per-row type inference runs.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wbview.errors import BadTable
from wbview.formats.jsonsafe import json_safe
from wbview.formats.tableshapes import SideFile, decode_columns

TABLE_SUFFIX = ".table.json"
# wandb.Table.MAX_ARTIFACT_ROWS in wandb 0.31: an artifact copy of a table stops here.
MAX_ARTIFACT_ROWS = 200_000
PARQUET_SUFFIX = ".parquet"
TABLE_TYPES = ("table", "table-file")  # the _type of a plain table document
_MEDIA_WB_TYPES = {
    "image-file",
    "audio-file",
    "video-file",
    "html-file",
    "object3D-file",
    "molecule-file",
    "bokeh-file",
    "plotly-file",
    "table-file",
    "joined-table",
    "partitioned-table",
    "wb_trace_tree",
}


@dataclass(frozen=True, eq=False)
class ParsedTable:
    frame: pd.DataFrame
    stored_rows: int  # rows present in the document
    declared_rows: int | None  # the document's own "nrows" (equal to stored_rows for artifact copies)
    media_columns: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # what decoding the columns could not do, said for the reader


def parse_table_json(raw: bytes | str, name: str = "table", side_file: SideFile | None = None) -> ParsedTable:
    """Parse a wandb ``.table.json`` document into a DataFrame, one column at a time.
    ``side_file`` reads another entry of the same artifact (npz files of array columns)."""
    return parse_table_doc(load_table_doc(raw, name), name, side_file)


def load_table_doc(raw: bytes | str, name: str = "table") -> Any:
    """The JSON document of a table entry (wandb writes NaN as null and +-inf as +-Infinity)."""
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadTable(f"{name} is not valid JSON ({exc}). Re-log the table, or export it again.") from None


def parse_table_doc(doc: Any, name: str = "table", side_file: SideFile | None = None) -> ParsedTable:
    """A parsed ``.table.json`` document as a DataFrame: declared types applied, epoch-ms
    timestamps decoded, arrays stored in npz side files loaded through ``side_file``."""
    if not isinstance(doc, Mapping):
        raise BadTable(f"{name}: expected a JSON object with 'columns' and 'data', got {type(doc).__name__}.")
    kind = doc.get("_type", "table")
    if kind not in TABLE_TYPES:
        raise BadTable(
            f"{name} is a {kind!r}, not a plain table. wbview reads tables logged with wandb.Table; "
            "load joined or partitioned tables with wandb itself."
        )
    columns, rows = doc.get("columns"), doc.get("data")
    if not isinstance(columns, list) or not isinstance(rows, list):
        raise BadTable(f"{name}: 'columns' and 'data' must both be lists; the entry is not a wandb table.")
    names = [str(c) for c in columns]
    if len(set(names)) != len(names):
        raise BadTable(f"{name}: duplicate column names {sorted({n for n in names if names.count(n) > 1})}.")
    _check_row_widths(rows, len(names), name)
    type_map = _type_map(doc)
    # from_records builds every column in C; only declared types it got wrong are fixed.
    frame = pd.DataFrame.from_records(rows, columns=names) if rows else pd.DataFrame({c: pd.Series(dtype=object) for c in names})
    for col in names:
        fixed = _retype(frame[col], type_map.get(col))
        if fixed is not None:
            frame[col] = fixed
    decoded = decode_columns(frame, type_map, side_file, name)
    frame = decoded.frame
    media = tuple(col for col in names if _is_media(type_map.get(col)) or _has_media_cells(frame[col]))
    declared = doc.get("nrows")
    return ParsedTable(
        frame=frame,
        stored_rows=len(rows),
        declared_rows=declared if isinstance(declared, int) else None,
        media_columns=media,
        notes=tuple(decoded.notes),
    )


def read_table_json(path: str | os.PathLike) -> ParsedTable:
    """Parse a ``.table.json`` file."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise BadTable(f"Cannot read table file {path}: {exc.strerror or exc}.") from None
    return parse_table_json(raw, name=os.fspath(path))


def read_parquet(source: str | os.PathLike | bytes, name: str | None = None) -> pd.DataFrame:
    """Read a Parquet file or bytes (the companion's full-fidelity copy)."""
    label = name or (os.fspath(source) if not isinstance(source, bytes) else "Parquet table")
    try:
        from wbview.formats.contiguous import contiguous

        return contiguous(pd.read_parquet(io.BytesIO(source) if isinstance(source, bytes) else source))
    except ImportError:
        from wbview.errors import MissingDependency

        raise MissingDependency("Reading Parquet needs pyarrow: pip install pyarrow") from None
    except (OSError, ValueError) as exc:
        raise BadTable(f"{label} is not a readable Parquet file ({exc}).") from None
    except Exception as exc:  # noqa: BLE001 - pyarrow raises its own ArrowInvalid types
        raise BadTable(f"{label} is not a readable Parquet file ({type(exc).__name__}: {exc}).") from None


# --- column typing ----------------------------------------------------------------------


def _type_map(doc: Mapping[str, Any]) -> dict[str, Any]:
    column_types = doc.get("column_types")
    if isinstance(column_types, Mapping):
        params = column_types.get("params")
        if isinstance(params, Mapping) and isinstance(params.get("type_map"), Mapping):
            return dict(params["type_map"])
    return {}


def _declared_kind(wb_type: Any) -> str | None:
    """The scalar kind a wandb type descriptor allows ("number", "boolean", "string"), if one."""
    if not isinstance(wb_type, Mapping):
        return None
    name = wb_type.get("wb_type")
    if name is None:
        return None
    if name == "union":
        allowed = wb_type.get("params", {}).get("allowed_types", [])
        kinds = {_declared_kind(t) for t in allowed} - {"none"}
        return kinds.pop() if len(kinds) == 1 else None
    return {"number": "number", "boolean": "boolean", "string": "string", "none": "none"}.get(name)


def _is_media(wb_type: Any) -> bool:
    if not isinstance(wb_type, Mapping):
        return False
    if wb_type.get("wb_type") in _MEDIA_WB_TYPES:
        return True
    return any(_is_media(t) for t in wb_type.get("params", {}).get("allowed_types", []) or [])


def _has_media_cells(series: pd.Series) -> bool:
    if series.dtype != object or series.empty:
        return False
    first = series.dropna()
    return not first.empty and isinstance(first.iloc[0], Mapping) and "_type" in first.iloc[0]


def _check_row_widths(rows: list, width: int, name: str) -> None:
    try:
        widths = set(map(len, rows))  # C speed; the slow scan below runs only on bad input
        all_lists = all(type(row) is list for row in rows)
    except TypeError:
        widths, all_lists = set(), False
    if all_lists and widths <= {width}:
        return
    for index, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != width:
            size = f"{len(row)} cells" if isinstance(row, list) else f"a {type(row).__name__}"
            raise BadTable(f"{name}: row {index} has {size} but the table has {width} columns.")


def _retype(series: pd.Series, wb_type: Any) -> pd.Series | None:
    """The column corrected to its declared wandb type, or None when inference got it right."""
    if series.dtype != object:
        return None
    kind = _declared_kind(wb_type)
    if kind == "boolean":
        try:
            return series.astype("boolean")  # bools with gaps: nullable boolean, not object
        except (TypeError, ValueError):
            return None
    if kind == "number":
        converted = pd.to_numeric(series, errors="coerce")
        # Only when nothing but missing cells was lost (e.g. None among numbers).
        if converted.notna().sum() == series.notna().sum():
            return converted
    return None


# --- writing -------------------------------------------------------------------------


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
    data = [list(row) for row in zip(*(values for values, _ in converted), strict=False)] if columns else []
    return {
        "_type": "table",
        "columns": columns,
        "data": data,
        "ncols": len(columns),
        "nrows": len(data),
        "column_types": {
            "wb_type": "typedDict",
            "params": {
                "type_map": {col: _union_with_none(wb_type) for col, (_, wb_type) in zip(columns, converted, strict=False)}
            },
        },
        "log_mode": "IMMUTABLE",
    }


def write_table_json(frame: pd.DataFrame, path: str | Path, max_rows: int = MAX_ARTIFACT_ROWS) -> dict[str, int | bool]:
    """Write ``frame`` (first ``max_rows`` rows) to ``path``; returns the row counts."""
    obj = table_json(frame, max_rows)
    Path(path).write_text(json.dumps(obj, allow_nan=False, separators=(",", ":")), encoding="utf-8")
    return {"nrows": len(frame), "stored_rows": obj["nrows"], "truncated": obj["nrows"] < len(frame)}
