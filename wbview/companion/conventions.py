"""The seed guide's conventions as small helpers: run names, the job-type vocabulary,
the ``{"params": ..., "meta": ...}`` config and JSON-safe metadata.
(JSON-safe metadata: ``wbview.formats.jsonsafe.json_safe``.)
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping
from typing import Any

from wbview.errors import UsageError
from wbview.formats.jsonsafe import json_safe

JOB_TYPES: dict[str, tuple[str, ...]] = {
    "training": ("pre-train", "train", "fine-tune"),
    "evaluation": ("eval", "test", "inference"),
    "data ops": ("ingest", "clean", "encode", "transform", "split"),
}
ALL_JOB_TYPES: tuple[str, ...] = tuple(job for jobs in JOB_TYPES.values() for job in jobs)

# Spellings teams actually use for the same thing, mapped to the vocabulary word.
_JOB_TYPE_SYNONYMS = {
    "pretrain": "pre-train",
    "pretraining": "pre-train",
    "training": "train",
    "finetune": "fine-tune",
    "finetuning": "fine-tune",
    "fine_tune": "fine-tune",
    "evaluation": "eval",
    "evaluate": "eval",
    "validation": "eval",
    "val": "eval",
    "testing": "test",
    "predict": "inference",
    "prediction": "inference",
    "preprocessing": "clean",
    "data_prep": "clean",
    "clean-data": "clean",
    "etl": "transform",
    "cleaning": "clean",
    "tokenize": "encode",
    "encoding": "encode",
    "splitting": "split",
    "ingestion": "ingest",
    "download": "ingest",
}
MAX_NAME_CHARS = 128


def validate_job_type(job_type: str) -> str:
    """Return ``job_type`` if it is in the team vocabulary, else raise with the right word."""
    if job_type in ALL_JOB_TYPES:
        return job_type
    normalised = str(job_type).strip().lower()
    suggestion = _JOB_TYPE_SYNONYMS.get(normalised) or next(
        iter(difflib.get_close_matches(normalised, ALL_JOB_TYPES, n=1, cutoff=0.6)), None
    )
    hint = f' Did you mean "{suggestion}"?' if suggestion else ""
    raise UsageError(f'job_type "{job_type}" is not in the team vocabulary ({", ".join(ALL_JOB_TYPES)}).{hint}')


def slugify(text: str) -> str:
    """Lower-case, dash-delimited identifier: safe for run, artifact and group names."""
    slug = re.sub(r"[^a-z0-9.]+", "-", str(text).strip().lower()).strip("-")
    return re.sub(r"-{2,}", "-", slug)


def utc_stamp(now: dt.datetime | None = None) -> str:
    """``2025-12-13T07-30-22Z``: an ISO-8601 UTC time with dashes (valid in every W&B name)."""
    now = now or dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        raise UsageError("utc_stamp needs a timezone-aware datetime (use datetime.now(timezone.utc)).")
    return now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H-%M-%SZ")


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
