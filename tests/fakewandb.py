"""A loopback fake W&B server for tests and benchmarks.

The real ``wandb`` client (and its ``wandb-core`` process) talks to it over HTTP when
``WANDB_BASE_URL`` points here. It answers ``POST /graphql`` by executing the query
document against a small object graph built from :class:`ProjectData` (so each
response has exactly the shape the client asked for), serves artifact manifests and
entries, and evaluates the Mongo-style ``$filters`` the real server accepts,
independently of ``wbview.filters``. Every request is recorded; faults can be queued.

Quick reference (see the pytest fixtures ``fixture_project``, ``fake_wandb`` in conftest)::

    fake = FakeWandb({"acme/phishing": data}, api_key="f" * 40,
                     files={("name:v0", "path"): b"..."}, latency_s=0.0)
    with fake:                      # or fake.start() / fake.stop()
        fake.base_url; fake.env()   # {"WANDB_BASE_URL": ..., "WANDB_API_KEY": ...}
        fake.count("Runs")          # requests of one operation; "*" all GraphQL,
        fake.count("file")          # "file" downloads; None everything
        fake.count("Run", status=500); fake.ops(); fake.last("Runs").variables
        fake.requests               # [Request(method, path, op, variables, status, ...)]
        fake.reset()                # forget requests, faults, unknown notes
        fake.rate_limit("Runs", times=2)            # 429 + Retry-After: 0, then recovers
        fake.fail("Run", 500, times=2)              # 500 twice, then recovers
        fake.fail("*", 503, times=None)             # persistent outage
        fake.delay("Run", seconds=5)                # slower than a client timeout
        fake.graphql_error("Runs", "message")       # HTTP 200 + {"errors": [...]}
        fake.fail("Runs", 401); fake.api_key = "x" * 40   # rejected credentials
        fake.count("runfile")       # run-file downloads (incl. the 10,000-row media table copy)
        fake.unknown                # operations/fields it could not answer (gaps)
        fake.set_project(path, data)  # add/replace a project while running

Unknown project/run/artifact need no fault: ask for one and the fake answers ``null``
as the real server does. Timestamps are UTC without offset (``2025-12-01T08:47:12``).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import math
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterable, Mapping

import pandas as pd

from wbview.records import ArtifactVersion, Run
from wbview.sources.memory import ProjectData

log = logging.getLogger("fakewandb")

DEFAULT_API_KEY = "f" * 40  # wandb requires 40 characters (or a prefixed key)
TELEMETRY_PREFIX = "/sdk/otel/"
MEDIA_TABLE_MAX_ROWS = 10_000  # wandb.Table.MAX_ROWS: the run's media copy of a table is cut here


# --------------------------------------------------------------------------------------
# A minimal GraphQL parser and executor (no schema: the object graph decides).
# --------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<skip>[\s,\ufeff]+|\#[^\n]*)
  | (?P<string>"(?:\\.|[^"\\])*")
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<spread>\.\.\.)
  | (?P<punct>[!$():=@\[\]{}|&])
  | (?P<name>[_A-Za-z][_0-9A-Za-z]*)
    """,
    re.VERBOSE,
)


class GraphQLSyntaxError(ValueError):
    pass


@dataclass
class _Var:
    name: str


@dataclass
class _Enum:
    name: str


@dataclass
class Field:
    name: str
    alias: str | None
    args: dict[str, Any]
    directives: list[tuple[str, dict[str, Any]]]
    selections: list[Any] | None

    @property
    def key(self) -> str:
        return self.alias or self.name


@dataclass
class FragmentSpread:
    name: str
    directives: list[tuple[str, dict[str, Any]]]


@dataclass
class InlineFragment:
    type_condition: str | None
    directives: list[tuple[str, dict[str, Any]]]
    selections: list[Any]


@dataclass
class Operation:
    kind: str
    name: str | None
    variable_defaults: dict[str, Any]
    selections: list[Any]


@dataclass
class Document:
    operations: list[Operation]
    fragments: dict[str, tuple[str, list[Any]]]


