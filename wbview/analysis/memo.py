"""Derived data of one prepared table, computed once and shared safely.

A ``PreparedTable`` is shared by every browser session (the dashboard keeps one per loaded
table), so per-table work (codes, text lengths, text features, curves) must be computed
once even when several sessions ask at the same moment, and nobody may change a value
another session reads. ``Memo.get(key, compute)`` runs ``compute`` at most once per key,
under a lock of that key only (sessions working on other keys never wait), and returns
the same object to every caller; NumPy arrays are handed out read-only.
"""

from __future__ import annotations

import dataclasses
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")


def _read_only(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    elif isinstance(value, tuple):
        for item in value:
            _read_only(item)
    return value


class Memo:
    """A thread-safe, compute-once mapping from keys to derived values."""

    def __init__(self, values: dict[Hashable, Any] | None = None):
        self._values: dict[Hashable, Any] = dict(values or {})
        self._locks: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value for ``key``, computing it with ``compute()`` the first time only."""
        try:
            return self._values[key]  # values are keyed by their producer
        except KeyError:
            pass
        with self._lock:
            key_lock = self._locks.setdefault(key, threading.Lock())
        with key_lock:
            if key in self._values:
                return self._values[key]  # computed while we waited
            value = _read_only(compute())
            with self._lock:
                self._values[key] = value
            return value

    def __contains__(self, key: Hashable) -> bool:
        return key in self._values

    def subset(self, keep: Callable[[Hashable], bool]) -> Memo:
        """A new Memo holding the values whose key ``keep`` accepts (shared, not copied)."""
        with self._lock:
            return Memo({k: v for k, v in self._values.items() if keep(k)})

    def keys(self) -> Iterable[Hashable]:
        with self._lock:
            return list(self._values)


class RecentResults:
    """The last ``size`` results of one view of a table (least recently used evicted),
    safe to share between threads; each result is computed once even under concurrency."""

    def __init__(self, size: int):
        self.size = size
        self._results: OrderedDict[Hashable, Any] = OrderedDict()
        self._pending: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._results:
                self._results.move_to_end(key)
                return self._results[key]  # keyed by the caller's view
            key_lock = self._pending.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._results:
                    return self._results[key]  # computed while we waited
            value = _read_only(compute())
            with self._lock:
                self._results[key] = value
                self._pending.pop(key, None)
                while len(self._results) > self.size:
                    self._results.popitem(last=False)
            return value


MAX_DEPTH = 8  # nesting followed by estimate_bytes; deeper parts count by their own size


def estimate_bytes(value: Any, _seen: set[Any] | None = None, _depth: int = 0) -> int:
    """Roughly how much memory ``value`` holds: NumPy arrays and pandas frames exactly
    (Arrow strings included); Python-object columns from a sample of their cells; tuples,
    lists, dicts and dataclasses (records, prepared tables) by their parts, as deep as
    MAX_DEPTH. Shared parts are counted once."""

    import pandas as pd

    seen = set() if _seen is None else _seen
    if _depth > MAX_DEPTH:
        return sys.getsizeof(value)
    if isinstance(value, pd.Series):  # often a temporary (a frame's column): known by its buffer, not its id
        return _series_bytes(value, seen)
    if id(value) in seen:
        return 0
    seen.add(id(value))
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, pd.DataFrame):
        return sum(estimate_bytes(value.iloc[:, i], seen, _depth + 1) for i in range(value.shape[1]))
    if isinstance(value, (tuple, list, set, frozenset)):
        return sys.getsizeof(value) + sum(estimate_bytes(v, seen, _depth + 1) for v in value)
    if isinstance(value, dict):
        return sys.getsizeof(value) + sum(estimate_bytes(v, seen, _depth + 1) for v in value.values())
    if isinstance(value, Memo):
        return sum(estimate_bytes(value._values.get(k), seen, _depth + 1) for k in value.keys())
    if isinstance(value, RecentResults):
        with value._lock:
            held = list(value._results.values())
        return sum(estimate_bytes(v, seen, _depth + 1) for v in held)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):  # records, prepared and loaded tables
        parts = [getattr(value, f.name, None) for f in dataclasses.fields(value)]
        return sys.getsizeof(value) + sum(estimate_bytes(v, seen, _depth + 1) for v in parts)
    return sys.getsizeof(value)  # anything else (a figure, a scalar) by its own size only


def _series_bytes(series: Any, seen: set[Any]) -> int:

    storage = _storage_address(series)  # a shallow copy's column shares its buffers: count them once
    if storage is not None:
        if ("buffer", storage) in seen:
            return 0
        seen.add(("buffer", storage))
    if series.dtype != object:
        return int(series.memory_usage(index=False, deep=True))
    sample = series.iloc[:: max(1, len(series) // 1000)]  # object cells: a sample of about 1,000
    per_cell = sum(sys.getsizeof(v) for v in sample) / max(1, len(sample))
    return int(len(series) * (8 + per_cell))


def _storage_address(series: Any) -> int | None:
    """The address of the first buffer behind a pandas column (NumPy, categorical codes or
    Arrow), the same for every shallow copy of it; None when it cannot be told."""
    array = series.array
    try:
        if hasattr(array, "_pa_array"):
            chunks = array._pa_array.chunks
            buffers = [b for b in chunks[0].buffers() if b is not None] if chunks else []
            return int(buffers[-1].address) if buffers else None
        if hasattr(array, "codes"):
            return int(array.codes.__array_interface__["data"][0])
        if hasattr(array, "_ndarray"):
            return int(array._ndarray.__array_interface__["data"][0])
    except (AttributeError, IndexError, KeyError, TypeError):  # another pandas layout: count it
        return None
    return None


class SizedCache:
    """Big values (loaded tables, prepared tables) kept in memory under a size budget.

    Values live in *families*: a loaded table and everything derived from it (its prepared
    forms, whose frames share the loaded table's columns) form one family and are evicted
    together, least recently used first, whenever the families' total estimated size goes
    over ``max_bytes``, so that evicting frees the memory for real. The family in use is
    never evicted, so one table bigger than the budget still opens. Each value is computed
    once even when several sessions ask at the same moment (a lock per key); a family's
    size is estimated again at each check, since its prepared tables' memos grow with use.
    """

    def __init__(self, max_bytes: int, size_of: Callable[[Any], int] = estimate_bytes):
        self.max_bytes = max_bytes
        self._size_of = size_of
        self._families: OrderedDict[Hashable, dict[Hashable, Any]] = OrderedDict()
        self._pending: dict[tuple[Hashable, Hashable], threading.Lock] = {}
        self._lock = threading.Lock()
        self.evictions = 0

    def get(self, family: Hashable, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            values = self._families.get(family)
            if values is not None and key in values:
                self._families.move_to_end(family)
                return values[key]
            key_lock = self._pending.setdefault((family, key), threading.Lock())
        with key_lock:
            with self._lock:
                values = self._families.get(family)
                if values is not None and key in values:
                    return values[key]  # computed while we waited
            value = compute()
            with self._lock:
                self._families.setdefault(family, {})[key] = value
                self._families.move_to_end(family)
                self._pending.pop((family, key), None)
                evicted = self._evict_over_budget(keep=family)
        if evicted:
            _release_freed_memory()
        return value

    def _evict_over_budget(self, keep: Hashable) -> int:
        """Drop least recently used families until the rest fits (caller holds the lock)."""
        sizes = {family: self._family_bytes(values) for family, values in self._families.items()}
        total, evicted = sum(sizes.values()), 0
        for family in list(self._families):
            if total <= self.max_bytes:
                break
            if family == keep:
                continue
            del self._families[family]
            total -= sizes[family]
            evicted += 1
        self.evictions += evicted
        return evicted

    def _family_bytes(self, values: dict[Hashable, Any]) -> int:
        seen: set[Any] = set()
        return sum(estimate_bytes(v, seen) if self._size_of is estimate_bytes else self._size_of(v) for v in values.values())

    def total_bytes(self) -> int:
        with self._lock:
            return sum(self._family_bytes(values) for values in self._families.values())

    def families(self) -> list[Hashable]:
        """The families held, least recently used first."""
        with self._lock:
            return list(self._families)

    def clear(self) -> None:
        with self._lock:
            self._families.clear()
        _release_freed_memory()


def _release_freed_memory() -> None:
    """Ask glibc to hand freed heap pages back to the system (a no-op elsewhere): after an
    eviction the server's resident memory should fall, not just its free lists grow."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the allocator keeps its own policy
        pass
    try:
        from wbview.formats.contiguous import release_arrow_memory

        release_arrow_memory()
    except ImportError:  # no pyarrow: nothing of ours lives in its allocator
        pass
