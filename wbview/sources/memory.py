"""A source over records held in memory: the reference implementation of the
interface, used by tests, by the demo builder before it writes a store, and as the
in-process form of a loaded store."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from wbview.errors import ArtifactNotFound, ProjectNotFound, RunNotFound, TableNotFound
from wbview.records import (
    ArtifactCollection,
    ArtifactVersion,
    LoadedTable,
    Run,
    RunArtifacts,
    TableRef,
)
from wbview.sources.base import Source

if TYPE_CHECKING:
    from wbview.filters import RunFilter
    from wbview.formats.marks import Mark


@dataclass
class ProjectData:
    """Everything wbview knows about one project."""

    runs: dict[str, Run] = field(default_factory=dict)
    run_artifacts: dict[str, RunArtifacts] = field(default_factory=dict)
    histories: dict[str, pd.DataFrame] = field(default_factory=dict)
    artifacts: dict[str, ArtifactVersion] = field(default_factory=dict)  # by "name:vN"
    tables: dict[tuple[str, str], pd.DataFrame] = field(default_factory=dict)  # (artifact id, entry)


class MemorySource(Source):
    def __init__(self, data: dict[str, ProjectData] | None = None, label: str = "memory", is_demo: bool = False):
        self.data: dict[str, ProjectData] = data if data is not None else {}
        self.label = label
        self.is_demo = is_demo
        self.keeps_marks = True
        self.saved_marks: dict[tuple[str, str, str], list[list[Mark]]] = {}  # (project, artifact, entry) -> saves
        self._marks_lock = threading.Lock()

    def _project(self, project: str) -> ProjectData:
        try:
            return self.data[project]
        except KeyError:
            known = ", ".join(sorted(self.data)) or "none"
            raise ProjectNotFound(f"Project {project!r} is not in {self.label} (projects here: {known}).") from None

    def default_project(self) -> str | None:
        return next(iter(self.data), None)

    def projects(self) -> list[str]:
        return list(self.data)

    def runs(self, project: str, run_filter: RunFilter | None = None) -> list[Run]:
        runs = list(self._project(project).runs.values())
        if run_filter is not None:
            runs = [r for r in runs if run_filter.matches(r)]
        return sorted(runs, key=lambda r: (r.created_at is not None, r.created_at), reverse=True)

    def run(self, project: str, run_id: str) -> Run:
        try:
            return self._project(project).runs[run_id]
        except KeyError:
            raise RunNotFound(f"Run {run_id!r} does not exist in {project}. Check the run id (not its display name).") from None

    def history(self, project: str, run_id: str, keys: list[str] | None = None) -> pd.DataFrame:
        self.run(project, run_id)
        frame = self._project(project).histories.get(run_id, pd.DataFrame({"_step": []}))
        if keys:
            return frame[["_step", *[k for k in keys if k in frame.columns]]]
        return frame

    def run_artifacts(self, project: str, run_id: str) -> RunArtifacts:
        self.run(project, run_id)
        return self._project(project).run_artifacts.get(run_id, RunArtifacts(run_id))

    def artifact_types(self, project: str) -> list[str]:
        return sorted({a.type for a in self._project(project).artifacts.values()})

    def artifact_collections(self, project: str, artifact_type: str) -> list[ArtifactCollection]:
        counts: dict[str, int] = {}
        for art in self._project(project).artifacts.values():
            if art.type == artifact_type:
                counts[art.name] = counts.get(art.name, 0) + 1
        return [ArtifactCollection(name, artifact_type, n) for name, n in sorted(counts.items())]

    def artifact_versions(self, project: str, collection: str) -> list[ArtifactVersion]:
        versions = [a for a in self._project(project).artifacts.values() if a.name == collection]
        if not versions:
            raise ArtifactNotFound(f"No artifact collection {collection!r} in {project}.")
        return sorted(versions, key=lambda a: int(a.version.lstrip("v") or 0), reverse=True)

    def artifact(self, project: str, name_version: str) -> ArtifactVersion:
        arts = self._project(project).artifacts
        if name_version in arts:
            return arts[name_version]
        name, _, alias = name_version.partition(":")
        for art in arts.values():
            if art.name == name and (alias or "latest") in art.aliases:
                return art
        raise ArtifactNotFound(
            f"Artifact {name_version!r} does not exist in {project}. Use NAME:VERSION, e.g. {name}:v0 or {name}:latest."
        )

    def tables(self, project: str, run_id: str) -> list[TableRef]:
        run = self.run(project, run_id)
        refs = {(t.artifact, t.entry): t for t in run.tables}
        for art_id in self.run_artifacts(project, run_id).logged:
            art = self._project(project).artifacts.get(art_id)
            if art is None:
                continue
            for f in art.files:
                if f.path.endswith(".table.json") and (art_id, f.path) not in refs:
                    key = f.path[: -len(".table.json")]
                    refs[(art_id, f.path)] = TableRef(run_id=run_id, key=key, artifact=art_id, entry=f.path, digest=art.digest)
        return list(refs.values())

    def load_table(self, project: str, ref: TableRef) -> LoadedTable:
        frame = self._project(project).tables.get((ref.artifact, ref.entry))
        if frame is None:
            raise TableNotFound(f"Table {ref.key!r} ({ref.artifact}/{ref.entry}) is not in {self.label}.")
        total = ref.nrows if ref.nrows is not None else len(frame)
        return LoadedTable(ref=ref, frame=frame, total_rows=total, truncated=len(frame) < total, source_format="parquet")

    def load_marks(self, project: str, ref: TableRef) -> list[Mark]:
        with self._marks_lock:
            saves = list(self.saved_marks.get((project, ref.artifact, ref.entry), ()))
        return [mark for save in saves for mark in save]

    def save_marks(self, project: str, ref: TableRef, marks: list[Mark]) -> str:
        self._project(project)
        with self._marks_lock:
            self.saved_marks.setdefault((project, ref.artifact, ref.entry), []).append(list(marks))
        return f"{self.label} (in memory)"
