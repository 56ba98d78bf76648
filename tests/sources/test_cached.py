"""CachedSource over an injected counting source (unit level). The fake-W&B-server
version, counting real HTTP requests, is in test_cache_wandb.py."""

from __future__ import annotations

import time
from collections import Counter

import pandas as pd
import pytest

from tests.sources.store.test_store import PROJECT, small_project
from wbview.errors import RunNotFound
from wbview.records import ArtifactVersion
from wbview.sources.cached import CachedSource, default_cache_dir
from wbview.sources.memory import MemorySource
from wbview.sources.store.store import Store


class CountingSource(MemorySource):
    """A MemorySource that counts calls per method: the stand-in for network requests."""

    def __init__(self, data):
        super().__init__(data, label="counting")
        self.calls: Counter[str] = Counter()

    def __getattribute__(self, name):
        attr = super().__getattribute__(name)
        if callable(attr) and not name.startswith("_") and name in MemorySource.__dict__:
            self.calls[name] += 1
        return attr


class Clock:
    def __init__(self):
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def data():
    return small_project()


@pytest.fixture
def inner(data):
    return CountingSource({PROJECT: data})


@pytest.fixture
def clock():
    return Clock()


def make_cache(inner, tmp_path, clock, ttl_s=60.0):
    return CachedSource(inner, tmp_path / "cache", ttl_s=ttl_s, clock=clock)


