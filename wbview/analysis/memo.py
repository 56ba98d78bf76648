"""Derived data of one prepared table, computed once and shared safely.

A ``PreparedTable`` is shared by every browser session (the dashboard keeps one per loaded
table), so per-table work (codes, text lengths, text features, curves) must be computed
once even when several sessions ask at the same moment, and nobody may change a value
another session reads. ``Memo.get(key, compute)`` runs ``compute`` at most once per key,
under a lock of that key only (sessions working on other keys never wait), and returns
the same object to every caller; NumPy arrays are handed out read-only.
"""

from __future__ import annotations

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
