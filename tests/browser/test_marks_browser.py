"""Triage marks in a real browser (Chromium via Playwright against `streamlit run`, on a
store of its own opened through ?source=store:<path>): mark a row in Error analysis,
reload the page, and the mark is still there, filterable; the note is shown as text.
Screenshots: test-artifacts/screenshots/marks-*.png."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from tests.browser.test_analysis_pages_browser import _navigation_registered  # noqa: F401 - autouse: app.py's navigation first

pytestmark = pytest.mark.browser

NOTE = "<img src=x onerror=alert(1)> calendar invite, not phishing"


@pytest.fixture(scope="module")
def marks_store(tmp_path_factory):
    from tests.pages.dashboard_fixture import PROJECT, build_project
    from wbview.sources.store.store import Store

    path = tmp_path_factory.mktemp("marks") / "store"
    Store(path).write_project(PROJECT, build_project())
    return path, PROJECT


def _url(app_url: str, marks_store, **params: str) -> str:
    path, project = marks_store
    query = "&".join(f"{k}={quote(str(v))}" for k, v in {"source": f"store:{path}", "project": project, **params}.items())
    return f"{app_url}/error_analysis?{query}"


def test_a_mark_survives_a_reload_and_filters_the_rows(app_url, marks_store, session):
    from wbview.sources.store.local import LocalSource

    page = session.page
    session.open(_url(app_url, marks_store, run="ev1", tab="Rows", row="3"))
    page.get_by_role("heading", name="Marks on this row").wait_for()
    page.get_by_text("No one has marked this row yet.").wait_for()
    page.get_by_label("Note").fill(NOTE)
    page.get_by_label("Your name", exact=True).and_(page.get_by_role("textbox")).fill("ann")
    page.get_by_label("Your name", exact=True).and_(page.get_by_role("textbox")).press("Enter")
    session.ready()
    page.get_by_test_id("stSelectbox").filter(has_text="Tag").click()
    page.get_by_role("option", name="label noise").click()
    session.ready()
    page.get_by_role("button", name="Save mark").click()
    page.get_by_text(re.compile(r"Saved label noise on sample id \d+ to ")).wait_for(timeout=45_000)
    session.ready()
    session.screenshot("marks-saved")

    saved = LocalSource(marks_store[0]).load_marks(marks_store[1], LocalSource(marks_store[0]).tables(marks_store[1], "ev1")[0])
    assert [(m.tag, m.note, m.author) for m in saved] == [("label noise", NOTE, "ann")]

    page.reload()  # a new session: the mark comes from the store
    session.ready()
    shown = page.get_by_text(re.compile(r"label noise · ann · "))  # the row's marks, as text
    shown.wait_for()
    assert NOTE in shown.inner_text()
    page.get_by_test_id("glide-cell-1-3").filter(has_text="label noise (ann: <img").wait_for(state="attached")  # marks column
    assert page.locator("img[src=x]").count() == 0

    session.open(_url(app_url, marks_store, run="ev1", tab="Rows", marked="marked rows"))
    page.get_by_text(re.compile(r"^1 of 240 rows selected")).wait_for()
    page.get_by_text("1 marks shown on 1 rows (1 saved, every save kept).").wait_for()
    session.screenshot("marks-filtered")
    assert session.dialogs == [] and session.page_errors == []
