"""Error analysis, triage marks: mark the row being read (tag, note, author), see it in
the marks column, filter the rows by mark and tag; data strings stay text; a source
that cannot save says so without a traceback."""

from __future__ import annotations

import pytest

from tests.pages import dashboard_fixture as fx
from tests.pages.pagetest import open_page, problems, texts
from wbview.errors import StoreError
from wbview.sources.memory import MemorySource
from wbview.ui.source import register_source

HOSTILE = "<img src=x onerror=alert(1)> **bold** https://evil.example"


@pytest.fixture
def source() -> MemorySource:
    return fx.memory_source()


def _rows(at):
    return next(d for d in at.dataframe if d.key == "rows_table").value


def _mark_row(at, row: int, tag: str, note: str, author: str) -> None:
    at.session_state["rows_table"] = {"selection": {"rows": [row], "columns": [], "cells": []}}  # a click
    at.run()
    assert problems(at) == []
    at.selectbox(key="mark_tag").set_value(tag)
    at.text_area(key="mark_note").set_value(note)
    at.text_input(key="mark_author").set_value(author)
    at.button(key="mark_save").click()
    at.run()
    assert problems(at) == []


def test_mark_a_row_see_it_in_the_marks_column_and_filter_by_it(source):
    spec = register_source("marks-page", source)
    at = open_page("pages/error_analysis.py", source=spec, project=fx.PROJECT, run="ev1", tab="Rows")
    assert problems(at) == []
    rows = _rows(at)
    assert list(rows.columns)[0] == "marks" and set(rows["marks"]) == {""}
    sample_id = rows["Sample ID"].iloc[5]
    _mark_row(at, 5, "label noise", HOSTILE, "ann")

    saved = [m for save in source.saved_marks.values() for m in save[0]]
    assert [(m.row, m.tag, m.note, m.author, m.key_kind) for m in saved] == [
        (str(sample_id), "label noise", HOSTILE, "ann", "id")
    ]
    rows = _rows(at)
    assert rows["marks"].iloc[5] == f"label noise (ann: {HOSTILE})"  # in the table, as text
    assert (rows["marks"] != "").sum() == 1
    assert any(HOSTILE in t.value for t in at.text)  # the row's marks, shown as text
    assert "Saved label noise on sample id" in texts(at)

    # a second person marks another row; both marks are kept and shown
    _mark_row(at, 7, "needs data", "", "bo")
    assert sum(len(save) for saves in source.saved_marks.values() for save in saves) == 2
    assert (_rows(at)["marks"] != "").sum() == 2

    at.multiselect(key="mark_tags").set_value(["label noise"])
    at.run()
    assert problems(at) == []
    rows = _rows(at)
    assert list(rows["Sample ID"]) == [sample_id]
    assert "1 of 240 rows selected" in texts(at)

    at.multiselect(key="mark_tags").set_value([])
    at.segmented_control(key="marked").set_value("unmarked")
    at.run()
    assert problems(at) == [] and "238 of 240 rows selected" in texts(at)


def test_the_group_by_histograms_follow_the_marks_filter(source):
    """The histograms are kept per selection: a marks filter is part of the selection."""
    spec = register_source("marks-groups", source)
    at = open_page("pages/error_analysis.py", source=spec, project=fx.PROJECT, run="ev1", tab="Rows")
    _mark_row(at, 5, "label noise", "", "ann")
    at = open_page("pages/error_analysis.py", source=spec, project=fx.PROJECT, run="ev1")  # Group by, all rows
    assert problems(at) == [] and "Rows per group: False: 225, True: 15" in texts(at)
    at.multiselect(key="mark_tags").set_value(["label noise"])
    at.run()
    assert problems(at) == []
    groups = next(c.value for c in at.caption if c.value.startswith("Rows per group: "))
    counts = [int(part.rsplit(": ", 1)[1]) for part in groups.removeprefix("Rows per group: ").split(", ")]
    assert sum(counts) == 1  # the one marked row, not the 240 of the unfiltered selection


def test_a_reopened_page_shows_the_marks_saved_before(source):
    from wbview.analysis import marks as mk

    ref = source.tables(fx.PROJECT, "ev1")[0]
    sample_id = fx.eval_table()["Sample ID"].iloc[3]
    source.save_marks(fx.PROJECT, ref, [mk.new_mark(sample_id, "id", "model error", "seen", "zed")])
    spec = register_source("marks-reopen", source)
    at = open_page("pages/error_analysis.py", source=spec, project=fx.PROJECT, run="ev1", tab="Rows", marked="marked rows")
    assert problems(at) == []
    rows = _rows(at)
    assert list(rows["Sample ID"]) == [sample_id] and rows["marks"].iloc[0] == "model error (zed: seen)"


class FailingSource(MemorySource):
    def save_marks(self, project, ref, marks):
        raise StoreError("Cannot save marks into the store at /ro (Read-only file system). Make the folder writable.")


def test_a_failed_save_is_a_clear_message_not_a_traceback():
    data = fx.build_project()
    spec = register_source("marks-fail", FailingSource({fx.PROJECT: data}, label="ro"))
    at = open_page("pages/error_analysis.py", source=spec, project=fx.PROJECT, run="ev1", tab="Rows")
    at.session_state["rows_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    at.button(key="mark_save").click()
    at.run()
    assert list(at.exception) == []
    assert any("Cannot save marks into the store" in e.value for e in at.error)


def test_a_logged_in_person_marks_under_their_name(source):
    from streamlit.testing.v1 import AppTest

    from tests.pages.pagetest import TIMEOUT_S
    from tests.paths import APP

    spec = register_source("marks-login", source)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "s" * 32}
    at.user = {"is_logged_in": True, "email": "ann@example.com", "name": "Ann <b>Lee</b>"}
    for key, value in {"source": spec, "project": fx.PROJECT, "run": "ev1", "tab": "Rows"}.items():
        at.query_params[key] = value
    at.run()
    at.switch_page("pages/error_analysis.py").run()
    assert problems(at) == []
    assert not [t for t in at.text_input if t.key == "mark_author"]  # no name to type
    assert "Saved as Ann <b>Lee</b> (logged in)." in texts(at)
    at.button(key="mark_save").click()
    at.run()
    assert problems(at) == []
    (saved,) = [m for saves in source.saved_marks.values() for save in saves for m in save]
    assert saved.author == "Ann <b>Lee</b>"
