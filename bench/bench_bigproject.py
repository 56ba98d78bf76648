"""The Runs page's first open on a big W&B project (1,000, 10,000 and 50,000 runs), ours
against the old behaviour, side by side on the loopback fake W&B server with the real
wandb client:

- ours: the dashboard opened from a link with a filter (``?source=wandb&project=...&f=...``),
  run through Streamlit's AppTest: the latest 200 runs for the filter choices, then one page
  of 50 matching runs filtered, sorted and counted by the server, no history;
- baseline: what listing every run costs, as the page did before: ``wandb.Api().runs()``
  iterated to the end (200 runs a request, config and summary inline), every run converted,
  then filtered and sorted in memory for the same first 50. The baseline renders nothing,
  so it is cheaper than the old page was; ours includes the page's own script run.

Each side runs in a fresh process of its own that first opens a 20-run project outside
the clock (modules imported, wandb-core started: a server already up); its peak memory
is that process's peak resident set (wandb-core, a separate Go process, is not counted). The browser's share (sending and
drawing the page) is not included. The fake server answers each filtered, sorted listing
from memory after computing it once, so the server's cost stays small and the numbers are
the client's.

Lines: one ``bench:`` line per size (first-open seconds), a ``#`` line per size with peak
memory and listing requests, and a ``# growth`` line (1,000 -> largest size) with the
linear factor beside it. ``WBVIEW_BENCH_BIGPROJECT_SIZES=1000,10000`` runs fewer sizes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.common import report

ROOT = Path(__file__).resolve().parent.parent
SIZES = (1_000, 10_000, 50_000)
PROJECT = "acme/many"
WARM = "acme/warm"  # a small project opened first, outside the clock
FILTER = "params.optimizer.name=adamw"  # half the runs match
ORDER = "-eval/f1"  # the page's default ranking metric, best first
PAGE = 50
CHILD_TIMEOUT_S = 900


def sizes() -> tuple[int, ...]:
    configured = os.environ.get("WBVIEW_BENCH_BIGPROJECT_SIZES", "").strip()
    return tuple(int(s) for s in configured.split(",") if s.strip()) if configured else SIZES


# --- the two sides, each in a process of its own ----------------------------------------


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _ours() -> dict[str, Any]:
    import time

    import plotly.graph_objects  # noqa: F401 - imported before the clock, as in a running server
    import wandb  # noqa: F401
    from streamlit.testing.v1 import AppTest

    def open_link(project: str) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=CHILD_TIMEOUT_S)
        for key, value in {"source": "wandb", "project": project, "f": FILTER}.items():
            at.query_params[key] = value
        return at.run()  # the Runs page is the app's default page: this is the open from the link

    open_link(WARM)  # a server already up: modules imported, wandb-core started
    started = time.perf_counter()
    at = open_link(PROJECT)
    seconds = time.perf_counter() - started
    problems = [str(e.value) for e in at.exception] + [str(e.value) for e in at.error]
    shown = at.dataframe[-1].value if len(at.dataframe) else None
    best = [] if shown is None else [float(v) for v in shown["summary.eval/f1"]]
    return {"seconds": seconds, "rss_mb": _peak_rss_mb(), "problems": problems, "best": best}


def _baseline() -> dict[str, Any]:
    import time

    import wandb

    from wbview.filters import RunOrder, parse_filters
    from wbview.sources.wandb.convert import run_record

    run_filter = parse_filters([FILTER])
    api = wandb.Api(overrides={"base_url": os.environ["WANDB_BASE_URL"], "entity": "acme"}, timeout=600)
    list(api.runs(WARM, per_page=200, lazy=False))  # a process already up: wandb-core started
    api.flush()
    started = time.perf_counter()
    records = [run_record(r, "acme", "many") for r in api.runs(PROJECT, per_page=200, lazy=False)]
    matching = [r for r in records if run_filter.matches(r)]
    first = RunOrder.parse(ORDER).sort(matching)[:PAGE]
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rss_mb": _peak_rss_mb(), "problems": [], "best": [r.summary["eval/f1"] for r in first]}


def child() -> None:
    """Entry point of a measuring process: ``sys.argv[1]`` names the side."""
    result = _ours() if sys.argv[1] == "ours" else _baseline()
    print("RESULT " + json.dumps(result), flush=True)


def _measure(side: str, env: dict[str, str]) -> dict[str, Any]:
    code = "import bench.bench_bigproject as m; m.child()"
    done = subprocess.run(
        [sys.executable, "-c", code, side],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
        check=False,
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if done.returncode or line is None:
        raise RuntimeError(f"{side} failed (exit {done.returncode}): {done.stderr[-2000:]}")
    return json.loads(line[len("RESULT ") :])


# --- the comparison ------------------------------------------------------------------------


def _project(count: int) -> Any:
    from bench.bench_wandb import many_runs_project

    return many_runs_project(count)


def main() -> None:
    from bench.bench_wandb import wandb_env
    from tests.fakewandb import FakeWandb

    results: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
    for count in sizes():
        data = _project(count)
        with (
            FakeWandb({PROJECT: data, WARM: _project(20)}, memo_listings=True) as fake,
            wandb_env(**fake.env()),
            tempfile.TemporaryDirectory(prefix="wbview-bench-big-") as scratch,
        ):
            env = dict(os.environ, PYTHONPATH=str(ROOT), WBVIEW_CACHE_DIR=str(Path(scratch) / "cache"))
            measured = {}
            for side in ("baseline", "ours"):
                fake.set_project(PROJECT, data)  # a cold server: the listings are computed again
                fake.reset()
                measured[side] = _measure(side, env)
                measured[side]["requests"] = sum(
                    1 for r in fake.requests if r.op == "Runs" and r.variables.get("project") == "many"
                )
                measured[side]["histories"] = sum(1 for r in fake.requests if r.op and "History" in r.op)
            ours, base = measured["ours"], measured["baseline"]
            if ours["problems"] or ours["best"] != base["best"] or len(ours["best"]) != PAGE:
                raise RuntimeError(f"{count} runs: ours differs from the baseline: {ours['problems'] or ours['best'][:5]}")
        results[count] = (ours, base)
        report(f"Runs page first open from a filtered link, {count:,} runs", ours["seconds"], base["seconds"], "s")
        print(
            f"# {count:,} runs: peak memory ours={ours['rss_mb']:.0f} MB baseline={base['rss_mb']:.0f} MB; "
            f"listing requests ours={ours['requests']} baseline={base['requests']}; "
            f"history requests ours={ours['histories']}",
            flush=True,
        )
    counts = sorted(results)
    if len(counts) > 1:
        small, large = counts[0], counts[-1]

        def growth(side: int, key: str) -> float:
            return results[large][side][key] / results[small][side][key]

        print(
            f"# growth {small:,} -> {large:,} runs (linear: x{large / small:.0f}): time ours x{growth(0, 'seconds'):.1f} "
            f"baseline x{growth(1, 'seconds'):.1f}; peak memory ours x{growth(0, 'rss_mb'):.2f} "
            f"baseline x{growth(1, 'rss_mb'):.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
