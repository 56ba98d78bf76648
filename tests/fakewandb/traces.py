"""A loopback fake of the W&B Weave trace server, for W&B EvalTables.

It answers the routes weave 0.54's own client sends (its generated binding,
``weave/vendor/weave_server_sdk/resources``), with the request and response shapes read
from that package (``weave/vendor/weave_server_sdk/types``):

- writing (``tests/realwandb/record_evaltable.py`` logs a real ``wandb.EvalTable`` through
  weave's ``EvaluationLogger`` here): ``POST /call/start`` ``{"start": {...}}`` ->
  ``{"id", "trace_id"}``; ``POST /call/end`` ``{"end": {...}}`` -> ``{}``;
  ``POST /obj/create`` ``{"obj": {...}}`` -> ``{"digest"}``; ``POST /table/create``
  ``{"table": {"rows": [...]}}`` -> ``{"digest", "row_digests"}``; ``POST /file/create``
  (multipart: ``file``, ``project_id``, ``expected_digest``) -> ``{"digest"}``;
- reading: ``POST /calls/stream_query`` (``filter.call_ids`` / ``filter.parent_ids``,
  ``limit``, ``offset``) -> one JSON call per line (``application/jsonl``);
  ``POST /file/content`` ``{"project_id", "digest"}`` -> the file's bytes (images).

What a real server does between the two is a guess: a call is stored as its start
merged with its end (``output``, ``summary``, ``exception``, ``ended_at``), in start
order, which is the vendored ``Call`` model's field set; digests here are sha256 of the
JSON body, not the server's.

Quick reference::

    with FakeTraceServer(calls=[...]) as fake:   # calls: stored call dicts to serve
        fake.url; fake.env()                     # {"WF_TRACE_SERVER_URL": ...}
        fake.count("/calls/stream_query")        # requests to one route (None: all)
        fake.fail("/calls/stream_query", 500, times=None)
        fake.delay("/calls/stream_query", seconds=5)
        fake.calls                               # stored calls (written or given)
        fake.unknown                             # routes it could not answer
"""

from __future__ import annotations

import base64
import email.policy
import hashlib
import json
import threading
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakewandb.files import DEFAULT_API_KEY
from tests.fakewandb.log import stop_serving


@dataclass
class TraceRequest:
    path: str
    body: Any
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class TraceFault:
    path: str | None  # None: every route
    status: int | None = None
    delay_s: float = 0.0
    times: int | None = 1
    hits: int = 0

    def matches(self, path: str) -> bool:
        return (self.times is None or self.hits < self.times) and self.path in (None, path)


