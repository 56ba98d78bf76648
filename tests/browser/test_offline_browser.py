"""Nothing leaves the machine unasked: `streamlit run app.py` with the shipped config, on
a store, opened in Chromium, with every outbound attempt blocked and counted, on the
server (name lookups and socket connections, through a sitecustomize spy) and in the
browser (every request, and every URL the page points at): 0 of both."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import Session, serve_app
from tests.paths import APP, REPO

PAGE_FILES = re.findall(r"st\.Page\(\"(pages/[^\"]+)\"", APP.read_text("utf-8"))  # the pages app.py lists

pytestmark = pytest.mark.browser

NETSPY = Path(__file__).parent / "netspy"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}
PAGES = ["", "lineage?root=tr3", "error_analysis?run=ev1", "threshold?run=ev1"]
# every URL the page refers to: scripts, styles, images, icons, fonts it loaded
PAGE_URLS_JS = """() => [
    ...[...document.querySelectorAll('[src],[href]')].map(e => e.getAttribute('src') || e.getAttribute('href')),
    ...performance.getEntriesByType('resource').map(e => e.name),
].map(u => new URL(u, document.baseURI).href)"""


@pytest.fixture(params=["serve.py", "app.py"])
def offline_server(request, store_dir, tmp_path_factory):
    """The server as a user starts it, `streamlit run serve.py` (what `wbview app` runs) or
    `streamlit run app.py`: only a port on the command line, so the shipped
    .streamlit/config.toml decides the address and usage stats."""
    spy_log = tmp_path_factory.mktemp("netspy") / "outbound.jsonl"
    env = {"NETSPY_LOG": str(spy_log), "PYTHONPATH": os.pathsep.join([str(NETSPY), str(REPO), os.environ.get("PYTHONPATH", "")])}
    servers = serve_app(
        store_dir,
        tmp_path_factory,
        f"offline-server-{request.param}",
        args=(),
        extra_env=env,
        host="localhost",
        script=request.param,
    )
    for url in servers:
        yield url, spy_log


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.netloc.rsplit(":", 1)[0] in LOCAL_HOSTS


def test_the_dashboard_reaches_nothing_outside_the_machine(offline_server, browser):
    url, spy_log = offline_server
    context = browser.new_context(viewport={"width": 1400, "height": 1500})
    blocked: list[str] = []

    def only_local(route) -> None:
        if _is_local(route.request.url):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    page.on("request", lambda request: None if _is_local(request.url) else blocked.append(request.url))
    session = Session(page)
    referred: set[str] = set()
    try:
        for path in PAGES:
            session.open(f"{url}/{path}")
            assert page.get_by_test_id("stSidebarNav").get_by_role("link").count() == len(PAGE_FILES)  # every page, icons drawn
            referred |= {u for u in page.evaluate(PAGE_URLS_JS) if not _is_local(u)}
    finally:
        context.close()
    records = [json.loads(line) for line in spy_log.read_text().splitlines()]
    assert any(r["kind"] == "loaded" for r in records)  # the spy watched the server
    assert blocked == []
    assert sorted(referred) == []
    assert [r for r in records if r["kind"] != "loaded"] == []
    assert session.page_errors == []
