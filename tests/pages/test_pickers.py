"""Run pickers on the demo project: names shown and searchable, defaults that follow the
story (the best-scoring eval run; Run vs run from older to newer), a bad run/table/cell in
a link explained the same way, and a lineage click that breaks no Session State rule."""

from __future__ import annotations

import pytest

from tests.pages.conftest import DEMO_PROJECT
from tests.pages.pagetest import open_page, problems, unescape
from tests.pages.test_analysis_pages import open_analysis_page
from wbview.analysis import selection as views
from wbview.sources.memory import ProjectData


def _eval_runs(demo: ProjectData) -> list:
    return sorted((r for r in demo.runs.values() if r.tables), key=lambda r: r.created_at)


@pytest.mark.parametrize("page", ["error_analysis", "threshold", "slices", "run_diff"])
def test_run_pickers_offer_names_and_ids(spec, demo, page):
    at = open_analysis_page(page, spec)
    assert problems(at) == []
    options = at.selectbox(key="run").options
    expected = {f"{r.name} ({r.id})" for r in _eval_runs(demo)}
    assert set(options) == expected  # a name typed into the box finds its run
    assert any("exp-002" in o for o in options)


def test_calibration_and_lineage_pickers_offer_names(spec, demo):
    at = open_analysis_page("calibration", spec)
    assert problems(at) == []
    assert {f"{r.name} ({r.id})" for r in _eval_runs(demo)} == set(at.multiselect(key="runs").options)
    picked = [r.id for r in _eval_runs(demo)[:2]]
    at.multiselect(key="runs").set_value(picked).run()
    assert problems(at) == []
    assert at.query_params["runs"] == picked  # the link keeps ids, the picker shows names
    at = open_analysis_page("lineage", spec)
    assert problems(at) == []
    assert {f"{r.name} ({r.id})" for r in demo.runs.values()} <= set(at.selectbox(key="root").options)


@pytest.mark.parametrize("page", ["error_analysis", "threshold", "slices"])
def test_analysis_pages_open_on_the_best_scoring_eval_run(spec, demo, page):
    runs = _eval_runs(demo)
    best = max(runs, key=lambda r: (r.summary["eval/f1"], r.created_at))  # newest of equal scores
    at = open_analysis_page(page, spec)
    assert problems(at) == []
    assert at.selectbox(key="run").value == best.id
    assert best.id != runs[-1].id or len({r.summary["eval/f1"] for r in runs}) == 1  # not just "the newest"


def test_run_vs_run_opens_on_the_run_before_against_the_newest(spec, demo):
    runs = _eval_runs(demo)
    at = open_analysis_page("run_diff", spec)
    assert problems(at) == []
    a, b = at.selectbox(key="run").value, at.selectbox(key="run_b").value
    assert (a, b) == (runs[-2].id, runs[-1].id)
    by_id = {r.id: r for r in runs}
    assert by_id[a].created_at < by_id[b].created_at  # A (before) is older than B (after)


def _warnings(at) -> str:
    return unescape(" ".join(w.value for w in at.warning))


def test_a_bad_run_table_or_cell_in_a_link_gets_the_same_notice(spec, demo):
    run = _eval_runs(demo)[0]
    at = open_analysis_page("error_analysis", spec, run="nope")
    assert "Run nope from the link does not exist" in _warnings(at)
    at = open_analysis_page("error_analysis", spec, run=run.id, table="nope/x.table.json")
    assert problems(at) == []
    assert f"Table nope/x.table.json from the link is not among the tables of run {run.name} ({run.id})" in _warnings(at)
    assert at.selectbox(key="table").value == views.table_name(run.tables[0])
    at = open_analysis_page("error_analysis", spec, run=run.id, cell="true martian → predicted ham")
    assert problems(at) == []
    assert "Confusion cell true martian → predicted ham from the link is not a cell" in _warnings(at)
    assert at.selectbox(key="cell").value == "all rows"


def test_a_lineage_node_chosen_through_session_state_breaks_no_widget_rule(spec, demo, monkeypatch):
    """A chart click puts the node into Session State before the widget is drawn; a widget
    that also gets a default index then logs Streamlit's "Session State API" stack trace."""
    from streamlit.elements.lib import policies

    calls: list[tuple[str | None, object]] = []
    original = policies.check_session_state_rules

    def spy(default_value, key, writes_allowed=True):
        calls.append((key, default_value))
        return original(default_value, key, writes_allowed)

    monkeypatch.setattr(policies, "check_session_state_rules", spy)
    model = next(a for a in demo.artifacts.values() if a.type == "model")
    root = model.logged_by
    at = open_page("pages/lineage.py", source=spec, project=DEMO_PROJECT, root=root)
    assert problems(at) == []
    choices = at.selectbox(key="node").options
    assert len(choices) > 2
    at.session_state["node"] = model.id  # what a click on the model's marker does
    at.run()
    assert problems(at) == []
    assert at.selectbox(key="node").value == model.id
    assert [c for c in calls if c[0] == "node" and c[1] is not None] == []
