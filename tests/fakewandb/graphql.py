"""A minimal GraphQL parser and executor (no schema: the object graph decides)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

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
