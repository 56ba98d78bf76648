"""Request log and fault injection."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakewandb.server import FakeWandb

log = logging.getLogger("fakewandb")


@dataclass
class Request:
    """One recorded request. ``op`` is the GraphQL operation name, or ``"file"`` for a
    manifest/entry download."""

    method: str
    path: str
    op: str | None
    variables: dict[str, Any]
    status: int = 0
    query: str = ""
    duration_s: float = 0.0
    fault: str | None = None
    started_s: float = 0.0  # time.monotonic() when the request arrived
    generation: int = 0  # reset() count when it arrived: late answers of older tests are dropped


@dataclass
class Fault:
    """A queued fault. ``op``: a GraphQL operation name, ``"*"`` for any GraphQL
    operation, ``"file"`` for file downloads, ``None`` for any request. ``times``: how
    many matching requests it hits (``None``: forever)."""

    op: str | None = None
    status: int | None = None  # HTTP status to answer with (429, 500, 503, 401, ...)
    retry_after_s: float | None = None  # Retry-After header (with 429/503)
    delay_s: float = 0.0  # sleep before answering (to exceed a client timeout)
    errors: list[dict[str, Any]] | None = None  # GraphQL errors payload (HTTP 200)
    times: int | None = 1
    hits: int = 0

    def matches(self, op: str | None) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if self.op is None:
            return True
        if self.op == "*":
            return op not in (None, "file", "runfile")
        return self.op == op

    def describe(self) -> str:
        if self.status:
            return f"http {self.status}"
        if self.errors:
            return "graphql errors"
        return f"delay {self.delay_s}s"


class Handler(BaseHTTPRequestHandler):
    server_version = "fakewandb/1"
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: avoid 40 ms delayed-ACK stalls

    def log_message(self, format: str, *args: Any) -> None:  # silence stderr access logs
        log.debug("%s - %s", self.address_string(), format % args)

    @property
    def fake(self) -> FakeWandb:
        return self.server.fake  # type: ignore[attr-defined]

    def do_POST(self) -> None:
        self.fake._handle(self, "POST")

    def do_GET(self) -> None:
        self.fake._handle(self, "GET")

    def do_PUT(self) -> None:
        self.fake._handle(self, "PUT")

    def send(
        self, status: int, body: bytes, content_type: str = "application/json", headers: Mapping[str, str] | None = None
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. after its timeout); nothing to answer


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def stop_serving(server: ThreadingHTTPServer | None, thread: threading.Thread | None) -> None:
    """Stop a fake's HTTP server and wait for its thread."""
    if server is not None:
        server.shutdown()
        server.server_close()
    if thread is not None:
        thread.join(timeout=5)
