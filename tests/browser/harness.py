"""Driving `streamlit run serve.py` (app.py as `wbview app` serves it) in Chromium, shared by the browser tests and the browser
benchmark (bench/bench_browser.py): the launch flags for Debian's Chromium, starting and
stopping the server on a free port, and the JavaScript checks for "the page is fully drawn".

No pytest here: the fixtures in conftest.py wrap these helpers.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from tests.paths import REPO

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT_S = 60
RENDER_TIMEOUT_MS = 45_000

# app.py's navigation must be in charge, not Streamlit's file-name menu of pages/. A fresh
# server's first deep link shows that menu for one run, until page.start() switches to app.py
# and reruns: wait for the switch. app.py's menu is always drawn (st.navigation runs before any
# page), so waiting for its first link also skips the empty moment before the first render.
APP_NAVIGATION_JS = """() => {
    const links = [...document.querySelectorAll('[data-testid="stSidebarNav"] a')];
    return links.length > 0 && links[0].innerText.trim().endsWith('Runs');
}"""
SCRIPT_DONE_SELECTOR = '[data-testid="stApp"][data-test-script-state="notRunning"]'
PENDING_SELECTOR = '[data-testid="stSkeleton"], [data-testid="stSpinner"], [data-stale="true"]'
NOTHING_PENDING_JS = f"() => !document.querySelector('{PENDING_SELECTOR}')"


class ServerError(RuntimeError):
    """The streamlit server did not come up."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


SERVER_ARGS = (
    "--server.headless",
    "true",
    "--server.address",
    "127.0.0.1",
    "--browser.gatherUsageStats",
    "false",
    "--server.fileWatcherType",
    "none",
)


@contextmanager
def streamlit_server(
    store_dir: Path,
    home: Path,
    log_path: Path,
    args: Sequence[str] = SERVER_ARGS,
    extra_env: Mapping[str, str] | None = None,
    host: str = "127.0.0.1",
    port: int | None = None,
    script: str = "serve.py",
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run `streamlit run serve.py` (app.py behind wbview's page config, as `wbview app` and
    `make run` start it; or another ``script`` of the repository) with
    WBVIEW_STORE=store_dir (and ``args``, ``extra_env``) on ``port`` (default: a free one);
    yield its base URL and process once `/_stcore/health` answers; stop it by PID at the end."""
    port = port or free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")} | {
        "WBVIEW_STORE": str(store_dir),
        "HOME": str(home),
    }
    env |= extra_env or {}
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", script, *args, "--server.port", str(port)],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://{host}:{port}"
            deadline = time.monotonic() + SERVER_START_TIMEOUT_S
            while True:
                try:
                    if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                        break
                except OSError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise ServerError(f"streamlit did not start (exit {process.poll()}); see {log_path}")
                time.sleep(0.3)
            yield url, process
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
