"""Recording what the demo pipeline does as wbview records, the way a W&B run would.

``DemoRecorder`` plays the part of ``wandb``: pipeline steps start runs, log history
rows, set summaries, declare inputs (``use_artifact``) and log output artifacts and
eval tables. Nothing reads the wall clock: run times come from a seeded clock that
advances by each step's simulated duration, and ids are hashes of the seed and the
run name, so one seed always gives identical records.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from wbview.records import ArtifactFile, ArtifactVersion, Run, RunArtifacts, TableRef
from wbview.sources.memory import ProjectData

ENTITY = "demo"
PROJECT_NAME = "phishing-demo"
PROJECT = f"{ENTITY}/{PROJECT_NAME}"
# The seeded clock starts here (plus ``seed`` days): no wall-clock value enters a record.
EPOCH = datetime(2025, 11, 3, 9, 0, 0, tzinfo=UTC)
_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def stable_id(*parts: object, length: int = 8) -> str:
    """A W&B-looking run id (``h3irzh4b``) derived from ``parts`` only."""
    number = int.from_bytes(hashlib.sha256("/".join(map(str, parts)).encode("utf-8")).digest()[:8], "big")
    chars = []
    for _ in range(length):
        number, digit = divmod(number, len(_ID_ALPHABET))
        chars.append(_ID_ALPHABET[digit])
    return "".join(chars)


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def file_entry(path: str, data: bytes) -> ArtifactFile:
    """An artifact file record for content the step actually produced."""
    return ArtifactFile(path=path, size_bytes=len(data), digest=md5_hex(data))


def _artifact_digest(files: tuple[ArtifactFile, ...]) -> str:
    manifest = json.dumps(sorted((f.path, f.digest) for f in files)).encode("utf-8")
    return md5_hex(manifest)


@dataclass
class RecordedRun:
    """One run as it happens: what a ``wandb.init(...)`` context would collect."""

    recorder: DemoRecorder
    record: Run
    history_rows: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    used: list[str] = field(default_factory=list)
    logged: list[str] = field(default_factory=list)
    tables: list[TableRef] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def name(self) -> str:
        return self.record.name

    @property
    def config(self) -> Mapping[str, Any]:
        return self.record.config

    def log(self, row: Mapping[str, Any]) -> None:
        """Append one history row (``_step`` counts from 0); the last values become the summary."""
        self.history_rows.append({"_step": len(self.history_rows), **row})
        self.summary.update(row)

    def use_artifact(self, artifact_id: str) -> ArtifactVersion:
        """Declare an input; returns the version it resolves to (must already be logged)."""
        artifact = self.recorder.artifacts[artifact_id]
        if artifact_id not in self.used:
            self.used.append(artifact_id)
        return artifact

    def log_artifact(
        self,
        name: str,
        artifact_type: str,
        *,
        description: str,
        metadata: Mapping[str, Any],
        files: tuple[ArtifactFile, ...],
        aliases: tuple[str, ...] = (),
    ) -> str:
        """Log the next version of collection ``name``; returns its id ``name:vN``."""
        version = f"v{self.recorder.version_counts.get(name, 0)}"
        self.recorder.version_counts[name] = int(version[1:]) + 1
        files = tuple(sorted(files, key=lambda f: f.path))
        artifact = ArtifactVersion(
            entity=self.record.entity,
            project=self.record.project,
            name=name,
            version=version,
            type=artifact_type,
            aliases=tuple(aliases),
            description=description,
            metadata=dict(metadata),
            size_bytes=sum(f.size_bytes or 0 for f in files),
            digest=_artifact_digest(files),
            created_at=self.recorder.now,
            files=files,
            logged_by=self.id,
        )
        self.recorder.artifacts[artifact.id] = artifact
        self.logged.append(artifact.id)
        return artifact.id

    def log_table(self, artifact_id: str, ref: TableRef, frame: pd.DataFrame) -> None:
        """Attach an eval table (already an entry of ``artifact_id``) to this run."""
        self.tables.append(ref)
        self.recorder.tables[(artifact_id, ref.entry)] = frame


class DemoRecorder:
    """Collects the runs, artifacts, histories and tables of one demo build."""

    def __init__(self, seed: int, entity: str = ENTITY, project: str = PROJECT_NAME):
        self.seed = seed
        self.entity = entity
        self.project = project
        self.now = EPOCH + timedelta(days=seed % 365)
        self.runs: list[RecordedRun] = []
        self.artifacts: dict[str, ArtifactVersion] = {}
        self.version_counts: dict[str, int] = {}
        self.tables: dict[tuple[str, str], pd.DataFrame] = {}

    def start_run(
        self,
        *,
        name: str,
        group: str,
        job_type: str,
        tags: tuple[str, ...],
        config: Mapping[str, Any],
        created_at: datetime | None = None,
    ) -> RecordedRun:
        """Start a run at the clock's current time (or ``created_at``)."""
        record = Run(
            id=stable_id(self.seed, name),
            entity=self.entity,
            project=self.project,
            name=name,
            group=group,
            job_type=job_type,
            tags=tuple(sorted(tags)),
            state="finished",
            created_at=created_at or self.now,
            config=dict(config),
        )
        run = RecordedRun(self, record)
        self.runs.append(run)
        return run

    def advance(self, minutes: float) -> datetime:
        """Move the seeded clock on by a step's simulated duration."""
        self.now = self.now + timedelta(minutes=minutes)
        return self.now

    def project_data(self) -> ProjectData:
        """Everything recorded, as one ``ProjectData`` with consistent lineage and aliases."""
        data = ProjectData()
        consumers: dict[str, set[str]] = {}
        for run in self.runs:
            data.runs[run.id] = replace(run.record, summary=dict(run.summary), tables=tuple(run.tables))
            data.run_artifacts[run.id] = RunArtifacts(run.id, used=tuple(run.used), logged=tuple(run.logged))
            if run.history_rows:
                data.histories[run.id] = pd.DataFrame(run.history_rows)
            for artifact_id in run.used:
                consumers.setdefault(artifact_id, set()).add(run.id)
        for artifact_id, artifact in sorted(self.artifacts.items()):
            latest = self.version_counts[artifact.name] - 1 == int(artifact.version[1:])
            aliases = tuple(sorted(set(artifact.aliases) | ({"latest"} if latest else set())))
            used_by = tuple(sorted(consumers.get(artifact_id, ())))
            data.artifacts[artifact_id] = replace(artifact, aliases=aliases, used_by=used_by)
        data.tables = dict(sorted(self.tables.items()))
        return data
