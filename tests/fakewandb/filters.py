"""Server-side run filters ($filters), evaluated the way the W&B server does,
independently of wbview.filters."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from tests.fakewandb.graphql import GraphQLError
from wbview.records import Run

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
        return _config_lookup(wrap_config(run.config), field_name[len("config.") :])
    for prefix in ("summary_metrics.", "summaryMetrics.", "summary."):
        if field_name.startswith(prefix):
            return _summary_lookup(summary if summary is not None else run.summary, field_name[len(prefix) :])
    raise FilterError(f"unsupported filter field {field_name!r}")


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
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


def sort_runs(runs: list[Run], order: str | None, summaries: Mapping[str, Mapping[str, Any]]) -> list[Run]:
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
