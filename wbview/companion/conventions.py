"""The seed guide's conventions as small helpers: run names, the job-type vocabulary,
the ``{"params": ..., "meta": ...}`` config and JSON-safe metadata.

JSON-safety policy (``json_safe``): numpy scalars/arrays, torch tensors, pandas
objects, datetimes, dates, ``Path``, enums, sets/tuples and dataclasses are converted
to plain JSON types. Non-finite floats (NaN, +inf, -inf) are never dropped silently:
``non_finite="null"`` (default) converts them to ``None`` and warns with the dotted
path of every converted value; ``"string"`` writes ``"NaN"``, ``"Infinity"``,
``"-Infinity"``; ``"raise"`` refuses with a ``NotJsonSafe`` naming the path. A value
of an unknown type is refused with ``NotJsonSafe`` (never ``str()``-ed behind your back).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import enum
import math
import re
import warnings
from pathlib import PurePath
from typing import Any, Literal, Mapping

from wbview.errors import UsageError

NonFinitePolicy = Literal["null", "string", "raise"]

JOB_TYPES: dict[str, tuple[str, ...]] = {
    "training": ("pre-train", "train", "fine-tune"),
    "evaluation": ("eval", "test", "inference"),
    "data ops": ("ingest", "clean", "encode", "transform", "split"),
}
ALL_JOB_TYPES: tuple[str, ...] = tuple(job for jobs in JOB_TYPES.values() for job in jobs)

# Spellings teams actually use for the same thing, mapped to the vocabulary word.
_JOB_TYPE_SYNONYMS = {
    "pretrain": "pre-train", "pretraining": "pre-train", "training": "train",
    "finetune": "fine-tune", "finetuning": "fine-tune", "fine_tune": "fine-tune",
    "evaluation": "eval", "evaluate": "eval", "validation": "eval", "val": "eval",
    "testing": "test", "predict": "inference", "prediction": "inference",
    "preprocessing": "clean", "data_prep": "clean", "clean-data": "clean", "etl": "transform",
    "cleaning": "clean", "tokenize": "encode", "encoding": "encode", "splitting": "split",
    "ingestion": "ingest", "download": "ingest",
}
MAX_NAME_CHARS = 128
_NON_FINITE_STRINGS = {math.inf: "Infinity", -math.inf: "-Infinity"}


class NotJsonSafe(UsageError, ValueError):
    """A metadata value cannot be stored as JSON under the chosen policy."""


def validate_job_type(job_type: str) -> str:
    """Return ``job_type`` if it is in the team vocabulary, else raise with the right word."""
    if job_type in ALL_JOB_TYPES:
        return job_type
    normalised = str(job_type).strip().lower()
    suggestion = _JOB_TYPE_SYNONYMS.get(normalised) or next(
        iter(difflib.get_close_matches(normalised, ALL_JOB_TYPES, n=1, cutoff=0.6)), None
    )
    hint = f' Did you mean "{suggestion}"?' if suggestion else ""
    raise UsageError(
        f'job_type "{job_type}" is not in the team vocabulary ({", ".join(ALL_JOB_TYPES)}).{hint}'
    )


def slugify(text: str) -> str:
    """Lower-case, dash-delimited identifier: safe for run, artifact and group names."""
    slug = re.sub(r"[^a-z0-9.]+", "-", str(text).strip().lower()).strip("-")
    return re.sub(r"-{2,}", "-", slug)


def utc_stamp(now: dt.datetime | None = None) -> str:
    """``2025-12-13T07-30-22Z``: an ISO-8601 UTC time with dashes (valid in every W&B name)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    if now.tzinfo is None:
        raise UsageError("utc_stamp needs a timezone-aware datetime (use datetime.now(timezone.utc)).")
    return now.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H-%M-%SZ")


def experiment_id(experiment: int | str) -> str:
    """``3`` -> ``exp-003``; ``"exp-003"`` stays as is."""
    if isinstance(experiment, int):
        if experiment < 0:
            raise UsageError(f"experiment number must be >= 0, got {experiment}.")
        return f"exp-{experiment:03d}"
    text = slugify(experiment)
    if not text:
        raise UsageError("experiment must be a number or a non-empty name such as 'exp-003'.")
    return text if text.startswith("exp-") else f"exp-{text}"


def _checked_name(name: str) -> str:
    if len(name) > MAX_NAME_CHARS:
        raise UsageError(f"name '{name[:40]}...' has {len(name)} characters; W&B names must stay under {MAX_NAME_CHARS}.")
    return name


def run_name(experiment: int | str, job_type: str, *, now: dt.datetime | None = None) -> str:
    """Experiment/evaluation run name: ``exp-003-train-2025-12-13T07-30-22Z``."""
    return _checked_name(f"{experiment_id(experiment)}-{validate_job_type(job_type)}-{utc_stamp(now)}")


def data_op_run_name(job_type: str, info: str, dataset: str) -> str:
    """Data-op run name: ``encode-head-tail-phishing-texts``."""
    parts = [validate_job_type(job_type), slugify(info), slugify(dataset)]
    return _checked_name("-".join(part for part in parts if part))


def make_config(params: Mapping[str, Any], meta: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The nested ``{"params": ..., "meta": ...}`` run config, JSON-safe (non-finite values refused)."""
    if not isinstance(params, Mapping):
        raise UsageError(f"params must be a mapping of settings, got {type(params).__name__}.")
    return {
        "params": json_safe(dict(params), non_finite="raise", path="params"),
        "meta": json_safe(dict(meta or {}), non_finite="raise", path="meta"),
    }


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
