"""Shareable state through AppTest: the value a page shows is the value in its link (defaults
included), choices reset when the one above them changes, and a link's value that cannot be
used is replaced with a visible notice, never silently."""

from __future__ import annotations

import pytest

# The small demo project and its fixtures (tests/pages/conftest.py), shared with the analysis pages' tests.
from tests.pages.conftest import DEMO_PROJECT
from tests.pages.pagetest import errors, open_page, problems, texts
from tests.pages.test_analysis_pages import open_direct
from wbview.sources.memory import ProjectData


def open_at(page: str, spec: str, **params):
    at = open_direct(page, source=spec, project=DEMO_PROJECT, **params)
    assert not at.exception, problems(at)
    return at


def eval_and_train_ids(demo: ProjectData) -> tuple[list[str], list[str]]:
    runs = list(demo.runs.values())
    return [r.id for r in runs if r.tables], [r.id for r in runs if not r.tables]


def option_ids(box) -> list[str]:
    """The run ids behind a run picker's "name (id)" options."""
    return [option.rsplit(" (", 1)[-1].rstrip(")") for option in box.options]


def test_run_b_equal_to_the_first_option_stays_in_the_link(spec):
    at = open_at("run_diff", spec)
    first, second = option_ids(at.selectbox(key="run_b"))[:2]
    at = open_at("run_diff", spec, run=second, run_b=first)
    assert at.selectbox(key="run_b").value == first
    assert at.query_params["run_b"] == first  # Streamlit's binding would leave the first option out
    assert at.query_params["run"] == second


def test_run_diff_defaults_are_written_into_the_link(spec):
    at = open_at("run_diff", spec)
    run_a, run_b = at.selectbox(key="run").value, at.selectbox(key="run_b").value
    assert run_a != run_b  # B defaults to another run than A
    assert (at.query_params["run"], at.query_params["run_b"]) == (run_a, run_b)
    assert at.query_params["table_b"] == at.selectbox(key="table_b").value
    other = option_ids(at.selectbox(key="run_b"))[2]
    at.selectbox(key="run_b").select(other).run()
    assert at.query_params["run_b"] == other
    assert at.query_params["table_b"] == at.selectbox(key="table_b").value  # the table follows the run


def test_artifacts_type_change_resets_collection_and_version_and_writes_them(spec, demo):
    at = open_at("artifacts", spec)
    versions = [option.split(" (")[0] for option in at.selectbox(key="version").options]  # "v1 (latest)" -> v1
    at.selectbox(key="version").select(versions[-1]).run()  # not the default version
    assert at.query_params["version"] == versions[-1]
    at.selectbox(key="type").select("model").run()
    assert not at.exception, problems(at)
    collection = at.selectbox(key="collection")
    version = at.selectbox(key="version")
    assert collection.value == collection.options[0] and version.value == version.options[0].split(" (")[0]
    assert (at.query_params["type"], at.query_params["collection"], at.query_params["version"]) == (
        "model",
        collection.value,
        version.value,
    )
    assert f"{collection.value}:{version.value}" in at.subheader[0].value.replace("\\", "")
    reopened = open_at("artifacts", spec, **{k: at.query_params[k] for k in ("type", "collection", "version")})
    assert reopened.subheader[0].value == at.subheader[0].value


def test_artifacts_unknown_version_in_the_link_says_so(spec):
    at = open_at("artifacts", spec, type="dataset", version="v99")
    shown = at.selectbox(key="version").value
    assert "The link's version=v99 was ignored" in texts(at)
    assert at.query_params["version"] == shown != "v99"


@pytest.mark.parametrize("page", ["error_analysis", "threshold"])
def test_a_run_that_does_not_exist_is_replaced_with_a_warning(spec, page):
    at = open_at(page, spec, run="nonexist")
    shown = at.selectbox(key="run").value
    assert any("nonexist" in w.value and "does not exist" in w.value for w in at.warning), texts(at)
    assert at.query_params["run"] == shown


