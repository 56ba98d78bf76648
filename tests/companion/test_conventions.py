"""Seed-guide conventions: run names, job types, params/meta config, JSON-safe metadata."""

from __future__ import annotations

import datetime as dt
import enum
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.paths import REPO
from wbview.companion import (
    ALL_JOB_TYPES,
    NotJsonSafe,
    data_op_run_name,
    json_safe,
    make_config,
    run_name,
    validate_job_type,
)
from wbview.errors import UsageError

NOW = dt.datetime(2025, 12, 13, 7, 30, 22, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "experiment, job_type, expected",
    [
        (3, "train", "exp-003-train-2025-12-13T07-30-22Z"),
        ("exp-003", "eval", "exp-003-eval-2025-12-13T07-30-22Z"),
        (12, "fine-tune", "exp-012-fine-tune-2025-12-13T07-30-22Z"),
        ("ablation A", "test", "exp-ablation-a-test-2025-12-13T07-30-22Z"),
    ],
)
def test_run_name(experiment, job_type, expected):
    assert run_name(experiment, job_type, now=NOW) == expected


def test_run_name_converts_other_timezones_to_utc():
    local = dt.datetime(2025, 12, 13, 9, 30, 22, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert run_name(3, "train", now=local) == "exp-003-train-2025-12-13T07-30-22Z"
    with pytest.raises(UsageError, match="timezone-aware"):
        run_name(3, "train", now=dt.datetime(2025, 1, 1))


def test_data_op_run_name():
    assert data_op_run_name("encode", "head tail", "phishing_texts") == "encode-head-tail-phishing-texts"
    with pytest.raises(UsageError, match="under 128"):
        data_op_run_name("clean", "x" * 200, "d")


@pytest.mark.parametrize("job_type", ALL_JOB_TYPES)
def test_vocabulary_job_types_pass(job_type):
    assert validate_job_type(job_type) == job_type


@pytest.mark.parametrize(
    "job_type, suggestion",
    [
        ("preprocessing", "clean"),
        ("data_prep", "clean"),
        ("etl", "transform"),
        ("evaluation", "eval"),
        ("finetune", "fine-tune"),
        ("trian", "train"),
    ],
)
def test_other_job_types_are_refused_with_a_suggestion(job_type, suggestion):
    with pytest.raises(UsageError, match=f'Did you mean "{suggestion}"'):
        validate_job_type(job_type)


def test_make_config_nests_params_and_meta():
    config = make_config({"lr": np.float32(1e-4), "splits": (0.8, 0.2)}, {"labels": ["ham", "phishing"], "out": Path("/x")})
    assert config == {
        "params": {"lr": pytest.approx(1e-4), "splits": [0.8, 0.2]},
        "meta": {"labels": ["ham", "phishing"], "out": "/x"},
    }
    json.dumps(config, allow_nan=False)
    with pytest.raises(NotJsonSafe, match=r"params\.lr is nan"):
        make_config({"lr": float("nan")})


class Colour(enum.Enum):
    RED = "red"


def test_json_safe_converts_library_types():
    torch = pytest.importorskip("torch")
    value = {
        "np_int": np.int64(3),
        "np_float": np.float64(0.5),
        "np_bool": np.bool_(True),
        "arr": np.arange(3),
        "tensor": torch.tensor([1.5, 2.5]),
        "scalar_tensor": torch.tensor(7),
        "ts": pd.Timestamp("2025-01-02T03:04:05Z"),
        "series": pd.Series([1, 2]),
        "when": NOW,
        "day": dt.date(2025, 1, 2),
        "path": Path("/tmp/a"),
        "colour": Colour.RED,
        "tuple": (1, 2),
        "set": {"b", "a"},
        5: "int key",
        "nested": {"inner": [np.float32(0.25)]},
    }
    out = json_safe(value)
    assert out == {
        "np_int": 3,
        "np_float": 0.5,
        "np_bool": True,
        "arr": [0, 1, 2],
        "tensor": [1.5, 2.5],
        "scalar_tensor": 7,
        "ts": "2025-01-02T03:04:05+00:00",
        "series": [1, 2],
        "when": "2025-12-13T07:30:22+00:00",
        "day": "2025-01-02",
        "path": "/tmp/a",
        "colour": "red",
        "tuple": [1, 2],
        "set": ["a", "b"],
        "5": "int key",
        "nested": {"inner": [0.25]},
    }
    json.dumps(out, allow_nan=False)


def test_non_finite_policy():
    value = {"loss": float("nan"), "hist": [1.0, np.float64(np.inf)], "ok": 1.0}
    with pytest.warns(UserWarning, match=r"metadata\.loss, metadata\.hist\[1\]"):
        assert json_safe(value) == {"loss": None, "hist": [1.0, None], "ok": 1.0}
    assert json_safe(value, non_finite="string") == {"loss": "NaN", "hist": [1.0, "Infinity"], "ok": 1.0}
    assert json_safe(-math.inf, non_finite="string") == "-Infinity"
    with pytest.raises(NotJsonSafe, match=r"metadata\.hist\[1\] is inf"):
        json_safe({"hist": value["hist"]}, non_finite="raise")


def test_unknown_objects_are_refused_not_stringified():
    with pytest.raises(NotJsonSafe, match=r"metadata\.model: cannot store a .*object"):
        json_safe({"model": object()})


def test_importing_the_companion_never_imports_streamlit_wandb_or_torch():
    code = (
        "import sys, wbview.companion as c; c.EvalTableBuilder; "
        "print(sorted(m for m in ('streamlit', 'wandb', 'torch', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"
