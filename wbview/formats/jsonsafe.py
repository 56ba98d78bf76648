"""JSON-safe metadata: the one policy for turning library values into plain JSON.

numpy scalars/arrays, torch tensors, pandas objects, datetimes, dates, ``Path``, enums,
sets/tuples and dataclasses are converted to plain JSON types. Non-finite floats (NaN,
+inf, -inf) are never dropped silently: ``non_finite="null"`` (default) converts them to
``None`` and warns with the dotted path of every converted value; ``"string"`` writes
``"NaN"``, ``"Infinity"``, ``"-Infinity"``; ``"raise"`` refuses with a ``NotJsonSafe``
naming the path. A value of an unknown type is refused with ``NotJsonSafe`` (never
``str()``-ed behind your back).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import math
import warnings
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any, Literal

from wbview.errors import UsageError

NonFinitePolicy = Literal["null", "string", "raise"]


_NON_FINITE_STRINGS = {math.inf: "Infinity", -math.inf: "-Infinity"}


class NotJsonSafe(UsageError, ValueError):
    """A metadata value cannot be stored as JSON under the chosen policy."""


def json_safe(value: Any, *, non_finite: NonFinitePolicy = "null", path: str = "metadata") -> Any:
    """Convert ``value`` to plain JSON types under the module's documented policy."""
    converted: list[str] = []
    result = _convert(value, path, non_finite, converted)
    if converted:
        shown = ", ".join(converted[:10]) + (f" and {len(converted) - 10} more" if len(converted) > 10 else "")
        warnings.warn(f"non-finite values stored as null (JSON has no NaN/infinity): {shown}", stacklevel=2)
    return result


def _convert(value: Any, path: str, policy: NonFinitePolicy, converted: list[str]) -> Any:
    if value is None or isinstance(value, (bool, str, int)) and not isinstance(value, enum.Enum):
        return value
    if isinstance(value, float):
        return _finite_or_policy(value, path, policy, converted)
    if isinstance(value, enum.Enum):
        return _convert(value.value, path, policy, converted)
    if isinstance(value, Mapping) or _is_mapping_like(value):
        return {str(k): _convert(v, f"{path}.{k}", policy, converted) for k, v in dict(value).items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return [_convert(v, f"{path}[{i}]", policy, converted) for i, v in enumerate(items)]
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _convert(dataclasses.asdict(value), path, policy, converted)
    return _convert_library_value(value, path, policy, converted)


def _is_mapping_like(value: Any) -> bool:
    # wandb's Config and Summary objects behave like dicts without being Mappings.
    if type(value).__module__.split(".")[0] in ("pandas", "numpy", "torch"):
        return False
    return callable(getattr(value, "keys", None)) and callable(getattr(value, "items", None)) and hasattr(value, "__getitem__")


def _convert_library_value(value: Any, path: str, policy: NonFinitePolicy, converted: list[str]) -> Any:
    module = type(value).__module__.split(".")[0]
    if module == "torch":
        value = value.detach().cpu().numpy() if hasattr(value, "detach") else str(value)
        module = "numpy"
    if module == "pandas":
        return _convert_pandas(value, path, policy, converted)
    if module == "numpy":
        if hasattr(value, "dtype") and value.dtype.kind in "mM":
            return str(value)
        if hasattr(value, "tolist"):
            return _convert(value.tolist(), path, policy, converted)
        return str(value)  # numpy dtype objects and the like describe themselves
    raise NotJsonSafe(
        f"{path}: cannot store a {type(value).__module__}.{type(value).__name__} as JSON metadata; "
        "convert it to a number, string, list or dict first."
    )


def _convert_pandas(value: Any, path: str, policy: NonFinitePolicy, converted: list[str]) -> Any:
    import pandas as pd

    if value is pd.NaT or (isinstance(value, type(pd.NA)) and value is pd.NA):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, pd.Timedelta):
        return value.total_seconds()
    if isinstance(value, pd.DataFrame):
        return _convert(value.to_dict(orient="list"), path, policy, converted)
    if isinstance(value, (pd.Series, pd.Index, pd.Categorical)):
        return _convert(list(value), path, policy, converted)
    raise NotJsonSafe(f"{path}: cannot store a pandas {type(value).__name__} as JSON metadata.")


def _finite_or_policy(value: float, path: str, policy: NonFinitePolicy, converted: list[str]) -> Any:
    if math.isfinite(value):
        return value
    if policy == "raise":
        raise NotJsonSafe(f"{path} is {float(value)!r}; JSON has no NaN or infinity. Replace it or pass non_finite='null'.")
    if policy == "string":
        return _NON_FINITE_STRINGS.get(value, "NaN")
    converted.append(path)
    return None
