"""The one interface every data source implements (W&B public API, local store, memory).

Everything a source returns is a plain frozen record from ``wbview.records`` or a
pandas DataFrame: no lazy wandb object ever leaks out. Every method raises only
``wbview.errors.WbviewError`` subclasses.

``project`` arguments are "ENTITY/PROJECT" strings.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING

from wbview.records import (
    ArtifactCollection,
    ArtifactVersion,
    Direction,
    LineageGraph,
    LoadedTable,
    Run,
    RunArtifacts,
    RunPage,
    TableRef,
)
from wbview.sources.lineage import DEFAULT_FANOUT_CAP, DEFAULT_LINEAGE_DEPTH, walk_lineage

if TYPE_CHECKING:
    import pandas as pd

    from wbview.filters import RunFilter, RunOrder
    from wbview.formats.marks import Mark


Progress = Callable[[str, int, int | None], None]  # (message, done, total or None)

DEFAULT_PAGE_SIZE = 50
# Histories fetched at once by ``Source.histories``: enough to overlap round trips,
# few enough not to flood W&B (it rate-limits per key) or the machine.
HISTORY_WORKERS = 8


class Source(ABC):
    """Read access to one or more W&B-shaped projects."""

    #: short human description, e.g. "W&B (api.wandb.ai)" or "local store ~/demo"
    label: str = ""
    #: True for a demo store: pages say plainly that the data is demo data
    is_demo: bool = False

    def default_project(self) -> str | None:
        """The project to open when none is chosen (settings, or the store's only project)."""
        return None

    @abstractmethod
    def projects(self) -> list[str]:
        """Projects this source can list ("ENTITY/PROJECT"); may be empty for W&B."""

    @abstractmethod
    def runs(self, project: str, run_filter: RunFilter | None = None) -> list[Run]:
        """Runs matching the filter, newest first, deduplicated by id."""

    def runs_page(
        self,
        project: str,
        run_filter: RunFilter | None = None,
        *,
        offset: int = 0,
        limit: int = DEFAULT_PAGE_SIZE,
        order: RunOrder | None = None,
    ) -> RunPage:
        """The runs matching the filter at ``offset`` in ``order`` (default newest first), at
        most ``limit`` of them, with how many match in all. This default lists every
        matching run; a source that can page on its side (W&B) overrides it."""
        from wbview.filters import page_of

        page, total = page_of(self.runs(project, run_filter), offset, limit, order)
        return RunPage(tuple(page), total, offset, limit)

    @abstractmethod
    def run(self, project: str, run_id: str) -> Run: ...

    @abstractmethod
    def history(self, project: str, run_id: str, keys: list[str] | None = None) -> pd.DataFrame:
        """Metric history of one run: a ``_step`` column plus one column per key."""

    def histories(
        self, project: str, run_ids: list[str], keys: list[str] | None = None, max_workers: int = HISTORY_WORKERS
    ) -> dict[str, pd.DataFrame]:
        """The histories of several runs, fetched in parallel by at most ``max_workers``
        threads (each through ``history``, so each W&B call keeps its deadline); the first
        failure is raised once the others have finished."""
        from concurrent.futures import ThreadPoolExecutor

        ids = list(dict.fromkeys(run_ids))
        if not ids:
            return {}
        workers = max(1, min(max_workers, len(ids)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="wbview-history") as pool:
            futures = [pool.submit(self.history, project, run_id, keys) for run_id in ids]
        return {run_id: future.result() for run_id, future in zip(ids, futures, strict=True)}

    @abstractmethod
    def run_artifacts(self, project: str, run_id: str) -> RunArtifacts:
        """The artifact versions a run used and logged."""

    @abstractmethod
    def artifact_types(self, project: str) -> list[str]: ...

    @abstractmethod
    def artifact_collections(self, project: str, artifact_type: str) -> list[ArtifactCollection]: ...

    @abstractmethod
    def artifact_versions(self, project: str, collection: str) -> list[ArtifactVersion]:
        """All versions of a collection, newest first (files/used_by may be left empty)."""

    @abstractmethod
    def artifact(self, project: str, name_version: str) -> ArtifactVersion:
        """One version ("name:v3" or "name:alias"), complete: files, producer and consumers."""

    @abstractmethod
    def tables(self, project: str, run_id: str) -> list[TableRef]:
        """Eval tables a run logged: its run_table artifacts and .table.json entries of
        artifacts it logged."""

    @abstractmethod
    def load_table(self, project: str, ref: TableRef) -> LoadedTable: ...

    def lineage(
        self,
        project: str,
        root: str,
        depth: int = DEFAULT_LINEAGE_DEPTH,
        direction: Direction = "both",
        fanout_cap: int = DEFAULT_FANOUT_CAP,
    ) -> LineageGraph:
        """The graph around a run id or an artifact "name:vN", ``depth`` hops away."""
        return walk_lineage(self, project, root, depth=depth, direction=direction, fanout_cap=fanout_cap)

    # -- triage marks: append-only, every save kept

    #: True when ``save_marks`` can keep marks (pages offer saving only then)
    keeps_marks: bool = False

    def load_marks(self, project: str, ref: TableRef) -> list[Mark]:
        """Every mark of every save made on the table ``ref`` (unmerged; none: [])."""
        return []

    def save_marks(self, project: str, ref: TableRef, marks: list[Mark]) -> str:
        """Keep ``marks`` as one new save next to the table (never overwriting another
        save); returns where they went, for people. Sources that cannot keep marks say so."""
        from wbview.errors import UsageError

        raise UsageError(f"{self.label or 'This source'} cannot keep triage marks; open a local store or W&B.")

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (processes, file handles)."""
