"""Helpers shared by the benchmarks."""

from __future__ import annotations

import statistics
import time
from typing import Callable


def timeit(fn: Callable[[], object], repeat: int = 3) -> float:
    """Median wall time of ``fn`` in seconds over ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def report(name: str, ours: float, baseline: float, unit: str, higher_is_better: bool = False) -> str:
    """Print one comparison line; ratio > 1 always means wbview is better."""
    ratio = (ours / baseline) if higher_is_better else (baseline / ours if ours else float("inf"))
    line = f"bench: {name}: ours={ours:.4g} {unit} baseline={baseline:.4g} {unit} ratio={ratio:.2f}"
    print(line, flush=True)
    return line
