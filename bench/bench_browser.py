"""Benchmark: the main interactions in a real browser, from the user's action to the page
fully drawn, on a 1,000,000-row eval table, with one browser session and with three at once.

Set-up: the two-run million-row project of bench_analysis_pages, written to a real store
folder; `streamlit run serve.py` on it, as `wbview app` runs it (tests/browser/harness.py starts it, as the browser tests
do); headless Debian Chromium driven by Playwright's async API, one browser per person, each
with its own profile on disk (as a person's browser keeps its caches and compiled JavaScript
between visits), and a new tab, so a new Streamlit session, per round. Everyone has opened the
app twice before the timed rounds.

Timed, per session: open Error analysis from a link, group by another column, search the
text, choose a confusion cell, pick another run, choose a slice on Where errors concentrate,
move the threshold on Threshold & cost, and open Error analysis again from the app's sidebar
(in the same tab: the frontend and its chart code are already loaded, where a link opens a
new tab that loads them again). The clock runs from the action (the page load, the
click on an option, Enter in a text box) until the rerun it caused has finished and the page
is fully drawn: the run's script_finished message reached the page's websocket, the script is not running, no skeleton, spinner, stale element or exception is
left, every visible plotly chart has drawn its SVG, every Vega-Lite chart and data grid its canvas, and
two animation frames have passed.

One untimed-for-the-targets pass runs first on the fresh server (its cold times are printed as
comments). Then rounds of one session and rounds of three sessions alternate, so machine noise
falls on both alike; the three sessions act at the same moment (a barrier before each step).
Each round uses its own search term, group-by column, cell, slice and threshold, so a round
never just replays the one before it from a cache.

Lines: one `target:` line per interaction (one session's median against the 1 s budget; the
worst in a `# ` line after it); one `bench:` line per interaction, three sessions' median
against one session's median (ratio = one / three; above 0.5 is within 2x of one session);
the server's peak memory (RSS, sampled every 0.1 s) with 1, 3 and 6 sessions at once in `# ` lines;
one `bench:` line per interaction for six sessions against one, too. The `# ` lines also say when
the page saw the script run finish: the time after it is the browser receiving and drawing.
The browsers run on the same machine as the server, so on a small machine the three sessions'
drawing competes with the server for the same cores, as it did where the slowness was reported.
So a `# ` line per interaction gives the CPU seconds the server and the browsers used in the
median step, with 1 and with 3 sessions, and the least time that CPU allows on this machine's
cores: where the browsers' share alone, shared over the cores, is more than twice one session's
time, no server can bring three sessions within 2x here.

Last, the browser's floor on this machine (bench/floor_app.py on a server of its own): a
Streamlit page with only a title, and with a one-bar Vega-Lite chart (what loading Vega's code
costs a new tab), in `# ` lines, and the same page with the group-by histograms
as finished HTML bars (ours) against Vega-Lite (the baseline) in a `bench:` line, each opened in a new
tab once per one-session round; and the page with only a title opened by three people at once
against one, in a `bench:` line: with the browsers on the server's cores, no page of any app
can bring three sessions closer to one than that (bench_sessions measures the server alone).

Environment (for a quick run): WBVIEW_BENCH_BROWSER_ROWS (default 1000000),
WBVIEW_BENCH_BROWSER_ROUNDS (one-session rounds, default 5), WBVIEW_BENCH_BROWSER_MULTI_ROUNDS
(three-session rounds, default 2: 6 timings per interaction), WBVIEW_BENCH_BROWSER_SESSIONS
(default 3), WBVIEW_BENCH_BROWSER_MANY_SESSIONS (a third group of sessions acting at once,
default 6; 0 skips it) and WBVIEW_BENCH_BROWSER_MANY_ROUNDS (its rounds, default 1); WBVIEW_BENCH_BROWSER_SCREENSHOTS=<folder> saves what each step of the cold pass drew.
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from bench.bench_analysis import N_ROWS
from bench.common import report, target
from tests.browser.harness import PENDING_SELECTOR

try:
    from playwright.async_api import TimeoutError as PlaywrightTimeout
except ImportError:  # main() says what is missing
    PlaywrightTimeout = TimeoutError  # type: ignore[misc,assignment]  # only a name for the except clause

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Page, Playwright

TARGET_S = 1.0
WAIT_MS = 120_000  # one step of three sessions on a million rows may take long: wait, then fail loudly
RECLICK_MS = 5_000  # a click on a selectbox option that finished no run after this and left the list open missed
ROWS = int(os.environ.get("WBVIEW_BENCH_BROWSER_ROWS", N_ROWS))
ROUNDS = int(os.environ.get("WBVIEW_BENCH_BROWSER_ROUNDS", 5))
MULTI_ROUNDS = int(os.environ.get("WBVIEW_BENCH_BROWSER_MULTI_ROUNDS", 2))
SESSIONS = int(os.environ.get("WBVIEW_BENCH_BROWSER_SESSIONS", 3))
MANY_SESSIONS = int(os.environ.get("WBVIEW_BENCH_BROWSER_MANY_SESSIONS", 6))  # 0: skip
MANY_ROUNDS = int(os.environ.get("WBVIEW_BENCH_BROWSER_MANY_ROUNDS", 1))
_shots = os.environ.get("WBVIEW_BENCH_BROWSER_SCREENSHOTS")
SHOTS = Path(_shots) if _shots else None  # a folder for a screenshot after each step of the cold pass

OPEN = "open Error analysis"
GROUP_BY = "group by another column"
SEARCH = "search the text"
CELL = "choose a confusion cell"
RUN_PICK = "pick another run"
SLICE = "choose a slice on Where errors concentrate"
THRESHOLD = "move the threshold on Threshold & cost"
# The same page reached from the app's own sidebar, as a person in a meeting moves on from
# Threshold & cost: no new tab, so the browser keeps Streamlit's frontend and the chart code
# it has loaded, where OPEN pays for both again.
NAVIGATE = "open Error analysis from the sidebar"
TIMED = [OPEN, GROUP_BY, SEARCH, CELL, RUN_PICK, SLICE, THRESHOLD, NAVIGATE]
OPEN_SLICES = "open Where errors concentrate"
OPEN_THRESHOLD = "open Threshold & cost"
ALSO_TIMED = [OPEN_SLICES, OPEN_THRESHOLD]  # page loads between the timed steps: comment lines only

DRAWN_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (document.querySelector('[data-testid="stException"]')) return true;  // reported by the caller
    if (document.querySelector(`PENDING_SELECTOR`)) return false;
    const shown = sel => [...document.querySelectorAll(sel)].filter(e => e.checkVisibility());  // not in a closed tab or expander
    if (shown('[data-testid="stPlotlyChart"]').some(e => !e.querySelector('.main-svg'))) return false;
    if (shown('[data-testid="stDataFrame"]').some(e => !e.querySelector('canvas'))) return false;
    if (shown('[data-testid="stVegaLiteChart"]').some(e => !e.querySelector('.vega-embed canvas, .vega-embed svg.marks'))) return false;
    return true;
}""".replace("PENDING_SELECTOR", PENDING_SELECTOR)
TWO_FRAMES_JS = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))"


