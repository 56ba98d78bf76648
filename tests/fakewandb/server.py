"""The server: FakeWandb, the HTTP handler, and the quick reference in the package doc."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import math
import threading
import time
import urllib.parse
from collections.abc import Mapping
from typing import Any

from tests.fakewandb.files import (
    DEFAULT_API_KEY,
    MEDIA_TABLE_MAX_ROWS,
    TELEMETRY_PREFIX,
    b64_md5,
    entry_bytes,
    iso,
    wandb_table_json,
)
from tests.fakewandb.graph import ObjectGraph
from tests.fakewandb.graphql import (
    Executor,
    GraphQLError,
    GraphQLSyntaxError,
    operation_name,
    parse_document,
)
from tests.fakewandb.log import Fault, Handler, Request, Server, stop_serving
from tests.fakewandb.writes import UPLOAD_PREFIX, Writes
from wbview.records import ArtifactVersion, Run
from wbview.sources.memory import ProjectData

log = logging.getLogger("fakewandb")


class FakeWandb:
    """A loopback W&B server over ``projects`` ({"entity/project": ProjectData}).

    Start it with ``with FakeWandb(...) as fake`` (or ``start()``/``stop()``), then point
    the client at ``fake.base_url`` with ``fake.api_key``.
    """

    def __init__(
        self,
        projects: Mapping[str, ProjectData],
        api_key: str = DEFAULT_API_KEY,
        *,
        files: Mapping[tuple[str, str], bytes] | None = None,
        default_entity: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        latency_s: float = 0.0,
        memo_listings: bool = False,
    ):
        self.projects: dict[str, ProjectData] = dict(projects)
        self._base_projects = set(self.projects)  # reset() forgets projects that writes created
        self.api_key = api_key
        # Extra entry contents by (artifact "name:vN", entry path); wins over tables.
        self.files: dict[tuple[str, str], bytes] = dict(files or {})
        self.default_entity = default_entity or (next(iter(self.projects)).split("/")[0] if self.projects else "fake-user")
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.unknown: list[str] = []  # operations/fields the fake could not answer
        self.telemetry_count = 0
        # Added to every GraphQL and file answer, to model a remote server's round trip.
        self.latency_s = latency_s
        # Remember each (filters, order) run listing until set_project: big projects answer
        # every page without re-filtering all their runs. Only for data nobody mutates in place.
        self.memo_listings = memo_listings
        self._host, self._port = host, port
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._content: dict[tuple[str, str, str], bytes] = {}
        self._by_hex: dict[str, bytes] = {}
        self._graph: ObjectGraph | None = None
        self._generation = 0
        self.writes = Writes(self)  # runs and artifact versions that clients create

    # ---- lifecycle ----------------------------------------------------------------
    def start(self) -> FakeWandb:
        self._server = Server((self._host, self._port), Handler)
        self._server.fake = self  # type: ignore[attr-defined]
        self._stopping.clear()
        self._thread = threading.Thread(target=self._server.serve_forever, name="fakewandb", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes any delayed handler
        stop_serving(self._server, self._thread)
        self._server, self._thread = None, None

    def __enter__(self) -> FakeWandb:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeWandb is not running; use it as a context manager or call start()")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def env(self) -> dict[str, str]:
        """Environment variables that point the wandb client at this server."""
        return {"WANDB_BASE_URL": self.base_url, "WANDB_API_KEY": self.api_key}

    graph_class: type[ObjectGraph] = ObjectGraph  # what builds the GraphQL nodes (subclasses add fields)

    @property
    def graph(self) -> ObjectGraph:
        with self._lock:
            if self._graph is None:
                self._graph = self.graph_class(self)
            return self._graph

    def set_project(self, path: str, data: ProjectData) -> None:
        """Add or replace a project while running (rebuilds the id index)."""
        with self._lock:
            self.projects[path] = data
            self._graph = None
            self._content = {k: v for k, v in self._content.items() if k[0] != path}

    def remove_project(self, path: str) -> None:
        """Forget a project added with ``set_project``."""
        with self._lock:
            self.projects.pop(path, None)
            self._graph = None
            self._content = {k: v for k, v in self._content.items() if k[0] != path}

    # ---- request log ----------------------------------------------------------------
    def count(self, op: str | None = None, *, status: int | None = None) -> int:
        """Requests recorded so far: all (op=None), of one operation, ``"*"`` for all
        GraphQL requests, ``"file"`` for downloads; optionally only with one status."""
        with self._lock:
            return sum(1 for r in self.requests if _op_matches(op, r.op) and (status is None or r.status == status))

    def ops(self) -> list[str | None]:
        """Operation names of the recorded requests, in order."""
        with self._lock:
            return [r.op for r in self.requests]

    def last(self, op: str | None = None) -> Request:
        with self._lock:
            for request in reversed(self.requests):
                if _op_matches(op, request.op):
                    return request
        raise LookupError(f"no recorded request for {op!r}")

    def reset(self) -> None:
        """Forget recorded requests, queued faults and unknown-operation notes."""
        with self._lock:
            self.requests.clear()
            self.faults.clear()
            self.unknown.clear()
            self._generation += 1

    def forget_added_projects(self) -> None:
        """Drop every project the fake did not start with (added by a test, or created by
        the runs a test logged): a session-wide fake serves later tests too."""
        with self._lock:
            added = set(self.projects) - self._base_projects
        for path in added:
            self.remove_project(path)

    # ---- fault injection --------------------------------------------------------------
    def add_fault(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def fail(self, op: str | None = "*", status: int = 500, times: int | None = 1, retry_after_s: float | None = 0) -> Fault:
        """Answer the next ``times`` matching requests with HTTP ``status``
        (``times=None``: every one, i.e. a persistent outage).

        wandb-core honours ``Retry-After`` on 429 and 5xx, so the default of 0 keeps
        retry tests fast; ``retry_after_s=None`` omits the header (core then backs off
        about 2 s per attempt)."""
        return self.add_fault(Fault(op=op, status=status, times=times, retry_after_s=retry_after_s))

    def rate_limit(self, op: str | None = "*", times: int | None = 1, retry_after_s: float = 0) -> Fault:
        """HTTP 429 with a Retry-After header for the next ``times`` matching requests."""
        return self.fail(op, 429, times, retry_after_s)

    def delay(self, op: str | None = "*", seconds: float = 5.0, times: int | None = 1) -> Fault:
        """Answer the next ``times`` matching requests normally, but only after ``seconds``."""
        return self.add_fault(Fault(op=op, delay_s=seconds, times=times))

    def graphql_error(self, op: str | None = "*", message: str = "fake GraphQL error", times: int | None = 1) -> Fault:
        """HTTP 200 with ``{"data": null, "errors": [{"message": ...}]}``."""
        return self.add_fault(Fault(op=op, errors=[{"message": message, "path": []}], times=times))

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def _take_fault(self, op: str | None) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.matches(op):
                    fault.hits += 1
                    return fault
        return None

    # ---- content ---------------------------------------------------------------------
    def content(self, path: str, art: ArtifactVersion, entry: str) -> bytes:
        key = (path, art.id, entry)
        with self._lock:
            cached = self._content.get(key)
        if cached is None:
            cached = entry_bytes(self.projects[path], art.id, entry, self.files)
            with self._lock:
                self._content[key] = cached
                self._by_hex[hashlib.md5(cached).hexdigest()] = cached
        return cached

    def entry_sizes(self, path: str, art: ArtifactVersion) -> dict[str, int]:
        return {f.path: len(self.content(path, art, f.path)) for f in art.files}

    def entry_digests(self, path: str, art: ArtifactVersion) -> dict[str, str]:
        return {f.path: b64_md5(self.content(path, art, f.path)) for f in art.files}

    def artifact_digest(self, path: str, art: ArtifactVersion) -> str:
        digests = self.entry_digests(path, art)
        return hashlib.md5("".join(f"{p}:{d}\n" for p, d in sorted(digests.items())).encode()).hexdigest()

    def run_file_names(self, path: str, run: Run) -> list[str]:
        """A run's files: the usual wandb ones plus the media copy of each logged table
        (cut to wandb.Table.MAX_ROWS rows, as wandb does; wbview must never load it)."""
        summary = self.graph.summary(run, path)
        media = [summary[ref.key]["path"] for ref in run.tables]
        return ["config.yaml", "output.log", "requirements.txt", "wandb-metadata.json", "wandb-summary.json", *media]

    def run_file_content(self, path: str, run: Run, name: str) -> bytes:
        key = (path, f"run:{run.id}", name)
        with self._lock:
            cached = self._content.get(key)
        if cached is not None:
            return cached
        summary = self.graph.summary(run, path)
        if name == "wandb-summary.json":
            content = json.dumps(summary).encode()
        elif name == "config.yaml":
            content = (
                "wandb_version: 1\n" + "".join(f"{k}:\n  value: {json.dumps(v)}\n" for k, v in run.config.items())
            ).encode()
        elif name == "wandb-metadata.json":
            content = json.dumps(
                {
                    "host": "fake-host",
                    "program": f"{run.job_type or 'run'}.py",
                    "python": "CPython 3.11.2",
                    "startedAt": iso(run.created_at),
                }
            ).encode()
        elif name.startswith("media/table/"):
            ref = next(r for r in run.tables if summary[r.key]["path"] == name)
            frame = self.projects[path].tables.get((ref.artifact, ref.entry))
            content = wandb_table_json(frame.head(MEDIA_TABLE_MAX_ROWS)) if frame is not None else b"{}"
        else:
            content = f"fake {name} of run {run.id}\n".encode()
        with self._lock:
            self._content[key] = content
        return content

    def manifest(self, path: str, art: ArtifactVersion) -> dict[str, Any]:
        """The artifact manifest (storage layout V1: entries fetched by md5)."""
        digests = self.entry_digests(path, art)
        sizes = self.entry_sizes(path, art)
        return {
            "version": 1,
            "storagePolicy": "wandb-storage-policy-v1",
            "storagePolicyConfig": {"storageLayout": "V1"},
            "contents": {p: {"digest": digests[p], "size": sizes[p]} for p in sorted(digests)},
        }

    # ---- HTTP handling -------------------------------------------------------------------
    def _handle(self, handler: Handler, method: str) -> None:
        started = time.monotonic()
        url = urllib.parse.urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        if url.path.startswith(TELEMETRY_PREFIX):
            with self._lock:
                self.telemetry_count += 1
            handler.send(200, b"{}")
            return
        if self.latency_s:
            self._stopping.wait(self.latency_s)
        if method == "POST" and url.path.rstrip("/") == "/graphql":
            self._handle_graphql(handler, body, started)
        elif method == "PUT" and url.path.startswith(UPLOAD_PREFIX):
            token = url.path[len(UPLOAD_PREFIX) :]
            accepted = self.writes.upload(token, body)
            self._record(Request(method, url.path, "upload", {}, 200 if accepted else 404, generation=self._generation), started)
            handler.send(200 if accepted else 404, b"")
        elif method == "POST" and url.path.startswith("/files/") and url.path.endswith("/file_stream"):
            self._record(Request(method, url.path, "file_stream", {}, 200, generation=self._generation), started)
            handler.send(200, b"{}")
        elif method == "GET" and url.path.startswith("/storage/runs/"):
            self._handle_file(handler, url.path, started, op="runfile")
        elif method == "GET" and (url.path.startswith("/storage/") or url.path.startswith("/artifacts/")):
            self._handle_file(handler, url.path, started)
        else:
            self._note_unknown(f"{method} {url.path}")
            request = Request(method, url.path, None, {}, 404, generation=self._generation)
            self._record(request, started)
            handler.send(404, json.dumps({"error": f"fakewandb: no route for {method} {url.path}"}).encode())

    def _record(self, request: Request, started: float) -> None:
        request.started_s = started
        request.duration_s = time.monotonic() - started
        with self._lock:
            if request.generation == self._generation:
                self.requests.append(request)

    def _note_unknown(self, what: str) -> None:
        log.error("fakewandb cannot answer %s", what)
        with self._lock:
            self.unknown.append(what)

    def _authorized(self, handler: Handler) -> bool:
        header = handler.headers.get("Authorization") or ""
        if header.startswith("Basic "):
            try:
                user_pass = base64.b64decode(header[6:]).decode()
            except (ValueError, UnicodeDecodeError):
                return False
            return user_pass.partition(":")[2] == self.api_key
        if header.startswith("Bearer "):
            return header[7:] == self.api_key
        return handler.headers.get("X-Wandb-Api-Key") == self.api_key

    def _apply_fault(self, handler: Handler, request: Request, started: float) -> bool:
        """Apply a queued fault; True when it already answered the request."""
        fault = self._take_fault(request.op)
        if fault is None:
            return False
        request.fault = fault.describe()
        if fault.delay_s:
            self._stopping.wait(fault.delay_s)
        if fault.status:
            request.status = fault.status
            headers = {"Retry-After": str(int(math.ceil(fault.retry_after_s)))} if fault.retry_after_s is not None else {}
            self._record(request, started)
            handler.send(
                fault.status,
                json.dumps({"errors": [{"message": f"fakewandb injected HTTP {fault.status}"}]}).encode(),
                headers=headers,
            )
            return True
        if fault.errors:
            request.status = 200
            self._record(request, started)
            handler.send(200, json.dumps({"data": None, "errors": fault.errors}).encode())
            return True
        return False  # a pure delay: answer normally

    def _handle_graphql(self, handler: Handler, body: bytes, started: float) -> None:
        if handler.headers.get("Content-Encoding") == "gzip":
            import gzip

            body = gzip.decompress(body)
        try:
            payload = json.loads(body or b"{}")
        except json.JSONDecodeError:
            payload = {}
        query = payload.get("query") or ""
        variables = payload.get("variables") or {}
        op = payload.get("operationName") or operation_name(query) or "<anonymous>"
        request = Request("POST", "/graphql", op, variables, query=query, generation=self._generation)
        if self._apply_fault(handler, request, started):
            return
        if not self._authorized(handler):
            request.status = 401
            self._record(request, started)
            handler.send(401, json.dumps({"errors": [{"message": "user is not logged in"}]}).encode())
            return
        status, response = self._execute(op, query, variables)
        request.status = status
        self._record(request, started)
        handler.send(status, json.dumps(response).encode())

    def _execute(self, op: str, query: str, variables: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        try:
            doc = parse_document(query)
        except GraphQLSyntaxError as exc:
            self._note_unknown(f"{op}: unparseable query ({exc})")
            return 400, {"errors": [{"message": f"Syntax Error: {exc}"}]}
        operation = next((o for o in doc.operations if o.name == op), doc.operations[0] if doc.operations else None)
        if operation is None or operation.kind not in ("query", "mutation"):
            self._note_unknown(f"{op}: {operation.kind if operation else 'empty'} operations are not supported")
            return 200, {"data": None, "errors": [{"message": f"fakewandb: {op} is not supported"}]}
        missing: list[str] = []
        root = self.graph.root() if operation.kind == "query" else self.writes.root()
        try:
            data = Executor(doc, variables, missing).run(operation, root)
        except GraphQLError as exc:
            return 200, {"data": None, "errors": [{"message": str(exc)}]}
        if missing:
            self._note_unknown(f"{op}: fields {sorted(set(missing))}")
            return 200, {
                "data": data,
                "errors": [{"message": f"fakewandb does not implement {sorted(set(missing))} (operation {op})"}],
            }
        return 200, {"data": data}

    def _handle_file(self, handler: Handler, path: str, started: float, op: str = "file") -> None:
        request = Request("GET", path, op, {}, generation=self._generation)
        if self._apply_fault(handler, request, started):
            return
        if path.startswith("/artifacts/") and not self._authorized(handler):
            request.status = 401
            self._record(request, started)
            handler.send(401, b'{"error": "unauthorized"}')
            return
        content = self._file_content(path)
        request.status = 200 if content is not None else 404
        self._record(request, started)
        if content is None:
            handler.send(404, b'{"error": "not found"}')
        else:
            handler.send(200, content, "application/octet-stream")

    def _file_content(self, path: str) -> bytes | None:
        parts = [urllib.parse.unquote(p) for p in path.strip("/").split("/")]
        if parts[:2] == ["storage", "runs"] and len(parts) >= 6:
            project_path, run_id, name = "/".join(parts[2:4]), parts[4], "/".join(parts[5:])
            run = self.projects.get(project_path, ProjectData()).runs.get(run_id)
            if run is None or name not in self.run_file_names(project_path, run):
                return None
            return self.run_file_content(project_path, run, name)
        if parts[:2] == ["storage", "manifests"] and len(parts) == 3:
            ref = self.graph.artifacts_by_gql_id.get(parts[2].removesuffix(".json"))
            return json.dumps(self.manifest(ref.project_path, ref.artifact)).encode() if ref else None
        if parts[:2] == ["storage", "entries"] and len(parts) >= 4:
            ref = self.graph.artifacts_by_gql_id.get(parts[2])
            entry = "/".join(parts[3:])
            if ref is None or entry not in {f.path for f in ref.artifact.files}:
                return None
            return self.content(ref.project_path, ref.artifact, entry)
        if parts[0] == "artifacts" and len(parts) == 3:  # V1 layout: /artifacts/<entity>/<md5 hex>
            with self._lock:
                found = self._by_hex.get(parts[2])
            if found is None:
                self._index_entity(parts[1])
                with self._lock:
                    found = self._by_hex.get(parts[2])
            return found
        return None

    def _index_entity(self, entity: str) -> None:
        for path, data in self.projects.items():
            if path.split("/")[0] == entity:
                for art in data.artifacts.values():
                    self.entry_digests(path, art)


def _op_matches(wanted: str | None, op: str | None) -> bool:
    if wanted is None:
        return True
    if wanted == "*":
        return op not in (None, "file", "runfile", "upload", "file_stream")
    return wanted == op
