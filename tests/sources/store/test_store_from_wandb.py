"""The store against the real wandb client and the loopback fake W&B server:
W&B -> pull -> LocalSource equals reading W&B directly, through the Source interface and
every CLI command; the cache costs zero requests on reopen; a pull broken by a server
outage part-way resumes without losing or repeating anything."""

from __future__ import annotations

import pytest

from tests.fixtures import PROJECT_PATH, main_eval_run, small_eval_run
from tests.sources.store.test_store import assert_sources_equal
from tests.sources.store.test_sync import assert_cli_same, fixture_commands
from wbview.cli import main as cli_main
from wbview.errors import WbviewError
from wbview.sources.cached import CachedSource
from wbview.sources.store import LocalSource, Store
from wbview.sources.store.sync import pull


@pytest.fixture
def wandb_source(fake_wandb):
    from wbview.settings import load_settings
    from wbview.sources.wandb import WandbSource

    source = WandbSource(load_settings(), timeout_s=30)
    yield source
    source.close()


def test_pull_from_wandb_reads_back_equal_through_source_and_cli(fake_wandb, wandb_source, fixture_project, tmp_path, capsys):
    store_dir = tmp_path / "s"
    assert cli_main(["pull", PROJECT_PATH, "--store", str(store_dir)]) == 0
    assert "done:" in capsys.readouterr().err
    assert fake_wandb.unknown == []
    local = LocalSource(store_dir)
    assert len(local.runs(PROJECT_PATH)) == len(fixture_project.runs)
    assert_sources_equal(wandb_source, local, PROJECT_PATH)
    # the CLI, without an injected source, reads W&B (the fake) or the store
    assert_cli_same(fixture_commands(PROJECT_PATH, fixture_project, tmp_path), None, store_dir, capsys)


def test_second_pull_downloads_nothing_unchanged(fake_wandb, wandb_source, tmp_path):
    store = Store(tmp_path / "s")
    pull(wandb_source, store, PROJECT_PATH)
    first_downloads = fake_wandb.count("file")
    assert first_downloads > 0
    fake_wandb.reset()
    report = pull(wandb_source, store, PROJECT_PATH)
    assert (report.artifacts_fetched, report.tables_fetched) == (0, 0)
    assert fake_wandb.count("file") == 0
    # only running runs (the fixture has one) are looked at again
    assert report.runs_unchanged == report.runs - 1


def test_pull_broken_by_an_outage_resumes_losing_and_repeating_nothing(fake_wandb, wandb_source, tmp_path, monkeypatch):
    clean = Store(tmp_path / "clean")
    pull(wandb_source, clean, PROJECT_PATH)
    clean_downloads = fake_wandb.count("file", status=200)
    fake_wandb.reset()
    # an empty wandb file cache again (read at download time): the clean pull's files must not be reused
    monkeypatch.setenv("WANDB_CACHE_DIR", str(tmp_path / "wandb-cache-2"))

    store = Store(tmp_path / "s")

    def outage_after_five_runs(message: str, done: int, total: int | None) -> None:
        if message.startswith("run ") and done == 5:
            fake_wandb.fail(None, status=503, times=None)  # every request from now on

    with pytest.raises(WbviewError):
        pull(wandb_source, store, PROJECT_PATH, progress=outage_after_five_runs)
    assert len(store.read_journal(PROJECT_PATH)["runs"]) == 5
    downloads_before = fake_wandb.count("file", status=200)
    fake_wandb.clear_faults()
    pull(wandb_source, store, PROJECT_PATH)
    downloads_after = fake_wandb.count("file", status=200) - downloads_before

    assert downloads_before + downloads_after == clean_downloads  # nothing fetched twice
    assert_sources_equal(LocalSource(clean.root), LocalSource(store.root), PROJECT_PATH)  # nothing lost


def test_cache_reopens_tables_and_versions_with_zero_requests(fake_wandb, wandb_source, fixture_project, tmp_path):
    cache_dir = tmp_path / "cache"
    cache = CachedSource(wandb_source, cache_dir)
    run = main_eval_run(fixture_project)
    (ref,) = [r for r in cache.tables(PROJECT_PATH, run.id) if r.key == "eval/predictions"][:1]
    first = cache.load_table(PROJECT_PATH, ref)
    model_id = next(a.id for a in fixture_project.artifacts.values() if a.type == "model")
    version = cache.artifact(PROJECT_PATH, model_id)
    assert fake_wandb.count() > 0

    fake_wandb.reset()
    again = cache.load_table(PROJECT_PATH, ref)
    reopened = CachedSource(wandb_source, cache_dir)  # a new app session on the same cache
    third = reopened.load_table(PROJECT_PATH, ref)
    assert reopened.artifact(PROJECT_PATH, model_id) == version
    assert fake_wandb.count() == 0
    for loaded in (again, third):
        assert loaded.frame.equals(first.frame)
        assert (loaded.total_rows, loaded.truncated) == (first.total_rows, first.truncated)
    assert len(first.frame) == 20_000


def test_cached_source_answers_like_wandb(fake_wandb, wandb_source, fixture_project, tmp_path):
    cache = CachedSource(wandb_source, tmp_path / "cache")
    run = small_eval_run(fixture_project)
    for ref in wandb_source.tables(PROJECT_PATH, run.id):
        want, got = wandb_source.load_table(PROJECT_PATH, ref), cache.load_table(PROJECT_PATH, ref)
        assert got.frame.equals(want.frame) and got.total_rows == want.total_rows
    assert cache.runs(PROJECT_PATH) == wandb_source.runs(PROJECT_PATH)
    lineage = cache.lineage(PROJECT_PATH, run.id)
    assert lineage == wandb_source.lineage(PROJECT_PATH, run.id)


@pytest.fixture
def project_with_a_malformed_table(fake_wandb, fixture_project):
    """Two more eval runs on the fake server; the first one's table entry is JSON whose
    `columns` is not a list (what a broken logger or a hand-edited artifact leaves)."""
    from tests.fixtures import add_table_run, build_eval_table

    data, bad = add_table_run(fixture_project, build_eval_table(12, seed=1), seed=1)
    data, good = add_table_run(data, build_eval_table(15, seed=2), seed=2)
    fake_wandb.files[(bad.artifact, bad.entry)] = b'{"_type": "table", "columns": "Decoded Text", "data": [["x"]]}'
    fake_wandb.set_project(PROJECT_PATH, data)
    yield data, bad, good
    fake_wandb.files.pop((bad.artifact, bad.entry), None)
    fake_wandb.set_project(PROJECT_PATH, fixture_project)


def test_a_malformed_table_is_reported_by_name_and_the_pull_goes_on(project_with_a_malformed_table, tmp_path, capsys):
    data, bad, good = project_with_a_malformed_table
    store_dir = tmp_path / "s"
    command = ["pull", PROJECT_PATH, "--store", str(store_dir), "--group", "exp-bench", "--no-history"]
    for _attempt in range(2):  # a rerun does not stop at the same table either
        assert cli_main(command) == 1
        err = capsys.readouterr().err
        assert "Traceback" not in err
        assert "some items failed" in err
        assert f"not copied: run {bad.run_id}, table {bad.key!r}" in err and "'columns'" in err
        assert f"run {good.run_id}" not in err.split("done:")[1]  # only the bad table is listed
        store = LocalSource(store_dir)
        assert store.load_table(PROJECT_PATH, good).frame.equals(data.tables[(good.artifact, good.entry)])
        journal = Store(store_dir).read_journal(PROJECT_PATH)
        assert good.run_id in journal["runs"] and bad.run_id not in journal["runs"]
