"""Concurrent use of one store: readers (app sessions) while writers (a pull, the cache)
write, in separate processes. Readers must never see a partial file or an error;
concurrent upserts must not lose each other's runs."""

from __future__ import annotations

import multiprocessing
import time
import traceback
from dataclasses import replace

import pytest

PROJECT = "acme/phishing"
READ_SECONDS = 3.0


def _writer(store_dir: str, prefix: str, count: int, result: multiprocessing.Queue) -> None:
    try:
        import pandas as pd

        from tests.sources.store.test_store import small_project
        from wbview.sources.store.store import Store

        store = Store(store_dir)
        data = small_project()
        base = data.runs["r1"]
        frame = next(iter(data.tables.values()))
        for i in range(count):
            # each writer adds its own runs and rewrites the shared table and history
            store.put_run(PROJECT, replace(base, id=f"{prefix}{i}", name=f"{prefix}-{i}"))
            store.put_table(PROJECT, "run-r3-evalpredictions:v0", "eval/predictions.table.json", pd.concat([frame] * (i + 1)))
            store.put_history(PROJECT, "r1", pd.DataFrame({"_step": range(i + 1), "loss": [0.5] * (i + 1)}))
        result.put(("ok", prefix))
    except BaseException:  # noqa: BLE001 - reported to the parent instead of dying silently
        result.put(("error", traceback.format_exc()))


def _reader(store_dir: str, result: multiprocessing.Queue) -> None:
    try:
        from wbview.records import TableRef
        from wbview.sources.store.local import LocalSource

        source = LocalSource(store_dir)
        ref = TableRef(
            run_id="r3", key="eval/predictions", artifact="run-r3-evalpredictions:v0", entry="eval/predictions.table.json"
        )
        reads = 0
        deadline = time.monotonic() + READ_SECONDS
        while time.monotonic() < deadline:
            runs = source.runs(PROJECT)
            assert {"r1", "r2", "r3"} <= {r.id for r in runs}
            frame = source.load_table(PROJECT, ref).frame
            assert len(frame) % 3 == 0 and len(frame) > 0  # whole copies of the 3-row table only
            history = source.history(PROJECT, "r1")
            assert list(history["_step"]) == list(range(len(history)))
            assert source.artifact(PROJECT, "model:prod").id == "model:v1"
            reads += 1
        result.put(("ok", reads))
    except BaseException:  # noqa: BLE001 - reported to the parent instead of dying silently
        result.put(("error", traceback.format_exc()))


@pytest.mark.timeout(120)
def test_readers_and_writers_share_one_store(tmp_path):
    from tests.sources.store.test_store import small_project
    from wbview.sources.store import LocalSource, Store

    store_dir = str(tmp_path / "store")
    Store(store_dir).write_project(PROJECT, small_project())
    ctx = multiprocessing.get_context("spawn")
    result = ctx.Queue()
    writers_per_process = 40
    processes = [ctx.Process(target=_reader, args=(store_dir, result)) for _ in range(2)]
    processes += [ctx.Process(target=_writer, args=(store_dir, prefix, writers_per_process, result)) for prefix in ("a", "b")]
    for process in processes:
        process.start()
    outcomes = [result.get(timeout=100) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    errors = [detail for status, detail in outcomes if status == "error"]
    assert errors == []
    reader_counts = [detail for status, detail in outcomes if isinstance(detail, int)]
    assert len(reader_counts) == 2 and all(count > 0 for count in reader_counts)
    # no lost update: both writers' runs are all there, next to the original three
    ids = {r.id for r in LocalSource(store_dir).runs(PROJECT)}
    expected = {"r1", "r2", "r3"} | {f"{p}{i}" for p in "ab" for i in range(writers_per_process)}
    assert ids == expected
    assert not list((tmp_path / "store").rglob(".tmp-*"))  # writers clean up after themselves
