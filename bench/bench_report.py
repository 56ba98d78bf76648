"""Benchmark: the size and build time of a review file (``wbview report``) for a
1,000,000-row eval table, alone and against a second 1,000,000-row run.

No baseline exists to run side by side (no other tool writes this file), so it prints
plain lines: ``# report <case>: size=<bytes> bytes, time=<seconds> s`` and whether the
size stays within the budget that tests/cli/test_report.py asserts on the demo.
"""

from __future__ import annotations

import time

from bench.bench_analysis import N_ROWS, synthetic_eval_table

SIZE_BUDGET_BYTES = 3_000_000  # as in tests/cli/test_report.py


def _one(name: str, frames: list, labels: list[str]) -> None:
    from wbview.analysis.prepare import prepare
    from wbview.analysis.review import RunInput, build_review
    from wbview.report.html import render_html

    started = time.perf_counter()
    runs = [
        RunInput(label, prepare(frame), table_key="eval/predictions", dataset="bench/p/data:v1")
        for label, frame in zip(labels, frames, strict=True)
    ]
    document = render_html(build_review(runs, fn_cost=5.0))
    elapsed = time.perf_counter() - started
    size = len(document.encode("utf-8"))
    verdict = "within" if size <= SIZE_BUDGET_BYTES else "OVER"
    print(
        f"# report {name}: size={size} bytes, time={elapsed:.2f} s ({verdict} the {SIZE_BUDGET_BYTES:,}-byte budget; "
        "time includes prepare)",
        flush=True,
    )


def main() -> None:
    a = synthetic_eval_table(N_ROWS, seed=0)
    _one("1M rows", [a], ["bench/p/run-a"])
    b = synthetic_eval_table(N_ROWS, seed=1)
    _one("1M rows, 2 runs", [a, b], ["bench/p/run-a", "bench/p/run-b"])


if __name__ == "__main__":
    main()
