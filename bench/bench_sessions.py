"""Benchmark: the server's own time with several people at once, the browsers left out.

bench_browser times what a person waits for, but its browsers run on the server's cores: on a
2-core machine three browsers drawing even a page with only a title take more than twice one
browser's time (its floor lines), so its 3-sessions-against-1 lines cannot tell what the
server shares. Here each person is a websocket client that speaks Streamlit's protocol as the
frontend does on a page load: it connects (a new Streamlit session), sends one rerun request
with the link's page and query string, and reads and parses every message until the server's
``script_finished``. The time runs from the request to that message: the script run, the
shared work it waits for, and the messages sent, for every session at once.

Each step is the link a browser step leaves in the address bar (every choice lives in the
link): open Error analysis; the same grouped by another column; with a text search; on the
other run; open Where errors concentrate; open Threshold & cost at a custom threshold; the
same at another threshold. Rounds of 1, 3 and 6 sessions alternate, each round with its own
column, search term and threshold (bench_browser's choices), so no round replays another from
a cache; the sessions of a round send each step at the same moment. The 1,000,000-row
two-run project of bench_browser, `streamlit run app.py` as the browser tests start it.

Lines: one `bench:` line per step, three sessions' median against one session's (ratio =
one / three: above 0.5 is within 2x of one session), and one for six sessions; `# ` lines
with the worst times and the server's CPU seconds for the median step. Last, Streamlit's own
floor: bench/floor_app.py's page with only a title, on a server of its own, opened by 1, 3 and
6 clients at once. A script run holds Python's interpreter lock for most of its time, so
sessions that start together finish one after another; the floor's ratio says how close to
one session any page of any app comes on this server.

Replicas: the same three sessions, each on a server process of its own (the three processes
share one store folder), as deploy/nginx-wbview.conf spreads people over replicas with a
cookie; interleaved with the one-session rounds. Here each session shares nothing with the
others: a search over a new term is done once per replica, not once for all. Lines: three
sessions on three replicas against one session, per step, and each replica's memory after the
walk. Environment: WBVIEW_BENCH_SESSIONS_ROWS (default 1000000), WBVIEW_BENCH_SESSIONS_ROUNDS
(default 5), WBVIEW_BENCH_SESSIONS_REPLICAS (default 3; 0 leaves the replica rounds out).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from bench.bench_analysis import N_ROWS
from bench.bench_browser import OPEN, OPEN_SLICES, OPEN_THRESHOLD, CpuMeter, build_store, choices, rows_label
from bench.common import report

ROWS = int(os.environ.get("WBVIEW_BENCH_SESSIONS_ROWS", N_ROWS))
ROUNDS = int(os.environ.get("WBVIEW_BENCH_SESSIONS_ROUNDS", 5))
REPLICAS = int(os.environ.get("WBVIEW_BENCH_SESSIONS_REPLICAS", 3))
GROUPS = (1, 3, 6)
ON_REPLICAS = -REPLICAS  # the group key of REPLICAS sessions, each on a replica of its own


class RunFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class Link:
    page: str  # the URL path of the page ("" for the app's default page)
    params: dict[str, str]
    title: str | None = None  # the title the page must draw (a wrong page fails the run)


async def open_link(base: str, link: Link) -> float:
    """Seconds from a new session's rerun request for ``link`` to its script_finished, every
    message read and parsed. Fails on an exception on the page or a page without its title."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.asyncio.client import connect

    request = BackMsg()
    request.rerun_script.query_string = urlencode(link.params)
    request.rerun_script.page_name = link.page
    headings: list[str] = []
    async with connect(base.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=["streamlit"], max_size=None) as socket:
        started = time.perf_counter()
        await socket.send(request.SerializeToString())
        async for payload in socket:
            if isinstance(payload, str):
                continue
            message = ForwardMsg()
            message.ParseFromString(payload)
            kind = message.WhichOneof("type")
            if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                element = message.delta.new_element
                if element.WhichOneof("type") == "exception":
                    raise RunFailed(f"{link}: {element.exception.type}: {element.exception.message}")
                if element.WhichOneof("type") == "heading":
                    headings.append(element.heading.body)
            elif kind == "script_finished" and message.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                elapsed = time.perf_counter() - started  # (a run stopped early for a rerun goes on)
                break
        else:
            raise RunFailed(f"{link}: the server closed the connection before the run finished")
    if link.title is not None and link.title not in headings:
        raise RunFailed(f"{link}: the page's title {link.title!r} was not drawn (headings: {headings})")
    return elapsed


GROUP_BY = "Error analysis grouped by another column"
SEARCH = "Error analysis with a text search"
RUN_PICK = "Error analysis on the other run"
THRESHOLD = "Threshold & cost at another threshold"
STEPS = [OPEN, GROUP_BY, SEARCH, RUN_PICK, OPEN_SLICES, OPEN_THRESHOLD, THRESHOLD]


def links(query: dict[str, str], round_index: int) -> dict[str, Link]:
    pick = choices(round_index)
    errors, slices, threshold = "Error analysis", "Where errors concentrate", "Threshold & cost"
    return {
        OPEN: Link("error_analysis", query | {"run": "a"}, errors),
        GROUP_BY: Link("error_analysis", query | {"run": "a", "by": pick.by}, errors),
        SEARCH: Link("error_analysis", query | {"run": "a", "by": pick.by, "q": pick.term}, errors),
        RUN_PICK: Link("error_analysis", query | {"run": "b", "by": pick.by, "q": pick.term}, errors),
        OPEN_SLICES: Link("slices", query | {"run": "a"}, slices),
        OPEN_THRESHOLD: Link("threshold", query | {"run": "a", "point": "custom", "t": "0.5"}, threshold),
        THRESHOLD: Link("threshold", query | {"run": "a", "point": "custom", "t": f"{pick.threshold:.4f}"}, threshold),
    }


