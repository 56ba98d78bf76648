"""bench_sessions' walk sends each group's sessions where its lines say: the 1, 3 and 6 sessions
to one server, and the replica group's sessions one to each replica."""

from __future__ import annotations

import asyncio
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench import bench_sessions
from bench.bench_sessions import STEPS, Link


class _NoMeter:
    def read(self) -> None:
        return None


@pytest.mark.parametrize("replicas", [["a"], ["a", "b", "c"]])
def test_each_group_opens_its_sessions_on_its_servers(monkeypatch, replicas):
    opened: list[str] = []

    async def fake_open(server: str, link: Link) -> float:
        opened.append(server)
        return 0.01

    monkeypatch.setattr(bench_sessions, "open_link", fake_open)
    monkeypatch.setattr(bench_sessions, "ROUNDS", 2)
    with ThreadPoolExecutor(1) as pool:  # (the browser tests' Playwright keeps an event loop running in this thread)
        times = pool.submit(asyncio.run, bench_sessions._walk("a", replicas, {}, _NoMeter())).result()

    cold = 1 + len(STEPS)  # the navigation run, then each step once, on every server
    one_server = sum(bench_sessions.GROUPS) * len(STEPS) * 2
    if len(replicas) == 1:
        assert set(times) == set(bench_sessions.GROUPS)
        assert Counter(opened) == {"a": cold + one_server}
    else:
        assert set(times) == {*bench_sessions.GROUPS, bench_sessions.ON_REPLICAS}
        assert all(len(times[bench_sessions.ON_REPLICAS].seconds[step]) == 2 * len(replicas) for step in STEPS)
        per_replica = len(STEPS) * 2  # one session per step and round
        assert Counter(opened) == {"a": cold + one_server + per_replica, "b": cold + per_replica, "c": cold + per_replica}
    assert all(len(times[count].seconds[step]) == 2 * count for count in bench_sessions.GROUPS for step in STEPS)
