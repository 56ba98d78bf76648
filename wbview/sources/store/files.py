"""Files of a store: atomic writes (a reader never sees a partial file), JSON records,
and the Parquet codec for DataFrames (columns Arrow cannot type kept as JSON text)."""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from wbview.errors import StoreError

TMP_PREFIX = ".tmp-"
_PARQUET_META_KEY = b"wbview"


# --- atomic files -------------------------------------------------------------


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that no reader ever sees a partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with ignoring(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable; not supported everywhere (e.g. Windows).
    with ignoring(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextmanager
def ignoring(*errors: type[BaseException]) -> Iterator[None]:
    try:
        yield
    except errors:
        pass


def json_bytes(data: Any) -> bytes:
    return json.dumps(data, indent=1, default=str).encode("utf-8")  # key order kept: it is shown


def read_json(path: Path) -> Any:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise StoreError(f"Store file {path} is unreadable ({exc}). Run `wbview pull` again to repair it.") from exc
    with reading(path):
        return json.loads(data)


# What reading a damaged file raises while its content is decoded or interpreted.
_DAMAGE = (KeyError, IndexError, TypeError, ValueError, AttributeError, RecursionError)


@contextmanager
def reading(path: Path) -> Iterator[None]:
    """Turn an error met while decoding ``path``'s content (a missing field, a wrong type,
    bad JSON or UTF-8, nesting too deep) into a StoreError naming the file and the fault."""
    try:
        yield
    except StoreError:
        raise
    except _DAMAGE as exc:
        raise StoreError(
            f"Store file {path} is damaged: {describe_damage(exc)}. Run `wbview pull` again to repair it, or delete the file."
        ) from exc


def describe_damage(exc: BaseException) -> str:
    """One phrase for people: what is wrong with a file's content."""
    if isinstance(exc, KeyError):
        return f"the field {exc.args[0]!r} is missing" if exc.args else "a field is missing"
    if isinstance(exc, RecursionError):
        return "its JSON is nested too deeply to read"
    if isinstance(exc, UnicodeDecodeError):
        return f"its text is not valid {exc.encoding} (byte {exc.start})"
    if isinstance(exc, json.JSONDecodeError):
        return f"its JSON is invalid ({exc.msg} at line {exc.lineno}, column {exc.colno})"
    if isinstance(exc, (TypeError, AttributeError)):
        return f"a value has the wrong type ({exc})"
    return str(exc) or type(exc).__name__


# --- DataFrames <-> Parquet ---------------------------------------------------------


def frame_to_parquet_bytes(frame: pd.DataFrame, meta: dict[str, Any] | None = None) -> bytes:
    """Serialise a DataFrame to Parquet; columns Arrow cannot type (mixed objects, media
    dicts) are stored as JSON text and restored on read."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    json_columns: list[str] = []
    try:
        table = pa.Table.from_pandas(frame, preserve_index=None)
    except (pa.ArrowException, TypeError, ValueError):
        frame = frame.copy()
        for column in frame.columns:
            try:
                pa.array(frame[column], from_pandas=True)
            except (pa.ArrowException, TypeError, ValueError):
                json_columns.append(str(column))
                frame[column] = [json.dumps(v, default=str) for v in frame[column]]
        table = pa.Table.from_pandas(frame, preserve_index=None)
    extra = dict(meta or {}, json_columns=json_columns)
    schema_meta = dict(table.schema.metadata or {})
    schema_meta[_PARQUET_META_KEY] = json.dumps(extra).encode("utf-8")
    table = table.replace_schema_metadata(schema_meta)
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def read_parquet_frame(path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read a Parquet file written by :func:`frame_to_parquet_bytes`: (frame, wbview meta)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from wbview.formats.contiguous import contiguous

    try:
        # one open file: a path lets pyarrow reopen it and mix two versions of a replaced file
        with pa.memory_map(str(path)) as source:
            table = pq.read_table(source)
    except FileNotFoundError:
        raise
    except (OSError, pa.ArrowException) as exc:
        raise StoreError(f"Store file {path} is unreadable ({exc}). Run `wbview pull` again to repair it.") from exc
    with reading(path):
        raw_meta = (table.schema.metadata or {}).get(_PARQUET_META_KEY)
        meta = json.loads(raw_meta) if raw_meta else {}
        if not isinstance(meta, dict):
            raise TypeError(f"its wbview metadata is a {type(meta).__name__}, not an object")
        frame = table.to_pandas()
        del table  # its chunks now belong to the frame alone: contiguous() frees each as it joins it
        contiguous(frame)
        for column in meta.get("json_columns", ()):
            frame[column] = [json.loads(v) for v in frame[column]]
    return frame, meta
