"""Triage marks as saved: the ``Mark`` record and the JSON document of one save.

A save is one document (a file in a store, a version of a W&B ``review`` artifact)
holding the table it annotates and the marks made in that save; nothing is ever
rewritten. Merging saves and placing marks on rows is ``wbview.analysis.marks``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from wbview.errors import UsageError

TAGS: tuple[str, ...] = ("label noise", "model error", "needs data", "other")
ANONYMOUS = "anonymous"
MAX_NOTE_CHARS = 2_000
MAX_AUTHOR_CHARS = 100
DOCUMENT_FORMAT = "wbview-marks"
DOCUMENT_VERSION = 1
KeyKind = Literal["id", "row"]


class BadMarks(UsageError):
    """A mark or a saved document of marks is malformed; the message says which part."""


@dataclass(frozen=True)
class Mark:
    """One person's tag and note on one row, as saved."""

    row: str  # the sample id as text, or the row position when key_kind is "row"
    key_kind: KeyKind
    tag: str
    note: str
    author: str
    created_at: str  # ISO 8601 UTC, e.g. "2026-12-05T22:10:00.123456+00:00"
    mark_id: str  # unique per mark: the same mark read from two copies counts once

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Mark:
        if not isinstance(data, Mapping):
            raise BadMarks(f"a mark is a {type(data).__name__}, not an object")
        values = {}
        for name in ("row", "key_kind", "tag", "note", "author", "created_at", "mark_id"):
            value = data.get(name)
            if not isinstance(value, str):
                raise BadMarks(f"a mark's field {name!r} is missing or not text")
            values[name] = value
        if values["key_kind"] not in ("id", "row"):
            raise BadMarks(f"a mark's key_kind is {values['key_kind']!r}, not 'id' or 'row'")
        return cls(**values)  # type: ignore[arg-type]  # key_kind checked just above


def new_mark(
    row: object,
    key_kind: KeyKind,
    tag: str,
    note: str = "",
    author: str | None = None,
    now: datetime | None = None,
    mark_id: str | None = None,
) -> Mark:
    """A new mark, checked: a tag from ``TAGS``, a note of at most ``MAX_NOTE_CHARS``."""
    if tag not in TAGS:
        raise BadMarks(f"Unknown tag {tag!r}; choose one of: {', '.join(TAGS)}.")
    if key_kind not in ("id", "row"):
        raise BadMarks(f"key_kind must be 'id' or 'row', not {key_kind!r}.")
    note = str(note).strip()
    if len(note) > MAX_NOTE_CHARS:
        raise BadMarks(f"The note has {len(note):,} characters; keep it under {MAX_NOTE_CHARS:,}.")
    who = (str(author).strip() if author is not None else "")[:MAX_AUTHOR_CHARS] or ANONYMOUS
    when = (now or datetime.now(UTC)).astimezone(UTC).isoformat()
    return Mark(str(row), key_kind, tag, note, who, when, mark_id or uuid.uuid4().hex)


# --- documents: one per save ----------------------------------------------------------


def to_document(marks: Iterable[Mark], table: Mapping[str, str]) -> bytes:
    """One save as JSON: the table it annotates (run id, key, artifact, entry) and its marks."""
    doc = {
        "format": DOCUMENT_FORMAT,
        "version": DOCUMENT_VERSION,
        "table": dict(table),
        "marks": [m.to_dict() for m in marks],
    }
    return json.dumps(doc, indent=1, ensure_ascii=False).encode("utf-8")


def from_document(data: bytes, name: str) -> tuple[dict[str, str], list[Mark]]:
    """(table, marks) of one saved document; ``BadMarks`` naming ``name`` when malformed."""
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise BadMarks(f"The saved marks {name} are not valid JSON ({exc}).") from exc
    if not isinstance(doc, dict) or doc.get("format") != DOCUMENT_FORMAT:
        raise BadMarks(f"{name} is not a wbview marks document (no format {DOCUMENT_FORMAT!r}).")
    if not isinstance(doc.get("version"), int) or doc["version"] > DOCUMENT_VERSION:
        raise BadMarks(f"{name} has marks format version {doc.get('version')!r}; upgrade wbview to read it.")
    table = doc.get("table")
    marks = doc.get("marks")
    if not isinstance(table, dict) or not isinstance(marks, list):
        raise BadMarks(f"{name} lacks its 'table' object or its 'marks' list.")
    try:
        return {str(k): str(v) for k, v in table.items()}, [Mark.from_dict(m) for m in marks]
    except BadMarks as exc:
        raise BadMarks(f"{name}: {exc}.") from None
