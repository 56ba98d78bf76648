"""The script line serve.py (wbview.ui.page_config) writes into every page, run in a real
browser: a link to a page connects at once, and the pages keep their URLs, their links and
their navigation. Without it (plain `streamlit run app.py`) Streamlit's frontend first probes
the page's own path (streamlit/streamlit#7074); the second test shows that probe, and fails
the day Streamlit stops making it (then the line can go)."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from tests.browser.conftest import serve_app

pytestmark = pytest.mark.browser

STCORE_REQUESTS_JS = (
    "() => performance.getEntriesByType('resource').map(r => new URL(r.name).pathname).filter(p => p.includes('/_stcore/'))"
)


def _title(session) -> str:
    return session.page.locator("h1").first.inner_text().strip()


def _wait_title(session, title: str) -> None:
    session.page.wait_for_function(
        "title => document.querySelector('h1') && document.querySelector('h1').innerText.trim() === title", arg=title
    )
    session.ready()


@pytest.fixture(scope="module")
def plain_app_url(store_dir, tmp_path_factory):
    """`streamlit run app.py`, without serve.py's page config."""
    yield from serve_app(store_dir, tmp_path_factory, name="plain-streamlit-server", script="app.py")


def test_with_the_line_a_link_connects_at_once_and_pages_keep_their_urls(app_url, session):
    page = session.page
    session.open(f"{app_url}/error_analysis?run=ev1")
    assert _title(session) == "Error analysis"
    requests = page.evaluate(STCORE_REQUESTS_JS)
    assert "/_stcore/health" in requests
    assert not [path for path in requests if path.startswith("/error_analysis/")], requests
    page.get_by_test_id("stSidebarNavLink").filter(has_text="Threshold & cost").click()
    _wait_title(session, "Threshold & cost")
    assert urlparse(page.url).path == "/threshold" and "run=ev1" in urlparse(page.url).query
    # a link the app draws (st.page_link) leads to its page, under the site's root
    session.open(f"{app_url}/run?run=ev1")
    page.get_by_test_id("stPageLink").filter(has_text="Error analysis of this run").first.click()
    _wait_title(session, "Error analysis")
    assert urlparse(page.url).path == "/error_analysis" and "run=ev1" in urlparse(page.url).query
    assert session.page_errors == []


def test_without_it_a_link_first_probes_its_page_path(plain_app_url, session):
    session.open(f"{plain_app_url}/error_analysis?run=ev1")
    assert _title(session) == "Error analysis"
    assert "/error_analysis/_stcore/health" in session.page.evaluate(STCORE_REQUESTS_JS)
