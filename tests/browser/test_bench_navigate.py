"""bench_browser's sidebar step against a real server: a click on a page in the app's own
navigation is timed until that page, not the one before it, is drawn in the same tab."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from bench.bench_browser import BrowserSession
from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS


async def _threshold_then_error_analysis(base: str) -> tuple[float, int, str, str, str]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            session = await BrowserSession.start(await browser.new_context(), base, {})
            await session.open("threshold", run="ev1")
            before_url = session.page.url
            runs_before = session.finished
            seconds = await session.navigate("Error analysis")
            title = await session.page.locator("h1").first.inner_text()
            return seconds, session.finished - runs_before, title, before_url, session.page.url
        finally:
            await browser.close()


def test_a_sidebar_click_is_timed_until_the_new_page_is_drawn(app_url):
    with ThreadPoolExecutor(1) as pool:  # the browser tests' sync Playwright keeps a loop in this thread
        seconds, runs, title, before_url, after_url = pool.submit(asyncio.run, _threshold_then_error_analysis(app_url)).result()
    assert "/threshold" in before_url
    assert 0 < seconds < 60
    assert runs >= 1  # the click caused a run of its own, and the clock waited for it
    assert title.strip() == "Error analysis"
    assert "/error_analysis" in after_url
