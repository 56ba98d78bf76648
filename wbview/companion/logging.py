"""Log an eval table and its headline metrics to a W&B run, with a local copy that
survives any W&B failure.

What ``log_eval_table`` does, in order:
1. Writes locally (always): ``<local_dir>/<run id or local-stamp>/<key-slug>[-step-N]/``
   holding ``<key-slug>.parquet`` (every row), ``<key-slug>.table.json`` (at most
   200,000 rows, W&B's format), ``metrics.json`` and ``metadata.json``. ``local_dir``
   defaults to ``$WBVIEW_EVAL_DIR`` or ``./wbview-eval``.
2. If there is a usable run (online or offline; not disabled): writes the metrics to
   ``run.summary`` under the table's namespace (``summary_namespace``: ``eval/`` for the
   default key ``eval/predictions``, ``<key>/`` for any other key, so several tables in
   one run keep separate summaries; ``namespace=`` overrides it); declares the model and dataset artifacts with
   ``run.use_artifact`` (offline W&B refuses: a warning, and the names are kept in the
   metadata's ``lineage``); logs an artifact of type ``predictions`` with entries
   ``<key>.table.json`` and ``<key>.parquet``; and, unless ``show_in_workspace=False``,
   logs the table under ``key`` so the run's workspace shows it (a plain ``wandb.Table``
   whose serialisers hand wandb the already-built JSON, so no per-row type inference):
   wandb's ``run_table`` artifact then holds a reference to our entry (no copy), and
   wandb writes its media copy of the first 10,000 rows into the run's files.
3. Any W&B failure becomes a warning naming the local copy; the evaluation goes on.
   Every W&B call runs against one deadline (``timeout``, default 5 s, see
   ``wbview.companion.deadline``): past it, log_eval_table stops waiting, keeps the
   local copy and warns with the command that uploads it later
   (``wbview upload <folder>``, i.e. ``wbview.companion.upload_local``).
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from wbview.formats.jsonsafe import json_safe
from wbview.formats.manifest import METADATA_KEY, TableManifest
from wbview.formats.tablejson import MAX_ARTIFACT_ROWS, TABLE_SUFFIX, table_json
from wbview.settings import wbview_env

from .builder import EvalTableBuilder, repair_text
from .conventions import slugify, utc_stamp
from .deadline import Deadline, WandbTimeout, active_run, require_wandb, wandb_timeout
from .metrics import namespaced

DEFAULT_KEY = "eval/predictions"
DEFAULT_NAMESPACE = "eval/"
PREDICTIONS_TYPE = "predictions"


def summary_namespace(key: str, namespace: str | None = None) -> str:
    """Where a table's metrics go in ``run.summary``: ``namespace`` when given; else
    ``eval/`` for the default key (``eval/f1``, what the dashboard reads) and ``<key>/``
    for any other key (``eval/ood`` -> ``eval/ood/f1``)."""
    if namespace is not None:
        return namespace
    return DEFAULT_NAMESPACE if key == DEFAULT_KEY else key.rstrip("/") + "/"


@dataclass(frozen=True)
class LogResult:
    """Where everything went. ``logged_to_wandb`` is False when only local files exist."""

    key: str
    local_dir: Path
    parquet_path: Path
    table_json_path: Path
    metrics_path: Path
    metadata_path: Path
    metrics: dict[str, Any]
    nrows: int
    stored_rows: int
    truncated: bool
    logged_to_wandb: bool = False
    artifact_name: str | None = None
    lineage_declared: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)


def _artifact_label(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return getattr(value, "qualified_name", None) or getattr(value, "name", None) or str(value)


def artifact_metadata(
    *,
    run: Any = None,
    model: Any = None,
    dataset: Any = None,
    threshold: float | None = None,
    num_predictions: int | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Predictions metadata per the seed guide, plus the run's config and summary."""
    metadata: dict[str, Any] = {
        "model": _artifact_label(model),
        "dataset": _artifact_label(dataset),
        "threshold": threshold,
        "num_predictions": num_predictions,
    }
    if run is not None:
        metadata.update(run_identity(run))
        metadata["config"] = _safe_run_dict(run, "config")
        metadata["summary"] = _safe_run_dict(run, "summary")
    metadata.update(extra or {})
    return json_safe(metadata, non_finite="null")


def run_identity(run: Any) -> dict[str, Any]:
    """The run's id, name, project and entity (local attributes: no W&B round trip)."""
    identity: dict[str, Any] = {}
    for name in ("id", "name", "project", "entity"):
        try:
            value = getattr(run, name, None)
        except Exception:  # noqa: BLE001 - a run in an odd state must not stop the logging
            value = None
        identity[f"run_{name}"] = value if isinstance(value, (str, int)) else None
    return identity


