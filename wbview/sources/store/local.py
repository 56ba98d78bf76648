"""``LocalSource``: the Source interface over a store directory (read-only, except for
triage marks, which are added as new files; never imports wandb)."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from wbview.errors import RunNotFound, TableNotFound
from wbview.formats.marks import BadMarks, Mark, from_document, to_document
from wbview.records import ArtifactCollection, ArtifactVersion, LoadedTable, Run, RunArtifacts, RunPage, TableRef
from wbview.sources.base import DEFAULT_PAGE_SIZE, Source
from wbview.sources.store.store import Store

if TYPE_CHECKING:
    from wbview.filters import RunFilter, RunOrder
    from wbview.sources.memory import MemorySource


ORDERED_LISTINGS = 8  # filtered, ordered run lists kept for paging


class LocalSource(Source):
    """The Source interface over a store directory; read-only, never imports wandb."""

    def __init__(self, path: str | os.PathLike[str]):
        self.store = Store(path, create=False)
        self.label = f"local store {self.store.root}"
        self.is_demo = self.store.is_demo
        self.keeps_marks = True
        self._mark_files: dict[Path, list[Mark]] = {}  # each save file parsed once (files never change)
        # (project, filter, order) -> (run list version, matching runs in order), the latest few
        self._ordered: dict[tuple[str, str, str], tuple[object, list[Run]]] = {}
        self._ordered_lock = threading.Lock()

    def _require_project(self, project: str) -> None:
        if not self.store.has_project(project):
            raise self.store._no_project(project)

    def default_project(self) -> str | None:
        preferred = self.store.meta().get("default_project")
        projects = self.projects()
        if preferred in projects:
            return preferred
        return projects[0] if projects else None

    def projects(self) -> list[str]:
        return self.store.projects()

    def runs(self, project: str, run_filter: RunFilter | None = None) -> list[Run]:
        runs = self.store.read_runs(project)
        if run_filter is not None:
            runs = [r for r in runs if run_filter.matches(r)]
        return sorted(runs, key=lambda r: (r.created_at is not None, r.created_at), reverse=True)

    def runs_page(
        self,
        project: str,
        run_filter: RunFilter | None = None,
        *,
        offset: int = 0,
        limit: int = DEFAULT_PAGE_SIZE,
        order: RunOrder | None = None,
    ) -> RunPage:
        """One page of the matching runs in ``order``. The matching runs, in order, are kept
        for the last few filters and orders until the store's run list changes: the next
        page is a slice, not another pass over every run."""
        from wbview.filters import DEFAULT_ORDER

        key = (project, repr(run_filter), repr(order))
        version = self.store.runs_version(project)
        with self._ordered_lock:
            hit = self._ordered.get(key)
        if hit is not None and hit[0] == version:
            ordered = hit[1]
        else:
            ordered = (order or DEFAULT_ORDER).sort(self.runs(project, run_filter))
            with self._ordered_lock:
                self._ordered.pop(key, None)
                self._ordered[key] = (version, ordered)
                while len(self._ordered) > ORDERED_LISTINGS:
                    self._ordered.pop(next(iter(self._ordered)))
        offset, limit = max(0, offset), max(0, limit)
        return RunPage(tuple(ordered[offset : offset + limit]), len(ordered), offset, limit)

    def run(self, project: str, run_id: str) -> Run:
        for run in self.store.read_runs(project):
            if run.id == run_id:
                return run
        raise RunNotFound(
            f"Run {run_id!r} is not in {project} in the store at {self.store.root}. Check the run id "
            "(not its display name), or pull it again."
        )

    def history(self, project: str, run_id: str, keys: list[str] | None = None) -> pd.DataFrame:
        self.run(project, run_id)
        frame = self.store.read_history(project, run_id)
        if frame is None:
            frame = pd.DataFrame({"_step": []})
        if keys:
            return frame[["_step", *[k for k in keys if k in frame.columns]]]
        return frame

    def run_artifacts(self, project: str, run_id: str) -> RunArtifacts:
        self.run(project, run_id)
        return self.store.read_run_artifacts(project, run_id) or RunArtifacts(run_id)

    def _artifact_view(self, project: str, run_id: str | None = None) -> MemorySource:
        """The project's stored versions (and one run) as a MemorySource, which owns the
        listing, alias and table-discovery rules, so both sources answer alike."""
        from wbview.sources.memory import MemorySource, ProjectData

        self._require_project(project)
        view = ProjectData(artifacts={a.id: a for a in self.store.read_artifacts(project)})
        if run_id is not None:
            view.runs[run_id] = self.run(project, run_id)
            view.run_artifacts[run_id] = self.run_artifacts(project, run_id)
        return MemorySource({project: view}, label=self.label)

    def artifact_types(self, project: str) -> list[str]:
        return self._artifact_view(project).artifact_types(project)

    def artifact_collections(self, project: str, artifact_type: str) -> list[ArtifactCollection]:
        derived = self._artifact_view(project).artifact_collections(project, artifact_type)
        listed = {c.name: c for c in self.store.read_collections(project, artifact_type) or ()}
        # the collections whose versions are here, with the counts the source reported
        return [listed.get(c.name, c) for c in derived]

    def artifact_versions(self, project: str, collection: str) -> list[ArtifactVersion]:
        return self._artifact_view(project).artifact_versions(project, collection)

    def artifact(self, project: str, name_version: str) -> ArtifactVersion:
        self._require_project(project)
        found = self.store.read_artifact(project, name_version)  # the common case: no scan
        return found if found is not None else self._artifact_view(project).artifact(project, name_version)

    def tables(self, project: str, run_id: str) -> list[TableRef]:
        listed = self.store.read_run_tables(project, run_id)
        if listed is not None:
            self.run(project, run_id)
            return listed
        return self._artifact_view(project, run_id).tables(project, run_id)

    def load_table(self, project: str, ref: TableRef) -> LoadedTable:
        self._require_project(project)
        loaded = self.store.read_loaded_table(project, ref)
        if loaded is None:
            raise TableNotFound(
                f"Table {ref.key!r} ({ref.artifact}/{ref.entry}) is not in the store at {self.store.root}. "
                f"Copy it with `wbview pull {project} --store {self.store.root} --tables all`."
            )
        return loaded

    def load_marks(self, project: str, ref: TableRef) -> list[Mark]:
        self._require_project(project)
        found: list[Mark] = []
        for path, data in self.store.read_marks(project, ref.artifact, ref.entry, known=self._mark_files):
            if data is not None:
                try:
                    self._mark_files[path] = from_document(data, str(path))[1]
                except BadMarks as exc:
                    raise BadMarks(f"{exc} Delete or repair that file to see the other saves.") from None
            found.extend(self._mark_files[path])
        return found

    def save_marks(self, project: str, ref: TableRef, marks: list[Mark]) -> str:
        self._require_project(project)
        table = {"run_id": ref.run_id, "key": ref.key, "artifact": ref.artifact, "entry": ref.entry}
        return str(self.store.put_marks(project, ref.artifact, ref.entry, to_document(marks, table)))
