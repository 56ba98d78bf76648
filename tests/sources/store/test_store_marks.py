"""Triage marks in a store: each save is a new file; saves from two processes at the
same moment both survive; links out of the store and unwritable stores are refused with
a clear message."""

from __future__ import annotations

import multiprocessing
import os
import traceback

import pytest

from wbview.analysis import marks as mk
from wbview.errors import StoreError
from wbview.records import TableRef
from wbview.sources.store.local import LocalSource
from wbview.sources.store.store import Store

PROJECT = "acme/phishing"
REF = TableRef(run_id="r3", key="eval/predictions", artifact="run-r3-evalpredictions:v0", entry="eval/predictions.table.json")


@pytest.fixture
def store_dir(tmp_path) -> str:
    from tests.sources.store.test_store import small_project

    Store(tmp_path / "s").write_project(PROJECT, small_project())
    return str(tmp_path / "s")


def _save(store_dir: str, author: str, count: int, barrier, result) -> None:
    try:
        source = LocalSource(store_dir)
        barrier.wait(timeout=60)  # both processes save at the same moment
        for i in range(count):
            source.save_marks(PROJECT, REF, [mk.new_mark(i, "id", "label noise", f"{author} #{i}", author)])
        result.put(("ok", author))
    except BaseException:  # noqa: BLE001 - reported to the parent instead of dying silently
        result.put(("error", traceback.format_exc()))


def test_concurrent_saves_from_two_processes_all_survive(store_dir):
    ctx = multiprocessing.get_context("spawn")
    barrier, result = ctx.Barrier(2), ctx.Queue()
    count = 15
    processes = [ctx.Process(target=_save, args=(store_dir, who, count, barrier, result)) for who in ("ann", "bo")]
    for process in processes:
        process.start()
    outcomes = [result.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    loaded = LocalSource(store_dir).load_marks(PROJECT, REF)
    assert sorted(m.note for m in loaded) == sorted(f"{who} #{i}" for who in ("ann", "bo") for i in range(count))
    shown = mk.current(loaded)  # one author, one row: one mark shown, all kept
    assert len(shown) == 2 * count and len(mk.merge([loaded])) == 2 * count


def test_saves_are_new_files_and_load_reads_them_all(store_dir):
    source = LocalSource(store_dir)
    first = source.save_marks(PROJECT, REF, [mk.new_mark(1, "id", "other", "a", "ann")])
    second = source.save_marks(PROJECT, REF, [mk.new_mark(1, "id", "model error", "b", "ann")])
    assert first != second and os.path.exists(first) and os.path.exists(second)
    assert os.path.commonpath([first, store_dir]) == os.path.abspath(store_dir)
    assert [m.note for m in mk.merge([source.load_marks(PROJECT, REF)])] == ["a", "b"]
    other = TableRef(run_id="r3", key="k", artifact="run-r3-evalpredictions:v0", entry="other.table.json")
    assert source.load_marks(PROJECT, other) == []  # marks belong to one table


def test_a_marks_file_linked_outside_the_store_is_refused(store_dir, tmp_path):
    source = LocalSource(store_dir)
    saved = source.save_marks(PROJECT, REF, [mk.new_mark(1, "id", "other", "", "ann")])
    outside = tmp_path / "elsewhere.json"
    outside.write_bytes(open(saved, "rb").read())
    os.symlink(outside, os.path.join(os.path.dirname(saved), "linked.json"))
    with pytest.raises(StoreError, match="outside the store"):
        source.load_marks(PROJECT, REF)


def test_a_damaged_save_is_named(store_dir):
    source = LocalSource(store_dir)
    saved = source.save_marks(PROJECT, REF, [mk.new_mark(1, "id", "other", "", "ann")])
    with open(saved, "wb") as handle:
        handle.write(b"{not json")
    with pytest.raises(mk.BadMarks, match=r"not valid JSON.*Delete or repair"):
        source.load_marks(PROJECT, REF)


def test_an_unwritable_store_says_so(store_dir):
    source = LocalSource(store_dir)
    project_dir = Store(store_dir, create=False).project_dir(PROJECT)
    (project_dir / "marks").write_text("a file where the marks folder should be")  # fails even for root
    with pytest.raises(StoreError, match="Cannot save marks into the store .* writable"):
        source.save_marks(PROJECT, REF, [mk.new_mark(1, "id", "other", "", "ann")])


def test_a_reload_reads_only_the_saves_it_has_not_seen(store_dir, monkeypatch):
    """Error analysis loads the marks on every rerun: each save file (never changed once
    written) is read and parsed once; a new save, from this process or another, is seen."""
    from pathlib import Path

    source = LocalSource(store_dir)
    source.save_marks(PROJECT, REF, [mk.new_mark(1, "id", "other", "a", "ann")])
    source.save_marks(PROJECT, REF, [mk.new_mark(2, "id", "other", "b", "bo")])
    assert len(source.load_marks(PROJECT, REF)) == 2
    someone_else = LocalSource(store_dir)
    reads: list[str] = []
    original = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: (reads.append(self.name), original(self))[1])
    assert sorted(m.note for m in source.load_marks(PROJECT, REF)) == ["a", "b"]
    assert reads == []
    someone_else.save_marks(PROJECT, REF, [mk.new_mark(3, "id", "needs data", "c", "cy")])
    assert sorted(m.note for m in source.load_marks(PROJECT, REF)) == ["a", "b", "c"]
    assert len(reads) == 1
