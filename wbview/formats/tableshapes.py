"""What wandb writes into a ``.table.json`` beyond plain cells, decoded without wandb.

- ``timestamp`` columns hold epoch milliseconds: decoded to ``datetime64[ms, UTC]``;
- ``ndarray`` columns with a ``serialization_path`` hold ``null`` cells, the values
  being in an npz side file of the artifact (``media/serialized_data/*.npz``, one
  array of all rows): loaded from it, or shown as "array, not loaded" with the shape;
- INCREMENTAL tables are one entry per increment: the rows of all entries, in wandb's
  order (increment number, then the millisecond stamp in the entry name);
- JoinedTable / PartitionedTable documents point at other entries: combined here;
- mixed-type columns (``allow_mixed_types=True``) cannot go to Parquet as they are:
  ``parquet_ready`` writes them as text and says so.

Pure functions over pandas/numpy (pyarrow for the Parquet check); nothing imports wandb.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

ARRAY_NOT_LOADED = "array, not loaded"
PARTITIONED_SUFFIX = ".partitioned-table.json"
JOINED_SUFFIX = ".joined-table.json"
TABLE_SUFFIX = ".table.json"
_INCREMENT_ENTRY = re.compile(r"^(?P<num>[^-./]+)-(?P<ms>\d+)\.(?P<key>.+)\.table\.json$")

SideFile = Callable[[str], bytes]  # entry path of the same artifact -> its bytes


@dataclass
class Decoded:
    """A frame after decoding, and what the reader should be told about it."""

    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def type_members(wb_type: Any) -> list[Mapping[str, Any]]:
    """The member types of a wandb type descriptor (itself when it is not a union)."""
    if not isinstance(wb_type, Mapping):
        return []
    if wb_type.get("wb_type") == "union":
        members = (wb_type.get("params") or {}).get("allowed_types") or []
        return [m for m in members if isinstance(m, Mapping)]
    return [wb_type]


def _member(wb_type: Any, name: str) -> Mapping[str, Any] | None:
    return next((m for m in type_members(wb_type) if m.get("wb_type") == name), None)


def is_timestamp(wb_type: Any) -> bool:
    return _member(wb_type, "timestamp") is not None


def ndarray_storage(wb_type: Any) -> tuple[str, str, tuple[int, ...]] | None:
    """(npz entry, key in it, cell shape) of a column whose arrays wandb moved to an npz file."""
    member = _member(wb_type, "ndarray")
    params = (member or {}).get("params") or {}
    where = params.get("serialization_path")
    if not isinstance(where, Mapping) or not where.get("path"):
        return None
    shape = params.get("shape")
    cell_shape = tuple(int(n) for n in shape) if isinstance(shape, list) and all(isinstance(n, int) for n in shape) else ()
    return str(where["path"]), str(where.get("key") or ""), cell_shape


def decode_timestamps(series: pd.Series) -> pd.Series:
    """Epoch milliseconds (ints, floats, None) as ``datetime64[ms, UTC]``."""
    numbers = pd.to_numeric(series, errors="coerce")
    millis = (
        pd.array(np.round(numbers.to_numpy(dtype="float64", na_value=np.nan)), dtype="Int64")
        if numbers.dtype.kind == "f"
        else numbers.astype("Int64")
    )
    return pd.Series(pd.to_datetime(millis, unit="ms", utc=True), index=series.index, name=series.name).astype(
        "datetime64[ms, UTC]"
    )


def shape_text(shape: Sequence[int]) -> str:
    return "×".join(str(n) for n in shape) if shape else "unknown"


def load_npz_column(raw: bytes, key: str, rows: int) -> list[Any]:
    """The first ``rows`` cells of array ``key`` of an npz file, each as nested lists."""
    with np.load(io.BytesIO(raw), allow_pickle=False) as archive:
        names = list(archive.keys())
        array = archive[key if key in names else names[0]]
    if len(array) < rows:
        raise ValueError(f"it holds {len(array)} rows, the table {rows}")
    return [cell.tolist() if isinstance(cell, np.ndarray) else cell for cell in array[:rows]]


def decode_columns(frame: pd.DataFrame, type_map: Mapping[str, Any], side_file: SideFile | None, name: str = "table") -> Decoded:
    """Timestamps and npz-stored arrays of ``frame`` decoded as the type map declares them."""
    decoded = Decoded(frame)
    for column in frame.columns:
        wb_type = type_map.get(str(column))
        if is_timestamp(wb_type) and frame[column].dtype.kind in "iufO":
            values = frame[column]
            if values.dtype == object and not all(isinstance(v, (int, float)) or v is None for v in values.dropna()):
                continue  # not epoch numbers after all: leave as written
            decoded.frame[column] = decode_timestamps(values)
            continue
        storage = ndarray_storage(wb_type)
        if storage is None:
            continue
        path, key, shape = storage
        reason = "no reader for the artifact's other entries"
        if side_file is not None:
            try:
                decoded.frame[column] = pd.Series(
                    load_npz_column(side_file(path), key, len(frame)), index=frame.index, dtype=object
                )
                continue
            except Exception as exc:  # noqa: BLE001 - any failure becomes the placeholder plus a note
                reason = f"{type(exc).__name__}: {exc}"
        placeholder = f"{ARRAY_NOT_LOADED} (shape {shape_text(shape)})"
        decoded.frame[column] = pd.Series([placeholder] * len(frame), index=frame.index, dtype=object)
        decoded.notes.append(
            f"Column {str(column)!r} of {name}: its arrays (shape {shape_text(shape)}) are stored in {path}, which could "
            f"not be read ({reason}); each cell says {ARRAY_NOT_LOADED!r}."
        )
    return decoded


# --- INCREMENTAL tables -----------------------------------------------------------------------


def increment_order(entry: str) -> tuple[int, int]:
    """wandb's order of increment entries ``<n>-<ms>.<key>.table.json`` (``None`` counts as 0,
    as in wandb's ``_get_data_from_increments``)."""
    match = _INCREMENT_ENTRY.match(entry)
    if not match:
        return (0, 0)
    number = int(match["num"]) if match["num"].isdigit() else 0
    return (number, int(match["ms"]))


