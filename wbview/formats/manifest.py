"""The ``wbview_table`` block: how the companion describes the eval table it logged
(in the predictions artifact's metadata), and how the sources read it back.

One frozen type, written by the companion and the demo and read by every source, so the
block's keys are spelled in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wbview.formats.tablejson import PARQUET_SUFFIX, TABLE_SUFFIX

METADATA_KEY = "wbview_table"  # the key of the block in an artifact's metadata
_INFO_EXCLUDED = ("id2label", "label2id")  # kept at the top level of the metadata instead


@dataclass(frozen=True)
class TableManifest:
    """What an artifact's table entries hold: the key the table was logged under, its
    entries (``.table.json`` capped at W&B's row limit, ``.parquet`` with every row), the
    true row count and the rows the ``.table.json`` kept, plus the builder's description
    of the table (classes, threshold, rows seen/kept) in ``info``."""

    key: str
    table_entry: str
    parquet_entry: str | None
    nrows: int | None
    stored_rows: int | None
    columns: tuple[str, ...] = ()
    info: Mapping[str, Any] = field(default_factory=dict)

    @property
    def truncated(self) -> bool:
        return self.nrows is not None and self.stored_rows is not None and self.stored_rows < self.nrows

    @classmethod
    def for_table(cls, key: str, columns: list[str], nrows: int, stored_rows: int, info: Mapping[str, Any]) -> TableManifest:
        """The manifest of a table logged under ``key`` with both entries."""
        return cls(
            key=key,
            table_entry=f"{key}{TABLE_SUFFIX}",
            parquet_entry=f"{key}{PARQUET_SUFFIX}",
            nrows=nrows,
            stored_rows=stored_rows,
            columns=tuple(str(c) for c in columns),
            info={k: v for k, v in info.items() if k not in _INFO_EXCLUDED},
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "table_entry": self.table_entry,
            "parquet_entry": self.parquet_entry,
            "nrows": self.nrows,
            "stored_rows": self.stored_rows,
            "truncated": self.truncated,
            "columns": list(self.columns),
            **self.info,
        }

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any]) -> TableManifest | None:
        """The manifest in an artifact's metadata, or None when it has none (an artifact
        that the companion did not write)."""
        block = metadata.get(METADATA_KEY)
        if not isinstance(block, Mapping) or not block.get("table_entry"):
            return None
        entry = str(block["table_entry"])
        known = {"key", "table_entry", "parquet_entry", "nrows", "stored_rows", "truncated", "columns"}
        columns = block.get("columns")
        return cls(
            key=str(block.get("key") or entry.removesuffix(TABLE_SUFFIX)),
            table_entry=entry,
            parquet_entry=str(block["parquet_entry"]) if block.get("parquet_entry") else None,
            nrows=_count(block.get("nrows")),
            stored_rows=_count(block.get("stored_rows")),
            columns=tuple(str(c) for c in columns) if isinstance(columns, list) else (),
            info={k: v for k, v in block.items() if k not in known},
        )


def _count(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
