"""Triage marks on the rows of an eval table: a tag from a fixed list and a free-text
note, by an author, at a time.

Saves are append-only: every save is a separate document (a file in the store, a new
version of a W&B artifact) holding the marks made in it, and loading merges all of
them. Nothing is ever overwritten, so two people saving at once both keep their
marks. For display, the latest mark of one author on one row wins; every mark is kept.

A mark is keyed by the row's sample id (the table's id role, the key the run
comparison and the gate pair samples on), or by the row's position when the table has
no id column (``key_kind`` "row": such marks only make sense for the same table).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from wbview.formats.marks import (
    ANONYMOUS,
    MAX_NOTE_CHARS,
    TAGS,
    BadMarks,
    KeyKind,
    Mark,
    from_document,
    new_mark,
    to_document,
)

if TYPE_CHECKING:
    from wbview.analysis.prepare import PreparedTable

__all__ = [
    "ANONYMOUS",
    "MAX_NOTE_CHARS",
    "MARKS_COLUMN",
    "TAGS",
    "BadMarks",
    "KeyKind",
    "Mark",
    "current",
    "from_document",
    "mark_mask",
    "marks_by_row",
    "marks_column",
    "merge",
    "new_mark",
    "row_keys",
    "tag_counts",
    "to_document",
    "unplaced",
]

MARKS_COLUMN = "marks"


# --- merging and display --------------------------------------------------------------


def merge(saves: Iterable[Iterable[Mark]]) -> list[Mark]:
    """Every mark of every save, each once (by ``mark_id``), oldest first."""
    seen: dict[str, Mark] = {}
    for save in saves:
        for mark in save:
            seen.setdefault(mark.mark_id, mark)
    return sorted(seen.values(), key=lambda m: (m.created_at, m.mark_id))


def current(marks: Iterable[Mark]) -> list[Mark]:
    """The marks shown: per (row, author) the latest one, in row then time order."""
    latest: dict[tuple[str, str, str], Mark] = {}
    for mark in merge([marks]):
        latest[(mark.key_kind, mark.row, mark.author)] = mark  # later marks replace earlier
    return sorted(latest.values(), key=lambda m: (m.key_kind, m.row, m.created_at, m.mark_id))


def tag_counts(marks: Iterable[Mark]) -> dict[str, int]:
    """Rows per tag among the shown marks (a row with two authors' tags counts in both)."""
    counts = Counter(m.tag for m in current(marks))
    return {tag: counts[tag] for tag in TAGS if counts[tag]}


def describe(mark: Mark) -> str:
    return f"{mark.tag} ({mark.author}: {mark.note})" if mark.note else f"{mark.tag} ({mark.author})"


# --- marks on a table's rows ----------------------------------------------------------


def _id_text(series: pd.Series) -> pd.Series:
    """Sample ids as text; whole-number floats (an int column with a gap) as ints."""
    if pd.api.types.is_float_dtype(series) and len(series):
        values = series.to_numpy(dtype=float)
        if np.isfinite(values).all() and (values == np.round(values)).all():
            return pd.Series(values.astype(np.int64).astype(str), index=series.index)
    return series.astype(str)


def row_keys(table: PreparedTable) -> tuple[KeyKind, pd.Series]:
    """(key kind, one key per row as text): the sample id column when the table has
    one, else the row position."""
    column = table.schema.id

    def compute() -> tuple[KeyKind, pd.Series]:
        if column is not None and column in table.frame.columns:
            return "id", _id_text(table.frame[column])
        return "row", pd.Series(np.arange(table.n_rows).astype(str), index=table.frame.index)

    return table.memo.get(("marks.row_keys", column), compute)  # once per table: ids as text


def key_note(table: PreparedTable) -> str | None:
    """What to tell people when marks fall back to row positions (None: the table has ids)."""
    kind, _ = row_keys(table)
    if kind == "id":
        return None
    return (
        "This table has no sample id column, so marks are keyed by row position: they "
        "follow the row only in this exact table. Map a sample id column (role id) to key them by sample."
    )


def marks_by_row(table: PreparedTable, marks: Iterable[Mark]) -> dict[int, list[Mark]]:
    """Row position -> the shown marks on it (only marks of the table's key kind)."""
    kind, keys = row_keys(table)
    positions: dict[str, list[int]] = {}
    shown = [m for m in current(marks) if m.key_kind == kind]
    wanted = {m.row for m in shown}
    if wanted:
        for hit in np.flatnonzero(keys.isin(wanted).to_numpy()).tolist():
            positions.setdefault(str(keys.iat[hit]), []).append(int(hit))
    found: dict[int, list[Mark]] = {}
    for mark in shown:
        for position in positions.get(mark.row, []):
            found.setdefault(position, []).append(mark)
    return found


def marks_column(table: PreparedTable, marks: Iterable[Mark]) -> pd.Series:
    """One text per row: its shown marks ("tag (author: note)", joined by "; "), or ""."""
    values = np.full(table.n_rows, "", dtype=object)
    for position, on_row in marks_by_row(table, marks).items():
        values[position] = "; ".join(describe(m) for m in on_row)
    return pd.Series(values, index=table.frame.index, name=MARKS_COLUMN, dtype=object)


FilterChoice = Literal["any", "marked", "unmarked"]


def mark_mask(table: PreparedTable, marks: Iterable[Mark], tags: Iterable[str] = (), which: FilterChoice = "any") -> np.ndarray:
    """Rows to keep: ``which`` "marked" / "unmarked" rows, or "any"; with ``tags``, only
    rows carrying at least one of them (by any author's shown mark)."""
    wanted = set(tags)
    unknown = wanted - set(TAGS)
    if unknown:
        raise BadMarks(f"Unknown tag(s) {', '.join(sorted(unknown))}; choose from: {', '.join(TAGS)}.")
    if which not in ("any", "marked", "unmarked"):
        raise BadMarks(f"Mark filter must be any, marked or unmarked, not {which!r}.")
    by_row = marks_by_row(table, marks)
    marked = np.zeros(table.n_rows, dtype=bool)
    tagged = np.zeros(table.n_rows, dtype=bool)
    for position, on_row in by_row.items():
        marked[position] = True
        tagged[position] = any(m.tag in wanted for m in on_row)
    mask = np.ones(table.n_rows, dtype=bool)
    if which == "marked":
        mask &= marked
    elif which == "unmarked":
        mask &= ~marked
    if wanted:
        mask &= tagged
    return mask


def unplaced(table: PreparedTable, marks: Iterable[Mark]) -> list[Mark]:
    """Shown marks whose row is not in this table (another key kind, or an id not here)."""
    placed = {id(m) for on_row in marks_by_row(table, marks).values() for m in on_row}
    return [m for m in current(marks) if id(m) not in placed]
