"""Upload eval tables that ``log_eval_table`` kept locally (W&B was off, unreachable or
stopped answering) to W&B later: ``upload_local(folder)`` (the ``wbview upload FOLDER``
command).

``folder`` is one table folder (``<local_dir>/<run>/<key>/``), a run's folder or the
whole local directory: every table folder below it (one holding ``metadata.json`` with a
``wbview_table`` block, ``metrics.json``, the ``.table.json`` and the Parquet file) is
uploaded. Tables of a W&B run are logged to that run again (``wandb.init(id=...,
resume="allow")``, project and entity from the metadata unless given); tables written
with no run go to one new ``eval`` run. Each table gets what ``log_eval_table`` would
have logged: its metrics in ``run.summary`` (same namespace), the ``predictions``
artifact with both files and metadata, and the workspace table. Every W&B call has the
companion's deadline; the local files are never changed or removed.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wbview.errors import RequestTimeout, UsageError
from wbview.formats.manifest import METADATA_KEY
from wbview.formats.tablejson import TABLE_SUFFIX

from .deadline import Deadline, WandbTimeout, finish_run, start_run, wandb_timeout
from .logging import _usable_run, log_files_to_wandb, summary_namespace

# Metadata keys that describe the run or the call that wrote the folder; the upload
# writes its own (the artifact metadata is rebuilt from the rest).
_PER_CALL_KEYS = (
    "run_id",
    "run_name",
    "run_project",
    "run_entity",
    "config",
    "summary",
    "model",
    "dataset",
    "threshold",
    "num_predictions",
)


@dataclass(frozen=True)
class UploadResult:
    """One uploaded table folder."""

    folder: Path
    key: str
    run_id: str | None
    artifact_name: str | None
    uploaded: bool
    warnings: tuple[str, ...] = ()


def find_table_folders(local_dir: str | Path) -> list[Path]:
    """Every folder at or below ``local_dir`` that ``log_eval_table`` wrote, sorted."""
    root = Path(local_dir)
    if not root.exists():
        raise UsageError(f"{root} does not exist; give the folder that log_eval_table wrote (its warning names it).")
    candidates = [root / "metadata.json"] if (root / "metadata.json").exists() else sorted(root.rglob("metadata.json"))
    folders = [path.parent for path in candidates if _is_table_folder(path.parent)]
    if not folders:
        raise UsageError(f"{root} holds no eval table written by log_eval_table (no metadata.json with a wbview_table block).")
    return folders


def _is_table_folder(folder: Path) -> bool:
    try:
        metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(metadata, dict) and isinstance(metadata.get(METADATA_KEY), dict)


def _read_folder(folder: Path) -> dict[str, Any]:
    metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    table_meta = metadata[METADATA_KEY]
    key = str(table_meta["key"])
    tables = sorted(folder.glob(f"*{TABLE_SUFFIX}"))
    parquets = sorted(folder.glob("*.parquet"))
    if len(tables) != 1 or len(parquets) != 1 or not (folder / "metrics.json").exists():
        raise UsageError(f"{folder}: expected one .table.json, one .parquet and metrics.json (as log_eval_table writes them).")
    table_obj = json.loads(tables[0].read_text(encoding="utf-8"))
    return {
        "folder": folder,
        "key": key,
        "metadata": metadata,
        "table_meta": table_meta,
        "namespace": table_meta.get("summary_namespace") or summary_namespace(key),
        "metrics": json.loads((folder / "metrics.json").read_text(encoding="utf-8")),
        "local": {"parquet_path": parquets[0], "table_json_path": tables[0], "table_obj": table_obj},
    }


def upload_local(
    local_dir: str | Path,
    *,
    run: Any = None,
    project: str | None = None,
    entity: str | None = None,
    timeout: float | None = None,
    finish_timeout: float | None = None,
    show_in_workspace: bool = True,
    **init_kwargs: Any,
) -> list[UploadResult]:
    """Upload every locally kept eval table below ``local_dir``; see the module doc.

    ``run``: log into this run instead (it is not finished here). Otherwise runs are
    started with ``start_run`` (``init_kwargs`` go to ``wandb.init``; no offline
    fallback: when W&B does not answer, this raises and nothing is lost) and finished
    with ``finish_run``. ``timeout``: the deadline of each table's W&B calls.
    """
    entries = [_read_folder(folder) for folder in find_table_folders(local_dir)]
    limit = wandb_timeout(timeout)
    if run is not None:
        return [_upload_one(run, entry, limit, show_in_workspace) for entry in entries]
    groups: dict[tuple[Any, Any, Any], list[dict[str, Any]]] = {}
    for entry in entries:
        meta = entry["metadata"]
        groups.setdefault((meta.get("run_entity"), meta.get("run_project"), meta.get("run_id")), []).append(entry)
    results: list[UploadResult] = []
    for (run_entity, run_project, run_id), group in groups.items():
        options: dict[str, Any] = {"job_type": "eval", **init_kwargs}
        options.setdefault("project", project or run_project)
        options.setdefault("entity", entity or run_entity)
        if run_id:
            options.setdefault("id", run_id)
            options.setdefault("resume", "allow")
        try:
            target = start_run(timeout=limit, finish_timeout=finish_timeout, fallback=None, **options)
        except Exception as exc:
            cause = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
            raise RequestTimeout(
                f"W&B did not start run {run_id or '(new)'} within {limit:g} s ({cause}); nothing was uploaded from "
                f"{', '.join(str(e['folder']) for e in group)} and the local files are unchanged. Try again later "
                f"(or give a longer timeout)."
            ) from exc
        try:
            results.extend(_upload_one(target, entry, limit, show_in_workspace) for entry in group)
        finally:
            finish_run(target, timeout=finish_timeout)
    return results


def _upload_one(run: Any, entry: dict[str, Any], timeout: float, show_in_workspace: bool) -> UploadResult:
    usable, reason = _usable_run(run)
    if not usable:
        raise UsageError(f"cannot upload {entry['folder']}: {reason}.")
    metadata = entry["metadata"]
    extra = {k: v for k, v in metadata.items() if k not in _PER_CALL_KEYS}
    extra["lineage"] = {k: v for k, v in dict(metadata.get("lineage") or {}).items() if k != "reason"} | {"declared": False}
    notes: list[str] = []
    try:
        outcome = log_files_to_wandb(
            run,
            int(entry["table_meta"].get("nrows", 0)),
            entry["local"],
            key=entry["key"],
            namespace=entry["namespace"],
            headline=entry["metrics"],
            model=metadata.get("model"),
            dataset=metadata.get("dataset"),
            artifact_name=None,
            threshold=metadata.get("threshold"),
            extra=extra,
            notes=notes,
            show_in_workspace=show_in_workspace,
            deadline=Deadline(run, timeout),
        )
    except Exception as exc:  # noqa: BLE001 (a timeout or any W&B failure: reported per folder, files kept)
        cause = str(exc) if isinstance(exc, WandbTimeout) else f"uploading failed ({type(exc).__name__}: {exc})"
        message = f"{cause}: {entry['folder']} was not uploaded (its files are unchanged); try again later."
        warnings.warn(message, UserWarning, stacklevel=3)
        return UploadResult(entry["folder"], entry["key"], getattr(run, "id", None), None, False, (*notes, message))
    for note in notes:
        warnings.warn(note, UserWarning, stacklevel=3)
    return UploadResult(entry["folder"], entry["key"], getattr(run, "id", None), outcome["artifact_name"], True, tuple(notes))
