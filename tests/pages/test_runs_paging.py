"""The Runs page on a big project (the fake W&B server, 1,200 runs): it asks W&B for one
sorted, filtered page and its count, keeps the page in the link, and loads metric
histories only when asked, several at once."""

from __future__ import annotations

import pytest

from tests.fixtures import build_many_runs
from tests.pages.pagetest import clear_streamlit_caches, open_page, problems, texts
from wbview.filters import RunOrder, _lookup, parse_filters
from wbview.sources.memory import MemorySource

BIG = "acme/many"


@pytest.fixture(scope="module")
def many():
    return build_many_runs(1_200)[1]


@pytest.fixture
def big(fake_wandb, many, tmp_path, monkeypatch):
    monkeypatch.setenv("WBVIEW_CACHE_DIR", str(tmp_path / "cache"))
    fake_wandb.set_project(BIG, many)
    clear_streamlit_caches()
    yield fake_wandb
    clear_streamlit_caches()
    fake_wandb.remove_project(BIG)


def _open(**params):
    return open_page("pages/runs.py", source="wandb", project=BIG, **params)


def _history_requests(fake):
    return [r for r in fake.requests if r.op and "History" in r.op]


def _f1(runs_or_ids, many):
    return [_lookup(many.runs[i].summary, ("eval/f1",)) for i in runs_or_ids]


def test_first_open_from_a_filtered_link_asks_for_one_page_and_no_history(big, many):
    at = _open(f="job_type in train")
    assert problems(at) == []
    train = [r for r in many.runs.values() if r.job_type == "train"]
    assert f"{len(train):,} of 1,200 runs match the filters; showing 1–50" in texts(at)
    table = at.dataframe[-1].value
    assert len(table) == 50 and set(table["job_type"]) == {"train"}
    best = sorted((r.summary["eval/f1"] for r in train if "eval/f1" in r.summary), reverse=True)[:50]
    assert _f1(table["id"], many) == best  # sorted by the server over all matching runs
    assert big.count("Runs") == 2  # the latest runs (filter choices) and the page: never every run
    assert all(r.variables["perPage"] <= 200 for r in big.requests if r.op == "Runs")
    assert _history_requests(big) == [] and big.count("Run") == 0


def test_the_page_and_its_size_come_from_the_link_and_go_back_into_it(big, many):
    at = _open(f="job_type in train", per_page="100", page="3")
    assert problems(at) == []
    expected = MemorySource({BIG: many}).runs_page(
        BIG, parse_filters(["job_type in train"]), offset=200, limit=100, order=RunOrder.parse("-eval/f1")
    )
    table = at.dataframe[-1].value
    assert _f1(table["id"], many) == _f1([r.id for r in expected.runs], many)
    assert "showing 201–300" in texts(at) and at.number_input(key="page").value == 3
    big.reset()
    at.number_input(key="page").set_value(4).run()
    assert problems(at) == [] and at.query_params["page"] == "4"
    assert "showing 301–400" in texts(at)
    assert big.count("Runs") == 1  # the next page continues where the last one ended


def test_a_link_past_the_last_page_shows_the_last_with_a_notice(big):
    at = _open(f="job_type in train", per_page="500", page="9")
    assert problems(at) == []
    assert "there are 2 pages" in texts(at) and at.number_input(key="page").value == 2


def test_changing_the_filter_goes_back_to_the_first_page(big):
    at = _open(page="5")
    assert "showing 201–250" in texts(at)
    at.multiselect(key="f.job_type").set_value(["eval"]).run()
    assert problems(at) == [] and "showing 1–50" in texts(at) and at.query_params["page"] == "1"


def test_curves_load_only_when_asked_and_in_parallel(big, many):
    at = _open()
    assert _history_requests(big) == []
    big.reset()
    big.delay("*", seconds=0.4, times=None)  # every request slow: one after another would take 4 s+
    try:
        at.toggle(key="curves").set_value(True).run()
    finally:
        big.clear_faults()
    assert problems(at) == []
    requests = _history_requests(big)
    assert len(requests) == 10  # the first 10 runs of the page, once each
    spans = [(r.started_s, r.started_s + r.duration_s) for r in requests]
    assert max(sum(1 for s, e in spans if s <= start < e) for start, _ in spans) >= 4  # at the same time
    assert at.toggle(key="curves").value


def test_a_link_on_a_key_no_run_has_names_the_closest_from_a_sample(big):
    at = open_page(None, source="wandb", project=BIG, f="params.encodr=head_tail")  # Runs: the default page
    assert problems(at) == []
    assert "among a sample of 200 of the 1,200 runs" in texts(at) and "Closest keys: params.encoder" in texts(at)
    assert big.count("Runs") == 2 and all(r.variables["perPage"] <= 200 for r in big.requests if r.op == "Runs")


def test_a_linked_run_on_another_page_is_looked_up_not_listed(big, many):
    oldest = min(many.runs.values(), key=lambda r: r.created_at).id
    at = open_page(None, source="wandb", project=BIG, run=oldest)
    assert problems(at) == []
    assert "is not among the runs listed here" in texts(at)
    assert big.count("Runs") == 2 and big.count("Run") == 1  # that one run, not every run
    at = open_page(None, source="wandb", project=BIG, run="nosuchrun")
    assert "does not exist in project acme/many" in texts(at)
