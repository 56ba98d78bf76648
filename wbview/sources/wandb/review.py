"""Triage marks on W&B: each save logs a new version of a ``review`` artifact.

The artifact is named ``review-<predictions artifact name>`` and logged by a run with
job_type ``review`` that uses the predictions artifact, so the lineage graph links the
review to the table it annotates and W&B records who saved it and when. Versions are
never rewritten: two people saving at once make two versions, and loading reads every
version and hands all their marks over (``wbview.analysis.marks.merge`` merges them).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wbview.errors import ArtifactNotFound, MissingDependency, NotFound
from wbview.formats.marks import BadMarks, Mark, from_document, to_document
from wbview.sources.wandb.calls import TELEMETRY_ENV_DEFAULTS, env_defaults
from wbview.sources.wandb.convert import split_project

if TYPE_CHECKING:
    from wbview.records import TableRef
    from wbview.sources.wandb.source import WandbSource

REVIEW_TYPE = "review"
REVIEW_JOB_TYPE = "review"
MARKS_ENTRY = "marks.json"
SAVE_TIMEOUT_S = 120.0  # starting a run, uploading and committing a version takes longer than one read
_NOT_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


def review_collection(ref: TableRef) -> str:
    """The review artifact's name for the table's artifact (W&B's name characters only)."""
    predictions = ref.artifact.split(":")[0]
    return ("review-" + _NOT_NAME.sub("_", predictions))[:128]


# wandb.init starts W&B Weave's tracing when weave has been imported (wbview[weave] reads
# EvalTables with it): it would send requests to the trace server for wbview's own review run.
REVIEW_RUN_ENV_DEFAULTS = TELEMETRY_ENV_DEFAULTS | {"WANDB_DISABLE_WEAVE": "true"}


def save_marks(source: WandbSource, project: str, ref: TableRef, marks: list[Mark]) -> str:
    """Log ``marks`` as a new version of the table's review artifact; returns its name."""
    entity, name = split_project(project)
    collection = review_collection(ref)
    table = {"run_id": ref.run_id, "key": ref.key, "artifact": ref.artifact, "entry": ref.entry}
    document = to_document(marks, table)
    settings = source.settings

    def log() -> str:
        try:
            import wandb
        except ImportError:
            raise MissingDependency("Saving marks to W&B needs the wandb package: pip install 'wandb>=0.31'") from None
        with env_defaults(REVIEW_RUN_ENV_DEFAULTS):  # no telemetry, and no Weave tracing of wbview's own run
            run = wandb.init(
                entity=entity,
                project=name,
                job_type=REVIEW_JOB_TYPE,
                name=f"review {ref.key}",
                reinit="create_new",
                settings=wandb.Settings(
                    base_url=settings.effective_base_url,
                    api_key=settings.api_key,
                    silent=True,
                    console="off",
                    save_code=False,
                    init_timeout=SAVE_TIMEOUT_S / 2,
                ),
            )
        try:
            run.use_artifact(f"{project}/{ref.artifact}")  # lineage: the review points at its predictions
            artifact = wandb.Artifact(
                collection,
                type=REVIEW_TYPE,
                description=f"Triage marks on {ref.key} ({ref.artifact}), saved from wbview.",
                metadata={
                    "table": ref.key,
                    "entry": ref.entry,
                    "predictions": ref.artifact,
                    "run_id": ref.run_id,
                    "marks": len(marks),
                    "authors": sorted({m.author for m in marks}),
                },
            )
            with artifact.new_file(MARKS_ENTRY, mode="wb") as handle:
                handle.write(document)
            logged = run.log_artifact(artifact)
            logged.wait(timeout=int(SAVE_TIMEOUT_S / 2))
            version = logged.version
        finally:
            run.finish()
        return f"W&B artifact {project}/{collection}:{version}"

    return source._call(f"saving marks as a new version of {collection}", log, timeout_s=SAVE_TIMEOUT_S)


def load_marks(source: WandbSource, project: str, ref: TableRef) -> list[Mark]:
    """Every mark of every version of the table's review artifact (none yet: [])."""
    collection = review_collection(ref)
    api = source.api

    def missing(detail: str) -> NotFound:
        return ArtifactNotFound(f"No review artifact {collection} in {project} ({detail}).")

    def listing() -> list[Any]:
        return list(api.artifacts(REVIEW_TYPE, f"{project}/{collection}", per_page=100))

    # no one has saved a mark on this table yet: no review type or collection (asked first,
    # as listing a collection that does not exist is not an answer every server gives alike)
    if REVIEW_TYPE not in source.artifact_types(project):
        return []
    if collection not in {c.name for c in source.artifact_collections(project, REVIEW_TYPE)}:
        return []
    try:
        versions = source._call(f"listing the versions of {collection}", listing, not_found=missing)
    except NotFound:
        return []
    found: list[Mark] = []
    for art in versions:
        data = source._call(f"downloading {collection} marks", _read_entry, source, art, not_found=missing)
        if data is None:
            continue
        try:
            table, marks = from_document(data, f"{project}/{collection}:{art.version}/{MARKS_ENTRY}")
        except BadMarks as exc:
            raise BadMarks(f"{exc} That version cannot be read; the others are not shown until it is fixed.") from None
        if table.get("entry", ref.entry) == ref.entry:  # one review artifact per predictions artifact, any table
            found.extend(marks)
    return found


def _read_entry(source: WandbSource, art: Any) -> bytes | None:
    try:
        handle = art.get_entry(MARKS_ENTRY)
    except KeyError:
        return None  # a review version without marks (logged by something else)
    target = source._download_dir / f"{art.name.replace(':', '_')}"
    path = Path(handle.download(root=str(target)))
    try:
        return path.read_bytes()
    finally:
        path.unlink(missing_ok=True)
