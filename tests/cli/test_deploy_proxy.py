"""The shipped reverse-proxy config (deploy/nginx-wbview.conf) in front of a real
`wbview app`: TLS works, the site's name gets the dashboard and its websocket, any other
Host is refused, and a page from another origin (another local port included) cannot open
the websocket. Runs Debian's nginx (.ci/run installs it)."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import sys
import time
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


@pytest.fixture
def proxied(clean_env, tmp_path):
    app_port, tls_port, http_port = _free_port(), _free_port(), _free_port()
    app = _serve(
        [sys.executable, "-m", "wbview", "app", "--address", "127.0.0.1", "--port", str(app_port), "--allowed-host", SITE],
        tmp_path,
        clean_env,
        app_port,
        tmp_path / "app.log",
    )
    cert, key = _certificate(tmp_path)
    site = (REPO / "deploy" / "nginx-wbview.conf").read_text()
    for shipped, here in [
        ("listen 443", f"listen 127.0.0.1:{tls_port}"),
        ("listen 80", f"listen 127.0.0.1:{http_port}"),
        ("127.0.0.1:8501", f"127.0.0.1:{app_port}"),
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
                _stop(app)
                pytest.fail(f"nginx did not start: {app_error}")
            time.sleep(0.2)
    yield tls_port, http_port, cert
    nginx.terminate()
    nginx.wait(timeout=10)
    _stop(app)


def test_the_shipped_proxy_config_admits_the_site_and_refuses_the_rest(proxied):
    tls_port, http_port, cert = proxied
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