@dataclass(frozen=True)
class Choices:
    """What one round changes; each round its own, so no round replays another from a cache."""

    by: str
    term: str
    cell: int  # index among the confusion-cell options (0 is "all rows")
    slice: int  # index among the slices offered
    threshold: float


_BY = ["Source", "True Label", "Predicted Label", "Outcome"]
_TERMS = [
    "invoice",
    "meeting",
    "urgent",
    "bank",
    "login",
    "security",
    "github",
    "bit.ly",
    "report",
    "lunch",
    "password",
    "team",
    "alert",
    "thanks",
    "review",
]


def choices(round_index: int) -> Choices:
    return Choices(
        by=_BY[round_index % len(_BY)],
        term=_TERMS[round_index % len(_TERMS)],
        cell=1 + round_index % 4,
        slice=1 + round_index % 5,
        threshold=round(0.2 + 0.6 * ((round_index * 0.37) % 1), 4),
    )


def rows_label(n_rows: int) -> str:
    return f"{n_rows // 1_000_000}M rows" if n_rows % 1_000_000 == 0 else f"{n_rows:,} rows"


@dataclass
class Times:
    """Seconds per step name: until the page was fully drawn, and until the page saw the script
    run finish (the rest of ``drawn`` is the browser receiving and drawing the elements)."""

    drawn: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    script: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    cpu: dict[str, list[Cpu]] = field(default_factory=lambda: defaultdict(list))  # per step, all sessions together


