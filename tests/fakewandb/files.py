"""File contents: wandb's table JSON, Parquet, placeholders; ids and connections."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from tests.fakewandb.graphql import GraphQLError, Node
from wbview.sources.memory import ProjectData

DEFAULT_API_KEY = "f" * 40  # wandb requires 40 characters (or a prefixed key)
TELEMETRY_PREFIX = "/sdk/otel/"
MEDIA_TABLE_MAX_ROWS = 10_000  # wandb.Table.MAX_ROWS: the run's media copy of a table is cut here


def _wb_type(dtype: Any) -> dict[str, Any]:
    kind = getattr(dtype, "kind", "O")
    name = {"b": "boolean", "i": "number", "u": "number", "f": "number", "M": "timestamp"}.get(kind, "string")
    return {"params": {"allowed_types": [{"wb_type": "none"}, {"wb_type": name}]}, "wb_type": "union"}


def plain_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalar
        return plain_value(value.item())
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.isoformat()
    return value


def _table_cell(value: Any) -> Any:
    """A cell as wandb writes it: datetimes as epoch milliseconds (naive ones taken as UTC)."""
    if isinstance(value, (pd.Timestamp, datetime)):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return int(moment.timestamp() * 1000)
    return plain_value(value)


def wandb_table_json(frame: pd.DataFrame, nrows: int | None = None) -> bytes:
    """Serialize a frame exactly as ``wandb.Table`` writes a ``.table.json`` entry
    (datetime columns as epoch milliseconds typed ``timestamp``; see tests/realwandb for
    every other shape, recorded from wandb itself)."""
    columns = [str(c) for c in frame.columns]
    rows = frame.astype(object).where(frame.notna(), None).values.tolist()
    data = [[_table_cell(v) for v in row] for row in rows] if _needs_plain(frame) else rows
    doc = {
        "_type": "table",
        "column_types": {
            "params": {"type_map": {str(c): _wb_type(frame[c].dtype) for c in frame.columns}},
            "wb_type": "typedDict",
        },
        "columns": columns,
        "data": data,
        "log_mode": "IMMUTABLE",
        "ncols": len(columns),
        "nrows": len(data) if nrows is None else nrows,
    }
    return json.dumps(doc).encode("utf-8")


def _needs_plain(frame: pd.DataFrame) -> bool:
    # tolist() on an object array keeps numpy scalars only for object columns holding them.
    return any(frame[c].dtype.kind in "Mm" for c in frame.columns) or any(
        frame[c].dtype == object and len(frame) and not isinstance(frame[c].iloc[0], (str, type(None))) for c in frame.columns
    )


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def placeholder_bytes(artifact_id: str, path: str) -> bytes:
    """Deterministic stand-in content for artifact files the fixture has no data for."""
    return f"fake content of {artifact_id}/{path}\n".encode()


def entry_bytes(
    data: ProjectData,
    artifact_id: str,
    path: str,
    files: Mapping[tuple[str, str], bytes] | None = None,
) -> bytes:
    """The bytes the fake serves for one artifact entry ("name:vN", entry path)."""
    if files and (artifact_id, path) in files:
        return files[(artifact_id, path)]
    frame = data.tables.get((artifact_id, path))
    if frame is not None:
        if path.endswith(".parquet"):
            return parquet_bytes(frame)
        if path.endswith(".csv"):
            return frame.to_csv(index=False).encode("utf-8")
        return wandb_table_json(frame)
    return placeholder_bytes(artifact_id, path)


def b64_md5(content: bytes) -> str:
    return base64.b64encode(hashlib.md5(content).digest()).decode("ascii")


def b64_id(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def iso(moment: datetime | None) -> str | None:
    """W&B's timestamp format: UTC, seconds, no offset suffix."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0).isoformat()


def client_id(seed: str) -> str:
    """A 128-character base-36 id, like wandb's artifact client ids (deterministic here)."""
    number = int(hashlib.sha512(seed.encode()).hexdigest() * 2, 16)
    digits = []
    while len(digits) < 128:
        number, rem = divmod(number, 36)
        digits.append("0123456789abcdefghijklmnopqrstuvwxyz"[rem])
    return "".join(digits)


def _decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return int(base64.b64decode(cursor).decode().rsplit(":", 1)[1]) + 1
    except (ValueError, IndexError, UnicodeDecodeError):
        raise GraphQLError(f"invalid cursor {cursor!r}") from None


def connection(
    typename: str,
    items: list[Any],
    args: Mapping[str, Any],
    edge_extra: Callable[[Any], dict] | None = None,
    default_first: int = 50,
    make: Callable[[Any], Any] | None = None,
) -> Node:
    """A Relay connection over ``items`` honouring ``after`` and ``first``; ``make``
    turns an item into its node, only for the items on the page."""
    start = _decode_cursor(args.get("after"))
    first = args.get("first")
    first = default_first if first is None else int(first)
    page = items[start : start + first]
    if make is not None:
        page = [make(item) for item in page]
    edges = []
    for offset, item in enumerate(page):
        cursor = b64_id(f"cursor:{start + offset}")
        edges.append(Node(f"{typename}Edge", node=item, cursor=cursor, **(edge_extra(item) if edge_extra else {})))
    end = start + len(page)
    page_info = Node(
        "PageInfo",
        endCursor=edges[-1]["cursor"] if edges else None,
        hasNextPage=end < len(items),
        hasPreviousPage=start > 0,
        startCursor=edges[0]["cursor"] if edges else None,
    )
    return Node(f"{typename}Connection", edges=edges, pageInfo=page_info, totalCount=len(items))
