"""`wbview pull` over an injected source: complete copy, resume after a crash,
incremental re-pull, table selection, and the command line."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tests.paths import REPO
from tests.sources.store.test_store import PROJECT, assert_sources_equal, small_project
from tests.sources.test_cached import CountingSource
from wbview.cli import main as cli_main
from wbview.errors import TableNotFound
from wbview.filters import parse_filters
from wbview.records import ArtifactVersion
from wbview.sources.memory import MemorySource
from wbview.sources.store import LocalSource, Store
from wbview.sources.store.sync import pull, wants_table


class Crash(Exception):
    """Stands in for a kill: raised by the source part-way through a pull."""


class CrashingSource(CountingSource):
    """Raises Crash on the ``after``-th call of ``method``."""

    def __init__(self, data, method: str, after: int):
        super().__init__(data)
        self.crash_method, self.crash_after = method, after

    def __getattribute__(self, name):
        state = object.__getattribute__(self, "__dict__")
        if name == state.get("crash_method") and state["calls"][name] >= state["crash_after"]:
            raise Crash(name)  # before counting: the crashed call never completed
        return super().__getattribute__(name)


def many_runs_project(count: int = 9) -> dict:
    return {PROJECT: small_project(run_ids=tuple(f"r{i}" for i in range(1, count + 1)))}


@pytest.mark.parametrize(
    ("tables", "key", "wanted"),
    [
        (["all"], "eval/predictions", True),
        (["none"], "eval/predictions", False),
        ([], "eval/predictions", False),
        (["eval/predictions"], "eval/predictions", True),
        (["eval/other"], "eval/predictions", False),
        (["eval/other", "eval/predictions"], "eval/predictions", True),
    ],
)
def test_wants_table(tables, key, wanted):
    from wbview.records import TableRef

    assert wants_table(TableRef(run_id="r", key=key, artifact="a:v0", entry=f"{key}.table.json"), tables) is wanted


@pytest.mark.parametrize("tables", [["all"], ["eval/qa"]])
def test_eval_tables_are_never_pulled(tables):
    """Their rows live in W&B Weave: loading one fails, which would leave the run to do forever."""
    from wbview.records import TableRef

    ref = TableRef(run_id="r", key="eval/qa", artifact="weave-eval:call", entry="eval/qa", kind="eval-table")
    assert wants_table(ref, tables) is False


def test_pull_copies_everything_equal_to_the_source(tmp_path):
    data = many_runs_project()
    store = Store(tmp_path / "s")
    report = pull(CountingSource(data), store, PROJECT)
    assert report.runs == 9 and report.tables_fetched == 1
    assert_sources_equal(MemorySource(data), LocalSource(store.root), PROJECT)
    assert LocalSource(store.root).default_project() == PROJECT
    assert store.read_journal(PROJECT)["complete"] is True


def test_already_stored_counts_only_what_was_there_before_the_pull(tmp_path, fixture_project):
    from tests.fixtures import PROJECT_PATH

    data = {PROJECT_PATH: fixture_project}
    versions = {a for ra in fixture_project.run_artifacts.values() for a in (*ra.used, *ra.logged)}
    assert len(versions) < sum(len(ra.used) + len(ra.logged) for ra in fixture_project.run_artifacts.values())  # shared
    store = Store(tmp_path / "s")
    first = pull(CountingSource(data), store, PROJECT_PATH, history=False)
    assert (first.artifacts_fetched, first.artifacts_skipped, first.tables_skipped) == (len(versions), 0, 0)
    assert "(0 already stored)" in first.summary()
    # the same runs again with a different selection: every version is now stored beforehand, counted once
    second = pull(CountingSource(data), store, PROJECT_PATH, history=True)
    assert (second.artifacts_fetched, second.artifacts_skipped) == (0, len(versions))
    assert (second.tables_fetched, second.tables_skipped) == (0, first.tables_fetched)


def test_progress_is_reported(tmp_path):
    seen = []
    pull(CountingSource(many_runs_project(3)), Store(tmp_path / "s"), PROJECT, progress=lambda m, d, t: seen.append((m, d, t)))
    assert seen[0] == ("listing runs", 0, None)
    assert [(d, t) for m, d, t in seen if m.startswith("run ")] == [(1, 3), (2, 3), (3, 3)]


@pytest.mark.parametrize(("method", "after"), [("run_artifacts", 4), ("load_table", 0), ("history", 6), ("artifact", 2)])
def test_crashed_pull_resumes_losing_nothing_duplicating_nothing(tmp_path, method, after):
    data = many_runs_project()
    clean = CountingSource(data)
    pull(clean, Store(tmp_path / "clean"), PROJECT)

    store = Store(tmp_path / "s")
    crashing = CrashingSource(data, method, after)
    with pytest.raises(Crash):
        pull(crashing, store, PROJECT)
    journal = store.read_journal(PROJECT)
    assert journal.get("complete") is not True
    done_before_crash = len(journal.get("runs", {}))
    resumed = CountingSource(data)
    pull(resumed, store, PROJECT)

    assert_sources_equal(MemorySource(data), LocalSource(store.root), PROJECT)
    # nothing immutable is fetched twice: the two halves add up to one clean pull
    for name in ("artifact", "load_table"):
        assert crashing.calls[name] + resumed.calls[name] == clean.calls[name], name
    # runs finished before the crash are not redone
    assert resumed.calls["history"] == clean.calls["history"] - done_before_crash
    assert done_before_crash >= (0 if method == "load_table" else 1)  # the table is in the first run pulled


def test_second_pull_fetches_only_what_changed(tmp_path):
    data = many_runs_project()
    store = Store(tmp_path / "s")
    pull(CountingSource(data), store, PROJECT)
    again = CountingSource(data)
    report = pull(again, store, PROJECT)
    assert (report.runs_unchanged, report.artifacts_fetched, report.tables_fetched) == (9, 0, 0)
    assert again.calls["run_artifacts"] == again.calls["history"] == again.calls["artifact"] == 0
    assert again.calls["load_table"] == 0

    # one run changes its summary, an alias moves, a new model version appears
    project = data[PROJECT]
    project.runs["r2"] = dataclasses.replace(project.runs["r2"], summary={"eval/f1": 0.99})
    project.artifacts["model:v0"] = dataclasses.replace(project.artifacts["model:v0"], aliases=("prod",))
    project.artifacts["model:v1"] = dataclasses.replace(project.artifacts["model:v1"], aliases=("latest",))
    project.artifacts["model:v2"] = ArtifactVersion(
        "acme", "phishing", "model", "v2", "model", ("latest",), logged_by="r2", digest="d-m2"
    )
    project.artifacts["model:v1"] = dataclasses.replace(project.artifacts["model:v1"], aliases=())
    project.run_artifacts["r2"] = dataclasses.replace(project.run_artifacts["r2"], logged=("model:v0", "model:v1", "model:v2"))
    third = CountingSource(data)
    report = pull(third, store, PROJECT)
    assert report.runs_unchanged == 8
    assert third.calls["history"] == 1  # only r2's details are fetched again
    assert third.calls["artifact"] == 1  # only model:v2
    assert report.aliases_updated == 2
    assert_sources_equal(MemorySource(data), LocalSource(store.root), PROJECT)


def test_running_runs_are_always_refreshed(tmp_path):
    data = many_runs_project(3)
    data[PROJECT].runs["r1"] = dataclasses.replace(data[PROJECT].runs["r1"], state="running")
    store = Store(tmp_path / "s")
    pull(CountingSource(data), store, PROJECT)
    again = CountingSource(data)
    assert pull(again, store, PROJECT).runs_unchanged == 2
    assert again.calls["history"] == 1


def test_filters_and_table_selection(tmp_path):
    data = many_runs_project(3)
    store = Store(tmp_path / "s")
    report = pull(CountingSource(data), store, PROJECT, parse_filters(["job_type=eval"]), tables=["none"])
    assert report.runs == 1 and report.tables_fetched == 0
    local = LocalSource(store.root)
    assert [r.id for r in local.runs(PROJECT)] == ["r3"]
    (ref,) = local.tables(PROJECT, "r3")
    with pytest.raises(TableNotFound, match="--tables all"):
        local.load_table(PROJECT, ref)
    report = pull(CountingSource(data), store, PROJECT, parse_filters(["job_type=eval"]), tables=["eval/predictions"])
    assert report.tables_fetched == 1
    assert len(local.load_table(PROJECT, ref).frame) == 3


def test_cli_pull_then_every_command_reads_the_store_like_the_source(tmp_path, capsys):
    data = many_runs_project(3)
    source = MemorySource(data)
    store_dir = tmp_path / "s"
    assert cli_main(["pull", PROJECT, "--store", str(store_dir)], source=CountingSource(data)) == 0
    err = capsys.readouterr().err
    assert f"pull {PROJECT}: 3/3 run" in err and "done:" in err
    commands = [
        ["runs", PROJECT, "--json"],
        ["runs", PROJECT, "--filter", "params.lr<1e-3"],
        ["artifacts", PROJECT],
        ["artifact", f"{PROJECT}/model:prod", "--json"],
        ["artifact", f"{PROJECT}/model:v0"],
        ["lineage", f"{PROJECT}/r2", "--json"],
        ["lineage", f"{PROJECT}/model:v0", "--format", "dot"],
        ["table", f"{PROJECT}/r3", "--json"],
        ["table", f"{PROJECT}/r3", "--out", str(tmp_path / "x.csv")],
    ]
    assert_cli_same(commands, source, store_dir, capsys)


def assert_cli_same(commands: list[list[str]], source, store_dir, capsys) -> None:
    """Each command prints the same stdout and exit code on ``source`` and on the store."""
    for argv in commands:
        out_file = Path(argv[argv.index("--out") + 1]) if "--out" in argv else None
        code = cli_main(argv, source=source)
        want = capsys.readouterr().out
        want_file = out_file.read_bytes() if out_file else None
        assert cli_main([*argv, "--store", str(store_dir)]) == code, argv
        assert capsys.readouterr().out == want, argv
        assert bool(want.strip()) == (code == 0), argv  # output on success, a message on stderr otherwise
        if out_file:
            assert out_file.read_bytes() == want_file, argv


def fixture_commands(project: str, data, out_dir) -> list[list[str]]:
    """Every CLI command, over the fixture project's interesting corners."""
    from tests.fixtures import main_eval_run, truncated_eval_run

    main_run, truncated_run = main_eval_run(data), truncated_eval_run(data)
    model = next(a for a in data.artifacts.values() if a.type == "model")
    return [
        ["runs", project, "--json"],
        ["runs", project],
        ["runs", project, "--filter", "params.optimizer.name in adamw,sgd", "--filter", "eval/f1>0.8", "--json"],
        ["runs", project, "--filter", '"model.type"=roberta', "--job-type", "train"],
        ["runs", project, "--tag", "baseline", "--state", "finished"],
        ["artifacts", project, "--json"],
        ["artifacts", project, "--type", "model"],
        ["artifact", f"{project}/{model.name}:latest", "--json"],
        ["artifact", f"{project}/{model.id}"],
        ["lineage", f"{project}/{main_run.id}", "--json"],
        ["lineage", f"{project}/{model.id}", "--format", "dot", "--depth", "3"],
        ["lineage", f"{project}/{main_run.id}", "--direction", "up"],
        ["table", f"{project}/{main_run.id}", "--json"],
        ["table", f"{project}/{truncated_run.id}"],
        ["table", f"{project}/{main_run.id}", "eval/predictions", "--out", str(out_dir / "main.csv"), "--json"],
        ["table", f"{project}/{truncated_run.id}", "--out", str(out_dir / "t.parquet")],
        ["runs", "acme/nope"],
        ["table", f"{project}/nope"],
        ["artifact", f"{project}/nope:v0"],
    ]