def predictions_metadata(
    frame: pd.DataFrame,
    info: Mapping[str, Any],
    *,
    key: str,
    stored_rows: int,
    metrics: Mapping[str, Any],
    lineage: Mapping[str, Any],
    namespace: str | None = None,
) -> dict[str, Any]:
    """The predictions artifact's own metadata: label mapping, metrics, lineage and the
    ``wbview_table`` block the data layer reads (``info``: builder ``table_info()`` plus
    ``label_mapping``; ``stored_rows``: rows in the ``.table.json``)."""
    manifest = TableManifest.for_table(
        key,
        list(frame.columns),
        len(frame),
        stored_rows,
        {**info, "summary_namespace": summary_namespace(key, namespace)},
    )
    return {
        **{k: info[k] for k in ("id2label", "label2id") if k in info},
        "metrics": dict(metrics),
        "lineage": dict(lineage),
        METADATA_KEY: manifest.to_json(),
    }


def _safe_run_dict(run: Any, name: str) -> dict[str, Any]:
    try:
        value = getattr(run, name, None)
        if value is None:
            return {}
        # Look methods up on the type: wandb's Summary turns unknown attributes into KeyErrors.
        to_dict = getattr(type(value), "as_dict", None) or getattr(type(value), "_as_dict", None)
        as_dict = to_dict(value) if to_dict else dict(value.items())
    except Exception:  # noqa: BLE001 - a run object in an odd state must not stop the logging
        return {}
    return json_safe(as_dict, non_finite="null", path=name)


def _frame_and_info(table: EvalTableBuilder | pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any], dict[str, Any] | None]:
    if isinstance(table, EvalTableBuilder):
        frame = table.finalize()
        info = {**table.table_info(), **table.label_mapping}
        return frame, info, table.metrics()
    if isinstance(table, pd.DataFrame):
        info = dict(table.attrs.get("wbview", {}))
        repaired = {}
        for column in table.columns:
            if table[column].dtype == object:
                values, changed = repair_text(table[column].tolist())
                if changed:
                    repaired[column] = values
                    info["text_cells_repaired"] = info.get("text_cells_repaired", 0) + changed
        if repaired:
            warnings.warn(
                f"{info['text_cells_repaired']} text cell(s) could not be encoded as UTF-8 (lone surrogates); those "
                "characters were replaced by U+FFFD (counted in the table metadata as text_cells_repaired).",
                UserWarning,
                stacklevel=3,
            )
            table = table.assign(**repaired)
        return table, info, None
    raise TypeError(f"log_eval_table takes an EvalTableBuilder or a pandas DataFrame, got {type(table).__name__}.")


def _local_folder(local_dir: str | Path | None, run: Any, key: str, step: int | None) -> Path:
    base = Path(local_dir or wbview_env("WBVIEW_EVAL_DIR") or "wbview-eval")
    run_part = getattr(run, "id", None) or f"local-{utc_stamp()}"
    leaf = slugify(key) + (f"-step-{step}" if step is not None else "")
    folder = base / slugify(str(run_part)) / leaf
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_local(
    frame: pd.DataFrame, folder: Path, key: str, metrics: Mapping[str, Any], max_table_rows: int = MAX_ARTIFACT_ROWS
) -> dict[str, Any]:
    """Write Parquet (all rows), ``.table.json`` (capped), metrics; returns paths and counts."""
    stem = slugify(key)
    parquet_path = folder / f"{stem}.parquet"
    table_path = folder / f"{stem}{TABLE_SUFFIX}"
    metrics_path = folder / "metrics.json"
    frame.to_parquet(parquet_path, index=False)
    table_obj = table_json(frame, max_table_rows)
    # json.dumps runs the C encoder; json.dump to a file would use the slow pure-Python one.
    table_path.write_text(json.dumps(table_obj, allow_nan=False, separators=(",", ":")), encoding="utf-8")
    metrics_path.write_text(json.dumps(json_safe(dict(metrics), non_finite="null"), indent=2), encoding="utf-8")
    return {
        "parquet_path": parquet_path,
        "table_json_path": table_path,
        "metrics_path": metrics_path,
        "table_obj": table_obj,
        "stored_rows": table_obj["nrows"],
    }


