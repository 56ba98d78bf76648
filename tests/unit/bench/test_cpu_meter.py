"""bench_browser's CpuMeter: the CPU seconds of the server, including work done in children
it has reaped, read from /proc (the browsers are counted the same way)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.bench_browser import CpuMeter

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")

BUSY = "import time\nend = time.process_time() + {seconds}\nwhile time.process_time() < end: pass\n"


def test_a_process_s_own_cpu_time_is_counted():
    busy = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys\nsys.stdin.readline()\n" + BUSY.format(seconds=0.4) + "print('done', flush=True)\nsys.stdin.readline()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        meter = CpuMeter(busy.pid)
        before = meter.read()
        assert busy.stdin is not None and busy.stdout is not None
        busy.stdin.write("go\n")
        busy.stdin.flush()
        assert busy.stdout.readline() == "done\n"
        after = meter.read()
        assert before is not None and after is not None
        assert 0.35 <= after.server - before.server < 5
    finally:
        busy.communicate("\n")


def test_work_of_a_reaped_child_still_counts():
    """A closed tab's renderer exits and its browser reaps it: its seconds move to the
    parent's children's time, so a step's delta never goes negative."""
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys\n"
            "sys.stdin.readline()\n"
            f"subprocess.run([sys.executable, '-c', {BUSY.format(seconds=0.4)!r}], check=True)\n"
            "print('done', flush=True)\n"
            "sys.stdin.readline()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        meter = CpuMeter(parent.pid)
        before = meter.read()
        assert parent.stdin is not None and parent.stdout is not None
        parent.stdin.write("go\n")
        parent.stdin.flush()
        assert parent.stdout.readline() == "done\n"  # the child has run and been reaped
        after = meter.read()
        assert before is not None and after is not None
        assert after.server - before.server >= 0.35
        assert after.browsers >= before.browsers  # (Chromium of the browser tests may run under this process)
    finally:
        parent.communicate("\n")
