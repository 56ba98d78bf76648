"""Reopening a 200,000-row eval table from the local store (the cache), against its first
load from the fake W&B server and against wandb's own ``artifact.get(key).get_dataframe()``.

Everything runs against the loopback fake W&B server (tests/fakewandb.py) with the real
wandb client; the network part is local, so the first-load numbers are a lower bound.
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.bench_wandb import wandb_env
from bench.common import report, timeit

ROWS = 200_000
RUN_ID = "benchrun"
KEY = "eval/predictions"


def _project(frame):
    from tests.fixtures import run_table_artifact_name
    from wbview.records import ArtifactFile, ArtifactVersion, Run, RunArtifacts, TableRef
    from wbview.sources.memory import ProjectData

    created = datetime(2026, 1, 1, tzinfo=UTC)
    name = run_table_artifact_name(RUN_ID, KEY)
    entry = f"{KEY}.table.json"
    ref = TableRef(run_id=RUN_ID, key=KEY, artifact=f"{name}:v0", entry=entry, nrows=len(frame), stored_rows=len(frame))
    data = ProjectData()
    data.runs[RUN_ID] = Run(
        id=RUN_ID,
        entity="acme",
        project="bench",
        name="eval",
        job_type="eval",
        state="finished",
        created_at=created,
        tables=(ref,),
    )
    data.artifacts[ref.artifact] = ArtifactVersion(
        "acme", "bench", name, "v0", "run_table", ("latest",), created_at=created, files=(ArtifactFile(entry),), logged_by=RUN_ID
    )
    data.run_artifacts[RUN_ID] = RunArtifacts(RUN_ID, logged=(ref.artifact,))
    data.tables[(ref.artifact, entry)] = frame
    return data, ref


def main() -> None:
    from tests.fakewandb import FakeWandb
    from tests.fixtures import build_large_table
    from wbview.settings import load_settings
    from wbview.sources.cached import CachedSource
    from wbview.sources.wandb import WandbSource

    data, ref = _project(build_large_table(ROWS))
    project = "acme/bench"
    with tempfile.TemporaryDirectory(prefix="wbview-bench-store-") as tmp, FakeWandb({project: data}) as fake:
        with wandb_env(**fake.env()):
            # the fake server builds the entry's bytes once: do it before timing, as a real server has them stored
            fake.content(project, data.artifacts[ref.artifact], ref.entry)
            source = WandbSource(load_settings(), timeout_s=120)
            cache_dir = Path(tmp) / "cache"

            started = time.perf_counter()
            first = CachedSource(source, cache_dir).load_table(project, ref)
            first_load_s = time.perf_counter() - started
            assert len(first.frame) == ROWS

            requests_before = len(fake.requests)
            reopen_s = timeit(lambda: CachedSource(source, cache_dir).load_table(project, ref), repeat=5)
            reopen_requests = len(fake.requests) - requests_before
            assert reopen_requests == 0, f"reopening cost {reopen_requests} requests"

            import wandb

            artifact = wandb.Api(timeout=120).artifact(f"{project}/{ref.artifact}")
            started = time.perf_counter()
            frame = artifact.get(KEY).get_dataframe()
            wandb_s = time.perf_counter() - started
            assert len(frame) == ROWS
            source.close()

    report(f"store: reopen {ROWS:,}-row table from the store vs first load from W&B (fake server)", reopen_s, first_load_s, "s")
    report(f"store: reopen {ROWS:,}-row table from the store vs artifact.get(key).get_dataframe()", reopen_s, wandb_s, "s")
    print(f"# store: reopening cost {reopen_requests} requests", flush=True)


if __name__ == "__main__":
    main()
