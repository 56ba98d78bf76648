"""wandb public-API objects -> wbview's frozen records, at the boundary: nothing
downstream can trigger a request by touching an attribute."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, cast

from wbview.errors import BadPath
from wbview.formats.tablejson import MAX_ARTIFACT_ROWS, TABLE_SUFFIX
from wbview.records import CES_EVAL_TABLE_ARTIFACT, EVAL_TABLE_ARTIFACT, ArtifactFile, ArtifactVersion, Run, TableKind, TableRef

# Summary entries of tables: "table-file" (run.log of a table), "incremental-table-file"
# (log_mode="INCREMENTAL"), pointers at a logged PartitionedTable / JoinedTable, and
# wandb.EvalTable (preview) pointers into W&B Weave: "eval-table" (an evaluate call id) or
# "eval-table-ces" (an evaluation version id).
TABLE_FILE_TYPES = ("table-file", "incremental-table-file", "partitioned-table", "joined-table", "eval-table", "eval-table-ces")
SUMMARY_KINDS = {
    "incremental-table-file": "incremental",
    "partitioned-table": "partitioned",
    "joined-table": "joined",
    "eval-table": "eval-table",
    "eval-table-ces": "eval-table",
}


CLIENT_ARTIFACT_PATH = re.compile(r"^wandb-client-artifact://(?P<artifact>[^/]+)/(?P<entry>.+)$")


def run_record(wandb_run: Any, entity: str, project: str) -> Run:
    """A frozen Run from a wandb public-API run loaded with config and summary."""
    config = {k: v for k, v in dict(wandb_run.config or {}).items() if k not in ("_wandb", "wandb_version")}
    summary: dict[str, Any] = {}
    tables: list[TableRef] = []
    for key, value in dict(wandb_run.summary_metrics or {}).items():
        if isinstance(value, Mapping) and value.get("_type") in TABLE_FILE_TYPES:
            tables.append(summary_table_ref(wandb_run.id, key, value))
        elif key != "_wandb":
            summary[key] = value
    return Run(
        id=wandb_run.id,
        entity=entity,
        project=project,
        name=getattr(wandb_run, "name", None) or wandb_run.id,
        group=getattr(wandb_run, "group", None) or None,
        job_type=getattr(wandb_run, "job_type", None) or None,
        tags=tuple(getattr(wandb_run, "tags", None) or ()),
        state=getattr(wandb_run, "state", None),
        created_at=parse_time(getattr(wandb_run, "created_at", None)),
        url=safe_url(wandb_run),
        config=config,
        summary=summary,
        tables=tuple(tables),
    )


def summary_table_ref(run_id: str, key: str, entry: Mapping[str, Any]) -> TableRef:
    """A TableRef from a summary ``table-file`` entry. The artifact is the run_table
    collection wandb names after the run and key, at "latest" until ``tables()``
    resolves it against what the run logged (the summary only holds client ids)."""
    table_entry = f"{key}{TABLE_SUFFIX}"
    for field in ("_latest_artifact_path", "artifact_path"):
        match = CLIENT_ARTIFACT_PATH.match(str(entry.get(field) or ""))
        if match:
            table_entry = match["entry"]
            break
    nrows = entry.get("nrows") if isinstance(entry.get("nrows"), int) else None
    kind = SUMMARY_KINDS.get(str(entry.get("_type")), "table")
    if kind == "eval-table":
        if entry.get("_type") == "eval-table-ces":
            artifact = f"{CES_EVAL_TABLE_ARTIFACT}:{entry.get('evaluation_version_id') or 'unknown'}"
        else:
            artifact = f"{EVAL_TABLE_ARTIFACT}:{entry.get('evaluate_call_id') or 'unknown'}"
        return TableRef(run_id=run_id, key=key, artifact=artifact, entry=key, nrows=nrows, kind="eval-table")
    # wandb stores at most MAX_ARTIFACT_ROWS rows in the artifact copy (per increment for INCREMENTAL).
    stored = min(nrows, MAX_ARTIFACT_ROWS) if nrows is not None and nrows > MAX_ARTIFACT_ROWS and kind == "table" else None
    name = run_table_name(run_id, f"incr-{key}") if kind == "incremental" else run_table_name(run_id, key)
    return TableRef(
        run_id=run_id,
        key=key,
        artifact=f"{name}:latest",
        entry=table_entry,
        nrows=nrows,
        stored_rows=stored,
        kind=cast(TableKind, kind),  # SUMMARY_KINDS holds TableKind values only
    )


def run_table_name(run_id: str, key: str) -> str:
    """The collection wandb gives a table logged under ``key`` ("run-<id>-<key>",
    characters outside [A-Za-z0-9_.-] dropped, plus a checksum suffix if any were).
    INCREMENTAL tables: ``run_table_name(run_id, "incr-" + key)``."""
    name = f"run-{run_id}-{key}"
    try:
        from wandb.sdk.artifacts._internal_artifact import sanitize_artifact_name
    except ImportError:  # another wandb layout: without the suffix, tables() still resolves by entry
        return re.sub(r"[^a-zA-Z0-9_\-.]+", "", name)
    return sanitize_artifact_name(name)


def artifact_record(
    art: Any,
    entity: str,
    project: str,
    files: Iterable[ArtifactFile] = (),
    logged_by: str | None = None,
    used_by: Iterable[str] = (),
) -> ArtifactVersion:
    version = getattr(art, "version", None) or stable_id(art).rpartition(":")[2]
    return ArtifactVersion(
        entity=entity,
        project=project,
        name=collection_name(art),
        version=version,
        type=art.type,
        aliases=tuple(a for a in (getattr(art, "aliases", None) or ()) if isinstance(a, str)),
        description=getattr(art, "description", None) or None,
        metadata=metadata_of(art),
        size_bytes=getattr(art, "size", None),
        digest=getattr(art, "digest", None),
        created_at=parse_time(getattr(art, "created_at", None)),
        files=tuple(files),
        logged_by=logged_by,
        used_by=tuple(dict.fromkeys(used_by)),
    )


def parse_time(value: Any) -> datetime | None:
    """W&B timestamps ("2025-12-01T08:53:28", UTC without offset) as aware datetimes."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def stable_id(art: Any) -> str:
    """ "name:vN" even when the artifact was fetched by an alias."""
    source_name = getattr(art, "source_name", None) or getattr(art, "name", "")
    name, _, version = str(source_name).partition(":")
    art_version = getattr(art, "version", None)
    if art_version and re.fullmatch(r"v\d+", str(art_version)):
        version = art_version
    return f"{name}:{version}" if version else name


