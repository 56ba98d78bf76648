"""A store never reads outside itself: a symbolic link inside it (to a file or a folder)
that leads out is refused with a message naming the file, through LocalSource, the
command line, and the writer."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.sources.store.test_store import PROJECT, small_project
from wbview.cli import main as cli_main
from wbview.errors import StoreError
from wbview.sources.store import LocalSource, Store
from wbview.sources.store.files import frame_to_parquet_bytes

SECRET = "outside-secret-row"


@pytest.fixture
def store_with_table(tmp_path) -> tuple[Store, Path]:
    store = Store(tmp_path / "s")
    store.write_project(PROJECT, small_project())
    [table_file] = [p for p in (store.root / "projects").rglob("*.parquet") if "tables" in p.parts]
    return store, table_file


def _outside_copy(tmp_path: Path, like: Path) -> Path:
    """A parquet file outside the store, in the table's format, holding other rows."""
    from wbview.sources.store.files import read_parquet_frame

    frame, meta = read_parquet_frame(like)
    frame = frame.copy()
    frame["Decoded Text"] = SECRET
    outside = tmp_path / "elsewhere" / like.name
    outside.parent.mkdir()
    outside.write_bytes(frame_to_parquet_bytes(frame, meta))
    return outside


def _link_table_file(store: Store, table_file: Path, tmp_path: Path) -> Path:
    outside = _outside_copy(tmp_path, table_file)
    table_file.unlink()
    table_file.symlink_to(outside)
    return table_file


def _link_table_folder(store: Store, table_file: Path, tmp_path: Path) -> Path:
    outside = _outside_copy(tmp_path, table_file)
    folder = table_file.parent
    shutil.rmtree(folder)
    folder.symlink_to(outside.parent, target_is_directory=True)
    return table_file


@pytest.mark.parametrize("make_link", [_link_table_file, _link_table_folder], ids=["file", "folder"])
def test_a_table_linked_outside_the_store_is_refused(store_with_table, tmp_path, capsys, make_link):
    store, table_file = store_with_table
    linked = make_link(store, table_file, tmp_path)
    source = LocalSource(store.root)
    ref = source.tables(PROJECT, "r3")[0]
    with pytest.raises(StoreError, match="outside the store") as info:
        source.load_table(PROJECT, ref)
    assert str(linked) in str(info.value)

    out = tmp_path / "o.csv"
    code = cli_main(["table", f"{PROJECT}/r3", "--store", str(store.root), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert str(linked) in err and "outside the store" in err
    assert not out.exists() or SECRET not in out.read_text()


def test_a_run_list_linked_outside_is_refused(store_with_table, tmp_path):
    store, _ = store_with_table
    runs_file = store.project_dir(PROJECT) / "runs.parquet"
    outside = tmp_path / "runs.parquet"
    shutil.move(runs_file, outside)
    runs_file.symlink_to(outside)
    with pytest.raises(StoreError, match="runs.parquet"):
        LocalSource(store.root).runs(PROJECT)
    with pytest.raises(StoreError, match="outside the store"):  # nor written through
        store.put_runs(PROJECT, [])
    assert outside.stat().st_size > 0


def test_links_inside_the_store_still_work(store_with_table, tmp_path):
    store, table_file = store_with_table
    kept = table_file.with_name("kept.parquet")
    table_file.rename(kept)
    table_file.symlink_to(kept)
    source = LocalSource(store.root)
    loaded = source.load_table(PROJECT, source.tables(PROJECT, "r3")[0])
    assert list(loaded.frame["Decoded Text"]) == list(small_project().tables.popitem()[1]["Decoded Text"])


def test_a_store_opened_through_a_linked_root_works(store_with_table, tmp_path):
    store, _ = store_with_table
    alias = tmp_path / "alias"
    alias.symlink_to(store.root, target_is_directory=True)
    source = LocalSource(alias)
    assert isinstance(source.load_table(PROJECT, source.tables(PROJECT, "r3")[0]).frame, pd.DataFrame)
