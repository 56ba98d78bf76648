"""Triage marks on W&B through the real wandb client against the fake server: each
save is a new version of the table's review artifact, logged by a "review" run that
used the predictions artifact (lineage); loading reads every version."""

from __future__ import annotations

import threading

import pytest

from tests.conftest import FAKE_RETRY_ENV
from tests.fakewandb import FakeWandb
from tests.fixtures import PROJECT_PATH, build_fixture_project, copy_project, main_eval_run
from wbview.analysis import marks as mk
from wbview.settings import Settings
from wbview.sources.cached import CachedSource
from wbview.sources.wandb import WandbSource
from wbview.sources.wandb.review import REVIEW_JOB_TYPE, REVIEW_TYPE, review_collection

pytest.importorskip("wandb")


@pytest.fixture
def fake(monkeypatch):
    """A FakeWandb of its own (saves add runs and versions to its project)."""
    with FakeWandb({PROJECT_PATH: copy_project(build_fixture_project()[1])}) as server:
        for name, value in {**server.env(), **FAKE_RETRY_ENV}.items():
            monkeypatch.setenv(name, value)
        yield server


def make_source(fake: FakeWandb) -> WandbSource:
    return WandbSource(Settings(api_key=fake.api_key, base_url=fake.base_url, entity="acme", project="phishing"), timeout_s=20)


def test_two_saves_make_two_versions_and_both_marks_come_back(fake):
    source = make_source(fake)
    ref = next(r for r in source.tables(PROJECT_PATH, main_eval_run(build_fixture_project()[1]).id) if r.kind == "table")
    assert source.load_marks(PROJECT_PATH, ref) == []  # no review yet: no marks, no error
    first = mk.new_mark(3, "id", "label noise", "<b>calendar invite</b>", "ann")
    second = mk.new_mark(3, "id", "model error", "", "bo")
    fake.reset()
    where = [source.save_marks(PROJECT_PATH, ref, [first]), source.save_marks(PROJECT_PATH, ref, [second])]
    collection = review_collection(ref)
    assert where == [f"W&B artifact {PROJECT_PATH}/{collection}:v0", f"W&B artifact {PROJECT_PATH}/{collection}:v1"]
    for op in ("CreateArtifact", "CommitArtifact", "UseArtifact", "UpsertBucket"):
        assert fake.count(op) >= 2, (op, fake.ops())
    assert fake.count("CreateArtifact") == fake.count("CommitArtifact") == 2 and fake.unknown == []
    assert fake.count("upload") >= 2  # each version's marks.json (and manifest) went up

    loaded = source.load_marks(PROJECT_PATH, ref)
    assert sorted(mk.merge([loaded]), key=lambda m: m.author) == [first, second]

    versions = source.artifact_versions(PROJECT_PATH, collection)
    assert [v.version for v in versions] == ["v1", "v0"] and {v.type for v in versions} == {REVIEW_TYPE}
    assert versions[0].metadata["predictions"] == ref.artifact and versions[0].metadata["authors"] == ["bo"]
    v0 = source.artifact(PROJECT_PATH, f"{collection}:v0")
    producer = source.run(PROJECT_PATH, v0.logged_by or "")
    assert producer.job_type == REVIEW_JOB_TYPE
    assert producer.id in source.artifact(PROJECT_PATH, ref.artifact).used_by  # lineage: the review run used the table


def test_concurrent_saves_both_survive(fake):
    source = make_source(fake)
    ref = next(r for r in source.tables(PROJECT_PATH, main_eval_run(build_fixture_project()[1]).id) if r.kind == "table")
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def save(author: str) -> None:
        try:
            barrier.wait(timeout=30)
            make_source(fake).save_marks(PROJECT_PATH, ref, [mk.new_mark(5, "id", "needs data", author, author)])
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(who,)) for who in ("ann", "bo")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(m.author for m in source.load_marks(PROJECT_PATH, ref)) == ["ann", "bo"]


def test_the_cache_forwards_saves_and_sees_them_at_once(fake, tmp_path):
    cached = CachedSource(make_source(fake), tmp_path / "cache", ttl_s=600)
    ref = next(r for r in cached.tables(PROJECT_PATH, main_eval_run(build_fixture_project()[1]).id) if r.kind == "table")
    assert cached.keeps_marks and cached.load_marks(PROJECT_PATH, ref) == []
    cached.save_marks(PROJECT_PATH, ref, [mk.new_mark(1, "id", "other", "x", "ann")])
    assert [m.note for m in cached.load_marks(PROJECT_PATH, ref)] == ["x"]