def collection_name(art: Any) -> str:
    return stable_id(art).partition(":")[0]


def version_number(art: ArtifactVersion) -> int:
    digits = art.version.lstrip("v")
    return int(digits) if digits.isdigit() else -1


def metadata_of(art: Any) -> dict[str, Any]:
    meta = getattr(art, "metadata", None) or {}
    if isinstance(meta, str):
        try:
            meta = json.loads(meta)
        except ValueError:
            return {}
    return dict(meta) if isinstance(meta, Mapping) else {}


def file_record(file: Any) -> ArtifactFile:
    size = getattr(file, "size", None)
    return ArtifactFile(
        path=file.name,
        size_bytes=int(size) if isinstance(size, (int, float)) else None,
        digest=getattr(file, "digest", None) or getattr(file, "md5", None),
    )


def split_project(project: str) -> tuple[str, str]:
    entity, sep, name = (project or "").partition("/")
    if not sep or not entity or not name or "/" in name:
        raise BadPath(
            f"{project!r} is not ENTITY/PROJECT (your W&B entity or team, a slash, then the project; "
            "set WANDB_ENTITY to type the project name alone)."
        )
    return entity, name


def safe_url(wandb_run: Any) -> str | None:
    try:
        return str(wandb_run.url)
    except Exception:  # noqa: BLE001 - a URL is a nicety, never a failure
        return None
