"""DNS rebinding: a real server refuses a websocket whose Host names a foreign host.

A rebinding page at http://evil.example:PORT whose name resolves to 127.0.0.1 reaches the
server with ``Host: evil.example:PORT``; the shipped config and `wbview app` list the host
names a deployment uses (``server.allowedHosts``), so such a handshake is refused while
the real names still work.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.paths import REPO
from wbview.cli import app as launch

HANDSHAKE = (
    "GET /_stcore/stream HTTP/1.1\r\n"
    "Host: {host}\r\n"
    "Origin: http://{host}\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "Sec-WebSocket-Protocol: streamlit\r\n"
    "\r\n"
)


def handshake_status(port: int, host_header: str) -> int:
    """The HTTP status of a raw websocket handshake to 127.0.0.1:port naming ``host_header``."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(HANDSHAKE.format(host=host_header).encode())
        status_line = sock.makefile("rb").readline().decode()
    return int(status_line.split()[1])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(command: list[str], cwd: Path, env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    out = log.open("w")
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited early with {proc.returncode}: {log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return proc
        except OSError:
            time.sleep(0.3)
    _stop(proc)
    raise AssertionError(f"server not healthy within 60 s: {log.read_text()}")


def _stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


@pytest.mark.parametrize("script", ["app.py", "serve.py"])
def test_streamlit_run_with_the_shipped_config_refuses_a_foreign_host(clean_env, tmp_path, script):
    """`streamlit run app.py`, and serve.py (Streamlit's server run as an ASGI app, as `wbview
    app` starts it), both apply the shipped server.allowedHosts."""
    port = _free_port()
    proc = _serve(
        [sys.executable, "-m", "streamlit", "run", script, "--server.address", "127.0.0.1", "--server.port", str(port)],
        REPO,
        clean_env,
        port,
        tmp_path / "streamlit.log",
    )
    try:
        assert handshake_status(port, f"evil.example:{port}") == 403
        assert handshake_status(port, f"127.0.0.1:{port}") == 101
        assert handshake_status(port, f"localhost:{port}") == 101
    finally:
        _stop(proc)


def test_wbview_app_accepts_the_names_it_is_given_and_no_other(clean_env, tmp_path):
    port = _free_port()
    env = clean_env | {"WBVIEW_ALLOWED_HOSTS": "env.example"}
    proc = _serve(
        [
            sys.executable,
            "-m",
            "wbview",
            "app",
            "--address",
            "127.0.0.1",
            "--port",
            str(port),
            "--allowed-host",
            "wbview.team.example",
        ],
        tmp_path,
        env,
        port,
        tmp_path / "app.log",
    )
    try:
        assert handshake_status(port, f"evil.example:{port}") == 403
        assert handshake_status(port, f"wbview.team.example:{port}") == 101
        assert handshake_status(port, "env.example") == 101
        assert handshake_status(port, f"127.0.0.1:{port}") == 101
    finally:
        _stop(proc)


@pytest.mark.parametrize(
    ("address", "extra", "environ", "expected"),
    [
        ("localhost", [], {}, ["localhost", "127.0.0.1", "::1"]),
        ("0.0.0.0", [], {}, ["localhost", "127.0.0.1", "::1"]),
        ("10.0.0.5", [], {}, ["localhost", "127.0.0.1", "::1", "10.0.0.5"]),
        (
            "localhost",
            ["Team.Example"],
            {"WBVIEW_ALLOWED_HOSTS": " a.example, ,b.example"},
            ["localhost", "127.0.0.1", "::1", "a.example", "b.example", "team.example"],
        ),
    ],
)
def test_allowed_hosts(address, extra, environ, expected):
    assert launch.allowed_hosts(address, extra, environ) == expected


@pytest.mark.parametrize(
    ("address", "secrets", "loud"),
    [
        ("localhost", None, False),
        ("127.0.0.1", None, False),
        ("0.0.0.0", None, True),
        ("10.0.0.5", "[wandb]\napi_key = 'k'\n", True),
        ("0.0.0.0", "[auth]\nredirect_uri = 'https://x/oauth2callback'\n", False),
    ],
)
def test_listening_beyond_localhost_without_a_login_is_loud(tmp_path, address, secrets, loud):
    path = tmp_path / "secrets.toml"
    if secrets:
        path.write_text(secrets)
    warning = launch.exposure_warning(address, launch.login_configured(path))
    assert (warning is not None) is loud
    if loud:
        assert address in warning and "no login" in warning
