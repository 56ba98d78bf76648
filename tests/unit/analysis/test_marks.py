"""Triage marks: records, documents, the append-only merge, what is shown per row, and
filtering a table's rows by marks, on hand-made case tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from wbview.analysis import marks as mk
from wbview.analysis.prepare import prepare

T0 = datetime(2026, 12, 5, 22, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def mark(row: object, tag: str, author: str, minute: int, note: str = "", kind: mk.KeyKind = "id") -> mk.Mark:
    return mk.new_mark(row, kind, tag, note, author, now=at(minute), mark_id=f"{author}-{row}-{minute}")


def with_ids(ids: list) -> pd.DataFrame:
    n = len(ids)
    return pd.DataFrame(
        {
            "Sample ID": ids,
            "Text": [f"t{i}" for i in range(n)],
            "True Label": ["ham", "spam"] * (n // 2) + ["ham"] * (n % 2),
            "Predicted Label": ["ham"] * n,
        }
    )


IDS = prepare(with_ids([10, 11, 12, 13]))
NO_IDS = prepare(with_ids([10, 11, 12, 13]).drop(columns="Sample ID"))


@pytest.mark.parametrize(
    "tag, note, author, error",
    [
        ("label noise", "", None, None),
        ("other", "  why  ", " ann ", None),
        ("bogus", "", "ann", "Unknown tag 'bogus'"),
        ("model error", "x" * (mk.MAX_NOTE_CHARS + 1), "ann", "keep it under"),
    ],
)
def test_new_mark_checks_its_fields(tag, note, author, error):
    if error:
        with pytest.raises(mk.BadMarks, match=error):
            mk.new_mark(1, "id", tag, note, author)
        return
    made = mk.new_mark(1, "id", tag, note, author, now=T0)
    assert made.row == "1" and made.tag == tag and made.note == note.strip()
    assert made.author == (author.strip() if author else mk.ANONYMOUS)
    assert made.created_at == "2026-12-05T22:00:00+00:00" and len(made.mark_id) == 32


def test_a_document_round_trips_and_bad_ones_are_named():
    saved = [mark(10, "label noise", "ann", 1, note="<script>x</script>"), mark(11, "other", "bo", 2)]
    table, back = mk.from_document(mk.to_document(saved, {"run_id": "r1", "entry": "e"}), "f.json")
    assert table == {"run_id": "r1", "entry": "e"} and back == saved


@pytest.mark.parametrize(
    "data, message",
    [
        (b"{", "not valid JSON"),
        (b"[]", "not a wbview marks document"),
        (b'{"format": "wbview-marks", "version": 9, "table": {}, "marks": []}', "version 9"),
        (b'{"format": "wbview-marks", "version": 1, "marks": []}', "lacks its 'table'"),
        (b'{"format": "wbview-marks", "version": 1, "table": {}, "marks": [{"row": "1"}]}', "field 'key_kind'"),
        (b'{"format": "wbview-marks", "version": 1, "table": {}, "marks": [5]}', "not an object"),
    ],
)
def test_malformed_documents_say_what_is_wrong(data, message):
    with pytest.raises(mk.BadMarks, match=message) as raised:
        mk.from_document(data, "saves/x.json")
    assert "x.json" in str(raised.value) or "document" in str(raised.value)


A1 = mark(10, "label noise", "ann", 1)
A2 = mark(10, "model error", "ann", 5, note="on second look")
B1 = mark(10, "needs data", "bo", 3)
C1 = mark(12, "other", "ann", 2)


@pytest.mark.parametrize(
    "saves, kept, shown",
    [
        ([], [], []),
        ([[A1]], [A1], [A1]),
        ([[A1], [A2]], [A1, A2], [A2]),  # one author, one row: the latest is shown
        ([[A2], [A1]], [A1, A2], [A2]),  # whatever order the saves are read in
        ([[A1, B1]], [A1, B1], [A1, B1]),  # two authors: both shown
        ([[A1], [A1, C1]], [A1, C1], [A1, C1]),  # the same mark read twice counts once
        ([[A1, B1], [A2], [C1]], [A1, C1, B1, A2], [B1, A2, C1]),
    ],
)
def test_merge_keeps_every_save_and_current_shows_the_latest_per_author(saves, kept, shown):
    assert mk.merge(saves) == kept
    assert mk.current(mk.merge(saves)) == shown


@pytest.mark.parametrize(
    "table, marks, column",
    [
        (IDS, [], ["", "", "", ""]),
        (IDS, [A1, A2, B1, C1], ["needs data (bo); model error (ann: on second look)", "", "other (ann)", ""]),
        (IDS, [mark(10, "other", "ann", 1, kind="row")], ["", "", "", ""]),  # a row-keyed mark is not an id
        (NO_IDS, [mark(3, "other", "ann", 1, kind="row")], ["", "", "", "other (ann)"]),
        (NO_IDS, [A1], ["", "", "", ""]),
    ],
)
def test_marks_column_places_marks_by_sample_id_or_row(table, marks, column):
    got = mk.marks_column(table, marks)
    assert got.name == mk.MARKS_COLUMN and got.tolist() == column


def test_float_ids_that_are_whole_numbers_match_int_marks():
    table = prepare(with_ids([1.0, 2.0, np.nan, 4.0]).fillna({"Sample ID": 3.0}))
    assert mk.row_keys(table)[1].tolist() == ["1", "2", "3", "4"]
    assert mk.marks_column(table, [mark(4, "other", "z", 0)]).tolist() == ["", "", "", "other (z)"]


def test_key_note_only_for_tables_without_ids():
    assert mk.key_note(IDS) is None
    assert "row position" in (mk.key_note(NO_IDS) or "")


@pytest.mark.parametrize(
    "tags, which, expected",
    [
        ((), "any", [True, True, True, True]),
        ((), "marked", [True, False, True, False]),
        ((), "unmarked", [False, True, False, True]),
        (("other",), "any", [False, False, True, False]),
        (("needs data",), "marked", [True, False, False, False]),
        (("label noise",), "any", [False, False, False, False]),  # A1 was replaced by A2
        (("model error", "other"), "any", [True, False, True, False]),
        (("other",), "unmarked", [False, False, False, False]),
    ],
)
def test_mark_mask_filters_rows_by_tag_and_presence(tags, which, expected):
    assert mk.mark_mask(IDS, [A1, A2, B1, C1], tags, which).tolist() == expected


@pytest.mark.parametrize("tags, which, message", [(("nope",), "any", "Unknown tag"), ((), "some", "any, marked or unmarked")])
def test_mark_mask_refuses_unknown_choices(tags, which, message):
    with pytest.raises(mk.BadMarks, match=message):
        mk.mark_mask(IDS, [], tags, which)


def test_tag_counts_and_unplaced():
    gone = mark(99, "needs data", "ann", 4)
    assert mk.tag_counts([A1, A2, B1, C1, gone]) == {"model error": 1, "needs data": 2, "other": 1}
    assert mk.unplaced(IDS, [A1, A2, B1, C1, gone]) == [gone]
