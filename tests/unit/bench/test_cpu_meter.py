"""bench_browser's CpuMeter: the CPU seconds of the server, including work done in children
it has reaped, read from /proc (the browsers are counted the same way)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.bench_browser import Cpu, CpuMeter

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")

BUSY = "import time\nend = time.process_time() + {seconds}\nwhile time.process_time() < end: pass\n"
REAPED_CHILD = f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', {BUSY.format(seconds=0.4)!r}], check=True)\n"


def _metered(work: str) -> tuple[Cpu, Cpu]:
    """The meter's reading of a process (as the server) before and after it runs ``work``;
    the process stays alive for the second reading."""
    script = f"import sys\nsys.stdin.readline()\n{work}print('done', flush=True)\nsys.stdin.readline()\n"
    process = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        meter = CpuMeter(process.pid)
        before = meter.read()
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write("go\n")
        process.stdin.flush()
        assert process.stdout.readline() == "done\n"
        after = meter.read()
    finally:
        process.communicate("\n")
    assert before is not None and after is not None
    return before, after


def test_a_process_s_own_cpu_time_is_counted():
    before, after = _metered(BUSY.format(seconds=0.4))
    assert 0.35 <= after.server - before.server < 5


def test_work_of_a_reaped_child_still_counts():
    """A closed tab's renderer exits and its browser reaps it: its seconds move to the
    parent's children's time, so a step's delta never goes negative."""
    before, after = _metered(REAPED_CHILD)  # the child has run and been reaped before "done"
    assert after.server - before.server >= 0.35
    assert after.browsers >= before.browsers  # (Chromium of the browser tests may run under this process)
