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


class _MissesOnce:
    """An option whose first click lands on ``instead`` (the option already chosen: the list
    closes and nothing runs), as a click on a list that moves under the pointer can."""

    def __init__(self, option, instead):
        self.option, self.instead, self.clicks = option, instead, 0

    async def click(self):
        self.clicks += 1
        await (self.instead if self.clicks == 1 else self.option).click()

    async def count(self):
        return await self.option.count()

    async def wait_for(self, **kwargs):
        await self.option.wait_for(**kwargs)


async def _group_by_with_a_missed_click(base: str) -> tuple[str, str, int, int]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            session = await BrowserSession.start(await browser.new_context(), base, {})
            await session.open("error_analysis", run="ev1")
            current = (await session.page.get_by_role("combobox", name="Group by", exact=True).input_value()).strip()
            wanted = await session.open_options("Group by", "Sender Domain")
            real = session.page.get_by_role
            option = _MissesOnce(real("option", name=wanted, exact=True), real("option", name=current, exact=True))
            session.page.get_by_role = lambda role, **kw: option if role == "option" else real(role, **kw)
            runs_before = session.finished
            await session.choose(wanted, "Group by")
            shown = (await real("combobox", name="Group by", exact=True).input_value()).strip()
            return wanted, shown, option.clicks, session.finished - runs_before
        finally:
            await browser.close()


def test_a_click_that_closed_the_list_on_another_option_is_made_again(app_url, monkeypatch):
    from bench import bench_browser

    monkeypatch.setattr(bench_browser, "RECLICK_MS", 1_000)
    monkeypatch.setattr(bench_browser, "WAIT_MS", 20_000)
    with ThreadPoolExecutor(1) as pool:
        wanted, shown, clicks, runs = pool.submit(asyncio.run, _group_by_with_a_missed_click(app_url)).result()
    assert wanted == "Sender Domain" and shown == wanted
    assert clicks == 2  # the miss (no run), then the option again
    assert runs >= 1
