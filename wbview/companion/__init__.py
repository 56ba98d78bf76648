"""wbview.companion: log evaluation tables fast from a PyTorch loop or a HF Trainer.

Importing this package needs only numpy and pandas: wandb, torch and transformers are
imported when first used (a missing one raises ``MissingDependency`` with the pip
command). It never imports streamlit.

    builder = EvalTableBuilder(["ham", "phishing"], positive_class="phishing")
    for batch in loader:
        builder.add_batch(logits=model(batch["x"]), labels=batch["y"], texts=batch["text"])
    result = log_eval_table(builder, run=run, model="clf:v3", dataset="texts:v2")
"""

from __future__ import annotations

import importlib
from typing import Any

from wbview.formats.jsonsafe import NotJsonSafe, json_safe
from wbview.formats.tablejson import MAX_ARTIFACT_ROWS, table_json, write_table_json

from .builder import EvalArrays, EvalTableBuilder
from .conventions import (
    ALL_JOB_TYPES,
    JOB_TYPES,
    data_op_run_name,
    make_config,
    run_name,
    slugify,
    utc_stamp,
    validate_job_type,
)
from .deadline import DEFAULT_FINISH_TIMEOUT_S, DEFAULT_TIMEOUT_S, WandbTimeout, finish_run, start_run
from .metrics import METRIC_NAMES, classification_metrics, namespaced

# Names whose modules import optional packages on use; resolved lazily.
_LAZY = {
    "log_eval_table": "logging",
    "LogResult": "logging",
    "artifact_metadata": "logging",
    "predictions_metadata": "logging",
    "write_local": "logging",
    "summary_namespace": "logging",
    "upload_local": "upload",
    "UploadResult": "upload",
    "EvalTableCallback": "hf",
    "add_eval_table_logging": "hf",
}

__all__ = [
    "ALL_JOB_TYPES",
    "DEFAULT_FINISH_TIMEOUT_S",
    "DEFAULT_TIMEOUT_S",
    "JOB_TYPES",
    "MAX_ARTIFACT_ROWS",
    "METRIC_NAMES",
    "EvalArrays",
    "EvalTableBuilder",
    "NotJsonSafe",
    "classification_metrics",
    "data_op_run_name",
    "json_safe",
    "make_config",
    "namespaced",
    "run_name",
    "slugify",
    "table_json",
    "utc_stamp",
    "validate_job_type",
    "WandbTimeout",
    "finish_run",
    "start_run",
    "write_table_json",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