class FakeTraceServer:
    def __init__(
        self, calls: Iterable[Mapping[str, Any]] = (), files: Mapping[str, bytes] | None = None, api_key: str = DEFAULT_API_KEY
    ) -> None:
        self.calls: list[dict[str, Any]] = [dict(c) for c in calls]
        self.files: dict[str, bytes] = dict(files or {})  # digest (as weave computes it) -> content
        self.api_key = api_key
        self.requests: list[TraceRequest] = []
        self.faults: list[TraceFault] = []
        self.unknown: list[str] = []
        self.objects: list[dict[str, Any]] = []
        self.tables: list[dict[str, Any]] = []
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ------------------------------------------------------------------
    def __enter__(self) -> FakeTraceServer:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]  # the handler finds the fake here
        self._server = server
        self._stopping.clear()
        self._thread = threading.Thread(target=server.serve_forever, name="faketraces", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stopping.set()  # wakes any delayed handler
        stop_serving(self._server, self._thread)
        self._server, self._thread = None, None

    @property
    def url(self) -> str:
        assert self._server is not None, "FakeTraceServer is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def env(self) -> dict[str, str]:
        return {"WF_TRACE_SERVER_URL": self.url}

    # ---- inspection and faults ------------------------------------------------------
    def count(self, path: str | None = None) -> int:
        with self._lock:
            return sum(1 for r in self.requests if path is None or r.path == path)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.faults.clear()
            self.unknown.clear()

    def fail(self, path: str | None, status: int = 500, times: int | None = 1) -> None:
        with self._lock:
            self.faults.append(TraceFault(path, status=status, times=times))

    def delay(self, path: str | None, seconds: float, times: int | None = 1) -> None:
        with self._lock:
            self.faults.append(TraceFault(path, delay_s=seconds, times=times))

    # ---- HTTP ------------------------------------------------------------------------
    def handle(self, handler: _Handler) -> None:
        path = urllib.parse.urlsplit(handler.path).path.rstrip("/")
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        ctype = handler.headers.get("Content-Type") or ""
        try:
            body: Any = json.loads(raw) if raw and "json" in ctype else _form(ctype, raw) if "multipart" in ctype else raw
        except ValueError as exc:
            with self._lock:
                self.unknown.append(f"{handler.command} {path}: unreadable body: {exc}")
            handler.answer(400, {"reason": f"faketraces: unreadable body: {exc}"})
            return
        request = TraceRequest(path, body, headers={k.lower(): v for k, v in handler.headers.items()})
        with self._lock:
            self.requests.append(request)
            fault = next((f for f in self.faults if f.matches(path)), None)
            if fault is not None:
                fault.hits += 1
        if fault is not None and fault.delay_s:
            self._stopping.wait(fault.delay_s)
        if fault is not None and fault.status:
            request.status = fault.status
            handler.answer(fault.status, {"reason": f"faketraces injected HTTP {fault.status}"})
            return
        if not self._authorized(handler):
            request.status = 401
            handler.answer(401, {"reason": "faketraces: bad credentials"})
            return
        route = _ROUTES.get((handler.command, path))
        if route is None:
            with self._lock:
                self.unknown.append(f"{handler.command} {path}")
            request.status = 404
            handler.answer(404, {"reason": f"faketraces: no route for {handler.command} {path}"})
            return
        request.status = 200
        try:
            route(self, handler, body)
        except Exception as exc:  # noqa: BLE001 - a fake's own bug: noted, answered 500, not a hang
            with self._lock:
                self.unknown.append(f"{handler.command} {path}: {type(exc).__name__}: {exc}")
            request.status = 500
            handler.answer(500, {"reason": f"faketraces failed: {exc}"})

    def _authorized(self, handler: _Handler) -> bool:
        header = handler.headers.get("Authorization") or ""
        if not header.startswith("Basic "):
            return False
        try:
            return base64.b64decode(header[6:]).decode().partition(":")[2] == self.api_key
        except (ValueError, UnicodeDecodeError):
            return False

    # writing
    def _call_start(self, handler: _Handler, body: Any) -> None:
        start = dict(body["start"])
        with self._lock:
            self.calls.append({**start, "output": None, "summary": None, "exception": None, "ended_at": None})
        handler.answer(200, {"id": start["id"], "trace_id": start["trace_id"]})

    def _call_end(self, handler: _Handler, body: Any) -> None:
        end = body["end"]
        with self._lock:
            for call in self.calls:
                if call["id"] == end["id"]:
                    call.update({k: end.get(k) for k in ("output", "summary", "exception", "ended_at")})
        handler.answer(200, {})

    def _obj_create(self, handler: _Handler, body: Any) -> None:
        with self._lock:
            self.objects.append(body["obj"])
        handler.answer(200, {"digest": _digest(body["obj"]), "object_id": body["obj"].get("object_id")})

    def _table_create(self, handler: _Handler, body: Any) -> None:
        rows = body["table"].get("rows") or []
        with self._lock:
            self.tables.append(body["table"])
        handler.answer(200, {"digest": _digest(rows), "row_digests": [_digest(r) for r in rows]})

    def _file_create(self, handler: _Handler, body: Any) -> None:
        digest = body.get("expected_digest") or hashlib.sha256(body["file"]).hexdigest()
        with self._lock:
            self.files[digest] = body["file"]
        handler.answer(200, {"digest": digest})

    def _feedback_create(self, handler: _Handler, body: Any) -> None:
        handler.answer(
            200,
            {
                "id": _digest(body)[:32],
                "created_at": "2026-01-01T00:00:00Z",
                "payload": body.get("payload") or {},
                "wb_user_id": "fake",
            },
        )

    # reading
    def _stream_query(self, handler: _Handler, body: Any) -> None:
        flt = body.get("filter") or {}
        with self._lock:
            calls = [c for c in self.calls if c.get("project_id") == body.get("project_id")]
        if flt.get("call_ids"):
            calls = [c for c in calls if c["id"] in flt["call_ids"]]
        if flt.get("parent_ids"):
            calls = [c for c in calls if c.get("parent_id") in flt["parent_ids"]]
        offset = body.get("offset") or 0
        limit = body.get("limit")
        calls = calls[offset : None if limit is None else offset + limit]
        lines = "".join(json.dumps({**c, "attributes": c.get("attributes") or {}}) + "\n" for c in calls)
        handler.answer(200, lines.encode(), content_type="application/jsonl")

    def _file_content(self, handler: _Handler, body: Any) -> None:
        with self._lock:
            content = self.files.get(body["digest"])
        if content is None:
            handler.answer(404, {"reason": f"faketraces: no file {body['digest']}"})
        else:
            handler.answer(200, content, content_type="application/octet-stream")


def _form(content_type: str, raw: bytes) -> dict[str, Any]:
    """A multipart/form-data body: field name -> bytes (files) or text."""
    message = BytesParser(policy=email.policy.default).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw)
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        fields[str(name)] = payload if part.get_filename() else payload.decode()
    return fields


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


_ROUTES = {
    ("POST", "/call/start"): FakeTraceServer._call_start,
    ("POST", "/call/end"): FakeTraceServer._call_end,
    ("POST", "/obj/create"): FakeTraceServer._obj_create,
    ("POST", "/table/create"): FakeTraceServer._table_create,
    ("POST", "/file/create"): FakeTraceServer._file_create,
    ("POST", "/feedback/create"): FakeTraceServer._feedback_create,
    ("POST", "/calls/stream_query"): FakeTraceServer._stream_query,
    ("POST", "/file/content"): FakeTraceServer._file_content,
}


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that closed its keep-alive connection is no error of the fake


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # no access log on stderr
        pass

    def do_POST(self) -> None:
        self.server.fake.handle(self)  # type: ignore[attr-defined]

    def do_GET(self) -> None:
        self.server.fake.handle(self)  # type: ignore[attr-defined]

    def answer(self, status: int, payload: Any, content_type: str = "application/json") -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
            pass