def increment_key(entry: str) -> str | None:
    """The logged key of an increment entry (``2-1796...080.eval/stream.table.json`` -> ``eval/stream``)."""
    match = _INCREMENT_ENTRY.match(entry)
    return match["key"] if match else None


def increment_entries(entries: Iterable[str]) -> list[str]:
    """The ``.table.json`` entries of an incremental table artifact, in wandb's order."""
    return sorted((e for e in entries if e.endswith(TABLE_SUFFIX)), key=increment_order)


def join_increments(docs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One table document from the increments' documents (in order): their rows concatenated,
    the columns and types of the last one."""
    if not docs:
        raise ValueError("an incremental table without increments")
    last = dict(docs[-1])
    columns = last.get("columns")
    for doc in docs:
        if doc.get("columns") != columns:
            raise ValueError(f"increments have different columns: {doc.get('columns')} and {columns}")
    rows = [row for doc in docs for row in (doc.get("data") or [])]
    last.update({"data": rows, "nrows": len(rows)})
    return last


# --- JoinedTable / PartitionedTable ---------------------------------------------------------------


def partition_entries(entries: Iterable[str], parts_path: str) -> list[str]:
    """The part tables under ``parts_path``, in manifest order (wandb iterates them so)."""
    prefix = parts_path.rstrip("/") + "/"
    return [e for e in entries if e.startswith(prefix) and e.endswith(TABLE_SUFFIX)]


def stack_parts(frames: Sequence[pd.DataFrame], names: Sequence[str]) -> pd.DataFrame:
    """Part tables one after the other; every part must have the same columns (as in wandb)."""
    if not frames:
        raise ValueError("a partitioned table without parts")
    columns = list(frames[0].columns)
    for frame, part in zip(frames, names, strict=True):
        if list(frame.columns) != columns:
            raise ValueError(f"part {part} has columns {list(frame.columns)}, the first part {columns}")
    return pd.concat(frames, ignore_index=True)


def join_tables(left: pd.DataFrame, right: pd.DataFrame, join_key: str | Sequence[str], names: tuple[str, str]) -> Decoded:
    """Rows of two tables matched on ``join_key`` (one column name, or [left, right]):
    an inner join; columns both tables have get the table's name as suffix."""
    left_on, right_on = (join_key, join_key) if isinstance(join_key, str) else (str(join_key[0]), str(join_key[1]))
    for frame, column, which in ((left, left_on, names[0]), (right, right_on, names[1])):
        if column not in frame.columns:
            raise ValueError(f"join key {column!r} is not a column of {which} (columns: {list(frame.columns)})")
    suffixes = (f" [{names[0]}]", f" [{names[1]}]")
    joined = left.merge(right, how="inner", left_on=left_on, right_on=right_on, suffixes=suffixes, sort=False)
    unmatched_left = int((~left[left_on].isin(right[right_on])).sum())
    unmatched_right = int((~right[right_on].isin(left[left_on])).sum())
    note = (
        f"Joined table: {names[0]} and {names[1]} matched on {left_on!r}"
        + (f" = {right_on!r}" if right_on != left_on else "")
        + f" (inner join, {len(joined):,} rows"
    )
    if unmatched_left or unmatched_right:
        note += f"; {unmatched_left:,} rows of {names[0]} and {unmatched_right:,} of {names[1]} have no match and are left out"
    return Decoded(joined.reset_index(drop=True), [note + ")."])


# --- Parquet --------------------------------------------------------------------------------------


def parquet_ready(frame: pd.DataFrame) -> Decoded:
    """``frame`` with every column Parquet cannot hold as it is (mixed types) written as
    text: strings stay, other values become JSON text; a note names each such column."""
    import pyarrow as pa

    out = frame
    notes = []
    for column in frame.columns:
        series = frame[column]
        if series.dtype != object:
            continue
        try:
            pa.array(series, from_pandas=True)
            continue
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError, OverflowError):
            pass
        kinds = sorted({type(v).__name__ for v in series if v is not None and not (isinstance(v, float) and np.isnan(v))})
        if out is frame:
            out = frame.copy()
        out[column] = pd.Series([_as_text(v) for v in series], index=series.index, dtype=object)
        notes.append(
            f"Column {str(column)!r} holds values of mixed types ({', '.join(kinds)}); it is written to Parquet as text."
        )
    return Decoded(out, notes)


def _as_text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, np.ndarray):
        value = value.tolist()
    return json.dumps(value, ensure_ascii=False, default=str)
