"""The shipped reverse-proxy config (deploy/nginx-wbview.conf) in front of two real
`wbview app` replicas: TLS works, the site's name gets the dashboard and its websocket, any
other Host is refused, a page from another origin (another local port included) cannot open
the websocket, each browser stays on one replica while people spread over both, and every
page tells Streamlit's frontend where its server is. Runs Debian's nginx (.ci/run installs
it)."""

from __future__ import annotations

import gzip
import http.client
import re
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


def _tls(cert: Path) -> ssl.SSLContext:
    """A client context trusting the test certificate; host names unchecked (we dial 127.0.0.1,
    and the refused names are not on the certificate)."""
    context = ssl.create_default_context(cafile=str(cert))
    context.check_hostname = False
    return context


def _request(port: int, cert: Path, server_name: str, text: str) -> str:
    """Send ``text`` over TLS to 127.0.0.1:port (SNI ``server_name``); the answer's head."""
    context = _tls(cert)
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
    processes: tuple[subprocess.Popen, ...]  # and the processes, in the same order


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
    yield Proxied(tls_port, http_port, cert, replicas, tuple(apps))
    nginx.terminate()
    nginx.wait(timeout=10)
    for app in apps:
        if app.poll() is None:  # (a test may have stopped one)
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


class _Browsers:
    """Websockets opened through the proxy, each with a browser's replica cookie; which replica
    took each one is read from the replicas' own session counts."""

    def __init__(self, proxied: Proxied):
        self.proxied = proxied
        self.context = _tls(proxied.cert)
        self.handshake = HANDSHAKE.format(host=SITE).replace(f"Origin: http://{SITE}", f"Origin: https://{SITE}")
        self.sockets: list[ssl.SSLSocket] = []

    def _counts(self) -> list[int]:
        return [
            _sessions(port) if process.poll() is None else 0
            for port, process in zip(self.proxied.replicas, self.proxied.processes, strict=True)
        ]

    def open(self, cookie: str) -> int:
        """Open one websocket with ``cookie``; the index of the replica that got its session."""
        before = self._counts()
        raw = socket.create_connection(("127.0.0.1", self.proxied.tls_port), timeout=10)
        sock = self.context.wrap_socket(raw, server_hostname=SITE)
        self.sockets.append(sock)
        sock.sendall(self.handshake.replace("\r\n\r\n", f"\r\nCookie: wbview_replica={cookie}\r\n\r\n").encode())
        assert _status(sock.recv(4096).decode(errors="replace")) == 101
        deadline = time.monotonic() + 10
        while (after := self._counts()) == before:
            assert time.monotonic() < deadline, "no replica opened a session for the websocket"
            time.sleep(0.05)
        grown = [index for index, (b, a) in enumerate(zip(before, after, strict=True)) if a == b + 1]
        assert len(grown) == 1 and sum(after) == sum(before) + 1, (before, after)
        return grown[0]

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()


@pytest.fixture
def browsers(proxied):
    opened = _Browsers(proxied)
    yield opened
    opened.close()


def test_the_proxy_gives_each_new_browser_a_replica_cookie(proxied):
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


def test_each_browser_stays_on_one_replica_and_people_spread_over_them(browsers):
    replica_of: dict[str, int] = {}
    for person in range(16):
        cookie = f"person-{person}"
        # the same browser twice (a second tab, a reconnect): the same replica
        seen = {browsers.open(cookie), browsers.open(cookie)}
        assert len(seen) == 1, f"{cookie}'s two connections went to two replicas"
        replica_of[cookie] = seen.pop()
    # sixteen people over two replicas: all on one would be a 1-in-30,000 chance with a fair hash
    assert set(replica_of.values()) == {0, 1}, replica_of


def test_a_replica_that_is_down_is_skipped(proxied, browsers):
    on_first = next(cookie for cookie in (f"person-{n}" for n in range(64)) if browsers.open(cookie) == 0)
    _stop(proxied.processes[0])  # (`wbview app` and the Streamlit it started)
    deadline = time.monotonic() + 30
    while True:  # down: its port refuses connections
        try:
            socket.create_connection(("127.0.0.1", proxied.replicas[0]), timeout=1).close()
        except ConnectionRefusedError:
            break
        assert time.monotonic() < deadline, "the stopped replica still accepts connections"
        time.sleep(0.1)
    assert browsers.open(on_first) == 1  # its browser reconnects, to the replica that is up


def served_location_snippet() -> str:
    """The script each replica (`wbview app`, serve.py) writes into every page's <head>."""
    from wbview.ui.page_config import frontend_snippet

    return frontend_snippet().decode().removeprefix("<script>").removesuffix("</script>")


def _fetch(proxied: Proxied, path: str, *, gzip_ok: bool = False) -> tuple[http.client.HTTPResponse, bytes, int]:
    """GET ``path`` through the proxy: the response, its body (unzipped when it came gzipped)
    and the body's size as sent."""
    connection = http.client.HTTPSConnection("127.0.0.1", proxied.tls_port, timeout=10, context=_tls(proxied.cert))
    try:
        connection.request("GET", path, headers={"Host": SITE, **({"Accept-Encoding": "gzip"} if gzip_ok else {})})
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    sent = len(body)
    if response.getheader("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return response, body, sent


def test_every_page_tells_the_frontend_where_its_server_is(proxied):
    snippet = served_location_snippet()
    for path in ("/", "/error_analysis?run=x", "/threshold"):
        for gzip_ok in (False, True):
            response, body, _ = _fetch(proxied, path, gzip_ok=gzip_ok)
            assert response.status == 200
            page = body.decode()
            assert page.count(f"<script>{snippet}</script>") == 1, (path, gzip_ok)
            # before Streamlit's own script, which reads it when it loads
            assert page.index(snippet) < page.index('<script type="module"')
    # Streamlit's own script is untouched, compressed for the browsers that take it (Streamlit
    # sends it uncompressed: 0.5 MB of the 3.3 MB of scripts Error analysis loads), and the websocket opens
    script = re.search(r'<script type="module" crossorigin src="\./(static/js/[^"]+)"', page)
    assert script is not None
    plain, body, _ = _fetch(proxied, f"/{script[1]}")
    assert plain.status == 200 and plain.getheader("Content-Encoding") is None
    assert snippet.encode() not in body and len(body) > 100_000
    zipped, unzipped, sent = _fetch(proxied, f"/{script[1]}", gzip_ok=True)
    assert zipped.getheader("Content-Encoding") == "gzip" and unzipped == body and sent < len(body) / 2
    assert _Browsers(proxied).open("person-0") in (0, 1)