def log_eval_table(
    table: EvalTableBuilder | pd.DataFrame,
    *,
    run: Any = None,
    key: str = DEFAULT_KEY,
    namespace: str | None = None,
    metrics: Mapping[str, Any] | None = None,
    model: Any = None,
    dataset: Any = None,
    artifact_name: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    step: int | None = None,
    local_dir: str | Path | None = None,
    show_in_workspace: bool = True,
    max_table_rows: int = MAX_ARTIFACT_ROWS,
    timeout: float | None = None,
) -> LogResult:
    """Log ``table`` (a builder, finalised here, or a DataFrame) and its metrics.

    ``run`` defaults to the active ``wandb.run``. ``metrics`` defaults to the
    builder's metrics; they go to ``run.summary`` under ``summary_namespace(key,
    namespace)``. ``model``/``dataset``: artifact names (or Artifact
    objects) used for lineage and metadata. ``timeout``: the most seconds spent
    waiting for W&B (default 5 s or ``$WBVIEW_COMPANION_TIMEOUT_S``). Never raises because
    of W&B and never waits on it past the deadline.
    """
    timeout = wandb_timeout(timeout)
    frame, info, builder_metrics = _frame_and_info(table)
    namespace = summary_namespace(key, namespace)
    headline = dict(metrics if metrics is not None else builder_metrics or {})
    run = run if run is not None else active_run()
    folder = _local_folder(local_dir, run, key, step)
    local = write_local(frame, folder, key, headline, max_table_rows)
    nrows, stored_rows = len(frame), local["stored_rows"]
    truncated = stored_rows < nrows
    notes: list[str] = []
    if truncated:
        notes.append(
            f"{key}: the W&B table holds the first {stored_rows:,} of {nrows:,} rows (W&B's limit); the Parquet copy holds all rows."
        )
    lineage = {"model": _artifact_label(model), "dataset": _artifact_label(dataset), "declared": False}
    extra = {
        **predictions_metadata(
            frame, info, key=key, stored_rows=stored_rows, metrics=headline, lineage=lineage, namespace=namespace
        ),
        **(metadata or {}),
    }
    threshold = headline.get("threshold", info.get("threshold"))
    usable, reason = _usable_run(run)
    outcome: dict[str, Any] = {}
    run_metadata: dict[str, Any] | None = None
    if usable:
        try:
            outcome = log_files_to_wandb(
                run,
                nrows,
                local,
                key=key,
                namespace=namespace,
                headline=headline,
                model=model,
                dataset=dataset,
                artifact_name=artifact_name,
                threshold=threshold,
                extra=extra,
                notes=notes,
                show_in_workspace=show_in_workspace,
                deadline=Deadline(run, timeout),
            )
            run_metadata = outcome["metadata"]
        except WandbTimeout as exc:
            reason = str(exc)
        except Exception as exc:  # noqa: BLE001 - never break the evaluation because of W&B
            reason = f"logging to W&B failed ({type(exc).__name__}: {exc})"
    if run_metadata is None:
        identity = run_identity(run) if run is not None and not getattr(run, "disabled", False) else {}
        run_metadata = artifact_metadata(
            model=model, dataset=dataset, threshold=threshold, num_predictions=nrows, extra={**identity, **extra}
        )
    metadata_path = folder / "metadata.json"
    metadata_path.write_text(json.dumps(run_metadata, indent=2), encoding="utf-8")
    if not outcome:
        upload = (
            f"; upload them later with `wbview upload {folder}` (wbview.companion.upload_local)"
            if run is not None and usable
            else ""
        )
        notes.append(
            f"{reason}: the eval table and metrics were written locally to {folder} (Parquet, .table.json, metrics.json){upload}."
        )
    for note in notes:
        warnings.warn(note, stacklevel=2)
    return LogResult(
        key=key,
        local_dir=folder,
        parquet_path=local["parquet_path"],
        table_json_path=local["table_json_path"],
        metrics_path=local["metrics_path"],
        metadata_path=metadata_path,
        metrics=namespaced(headline, namespace),
        nrows=nrows,
        stored_rows=stored_rows,
        truncated=truncated,
        logged_to_wandb=bool(outcome),
        artifact_name=outcome.get("artifact_name"),
        lineage_declared=tuple(outcome.get("declared", ())),
        warnings=tuple(notes),
    )


def _usable_run(run: Any) -> tuple[bool, str]:
    if run is None:
        return False, "no active W&B run (pass run= or call wandb.init first)"
    if getattr(run, "disabled", False):
        return False, "the W&B run is disabled (mode='disabled')"
    if getattr(run, "_is_finished", False):
        return False, "the W&B run has already finished"
    return True, ""


