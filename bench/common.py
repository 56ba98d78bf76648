"""Helpers shared by the benchmarks.

Two kinds of line:
- ``report``: ours against a baseline measured side by side in the same run,
  ``bench: <name>: ours=<v> <unit> baseline=<v> <unit> ratio=<baseline/ours>``
  (a ratio above 1 means wbview is better);
- ``target``: ours against a fixed budget from an issue (there is no baseline to run),
  ``target: <name>: ours=<v> s limit=<v> s met|MISSED``. A budget is not a baseline, so it
  never appears in a ``bench:`` line.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def timeit(fn: Callable[[], object], repeat: int = 3) -> float:
    """Median wall time of ``fn`` in seconds over ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def report(name: str, ours: float, baseline: float, unit: str) -> str:
    """Print one comparison line: lower is better for both values (times, requests, bytes)."""
    ratio = baseline / ours if ours else float("inf")
    line = f"bench: {name}: ours={ours:.4g} {unit} baseline={baseline:.4g} {unit} ratio={ratio:.2f}"
    print(line, flush=True)
    return line


def target(name: str, ours_s: float, limit_s: float = 1.0) -> str:
    """Print one line against a fixed time budget (no baseline)."""
    verdict = "met" if ours_s <= limit_s else "MISSED"
    line = f"target: {name}: ours={ours_s:.4g} s limit={limit_s:.4g} s {verdict}"
    print(line, flush=True)
    return line
