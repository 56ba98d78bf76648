"""The first seconds of a fresh server: several people follow deep links at the same moment,
before any session has run app.py. Until app.py's st.navigation has run once, Streamlit
treats pages/ as an old-style page folder and runs a deep-linked page file without app.py
(no login check, no wide layout, a menu of file names). Every one of them must still get
app.py's navigation: the page titles in the menu, Runs first."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Session, serve_app

DEEP_LINKS = ["threshold?run=ev1", "error_analysis?run=ev1", "lineage?root=tr3", "calibration", "slices?run=ev1"]
TITLES = ["Threshold & cost", "Error analysis", "Lineage", "Calibration", "Where errors concentrate"]


@pytest.fixture
def fresh_url(store_dir, tmp_path_factory):
    yield from serve_app(store_dir, tmp_path_factory, name="streamlit-fresh-server")


def test_people_opening_deep_links_at_once_on_a_fresh_server_all_get_the_app(fresh_url, browser):
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1100}) for _ in DEEP_LINKS]
    try:
        sessions = [Session(context.new_page()) for context in contexts]
        for session, link in zip(sessions, DEEP_LINKS, strict=True):
            session.page.goto(f"{fresh_url}/{link}", wait_until="commit")  # all at once: nobody waits for the others
        for session, title in zip(sessions, TITLES, strict=True):
            session.page.get_by_role("heading", name=title, exact=True).wait_for(timeout=60_000)
            session.ready()  # also checks that the menu is app.py's (Runs first), not the file names
            menu = session.page.get_by_test_id("stSidebarNav").inner_text()
            assert "Threshold & cost" in menu and "Where errors concentrate" in menu, menu
            assert session.page_errors == []
    finally:
        for context in contexts:
            context.close()
