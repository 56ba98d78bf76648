"""The local store: round trip through LocalSource, format version, atomic files,
hostile names. Concurrency lives in test_store_concurrency.py."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from tests.paths import REPO
from wbview.errors import (
    ArtifactNotFound,
    ProjectNotFound,
    RunNotFound,
    StoreError,
    TableNotFound,
)
from wbview.records import ArtifactFile, ArtifactVersion, Run, RunArtifacts, TableRef
from wbview.sources.memory import MemorySource, ProjectData
from wbview.sources.store import LocalSource, Store
from wbview.sources.store.files import read_parquet_frame
from wbview.sources.store.paths import safe_name

PROJECT = "acme/phishing"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def small_project(run_ids=("r1", "r2", "r3"), entry="eval/predictions.table.json") -> ProjectData:
    """A three-run chain: dataset -> train run -> model -> eval run -> eval table."""
    data = ProjectData()
    for i, run_id in enumerate(run_ids):
        run = Run(
            id=run_id,
            entity="acme",
            project="phishing",
            name=f"exp-{i:03d}",
            group="exp-001",
            job_type=["ingest", "train", "eval"][i % 3],
            tags=("baseline",) if i == 0 else (),
            state="finished",
            created_at=T0 + timedelta(minutes=i),
            config={"params": {"lr": 10.0 ** -(i + 3), "optimizer": {"name": "adamw"}}, "meta": {"model.type": "bert"}},
            summary={"eval/f1": 0.8 + i / 100, "nested": {"a": [1, 2]}},
        )
        data.runs[run_id] = run
        data.histories[run_id] = pd.DataFrame({"_step": [0, 1, 2], "loss": [1.0, 0.5, 0.25 + i]})
    first, middle, last = run_ids[0], run_ids[1 % len(run_ids)], run_ids[-1]
    table_art = f"run-{last}-evalpredictions"
    artifacts = [
        ArtifactVersion(
            "acme",
            "phishing",
            "emails",
            "v0",
            "dataset",
            ("latest",),
            "raw",
            {"rows": 3},
            10,
            "d-ds",
            T0,
            (ArtifactFile("data.csv", 10, "f1"),),
            first,
            (middle,),
        ),
        ArtifactVersion("acme", "phishing", "model", "v0", "model", (), None, {}, 20, "d-m0", T0, (), middle, (last,)),
        ArtifactVersion(
            "acme",
            "phishing",
            "model",
            "v1",
            "model",
            ("latest", "prod"),
            None,
            {"f1": 0.9},
            21,
            "d-m1",
            T0 + timedelta(hours=1),
            (),
            middle,
            (),
        ),
        ArtifactVersion(
            "acme",
            "phishing",
            table_art,
            "v0",
            "run_table",
            ("latest",),
            None,
            {},
            5,
            "d-t0",
            T0,
            (ArtifactFile(entry, 5, "f2"),),
            last,
            (),
        ),
    ]
    for art in artifacts:
        data.artifacts[art.id] = art
    data.run_artifacts[first] = RunArtifacts(first, (), ("emails:v0",))
    data.run_artifacts[middle] = RunArtifacts(middle, ("emails:v0",), ("model:v0", "model:v1"))
    data.run_artifacts[last] = RunArtifacts(last, ("model:v0",), (f"{table_art}:v0",))
    data.tables[(f"{table_art}:v0", entry)] = pd.DataFrame(
        {
            "Decoded Text": ["hello", "win money", "meeting"],
            "True Label": ["ham", "phish", "ham"],
            "Prob (phish)": [0.1, 0.9, 0.4],
            "Is Error": [False, False, True],
        }
    )
    return data


def listing_facts(version: ArtifactVersion) -> tuple:
    return (version.id, version.type, version.aliases, version.digest, version.created_at, version.size_bytes)


def assert_sources_equal(expected, actual, project: str) -> None:
    """Every method of the Source interface gives equal records and frames."""
    assert actual.runs(project) == expected.runs(project)
    for run in expected.runs(project):
        assert actual.run(project, run.id) == run
        pd.testing.assert_frame_equal(actual.history(project, run.id), expected.history(project, run.id))
        assert actual.run_artifacts(project, run.id) == expected.run_artifacts(project, run.id)
        assert sorted(actual.tables(project, run.id), key=repr) == sorted(expected.tables(project, run.id), key=repr)
        for ref in expected.tables(project, run.id):
            want, got = expected.load_table(project, ref), actual.load_table(project, ref)
            pd.testing.assert_frame_equal(got.frame, want.frame)
            assert (got.total_rows, got.truncated, got.ref) == (want.total_rows, want.truncated, want.ref)
    assert actual.artifact_types(project) == expected.artifact_types(project)
    for artifact_type in expected.artifact_types(project):
        collections = expected.artifact_collections(project, artifact_type)
        assert actual.artifact_collections(project, artifact_type) == collections
        for collection in collections:
            versions = expected.artifact_versions(project, collection.name)
            # a listing may leave files/used_by empty (Source.artifact_versions): compare what it must carry
            assert [listing_facts(v) for v in actual.artifact_versions(project, collection.name)] == [
                listing_facts(v) for v in versions
            ]
            for version in versions:
                assert actual.artifact(project, version.id) == expected.artifact(project, version.id)


@pytest.fixture
def store_dir(tmp_path) -> Path:
    return tmp_path / "store"


def test_write_project_then_local_source_equals_memory_source(store_dir):
    data = small_project()
    Store(store_dir).write_project(PROJECT, data)
    local = LocalSource(store_dir)
    assert_sources_equal(MemorySource({PROJECT: data}), local, PROJECT)
    assert local.projects() == [PROJECT]
    assert local.default_project() == PROJECT
    assert local.artifact(PROJECT, "model:prod").id == "model:v1"
    assert local.artifact(PROJECT, "model").id == "model:v1"  # no alias means latest
    assert local.is_demo is False
    assert "store" in local.label


def test_store_files_are_json_and_parquet_in_documented_layout(store_dir):
    Store(store_dir).write_project(PROJECT, small_project())
    meta = json.loads((store_dir / "wbview-store.json").read_text())
    assert meta == {"format": "wbview-store", "version": 1, "demo": False}
    project_dir = store_dir / "projects" / safe_name(PROJECT)
    assert json.loads((project_dir / "project.json").read_text()) == {"project": PROJECT}
    runs, _ = read_parquet_frame(project_dir / "runs.parquet")
    assert list(runs["id"]) == ["r1", "r2", "r3"]
    artifact_json = json.loads((project_dir / "artifacts" / (safe_name("model:v1") + ".json")).read_text())
    assert artifact_json["aliases"] == ["latest", "prod"]
    assert len(list((project_dir / "tables").glob("*/*.parquet"))) == 1
    assert len(list((project_dir / "history").glob("*.parquet"))) == 3


def test_mark_demo_is_read_into_local_source(store_dir):
    store = Store(store_dir)
    store.write_project(PROJECT, small_project())
    store.mark_demo()
    assert LocalSource(store_dir).is_demo is True
    store.mark_demo(False)
    assert LocalSource(store_dir).is_demo is False


def test_put_runs_upserts_and_replace_replaces(store_dir):
    store = Store(store_dir)
    data = small_project()
    store.put_runs(PROJECT, [data.runs["r1"], data.runs["r2"]])
    store.put_run(PROJECT, data.runs["r3"])
    renamed = Run.from_json(data.runs["r1"].to_json() | {"name": "renamed"})
    store.put_run(PROJECT, renamed)
    assert sorted((r.id, r.name) for r in LocalSource(store_dir).runs(PROJECT)) == [
        ("r1", "renamed"),
        ("r2", "exp-001"),
        ("r3", "exp-002"),
    ]
    store.put_runs(PROJECT, [data.runs["r2"]], replace=True)
    assert [r.id for r in LocalSource(store_dir).runs(PROJECT)] == ["r2"]


def test_table_is_keyed_by_digest_and_shared_by_equal_versions(store_dir):
    store = Store(store_dir)
    data = small_project()
    art = data.artifacts["run-r3-evalpredictions:v0"]
    twin = ArtifactVersion.from_json(art.to_json() | {"version": "v1", "aliases": []})
    store.put_artifact(PROJECT, art)
    store.put_artifact(PROJECT, twin)
    frame = next(iter(data.tables.values()))
    store.put_table(PROJECT, art.id, "eval/predictions.table.json", frame)
    # same digest: the twin version's table is already there, without a second file
    assert store.has_table(PROJECT, twin.id, "eval/predictions.table.json")
    assert not store.has_table(PROJECT, twin.id, "other.table.json")


def test_mixed_object_columns_round_trip(store_dir):
    store = Store(store_dir)
    frame = pd.DataFrame(
        {
            "image": [{"_type": "image-file", "path": "media/a.png"}, None, {"_type": "image-file", "path": "b.png"}],
            "mixed": [1, "two", 3.5],
            "score": [0.1, 0.2, 0.3],
        }
    )
    store.put_table(PROJECT, "t:v0", "x.table.json", frame, total_rows=10)
    ref = TableRef(run_id="r", key="x", artifact="t:v0", entry="x.table.json")
    loaded = LocalSource(store_dir).load_table(PROJECT, ref)
    assert loaded.frame["image"].tolist() == frame["image"].tolist()
    assert loaded.frame["mixed"].tolist() == [1, "two", 3.5]
    assert loaded.frame["score"].tolist() == [0.1, 0.2, 0.3]
    assert (loaded.total_rows, loaded.truncated) == (10, True)


def test_missing_things_raise_actionable_errors(store_dir, tmp_path):
    with pytest.raises(StoreError, match="wbview pull"):
        LocalSource(tmp_path / "nowhere")
    Store(store_dir).write_project(PROJECT, small_project())
    local = LocalSource(store_dir)
    with pytest.raises(ProjectNotFound, match="acme/phishing"):
        local.runs("acme/other")
    with pytest.raises(RunNotFound, match="nope"):
        local.run(PROJECT, "nope")
    with pytest.raises(ArtifactNotFound, match="model:v9"):
        local.artifact(PROJECT, "model:v9")
    with pytest.raises(ArtifactNotFound):
        local.artifact_versions(PROJECT, "ghost")
    with pytest.raises(TableNotFound, match="--tables all"):
        local.load_table(PROJECT, TableRef(run_id="r1", key="k", artifact="a:v0", entry="k.table.json"))


def test_newer_format_version_and_foreign_folders_are_refused(store_dir, tmp_path):
    Store(store_dir)
    meta_path = store_dir / "wbview-store.json"
    meta_path.write_text(json.dumps({"format": "wbview-store", "version": 99}))
    with pytest.raises(StoreError, match="version 99"):
        LocalSource(store_dir)
    meta_path.write_text("{not json")
    with pytest.raises(StoreError, match="wbview-store.json is damaged: its JSON is invalid"):
        LocalSource(store_dir)
    foreign = tmp_path / "home"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match="not a wbview store"):
        Store(foreign)
    assert (foreign / "notes.txt").read_text() == "mine"


HOSTILE_NAMES = [
    "../../escape",
    "/etc/passwd",
    "..",
    ".",
    "",
    "a\x00b",
    "x" * 5000,
    "Ünïcødé-名前-🙂",
    "C:\\Windows\\system32",
    "CON",
    "run/with/slashes",
    "~/home",
    "$(rm -rf /)",
    "\ud800surrogate",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=range(len(HOSTILE_NAMES)))
def test_safe_name_is_one_short_plain_component(name):
    file_name = safe_name(name)
    assert "/" not in file_name and "\\" not in file_name and "\x00" not in file_name
    assert file_name not in (".", "..") and not file_name.startswith(".")
    assert len(file_name.encode()) <= 80
    assert file_name.isascii()


def test_safe_names_are_distinct_for_distinct_names():
    names = HOSTILE_NAMES + ["Run", "run", "a.b", "a_b", "a-b", "a b"]
    assert len({safe_name(n) for n in names}) == len(set(names))


def test_hostile_names_stay_inside_the_store_and_round_trip(tmp_path):
    outer = tmp_path / "outer"
    store_dir = outer / "store"
    store = Store(store_dir)
    for i, name in enumerate(HOSTILE_NAMES):
        project = f"{name}/{name}"
        run = Run(id=name, entity=name, project=name, name=name or "x", created_at=T0 + timedelta(seconds=i))
        store.put_run(project, run)
        store.put_run_artifacts(project, RunArtifacts(name, (f"{name}:v0",), ()))
        store.put_history(project, name, pd.DataFrame({"_step": [0], "loss": [1.0]}))
        art = ArtifactVersion(name, name, name, "v0", name, (name,), files=(ArtifactFile(name),), digest=name + "d")
        store.put_artifact(project, art)
        store.put_table(project, art.id, name, pd.DataFrame({"c": [i]}))
    files_outside = [p for p in outer.rglob("*") if store_dir not in p.parents and p != store_dir]
    assert files_outside == []
    local = LocalSource(store_dir)
    assert sorted(local.projects()) == sorted({f"{n}/{n}" for n in HOSTILE_NAMES})
    for i, name in enumerate(HOSTILE_NAMES):
        project = f"{name}/{name}"
        assert local.run(project, name).id == name
        assert local.run_artifacts(project, name).used == (f"{name}:v0",)
        assert local.artifact(project, f"{name}:v0").type == name
        ref = TableRef(run_id=name, key=name, artifact=f"{name}:v0", entry=name)
        assert local.load_table(project, ref).frame["c"].tolist() == [i]


WRITER_SCRIPT = textwrap.dedent(
    """
    import sys, pandas as pd
    from wbview.sources.store.store import Store
    store = Store(sys.argv[1])
    frame = pd.DataFrame({"text": ["x" * 200] * 200_000, "n": range(200_000)})
    print("ready", flush=True)
    i = 0
    while True:
        store.put_table("acme/p", f"t:v{i % 3}", "big.table.json", frame)
        i += 1
    """
)


def test_writer_killed_mid_write_leaves_only_valid_files(store_dir):
    Store(store_dir)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-c", WRITER_SCRIPT, str(store_dir)], stdout=subprocess.PIPE, env=env)
    try:
        assert proc.stdout.readline().strip() == b"ready"
        deadline = time.monotonic() + 60
        tables = store_dir / "projects"
        # let one table land, then kill it while a temporary table file is being written
        while not [p for p in tables.rglob("*.parquet") if not p.name.startswith(".tmp-")]:
            assert time.monotonic() < deadline
            time.sleep(0.005)
        while not list(tables.rglob(".tmp-*")):
            assert time.monotonic() < deadline
            time.sleep(0.001)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    local = LocalSource(store_dir)
    for path in (store_dir / "projects").rglob("*.parquet"):
        if not path.name.startswith(".tmp-"):
            frame, _ = read_parquet_frame(path)
            assert len(frame) == 200_000
    loaded = 0
    for version in range(3):
        ref = TableRef(run_id="r", key="big", artifact=f"t:v{version}", entry="big.table.json")
        try:
            assert len(local.load_table("acme/p", ref).frame) == 200_000
            loaded += 1
        except TableNotFound:
            pass  # not written before the kill: absent, never partial
    assert loaded >= 1


NO_WANDB_SCRIPT = """
import sys
sys.modules["wandb"] = None  # any `import wandb` now raises ImportError
from wbview.sources.store.local import LocalSource
from wbview.cli import main
from tests.paths import REPO
source = LocalSource(sys.argv[1])
assert len(source.runs("acme/phishing")) == 3
assert main(["runs", "acme/phishing", "--store", sys.argv[1], "--json"]) == 0
assert main(["lineage", "acme/phishing/r2", "--store", sys.argv[1]]) == 0
assert "wandb" not in {m.split(".")[0] for m in sys.modules if sys.modules[m] is not None}
"""


def test_store_is_readable_without_wandb(store_dir):
    Store(store_dir).write_project(PROJECT, small_project())
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run(
        [sys.executable, "-c", NO_WANDB_SCRIPT, str(store_dir)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert '"id": "r3"' in done.stdout


def test_stale_temp_files_of_killed_writers_are_removed(store_dir):
    store = Store(store_dir)
    store.write_project(PROJECT, small_project())
    stale = store.project_dir(PROJECT) / "artifacts" / ".tmp-abandoned"
    fresh = store.project_dir(PROJECT) / ".tmp-in-progress"
    stale.write_bytes(b"partial")
    fresh.write_bytes(b"partial")
    old = time.time() - 7200
    os.utime(stale, (old, old))
    assert LocalSource(store_dir).artifact(PROJECT, "model:v0").id == "model:v0"  # ignored by readers
    assert store.remove_stale_temp_files() == 1
    assert not stale.exists() and fresh.exists()  # a live writer's file is left alone


def test_key_lock_lets_one_worker_in_and_gives_up_after_its_timeout(tmp_path):
    import threading

    store = Store(tmp_path / "s")
    inside, release = threading.Event(), threading.Event()

    def holder():
        with store.key_lock("table x") as got:
            assert got
            inside.set()
            release.wait(5)

    worker = threading.Thread(target=holder)
    worker.start()
    inside.wait(5)
    with store.key_lock("table x", timeout_s=0.2) as got:
        assert got is False  # held elsewhere: the caller does the work itself
    with store.key_lock("another table", timeout_s=0.2) as got:
        assert got is True  # other keys never wait
    release.set()
    worker.join()
    with store.key_lock("table x", timeout_s=0.2) as got:
        assert got is True
