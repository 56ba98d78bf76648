"""Benchmark: the dashboard server's memory after opening 10 different 1,000,000-row eval
tables one after another, with the table cache's size budget (ours, WBVIEW_TABLE_CACHE_MB at
its default) against no budget (the baseline: every table kept, as before the budget).

Set-up: a store with 10 eval runs, each with its own 1M-row table (the same synthetic samples,
each scored by a differently perturbed model); `streamlit run app.py` on it (started as the
browser tests start it); one headless Chromium tab opens Error analysis on each run in turn
and waits until the page is fully drawn (bench_browser's definition). The server's resident
memory (RSS) is sampled every 0.1 s; after the last table the tab is closed and the server
left idle for a few seconds, then its RSS is read once more.

Lines: one `bench:` line for the peak RSS and one for the RSS after the idle time (ours vs
baseline; a ratio above 1 means we hold less), and `# ` lines with the RSS after each table.
Environment: WBVIEW_BENCH_MEMORY_ROWS (default 1000000), WBVIEW_BENCH_MEMORY_TABLES (default 10).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

from bench.bench_analysis import N_ROWS
from bench.bench_browser import BrowserSession, PeakMemory, rows_label
from bench.common import report

ROWS = int(os.environ.get("WBVIEW_BENCH_MEMORY_ROWS", N_ROWS))
TABLES = int(os.environ.get("WBVIEW_BENCH_MEMORY_TABLES", 10))
PROJECT = "bench/ten-tables"
IDLE_S = 5.0
UNBOUNDED_MB = "1000000"  # the baseline: a budget no table set reaches


def _build_store(folder: Path) -> Path:
    from bench.bench_analysis import synthetic_eval_table
    from bench.bench_analysis_pages import _perturbed
    from wbview.records import Run, TableRef
    from wbview.sources.memory import ProjectData
    from wbview.sources.store.store import Store

    data = ProjectData()
    base = synthetic_eval_table(ROWS)
    for index in range(TABLES):
        run_id = f"r{index}"
        ref = TableRef(
            run_id=run_id,
            key="eval/predictions",
            artifact=f"run-{run_id}-evalpredictions:v0",
            entry="eval/predictions.table.json",
            nrows=ROWS,
            stored_rows=ROWS,
        )
        data.runs[run_id] = Run(
            id=run_id, entity="bench", project="ten-tables", name=f"eval-{index}", job_type="eval", tables=(ref,)
        )
        data.tables[(ref.artifact, ref.entry)] = _perturbed(base, seed=index + 1)
    store = folder / "store"
    Store(store).write_project(PROJECT, data)
    return store


async def _open_each(base: str, store: Path, memory: PeakMemory) -> list[int]:
    from playwright.async_api import async_playwright

    from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS

    after: list[int] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1400, "height": 1500})
            query = {"source": f"store:{store}", "project": PROJECT}
            session = await BrowserSession.start(context, base, query)
            await session.open("")
            for index in range(TABLES):
                await session.open("error_analysis", run=f"r{index}")
                after.append(memory.rss())
            await session.close()
            await context.close()
        finally:
            await browser.close()
    return after


def _serve_and_measure(store: Path, folder: Path, budget_mb: str | None) -> tuple[int, int, list[int]]:
    from tests.browser.harness import streamlit_server

    name = "ours" if budget_mb is None else "baseline"
    (folder / name).mkdir()
    env = {} if budget_mb is None else {"WBVIEW_TABLE_CACHE_MB": budget_mb}
    with streamlit_server(store, folder / name, folder / f"{name}.log", extra_env=env) as (base, process):
        with PeakMemory(process.pid) as memory:
            after = asyncio.run(_open_each(base, store, memory))
            time.sleep(IDLE_S)
            idle = memory.rss()
    return memory.peak, idle, after


def main() -> None:
    from tests.browser.harness import CHROMIUM
    from wbview.settings import table_cache_bytes

    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing: apt-get install chromium")
    started = time.perf_counter()
    rows = rows_label(ROWS)
    with tempfile.TemporaryDirectory(prefix="wbview-bench-memory-") as tmp:
        folder = Path(tmp)
        store = _build_store(folder)
        print(f"# store with {TABLES} runs of {rows} each built in {time.perf_counter() - started:.1f} s", flush=True)
        ours = _serve_and_measure(store, folder, None)
        baseline = _serve_and_measure(store, folder, UNBOUNDED_MB)
    budget = table_cache_bytes() / 2**20
    for label, (_, _, after) in (("ours", ours), ("baseline", baseline)):
        print(f"# server RSS (MiB) after each of {TABLES} tables, {label}: " + ", ".join(f"{b / 2**20:,.0f}" for b in after))
    what = f"{TABLES} different {rows} tables opened, budget {budget:,.0f} MiB vs none"
    report(f"server peak memory, {what}", ours[0] / 2**20, baseline[0] / 2**20, "MiB")
    report(f"server memory {IDLE_S:g} s after, {what}", ours[1] / 2**20, baseline[1] / 2**20, "MiB")
    print(f"# memory bench took {time.perf_counter() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