@dataclass
class Times:
    seconds: dict[str, list[float]]
    server_cpu: dict[str, list[float]]


def _groups(replicas: list[str]) -> tuple[int, ...]:
    return GROUPS + ((ON_REPLICAS,) if len(replicas) > 1 else ())


async def _walk(base: str, replicas: list[str], query: dict[str, str], meter: CpuMeter) -> dict[int, Times]:
    """Rounds of each group on ``base``, and of ON_REPLICAS: one session on each of
    ``replicas`` (``base`` among them) at once."""
    for server in dict.fromkeys([base, *replicas]):
        await open_link(server, Link("", query))  # a fresh server registers app.py's navigation on its first run
        cold = links(query, 0)
        for step in STEPS:  # the cold pass: first loads and imports, untimed
            seconds = await open_link(server, cold[step])
            if server == base:
                print(f"# cold, one session: {step}: {seconds:.3g} s", flush=True)
    groups = _groups(replicas)
    times = {count: Times(defaultdict(list), defaultdict(list)) for count in groups}
    for index in range(ROUNDS):
        for group, count in enumerate(groups):
            steps = links(query, 1 + len(groups) * index + group)
            servers = replicas if count == ON_REPLICAS else [base] * count
            for step in STEPS:
                before = meter.read()
                times[count].seconds[step].extend(await asyncio.gather(*(open_link(server, steps[step]) for server in servers)))
                after = meter.read()
                if before and after and count != ON_REPLICAS:  # (the meter reads one server)
                    times[count].server_cpu[step].append((after - before).server)
    return times


FLOOR_LINK = Link("", {"v": "bare"}, "Floor: bare")


async def _floor_walk(base: str) -> dict[int, list[float]]:
    """The title-only page opened by 1, 3 and 6 clients at once, ROUNDS times each (after a
    warm-up), the groups interleaved as in _walk."""
    for _ in range(3):
        await open_link(base, FLOOR_LINK)
    times: dict[int, list[float]] = defaultdict(list)
    for _ in range(ROUNDS):
        for count in GROUPS:
            times[count].extend(await asyncio.gather(*(open_link(base, FLOOR_LINK) for _ in range(count))))
    return times


def main() -> None:
    from bench.bench_analysis_pages import PROJECT
    from bench.bench_browser import PeakMemory
    from tests.browser.harness import streamlit_server

    started = time.perf_counter()
    rows = rows_label(ROWS)
    with tempfile.TemporaryDirectory(prefix="wbview-bench-sessions-") as tmp, contextlib.ExitStack() as servers:
        folder = Path(tmp)
        store = build_store(folder, ROWS)
        replicas: list[str] = []
        replica_pids: list[int] = []
        for index in range(max(REPLICAS, 1)):
            (folder / f"home-{index}").mkdir()
            base, server = servers.enter_context(
                streamlit_server(store, folder / f"home-{index}", folder / f"server-{index}.log")
            )
            replicas.append(base)
            replica_pids.append(server.pid)
        query = {"source": f"store:{store}", "project": PROJECT}
        times = asyncio.run(_walk(replicas[0], replicas, query, CpuMeter(replica_pids[0])))
        replica_rss = [PeakMemory(pid).rss() for pid in replica_pids]
        servers.close()
        (folder / "floor-home").mkdir()
        with streamlit_server(folder, folder / "floor-home", folder / "floor.log", script="bench/floor_app.py") as (
            floor_base,
            _,
        ):
            floor = asyncio.run(_floor_walk(floor_base))
    one = times[1]
    for count in GROUPS[1:]:
        many = times[count]
        for step in STEPS:
            single, multi = statistics.median(one.seconds[step]), statistics.median(many.seconds[step])
            report(f"server only, {count} sessions at once vs 1, {step}, {rows}", multi, single, "s")
            cpu = ""
            if one.server_cpu[step] and many.server_cpu[step]:
                cpu = (
                    f"; server CPU per step {statistics.median(one.server_cpu[step]):.3f} CPU-s for 1, "
                    f"{statistics.median(many.server_cpu[step]):.3f} for {count}"
                )
            print(
                f"# {step}: worst {max(one.seconds[step]):.3g} s for 1 session, {max(many.seconds[step]):.3g} s "
                f"for {count} ({len(many.seconds[step])} timings){cpu}",
                flush=True,
            )
    if ON_REPLICAS in times:
        many = times[ON_REPLICAS]
        for step in STEPS:
            single, multi = statistics.median(one.seconds[step]), statistics.median(many.seconds[step])
            report(f"server only, {REPLICAS} sessions on {REPLICAS} replicas vs 1 session, {step}, {rows}", multi, single, "s")
        print(
            f"# replicas: each holds its own tables: RSS after the walk "
            f"{', '.join(f'{rss / 2**20:,.0f}' for rss in replica_rss)} MiB ({os.cpu_count()} cores here)",
            flush=True,
        )
    for count in GROUPS[1:]:
        report(
            f"server only floor: a page with only a title, {count} sessions at once vs 1",
            statistics.median(floor[count]),
            statistics.median(floor[1]),
            "s",
        )
    print(f"# sessions bench took {time.perf_counter() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
