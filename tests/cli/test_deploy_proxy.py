"""The shipped reverse-proxy config (deploy/nginx-wbview.conf) in front of two real
`wbview app` replicas: TLS works, the site's name gets the dashboard and its websocket, any
other Host is refused, a page from another origin (another local port included) cannot open
the websocket, and each browser stays on one replica while people spread over both. Runs
Debian's nginx (.ci/run installs it)."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli.test_host_check import HANDSHAKE, _free_port, _serve, _stop
from tests.paths import REPO

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SITE = "wbview.example.com"
pytestmark = pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed (apt-get install nginx-light)")


def _certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "fullchain.pem", folder / "privkey.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            f"/CN={SITE}",
            "-addext",
            f"subjectAltName=DNS:{SITE}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def _request(port: int, cert: Path, server_name: str, text: str) -> str:
    """Send ``text`` over TLS to 127.0.0.1:port (SNI ``server_name``); the answer's head."""
    context = ssl.create_default_context(cafile=str(cert))
    context.check_hostname = False  # the refused names are not on the certificate
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=server_name) as sock,
    ):
        sock.sendall(text.encode())
        return sock.recv(4096).decode(errors="replace")


def _status(answer: str) -> int:
    return int(answer.split()[1])


@dataclass(frozen=True)
class Proxied:
    tls_port: int
    http_port: int
    cert: Path
    replicas: tuple[int, ...]  # the wbview processes' own ports


