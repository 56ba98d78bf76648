"""Memo and RecentResults: per-table work computed once, shared by concurrent sessions,
never written into by a caller."""

from __future__ import annotations

import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest

from wbview.analysis.columns import text_lengths, value_codes
from wbview.analysis.memo import Memo, RecentResults
from wbview.analysis.prepare import prepare, with_positive_class


def _race(n_threads: int, work) -> list:
    barrier = threading.Barrier(n_threads)
    results: list = [None] * n_threads
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except BaseException as exc:  # noqa: BLE001 - collected and re-raised by the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


@pytest.mark.parametrize("cache", [Memo(), RecentResults(4)], ids=["Memo", "RecentResults"])
def test_concurrent_callers_compute_once_and_share_the_value(cache):
    calls = []

    def compute():
        calls.append(1)
        time.sleep(0.05)  # long enough for every thread to arrive while it runs
        return np.arange(5)

    results = _race(8, lambda i: cache.get("key", compute))
    assert len(calls) == 1
    assert all(r is results[0] for r in results)


def test_other_keys_do_not_wait_for_a_slow_key():
    memo = Memo()
    started = threading.Event()
    release = threading.Event()

    def slow():
        started.set()
        release.wait(5)
        return 1

    worker = threading.Thread(target=lambda: memo.get("slow", slow))
    worker.start()
    started.wait(5)
    assert memo.get("fast", lambda: 2) == 2  # returned while "slow" is still computing
    release.set()
    worker.join()
    assert memo.get("slow", lambda: 3) == 1


def test_arrays_are_handed_out_read_only():
    memo = Memo()
    codes, values = memo.get(("codes", "x"), lambda: (np.zeros(3), [1, 2]))
    with pytest.raises(ValueError, match="read-only"):
        codes[0] = 1
    with pytest.raises(ValueError, match="read-only"):
        memo.get("a", lambda: np.ones(2))[0] = 5


def test_recent_results_keep_only_the_last_ones():
    recent = RecentResults(2)
    for key in "abc":
        recent.get(key, lambda key=key: key.upper())
    assert recent.get("a", lambda: "recomputed") == "recomputed"
    assert recent.get("c", lambda: "recomputed") == "C"


def test_prepared_table_work_is_shared_read_only_and_not_written_by_analyses():
    frame = pd.DataFrame(
        {"Decoded Text": ["a", "bb", None], "True Label": ["ham", "spam", "ham"], "Predicted Label": ["ham", "ham", "spam"]}
    )
    table = prepare(frame)
    lengths = _race(6, lambda i: text_lengths(table, "Decoded Text"))
    assert all(x is lengths[0] for x in lengths)
    assert not lengths[0].flags.writeable
    codes, _values = value_codes(table, "True Label")
    assert not codes.flags.writeable
    assert table.frame.equals(prepare(frame).frame)  # nothing written into the shared frame


def test_switching_the_positive_class_while_others_fill_the_memo_never_fails():
    """with_positive_class copies the shareable entries while other threads add entries
    (it used to iterate a plain dict that other sessions were writing into)."""
    frame = pd.DataFrame(
        {
            "Decoded Text": [f"text {i}" for i in range(50)],
            "True Label": ["ham", "spam"] * 25,
            "Predicted Label": ["spam", "spam"] * 25,
        }
    )
    table = prepare(frame)
    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:

        def work(i: int):
            if i % 2:
                for j in range(200):
                    table.memo.get(("length", f"col{i}-{j}"), lambda: np.zeros(1))
                return None
            return [with_positive_class(table, "ham") for _ in range(50)]

        _race(6, work)
    finally:
        sys.setswitchinterval(old_interval)
