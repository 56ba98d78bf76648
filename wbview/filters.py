"""The run-filter model: the one vocabulary for filtering runs, in the CLI and the dashboard.

A ``RunFilter`` is a conjunction of ``Condition`` objects on config paths and
summary metrics plus the run attributes job_type, group, tags, state and
created_at. It is parsed from the CLI/URL text syntax, translated to a W&B
server-side (Mongo-style) filter where W&B supports it, and always evaluated
client-side too, so the result is the same either way.

Text syntax, one condition per string::

    PATH OP VALUE          OP one of  =  !=  >  >=  <  <=
    PATH in A,B,C          membership
    PATH not in A,B        exclusion

PATH: ``params.*`` and ``meta.*`` (or an explicit ``config.`` prefix) address the
nested run config; an explicit ``summary.`` prefix or any other path is a summary
metric key such as ``eval/f1``. A key that itself contains a dot is quoted:
``"model.type"=cnn`` (a quoted top-level key with a dot is a config key) or
``config."model.type"=cnn``; ``summary."a.b">1`` for such a summary key.
The bare names ``job_type``, ``group``, ``state`` (``=`` or ``in``), ``tags``
(``tags in a,b``: any of; ``tags=a``: has tag a) and ``created_at`` (``>=`` and
``<`` an ISO date) filter run attributes. VALUE is typed: numbers, ``true``,
``false``, ``null``, a quoted string, or else a bare string.

Comparison semantics follow the W&B server's: ``=``, ``in`` and ordering never match
a missing path, ``!=`` and ``not in`` always do (``= null`` matches an explicit null
only); ordering compares numbers with numbers and strings with strings only; an
array matches when any element does.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, assert_never
from urllib.parse import parse_qsl, urlencode

from wbview.errors import BadFilter

if TYPE_CHECKING:
    from wbview.records import Run

Op = Literal["=", "!=", ">", ">=", "<", "<=", "in", "not in"]
# Where a condition's key lives in a run.
KeyRoot = Literal["config", "summary"]
# The RunFilter fields of the run attributes that filter by "any of" these values.
AttributeField = Literal["job_types", "groups", "states"]

CONFIG_ROOTS = ("params", "meta")
ATTRIBUTES = ("job_type", "group", "state", "tags", "created_at")
# Run attribute -> its RunFilter field, for the attributes filtered by "any of".
ATTRIBUTE_FIELDS: dict[str, AttributeField] = {"job_type": "job_types", "group": "groups", "state": "states"}
QUERY_PARAM = "f"  # URL query parameter holding one condition string per value

_MISSING = object()


@dataclass(frozen=True)
class Condition:
    field: KeyRoot
    keys: tuple[str, ...]  # path segments; a segment may itself contain a dot
    op: Op
    value: Any  # a scalar, or a tuple for "in" / "not in"

    @property
    def has_dotted_key(self) -> bool:
        """True when a segment contains a dot: W&B cannot filter such keys server-side."""
        return any("." in key for key in self.keys)

    def matches(self, run: Run) -> bool:
        root = run.config if self.field == "config" else run.summary
        return _compare(_lookup(root, self.keys), self.op, self.value)

    @property
    def path_text(self) -> str:
        """The PATH part as written in the text syntax, e.g. ``params.lr``."""
        return _format_path(self)

    def to_text(self) -> str:
        return f"{_format_path(self)}{_format_op(self.op)}{_format_value(self.op, self.value)}"

    def to_server(self) -> dict[str, Any]:
        """This condition as a W&B (Mongo-style) filter clause."""
        if self.field == "config":
            # W&B stores config values as {"key": {"value": ...}}.
            path = ".".join(("config", self.keys[0], "value", *self.keys[1:]))
        else:
            path = ".".join(("summary_metrics", *self.keys))
        mongo_op = {"=": "$eq", "!=": "$ne", ">": "$gt", ">=": "$gte", "<": "$lt", "<=": "$lte", "in": "$in", "not in": "$nin"}[
            self.op
        ]
        value = list(self.value) if self.op in ("in", "not in") else self.value
        return {path: {mongo_op: value}}


@dataclass(frozen=True)
class RunFilter:
    conditions: tuple[Condition, ...] = ()
    job_types: tuple[str, ...] = ()  # any of
    groups: tuple[str, ...] = ()  # any of
    tags_any: tuple[str, ...] = ()
    tags_all: tuple[str, ...] = ()
    states: tuple[str, ...] = ()  # any of
    created_after: datetime | None = None  # inclusive
    created_before: datetime | None = None  # exclusive

    @property
    def is_empty(self) -> bool:
        return self == RunFilter()

    def with_attribute(self, field: AttributeField, values: tuple[str, ...]) -> RunFilter:
        """A copy whose any-of attribute ``field`` holds ``values`` (``()``: no condition)."""
        if field == "job_types":
            return dataclasses.replace(self, job_types=values)
        if field == "groups":
            return dataclasses.replace(self, groups=values)
        if field == "states":
            return dataclasses.replace(self, states=values)
        assert_never(field)

    def matches(self, run: Run) -> bool:
        """Client-side evaluation: True when ``run`` satisfies every part of the filter."""
        if self.job_types and run.job_type not in self.job_types:
            return False
        if self.groups and run.group not in self.groups:
            return False
        if self.states and run.state not in self.states:
            return False
        if self.tags_any and not set(self.tags_any) & set(run.tags):
            return False
        if self.tags_all and not set(self.tags_all) <= set(run.tags):
            return False
        if self.created_after or self.created_before:
            created = _as_utc(run.created_at) if run.created_at else None
            if created is None:
                return False
            if self.created_after and created < _as_utc(self.created_after):
                return False
            if self.created_before and created >= _as_utc(self.created_before):
                return False
        return all(condition.matches(run) for condition in self.conditions)

    def to_server(self) -> tuple[dict[str, Any], RunFilter]:
        """Split into (W&B server filter, residual to apply client-side).

        The residual holds what W&B cannot evaluate: conditions on a key that itself
        contains a dot (a long-standing server bug matches nothing on those).
        """
        clauses: list[dict[str, Any]] = []
        if self.job_types:
            clauses.append({"jobType": {"$in": list(self.job_types)}})
        if self.groups:
            clauses.append({"group": {"$in": list(self.groups)}})
        if self.states:
            clauses.append({"state": {"$in": list(self.states)}})
        if self.tags_any:
            clauses.append({"tags": {"$in": list(self.tags_any)}})
        # The server has no $all: one membership clause per required tag.
        clauses.extend({"tags": {"$in": [tag]}} for tag in self.tags_all)
        if self.created_after:
            clauses.append({"createdAt": {"$gte": _server_time(self.created_after)}})
        if self.created_before:
            clauses.append({"createdAt": {"$lt": _server_time(self.created_before)}})
        residual = tuple(c for c in self.conditions if c.has_dotted_key)
        clauses.extend(c.to_server() for c in self.conditions if not c.has_dotted_key)
        server = {} if not clauses else clauses[0] if len(clauses) == 1 else {"$and": clauses}
        return server, RunFilter(conditions=residual)

    def to_text(self) -> list[str]:
        """Condition strings that ``parse_filters`` turns back into an equal filter."""
        texts: list[str] = []
        for attr, values in (("job_type", self.job_types), ("group", self.groups), ("state", self.states)):
            if values:
                texts.append(f"{attr} in {_format_list(values)}")
        if self.tags_any:
            texts.append(f"tags in {_format_list(self.tags_any)}")
        texts.extend(f"tags={_format_value('=', tag)}" for tag in self.tags_all)
        if self.created_after:
            texts.append(f"created_at>={self.created_after.isoformat()}")
        if self.created_before:
            texts.append(f"created_at<{self.created_before.isoformat()}")
        texts.extend(c.to_text() for c in self.conditions)
        return texts

    def to_query(self) -> str:
        """URL query string (``f=...&f=...``) for the dashboard's URL state."""
        return urlencode([(QUERY_PARAM, text) for text in self.to_text()])

    @classmethod
    def from_query(cls, query: str) -> RunFilter:
        """Inverse of ``to_query``; other query parameters are ignored."""
        texts = [value for key, value in parse_qsl(query.lstrip("?"), keep_blank_values=True) if key == QUERY_PARAM]
        return parse_filters(texts)

    def merge(self, other: RunFilter) -> RunFilter:
        """The conjunction of two filters (attribute lists are unioned per attribute,
        as in the CLI where ``--tag a --tag b`` means any of a, b)."""

        def union(a: tuple, b: tuple) -> tuple:
            return tuple(dict.fromkeys(a + b))

        return RunFilter(
            conditions=self.conditions + other.conditions,
            job_types=union(self.job_types, other.job_types),
            groups=union(self.groups, other.groups),
            tags_any=union(self.tags_any, other.tags_any),
            tags_all=union(self.tags_all, other.tags_all),
            states=union(self.states, other.states),
            created_after=_later(self.created_after, other.created_after),
            created_before=_earlier(self.created_before, other.created_before),
        )