class _Parser:
    def __init__(self, text: str):
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if not match:
                raise GraphQLSyntaxError(f"unexpected character {text[pos]!r} at {pos}")
            pos = match.end()
            if match.lastgroup != "skip":
                self.tokens.append((match.lastgroup, match.group()))
        self.i = 0

    def peek(self, offset: int = 0) -> tuple[str, str]:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else ("eof", "")

    def take(self, value: str | None = None, kind: str | None = None) -> str:
        tok_kind, tok = self.peek()
        if (value is not None and tok != value) or (kind is not None and tok_kind != kind):
            raise GraphQLSyntaxError(f"expected {value or kind}, got {tok!r}")
        self.i += 1
        return tok

    def accept(self, value: str) -> bool:
        if self.peek()[1] == value and self.peek()[0] in ("punct", "spread", "name"):
            self.i += 1
            return True
        return False

    def document(self) -> Document:
        doc = Document([], {})
        while self.peek()[0] != "eof":
            tok = self.peek()[1]
            if tok == "{":
                doc.operations.append(Operation("query", None, {}, self.selection_set()))
            elif tok == "fragment":
                self.take()
                name = self.take(kind="name")
                self.take("on")
                type_name = self.take(kind="name")
                self.directives()
                doc.fragments[name] = (type_name, self.selection_set())
            elif tok in ("query", "mutation", "subscription"):
                kind = self.take()
                name = self.take() if self.peek()[0] == "name" else None
                defaults = self.variable_definitions()
                self.directives()
                doc.operations.append(Operation(kind, name, defaults, self.selection_set()))
            else:
                raise GraphQLSyntaxError(f"unexpected {tok!r}")
        return doc

    def variable_definitions(self) -> dict[str, Any]:
        defaults: dict[str, Any] = {}
        if not self.accept("("):
            return defaults
        while not self.accept(")"):
            self.take("$")
            name = self.take(kind="name")
            self.take(":")
            self.type_ref()
            if self.accept("="):
                defaults[name] = self.value()
            self.directives()
        return defaults

    def type_ref(self) -> None:
        if self.accept("["):
            self.type_ref()
            self.take("]")
        else:
            self.take(kind="name")
        self.accept("!")

    def directives(self) -> list[tuple[str, dict[str, Any]]]:
        found = []
        while self.accept("@"):
            name = self.take(kind="name")
            found.append((name, self.arguments()))
        return found

    def arguments(self) -> dict[str, Any]:
        args: dict[str, Any] = {}
        if self.accept("("):
            while not self.accept(")"):
                name = self.take(kind="name")
                self.take(":")
                args[name] = self.value()
        return args

    def value(self) -> Any:
        kind, tok = self.peek()
        if tok == "$":
            self.take()
            return _Var(self.take(kind="name"))
        if tok == "[":
            self.take()
            items = []
            while not self.accept("]"):
                items.append(self.value())
            return items
        if tok == "{":
            self.take()
            obj = {}
            while not self.accept("}"):
                key = self.take(kind="name")
                self.take(":")
                obj[key] = self.value()
            return obj
        self.i += 1
        if kind == "string":
            return json.loads(tok)
        if kind == "number":
            return float(tok) if any(c in tok for c in ".eE") else int(tok)
        if kind == "name":
            return {"true": True, "false": False, "null": None}.get(tok, _Enum(tok))
        raise GraphQLSyntaxError(f"unexpected {tok!r} in value")

    def selection_set(self) -> list[Any]:
        self.take("{")
        selections: list[Any] = []
        while not self.accept("}"):
            if self.accept("..."):
                if self.peek()[1] == "on":
                    self.take()
                    cond = self.take(kind="name")
                    directives = self.directives()
                    selections.append(InlineFragment(cond, directives, self.selection_set()))
                elif self.peek()[0] == "name":
                    name = self.take()
                    selections.append(FragmentSpread(name, self.directives()))
                else:
                    directives = self.directives()
                    selections.append(InlineFragment(None, directives, self.selection_set()))
                continue
            name = self.take(kind="name")
            alias = None
            if self.accept(":"):
                alias, name = name, self.take(kind="name")
            args = self.arguments()
            directives = self.directives()
            subs = self.selection_set() if self.peek()[1] == "{" else None
            selections.append(Field(name, alias, args, directives, subs))
        return selections


def parse_document(text: str) -> Document:
    """Parse a GraphQL document into operations and fragments."""
    return _Parser(text).document()


def operation_name(text: str) -> str | None:
    """The name of the first operation in a GraphQL document, if it has one."""
    match = re.search(r"\b(query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)", text)
    return match.group(2) if match else None


class GraphQLError(Exception):
    """Raised by resolvers to put an entry into the response's ``errors``."""


class Node(dict):
    """One object of the graph: a dict of field values; callables are resolvers taking
    the field's (already variable-substituted) arguments."""

    def __init__(self, typename: str, interfaces: Iterable[str] = (), /, **fields: Any):
        super().__init__(fields)
        self["__typename"] = typename
        self.interfaces = frozenset(interfaces) | {typename}


