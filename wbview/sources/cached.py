"""``CachedSource``: any Source (usually the W&B one) with a local store as its cache.

Immutable W&B content is written to a store and never fetched twice:
- eval tables, keyed by the artifact's digest (or its stable "name:vN" when no digest
  is known): reopening one costs zero requests, in this process or the next;
- artifact versions ("name:vN": metadata, manifest/file list, producer): reopening one
  within ``ttl_s`` costs zero requests, in this process or the next.

Mutable content (run lists, runs and their summaries, histories, a run's artifacts and
tables, collections and version lists, what an alias points at, and a version's aliases
and consumers) is kept in memory for ``ttl_s`` seconds, then fetched again;
``refresh()`` forgets it at once. Keys are stable ids or digests, never aliases.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wbview.records import ArtifactVersion, LoadedTable, TableRef
from wbview.settings import cache_ttl_s, wbview_env
from wbview.sources.base import DEFAULT_PAGE_SIZE, Source
from wbview.sources.lineage import DEFAULT_FANOUT_CAP, DEFAULT_LINEAGE_DEPTH
from wbview.sources.store.store import Store

if TYPE_CHECKING:
    import pandas as pd

    from wbview.filters import RunFilter, RunOrder
    from wbview.formats.marks import Mark
    from wbview.records import ArtifactCollection, Direction, LineageGraph, Run, RunArtifacts, RunPage

_STABLE_VERSION = re.compile(r".+:v\d+$")


def default_cache_dir() -> Path:
    """``$WBVIEW_CACHE_DIR``, else wbview's folder in the user's cache directory."""
    configured = wbview_env("WBVIEW_CACHE_DIR")
    if configured:
        return Path(configured).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("wbview")) / "store"


class CachedSource(Source):
    """Wrap ``inner`` so immutable content comes from ``store`` (default: the user cache)."""

    def __init__(
        self,
        inner: Source,
        store: Store | str | os.PathLike[str] | None = None,
        ttl_s: float | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.inner = inner
        self.store = store if isinstance(store, Store) else Store(store if store is not None else default_cache_dir())
        self.ttl_s = cache_ttl_s() if ttl_s is None else ttl_s
        self.clock = clock
        self.label = inner.label
        self.is_demo = inner.is_demo
        self.keeps_marks = inner.keeps_marks
        self._memo: dict[tuple, tuple[float, Any]] = {}
        self._memo_lock = threading.Lock()
        self._refreshed_at = float("-inf")

    def __getattr__(self, name: str) -> Any:
        # anything beyond the Source interface (e.g. ``settings``) is the inner source's
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    # -- mutable content: in memory for ttl_s

    def _remember(self, key: tuple, fetch: Callable[[], Any]) -> Any:
        now = self.clock()
        with self._memo_lock:
            hit = self._memo.get(key)
        if hit is not None and now - hit[0] < self.ttl_s:
            return hit[1]
        value = fetch()
        with self._memo_lock:
            self._memo[key] = (now, value)
        return value

    def refresh(self) -> None:
        """Forget all mutable content now; the next call of each kind asks the inner source."""
        with self._memo_lock:
            self._memo.clear()
            self._refreshed_at = self.clock()

    def default_project(self) -> str | None:
        return self.inner.default_project()

    def projects(self) -> list[str]:
        return self._remember(("projects",), self.inner.projects)

    def runs(self, project: str, run_filter: RunFilter | None = None) -> list[Run]:
        return self._remember(("runs", project, repr(run_filter)), lambda: self.inner.runs(project, run_filter))

    def runs_page(
        self,
        project: str,
        run_filter: RunFilter | None = None,
        *,
        offset: int = 0,
        limit: int = DEFAULT_PAGE_SIZE,
        order: RunOrder | None = None,
    ) -> RunPage:
        key = ("runs_page", project, repr(run_filter), offset, limit, repr(order))
        return self._remember(key, lambda: self.inner.runs_page(project, run_filter, offset=offset, limit=limit, order=order))

    def run(self, project: str, run_id: str) -> Run:
        return self._remember(("run", project, run_id), lambda: self.inner.run(project, run_id))

    def history(self, project: str, run_id: str, keys: list[str] | None = None) -> pd.DataFrame:
        key = ("history", project, run_id, tuple(keys) if keys else None)
        # a copy: callers may modify the frame they get
        return self._remember(key, lambda: self.inner.history(project, run_id, keys)).copy()

    def run_artifacts(self, project: str, run_id: str) -> RunArtifacts:
        return self._remember(("run_artifacts", project, run_id), lambda: self.inner.run_artifacts(project, run_id))

    def artifact_types(self, project: str) -> list[str]:
        return self._remember(("artifact_types", project), lambda: self.inner.artifact_types(project))

    def artifact_collections(self, project: str, artifact_type: str) -> list[ArtifactCollection]:
        key = ("artifact_collections", project, artifact_type)
        return self._remember(key, lambda: self.inner.artifact_collections(project, artifact_type))

    def artifact_versions(self, project: str, collection: str) -> list[ArtifactVersion]:
        key = ("artifact_versions", project, collection)
        return self._remember(key, lambda: self.inner.artifact_versions(project, collection))

    def tables(self, project: str, run_id: str) -> list[TableRef]:
        return self._remember(("tables", project, run_id), lambda: self.inner.tables(project, run_id))

    def lineage(
        self,
        project: str,
        root: str,
        depth: int = DEFAULT_LINEAGE_DEPTH,
        direction: Direction = "both",
        fanout_cap: int = DEFAULT_FANOUT_CAP,
    ) -> LineageGraph:
        key = ("lineage", project, root, depth, direction, fanout_cap)
        return self._remember(key, lambda: self.inner.lineage(project, root, depth, direction, fanout_cap))

    # -- artifact versions: on disk, keyed by "name:vN"

    def artifact(self, project: str, name_version: str) -> ArtifactVersion:
        if _STABLE_VERSION.match(name_version):
            cached = self._fresh_artifact(project, name_version)
            if cached is not None:
                return cached
            return self._fetch_artifact(project, name_version)
        # an alias (or no version): what it points at is mutable, so it is remembered for ttl_s only
        stable_id = self._remember(("alias", project, name_version), lambda: self._fetch_artifact(project, name_version).id)
        return self.artifact(project, stable_id)

    def _fresh_artifact(self, project: str, artifact_id: str) -> ArtifactVersion | None:
        written_at = self.store.artifact_written_at(project, artifact_id)
        if written_at is None:
            return None
        if self.clock() - written_at >= self.ttl_s or written_at < self._refreshed_at:
            return None  # its aliases and consumers may have changed
        return self.store.read_artifact(project, artifact_id)

    def _fetch_artifact(self, project: str, name_version: str) -> ArtifactVersion:
        artifact = self.inner.artifact(project, name_version)
        self.store.put_artifact(project, artifact)
        return artifact

    # -- eval tables: on disk, keyed by digest

    def load_table(self, project: str, ref: TableRef) -> LoadedTable:
        if ref.kind == "eval-table":  # rows in W&B Weave, not in an artifact: read each time, not cached
            return self.inner.load_table(project, ref)
        artifact_id, digest = ref.artifact, ref.digest
        if not _STABLE_VERSION.match(artifact_id):
            resolved = self.artifact(project, artifact_id)
            artifact_id, digest = resolved.id, digest or resolved.digest
        cached = self.store.read_loaded_table(project, ref, artifact_id, digest)
        if cached is not None:
            return cached
        # One download per table, however many sessions or replicas (processes sharing this
        # cache folder) ask at once: the others wait, then read what the first one stored.
        with self.store.key_lock(f"table\0{project}\0{artifact_id}\0{ref.entry}\0{digest}"):
            cached = self.store.read_loaded_table(project, ref, artifact_id, digest)
            if cached is not None:
                return cached
            loaded = self.inner.load_table(project, ref)
            self.store.put_loaded_table(project, artifact_id, loaded, digest=digest)
        return loaded

    # -- triage marks: the inner source keeps them (W&B), remembered for ttl_s

    def load_marks(self, project: str, ref: TableRef) -> list[Mark]:
        key = ("marks", project, ref.artifact, ref.entry)
        return list(self._remember(key, lambda: self.inner.load_marks(project, ref)))

    def save_marks(self, project: str, ref: TableRef, marks: list[Mark]) -> str:
        where = self.inner.save_marks(project, ref, marks)
        with self._memo_lock:  # the next load sees this save
            self._memo.pop(("marks", project, ref.artifact, ref.entry), None)
        return where

    def close(self) -> None:
        self.inner.close()