# W&B's run states (`wandb runs` and the runs table); a filter on another state matches nothing.
KNOWN_RUN_STATES = ("finished", "running", "crashed", "failed", "killed", "preempted", "preempting", "pending")


# --- parsing -------------------------------------------------------------------

_OPERATOR = re.compile(r"\s*(>=|<=|!=|==|=|>|<|not\s+in(?=\s)|in(?=\s))\s*", re.IGNORECASE)
_UNQUOTED_SEGMENT = re.compile(r"[^.\s=!<>\"']+")
_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")


def parse_filters(texts: Iterable[str]) -> RunFilter:
    """Parse condition strings (CLI ``--filter`` values, URL state) into one RunFilter."""
    result = RunFilter()
    for text in texts:
        result = result.merge(_parse_one(text))
    return result


def parse_condition(text: str) -> Condition:
    """Parse one ``PATH OP VALUE`` string on a config path or summary metric."""
    parsed = _parse_one(text)
    if parsed != RunFilter(conditions=parsed.conditions):
        raise BadFilter(f"Filter {text!r} is on a run attribute, not a config path or summary metric.")
    return parsed.conditions[0]


def split_condition(text: str) -> tuple[str, Op, Any]:
    """Parse ``NAME OP VALUE`` on a table column (the row filters of error analysis): the
    same operators, values and quoting as a run filter; NAME is the column's name, quoted
    when it has spaces, dots or quotes (``"True Label" in ham,spam``, ``Confidence>=0.9``)."""
    if not isinstance(text, str) or not text.strip():
        raise BadFilter("Empty filter: write COLUMN OP VALUE, e.g. 'Confidence>=0.9' or '\"True Label\" in ham'.")
    segments, _quoted, rest = _parse_path(text)
    op, value, _raw = _parse_operator_and_value(text, rest)
    return ".".join(segments), op, value


