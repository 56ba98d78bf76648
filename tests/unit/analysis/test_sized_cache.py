"""SizedCache and estimate_bytes: the dashboard's shared tables under a memory budget."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest

from wbview.analysis.memo import SizedCache, estimate_bytes
from wbview.analysis.prepare import prepare


def _frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "p": rng.random(n),
            "text": pd.array([f"message number {i} " * (1 + i % 5) for i in range(n)], dtype="str"),
            "label": pd.Categorical(rng.choice(["ham", "phishing"], n)),
            "meta": [{"k": i} for i in range(n)],
        }
    )


def test_estimate_matches_pandas_for_typed_columns_and_samples_object_cells():
    frame = _frame(20_000)
    exact = frame.memory_usage(index=False, deep=True)
    typed = ["id", "p", "text", "label"]
    assert estimate_bytes(frame[typed]) == int(exact[typed].sum())
    ratio = estimate_bytes(frame["meta"]) / exact["meta"]
    assert 0.8 < ratio < 1.25  # a sample of about 1,000 dicts stands for 20,000


def test_a_shallow_copy_shares_its_columns_and_is_counted_once():
    frame = _frame(5_000)
    alone = estimate_bytes(frame)
    shallow = frame.copy(deep=False)
    assert estimate_bytes((frame, shallow)) == pytest.approx(alone, rel=0.01)
    numbers = frame[["id", "p"]]  # a deep copy of NumPy columns owns new buffers (Arrow ones may still share)
    assert estimate_bytes((numbers, numbers.copy(deep=True))) == pytest.approx(2 * estimate_bytes(numbers), rel=0.01)


def test_a_prepared_table_costs_little_beyond_the_loaded_frame_it_shares():
    frame = pd.DataFrame(
        {
            "Decoded Text": pd.array([f"text {i} " * 20 for i in range(10_000)], dtype="str"),
            "True Label": np.where(np.arange(10_000) % 3 == 0, "phishing", "ham"),
            "Predicted Label": np.where(np.arange(10_000) % 4 == 0, "phishing", "ham"),
            "Prob (Phishing)": np.linspace(0, 1, 10_000),
        }
    )
    table = prepare(frame)
    together = estimate_bytes((frame, table))
    assert estimate_bytes(frame) < together < 1.6 * estimate_bytes(frame)


@pytest.mark.parametrize(
    ("sizes", "budget", "uses", "held"),
    [
        ({"a": 60, "b": 60}, 100, ["a", "b"], ["b"]),  # over budget: the older family goes
        ({"a": 40, "b": 40}, 100, ["a", "b"], ["a", "b"]),  # fits: both stay
        ({"a": 40, "b": 40, "c": 40}, 100, ["a", "b", "a", "c"], ["a", "c"]),  # a was used again: b is the oldest
        ({"big": 500}, 100, ["big"], ["big"]),  # the family in use stays, even alone over budget
        ({"a": 10, "big": 500}, 100, ["a", "big"], ["big"]),
    ],
)
def test_least_recently_used_families_are_evicted_beyond_the_budget(sizes, budget, uses, held):
    cache = SizedCache(budget, size_of=lambda value: sizes[value])
    for name in uses:
        assert cache.get(name, "loaded", lambda n=name: n) == name
    assert cache.families() == held


def test_a_family_is_evicted_with_everything_derived_from_it():
    sizes = {"t1": 50, "t1-prepared": 30, "t2": 50}
    cache = SizedCache(100, size_of=lambda value: sizes[value])
    cache.get("t1", "loaded", lambda: "t1")
    cache.get("t1", "prepared", lambda: "t1-prepared")
    assert cache.total_bytes() == 80
    cache.get("t2", "loaded", lambda: "t2")
    assert cache.families() == ["t2"] and cache.total_bytes() == 50 and cache.evictions == 1
    calls = []
    cache.get("t1", "prepared", lambda: calls.append(1) or "t1-prepared")  # computed again after eviction
    assert calls == [1]


def test_each_value_is_computed_once_when_sessions_ask_at_the_same_moment():
    cache = SizedCache(10**9)
    calls: list[int] = []
    barrier = threading.Barrier(8)
    results: list[object] = [None] * 8

    def compute() -> np.ndarray:
        calls.append(1)
        threading.Event().wait(0.05)  # long enough for every thread to arrive
        return np.zeros(1000)

    def session(i: int) -> None:
        barrier.wait()
        results[i] = cache.get(("spec", "project", "ref"), "loaded", compute)

    threads = [threading.Thread(target=session, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert all(r is results[0] for r in results)


def test_clear_drops_everything():
    cache = SizedCache(10**9)
    cache.get("a", "loaded", lambda: np.zeros(10))
    cache.clear()
    assert cache.families() == [] and cache.total_bytes() == 0


def test_figures_and_cycles_in_a_memo_are_sized_without_recursing_through_them():
    import plotly.graph_objects as go

    from wbview.analysis.memo import Memo, RecentResults

    figure = go.Figure(go.Bar(x=list(range(100)), y=list(range(100))))
    loop: list = []
    loop.append(loop)
    memo = Memo()
    recent = memo.get(("view",), lambda: RecentResults(4))
    recent.get("figures", lambda: {"histogram": figure, "loop": loop, "mask": np.zeros(1000, dtype=bool)})
    assert 1000 < estimate_bytes(memo) < 100_000


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, 1024 * 2**20), ("512", 512 * 2**20), ("0.5", 2**19), ("abc", "not a number of megabytes"), ("0", "positive")],
)
def test_the_table_budget_setting(value, expected):
    from wbview.errors import UsageError
    from wbview.settings import table_cache_bytes

    environ = {} if value is None else {"WBVIEW_TABLE_CACHE_MB": value}
    if isinstance(expected, int):
        assert table_cache_bytes(environ) == expected
    else:
        with pytest.raises(UsageError, match=expected):
            table_cache_bytes(environ)
