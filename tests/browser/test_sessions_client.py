"""bench_sessions' websocket client against a real server: it times a page's run to the end,
and a run that did not draw the page it asked for fails instead of counting."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.bench_browser import FLOOR
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


def test_the_floor_pages_draw_and_the_floor_walk_times_each_group(tmp_path, monkeypatch):
    from bench import bench_sessions
    from tests.browser.harness import streamlit_server

    monkeypatch.setattr(bench_sessions, "ROUNDS", 2)
    (tmp_path / "home").mkdir()
    with streamlit_server(tmp_path, tmp_path / "home", tmp_path / "floor.log", script="bench/floor_app.py") as (base, _):
        with ThreadPoolExecutor(1) as pool:
            times = pool.submit(asyncio.run, bench_sessions._floor_walk(base)).result()
        with ThreadPoolExecutor(1) as pool:  # every variant bench_browser opens draws without an exception
            for variant in FLOOR:
                assert pool.submit(asyncio.run, open_link(base, Link("", {"v": variant}, f"Floor: {variant}"))).result() > 0
        with ThreadPoolExecutor(1) as pool:  # the link it opens draws the floor page's title, or fails
            with pytest.raises(RunFailed, match="'Floor: bare' was not drawn"):
                pool.submit(asyncio.run, open_link(base, Link("", {"v": "one-bar"}, "Floor: bare"))).result()
    assert {count: len(seconds) for count, seconds in times.items()} == {1: 2, 3: 6, 6: 12}
    assert all(0 < s < 60 for seconds in times.values() for s in seconds)
