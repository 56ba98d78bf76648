"""Benchmark: the Error analysis page on a 1,000,000-row eval table, end to end.

Each interaction is one full rerun of the page through streamlit's AppTest (analysis,
figure building, table serialisation), after the table was loaded and prepared once.
Each line is a `target:` line against the issue's 1 s budget (there is no other dashboard to race).
"""

from __future__ import annotations

import time
from pathlib import Path

from bench.bench_analysis import N_ROWS, synthetic_eval_table
from bench.common import target

TARGET_S = 1.0
APP = Path(__file__).resolve().parent.parent / "app.py"
PROJECT = "bench/million"


def _source():
    from wbview.records import ArtifactFile, ArtifactVersion, Run, RunArtifacts, TableRef
    from wbview.sources.memory import MemorySource, ProjectData

    data = ProjectData()
    ref = TableRef(
        run_id="big",
        key="eval/predictions",
        artifact="run-big-evalpredictions:v0",
        entry="eval/predictions.table.json",
        nrows=N_ROWS,
        stored_rows=N_ROWS,
    )
    data.runs["big"] = Run(id="big", entity="bench", project="million", name="million-row-eval", job_type="eval", tables=(ref,))
    data.artifacts[ref.artifact] = ArtifactVersion(
        "bench", "million", "run-big-evalpredictions", "v0", "run_table", files=(ArtifactFile(ref.entry),), logged_by="big"
    )
    data.run_artifacts["big"] = RunArtifacts("big", logged=(ref.artifact,))
    data.tables[(ref.artifact, ref.entry)] = synthetic_eval_table(N_ROWS)
    return MemorySource({PROJECT: data}, label="benchmark")


def _timed_run(at) -> float:
    started = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - started
    if at.exception or at.error:
        raise RuntimeError(f"the page failed: {[e.value for e in at.exception] + [e.value for e in at.error]}")
    return elapsed


def main() -> None:
    from streamlit.testing.v1 import AppTest

    from wbview.ui.source import register_source

    spec = register_source("bench-million", _source())
    at = AppTest.from_file(str(APP), default_timeout=600)
    at.query_params.update({"source": spec, "project": PROJECT})
    at.run()
    at.switch_page("pages/error_analysis.py")
    load_s = _timed_run(at)
    target("dashboard error analysis first open (prepare 1M in-memory rows + render)", load_s, TARGET_S)
    target("dashboard error analysis rerun, nothing changed", _timed_run(at), TARGET_S)

    steps = [
        ("group by Source", lambda: at.selectbox(key="by").set_value("Source")),
        ("search the text", lambda: at.text_input(key="q").input("urgent")),
        ("clear the search", lambda: at.text_input(key="q").input("")),
        ("confusion cell phishing -> ham", lambda: at.selectbox(key="cell").set_value("true phishing → predicted ham")),
        ("open the High-confidence errors tab", lambda: at.session_state.__setitem__("tab", "High-confidence errors")),
        ("high-confidence threshold 0.95", lambda: at.slider(key="min_conf").set_value(0.95)),
        ("back to the Group by tab", lambda: at.session_state.__setitem__("tab", "Group by")),
        ("add a filter widget for a column", lambda: at.multiselect(key="row_filter_cols").set_value(["Source"])),
        ("filter that column to one value", lambda: at.multiselect(key="rf.Source").set_value(["mail"])),
        ("back to all rows", lambda: at.selectbox(key="cell").set_value("all rows")),
    ]
    for name, change in steps:
        change()
        target(f"dashboard error analysis interaction: {name} (1M rows)", _timed_run(at), TARGET_S)


if __name__ == "__main__":
    main()
