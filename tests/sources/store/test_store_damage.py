"""A damaged store file is named with what is wrong with it: a missing field, a wrong type,
JSON nested too deeply, bytes that are not UTF-8; never a bare KeyError, RecursionError or
UnicodeDecodeError, through LocalSource and the command line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from tests.sources.store.test_store import PROJECT, small_project
from wbview.cli import main as cli_main
from wbview.errors import StoreError
from wbview.sources.store import LocalSource, Store
from wbview.sources.store.files import frame_to_parquet_bytes

DEEP_JSON = b"[" * 100_000 + b"]" * 100_000


def _project_files(store: Store, folder: str, pattern: str) -> list[Path]:
    return sorted((store.project_dir(PROJECT) / folder).rglob(pattern))


def _write_all(folder: str, pattern: str, data: bytes) -> Callable[[Store], list[Path]]:
    def corrupt(store: Store) -> list[Path]:
        paths = _project_files(store, folder, pattern) if folder else [store.root / pattern]
        for path in paths:
            path.write_bytes(data)
        return paths

    return corrupt


def _runs_without_record(store: Store) -> list[Path]:
    path = store.project_dir(PROJECT) / "runs.parquet"
    path.write_bytes(frame_to_parquet_bytes(pd.DataFrame({"id": ["r1"]})))
    return [path]


def _table_meta(raw: bytes) -> Callable[[Store], list[Path]]:
    def corrupt(store: Store) -> list[Path]:
        paths = _project_files(store, "tables", "*.parquet")
        for path in paths:
            table = pq.read_table(path)
            pq.write_table(table.replace_schema_metadata(dict(table.schema.metadata) | {b"wbview": raw}), path)
        return paths

    return corrupt


def _read_everything(root: Path) -> None:
    source = LocalSource(root)
    source.projects()
    source.runs(PROJECT)
    source.run_artifacts(PROJECT, "r3")
    source.artifact_types(PROJECT)
    source.load_table(PROJECT, source.tables(PROJECT, "r3")[0])


@pytest.mark.parametrize(
    ("corrupt", "words"),
    [
        (_runs_without_record, "the field 'record' is missing"),
        (_write_all("artifacts", "*.json", DEEP_JSON), "nested too deeply"),
        (_write_all("artifacts", "*.json", b'{"name": "\xff"}'), "not valid utf-8"),
        (_write_all("artifacts", "*.json", b"{}"), "the field 'entity' is missing"),
        (_write_all("artifacts", "*.json", b"[1]"), "wrong type"),
        (_write_all("run_artifacts", "*.json", b'{"used": []}'), "the field 'run_id' is missing"),
        (_write_all("", "wbview-store.json", DEEP_JSON), "nested too deeply"),
        (_write_all(".", "project.json", b'{"name": 1}'), "the field 'project' is missing"),
        (_table_meta(b"\xff\xfe{"), "damaged"),
        (_table_meta(b'{"json_columns": ["Decoded Text"]}'), "invalid"),
        (_table_meta(b"[1]"), "wrong type"),
    ],
    ids=[
        "runs-record",
        "artifact-deep",
        "artifact-utf8",
        "artifact-field",
        "artifact-type",
        "run-artifacts",
        "store-meta-deep",
        "project-json",
        "table-meta-bytes",
        "table-json-column",
        "table-meta-type",
    ],
)
def test_a_damaged_file_is_named_with_what_is_wrong(tmp_path, capsys, corrupt, words):
    store = Store(tmp_path / "s")
    store.write_project(PROJECT, small_project())
    damaged = corrupt(store)
    assert damaged
    with pytest.raises(StoreError) as info:
        _read_everything(store.root)
    message = str(info.value)
    assert any(str(path) in message for path in damaged), message
    assert words in message and "wbview pull" in message

    code = cli_main(["table", f"{PROJECT}/r3", "--store", str(store.root), "--out", str(tmp_path / "o.csv")])
    if code:  # some files are not read by this command
        err = capsys.readouterr().err
        assert "unexpected error" not in err and any(str(path) in err for path in damaged), err
