"""A local store pages through its runs like W&B does: one page, the total, any order."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.fixtures import build_many_runs
from wbview.filters import RunOrder, parse_filters
from wbview.sources.memory import MemorySource
from wbview.sources.store.local import LocalSource
from wbview.sources.store.store import Store


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    path, data = build_many_runs(1_200)
    root = tmp_path_factory.mktemp("paging") / "store"
    Store(root).write_project(path, data)
    return path, LocalSource(root), MemorySource({path: data})


@pytest.mark.parametrize(
    ("texts", "order", "offset", "limit"),
    [
        ([], None, 0, 50),
        ([], None, 1_150, 100),  # the last, short page
        (["job_type=train"], "-eval/f1", 100, 100),
        (["params.encoder=head_tail", "eval/f1>0.9"], "+train/loss", 0, 500),
        ([], "+created_at", 500, 500),
        (["eval/f1>2"], None, 0, 50),  # nothing matches
    ],
)
def test_store_pages_agree_with_the_runs_in_memory(many, texts, order, offset, limit):
    path, store, memory = many
    run_filter = parse_filters(texts) if texts else None
    run_order = RunOrder.parse(order) if order else None
    page = store.runs_page(path, run_filter, offset=offset, limit=limit, order=run_order)
    everything = [r for r in memory.data[path].runs.values() if run_filter is None or run_filter.matches(r)]
    assert page.total == len(everything)
    assert len(page.runs) == max(0, min(limit, len(everything) - offset))
    ordered = (run_order or RunOrder()).sort(everything)
    assert [r.id for r in page.runs] == [r.id for r in ordered[offset : offset + limit]]


def test_store_page_is_newest_first_by_default(many):
    path, store, _ = many
    page = store.runs_page(path, limit=20)
    created = [r.created_at for r in page.runs]
    assert created == sorted(created, reverse=True) and page.total == 1_200 and page.pages == 60


def test_the_next_page_is_a_slice_until_the_run_list_changes(tmp_path, monkeypatch):
    path, data = build_many_runs(300)
    store = Store(tmp_path / "store")
    store.write_project(path, data)
    source = LocalSource(store.root)
    passes = []
    listing = LocalSource.runs
    monkeypatch.setattr(LocalSource, "runs", lambda self, *a, **k: passes.append(1) or listing(self, *a, **k))
    run_filter, order = parse_filters(["job_type=train"]), RunOrder.parse("-eval/f1")
    first = source.runs_page(path, run_filter, limit=50, order=order)
    second = source.runs_page(path, run_filter, offset=50, limit=50, order=order)
    assert len(passes) == 1  # one pass over every run, then slices
    assert not {r.id for r in first.runs} & {r.id for r in second.runs} and first.total == second.total
    newest = max(r.created_at for r in data.runs.values())
    extra = replace(next(iter(data.runs.values())), id="zz-new", job_type="train", created_at=newest)
    store.put_runs(path, [extra])
    assert source.runs_page(path, run_filter, limit=50, order=order).total == first.total + 1
    assert len(passes) == 2  # the run list changed: read again
