"""The review file opened from disk in Chromium with the network off: a laptop in a meeting
room. Nothing may run (the hostile table's <script>/<img onerror> rows), nothing may be
requested, and every section is on screen. Screenshot: test-artifacts/screenshots/report-*.png."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from tests.browser.conftest import SCREENSHOT_DIR, _taken
from tests.report_fixture import SCRIPT, SECTIONS, hostile_frame
from wbview.analysis.prepare import prepare
from wbview.analysis.review import RunInput, build_review
from wbview.cli import main
from wbview.demo import DEMO_PROJECT, build_demo
from wbview.demo.pipeline import SMALL_SIZE
from wbview.report.html import render_html
from wbview.sources.store.local import LocalSource

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """The small demo store and its eval runs, exp-00N -> ENTITY/PROJECT/RUN_ID."""
    store = build_demo(tmp_path_factory.mktemp("report-demo") / "store", seed=0, size=SMALL_SIZE)
    runs = {r.name[:7]: f"{DEMO_PROJECT}/{r.id}" for r in LocalSource(store).runs(DEMO_PROJECT) if r.job_type == "eval"}
    return store, runs


@pytest.fixture(scope="module")
def demo_review(tmp_path_factory, demo_store) -> Path:
    """`wbview report` of the small demo's exp-002 against exp-004."""
    store, runs = demo_store
    out = tmp_path_factory.mktemp("report") / "review.html"
    assert main(["report", runs["exp-002"], runs["exp-004"], "--store", str(store), "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def hostile_review(tmp_path_factory) -> Path:
    runs = [
        RunInput(f"e/p/{SCRIPT}", prepare(hostile_frame(seed=0), positive_class=SCRIPT), dataset="e/p/d:v1"),
        RunInput("e/p/b", prepare(hostile_frame(seed=1), positive_class=SCRIPT), dataset="e/p/d:v1"),
    ]
    out = tmp_path_factory.mktemp("report") / "hostile.html"
    out.write_text(render_html(build_review(runs, title=SCRIPT)), encoding="utf-8")
    return out


def _open_offline(browser, path: Path, name: str) -> dict:
    """Open the file with the network off; returns what happened (dialogs, errors, requests)."""
    context = browser.new_context(offline=True, viewport={"width": 1400, "height": 1000}, java_script_enabled=True)
    seen: dict = {"dialogs": [], "errors": [], "blocked": [], "sections": {}}
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith("file://")
            else (seen["blocked"].append(route.request.url), route.abort())
        ),
    )
    page = context.new_page()
    page.on("dialog", lambda dialog: (seen["dialogs"].append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))
    page.on("request", lambda request: None if request.url.startswith("file://") else seen["blocked"].append(request.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    page.wait_for_timeout(500)  # an onerror handler would have fired by now
    for section in SECTIONS:
        locator = page.locator(f"section#{section}")
        seen["sections"][section] = locator.count() == 1 and locator.is_visible()
    seen["svg"] = page.locator("svg").count()
    seen["active"] = page.locator("script, img, iframe, object, embed, link").count()
    seen["text"] = page.inner_text("body")
    seen["title"] = page.title()
    shot = SCREENSHOT_DIR / f"{name}.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=False)
    _taken.append(shot)
    context.close()
    return seen


def test_hostile_review_runs_nothing_and_requests_nothing(browser, hostile_review):
    seen = _open_offline(browser, hostile_review, "report-hostile")
    assert seen["dialogs"] == [] and seen["errors"] == []
    assert seen["blocked"] == []
    assert all(seen["sections"].values()), seen["sections"]
    assert seen["title"] == SCRIPT  # shown as text
    assert seen["active"] == 0
    assert SCRIPT in seen["text"] and "<img src=x onerror=alert(1)>" in seen["text"]
    assert seen["svg"] > 5


def test_demo_review_opens_offline_with_every_section(browser, demo_review):
    seen = _open_offline(browser, demo_review, "report-demo")
    assert seen["dialogs"] == [] and seen["errors"] == [] and seen["blocked"] == []
    assert all(seen["sections"].values()), seen["sections"]
    assert seen["svg"] > 5


def test_the_harness_sees_a_script_and_a_request(browser, tmp_path):
    """Control: the same checks catch a page that runs a script and fetches an image."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<html><body><section id="x">x</section><script>alert("ran")</script>'
        '<img src="http://example.invalid/pixel.png"></body></html>',
        encoding="utf-8",
    )
    seen = _open_offline(browser, page, "report-control")
    assert seen["dialogs"] == ["ran"]
    assert seen["blocked"] and seen["blocked"][0].startswith("http://example.invalid/")
    assert seen["active"] == 2


def test_download_this_review_from_the_threshold_page(app_url, browser, demo_store, tmp_path):
    """The walk: open a view in the dashboard, download its review, open the file offline."""
    from tests.browser.conftest import Session
    from tests.browser.harness import RENDER_TIMEOUT_MS

    store, runs = demo_store
    run_id = runs["exp-004"].rsplit("/", 1)[1]
    context = browser.new_context(viewport={"width": 1400, "height": 1200}, accept_downloads=True)
    page = context.new_page()
    page.goto(app_url)  # a fresh server's first deep link may miss app.py's navigation: open the root first
    page.get_by_test_id("stSidebarNav").get_by_text("Threshold & cost").wait_for(timeout=RENDER_TIMEOUT_MS)
    session = Session(page)
    session.open(f"{app_url}/threshold?source=store:{store}&project={DEMO_PROJECT}&run={run_id}&fn_cost=5&point=custom&t=0.3")
    view = page.url
    with page.expect_download(timeout=RENDER_TIMEOUT_MS) as download:
        page.get_by_role("button", name="Download this review").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    context.close()
    assert saved.suffix == ".html"
    document = saved.read_text(encoding="utf-8")
    assert "Chosen threshold 0.3: given" in document and "missed positive (FN) = 5" in document
    assert f'href="{html.escape(view)}"' in document  # the link reopens this very view
    seen = _open_offline(browser, saved, "report-downloaded")
    assert seen["dialogs"] == [] and seen["errors"] == [] and seen["blocked"] == []
    assert seen["sections"]["threshold"] and seen["sections"]["live"]


def test_stacked_tables_review_is_built_on_click(app_url, browser, demo_store, tmp_path):
    """Stacked tables prepares its review's tables only when the button is clicked: the file
    compares the first stacked runs against the first."""
    from tests.browser.conftest import Session
    from tests.browser.harness import RENDER_TIMEOUT_MS

    store, _ = demo_store
    context = browser.new_context(viewport={"width": 1400, "height": 1200}, accept_downloads=True)
    page = context.new_page()
    page.goto(app_url)
    page.get_by_test_id("stSidebarNav").get_by_text("Stacked tables").wait_for(timeout=RENDER_TIMEOUT_MS)
    session = Session(page)
    session.open(f"{app_url}/stacked?source=store:{store}&project={DEMO_PROJECT}")
    with page.expect_download(timeout=RENDER_TIMEOUT_MS) as download:
        page.get_by_role("button", name="Download this review").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert session.page_errors == [] and page.get_by_test_id("stException").count() == 0
    context.close()
    assert saved.name.startswith("review-stacked-")
    document = saved.read_text(encoding="utf-8")
    assert '<section id="compare">' in document and document.count("  vs  B = ") >= 2
