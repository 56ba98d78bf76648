"""Shared links in a real browser: copy page.url after choosing, reopen it in a fresh
browser context, and the same view opens (Run vs run with Run B = the first option, the
Artifacts page after a type change, the open tab of Error analysis).
Screenshots: test-artifacts/screenshots/url-*.png."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_analysis_pages_browser import (  # noqa: F401
    DEMO_PROJECT,
    _navigation_registered,
    _query,
    _url,
    demo_store,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def eval_ids(demo_store) -> list[str]:
    """Eval run ids in the order the pickers list them."""
    from wbview.sources.store.local import LocalSource

    return [r.id for r in LocalSource(demo_store[0]).runs(DEMO_PROJECT) if r.tables]


def reopen(browser, session, url: str):
    """The shared link in a fresh browser context (no session state, no cookies), as a Session."""
    context = browser.new_context(viewport={"width": 1400, "height": 1500})
    other = type(session)(context.new_page())
    other.open(url)
    return other


def selected(page, label: str) -> str:
    """The text a selectbox labelled ``label`` shows."""
    return page.get_by_role("combobox", name=label, exact=True).input_value()


def reopens_the_same(browser, session, url: str, shown: dict[str, str], name: str):
    """Reopen ``url`` in a fresh context and check its selectboxes show ``shown``; returns the new
    Session (context still open) after a screenshot."""
    other = reopen(browser, session, url)
    assert {label: selected(other.page, label) for label in shown} == shown
    other.screenshot(name)
    assert session.page_errors == [] and other.page_errors == []
    return other


def choose(page, label: str, option: str) -> None:
    page.get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()


def test_run_diff_link_keeps_run_b_even_when_it_is_the_first_option(app_url, demo_store, session, browser, eval_ids):
    page = session.page
    session.open(_url(app_url, demo_store, "run_diff", run=eval_ids[1], run_b=eval_ids[0]))
    page.wait_for_url(re.compile(r"table_b="))
    shared = page.url
    assert _query(shared)["run_b"] == [eval_ids[0]] and _query(shared)["run"] == [eval_ids[1]]
    shown = {label: selected(page, label) for label in ("Run A (before)", "Run B (after)")}
    assert shown["Run B (after)"].endswith(f"({eval_ids[0]})"), shown  # pickers show "name (id)"
    session.screenshot("url-run-diff")

    other = reopens_the_same(browser, session, shared, shown, "url-run-diff-reopened")
    assert _query(other.page.url)["run_b"] == [eval_ids[0]]
    other.page.context.close()


def test_run_diff_default_run_b_is_in_the_link(app_url, demo_store, session, browser, eval_ids):
    page = session.page
    session.open(_url(app_url, demo_store, "run_diff", run=eval_ids[2]))
    page.wait_for_url(re.compile(r"run_b="))
    run_b = _query(page.url)["run_b"][0]
    assert run_b != eval_ids[2]
    other = reopen(browser, session, page.url)
    assert selected(other.page, "Run B (after)").endswith(f"({run_b})")
    other.page.context.close()


def test_artifacts_link_after_a_type_change_reopens_the_same_version(app_url, demo_store, session, browser):
    page = session.page
    session.open(_url(app_url, demo_store, "artifacts", type="dataset"))
    versions_before = selected(page, "Version")
    page.get_by_role("combobox", name="Version", exact=True).click()
    last = page.get_by_role("option").last
    older = last.inner_text().strip().split(" (")[0]  # "v1 (latest)": the version, then its aliases
    last.click()
    page.wait_for_url(re.compile(rf"version={older}"))
    session.ready()
    assert older != versions_before

    choose(page, "Type", "model")
    page.wait_for_url(re.compile(r"type=model"))
    session.ready()
    shared = page.url
    shown = {label: selected(page, label) for label in ("Type", "Collection", "Version")}
    version = shown["Version"].split(" (")[0]
    assert _query(shared)["version"] == [version] and _query(shared)["collection"] == [shown["Collection"]]
    heading = page.get_by_role("heading", level=3).first.inner_text()
    assert heading == f"{shown['Collection']}:{version}"
    session.screenshot("url-artifacts-model")

    other = reopens_the_same(browser, session, shared, shown, "url-artifacts-model-reopened")
    assert other.page.get_by_role("heading", level=3).first.inner_text() == heading
    other.page.context.close()


def test_the_open_tab_is_in_the_link(app_url, demo_store, session, browser, eval_ids):
    page = session.page
    session.open(_url(app_url, demo_store, "error_analysis", run=eval_ids[0]))
    page.get_by_role("tab", name="False negatives").click()
    page.wait_for_url(re.compile(r"tab=False"))
    session.ready()
    other = reopen(browser, session, page.url)
    assert other.page.get_by_role("tab", name="False negatives").get_attribute("aria-selected") == "true"
    other.screenshot("url-error-analysis-fn-tab-reopened")
    other.page.context.close()


def test_link_values_that_cannot_be_used_are_replaced_visibly(app_url, demo_store, session):
    page = session.page
    session.open(_url(app_url, demo_store, "error_analysis", run="nonexist"))
    page.get_by_text(re.compile(r"Run nonexist from the link does not exist")).wait_for()
    page.wait_for_url(re.compile(r"table="))
    assert selected(page, "Run").endswith(f"({_query(page.url)['run'][0]})")
    session.screenshot("url-missing-run-warning")
    session.open(_url(app_url, demo_store, "lineage", depth="99"))
    page.get_by_text("The link's depth=99 was ignored").wait_for()
    session.open(_url(app_url, demo_store, "", project="acme/nope"))  # Runs is the root page
    page.locator('[data-testid="stAlertContentError"] code').filter(has_text="wbview pull acme/nope").wait_for()
    session.screenshot("url-unknown-project")
    assert session.page_errors == []


def test_a_runs_filter_is_in_the_link_in_the_cli_filter_syntax(app_url, demo_store, session, browser):
    page = session.page
    session.open(_url(app_url, demo_store, ""))  # Runs is the default page
    page.get_by_role("combobox", name=re.compile(r"^job\\?_type$")).click()  # the label is md-escaped
    page.get_by_role("option", name="eval", exact=True).click()
    page.keyboard.press("Escape")
    page.wait_for_url(re.compile(r"[?&]f=job"))
    session.ready()
    assert _query(page.url)["f"] == ["job_type in eval"]  # what `wbview runs --filter` takes
    page.get_by_text(re.compile(r"^6 of 18 runs match the filters")).wait_for()
    session.screenshot("url-runs-filter")

    other = reopen(browser, session, page.url)
    other.page.get_by_text(re.compile(r"^6 of 18 runs match the filters")).wait_for()
    sidebar = other.page.get_by_test_id("stSidebar")
    assert sidebar.get_by_test_id("stMultiSelect").filter(has_text="job").get_by_text("eval", exact=True).count() == 1
    assert _query(other.page.url)["f"] == ["job_type in eval"]
    other.screenshot("url-runs-filter-reopened")
    other.page.context.close()


def _wait_title(session, title: str) -> None:
    session.page.wait_for_function("t => document.querySelector('h1')?.innerText.trim() === t", arg=title)
    session.ready()


def test_a_page_visit_adds_one_history_step_or_two_and_back_returns(app_url, session):
    """Each link change the script made used to be a step of its own in the browser's history
    (five per page switch, most of them with the previous page's path), so Back went through
    half-written links. Now a run tells the browser its link once: a page switch adds Streamlit's
    own step (sometimes a bare one: its sidebar drops the link's parameters) and ours."""
    page = session.page
    session.open(f"{app_url}/error_analysis?run=ev1")
    before = page.evaluate("history.length")
    page.get_by_test_id("stSidebarNavLink").filter(has_text="Threshold & cost").click()
    _wait_title(session, "Threshold & cost")
    page.wait_for_timeout(500)  # (any late step would land now)
    steps = page.evaluate("history.length") - before
    assert 1 <= steps <= 2, steps
    assert "run=ev1" in page.url
    for _ in range(steps):
        page.go_back()
        session.ready()
    _wait_title(session, "Error analysis")
    assert "/error_analysis?" in page.url and _query(page.url)["run"] == ["ev1"]
