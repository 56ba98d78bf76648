"""Run listings one page at a time, sorted and counted by W&B, and histories fetched in
parallel: the real wandb client against the loopback fake W&B server, with request counts."""

from __future__ import annotations

import pytest

from tests.fixtures import PROJECT_PATH
from tests.sources.wandb.test_source import source  # noqa: F401 - the fixture: a fresh, logged-in source
from wbview.filters import RunOrder, parse_filters
from wbview.sources.memory import MemorySource


@pytest.fixture
def reference(fixture_project):
    """The same project in memory: the client-side answer a page must agree with."""
    return MemorySource({PROJECT_PATH: fixture_project})


def _ids(page) -> list[str]:
    return [r.id for r in page.runs]


def test_first_page_is_one_request_with_the_total(source, fake_wandb, reference, fixture_project):
    page = source.runs_page(PROJECT_PATH, limit=10)
    assert fake_wandb.ops() == ["Runs"]  # one request: no listing of every run
    assert fake_wandb.last("Runs").variables["perPage"] == 10
    assert fake_wandb.last("Runs").variables["order"] == "-created_at"
    assert page.total == len(fixture_project.runs) == 32
    assert page.pages == 4
    assert _ids(page) == _ids(reference.runs_page(PROJECT_PATH, limit=10))


def test_the_next_page_continues_at_the_cursor_with_one_request(source, fake_wandb, reference):
    source.runs_page(PROJECT_PATH, limit=10)
    fake_wandb.reset()
    second = source.runs_page(PROJECT_PATH, offset=10, limit=10)
    assert fake_wandb.count("Runs") == 1
    assert fake_wandb.last("Runs").variables["cursor"]  # started after the first page
    assert _ids(second) == _ids(reference.runs_page(PROJECT_PATH, offset=10, limit=10))
    last = source.runs_page(PROJECT_PATH, offset=30, limit=10)  # no cursor known: one request of 40
    assert _ids(last) == _ids(reference.runs_page(PROJECT_PATH, offset=30, limit=10)) and len(last.runs) == 2
    assert fake_wandb.count("Runs") == 2


def test_a_deep_page_from_a_link_costs_one_request_per_thousand_runs(source, fake_wandb, reference):
    page = source.runs_page(PROJECT_PATH, offset=20, limit=5)
    assert fake_wandb.count("Runs") == 1
    assert _ids(page) == _ids(reference.runs_page(PROJECT_PATH, offset=20, limit=5))


@pytest.mark.parametrize("texts", [["job_type=train"], ["params.lr>=1e-4", "state=finished"], ["eval/f1>2"]])
def test_a_filtered_page_counts_the_matching_runs(source, fake_wandb, reference, texts):
    run_filter = parse_filters(texts)
    page = source.runs_page(PROJECT_PATH, run_filter, limit=3)
    expected = reference.runs_page(PROJECT_PATH, run_filter, limit=3)
    assert fake_wandb.count("Runs") == 1
    assert (page.total, _ids(page)) == (expected.total, _ids(expected))


def test_a_dotted_key_filter_still_pages_and_counts(source, fake_wandb, reference):
    run_filter = parse_filters(['"model.type"=roberta'])  # W&B cannot filter it: done here
    page = source.runs_page(PROJECT_PATH, run_filter, limit=2)
    expected = reference.runs_page(PROJECT_PATH, run_filter, limit=2)
    assert expected.total and (page.total, _ids(page)) == (expected.total, _ids(expected))


@pytest.mark.parametrize("order_text", ["-eval/f1", "+eval/f1", "+train/loss", "-params.lr", "+created_at"])
def test_the_server_sorts(source, fake_wandb, reference, order_text):
    order = RunOrder.parse(order_text)
    page = source.runs_page(PROJECT_PATH, limit=32, order=order)
    expected = reference.runs_page(PROJECT_PATH, limit=32, order=order)
    assert fake_wandb.last("Runs").variables["order"] == order.to_server()
    if order.field == "created_at":
        assert _ids(page) == _ids(expected)
        return
    root = "config" if order.field == "config" else "summary"

    def values(p):
        from wbview.filters import _lookup

        found = [_lookup(getattr(r, root), order.keys) for r in p.runs]
        return [v for v in found if isinstance(v, (int, float))]

    assert values(page) == values(expected) and len(values(page)) > 3  # same order of the runs that have it


def test_histories_are_fetched_in_parallel(source, fake_wandb, fixture_project):
    run_ids = sorted(fixture_project.runs)[:10]
    source.runs_page(PROJECT_PATH, limit=32)  # the listing brings the runs: no request per run
    fake_wandb.reset()
    fake_wandb.delay("*", seconds=0.5, times=None)
    histories = source.histories(PROJECT_PATH, run_ids)
    history_requests = [r for r in fake_wandb.requests if r.op and "History" in r.op]
    assert len(history_requests) == 10 and fake_wandb.count("Run") == 0
    spans = [(r.started_s, r.started_s + r.duration_s) for r in history_requests]
    overlapping = max(sum(1 for s, e in spans if s <= start < e) for start, _ in spans)
    assert overlapping >= 4  # at once, not one after another
    assert sorted(histories) == run_ids
    for run_id in run_ids:
        expected = fixture_project.histories.get(run_id)
        assert len(histories[run_id]) == (0 if expected is None else len(expected))


def test_the_closest_key_note_reads_a_sample_not_every_run(fake_wandb):
    from tests.fixtures import build_many_runs
    from tests.sources.wandb.test_source import make_source
    from wbview.cli.runs import _query_runs

    fake_wandb.set_project("acme/many", build_many_runs(1_200)[1])
    src = make_source(fake_wandb, timeout_s=20)
    try:
        src.api  # noqa: B018 - starts the client before counting
        fake_wandb.reset()
        runs, applied = _query_runs(src, "acme/many", parse_filters(["params.encodr=head_tail"]))
    finally:
        src.close()
        fake_wandb.remove_project("acme/many")
    assert runs == [] and applied == parse_filters(["params.encodr=head_tail"])
    listings = [r.variables["perPage"] for r in fake_wandb.requests if r.op == "Runs"]
    assert len(listings) == 2 and max(listings) <= 200  # the filtered query, then one sample page


@pytest.mark.parametrize("project", ["acme/no-such-project", "nobody/phishing"])
def test_a_page_of_an_unknown_project_says_so(source, project):
    from wbview.errors import ProjectNotFound

    with pytest.raises(ProjectNotFound, match=project):
        source.runs_page(project, limit=10)


def test_an_outage_while_paging_is_a_clear_error(source, fake_wandb):
    from wbview.errors import ServerError

    fake_wandb.fail("Runs", 503, times=None)
    with pytest.raises(ServerError, match="HTTP 503"):
        source.runs_page(PROJECT_PATH, limit=10)


def test_a_wandb_that_ignores_the_cursor_still_gives_the_right_page(source, fake_wandb, reference, monkeypatch):
    import wbview.sources.wandb.source as wandb_source

    source.runs_page(PROJECT_PATH, limit=10)
    monkeypatch.setattr(wandb_source, "_start_at", lambda paginator, cursor: None)  # as if wandb changed
    second = source.runs_page(PROJECT_PATH, offset=10, limit=10)
    assert _ids(second) == _ids(reference.runs_page(PROJECT_PATH, offset=10, limit=10))