def test_default_cache_dir_honours_env(monkeypatch, tmp_path):
    monkeypatch.setenv("WBVIEW_CACHE_DIR", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    monkeypatch.delenv("WBVIEW_CACHE_DIR")
    assert default_cache_dir().name == "store" and "wbview" in str(default_cache_dir())


def test_cache_defaults_to_env_dir(inner, monkeypatch, tmp_path):
    monkeypatch.setenv("WBVIEW_CACHE_DIR", str(tmp_path / "env-cache"))
    cache = CachedSource(inner)
    assert cache.store.root == tmp_path / "env-cache"


def table_ref(cache):
    (ref,) = cache.tables(PROJECT, "r3")
    return ref


def test_reopening_a_table_costs_nothing_even_in_a_new_process(inner, data, tmp_path, clock):
    cache = make_cache(inner, tmp_path, clock)
    ref = table_ref(cache)
    first = cache.load_table(PROJECT, ref)
    assert inner.calls["load_table"] == 1
    again = make_cache(inner, tmp_path, clock)  # a new session over the same cache dir
    clock.now += 10 * 365 * 24 * 3600  # immutable: no TTL
    second = again.load_table(PROJECT, ref)
    assert inner.calls["load_table"] == 1
    pd.testing.assert_frame_equal(second.frame, first.frame)
    assert (second.total_rows, second.truncated, second.ref) == (first.total_rows, first.truncated, first.ref)


def test_table_cache_key_is_the_digest(inner, data, tmp_path, clock):
    cache = make_cache(inner, tmp_path, clock)
    ref = table_ref(cache)
    cache.load_table(PROJECT, ref)
    # a new version with the same digest (identical content) is served from the cache
    twin_id = ref.artifact.replace(":v0", ":v1")
    twin = ArtifactVersion.from_json(data.artifacts[ref.artifact].to_json() | {"version": "v1"})
    data.artifacts[twin_id] = twin
    cache.load_table(PROJECT, ref.__class__(**{**ref.__dict__, "artifact": twin_id}))
    assert inner.calls["load_table"] == 1


def test_reopening_a_version_costs_nothing_within_ttl_then_refreshes(inner, data, tmp_path, clock):
    cache = make_cache(inner, tmp_path, clock, ttl_s=60)
    assert cache.artifact(PROJECT, "model:v1").aliases == ("latest", "prod")
    assert make_cache(inner, tmp_path, clock).artifact(PROJECT, "model:v1").digest == "d-m1"
    assert inner.calls["artifact"] == 1
    # an alias moves on W&B: seen after the TTL
    data.artifacts["model:v1"] = ArtifactVersion.from_json(data.artifacts["model:v1"].to_json() | {"aliases": ["latest"]})
    clock.now += 61
    assert cache.artifact(PROJECT, "model:v1").aliases == ("latest",)
    assert inner.calls["artifact"] == 2


def test_aliases_are_resolved_for_ttl_only_and_never_used_as_keys(inner, data, tmp_path, clock):
    cache = make_cache(inner, tmp_path, clock, ttl_s=60)
    assert cache.artifact(PROJECT, "model:prod").id == "model:v1"
    assert cache.artifact(PROJECT, "model:prod").id == "model:v1"
    assert inner.calls["artifact"] == 1
    assert not list((cache.store.project_dir(PROJECT) / "artifacts").glob("*prod*"))
    # "prod" moves to v0
    data.artifacts["model:v1"] = ArtifactVersion.from_json(data.artifacts["model:v1"].to_json() | {"aliases": ["latest"]})
    data.artifacts["model:v0"] = ArtifactVersion.from_json(data.artifacts["model:v0"].to_json() | {"aliases": ["prod"]})
    clock.now += 61
    assert cache.artifact(PROJECT, "model:prod").id == "model:v0"


def test_mutable_content_refreshes_after_ttl_and_on_demand(inner, data, tmp_path, clock):
    cache = make_cache(inner, tmp_path, clock, ttl_s=60)
    assert len(cache.runs(PROJECT)) == 3
    assert len(cache.runs(PROJECT)) == 3
    assert inner.calls["runs"] == 1
    data.runs["r4"] = data.runs["r1"].__class__.from_json(data.runs["r1"].to_json() | {"id": "r4"})
    assert len(cache.runs(PROJECT)) == 3  # still fresh
    cache.refresh()
    assert len(cache.runs(PROJECT)) == 4
    assert inner.calls["runs"] == 2
    clock.now += 61
    cache.runs(PROJECT)
    assert inner.calls["runs"] == 3


def test_refresh_also_rechecks_cached_versions(inner, tmp_path, clock):
    cache = make_cache(inner, tmp_path, clock, ttl_s=3600)
    cache.artifact(PROJECT, "model:v1")
    clock.now = time.time() + 1  # refresh happens after the version was written
    cache.refresh()
    cache.artifact(PROJECT, "model:v1")
    assert inner.calls["artifact"] == 2


def test_history_frames_are_copies(inner, tmp_path, clock):
    cache = make_cache(inner, tmp_path, clock)
    frame = cache.history(PROJECT, "r1")
    frame["loss"] = 0
    assert cache.history(PROJECT, "r1")["loss"].tolist() == [1.0, 0.5, 0.25]
    assert inner.calls["history"] == 1


def test_errors_pass_through_and_are_not_cached(inner, tmp_path, clock):
    cache = make_cache(inner, tmp_path, clock)
    with pytest.raises(RunNotFound):
        cache.run(PROJECT, "ghost")
    with pytest.raises(RunNotFound):
        cache.run(PROJECT, "ghost")
    assert inner.calls["run"] == 2


def test_every_method_answers_like_the_inner_source(inner, data, tmp_path, clock):
    from tests.sources.store.test_store import assert_sources_equal

    cache = make_cache(inner, tmp_path, clock)
    assert_sources_equal(MemorySource({PROJECT: data}), cache, PROJECT)
    # and a second time, from the cache
    assert_sources_equal(MemorySource({PROJECT: data}), make_cache(inner, tmp_path, clock), PROJECT)
    assert isinstance(cache.store, Store)


def test_attributes_beyond_the_interface_come_from_the_inner_source(inner, tmp_path, clock):
    inner.settings = "the inner settings"
    cache = make_cache(inner, tmp_path, clock)
    assert cache.settings == "the inner settings"
    with pytest.raises(AttributeError):
        cache.no_such_thing  # noqa: B018 - the attribute access is what is tested


def test_marks_are_remembered_and_a_save_is_seen_at_once(inner, tmp_path, clock):
    from wbview.analysis import marks as mk

    cache = make_cache(inner, tmp_path, clock)
    ref = cache.tables(PROJECT, "r3")[0]
    assert cache.keeps_marks and cache.load_marks(PROJECT, ref) == []
    assert cache.load_marks(PROJECT, ref) == [] and inner.calls["load_marks"] == 1  # remembered
    first = mk.new_mark(1, "id", "other", "a", "ann")
    cache.save_marks(PROJECT, ref, [first])
    assert cache.load_marks(PROJECT, ref) == [first] and inner.calls["load_marks"] == 2  # the save dropped the memo
    second = mk.new_mark(2, "id", "needs data", "b", "bo")
    cache.save_marks(PROJECT, ref, [second])
    assert cache.load_marks(PROJECT, ref) == [first, second]  # append-only: both saves kept
    assert inner.saved_marks[(PROJECT, ref.artifact, ref.entry)] == [[first], [second]]


def test_histories_of_several_runs_and_a_missing_one(tmp_path):
    data = small_project()
    source = CachedSource(MemorySource({PROJECT: data}), store=tmp_path / "cache")
    run_ids = list(data.runs)
    histories = source.histories(PROJECT, [*run_ids, run_ids[0]])  # a repeated id is fetched once
    assert list(histories) == run_ids
    for run_id in run_ids:
        pd.testing.assert_frame_equal(histories[run_id], source.history(PROJECT, run_id))
    with pytest.raises(RunNotFound, match="nosuchrun"):
        source.histories(PROJECT, [run_ids[0], "nosuchrun"])