@dataclass(frozen=True)
class Cpu:
    """CPU seconds one step used on this machine, every session's share together."""

    server: float
    browsers: float
    wall: float  # the step's wall-clock time, from the first action to the last page drawn

    def __sub__(self, other: Cpu) -> Cpu:
        return Cpu(self.server - other.server, self.browsers - other.browsers, self.wall - other.wall)


class CpuMeter:
    """CPU seconds used so far by the server and by the browsers (every Chromium process
    started under this one), read from /proc: where a step's time goes on this machine. The
    browsers run here too, so on a small machine they compete with each other and with the
    server for the same cores; a step of n sessions cannot take less than all their CPU
    seconds shared over the cores. None on a system without /proc."""

    TICK_S = 1 / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 0.01

    def __init__(self, server_pid: int):
        self.server_pid = server_pid

    @staticmethod
    def _stats() -> dict[int, tuple[str, int, float]]:
        """pid -> (command name, parent pid, CPU seconds of it and its reaped children) for
        every process we may read."""
        found: dict[int, tuple[str, int, float]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                text = (entry / "stat").read_text()
            except OSError:  # gone meanwhile, or not ours to read
                continue
            name = text[text.index("(") + 1 : text.rindex(")")]
            rest = text[text.rindex(")") + 2 :].split()  # rest[0] is field 3 (state) of proc(5)
            # utime, stime, and the children's cutime, cstime: a closed tab's renderer, once
            # reaped by its browser, still counts there
            ticks = sum(int(rest[index]) for index in (11, 12, 13, 14))
            found[int(entry.name)] = (name, int(rest[1]), ticks * CpuMeter.TICK_S)
        return found

    def read(self) -> Cpu | None:
        if not Path("/proc/self/stat").exists():
            return None
        stats = self._stats()
        children: dict[int, list[int]] = defaultdict(list)
        for pid, (_, parent, _) in stats.items():
            children[parent].append(pid)
        browsers, stack = 0.0, list(children[os.getpid()])
        while stack:  # this process's descendants: the Playwright driver and the browsers under it
            pid = stack.pop()
            stack.extend(children[pid])
            if pid != self.server_pid and stats[pid][0].startswith("chrom"):
                browsers += stats[pid][2]
        server = stats[self.server_pid][2] if self.server_pid in stats else 0.0
        return Cpu(server, browsers, time.perf_counter())


class PageFailed(RuntimeError):
    """The page showed an exception, or never finished drawing."""


class BrowserSession:
    """One person's tab (one Streamlit session), timing each step until the page is drawn.

    A script run is seen finishing when the page's websocket receives Streamlit's
    ``script_finished`` message: a run that starts and ends between two renders never shows
    in the page's script-state attribute, so the DOM cannot count fast reruns."""

    def __init__(self, page: Page, base: str, query: dict[str, str]):
        self.page = page
        self.base = base
        self.query = query
        self.script_s = 0.0  # the last step's time until the page saw its script run finish
        self.finished = 0  # script runs finished in this tab (websocket script_finished messages)
        self.finished_at = 0.0  # time.perf_counter() of the last one
        page.on("websocket", lambda socket: socket.on("framereceived", self._frame))

    def _frame(self, payload: str | bytes) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        if isinstance(payload, str):
            return
        message = ForwardMsg()
        try:
            message.ParseFromString(payload)
        except Exception:  # noqa: BLE001 - not a ForwardMsg: not a run finishing
            return
        if message.WhichOneof("type") == "script_finished" and message.script_finished in (
            ForwardMsg.FINISHED_SUCCESSFULLY,
            ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
        ):
            self.finished += 1
            self.finished_at = time.perf_counter()

    @classmethod
    async def start(cls, context: BrowserContext, base: str, query: dict[str, str]) -> BrowserSession:
        return cls(await context.new_page(), base, query)

    async def close(self) -> None:
        await self.page.close()

    async def _finished_after(self, runs_before: int, timeout_ms: int) -> bool:
        """Wait until a run finished after ``runs_before`` were seen; False after ``timeout_ms``."""
        deadline = time.perf_counter() + timeout_ms / 1000
        while self.finished <= runs_before:
            if time.perf_counter() > deadline:
                return False
            await asyncio.sleep(0.005)
        return True

    async def _drawn(self, runs_before: int) -> None:
        page = self.page
        if not await self._finished_after(runs_before, WAIT_MS):
            raise PageFailed(f"{page.url}: no script run finished within {WAIT_MS / 1000:.0f} s")
        await page.wait_for_function(DRAWN_JS, timeout=WAIT_MS)
        if await page.get_by_test_id("stException").count():
            raise PageFailed(f"{page.url}: {await page.get_by_test_id('stException').first.inner_text()}")
        await page.evaluate(TWO_FRAMES_JS)

    async def _timed(self, action: Callable[[], Awaitable[object]]) -> float:
        """Seconds from ``action`` (which causes one rerun) to the page fully drawn."""
        runs_before, started = self.finished, time.perf_counter()
        await action()
        await self._drawn(runs_before)
        elapsed = time.perf_counter() - started
        self.script_s = self.finished_at - started
        return elapsed

    async def open(self, page_path: str, **params: str) -> float:
        url = f"{self.base}/{page_path}?{urlencode(self.query | params)}"
        runs_before, started = self.finished, time.perf_counter()
        await self.page.goto(url)
        await self._drawn(runs_before)
        elapsed = time.perf_counter() - started
        self.script_s = self.finished_at - started  # from the navigation's start
        return elapsed

    async def navigate(self, page_title: str) -> float:
        """Click ``page_title`` in the app's sidebar navigation, timed until drawn."""
        link = self.page.get_by_test_id("stSidebarNavLink").filter(has_text=page_title)
        return await self._timed(lambda: link.click())

    async def open_options(self, label: str, want: str | int) -> str:
        """Open the selectbox called ``label`` (untimed: the person is still choosing) and return
        the option to click: ``want`` by name, or the ``want``-th one; never the one already chosen."""
        box = self.page.get_by_role("combobox", name=label, exact=True)
        current = (await box.input_value()).strip()
        options = self.page.get_by_role("option")
        # A click that scrolls the box into view may land while it moves and leave the list
        # closed: scroll first, and click again when no option shows.
        await box.scroll_into_view_if_needed()
        for attempt in range(3):
            await box.click()
            try:
                await options.first.wait_for(timeout=3_000)
                break
            except PlaywrightTimeout:
                if attempt == 2:
                    raise PageFailed(f"{self.page.url}: the selectbox {label!r} shows no options") from None
        names = [text.strip() for text in await options.all_inner_texts()]
        index = names.index(want) if isinstance(want, str) else want % len(names)
        if names[index] == current:
            index = (index + 1) % len(names)
        return names[index]

    async def choose(self, option: str, label: str) -> float:
        """Click ``option`` in the open list of the selectbox ``label``, timed until drawn. On a
        loaded machine a click can land while the list moves and choose nothing: while no run
        has finished, the click is repeated when the list still shows the option after
        RECLICK_MS (the time counts from the click that took)."""
        option_item = self.page.get_by_role("option", name=option, exact=True)
        box = self.page.get_by_role("combobox", name=label, exact=True)
        runs_before, started = self.finished, time.perf_counter()
        await option_item.click()
        waited_ms = 0
        while not await self._finished_after(runs_before, RECLICK_MS):
            waited_ms += RECLICK_MS
            if waited_ms >= WAIT_MS:
                shown = (await box.input_value()).strip()
                raise PageFailed(f"{self.page.url}: choosing {option!r} in {label!r} finished no run (the box shows {shown!r})")
            if await option_item.count():  # the list is still open: the click missed the option
                started = time.perf_counter()
                await option_item.click()
            elif (await box.input_value()).strip() != option:
                # The list closed on another option (one that moved under the pointer, maybe the
                # one already chosen, which runs nothing): choose again. A box that shows the
                # option with no run finished is a failure of the page, and is not retried.
                await box.click()
                await option_item.wait_for(timeout=3_000)
                started = time.perf_counter()
                await option_item.click()
        await self._drawn(runs_before)
        elapsed = time.perf_counter() - started
        self.script_s = self.finished_at - started
        return elapsed

    async def type_and_enter(self, label: str, text: str) -> float:
        box = self.page.get_by_label(label, exact=True)
        await box.fill(text)
        return await self._timed(lambda: box.press("Enter"))


async def _step(
    sessions: list[BrowserSession],
    times: Times,
    meter: CpuMeter | None,
    shots: Path | None,
    name: str,
    act: Callable[[BrowserSession], Awaitable[float]],
    prepare: Callable[[BrowserSession], Awaitable[object]] | None = None,
) -> None:
    """Every session does ``act`` at the same moment (after an untimed ``prepare``)."""
    if prepare is not None:
        await asyncio.gather(*(prepare(s) for s in sessions))
    before = meter.read() if meter else None
    times.drawn[name].extend(await asyncio.gather(*(act(s) for s in sessions)))
    after = meter.read() if meter else None
    if before and after:
        times.cpu[name].append(after - before)
    times.script[name].extend(s.script_s for s in sessions)
    if shots is not None:  # what the timed page looked like
        shots.mkdir(parents=True, exist_ok=True)
        path = shots / f"{len(times.drawn):02d}-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}.png"
        await sessions[0].page.get_by_test_id("stAppViewContainer").screenshot(path=str(path))


async def _round(
    sessions: list[BrowserSession], pick: Choices, times: Times, meter: CpuMeter | None = None, shots: Path | None = None
) -> None:
    """One walk through the interactions, every session in step with the others."""
    chosen: dict[int, str] = {}

    def open_selectbox(label: str, want: str | int) -> Callable[[BrowserSession], Awaitable[object]]:
        async def prepare(session: BrowserSession) -> None:
            chosen[id(session)] = await session.open_options(label, want)

        return prepare

    def choose(label: str) -> Callable[[BrowserSession], Awaitable[float]]:
        return lambda session: session.choose(chosen[id(session)], label)

    await _step(sessions, times, meter, shots, OPEN, lambda s: s.open("error_analysis", run="a"))
    await _step(sessions, times, meter, shots, GROUP_BY, choose("Group by"), open_selectbox("Group by", pick.by))
    await _step(sessions, times, meter, shots, SEARCH, lambda s: s.type_and_enter("Search the text", pick.term))
    await _step(
        sessions,
        times,
        meter,
        shots,
        CELL,
        choose("Rows in the confusion cell"),
        open_selectbox("Rows in the confusion cell", pick.cell),
    )
    await _step(sessions, times, meter, shots, RUN_PICK, choose("Run"), open_selectbox("Run", 0))
    await _step(sessions, times, meter, shots, OPEN_SLICES, lambda s: s.open("slices", run="a"))
    await _step(
        sessions,
        times,
        meter,
        shots,
        SLICE,
        choose("Show the rows of a slice"),
        open_selectbox("Show the rows of a slice", pick.slice),
    )
    await _step(sessions, times, meter, shots, OPEN_THRESHOLD, lambda s: s.open("threshold", run="a", point="custom", t="0.5"))
    await _step(sessions, times, meter, shots, THRESHOLD, lambda s: s.type_and_enter("Threshold", f"{pick.threshold:.4f}"))
    await _step(sessions, times, meter, shots, NAVIGATE, lambda s: s.navigate("Error analysis"))


class PeakMemory:
    """The highest RSS of one process, sampled every 0.1 s in a thread (psutil, else /proc)."""

    def __init__(self, pid: int):
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def rss(self) -> int:
        try:
            import psutil
        except ImportError:
            with open(f"/proc/{self.pid}/status") as status:
                kib = next(line.split()[1] for line in status if line.startswith("VmRSS:"))
            return int(kib) * 1024
        return int(psutil.Process(self.pid).memory_info().rss)

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            try:
                self.peak = max(self.peak, self.rss())
            except Exception:  # noqa: BLE001 - the server is gone (psutil.NoSuchProcess, OSError): stop sampling
                return

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


async def _person(playwright: Playwright, profiles: Path, index: int) -> BrowserContext:
    """One person's own browser: a Chromium of its own with a profile on disk, as a team
    member's browser is. Three contexts of one browser would share that browser's GPU and
    browser processes, which no three people in a meeting share (on this machine they made
    three opens use a third more CPU), and an in-memory profile compiles the frontend's
    JavaScript anew in every tab, where a person's browser keeps the compiled code."""
    from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS

    return await playwright.chromium.launch_persistent_context(
        str(profiles / f"person-{index}"),
        executable_path=str(CHROMIUM),
        args=CHROMIUM_ARGS,
        viewport={"width": 1400, "height": 1500},
    )


WARM_VISITS = 2  # untimed visits per person before the timed rounds: a browser keeps compiled code from the second run


async def _walk(
    base: str, store: Path, memory: PeakMemory, peaks: dict[int, int], profiles: Path, meter: CpuMeter
) -> tuple[Times, Times, Times, Times]:
    from playwright.async_api import async_playwright

    from bench.bench_analysis_pages import PROJECT

    query = {"source": f"store:{store}", "project": PROJECT}
    cold, single, multi, many = Times(), Times(), Times(), Times()
    async with async_playwright() as playwright:
        people: list[BrowserContext] = []
        try:
            # One browser per person, kept for the whole run (its caches too: the cold pass
            # pays for the first download of the frontend); a new tab, and so a new Streamlit
            # session, per round.
            for index in range(max(SESSIONS, MANY_SESSIONS, 1)):
                people.append(await _person(playwright, profiles, index))
            first = await BrowserSession.start(people[0], base, query)
            # The app's root once: a fresh server registers app.py's navigation on its first run.
            await first.open("")
            await _round([first], choices(0), cold, meter, SHOTS)
            await first.close()
            for person in people:  # everyone has used the app before (untimed)
                for _ in range(WARM_VISITS):
                    tab = await BrowserSession.start(person, base, query)
                    await tab.open("")
                    await tab.open("error_analysis", run="a")
                    await tab.close()
            print(f"# server RSS after the cold pass: {memory.rss() / 2**20:,.0f} MiB", flush=True)
            groups = [(1, ROUNDS, single), (SESSIONS, MULTI_ROUNDS, multi)]
            if MANY_SESSIONS:
                groups.append((MANY_SESSIONS, MANY_ROUNDS, many))
            for index in range(max(rounds for _, rounds, _ in groups)):
                for group, (count, rounds, times) in enumerate(groups):
                    if index < rounds:
                        tabs = [await BrowserSession.start(person, base, query) for person in people[:count]]
                        before = memory.peak
                        memory.peak = memory.rss()  # this group's own peak
                        await _round(tabs, choices(1 + len(groups) * index + group), times, meter)
                        await asyncio.gather(*(tab.close() for tab in tabs))
                        peaks[count] = max(peaks.get(count, 0), memory.peak)
                        memory.peak = max(before, memory.peak)
        finally:
            await asyncio.gather(*(person.close() for person in people))
    return cold, single, multi, many


FLOOR = ("bare", "one-bar", "html", "vega")


async def _floor_walk(base: str, rounds: int, profiles: Path) -> dict[str, list[float]]:
    """Each variant opened by one person per round, and the bare page by SESSIONS people at once
    (key "bare, N at once")."""
    from playwright.async_api import async_playwright

    times: dict[str, list[float]] = defaultdict(list)
    async with async_playwright() as playwright:
        people = [await _person(playwright, profiles, index) for index in range(max(SESSIONS, 1))]
        try:
            for index in range(rounds + WARM_VISITS):  # the first rounds warm the server and the browsers' caches
                for variant in FLOOR:
                    tab = await BrowserSession.start(people[0], base, {})
                    elapsed = await tab.open("", v=variant)
                    await tab.close()
                    if index >= WARM_VISITS:
                        times[variant].append(elapsed)
                tabs = [await BrowserSession.start(person, base, {}) for person in people]
                together = await asyncio.gather(*(tab.open("", v="bare") for tab in tabs))
                await asyncio.gather(*(tab.close() for tab in tabs))
                if index >= WARM_VISITS:
                    times[f"bare, {len(people)} at once"].extend(together)
        finally:
            await asyncio.gather(*(person.close() for person in people))
    return times


def floor(folder: Path, rounds: int) -> None:
    """What the browser alone costs here: a Streamlit page with only a title, and the same page
    with the group-by histograms as finished HTML bars (ours) against Vega-Lite (the baseline), each
    opened in a new tab ``rounds`` times, from navigation to drawn (bench/floor_app.py)."""
    from tests.browser.harness import streamlit_server

    (folder / "floor-home").mkdir()
    with streamlit_server(folder, folder / "floor-home", folder / "floor.log", script="bench/floor_app.py") as (base, _):
        times = asyncio.run(_floor_walk(base, rounds, folder / "floor-profiles"))
    median = {variant: statistics.median(times[variant]) for variant in FLOOR}
    print(
        f"# browser floor: a Streamlit page with only a title, navigation to drawn: median {median['bare']:.3g} s "
        f"(worst {max(times['bare']):.3g} s of {rounds})",
        flush=True,
    )
    # What loading Vega-Lite's code costs a new tab, whatever the chart: a page opened from a
    # link pays it, a page reached from the sidebar does not.
    print(f"# browser floor: the same page with a one-bar Vega-Lite chart: median {median['one-bar']:.3g} s", flush=True)
    report("browser floor page with the group-by histograms, HTML vs Vega-Lite", median["html"], median["vega"], "s")
    # No page can do better than this with the browsers on the server's cores: three people
    # opening a page with only a title, against one (ratio above 0.5 would be within 2x)
    together = times[f"bare, {max(SESSIONS, 1)} at once"]
    report(
        f"browser floor page with only a title, {max(SESSIONS, 1)} sessions at once vs 1",
        statistics.median(together),
        median["bare"],
        "s",
    )


CORES = os.cpu_count() or 1


def _cpu_summary(cpus: list[Cpu]) -> str:
    """The median step's CPU seconds, and the least time the step could take on this machine's
    cores with every process using them fully."""
    server = statistics.median(c.server for c in cpus)
    browsers = statistics.median(c.browsers for c in cpus)
    wall = statistics.median(c.wall for c in cpus)
    return (
        f"server {server:.2f} CPU-s, browsers {browsers:.2f} CPU-s in {wall:.2f} s "
        f"({(server + browsers) / wall:.1f} of {CORES} cores busy; no less than {(server + browsers) / CORES:.2f} s on {CORES})"
    )


def build_store(folder: Path, rows: int = ROWS) -> Path:
    """The two-run project of bench_analysis_pages with ``rows`` rows per table, written to a
    store folder in ``folder``."""
    from bench.bench_analysis_pages import PROJECT, million_project
    from wbview.sources.store.store import Store

    store = folder / "store"
    Store(store).write_project(PROJECT, million_project(rows))
    return store


def main() -> None:
    from tests.browser.harness import CHROMIUM, streamlit_server

    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing: apt-get install chromium")
    started = time.perf_counter()
    rows = rows_label(ROWS)
    with tempfile.TemporaryDirectory(prefix="wbview-bench-browser-") as tmp:
        folder = Path(tmp)
        store = build_store(folder)
        print(f"# store with 2 runs of {rows} each built in {time.perf_counter() - started:.1f} s", flush=True)
        (folder / "home").mkdir()
        with streamlit_server(store, folder / "home", folder / "streamlit.log") as (base, process):
            peaks: dict[int, int] = {}
            meter = CpuMeter(process.pid)
            with PeakMemory(process.pid) as memory:
                try:
                    cold, single, multi, most = asyncio.run(_walk(base, store, memory, peaks, folder / "profiles", meter))
                except Exception:
                    print("# streamlit log tail:\n# " + "\n# ".join((folder / "streamlit.log").read_text().splitlines()[-20:]))
                    raise
        floor(folder, ROUNDS)
    for name in TIMED + ALSO_TIMED:
        print(
            f"# browser cold {name} (first time on a fresh server, 1 session, {rows}): {cold.drawn[name][0]:.3g} s "
            f"(script finished after {cold.script[name][0]:.3g} s)",
            flush=True,
        )
    for name in TIMED:
        one, many = single.drawn[name], multi.drawn[name]
        target(f"browser {name} (1 session, {rows})", statistics.median(one), TARGET_S)
        print(
            f"# browser {name} (1 session, {rows}): worst={max(one):.3g} s of {len(one)} runs; script finished after "
            f"median {statistics.median(single.script[name]):.3g} s",
            flush=True,
        )
        if single.cpu[name] and multi.cpu[name]:
            print(f"# browser {name}, CPU per step: 1 session {_cpu_summary(single.cpu[name])}", flush=True)
            print(f"# browser {name}, CPU per step: {SESSIONS} sessions {_cpu_summary(multi.cpu[name])}", flush=True)
            alone = SESSIONS * statistics.median(c.browsers for c in single.cpu[name]) / CORES
            print(
                f"# browser {name}: {SESSIONS} browsers drawing what one session's drew need "
                f"{alone:.2f} s of this machine's {CORES} cores, before any server work; "
                f"{'more' if alone > 2 * statistics.median(one) else 'less'} than 2x one session's "
                f"{statistics.median(one):.2f} s",
                flush=True,
            )
        report(f"browser {name}, {SESSIONS} sessions vs 1", statistics.median(many), statistics.median(one), "s")
        print(
            f"# browser {name} ({SESSIONS} sessions, {rows}): worst={max(many):.3g} s of {len(many)} timings; script "
            f"finished after median {statistics.median(multi.script[name]):.3g} s",
            flush=True,
        )
        if MANY_SESSIONS:
            crowd = most.drawn[name]
            report(f"browser {name}, {MANY_SESSIONS} sessions vs 1", statistics.median(crowd), statistics.median(one), "s")
            print(
                f"# browser {name} ({MANY_SESSIONS} sessions, {rows}): worst={max(crowd):.3g} s of {len(crowd)} "
                f"timings; script finished after median {statistics.median(most.script[name]):.3g} s",
                flush=True,
            )
    for name in ALSO_TIMED:
        one, many = single.drawn[name], multi.drawn[name]
        print(
            f"# browser {name} ({rows}): 1 session median={statistics.median(one):.3g} s worst={max(one):.3g} s; "
            f"{SESSIONS} sessions median={statistics.median(many):.3g} s worst={max(many):.3g} s",
            flush=True,
        )
    for count, peak in sorted(peaks.items()):
        print(f"# server peak RSS with {count} session(s) at once: {peak / 2**20:,.0f} MiB", flush=True)
    print(f"# server peak RSS over the whole run: {memory.peak / 2**20:,.0f} MiB", flush=True)
    print(
        f"# browser bench took {time.perf_counter() - started:.0f} s "
        f"({ROUNDS} one-session rounds, {MULTI_ROUNDS} {SESSIONS}-session rounds, "
        f"{MANY_ROUNDS if MANY_SESSIONS else 0} {MANY_SESSIONS}-session rounds)",
        flush=True,
    )


if __name__ == "__main__":
    main()