@pytest.fixture
def proxied(clean_env, tmp_path):
    tls_port, http_port = _free_port(), _free_port()
    replicas = (_free_port(), _free_port())
    apps = [
        _serve(
            [sys.executable, "-m", "wbview", "app", "--address", "127.0.0.1", "--port", str(port), "--allowed-host", SITE],
            tmp_path,
            clean_env,
            port,
            tmp_path / f"app-{port}.log",
        )
        for port in replicas
    ]
    cert, key = _certificate(tmp_path)
    site = (REPO / "deploy" / "nginx-wbview.conf").read_text()
    for shipped, here in [
        ("listen 443", f"listen 127.0.0.1:{tls_port}"),
        ("listen 80", f"listen 127.0.0.1:{http_port}"),
        ("127.0.0.1:8501", f"127.0.0.1:{replicas[0]}"),
        ("127.0.0.1:8502", f"127.0.0.1:{replicas[1]}"),
        ("/etc/ssl/wbview/fullchain.pem", str(cert)),
        ("/etc/ssl/wbview/privkey.pem", str(key)),
    ]:
        assert shipped in site
        site = site.replace(shipped, here)
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"user root; pid {tmp_path}/nginx.pid; error_log {tmp_path}/nginx-error.log;\n"
        "events {}\n"
        f"http {{ access_log off; client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;\n"
        f"  include {tmp_path}/site.conf; }}\n"
    )
    nginx = subprocess.Popen(
        [NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", tls_port), timeout=1).close()
            break
        except OSError:
            if nginx.poll() is not None or time.monotonic() > deadline:
                app_error = nginx.stderr.read().decode() if nginx.stderr else ""
                for app in apps:
                    _stop(app)
                pytest.fail(f"nginx did not start: {app_error}")
            time.sleep(0.2)
    yield Proxied(tls_port, http_port, cert, replicas)
    nginx.terminate()
    nginx.wait(timeout=10)
    for app in apps:
        _stop(app)


def test_the_shipped_proxy_config_admits_the_site_and_refuses_the_rest(proxied):
    tls_port, http_port, cert = proxied.tls_port, proxied.http_port, proxied.cert
    health = _request(tls_port, cert, SITE, f"GET /_stcore/health HTTP/1.1\r\nHost: {SITE}\r\nConnection: close\r\n\r\n")
    assert _status(health) == 200 and health.rstrip().endswith("ok")
    own_page = HANDSHAKE.format(host=SITE).replace(f"Origin: http://{SITE}", f"Origin: https://{SITE}")
    assert _status(_request(tls_port, cert, SITE, own_page)) == 101
    # a rebinding page names its own host: refused by the proxy (and by Streamlit behind it)
    assert _status(_request(tls_port, cert, "evil.example", HANDSHAKE.format(host="evil.example"))) == 421
    # a page served from another port of the server's own machine: Streamlit would admit it
    other_port = own_page.replace(f"Origin: https://{SITE}", "Origin: http://localhost:9999")
    assert _status(_request(tls_port, cert, SITE, other_port)) == 403
    with socket.create_connection(("127.0.0.1", http_port), timeout=10) as plain:
        plain.sendall(f"GET /x HTTP/1.1\r\nHost: {SITE}\r\nConnection: close\r\n\r\n".encode())
        answer = plain.recv(4096).decode()
    assert _status(answer) == 301 and f"Location: https://{SITE}/x" in answer


def _sessions(port: int) -> int:
    """How many Streamlit sessions the replica on ``port`` holds (its own metrics endpoint)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/metrics?families=active_sessions", timeout=10) as answer:
        lines = [line for line in answer.read().decode().splitlines() if line.startswith("active_sessions ")]
    return int(lines[0].split()[1])


def _header(answer: str, name: str) -> list[str]:
    head = answer.split("\r\n\r\n", 1)[0].split("\r\n")[1:]
    return [line.split(":", 1)[1].strip() for line in head if line.split(":", 1)[0].lower() == name.lower()]


def test_each_browser_stays_on_one_replica_and_people_spread_over_them(proxied):
    page = f"GET /error_analysis HTTP/1.1\r\nHost: {SITE}\r\nConnection: close\r\n{{cookie}}\r\n"
    first = _request(proxied.tls_port, proxied.cert, SITE, page.format(cookie=""))
    assert _status(first) == 200
    [cookie] = _header(first, "Set-Cookie")
    value = cookie.split(";")[0]
    assert value.startswith("wbview_replica=") and len(value) > len("wbview_replica=") + 16
    assert {"Secure", "HttpOnly", "SameSite=Lax", "Path=/"} <= {part.strip() for part in cookie.split(";")}
    assert _header(first, "Strict-Transport-Security") == ["max-age=31536000"]
    again = _request(proxied.tls_port, proxied.cert, SITE, page.format(cookie=f"Cookie: {value}\r\n"))
    assert _status(again) == 200 and _header(again, "Set-Cookie") == []  # an empty header is not sent
    assert _header(again, "Strict-Transport-Security") == ["max-age=31536000"]

    context = ssl.create_default_context(cafile=str(proxied.cert))
    context.check_hostname = False
    handshake = HANDSHAKE.format(host=SITE).replace(f"Origin: http://{SITE}", f"Origin: https://{SITE}")
    open_sockets: list[ssl.SSLSocket] = []
    replica_of: dict[str, int] = {}
    try:
        for person in range(16):
            seen = set()
            for _ in range(2):  # the same browser twice (a second tab, a reconnect): the same replica
                before = [_sessions(port) for port in proxied.replicas]
                raw = socket.create_connection(("127.0.0.1", proxied.tls_port), timeout=10)
                sock = context.wrap_socket(raw, server_hostname=SITE)
                open_sockets.append(sock)
                sock.sendall(handshake.replace("\r\n\r\n", f"\r\nCookie: wbview_replica=person-{person}\r\n\r\n").encode())
                assert _status(sock.recv(4096).decode(errors="replace")) == 101
                deadline = time.monotonic() + 10
                while (after := [_sessions(port) for port in proxied.replicas]) == before:
                    assert time.monotonic() < deadline, "no replica opened a session for the websocket"
                    time.sleep(0.05)
                grown = [index for index, (b, a) in enumerate(zip(before, after, strict=True)) if a == b + 1]
                assert len(grown) == 1 and sum(after) == sum(before) + 1, (before, after)
                seen.add(grown[0])
            assert len(seen) == 1, f"person {person}'s two connections went to two replicas"
            replica_of[f"person-{person}"] = seen.pop()
    finally:
        for sock in open_sockets:
            sock.close()
    # sixteen people over two replicas: all on one would be a 1-in-30,000 chance with a fair hash
    assert set(replica_of.values()) == {0, 1}, replica_of
