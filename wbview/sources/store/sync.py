"""``wbview pull``: copy a project (or the runs a filter selects) into a local store.

What is copied: the runs (config, summary), each run's used/logged artifact versions
(complete records: files, producer, consumers: the lineage), each run's histories, and
the chosen eval tables. Progress goes to stderr.

Resumable and incremental: a journal in the store (``pull-journal.json``) records each
run once everything about it is written. Run again (after Ctrl-C, a kill, or later),
a pull skips finished runs whose record has not changed, artifact versions already in
the store (a "name:vN" never changes content) and tables already stored under the same
digest; it re-fetches only the run list, runs still in progress or changed, and the
aliases of stored versions (one listing per collection).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from wbview.errors import BadTable, NotFound
from wbview.records import ArtifactVersion, Run, TableRef

if TYPE_CHECKING:
    from wbview.filters import RunFilter
    from wbview.sources.base import Progress, Source
    from wbview.sources.store.store import Store

TABLES_ALL = "all"
TABLES_NONE = "none"
FINISHED_STATES = frozenset({"finished", "crashed", "failed", "killed"})  # runs that no longer change
_STABLE_VERSION = re.compile(r".+:v\d+$")


@dataclass
class PullReport:
    """What one pull did; ``fetched`` counts went over the network, ``skipped`` counts
    what the store held before this pull began (each distinct version or table once)."""

    runs: int = 0
    runs_unchanged: int = 0
    artifacts_fetched: int = 0
    artifacts_skipped: int = 0
    tables_fetched: int = 0
    tables_skipped: int = 0
    histories_fetched: int = 0
    aliases_updated: int = 0
    failures: list[str] = dataclasses.field(default_factory=list)  # tables that could not be copied (missing, malformed)

    def summary(self) -> str:
        return (
            f"{self.runs} runs ({self.runs_unchanged} unchanged), "
            f"{self.artifacts_fetched} artifact versions fetched ({self.artifacts_skipped} already stored), "
            f"{self.tables_fetched} tables fetched ({self.tables_skipped} already stored), "
            f"{self.histories_fetched} histories, {self.aliases_updated} alias changes"
        )


def wants_table(ref: TableRef, tables: Sequence[str]) -> bool:
    """Whether ``--tables`` (all | none | KEY...) selects this table. A W&B EvalTable never:
    its rows live in W&B Weave, and the store keeps its pointer with the run's tables."""
    if not tables or TABLES_NONE in tables or ref.kind == "eval-table":
        return False
    return TABLES_ALL in tables or ref.key in tables or ref.entry in tables


