"""The run-filter model (owned by the data-layer work; see issue 2).

A ``RunFilter`` is a conjunction of ``Condition`` objects on config paths and
summary metrics plus the run attributes job_type, group, tags, state and
created_at. It is parsed from the CLI/URL text syntax, translated to a W&B
server-side (Mongo-style) filter where W&B supports it, and always evaluated
client-side too, so the result is the same either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

Op = Literal["=", "!=", ">", ">=", "<", "<=", "in", "not in"]


@dataclass(frozen=True)
class Condition:
    field: Literal["config", "summary"]
    keys: tuple[str, ...]  # path segments; a segment may itself contain a dot
    op: Op
    value: Any  # a scalar, or a tuple for "in" / "not in"


@dataclass(frozen=True)
class RunFilter:
    conditions: tuple[Condition, ...] = ()
    job_types: tuple[str, ...] = ()  # any of
    groups: tuple[str, ...] = ()  # any of
    tags_any: tuple[str, ...] = ()
    tags_all: tuple[str, ...] = ()
    states: tuple[str, ...] = ()  # any of
    created_after: datetime | None = None
    created_before: datetime | None = None
