"""`wbview marks`: the marks saved on a run's table in a store, as text (plain: no
terminal escapes) and JSON; latest per author by default, every save with --all."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.cli.test_cli import run_cli
from tests.sources.store.test_store import small_project
from wbview.analysis import marks as mk
from wbview.sources.store.local import LocalSource
from wbview.sources.store.store import Store

PROJECT = "acme/phishing"


@pytest.fixture
def store(tmp_path) -> str:
    Store(tmp_path / "s").write_project(PROJECT, small_project())
    source = LocalSource(tmp_path / "s")
    ref = source.tables(PROJECT, "r3")[0]

    def at(minute: int) -> datetime:
        return datetime(2026, 12, 5, 22, minute, tzinfo=UTC)

    source.save_marks(PROJECT, ref, [mk.new_mark(7, "id", "label noise", "first look", "ann", now=at(1))])
    source.save_marks(PROJECT, ref, [mk.new_mark(7, "id", "model error", "bad\x1b[31m\nnote", "ann", now=at(2))])
    source.save_marks(PROJECT, ref, [mk.new_mark(9, "id", "needs data", "", "bo", now=at(3))])
    return str(tmp_path / "s")


def test_marks_lists_the_latest_mark_per_author_and_row(capsys, store):
    code, out, err = run_cli(capsys, ["marks", f"{PROJECT}/r3", "--store", store])
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["row", "key", "tag", "author", "saved", "(UTC)", "note"]
    assert "model error" in lines[2] and "bad [31m note" in lines[2] and "\x1b" not in out
    assert "needs data" in lines[3] and len(lines) == 4  # the first mark of ann on 7 was replaced
    assert "2 marks" in err and "3 saved" in err


def test_marks_all_and_json(capsys, store):
    code, out, _ = run_cli(capsys, ["marks", f"{PROJECT}/r3", "--store", store, "--all", "--json"])
    data = json.loads(out)
    assert code == 0 and data["saved"] == 3 and data["tags"] == {"model error": 1, "needs data": 1}
    assert [(m["row"], m["tag"], m["author"]) for m in data["marks"]] == [
        ("7", "label noise", "ann"),
        ("7", "model error", "ann"),
        ("9", "needs data", "bo"),
    ]
    assert data["marks"][1]["note"] == "bad\x1b[31m\nnote"  # JSON keeps the text exactly (escaped by JSON)


def test_no_marks_and_an_unknown_table(capsys, tmp_path):
    Store(tmp_path / "s").write_project(PROJECT, small_project())
    code, out, err = run_cli(capsys, ["marks", f"{PROJECT}/r3", "--store", str(tmp_path / "s")])
    assert code == 0 and out == "" and "No marks" in err
    code, _, err = run_cli(capsys, ["marks", f"{PROJECT}/r3", "--store", str(tmp_path / "s"), "--table", "nope"])
    assert code == 1 and "no table 'nope'" in err


def test_the_report_has_a_marks_section(capsys, store, tmp_path):
    source = LocalSource(store)  # the fixture's table has no id column: marks by row position
    source.save_marks(PROJECT, source.tables(PROJECT, "r3")[0], [mk.new_mark(1, "row", "other", "<b>odd</b>", "cy")])
    out = tmp_path / "review.html"
    code, _, err = run_cli(capsys, ["report", f"{PROJECT}/r3", "--store", store, "--out", str(out)])
    assert code == 0, err
    section = out.read_text("utf-8").split('<section id="marks">')[1].split("</section>")[0]
    assert "other (cy: &lt;b&gt;odd&lt;/b&gt;)" in section and "win money" in section  # row 1, its text
    assert "2 marks name rows that are not in this table" in section  # the id-keyed ones