def test_a_run_without_eval_table_is_replaced_with_a_warning(spec, demo):
    _, train = eval_and_train_ids(demo)
    at = open_at("threshold", spec, run=train[0])
    shown = at.selectbox(key="run").value
    assert shown != train[0]
    assert any(train[0] in w.value and "logged no eval table" in w.value for w in at.warning), texts(at)
    assert at.query_params["run"] == shown


def test_runs_page_offers_error_analysis_only_for_runs_with_tables(spec, demo):
    evals, train = eval_and_train_ids(demo)
    links = lambda at: [p.proto.label for p in at.get("page_link")]  # noqa: E731
    assert "Error analysis of this run" in links(open_at("runs", spec, run=evals[0]))
    at = open_at("runs", spec, run=train[0])
    assert at.selectbox(key="run").value == train[0]
    assert "Lineage of this run" in links(at) and "Error analysis of this run" not in links(at)


@pytest.mark.parametrize(
    "page, params, notice",
    [
        ("calibration", {"bins": "999"}, "bins=999 was ignored"),
        ("lineage", {"depth": "99"}, "depth=99 was ignored"),
        ("threshold", {"point": "custom", "t": "5"}, "t=5 was ignored"),
        ("slices", {"min_rows": "-3"}, "min_rows=-3 was ignored"),
        ("slices", {"view": "error tree", "depth": "9"}, "depth=9 was ignored"),
    ],
)
def test_out_of_range_link_values_get_a_notice(spec, page, params, notice):
    at = open_at(page, spec, **params)
    assert notice in texts(at)


def test_in_range_link_values_get_no_notice(spec):
    at = open_at("calibration", spec, bins="12")
    assert at.slider(key="bins").value == 12
    assert "ignored" not in texts(at)


def test_the_open_tab_comes_from_the_link(spec):
    at = open_at("error_analysis", spec, tab="False negatives")
    assert at.session_state["tab"] == "False negatives"


def test_unknown_project_message_renders_the_command_as_code(tmp_path, demo):
    from wbview.sources.store.store import Store

    Store(tmp_path).write_project(DEMO_PROJECT, demo)
    at = open_page("pages/runs.py", source=f"store:{tmp_path}", project="acme/nope")
    message = " ".join(e.value for e in at.error)
    assert "`wbview pull acme/nope --store" in message, errors(at)
    assert "\\`" not in message  # markdown code, not escaped backticks shown literally


def test_lineage_default_root_is_written_into_the_link(spec):
    at = open_at("lineage", spec)
    root = at.selectbox(key="root").value
    assert root and at.query_params["root"] == root


def _picked_then_stale_link(spec: str, demo: ProjectData, *, told: bool):
    """Open Error analysis on the first eval run, pick the second; then a rerun arrives whose
    link still names the first run: the browser's link is behind (``told`` False: the run that
    picked the second run was stopped by the next click before telling the browser) or the
    person went Back to the first run's link (``told`` True)."""
    eval_ids, _ = eval_and_train_ids(demo)
    first, second = eval_ids[0], eval_ids[1]
    at = open_at("error_analysis", spec, run=first)
    at.selectbox(key="run").set_value(second)
    if told:
        at.run()  # a run that finished: the browser heard of the second run
        assert at.query_params["run"] == second
    else:  # the state such a stopped run leaves: its choice made, the browser not told
        at.session_state["_url_last:run"] = second
        at.session_state["_url_unsent"] = True
    at.query_params["run"] = first
    at.run()
    assert not at.exception, problems(at)
    return at, first, second


def test_a_click_that_stopped_a_run_keeps_the_choice_that_run_made(spec, demo):
    at, _, second = _picked_then_stale_link(spec, demo, told=False)
    assert at.selectbox(key="run").value == second
    assert at.query_params["run"] == second  # and the browser hears of it now


def test_going_back_to_an_older_link_still_opens_it(spec, demo):
    at, first, _ = _picked_then_stale_link(spec, demo, told=True)
    assert at.selectbox(key="run").value == first
    assert at.query_params["run"] == first
