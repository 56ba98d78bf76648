"""In Chromium: a lineage click on a run leads to the run's own page, with no Streamlit
Session State stack trace in the server log; the runs leaderboard and the run page drawn."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.browser


def test_a_lineage_click_opens_the_run_page_without_a_server_stack_trace(app_url, session, tmp_path_factory):
    page = session.page
    session.open(f"{app_url}/lineage?root=tr3")
    session.wait_charts()
    # One column per hop: prep, dataset, tr3 (root), classifier, ev1 from left to right.
    boxes = sorted((p.bounding_box() for p in page.locator(".scatterlayer .trace .points path").all()), key=lambda b: b["x"])
    assert len(boxes) == 5
    box = boxes[4]
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.up()
    link = page.get_by_role("link", name="Open run exp-003-eval")
    link.wait_for(timeout=45_000)
    session.ready()
    link.click()
    page.wait_for_url(re.compile(r"/run\?"))
    assert parse_qs(urlsplit(page.url).query)["run"] == ["ev1"]
    page.get_by_role("heading", name="exp-003-eval (ev1)").wait_for()
    session.ready()
    page.get_by_role("link", name="Error analysis of eval/predictions").wait_for()
    session.screenshot("run-page")
    log = (tmp_path_factory.getbasetemp() / "streamlit-server.log").read_text()
    assert "Session State API" not in log and "Traceback" not in log
    assert session.page_errors == []


def test_the_runs_leaderboard_and_a_named_run_picker(app_url, session):
    page = session.page
    session.open(app_url)  # Runs is the default page, at the root
    page.get_by_text("5 of 5 runs match").wait_for()
    session.ready()
    page.get_by_role("link", name="Open the run's page").wait_for()
    assert page.get_by_text("Page not found").count() == 0
    session.screenshot("runs-leaderboard")
    assert session.page_errors == []
