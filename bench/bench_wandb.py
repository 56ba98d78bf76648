"""The W&B data layer against plain use of ``wandb.Api``, side by side, on the loopback
fake W&B server (tests/fakewandb.py) with the real wandb client:

1. listing 1,000 runs with config and summary: requests and seconds, against
   ``wandb.Api().runs(path)`` with default arguments and each run's ``config`` touched;
2. the 2-hop lineage of a run: requests, against a plain
   ``logged_by``/``used_by``/``logged_artifacts``/``used_artifacts`` walk;
3. loading a 200,000-row eval table: seconds, against
   ``artifact.get(key).get_dataframe()``.

The server is local, so seconds are a lower bound on what a real server costs; request
counts are what they would be against W&B.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import report, timeit

RUN_COUNT = 1_000
TABLE_ROWS = 200_000
TABLE_KEY = "eval/predictions"
LINEAGE_CONSUMERS = 6  # eval runs that used the model the root run logged


@contextmanager
def wandb_env(**extra: str) -> Iterator[None]:
    """wandb's directories in scratch space and the client pointed at the fake server."""
    with tempfile.TemporaryDirectory(prefix="wbview-bench-wandb-") as scratch:
        names = ("WANDB_DIR", "WANDB_CACHE_DIR", "WANDB_DATA_DIR", "WANDB_CONFIG_DIR", "WANDB_ARTIFACT_DIR")
        values = {name: os.path.join(scratch, name.lower()) for name in names} | {"WANDB_SILENT": "true"} | extra
        saved = {name: os.environ.get(name) for name in values}
        os.environ.update(values)
        try:
            yield
        finally:
            for name, value in saved.items():
                os.environ.pop(name, None) if value is None else os.environ.__setitem__(name, value)


def many_runs_project(count: int) -> Any:
    """``count`` runs with nested configs and a few summary metrics."""
    from wbview.records import Run
    from wbview.sources.memory import ProjectData

    start = datetime(2026, 1, 1, tzinfo=UTC)
    data = ProjectData()
    for index in range(count):
        run_id = f"r{index:07d}"
        data.runs[run_id] = Run(
            id=run_id,
            entity="acme",
            project="many",
            name=f"exp-{index // 10:03d}-train-{index}",
            group=f"exp-{index // 10:03d}",
            job_type="train",
            tags=("bench",),
            state="finished",
            created_at=start + timedelta(minutes=index),
            config={
                "params": {"lr": 1e-5 * (1 + index % 7), "optimizer": {"name": "adamw" if index % 2 else "sgd"}},
                "meta": {"task": "phishing-detection"},
                "model.type": "distilbert",
            },
            summary={"eval/f1": 0.8 + (index % 100) / 1000, "train/loss": 0.3 - (index % 50) / 1000},
        )
    return data


def fanout_project(consumers: int) -> tuple[Any, str]:
    """dataset -> train -> model -> ``consumers`` eval runs; returns the data and the train run id."""
    from wbview.records import ArtifactFile, ArtifactVersion, Run, RunArtifacts
    from wbview.sources.memory import ProjectData

    created = datetime(2026, 1, 1, tzinfo=UTC)
    data = ProjectData()

    def run(run_id: str, job_type: str, used: tuple[str, ...], logged: tuple[str, ...]) -> None:
        data.runs[run_id] = Run(
            id=run_id,
            entity="acme",
            project="lineage",
            name=f"{job_type}-{run_id}",
            job_type=job_type,
            state="finished",
            created_at=created,
            config={"params": {"seed": 1}},
        )
        data.run_artifacts[run_id] = RunArtifacts(run_id, used=used, logged=logged)

    evals = tuple(f"eval{i:02d}" for i in range(consumers))
    run("ingest00", "ingest", (), ("dataset:v0",))
    run("train000", "train", ("dataset:v0",), ("model:v0",))
    for eval_id in evals:
        run(eval_id, "eval", ("model:v0", "dataset:v0"), ())
    for name, type_, producer, users in (
        ("dataset", "dataset", "ingest00", ("train000", *evals)),
        ("model", "model", "train000", evals),
    ):
        data.artifacts[f"{name}:v0"] = ArtifactVersion(
            "acme",
            "lineage",
            name,
            "v0",
            type_,
            ("latest",),
            created_at=created,
            files=(ArtifactFile("data.bin"),),
            logged_by=producer,
            used_by=users,
        )
    return data, "train000"


def table_project(frame: Any) -> tuple[Any, Any]:
    """One eval run that logged ``frame`` as a run_table, the way run.log() does."""
    from tests.fixtures import run_table_artifact_name
    from wbview.records import ArtifactFile, ArtifactVersion, Run, RunArtifacts, TableRef
    from wbview.sources.memory import ProjectData

    created = datetime(2026, 1, 1, tzinfo=UTC)
    artifact_id = f"{run_table_artifact_name('evalrun1', TABLE_KEY)}:v0"
    entry = f"{TABLE_KEY}.table.json"
    ref = TableRef(run_id="evalrun1", key=TABLE_KEY, artifact=artifact_id, entry=entry, nrows=len(frame), stored_rows=len(frame))
    data = ProjectData(
        runs={
            "evalrun1": Run(
                id="evalrun1",
                entity="acme",
                project="tables",
                name="eval",
                job_type="eval",
                state="finished",
                created_at=created,
                tables=(ref,),
            )
        },
        run_artifacts={"evalrun1": RunArtifacts("evalrun1", logged=(artifact_id,))},
        artifacts={
            artifact_id: ArtifactVersion(
                "acme",
                "tables",
                artifact_id.split(":")[0],
                "v0",
                "run_table",
                ("latest",),
                created_at=created,
                files=(ArtifactFile(entry),),
                logged_by="evalrun1",
            )
        },
        tables={(artifact_id, entry): frame},
    )
    return data, ref