def format_condition(name: str, op: Op, value: Any) -> str:
    """Inverse of ``split_condition``."""
    return f"{_format_key(name)}{_format_op(op)}{_format_value(op, value)}"


def _parse_operator_and_value(text: str, rest: str) -> tuple[Op, Any, str]:
    match = _OPERATOR.match(rest)
    if not match:
        raise BadFilter(
            f"Filter {text!r}: expected an operator (= != > >= < <= in, not in) after "
            f"{text[: len(text) - len(rest)].strip()!r}, found {rest.strip()[:20]!r}."
        )
    op = " ".join(match.group(1).lower().split())
    op = "=" if op == "==" else op
    raw_value = rest[match.end() :].strip()
    if not raw_value:
        raise BadFilter(f"Filter {text!r}: missing value after {op!r}.")
    if op in ("in", "not in"):
        items = _split_list(raw_value, text)
        for item in items:
            _check_bare_value(item.strip(), text, in_list=True)
        value: Any = tuple(_parse_value(item, text) for item in items)
    else:
        _check_bare_value(raw_value, text, in_list=False)
        value = _parse_value(raw_value, text)
    return op, value, raw_value  # type: ignore[return-value]  # op is one of the _OPERATOR spellings


def _parse_one(text: str) -> RunFilter:
    if not isinstance(text, str) or not text.strip():
        raise BadFilter("Empty filter: write PATH OP VALUE, e.g. 'params.lr>=1e-4' or 'eval/f1>0.9'.")
    segments, quoted, rest = _parse_path(text)
    op, value, raw_value = _parse_operator_and_value(text, rest)
    if len(segments) == 1 and not quoted[0] and segments[0] in ATTRIBUTES:
        return _attribute_filter(segments[0], op, value, text)
    field, keys = _classify(segments, quoted, text)
    if op in _COMPARISONS and _bracket(value) not in ("number", "string"):
        raise BadFilter(f"Filter {text!r}: {op!r} needs a number or a string, not {raw_value!r}.")
    if op in _COMPARISONS and isinstance(value, str) and not _is_quoted(raw_value) and not _is_date(value):
        raise BadFilter(
            f"Filter {text!r}: {op!r} needs a number, a date or a quoted string, not the bare text {raw_value!r} "
            f"(to compare text, quote it: {op}'{raw_value}')."
        )
    return RunFilter(conditions=(Condition(field, keys, op, value),))