def run_fingerprint(run: Run, tables: Sequence[str], history: bool) -> str:
    """Changes when the run's record or what this pull copies about it changes."""
    payload = json.dumps([run.to_json(), sorted(tables), history], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


class _Puller:
    def __init__(self, source: Source, store: Store, project: str, tables: Sequence[str], history: bool, progress: Progress):
        self.source, self.store, self.project = source, store, project
        self.tables, self.history, self.progress = list(tables), history, progress
        self.report = PullReport()
        self.journal = store.read_journal(project)
        self.done: dict[str, str] = dict(self.journal.get("runs") or {})
        # versions and tables this pull has met: each one is counted once, fetched or already stored
        self.seen_artifacts: set[str] = set()
        self.seen_tables: set[tuple[str, str]] = set()

    def pull(self, run_filter: RunFilter | None) -> PullReport:
        self.progress("listing runs", 0, None)
        runs = self.source.runs(self.project, run_filter)
        self.store.put_runs(self.project, runs)
        self.report.runs = len(runs)
        for index, run in enumerate(runs, start=1):
            self._pull_run(run)
            self.progress(f"run {run.id} ({run.name})", index, len(runs))
        self._refresh_aliases()
        self._refresh_collections()
        self._save_journal(complete=not self.report.failures)
        return self.report

    def _pull_run(self, run: Run) -> None:
        fingerprint = run_fingerprint(run, self.tables, self.history)
        if self.done.get(run.id) == fingerprint and run.state in FINISHED_STATES:
            self.report.runs_unchanged += 1
            return
        run_artifacts = self.source.run_artifacts(self.project, run.id)
        for artifact_id in (*run_artifacts.used, *run_artifacts.logged):
            self._pull_artifact(artifact_id, run.id, used=artifact_id in run_artifacts.used)
        self.store.put_run_artifacts(self.project, run_artifacts)
        refs = self.source.tables(self.project, run.id)
        complete = True
        for ref in refs:
            if wants_table(ref, self.tables):
                try:
                    self._pull_table(ref)
                except (NotFound, BadTable) as exc:  # one missing or malformed table must not stop the
                    # pull: it is reported by name and skipped; its run stays to do, so a rerun retries it
                    self.report.failures.append(f"run {run.id}, table {ref.key!r}: {exc}")
                    complete = False
        self.store.put_run_tables(self.project, run.id, refs)
        if self.history:
            self.store.put_history(self.project, run.id, self.source.history(self.project, run.id))
            self.report.histories_fetched += 1
        if complete:  # written last: a run is marked done only once everything about it is stored
            self.done[run.id] = fingerprint
            self._save_journal(complete=False)

    def _pull_artifact(self, artifact_id: str, run_id: str, used: bool) -> None:
        first_time = artifact_id not in self.seen_artifacts
        self.seen_artifacts.add(artifact_id)
        stored = self.store.read_artifact(self.project, artifact_id)
        if stored is None:
            self.store.put_artifact(self.project, self.source.artifact(self.project, artifact_id))
            self.report.artifacts_fetched += 1
            return
        if first_time:  # else this pull fetched (or counted) it for an earlier run
            self.report.artifacts_skipped += 1
        # a version's content never changes, but new runs may have consumed or logged it
        if used and run_id not in stored.used_by:
            self.store.put_artifact(self.project, dataclasses.replace(stored, used_by=(*stored.used_by, run_id)))
        elif not used and stored.logged_by is None:
            self.store.put_artifact(self.project, dataclasses.replace(stored, logged_by=run_id))

    def _pull_table(self, ref: TableRef) -> None:
        artifact_id, digest = ref.artifact, ref.digest
        if not _STABLE_VERSION.match(artifact_id):
            resolved = self.source.artifact(self.project, artifact_id)
            artifact_id, digest = resolved.id, digest or resolved.digest
        first_time = (artifact_id, ref.entry) not in self.seen_tables
        self.seen_tables.add((artifact_id, ref.entry))
        if self.store.has_table(self.project, artifact_id, ref.entry, digest):
            if first_time:
                self.report.tables_skipped += 1
            return
        self.progress(f"table {ref.key} ({artifact_id})", self.report.tables_fetched, None)
        loaded = self.source.load_table(self.project, ref)
        self.store.put_loaded_table(self.project, artifact_id, loaded, digest=digest)
        self.report.tables_fetched += 1

    def _refresh_collections(self) -> None:
        """Collection listings (version counts) per stored artifact type: one request each."""
        for artifact_type in sorted({a.type for a in self.store.read_artifacts(self.project)}):
            collections = self.source.artifact_collections(self.project, artifact_type)
            self.store.put_collections(self.project, artifact_type, collections)

    def _refresh_aliases(self) -> None:
        """Aliases move between versions: one listing per stored collection updates them."""
        stored = self.store.read_artifacts(self.project)
        by_collection: dict[str, list[ArtifactVersion]] = {}
        for artifact in stored:
            by_collection.setdefault(artifact.name, []).append(artifact)
        for collection, versions in sorted(by_collection.items()):
            try:
                current = {v.id: v.aliases for v in self.source.artifact_versions(self.project, collection)}
            except NotFound:
                continue  # the collection was deleted on W&B: keep what the store has
            for artifact in versions:
                if artifact.id in current and tuple(current[artifact.id]) != tuple(artifact.aliases):
                    self.store.put_artifact(self.project, dataclasses.replace(artifact, aliases=tuple(current[artifact.id])))
                    self.report.aliases_updated += 1

    def _save_journal(self, complete: bool) -> None:
        self.journal.update(
            project=self.project,
            runs=self.done,
            complete=complete,
            updated_at=datetime.now(UTC).isoformat(),
        )
        self.store.write_journal(self.project, self.journal)


def pull(
    source: Source,
    store: Store,
    project: str,
    run_filter: RunFilter | None = None,
    tables: Sequence[str] = (TABLES_ALL,),
    history: bool = True,
    progress: Progress | None = None,
) -> PullReport:
    """Copy ``project`` from ``source`` into ``store``; resumable and incremental (module doc)."""
    store.remove_stale_temp_files()  # left by an earlier pull that was killed mid-write
    report = _Puller(source, store, project, tables, history, progress or _no_progress).pull(run_filter)
    if store.meta().get("default_project") is None:
        store.set_default_project(project)
    return report


def _no_progress(message: str, done: int, total: int | None) -> None:
    pass