def plain_lineage_walk(api: Any, run_path: str, depth: int = 2) -> int:
    """The walk a script would write with the public methods: no memo, no batching.
    Returns the number of nodes seen (to check both walks see the same graph)."""
    root = api.run(run_path)
    seen = {root.id}
    frontier: list[tuple[Any, str]] = [(root, "up"), (root, "down")]
    for _hop in range(depth):
        next_frontier = []
        for obj, way in frontier:
            if hasattr(obj, "logged_artifacts"):  # a run
                neighbours = list(obj.used_artifacts() if way == "up" else obj.logged_artifacts())
            else:  # an artifact
                producer = obj.logged_by() if way == "up" else None
                neighbours = ([producer] if producer else []) if way == "up" else list(obj.used_by())
            for other in neighbours:
                seen.add(getattr(other, "source_name", None) or other.id)
                next_frontier.append((other, way))
        frontier = next_frontier
    return len(seen)


def make_source(fake: Any, **kwargs: Any) -> Any:
    from wbview.settings import Settings
    from wbview.sources.wandb import WandbSource

    source = WandbSource(Settings(api_key=fake.api_key, base_url=fake.base_url, entity="acme"), timeout_s=120, **kwargs)
    source.api  # noqa: B018 - log in before counting
    return source


LISTING_REPEAT = 3


def per_listing(requests: int) -> int:
    """Requests of one listing, from the count over LISTING_REPEAT identical ones."""
    assert requests % LISTING_REPEAT == 0, f"{requests} requests over {LISTING_REPEAT} listings: not the same each time"
    return requests // LISTING_REPEAT


def bench_run_listing() -> None:
    import wandb

    from tests.fakewandb import FakeWandb

    project = "acme/many"
    with FakeWandb({project: many_runs_project(RUN_COUNT)}) as fake, wandb_env(**fake.env()):
        source = make_source(fake)
        results: dict[str, Any] = {}

        def ours() -> None:
            results["runs"] = source.runs(project)  # lists again each time (no run-list cache)

        fake.reset()
        ours_s = timeit(ours, repeat=LISTING_REPEAT)
        ours_requests = per_listing(fake.count())
        runs = results["runs"]
        assert len(runs) == RUN_COUNT and all(r.config["params"] for r in runs)

        api = wandb.Api(timeout=120)

        def baseline() -> None:
            api.flush()  # wandb.Api keeps the Runs it listed: forget them, as ours does
            results["touched"] = [run.config for run in api.runs(project)]  # default arguments: lazy, 50 per page

        fake.reset()
        baseline_s = timeit(baseline, repeat=LISTING_REPEAT)
        baseline_requests = per_listing(fake.count() - fake.count("GetDefaultEntity"))
        touched = results["touched"]
        assert len(touched) == RUN_COUNT and all(c["params"] for c in touched)
    report(
        f"wandb: list {RUN_COUNT:,} runs with config+summary, requests (vs api.runs() default + config)",
        ours_requests,
        baseline_requests,
        "requests",
    )
    report(
        f"wandb: list {RUN_COUNT:,} runs with config+summary, seconds (vs api.runs() default + config)", ours_s, baseline_s, "s"
    )


def bench_lineage() -> None:
    import wandb

    from tests.fakewandb import FakeWandb

    project = "acme/lineage"
    data, root = fanout_project(LINEAGE_CONSUMERS)
    with FakeWandb({project: data}) as fake, wandb_env(**fake.env()):
        source = make_source(fake)
        fake.reset()
        graph = source.lineage(project, root, depth=2)
        ours = fake.count()

        api = wandb.Api(overrides={"entity": "acme"}, timeout=120)
        fake.reset()
        seen = plain_lineage_walk(api, f"{project}/{root}", depth=2)
        baseline = fake.count()
        assert seen == len(graph.nodes), (seen, len(graph.nodes))
    report(
        f"wandb: 2-hop lineage of a run ({len(graph.nodes)} nodes), requests (vs plain logged_by/used_by walk)",
        ours,
        baseline,
        "requests",
    )


def bench_table_load() -> None:
    import wandb

    from tests.fakewandb import FakeWandb
    from tests.fixtures import build_large_table

    project = "acme/tables"
    frame = build_large_table(TABLE_ROWS)
    data, ref = table_project(frame)
    with FakeWandb({project: data}) as fake, wandb_env(**fake.env()):
        fake.content(project, data.artifacts[ref.artifact], ref.entry)  # serve stored bytes, as a real server would
        source = make_source(fake)
        source.load_table(project, ref)  # first download fills wandb's cache for both sides
        ours_s = timeit(lambda: make_source(fake).load_table(project, ref), repeat=3)
        loaded = source.load_table(project, ref)
        assert len(loaded.frame) == TABLE_ROWS

        artifact = wandb.Api(timeout=120).artifact(f"{project}/{ref.artifact}")
        started = time.perf_counter()
        baseline = artifact.get(TABLE_KEY).get_dataframe()
        baseline_s = time.perf_counter() - started
        assert len(baseline) == TABLE_ROWS
    report(
        f"wandb: load a {TABLE_ROWS:,}-row eval table, seconds (vs artifact.get(key).get_dataframe())", ours_s, baseline_s, "s"
    )


def main() -> None:
    bench_run_listing()
    bench_lineage()
    bench_table_load()


if __name__ == "__main__":
    main()
