"""`wbview app` (what `make run` calls): the right data source, and the demo built once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from wbview.cli import app as launch


def test_explicit_store_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_API_KEY", "k" * 40)
    assert launch.choose_data(str(tmp_path)) == {"WBVIEW_STORE": str(tmp_path.resolve())}


def test_store_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("WBVIEW_STORE", str(tmp_path))
    assert launch.choose_data(None) == {"WBVIEW_STORE": str(tmp_path.resolve())}


def test_credentials_open_wandb_and_build_no_demo(tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_API_KEY", "k" * 40)
    monkeypatch.setenv("WBVIEW_DEMO_DIR", str(tmp_path / "demo"))
    monkeypatch.chdir(tmp_path)  # no .streamlit/secrets.toml here
    assert launch.choose_data(None) == {}
    assert not (tmp_path / "demo").exists()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"wbview app exited early with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.read().decode() == "ok":
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} not healthy within {timeout_s} s")


@pytest.mark.slow
def test_without_credentials_the_app_opens_on_a_freshly_built_demo(tmp_path):
    """The `make run` path on a fresh machine: no key, no store -> demo built, app serving it."""
    demo_dir = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_API_KEY", "WBVIEW_STORE"))}
    env |= {"WBVIEW_DEMO_DIR": str(demo_dir), "HOME": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    port = _free_port()
    log = tmp_path / "app.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "wbview", "app", "--port", str(port), "--address", "127.0.0.1"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_healthy(f"http://127.0.0.1:{port}/_stcore/health", proc, timeout_s=150)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
    text = log.read_text()
    assert "Building the demo project" in text
    assert "opening the demo project" in text
    from wbview.demo import demo_is_built

    assert demo_is_built(demo_dir)
