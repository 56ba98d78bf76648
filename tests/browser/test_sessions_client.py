"""bench_sessions' websocket client against a real server: it times a page's run to the end,
and a run that did not draw the page it asked for fails instead of counting."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.bench_sessions import Link, RunFailed, open_link


def _open(base: str, link: Link) -> float:
    """open_link in a thread of its own: the browser tests' Playwright keeps an event loop
    running in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, open_link(base, link)).result()


def test_a_session_times_a_page_run_to_its_end(app_url):
    seconds = _open(app_url, Link("error_analysis", {"run": "ev1", "q": "invoice"}, "Error analysis"))
    assert 0 < seconds < 60


def test_a_run_that_drew_another_page_fails(app_url):
    with pytest.raises(RunFailed, match="'Error analysis' was not drawn"):
        _open(app_url, Link("no_such_page", {"run": "ev1"}, "Error analysis"))