class Executor:
    """Executes one operation against a root :class:`Node`; records unknown fields."""

    def __init__(self, doc: Document, variables: Mapping[str, Any], missing: list[str]):
        self.doc = doc
        self.variables = dict(variables or {})
        self.missing = missing

    def run(self, operation: Operation, root: Node) -> dict[str, Any]:
        for name, default in operation.variable_defaults.items():
            self.variables.setdefault(name, self.substitute(default))
        return self.select(root, operation.selections)

    def substitute(self, value: Any) -> Any:
        if isinstance(value, _Var):
            return self.variables.get(value.name)
        if isinstance(value, _Enum):
            return value.name
        if isinstance(value, list):
            return [self.substitute(v) for v in value]
        if isinstance(value, dict):
            return {k: self.substitute(v) for k, v in value.items()}
        return value

    def included(self, directives: list[tuple[str, dict[str, Any]]]) -> bool:
        for name, args in directives:
            flag = bool(self.substitute(args.get("if")))
            if (name == "include" and not flag) or (name == "skip" and flag):
                return False
        return True

    def select(self, node: Node, selections: list[Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for sel in selections:
            if not self.included(sel.directives):
                continue
            if isinstance(sel, Field):
                out[sel.key] = self.resolve_field(node, sel)
                continue
            if isinstance(sel, FragmentSpread):
                type_cond, subs = self.doc.fragments[sel.name]
            else:
                type_cond, subs = sel.type_condition, sel.selections
            if type_cond is None or type_cond in node.interfaces:
                for key, value in self.select(node, subs).items():
                    if isinstance(value, dict) and isinstance(out.get(key), dict):
                        _deep_merge(out[key], value)
                    else:
                        out[key] = value
        return out

    def resolve_field(self, node: Node, sel: Field) -> Any:
        if sel.name not in node:
            self.missing.append(f"{node['__typename']}.{sel.name}")
            return None
        value = node[sel.name]
        if callable(value):
            value = value(self.substitute(sel.args))
        return self.complete(value, sel)

    def complete(self, value: Any, sel: Field) -> Any:
        if value is None or sel.selections is None:
            return value
        if isinstance(value, list):
            return [self.complete(v, sel) for v in value]
        if not isinstance(value, Node):
            value = Node("Object", **value)
        return self.select(value, sel.selections)


def _deep_merge(into: dict[str, Any], other: dict[str, Any]) -> None:
    for key, value in other.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _deep_merge(into[key], value)
        else:
            into[key] = value


# --------------------------------------------------------------------------------------
# Server-side run filters ($filters), evaluated the way the W&B server does.
# --------------------------------------------------------------------------------------

_MISSING = object()
_TOP_FIELDS = {
    "createdAt": "created_at",
    "created_at": "created_at",
    "displayName": "name",
    "display_name": "name",
    "name": "id",
    "group": "group",
    "jobType": "job_type",
    "job_type": "job_type",
    "state": "state",
    "tags": "tags",
}
_COMPARATORS = {"$gt", "$gte", "$lt", "$lte"}


class FilterError(GraphQLError):
    pass


def wrap_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """Config as the server stores it: each top-level key wrapped as {"value", "desc"}."""
    return {key: {"value": value, "desc": None} for key, value in config.items()}


def _config_lookup(config: Mapping[str, Any], path: str) -> Any:
    """Resolve ``a.b.c`` in a *wrapped* config; ``.value`` segments are optional.

    The path is split on every dot, so a top-level key that itself contains a dot
    (``"model.type"``) can never be reached: the real server's behaviour.
    """
    segments = path.split(".")
    top = config.get(segments[0], _MISSING)
    if top is _MISSING:
        return _MISSING
    current: Any = top["value"] if isinstance(top, Mapping) and "value" in top else top
    rest = segments[1:]
    if rest and rest[0] == "value":
        rest = rest[1:]
    for seg in rest:
        if isinstance(current, Mapping) and seg in current:
            current = current[seg]
        elif seg == "value":
            continue
        else:
            return _MISSING
    return current


def _summary_lookup(summary: Mapping[str, Any], key: str) -> Any:
    if key in summary:
        return summary[key]
    current: Any = summary
    for seg in key.split("."):
        if not isinstance(current, Mapping) or seg not in current:
            return _MISSING
        current = current[seg]
    return current


def run_field(run: Run, field_name: str, summary: Mapping[str, Any] | None = None) -> Any:
    """The value of a server filter field for one run, or ``_MISSING``."""
    if field_name in _TOP_FIELDS:
        value = getattr(run, _TOP_FIELDS[field_name])
        if field_name == "tags":
            return list(value)
        return _MISSING if value is None else value
    if field_name.startswith("config."):
        return _config_lookup(wrap_config(run.config), field_name[len("config."):])
    for prefix in ("summary_metrics.", "summaryMetrics.", "summary."):
        if field_name.startswith(prefix):
            return _summary_lookup(summary if summary is not None else run.summary, field_name[len(prefix):])
    raise FilterError(f"unsupported filter field {field_name!r}")


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    return None


def _comparable(left: Any, right: Any) -> tuple[Any, Any] | None:
    if isinstance(left, datetime) or isinstance(right, datetime):
        pair = (_as_datetime(left), _as_datetime(right))
        return pair if None not in pair else None
    numeric = (int, float)
    if isinstance(left, bool) or isinstance(right, bool):
        return (left, right) if type(left) is type(right) else None
    if isinstance(left, numeric) and isinstance(right, numeric):
        return left, right
    if isinstance(left, str) and isinstance(right, str):
        return left, right
    return None


def _equal(left: Any, right: Any) -> bool:
    pair = _comparable(left, right)
    if pair is not None:
        return pair[0] == pair[1]
    return left == right


def _scalar_op(op: str, value: Any, operand: Any) -> bool:
    if value is _MISSING:
        return op in ("$ne", "$nin")
    if isinstance(value, list) and op not in ("$exists",):
        if op in ("$ne", "$nin"):
            return all(_scalar_op(op, item, operand) for item in value)
        return any(_scalar_op(op, item, operand) for item in value)
    if op == "$eq":
        return _equal(value, operand)
    if op == "$ne":
        return not _equal(value, operand)
    if op == "$in":
        return any(_equal(value, item) for item in _as_list(op, operand))
    if op == "$nin":
        return not any(_equal(value, item) for item in _as_list(op, operand))
    if op in _COMPARATORS:
        pair = _comparable(value, operand)
        if pair is None or (isinstance(pair[0], float) and math.isnan(pair[0])):
            return False
        left, right = pair
        return {"$gt": left > right, "$gte": left >= right, "$lt": left < right, "$lte": left <= right}[op]
    if op == "$regex":
        return isinstance(value, str) and re.search(str(operand), value) is not None
    if op == "$contains":
        return isinstance(value, str) and str(operand) in value
    raise FilterError(f"unsupported filter operator {op!r}")


def _as_list(op: str, operand: Any) -> list[Any]:
    if not isinstance(operand, list):
        raise FilterError(f"{op} needs a list, got {operand!r}")
    return operand


def _field_matches(value: Any, condition: Any) -> bool:
    if isinstance(condition, Mapping) and condition and all(str(k).startswith("$") for k in condition):
        for op, operand in condition.items():
            if op == "$exists":
                if (value is not _MISSING) != bool(operand):
                    return False
            elif op == "$not":
                if _field_matches(value, operand):
                    return False
            elif not _scalar_op(op, value, operand):
                return False
        return True
    return _scalar_op("$eq", value, condition)


def run_matches(run: Run, filters: Mapping[str, Any] | None, summary: Mapping[str, Any] | None = None) -> bool:
    """Evaluate a Mongo-style W&B run filter against one run."""
    if not filters:
        return True
    if not isinstance(filters, Mapping):
        raise FilterError(f"filters must be an object, got {filters!r}")
    for key, condition in filters.items():
        if key == "$and":
            if not all(run_matches(run, sub, summary) for sub in _as_list(key, condition)):
                return False
        elif key == "$or":
            if not any(run_matches(run, sub, summary) for sub in _as_list(key, condition)):
                return False
        elif key == "$nor":
            if any(run_matches(run, sub, summary) for sub in _as_list(key, condition)):
                return False
        elif key.startswith("$"):
            raise FilterError(f"unsupported filter operator {key!r}")
        elif not _field_matches(run_field(run, key, summary), condition):
            return False
    return True


def _sort_runs(runs: list[Run], order: str | None, summaries: Mapping[str, Mapping[str, Any]]) -> list[Run]:
    order = order or "+created_at"
    descending = order.startswith("-")
    key = order.lstrip("+-")
    field_name = {"created_at": "createdAt", "heartbeat_at": "createdAt"}.get(key, key)

    def sort_key(run: Run) -> tuple[int, Any]:
        value = run_field(run, field_name, summaries.get(run.id))
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return (1, (0, float(value), ""))
        if isinstance(value, datetime):
            return (1, (0, value.timestamp(), ""))
        return (0, (1, 0.0, "")) if value is _MISSING or value is None else (1, (1, 0.0, str(value)))

    # Missing values go last in either direction; numbers sort before strings.
    keyed = [(sort_key(r), r) for r in runs]
    present = [(k[1], r) for k, r in keyed if k[0] == 1]
    absent = [r for k, r in keyed if k[0] == 0]
    return [r for _, r in sorted(present, key=lambda pair: pair[0], reverse=descending)] + absent


# --------------------------------------------------------------------------------------
# File contents: wandb's table JSON, Parquet, placeholders.
# --------------------------------------------------------------------------------------

def _wb_type(dtype: Any) -> dict[str, Any]:
    kind = getattr(dtype, "kind", "O")
    name = {"b": "boolean", "i": "number", "u": "number", "f": "number"}.get(kind, "string")
    return {"params": {"allowed_types": [{"wb_type": "none"}, {"wb_type": name}]}, "wb_type": "union"}


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalar
        return _plain(value.item())
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.isoformat()
    return value


def wandb_table_json(frame: pd.DataFrame, nrows: int | None = None) -> bytes:
    """Serialize a frame exactly as ``wandb.Table`` writes a ``.table.json`` entry."""
    columns = [str(c) for c in frame.columns]
    rows = frame.astype(object).where(frame.notna(), None).values.tolist()
    data = [[_plain(v) for v in row] for row in rows] if _needs_plain(frame) else rows
    doc = {
        "_type": "table",
        "column_types": {
            "params": {"type_map": {str(c): _wb_type(frame[c].dtype) for c in frame.columns}},
            "wb_type": "typedDict",
        },
        "columns": columns,
        "data": data,
        "log_mode": "IMMUTABLE",
        "ncols": len(columns),
        "nrows": len(data) if nrows is None else nrows,
    }
    return json.dumps(doc).encode("utf-8")


def _needs_plain(frame: pd.DataFrame) -> bool:
    # tolist() on an object array keeps numpy scalars only for object columns holding them.
    return any(frame[c].dtype.kind in "Mm" for c in frame.columns) or any(
        frame[c].dtype == object and len(frame) and not isinstance(frame[c].iloc[0], (str, type(None)))
        for c in frame.columns
    )


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def placeholder_bytes(artifact_id: str, path: str) -> bytes:
    """Deterministic stand-in content for artifact files the fixture has no data for."""
    return f"fake content of {artifact_id}/{path}\n".encode("utf-8")


def entry_bytes(
    data: ProjectData,
    artifact_id: str,
    path: str,
    files: Mapping[tuple[str, str], bytes] | None = None,
) -> bytes:
    """The bytes the fake serves for one artifact entry ("name:vN", entry path)."""
    if files and (artifact_id, path) in files:
        return files[(artifact_id, path)]
    frame = data.tables.get((artifact_id, path))
    if frame is not None:
        if path.endswith(".parquet"):
            return parquet_bytes(frame)
        if path.endswith(".csv"):
            return frame.to_csv(index=False).encode("utf-8")
        return wandb_table_json(frame)
    return placeholder_bytes(artifact_id, path)


def b64_md5(content: bytes) -> str:
    return base64.b64encode(hashlib.md5(content).digest()).decode("ascii")


def b64_id(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _iso(moment: datetime | None) -> str | None:
    """W&B's timestamp format: UTC, seconds, no offset suffix."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.replace(microsecond=0).isoformat()


def _client_id(seed: str) -> str:
    """A 128-character base-36 id, like wandb's artifact client ids (deterministic here)."""
    number = int(hashlib.sha512(seed.encode()).hexdigest() * 2, 16)
    digits = []
    while len(digits) < 128:
        number, rem = divmod(number, 36)
        digits.append("0123456789abcdefghijklmnopqrstuvwxyz"[rem])
    return "".join(digits)


def _decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return int(base64.b64decode(cursor).decode().rsplit(":", 1)[1]) + 1
    except (ValueError, IndexError, UnicodeDecodeError):
        raise GraphQLError(f"invalid cursor {cursor!r}") from None


def connection(
    typename: str,
    items: list[Any],
    args: Mapping[str, Any],
    edge_extra: Callable[[Any], dict] | None = None,
    default_first: int = 50,
    make: Callable[[Any], Any] | None = None,
) -> Node:
    """A Relay connection over ``items`` honouring ``after`` and ``first``; ``make``
    turns an item into its node, only for the items on the page."""
    start = _decode_cursor(args.get("after"))
    first = args.get("first")
    first = default_first if first is None else int(first)
    page = items[start : start + first]
    if make is not None:
        page = [make(item) for item in page]
    edges = []
    for offset, item in enumerate(page):
        cursor = b64_id(f"cursor:{start + offset}")
        edges.append(Node(f"{typename}Edge", node=item, cursor=cursor, **(edge_extra(item) if edge_extra else {})))
    end = start + len(page)
    page_info = Node("PageInfo", endCursor=edges[-1]["cursor"] if edges else None, hasNextPage=end < len(items), hasPreviousPage=start > 0, startCursor=edges[0]["cursor"] if edges else None)
    return Node(f"{typename}Connection", edges=edges, pageInfo=page_info, totalCount=len(items))


# --------------------------------------------------------------------------------------
# The object graph: ProjectData seen through W&B's GraphQL types.
# --------------------------------------------------------------------------------------

@dataclass
class _ArtifactRef:
    project_path: str
    artifact: ArtifactVersion
    gql_id: str


class _Graph:
    """Builds GraphQL nodes for runs, artifacts and projects on demand."""

    def __init__(self, fake: "FakeWandb"):
        self.fake = fake
        self.artifacts_by_gql_id: dict[str, _ArtifactRef] = {}
        self.gql_id_by_key: dict[tuple[str, str], str] = {}
        self.collection_ids: dict[tuple[str, str], str] = {}
        counter = 0
        for project_path, data in fake.projects.items():
            for art_id, art in data.artifacts.items():
                counter += 1
                gql_id = b64_id(f"Artifact:{counter}")
                self.artifacts_by_gql_id[gql_id] = _ArtifactRef(project_path, art, gql_id)
                self.gql_id_by_key[(project_path, art_id)] = gql_id
                self.collection_ids.setdefault((project_path, art.name), b64_id(f"ArtifactSequence:{len(self.collection_ids) + 1}"))

    # ---- root -------------------------------------------------------------------
    def root(self) -> Node:
        return Node(
            "Query",
            viewer=lambda args: self.viewer(),
            project=lambda args: self.project(args.get("entityName") or self.fake.default_entity, args.get("name")),
            artifact=lambda args: self.artifact_by_gql_id(args.get("id")),
            serverInfo=lambda args: self.server_info(),
            entity=lambda args: self.entity(args.get("name")),
            models=lambda args: connection("Project", [self.project(*p.split("/", 1)) for p in self.fake.projects if p.split("/")[0] == (args.get("entityName") or self.fake.default_entity)], args),
        )

    def viewer(self) -> Node:
        """The user the API key belongs to; a member of every entity in the fake."""
        entity = self.fake.default_entity
        teams = sorted({p.split("/")[0] for p in self.fake.projects} | {entity})
        return Node(
            "User",
            id=b64_id("User:1"),
            name="Fake User",
            username="fake-user",
            email="fake-user@example.com",
            entity=entity,
            admin=False,
            deletedAt=None,
            flags="{}",
            userInfo=None,
            defaultEntity=self.entity(entity),
            teams=Node("EntityConnection", edges=[Node("EntityEdge", node=self.entity(t)) for t in teams]),
            apiKeys=Node("ApiKeyConnection", edges=[]),
            organizations=[],
            defaultFramework=None,
            photoUrl=None,
        )

    def server_info(self) -> Node:
        return Node(
            "ServerInfo",
            features=[],
            cliVersionInfo="{}",
            latestLocalVersionInfo=None,
            availableBucketProviders=[],
            frontendHost=self.fake.base_url,
        )

    def entity(self, name: str | None) -> Node | None:
        if name is None:
            return None
        return Node("Entity", id=b64_id(f"Entity:{name}"), name=name, isTeam=True, organization=None, defaultAccess="PRIVATE", readOnly=False, claimingEntity=None)

    # ---- projects -----------------------------------------------------------------
    def project(self, entity: str | None, name: str | None) -> Node | None:
        path = f"{entity}/{name}"
        data = self.fake.projects.get(path)
        if data is None:
            return None
        return Node(
            "Project",
            id=b64_id(f"Project:v1:{name}:{entity}"),
            internalId=str(1 + list(self.fake.projects).index(path)),
            name=name,
            entityName=entity,
            entity=self.entity(entity),
            readOnly=False,
            createdAt="2025-11-01T00:00:00",
            isBenchmark=False,
            runCount=lambda args: len(self.filtered_runs(path, args)),
            runs=lambda args: connection("Run", self.filtered_runs(path, args), args, make=lambda r: self.run(path, r)),
            run=lambda args: self.run(path, data.runs.get(args.get("name"))),
            artifactTypes=lambda args: connection("ArtifactType", [self.artifact_type(path, t) for t in self.types(path)], args),
            artifactType=lambda args: self.artifact_type(path, args.get("name")) if args.get("name") in self.types(path) else None,
            artifactCollection=lambda args: self.collection(path, args.get("name")),
            artifactCollections=lambda args: connection("ArtifactCollection", [self.collection(path, c) for c in self.collection_names(path)], args),
            artifactCollectionMembership=lambda args: self.membership_by_name(path, args.get("name")),
            artifact=lambda args: self.artifact_by_name(path, args.get("name")),
            user=self.viewer(),
        )

    def filtered_runs(self, path: str, args: Mapping[str, Any]) -> list[Run]:
        filters = args.get("filters")
        if isinstance(filters, str):
            try:
                filters = json.loads(filters) if filters else {}
            except json.JSONDecodeError as exc:
                raise GraphQLError(f"invalid filters JSON: {exc}") from None
        runs = list(self.fake.projects[path].runs.values())
        summaries = {r.id: self.summary(r, path) for r in runs}
        matched = [r for r in runs if run_matches(r, filters, summaries[r.id])]
        return _sort_runs(matched, args.get("order"), summaries)

    def types(self, path: str) -> list[str]:
        return sorted({a.type for a in self.fake.projects[path].artifacts.values()})

    def collection_names(self, path: str, artifact_type: str | None = None) -> list[str]:
        arts = self.fake.projects[path].artifacts.values()
        return sorted({a.name for a in arts if artifact_type is None or a.type == artifact_type})

    def versions(self, path: str, collection: str) -> list[ArtifactVersion]:
        arts = [a for a in self.fake.projects[path].artifacts.values() if a.name == collection]
        return sorted(arts, key=lambda a: int(a.version.lstrip("v")), reverse=True)

    def artifact_type(self, path: str, type_name: str | None) -> Node | None:
        if type_name is None:
            return None

        def collection_in_type(args: Mapping[str, Any]) -> Node | None:
            node = self.collection(path, args.get("name"))
            return node if node is not None and node["defaultArtifactType"]["name"] == type_name else None

        return Node(
            "ArtifactType",
            id=b64_id(f"ArtifactType:{path}:{type_name}"),
            name=type_name,
            description=None,
            createdAt="2025-11-01T00:00:00",
            artifactCollections=lambda args: connection("ArtifactCollection", [self.collection(path, c) for c in self.collection_names(path, type_name)], args),
            artifactSequences=lambda args: connection("ArtifactSequence", [self.collection(path, c) for c in self.collection_names(path, type_name)], args),
            artifactCollection=collection_in_type,
            artifactSequence=collection_in_type,
        )

    # ---- runs ---------------------------------------------------------------------
    def summary(self, run: Run, path: str | None = None) -> dict[str, Any]:
        """The run's summary as the server stores it: table-file entries included, with
        the client-side artifact ids wandb writes (which name no artifact on the server,
        so a reader must find the run_table artifact among the run's logged artifacts)."""
        summary = dict(run.summary)
        for ref in run.tables:
            nrows = ref.nrows if ref.nrows is not None else ref.stored_rows
            sha256 = hashlib.sha256(f"{ref.artifact}/{ref.entry}".encode()).hexdigest()
            step = 0
            summary[ref.key] = {
                "_type": "table-file",
                "path": f"media/table/{ref.key}_{step}_{sha256[:20]}.table.json",
                "sha256": sha256,
                "size": 100 * min(nrows or 0, MEDIA_TABLE_MAX_ROWS),
                "ncols": 9,
                "nrows": nrows,
                "log_mode": "IMMUTABLE",
                "artifact_path": f"wandb-client-artifact://{_client_id(ref.artifact)}/{ref.entry}",
                "_latest_artifact_path": f"wandb-client-artifact://{_client_id(ref.artifact.split(':')[0])}:latest/{ref.entry}",
            }
        history = self.fake.projects[path].histories.get(run.id) if path in self.fake.projects else None
        if history is not None and len(history):
            summary.setdefault("_step", int(history["_step"].max()))
        # W&B's own bookkeeping keys, present in every real summary.
        runtime_s = 600 + int(hashlib.md5(run.id.encode()).hexdigest()[:4], 16) % 3000
        started = run.created_at.timestamp() if run.created_at else 0.0
        summary.setdefault("_runtime", runtime_s)
        summary.setdefault("_timestamp", round(started + runtime_s, 3))
        summary.setdefault("_wandb", {"runtime": runtime_s})
        return summary

    def run(self, path: str, run: Run | None) -> Node | None:
        if run is None:
            return None
        entity, project = path.split("/", 1)
        data = self.fake.projects[path]
        history = data.histories.get(run.id)
        summary = self.summary(run, path)
        config = wrap_config(run.config)
        config["_wandb"] = {"value": {"cli_version": "0.31.0", "python_version": "3.11.2"}, "desc": None}
        links = data.run_artifacts.get(run.id)
        return Node(
            "Run",
            id=b64_id(f"Run:v1:{run.id}:{project}:{entity}"),
            name=run.id,
            displayName=run.name,
            tags=list(run.tags),
            state=run.state or "finished",
            group=run.group,
            jobType=run.job_type,
            config=json.dumps(config),
            summaryMetrics=json.dumps(summary),
            systemMetrics="{}",
            createdAt=_iso(run.created_at),
            heartbeatAt=_iso(run.created_at),
            updatedAt=_iso(run.created_at),
            description=None,
            notes=None,
            commit=None,
            readOnly=False,
            sweepName=None,
            host="fake-host",
            projectId=int(self.project(entity, project)["internalId"]),
            project=self.project(entity, project),
            user=self.viewer(),
            historyLineCount=0 if history is None else len(history),
            historyKeys=self.history_keys(history),
            sampledHistory=lambda args: [self.sampled_history(history, json.loads(spec)) for spec in args.get("specs") or []],
            history=lambda args: [json.dumps(row) for row in self.history_rows(history, None, args.get("samples"))],
            events=lambda args: [],
            fileCount=len(self.fake.run_file_names(path, run)),
            files=lambda args: self.run_files(path, run, args),
            parquetHistory=lambda args: Node("ParquetHistory", parquetUrls=[], liveData=self.history_rows(history, None, None)),
            outputArtifacts=lambda args: connection("Artifact", [self.artifact_node(path, a) for a in (links.logged if links else ())], args),
            inputArtifacts=lambda args: connection("Artifact", [self.artifact_node(path, a) for a in (links.used if links else ())], args),
        )

    @staticmethod
    def history_keys(history: pd.DataFrame | None) -> dict[str, Any]:
        if history is None or not len(history):
            return {"lastStep": -1, "keys": {}}
        keys = {
            str(col): {"typeCounts": [{"type": "number", "count": int(history[col].notna().sum())}]}
            for col in history.columns
        }
        return {"lastStep": int(history["_step"].max()), "keys": keys}

    @staticmethod
    def history_rows(history: pd.DataFrame | None, keys: list[str] | None, samples: int | None) -> list[dict[str, Any]]:
        if history is None or not len(history):
            return []
        if keys is not None:
            keys = list(dict.fromkeys(keys))
        frame = history if keys is None else history[[k for k in keys if k in history.columns]]
        if keys is not None:
            if len(frame.columns) < len(keys):
                return []
            frame = frame.dropna()
        records = [{k: _plain(v) for k, v in row.items() if _plain(v) is not None} for row in frame.to_dict("records")]
        if samples and len(records) > samples:
            stride = len(records) / samples
            records = [records[int(i * stride)] for i in range(samples)]
        return records

    def sampled_history(self, history: pd.DataFrame | None, spec: Mapping[str, Any]) -> list[dict[str, Any]]:
        rows = self.history_rows(history, list(spec.get("keys") or []), spec.get("samples"))
        max_step = spec.get("maxStep")
        min_step = spec.get("minStep")
        return [r for r in rows if (max_step is None or r.get("_step", 0) <= max_step) and (min_step is None or r.get("_step", 0) >= min_step)]

    def run_files(self, path: str, run: Run, args: Mapping[str, Any]) -> Node:
        names = args.get("names") or []
        pattern = args.get("pattern")
        regex = re.compile("^" + ".*".join(re.escape(p) for p in pattern.split("%")).replace("_", ".") + "$") if pattern else None
        nodes = []
        for name in self.fake.run_file_names(path, run):
            if (names and name not in names) or (regex and not regex.match(name)):
                continue
            content = self.fake.run_file_content(path, run, name)
            url = f"{self.fake.base_url}/storage/runs/{path}/{run.id}/{urllib.parse.quote(name)}"
            nodes.append(Node("File", id=b64_id(f"File:{path}:{run.id}:{name}"), name=name, url=url, directUrl=url,
                              sizeBytes=len(content), mimetype="application/octet-stream",
                              updatedAt=_iso(run.created_at), md5=b64_md5(content), digest=b64_md5(content)))
        return connection("File", nodes, args)

    # ---- artifacts ----------------------------------------------------------------
    def collection(self, path: str, name: str | None) -> Node | None:
        versions = self.versions(path, name) if name else []
        if not versions:
            return None
        entity, project = path.split("/", 1)
        first = versions[-1]

        def artifacts(args: Mapping[str, Any]) -> Node:
            return connection(
                "VersionedArtifact",
                [self.artifact_node(path, a.id) for a in versions],
                args,
                edge_extra=lambda node: {"version": f"v{node['versionIndex']}"},
            )

        def membership(args: Mapping[str, Any]) -> Node | None:
            return self.membership(path, name, args.get("aliasName") or "latest")

        return Node(
            "ArtifactSequence",
            ("ArtifactCollection",),
            id=self.collection_ids[(path, name)],
            name=name,
            description=first.description,
            createdAt=_iso(first.created_at),
            updatedAt=_iso(versions[0].created_at),
            project=self.project(entity, project),
            defaultArtifactType=Node("ArtifactType", name=first.type, id=b64_id(f"ArtifactType:{path}:{first.type}")),
            tags=Node("TagConnection", edges=[]),
            artifacts=artifacts,
            artifactMembership=membership,
            artifactMemberships=lambda args: connection("ArtifactCollectionMembership", [self.membership(path, name, a.version) for a in versions], args),
            aliases=lambda args: connection("ArtifactAlias", [self.alias(path, a.name, al) for a in versions for al in a.aliases], args),
        )

    def find_version(self, path: str, name: str, alias: str) -> ArtifactVersion | None:
        arts = self.fake.projects[path].artifacts
        if f"{name}:{alias}" in arts:
            return arts[f"{name}:{alias}"]
        for art in arts.values():
            if art.name == name and alias in art.aliases:
                return art
        if alias == "latest":
            versions = self.versions(path, name)
            return versions[0] if versions else None
        return None

    def membership_by_name(self, path: str, name_alias: str | None) -> Node | None:
        name, _, alias = (name_alias or "").partition(":")
        return self.membership(path, name, alias or "latest")

    def membership(self, path: str, name: str | None, alias: str) -> Node | None:
        art = self.find_version(path, name, alias) if name else None
        if art is None:
            return None
        node = self.artifact_node(path, art.id)
        return Node(
            "ArtifactCollectionMembership",
            id=b64_id(f"ArtifactCollectionMembership:{node['id']}"),
            versionIndex=node["versionIndex"],
            createdAt=node["createdAt"],
            aliases=node["aliases"],
            artifactCollection=self.collection(path, art.name),
            artifact=node,
            files=lambda args: self.files(path, art, args),
        )

    def artifact_by_name(self, path: str, name_alias: str | None) -> Node | None:
        membership = self.membership_by_name(path, name_alias)
        return membership["artifact"] if membership else None

    def artifact_by_gql_id(self, gql_id: str | None) -> Node | None:
        ref = self.artifacts_by_gql_id.get(gql_id or "")
        return self.artifact_node(ref.project_path, ref.artifact.id) if ref else None

    def alias(self, path: str, collection: str, alias: str) -> Node:
        entity, project = path.split("/", 1)
        return Node(
            "ArtifactAlias",
            id=b64_id(f"ArtifactAlias:{path}:{collection}:{alias}"),
            alias=alias,
            artifactCollectionName=collection,
            artifactCollection=Node("ArtifactSequence", ("ArtifactCollection",), name=collection, id=self.collection_ids[(path, collection)], project=self.project(entity, project)),
        )

    def artifact_node(self, path: str, art_id: str) -> Node | None:
        data = self.fake.projects[path]
        art = data.artifacts.get(art_id)
        if art is None:
            return None
        entity, project = path.split("/", 1)
        gql_id = self.gql_id_by_key[(path, art_id)]
        manifest_url = f"{self.fake.base_url}/storage/manifests/{gql_id}.json"
        sizes = self.fake.entry_sizes(path, art)
        version_index = int(art.version.lstrip("v"))
        return Node(
            "Artifact",
            id=gql_id,
            artifactSequence=Node("ArtifactSequence", ("ArtifactCollection",), name=art.name, id=self.collection_ids[(path, art.name)], project=self.project(entity, project)),
            versionIndex=version_index,
            artifactType=Node("ArtifactType", name=art.type, id=b64_id(f"ArtifactType:{path}:{art.type}")),
            description=art.description,
            metadata=json.dumps(dict(art.metadata)),
            ttlDurationSeconds=-1,
            ttlIsInherited=True,
            tags=[],
            historyStep=None,
            state="COMMITTED",
            size=art.size_bytes if art.size_bytes is not None else sum(sizes.values()),
            digest=art.digest or self.fake.artifact_digest(path, art),
            digestAlgorithm="MANIFEST_MD5",
            commitHash=hashlib.sha1(art.id.encode()).hexdigest()[:12],
            fileCount=len(art.files),
            createdAt=_iso(art.created_at),
            updatedAt=_iso(art.created_at),
            aliases=[self.alias(path, art.name, a) for a in art.aliases],
            currentManifest=Node("ArtifactManifest", id=b64_id(f"ArtifactManifest:{gql_id}"), file=Node("File", directUrl=manifest_url, url=manifest_url)),
            createdBy=lambda args: self.run(path, data.runs.get(art.logged_by or "")),
            usedBy=lambda args: connection("Run", [self.run(path, data.runs.get(r)) for r in art.used_by if r in data.runs], args, default_first=10_000),
            artifactMemberships=lambda args: connection("ArtifactCollectionMembership", [self.membership(path, art.name, art.version)], args),
            files=lambda args: self.files(path, art, args),
        )

    def files(self, path: str, art: ArtifactVersion, args: Mapping[str, Any]) -> Node:
        names = args.get("names")
        wanted = [f for f in art.files if not names or f.path in names]
        gql_id = self.gql_id_by_key[(path, art.id)]
        sizes = self.fake.entry_sizes(path, art)
        digests = self.fake.entry_digests(path, art)
        nodes = []
        for file in wanted:
            url = f"{self.fake.base_url}/storage/entries/{gql_id}/{urllib.parse.quote(file.path)}"
            nodes.append(
                Node(
                    "File",
                    id=b64_id(f"File:{gql_id}:{file.path}"),
                    name=file.path,
                    displayName=file.path,
                    url=url,
                    directUrl=url,
                    sizeBytes=sizes[file.path],
                    storagePath=f"wandb_artifacts/{gql_id}/{file.path}",
                    mimetype="application/json" if file.path.endswith(".json") else "application/octet-stream",
                    updatedAt=_iso(art.created_at),
                    digest=digests[file.path],
                    md5=digests[file.path],
                )
            )
        return connection("File", nodes, args)


# --------------------------------------------------------------------------------------
# Request log and fault injection.
# --------------------------------------------------------------------------------------

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


class _Handler(BaseHTTPRequestHandler):
    server_version = "fakewandb/1"
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: avoid 40 ms delayed-ACK stalls

    def log_message(self, format: str, *args: Any) -> None:  # silence stderr access logs
        log.debug("%s - %s", self.address_string(), format % args)

    @property
    def fake(self) -> "FakeWandb":
        return self.server.fake  # type: ignore[attr-defined]

    def do_POST(self) -> None:  # noqa: N802 (stdlib naming)
        self.fake._handle(self, "POST")

    def do_GET(self) -> None:  # noqa: N802
        self.fake._handle(self, "GET")

    def do_PUT(self) -> None:  # noqa: N802
        self.fake._handle(self, "PUT")

    def send(self, status: int, body: bytes, content_type: str = "application/json", headers: Mapping[str, str] | None = None) -> None:
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


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


# --------------------------------------------------------------------------------------
# The server.
# --------------------------------------------------------------------------------------

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
    ):
        self.projects: dict[str, ProjectData] = dict(projects)
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
        self._host, self._port = host, port
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._content: dict[tuple[str, str, str], bytes] = {}
        self._by_hex: dict[str, bytes] = {}
        self._graph: _Graph | None = None
        self._generation = 0

    # ---- lifecycle ----------------------------------------------------------------
    def start(self) -> "FakeWandb":
        self._server = _Server((self._host, self._port), _Handler)
        self._server.fake = self  # type: ignore[attr-defined]
        self._stopping.clear()
        self._thread = threading.Thread(target=self._server.serve_forever, name="fakewandb", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes any delayed handler
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> "FakeWandb":
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

    @property
    def graph(self) -> _Graph:
        with self._lock:
            if self._graph is None:
                self._graph = _Graph(self)
            return self._graph

    def set_project(self, path: str, data: ProjectData) -> None:
        """Add or replace a project while running (rebuilds the id index)."""
        with self._lock:
            self.projects[path] = data
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
            content = ("wandb_version: 1\n" + "".join(f"{k}:\n  value: {json.dumps(v)}\n" for k, v in run.config.items())).encode()
        elif name == "wandb-metadata.json":
            content = json.dumps({"host": "fake-host", "program": f"{run.job_type or 'run'}.py", "python": "CPython 3.11.2", "startedAt": _iso(run.created_at)}).encode()
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
    def _handle(self, handler: _Handler, method: str) -> None:
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

    def _authorized(self, handler: _Handler) -> bool:
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

    def _apply_fault(self, handler: _Handler, request: Request, started: float) -> bool:
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
            handler.send(fault.status, json.dumps({"errors": [{"message": f"fakewandb injected HTTP {fault.status}"}]}).encode(), headers=headers)
            return True
        if fault.errors:
            request.status = 200
            self._record(request, started)
            handler.send(200, json.dumps({"data": None, "errors": fault.errors}).encode())
            return True
        return False  # a pure delay: answer normally

    def _handle_graphql(self, handler: _Handler, body: bytes, started: float) -> None:
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
        if operation is None or operation.kind != "query":
            self._note_unknown(f"{op}: {operation.kind if operation else 'empty'} operations are not supported")
            return 200, {"data": None, "errors": [{"message": f"fakewandb: {op} is not supported (read-only fake)"}]}
        missing: list[str] = []
        try:
            data = Executor(doc, variables, missing).run(operation, self.graph.root())
        except GraphQLError as exc:
            return 200, {"data": None, "errors": [{"message": str(exc)}]}
        if missing:
            self._note_unknown(f"{op}: fields {sorted(set(missing))}")
            return 200, {"data": data, "errors": [{"message": f"fakewandb does not implement {sorted(set(missing))} (operation {op})"}]}
        return 200, {"data": data}

    def _handle_file(self, handler: _Handler, path: str, started: float, op: str = "file") -> None:
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
        return op not in (None, "file", "runfile")
    return wanted == op