def test_fixture_project_pulled_reads_the_same_everywhere(tmp_path, capsys, fixture_project):
    from tests.fixtures import PROJECT_PATH

    source = MemorySource({PROJECT_PATH: fixture_project})
    store_dir = tmp_path / "s"
    assert cli_main(["pull", PROJECT_PATH, "--store", str(store_dir)], source=source) == 0
    capsys.readouterr()
    assert_sources_equal(source, LocalSource(store_dir), PROJECT_PATH)
    assert_cli_same(fixture_commands(PROJECT_PATH, fixture_project, tmp_path), source, store_dir, capsys)


def test_cli_pull_usage_errors(tmp_path, capsys):
    assert cli_main(["pull", "not-a-project", "--store", str(tmp_path / "s")], source=MemorySource()) == 2
    assert "ENTITY/PROJECT" in capsys.readouterr().err
    assert cli_main(["pull", PROJECT, "--store", str(tmp_path / "s"), "--filter", "params.lr"], source=MemorySource()) == 2
    assert cli_main(["pull", PROJECT], source=MemorySource()) == 2


SLOW_PULL_SCRIPT = """
import sys, time
from tests.sources.store.test_store import PROJECT, small_project
from wbview.sources.store.sync import pull
from wbview.sources.memory import MemorySource
from wbview.sources.store.store import Store
from tests.paths import REPO

class SlowSource(MemorySource):
    def history(self, project, run_id, keys=None):
        time.sleep(0.3)  # a slow network: gives the test time to kill us mid-pull
        return super().history(project, run_id, keys)

data = {PROJECT: small_project(run_ids=tuple(f"r{i}" for i in range(1, 10)))}
pull(SlowSource(data), Store(sys.argv[1]), PROJECT, progress=lambda m, d, t: print(m, flush=True))
"""