_COMPARISONS = (">", ">=", "<", "<=")


def _is_quoted(raw: str) -> bool:
    return raw[:1] in ("'", '"')


def _is_date(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _check_bare_value(raw: str, text: str, in_list: bool) -> None:
    """Reject unquoted values that are almost surely typos: a doubled operator
    ('lr>>3', 'lr=>3') or, outside an ``in`` list, text with spaces ('lr=1e-4 extra')."""
    if _is_quoted(raw):
        return
    if raw[:1] in ("<", ">", "=", "!"):
        raise BadFilter(
            f"Filter {text!r}: the value {raw!r} starts with {raw[0]!r}; one operator per condition "
            f"(= != > >= < <=). If the value really is text, quote it: '{raw}'."
        )
    if not in_list and len(raw.split()) > 1:
        raise BadFilter(
            f"Filter {text!r}: the value {raw!r} has spaces; quote text with spaces ('{raw}'), "
            "or write one condition per --filter."
        )


def _parse_path(text: str) -> tuple[list[str], list[bool], str]:
    """Split the leading PATH into segments; returns (segments, quoted flags, rest)."""
    segments: list[str] = []
    quoted: list[bool] = []
    pos = len(text) - len(text.lstrip())
    while True:
        if pos < len(text) and text[pos] in "\"'":
            segment, pos = _read_quoted(text, pos)
            segments.append(segment)
            quoted.append(True)
        else:
            match = _UNQUOTED_SEGMENT.match(text, pos)
            if not match:
                where = text[pos : pos + 20] or "the end"
                raise BadFilter(f"Filter {text!r}: expected a key name at {where!r} (quote keys with spaces or dots).")
            segments.append(match.group())
            quoted.append(False)
            pos = match.end()
        if pos < len(text) and text[pos] == ".":
            pos += 1
            continue
        return segments, quoted, text[pos:]


def _read_quoted(text: str, pos: int) -> tuple[str, int]:
    """Read a quoted string starting at ``pos``; backslash escapes the next character."""
    quote = text[pos]
    chars: list[str] = []
    i = pos + 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            chars.append(text[i + 1])
            i += 2
            continue
        if char == quote:
            return "".join(chars), i + 1
        chars.append(char)
        i += 1
    raise BadFilter(f"Filter {text!r}: unclosed quote {text[pos : pos + 20]!r}.")


def _classify(segments: list[str], quoted: list[bool], text: str) -> tuple[KeyRoot, tuple[str, ...]]:
    head = segments[0]
    if not quoted[0] and head in ("config", "summary"):
        if len(segments) == 1:
            raise BadFilter(f"Filter {text!r}: {head!r} needs a key after it, e.g. {head}.lr.")
        return ("config" if head == "config" else "summary"), tuple(segments[1:])
    if not quoted[0] and head in CONFIG_ROOTS:
        return "config", tuple(segments)
    if quoted[0] and "." in head:
        # A quoted top-level key with a dot: the flat config key case ("model.type").
        return "config", tuple(segments)
    return "summary", tuple(segments)


def _split_list(raw: str, text: str) -> list[str]:
    items: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(raw):
        char = raw[i]
        if char in "\"'":
            _, end = _read_quoted(raw, i)
            current.append(raw[i:end])
            i = end
            continue
        if char == ",":
            items.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    items.append("".join(current))
    for item in items:
        if not item.strip():
            raise BadFilter(f"Filter {text!r}: empty item in the list {raw!r} (write a,b,c).")
    return items


def _parse_value(raw: str, text: str) -> Any:
    raw = raw.strip()
    if raw[:1] in ("'", '"'):
        value, end = _read_quoted(raw, 0)
        if raw[end:].strip():
            raise BadFilter(f"Filter {text!r}: unexpected {raw[end:].strip()!r} after the quoted value {raw[:end]!r}.")
        return value
    lowered = raw.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("null", "none"):
        return None
    if _INT.fullmatch(raw):
        return int(raw)
    if _FLOAT.fullmatch(raw):
        return float(raw)
    return raw


def _attribute_filter(attr: str, op: str, value: Any, text: str) -> RunFilter:
    values = value if isinstance(value, tuple) else (value,)
    if attr == "created_at":
        if op not in (">=", "<"):
            raise BadFilter(f"Filter {text!r}: created_at supports >= and < (e.g. created_at>=2024-05-01), not {op!r}.")
        when = _parse_time(values[0], text)
        return RunFilter(created_after=when) if op == ">=" else RunFilter(created_before=when)
    strings = tuple(_as_str(v) for v in values)
    if attr == "tags":
        if op == "in":
            return RunFilter(tags_any=strings)
        if op == "=":
            return RunFilter(tags_all=strings)
        raise BadFilter(f"Filter {text!r}: tags supports 'tags in a,b' (any of) and 'tags=a' (has a), not {op!r}.")
    if op not in ("=", "in"):
        raise BadFilter(f"Filter {text!r}: {attr} supports = and in, not {op!r}.")
    return RunFilter().with_attribute(ATTRIBUTE_FIELDS[attr], strings)


def _parse_time(value: Any, text: str) -> datetime:
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        raise BadFilter(
            f"Filter {text!r}: {value!r} is not an ISO date or time (e.g. 2024-05-01 or 2024-05-01T12:00:00Z)."
        ) from None
    return _as_utc(when)


def _as_str(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return "null" if value is None else str(value).lower()
    return str(value) if not isinstance(value, float) else repr(value)


# --- formatting (to_text) ----------------------------------------------------------


def _format_key(key: str, force_quote: bool = False) -> str:
    if not force_quote and _UNQUOTED_SEGMENT.fullmatch(key):
        return key
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _format_path(condition: Condition) -> str:
    keys = [_format_key(k) for k in condition.keys]
    head = condition.keys[0]
    if condition.field == "config":
        implicit = head in CONFIG_ROOTS or "." in head
        return ".".join(keys) if implicit else ".".join(["config", *keys])
    implicit = head not in ("config", "summary", *CONFIG_ROOTS, *ATTRIBUTES) and "." not in head
    return ".".join(keys) if implicit else ".".join(["summary", *keys])


def _format_op(op: str) -> str:
    return f" {op} " if op in ("in", "not in") else op


def _format_value(op: str, value: Any) -> str:
    if op in ("in", "not in"):
        return _format_list(value)
    if op in _COMPARISONS and isinstance(value, str):
        return _quote(value)  # bare text is not accepted after a comparison
    return _format_scalar(value)


def _format_list(values: Iterable[Any]) -> str:
    return ",".join(_format_scalar(v) for v in values)


def _format_scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    # Quote a string whenever a bare form would re-parse as something else.
    if (
        text.strip() != text
        or not text
        or text[0] in "<>=!"
        or _parse_value(text, text) != text
        or re.search(r"[\s,\"'\\]", text)
    ):
        return _quote(text)
    return text


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- evaluation ------------------------------------------------------------------


def _lookup(root: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    """Strict nested lookup: each segment is one dict key (it may contain a dot)."""
    node: Any = root
    for key in keys:
        if not isinstance(node, Mapping) or key not in node:
            return _MISSING
        node = node[key]
    return node


def _bracket(value: Any) -> str | None:
    """Comparison class, as in MongoDB: numbers compare only with numbers, etc."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return None if isinstance(value, float) and math.isnan(value) else "number"
    if isinstance(value, str):
        return "string"
    return None


def _equal(actual: Any, expected: Any) -> bool:
    if isinstance(actual, (list, tuple)):
        # An array field equals a scalar when any element does (MongoDB semantics).
        return any(_equal(item, expected) for item in actual)
    kind = _bracket(actual)
    return kind is not None and kind == _bracket(expected) and actual == expected


def _ordered(actual: Any, op: str, expected: Any) -> bool:
    if isinstance(actual, (list, tuple)):
        return any(_ordered(item, op, expected) for item in actual)
    kind = _bracket(actual)
    if kind not in ("number", "string") or kind != _bracket(expected):
        return False
    return {">": actual > expected, ">=": actual >= expected, "<": actual < expected, "<=": actual <= expected}[op]


def _compare(actual: Any, op: str, expected: Any) -> bool:
    if actual is _MISSING:
        return op in ("!=", "not in")
    if op == "=":
        return _equal(actual, expected)
    if op == "!=":
        return not _equal(actual, expected)
    if op == "in":
        return any(_equal(actual, item) for item in expected)
    if op == "not in":
        return not any(_equal(actual, item) for item in expected)
    return _ordered(actual, op, expected)


def _as_utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _server_time(when: datetime) -> str:
    # W&B stores createdAt as naive UTC ISO text ("2024-05-01T12:00:00").
    return _as_utc(when).replace(tzinfo=None).isoformat(timespec="seconds")


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    return max((x for x in (a, b) if x), default=None, key=_as_utc)


def _earlier(a: datetime | None, b: datetime | None) -> datetime | None:
    return min((x for x in (a, b) if x), default=None, key=_as_utc)


# --- run order ------------------------------------------------------------------------

OrderField = Literal["created_at", "config", "summary"]


@dataclass(frozen=True)
class RunOrder:
    """The order of a run listing: by creation time or by one config/summary key, newest
    or largest first when ``descending``. Runs without the key come last either way, and
    numbers sort before strings, as on the W&B server.

    Text form (the URL and ``parse``): an optional ``-`` (descending) or ``+`` then a PATH
    of the filter syntax or ``created_at``: ``-created_at``, ``+summary.eval/loss``,
    ``-eval/f1``, ``params.lr``."""

    field: OrderField = "created_at"
    keys: tuple[str, ...] = ()
    descending: bool = True

    @classmethod
    def parse(cls, text: str) -> RunOrder:
        raw = text.strip()
        descending = not raw.startswith("+")
        path = raw[1:] if raw[:1] in "+-" else raw
        if path.strip() in ("", "created_at"):
            return cls("created_at", (), descending if raw[:1] in "+-" else True)
        segments, quoted, rest = _parse_path(path)
        if rest.strip():
            raise BadFilter(f"Order {text!r}: expected [+|-]PATH, e.g. -created_at or +summary.eval/loss.")
        field, keys = _classify(segments, quoted, path)
        return cls(field, keys, descending)

    def to_text(self) -> str:
        sign = "-" if self.descending else "+"
        if self.field == "created_at":
            return f"{sign}created_at"
        return sign + _format_path(Condition(self.field, self.keys, "=", None))

    def to_server(self) -> str:
        """The ``order`` argument of W&B's runs query (``-created_at``, ``+summary_metrics.loss``,
        ``-config.lr.value``)."""
        sign = "-" if self.descending else "+"
        if self.field == "created_at":
            return f"{sign}created_at"
        if self.field == "config":
            return sign + ".".join(("config", self.keys[0], "value", *self.keys[1:]))
        return sign + ".".join(("summary_metrics", *self.keys))

    def sort(self, runs: Iterable[Run]) -> list[Run]:
        """``runs`` in this order, client-side (ties: newest first)."""
        newest_first = sorted(
            runs, key=lambda r: (r.created_at is not None, r.created_at and _as_utc(r.created_at)), reverse=True
        )
        if self.field == "created_at":
            return newest_first if self.descending else newest_first[::-1]
        numbers: list[tuple[float, Run]] = []
        strings: list[tuple[str, Run]] = []
        absent: list[Run] = []
        for run in newest_first:
            value = _lookup(run.config if self.field == "config" else run.summary, self.keys)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value):
                numbers.append((float(value), run))
            elif isinstance(value, str):
                strings.append((value, run))
            else:
                absent.append(run)
        numbers.sort(key=lambda pair: pair[0], reverse=self.descending)
        strings.sort(key=lambda pair: pair[0], reverse=self.descending)
        present = [r for _, r in numbers] + [r for _, r in strings]
        return present + absent


DEFAULT_ORDER = RunOrder()


def page_of(runs: Iterable[Run], offset: int, limit: int, order: RunOrder | None = None) -> tuple[list[Run], int]:
    """One page of ``runs`` in ``order`` (default newest first) and how many runs there are."""
    ordered = (order or DEFAULT_ORDER).sort(runs)
    return ordered[max(0, offset) : max(0, offset) + max(0, limit)], len(ordered)


# --- keys no run has ------------------------------------------------------------------


@dataclass(frozen=True)
class KeyCheck:
    """A filter checked against the keys runs have: ``run_filter`` is what to apply
    (keys resolved where the intent is clear), ``notes`` say what was changed or missing."""

    run_filter: RunFilter
    notes: tuple[str, ...] = ()


def has_key(run: Run, field: str, keys: tuple[str, ...]) -> bool:
    return _lookup(run.config if field == "config" else run.summary, keys) is not _MISSING


def missing_keys(run_filter: RunFilter, runs: Iterable[Run]) -> list[Condition]:
    """The conditions whose key none of ``runs`` has."""
    runs = list(runs)
    return [c for c in run_filter.conditions if not any(has_key(r, c.field, c.keys) for r in runs)]


def check_keys(
    run_filter: RunFilter, runs: Iterable[Run], conditions: Iterable[Condition] | None = None, total: int | None = None
) -> KeyCheck:
    """Check ``conditions`` (default: all) against the keys ``runs`` have (a sample of
    ``total`` runs when that is more: the notes then say so).

    A key no run has is resolved when the intent is clear: an unquoted dotted path that
    matches no nested key but a flat key with dots in its name (config ``"model.type"``),
    or a path that exists in the config but was read as a summary metric (or the other
    way round). Otherwise a note names the closest keys that exist."""
    runs = list(runs)
    todo = list(run_filter.conditions if conditions is None else conditions)
    notes: list[str] = []
    resolved: dict[Condition, Condition] = {}
    known: set[tuple[KeyRoot, tuple[str, ...]]] = set()
    for run in runs:
        known.update(("config", k) for k in _key_paths(run.config))
        known.update(("summary", k) for k in _key_paths(run.summary) if not k[0].startswith("_"))
    for condition in todo:
        if (condition.field, condition.keys) in known:
            continue
        other: KeyRoot = "summary" if condition.field == "config" else "config"
        flat = (".".join(condition.keys),)
        candidates: list[tuple[KeyRoot, tuple[str, ...]]] = [(other, condition.keys)]
        if len(condition.keys) > 1 and not condition.has_dotted_key:
            candidates += [("config", flat), ("summary", flat)]
        existing = [Condition(f, k, condition.op, condition.value) for f, k in candidates if (f, k) in known]
        # Where several keys fit, the one some run matches is the one meant.
        better = next((c for c in existing if any(c.matches(r) for r in runs)), existing[0] if existing else None)
        written = condition.path_text
        if better is not None:
            found = (better.field, better.keys)
            resolved[condition] = better
            what = "flat " if found[1] == flat and flat != condition.keys else ""
            notes.append(
                f"Filtered on the {what}{found[0]} key {better.path_text} instead: no run has {written} as "
                f"{'a summary metric' if condition.field == 'summary' else 'a config path'}"
                + (" (a key with dots in its name must be quoted)" if what else "")
                + "."
            )
            continue
        # Suggest keys that hold values, not the dicts above them ("params" of "params.lr").
        parents = {(f, k[:i]) for f, k in known for i in range(1, len(k))}
        leaves = known - parents
        texts = sorted({Condition(f, k, "=", None).path_text for f, k in leaves})
        close = closest_keys(written, texts)
        where = f" among {len(runs):,} runs" if runs else ""
        if runs and total is not None and total > len(runs):
            where = f" among a sample of {len(runs):,} of the {total:,} runs"
        hint = (
            f" Closest keys: {', '.join(close)}."
            if close
            else (f" Keys that exist include: {', '.join(texts[:5])}." if texts else "")
        )
        notes.append(f"No run has the key {written}{where}, so the filter {condition.to_text()} matches nothing.{hint}")
    if not resolved:
        return KeyCheck(run_filter, tuple(notes))
    conditions_after = tuple(resolved.get(c, c) for c in run_filter.conditions)
    return KeyCheck(dataclasses.replace(run_filter, conditions=conditions_after), tuple(notes))


def closest_keys(written: str, keys: Iterable[str], n: int = 3) -> list[str]:
    """The keys most like ``written`` (a typo), else those containing it (``f1`` -> ``eval/f1``)."""
    import difflib

    keys = sorted(set(keys))
    return difflib.get_close_matches(written, keys, n=n, cutoff=0.6) or [k for k in keys if written.lower() in k.lower()][:n]


def _key_paths(mapping: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Every path of a nested mapping, inner nodes included (a filter may name either)."""
    paths: set[tuple[str, ...]] = set()
    for key, value in mapping.items():
        path = (*prefix, str(key))
        paths.add(path)
        if isinstance(value, Mapping) and "_type" not in value:
            paths |= _key_paths(value, path)
    return paths


KEY_SAMPLE_RUNS = 200  # runs whose keys name the closest keys: the latest, never every run


def query_runs(
    fetch: Callable[[RunFilter], list[Run]],
    run_filter: RunFilter,
    sample: Callable[[], list[Run] | tuple[list[Run], int | None]],
) -> tuple[list[Run], KeyCheck]:
    """Runs matching ``run_filter`` (``fetch``), never silently empty because of a key:
    when no returned run has a condition's key, the keys of ``sample()`` (a bounded number
    of runs without the conditions, optionally with the project's run count) resolve it or
    name the closest keys (see ``check_keys``)."""
    runs = fetch(run_filter)
    suspects = missing_keys(run_filter, runs)
    if not suspects:
        return runs, KeyCheck(run_filter)
    sampled = sample()
    sample_runs, total = sampled if isinstance(sampled, tuple) else (sampled, None)
    check = check_keys(run_filter, sample_runs, suspects, total=total)
    if check.run_filter != run_filter:
        runs = fetch(check.run_filter)
    return runs, check