def log_files_to_wandb(
    run: Any,
    nrows: int,
    local: Mapping[str, Any],
    *,
    key: str,
    namespace: str,
    headline: Mapping[str, Any],
    model: Any,
    dataset: Any,
    artifact_name: str | None,
    threshold: Any,
    extra: dict[str, Any],
    notes: list[str],
    show_in_workspace: bool,
    deadline: Deadline,
) -> dict[str, Any]:
    """Log a table's local files (``local``: ``parquet_path``, ``table_json_path``,
    ``table_obj``) and metrics to ``run``. Every call on ``run`` goes through
    ``deadline`` (raises ``WandbTimeout`` past it). Returns the artifact name, the
    declared lineage and the artifact's metadata."""
    wandb = require_wandb()
    if headline:
        summary = json_safe(namespaced(headline, namespace), non_finite="null")
        deadline.call("updating run.summary", lambda: run.summary.update(summary))
    declared = _declare_lineage(run, model, dataset, extra["lineage"], notes, deadline)
    metadata = deadline.call(
        "reading the run's config and summary",
        lambda: artifact_metadata(run=run, model=model, dataset=dataset, threshold=threshold, num_predictions=nrows, extra=extra),
    )
    name = (artifact_name or f"{slugify(key)}-{run.id}")[:128]
    artifact = wandb.Artifact(
        name=name,
        type=PREDICTIONS_TYPE,
        description=f"Per-sample evaluation table '{key}' ({nrows:,} rows).",
        metadata=metadata,
    )
    artifact.add_file(str(local["table_json_path"]), name=extra[METADATA_KEY]["table_entry"])
    artifact.add_file(str(local["parquet_path"]), name=extra[METADATA_KEY]["parquet_entry"])
    deadline.call(f"logging the predictions artifact '{name}'", lambda: run.log_artifact(artifact))
    if show_in_workspace:
        try:
            workspace_table = precomputed_table(local["table_obj"])
            # Points wandb's run_table at our artifact's entry: a reference, not a second copy.
            workspace_table._set_artifact_target(artifact, extra[METADATA_KEY]["table_entry"])
            deadline.call(f"showing '{key}' in the run's workspace", lambda: run.log({key: workspace_table}))
        except WandbTimeout:
            raise
        except Exception as exc:  # noqa: BLE001 - the artifact is what matters; the workspace view is a bonus
            notes.append(
                f"{key}: could not show the table in the run's workspace ({type(exc).__name__}: {exc}); the artifact '{name}' has it."
            )
    return {"artifact_name": name, "declared": declared, "metadata": metadata}


def _declare_lineage(
    run: Any,
    model: Any,
    dataset: Any,
    lineage: dict[str, Any],
    notes: list[str],
    deadline: Deadline,
) -> list[str]:
    declared: list[str] = []
    for role, value in (("model", model), ("dataset", dataset)):
        if value is None:
            continue
        label = _artifact_label(value)
        try:
            deadline.call(f"declaring the {role} '{label}' with run.use_artifact", functools.partial(run.use_artifact, value))
            declared.append(label or role)
        except WandbTimeout:
            raise
        except TypeError as exc:  # offline mode: "Cannot use artifact when in offline mode."
            lineage["reason"] = str(exc)
            notes.append(f"lineage for {role} '{label}' not recorded ({exc}); its name is kept in the artifact metadata.")
        except Exception as exc:  # noqa: BLE001 - unknown artifact, network: keep going
            lineage["reason"] = f"{type(exc).__name__}: {exc}"
            notes.append(f"lineage for {role} '{label}' not recorded ({type(exc).__name__}: {exc}).")
    lineage["declared"] = bool(declared) and len(declared) == sum(v is not None for v in (model, dataset))
    return declared


def precomputed_table(table_obj: dict[str, Any]) -> Any:
    """A plain ``wandb.Table`` that serialises to ``table_obj`` without re-typing any row.

    Deliberately not a subclass: wandb maps ``_log_type`` "table" to the last
    ``wandb.Table`` subclass it finds, so a subclass would hijack ``artifact.get`` for
    every table in the process. This instance overrides three methods on itself only.
    """
    wandb = require_wandb()
    from wandb.sdk.data_types.base_types.media import Media

    table = wandb.Table(columns=list(table_obj["columns"]))

    def _to_table_json(max_rows: int | None = None, warn: bool = True) -> dict[str, Any]:
        limit = wandb.Table.MAX_ROWS if max_rows is None else max_rows
        return {"columns": table.columns, "data": table_obj["data"][:limit]}

    def bind_to_run(*args: Any, **kwargs: Any) -> None:
        # The run's media file holds wandb's usual first MAX_ROWS rows.
        handle, tmp_path = tempfile.mkstemp(suffix=".table.json")
        with os.fdopen(handle, "w", encoding="utf-8") as tmp:
            tmp.write(json.dumps(_to_table_json(), allow_nan=False, separators=(",", ":")))
        table._set_file(tmp_path, is_tmp=True, extension=".table.json")
        Media.bind_to_run(table, *args, **kwargs)

    def to_json(run_or_artifact: Any) -> dict[str, Any]:
        if isinstance(run_or_artifact, wandb.Artifact):
            return table_obj
        json_dict = Media.to_json(table, run_or_artifact)
        json_dict.update(
            {"_type": "table-file", "ncols": len(table.columns), "nrows": table_obj["nrows"], "log_mode": "IMMUTABLE"}
        )
        return json_dict

    table._to_table_json, table.bind_to_run, table.to_json = _to_table_json, bind_to_run, to_json
    return table
