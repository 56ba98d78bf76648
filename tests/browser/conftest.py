"""Real-browser fixtures: a `streamlit run app.py` server on a free port over a store built
from the dashboard fixture, and Debian's Chromium driven by Playwright.

Screenshots go to test-artifacts/screenshots/ (printed at the end of the run); set
WBVIEW_UPDATE_SCREENSHOTS=1 to also copy the main pages into docs/screenshots/ for the README.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from tests.browser.harness import (
    APP_NAVIGATION_JS,
    CHROMIUM,
    CHROMIUM_ARGS,
    NOTHING_PENDING_JS,
    RENDER_TIMEOUT_MS,
    SCRIPT_DONE_SELECTOR,
    SERVER_ARGS,
    ServerError,
    streamlit_server,
)
from tests.paths import REPO

SCREENSHOT_DIR = REPO / "test-artifacts" / "screenshots"
DOCS_SCREENSHOT_DIR = REPO / "docs" / "screenshots"
_taken: list[Path] = []


def _missing_browser() -> str | None:
    if not CHROMIUM.exists():
        return f"BROWSER TESTS SKIPPED: {CHROMIUM} is missing (apt-get install chromium; .ci/run does it)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "BROWSER TESTS SKIPPED: the playwright package is missing (pip install -r requirements-dev.txt)"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _missing_browser()
    if reason:
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))


def pytest_terminal_summary(terminalreporter):
    if _taken:
        terminalreporter.write_sep("-", f"browser screenshots ({len(_taken)}): {SCREENSHOT_DIR}")
    reason = _missing_browser()
    if reason:
        terminalreporter.write_sep("!", reason)


@pytest.fixture(scope="session")
def store_dir(tmp_path_factory) -> Path:
    from tests.pages.dashboard_fixture import PROJECT, build_project
    from wbview.sources.store.store import Store

    path = tmp_path_factory.mktemp("browser") / "store"
    Store(path).write_project(PROJECT, build_project())
    return path


@pytest.fixture(scope="session")
def app_url(store_dir, tmp_path_factory) -> str:
    """Base URL of a running `streamlit run serve.py` (app.py as `wbview app` serves it) on the
    fixture store; stopped by PID at the end."""
    yield from serve_app(store_dir, tmp_path_factory)


def serve_app(
    store_dir: Path,
    tmp_path_factory,
    name: str = "streamlit-server",
    args: Sequence[str] = SERVER_ARGS,
    extra_env: Mapping[str, str] | None = None,
    host: str = "127.0.0.1",
    port: int | None = None,
    script: str = "serve.py",
):
    """Start `streamlit run serve.py` (or ``script``) with WBVIEW_STORE=store_dir, yield its base
    URL, stop it by PID."""
    home = tmp_path_factory.mktemp("browser-home")
    log_path = tmp_path_factory.getbasetemp() / f"{name}.log"
    try:
        with streamlit_server(store_dir, home, log_path, args, extra_env, host, port, script) as (url, _):
            yield url
    except ServerError as error:
        pytest.fail(str(error))


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Session:
    """One browser page plus what the page did: dialogs opened, page errors."""

    def __init__(self, page):
        self.page = page
        self.dialogs: list[str] = []
        self.page_errors: list[str] = []
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))

    def ready(self) -> None:
        """Wait until the script finished and nothing is loading or stale."""
        page = self.page
        page.wait_for_function(APP_NAVIGATION_JS, timeout=RENDER_TIMEOUT_MS)
        page.wait_for_selector(SCRIPT_DONE_SELECTOR, timeout=RENDER_TIMEOUT_MS)
        page.wait_for_function(NOTHING_PENDING_JS, timeout=RENDER_TIMEOUT_MS)
        assert page.get_by_test_id("stException").count() == 0, page.get_by_test_id("stException").first.inner_text()
        links = page.get_by_test_id("stSidebarNav").get_by_role("link")
        assert links.count() == 0 or links.first.inner_text().strip().endswith("Runs"), links.all_inner_texts()

    def wait_charts(self, count: int = 1, selector: str = ".main-svg .trace") -> None:
        """Wait for ``count`` plotly traces (``selector``: ``.parcoords`` for parallel coordinates)."""
        self.page.wait_for_function(f"() => document.querySelectorAll('{selector}').length >= {count}", timeout=RENDER_TIMEOUT_MS)

    def wait_vega(self, count: int = 1) -> None:
        """Wait for ``count`` bars or lines drawn in Vega-Lite charts (SVG paths)."""
        self.page.wait_for_function(
            "() => document.querySelectorAll('.vega-embed svg.marks .mark-rect path, .vega-embed svg.marks .mark-line path')"
            f".length >= {count}",
            timeout=RENDER_TIMEOUT_MS,
        )

    def wait_histograms(self) -> None:
        """Wait for Error analysis's group-by histograms (HTML bars) to be on the page."""
        self.page.locator(".wbv-hists .wbv-bin").first.wait_for(timeout=RENDER_TIMEOUT_MS)

    def open(self, url: str) -> None:
        self.page.goto(url)
        self.ready()

    def screenshot(self, name: str) -> Path:
        path = SCREENSHOT_DIR / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.mouse.move(0, 0)  # no hover tooltip in the picture
        self.page.wait_for_timeout(300)  # let plotly finish its transition
        self.page.get_by_test_id("stAppViewContainer").screenshot(path=str(path))
        _taken.append(path)
        if os.environ.get("WBVIEW_UPDATE_SCREENSHOTS"):
            DOCS_SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, DOCS_SCREENSHOT_DIR / path.name)
        return path


@pytest.fixture
def session(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1500})
    page = context.new_page()
    yield Session(page)
    context.close()