def journaled_runs(store_dir) -> int:
    """How many runs a (possibly still running) pull has finished."""
    if not (store_dir / "wbview-store.json").exists():
        return 0
    return len(Store(store_dir, create=False).read_journal(PROJECT).get("runs", {}))


def test_pull_killed_by_signal_resumes(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    store_dir = tmp_path / "s"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-c", SLOW_PULL_SCRIPT, str(store_dir)], env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while journaled_runs(store_dir) < 3:
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    store = Store(store_dir)
    done_before_kill = len(store.read_journal(PROJECT)["runs"])
    assert 3 <= done_before_kill < 9 and store.read_journal(PROJECT)["complete"] is False

    data = many_runs_project()
    resumed = CountingSource(data)
    report = pull(resumed, store, PROJECT)
    assert report.runs_unchanged == done_before_kill
    assert resumed.calls["history"] == 9 - done_before_kill
    assert resumed.calls["load_table"] == 0  # the table (first run pulled) was stored before the kill
    assert_sources_equal(MemorySource(data), LocalSource(store.root), PROJECT)


def test_ctrl_c_during_cli_pull_says_how_to_resume(tmp_path, capsys):
    class Interrupting(CrashingSource):
        def history(self, project, run_id, keys=None):
            if self.calls["history"] >= 3:
                raise KeyboardInterrupt
            return super().history(project, run_id, keys)

    data = many_runs_project()
    store_dir = tmp_path / "s"
    assert cli_main(["pull", PROJECT, "--store", str(store_dir)], source=Interrupting(data, "none", 0)) == 130
    assert "run the same command again to resume" in capsys.readouterr().err
    assert cli_main(["pull", PROJECT, "--store", str(store_dir)], source=CountingSource(data)) == 0
    assert_sources_equal(MemorySource(data), LocalSource(store_dir), PROJECT)


def test_a_missing_table_is_reported_and_retried_without_stopping_the_pull(tmp_path, capsys):
    data = many_runs_project()
    table_key = next(iter(data[PROJECT].tables))
    frame = data[PROJECT].tables.pop(table_key)  # the table's artifact is listed, its content is gone
    store_dir = tmp_path / "s"
    assert cli_main(["pull", PROJECT, "--store", str(store_dir)], source=CountingSource(data)) == 1
    err = capsys.readouterr().err
    assert "not copied: run r9, table 'eval/predictions'" in err and "Run the same command again" in err
    journal = Store(store_dir).read_journal(PROJECT)
    assert "r9" not in journal["runs"] and len(journal["runs"]) == 8 and journal["complete"] is False
    data[PROJECT].tables[table_key] = frame  # back again: the next pull copies it
    again = CountingSource(data)
    assert cli_main(["pull", PROJECT, "--store", str(store_dir)], source=again) == 0
    assert again.calls["history"] == 1
    assert_sources_equal(MemorySource(data), LocalSource(store_dir), PROJECT)
