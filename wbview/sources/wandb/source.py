"""The Source interface over the W&B public API (``wandb.Api``).

The only module of wbview that imports ``wandb`` for reading, and only lazily.
Everything it returns is a plain record or DataFrame; every wandb failure becomes
a ``wbview.errors`` type here; every call to W&B is bounded by ``timeout_s``.

Round trips are kept low on purpose: run lists come in full pages of ``per_page``
runs with config and summary inline (``lazy=False``), never one request per run;
lineage asks W&B for the producer/consumer ids of an artifact and then describes a
whole level's runs with one filtered ``Runs`` query.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from wbview.errors import (
    ArtifactNotFound,
    MissingDependency,
    NoCredentials,
    NotFound,
    ProjectNotFound,
    QueryError,
    RunNotFound,
    WbviewError,
)
from wbview.filters import DEFAULT_ORDER, RunFilter, RunOrder
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
from wbview.settings import Settings, cache_ttl_s, call_timeout_s, load_settings
from wbview.sources.base import DEFAULT_PAGE_SIZE, Source
from wbview.sources.lineage import DEFAULT_FANOUT_CAP, DEFAULT_LINEAGE_DEPTH, walk_lineage
from wbview.sources.wandb import tables
from wbview.sources.wandb.calls import API_ENV_DEFAULTS, app_url, bounded_call, env_defaults, translate_error
from wbview.sources.wandb.convert import (
    artifact_record,
    file_record,
    run_record,
    split_project,
    stable_id,
    version_number,
)
from wbview.sources.wandb.lineage import WandbLineageReader

if TYPE_CHECKING:
    import pandas as pd

    from wbview.formats.marks import Mark

T = TypeVar("T")

RUNS_PER_PAGE = 200
MAX_PER_PAGE = 1000  # the most runs one listing request asks for
MAX_CURSORS = 4096  # page-start cursors remembered (a few per listing a user pages through)


class WandbSource(Source):
    """Reads runs, artifacts, lineage and eval tables from W&B (or a self-hosted server)."""

    def __init__(
        self,
        settings: Settings | None = None,
        api: Any = None,
        timeout_s: float | None = None,
        per_page: int = RUNS_PER_PAGE,
    ):
        self.settings = settings if settings is not None else load_settings()
        self.timeout_s = float(timeout_s if timeout_s is not None else call_timeout_s())
        self.per_page = max(1, min(int(per_page), 1000))
        self.run_ttl_s = cache_ttl_s()  # runs change while they run; artifact versions do not
        self.label = f"W&B ({self.settings.effective_base_url.split('://')[-1]})"
        self._api = api
        self._api_lock = threading.Lock()
        self._runs: dict[str, tuple[float, Any]] = {}  # "entity/project/id" -> (fetched at, wandb Run)
        self._artifacts: dict[str, Any] = {}  # "entity/project/name:vN" -> wandb Artifact
        # (project, server filter, order, position) -> the cursor that starts a listing there
        self._cursors: dict[tuple[str, str, str, int], str] = {}
        self._listing_lock = threading.Lock()
        self._download_dir = Path(tempfile.mkdtemp(prefix="wbview-wandb-"))
        weakref.finalize(self, shutil.rmtree, self._download_dir, True)

    # --- plumbing -------------------------------------------------------------------

    @property
    def api(self) -> Any:
        """The one ``wandb.Api`` of this source, created on first use."""
        with self._api_lock:
            if self._api is None:
                self._api = self._call("connecting to W&B", self._new_api, not_found=None)
            return self._api

    def _new_api(self) -> Any:
        if not self.settings.has_credentials():
            raise NoCredentials(
                "No W&B API key found. Set WANDB_API_KEY, add api_key under [wandb] in "
                ".streamlit/secrets.toml, or run `wandb login`. (Get a key at "
                f"{app_url(self.settings.effective_base_url)}/authorize.)"
            )
        try:
            import wandb
        except ImportError:
            raise MissingDependency("Reading from W&B needs the wandb package: pip install 'wandb>=0.31'") from None
        overrides: dict[str, Any] = {"base_url": self.settings.effective_base_url}
        if self.settings.entity:
            overrides["entity"] = self.settings.entity  # saves a GetDefaultEntity round trip
        timeout = max(1, int(round(self.timeout_s)))
        with env_defaults(API_ENV_DEFAULTS):
            return wandb.Api(overrides=overrides, timeout=timeout, api_key=self.settings.api_key)

    def _call(
        self,
        what: str,
        fn: Callable[..., T],
        *args: Any,
        not_found: Callable[[str], NotFound] | None = None,
        timeout_s: float | None = None,
    ) -> T:
        """Run one W&B call with a deadline (``timeout_s``, else the source's); translate every failure."""
        base_url = self.settings.effective_base_url
        try:
            return bounded_call(what, fn, *args, timeout_s=timeout_s or self.timeout_s, base_url=base_url)
        except WbviewError:
            raise
        except Exception as exc:
            key_origin = self.settings.origins.get("api_key", "your settings")
            raise translate_error(exc, what, base_url=base_url, key_origin=key_origin, not_found=not_found) from exc

    def close(self) -> None:
        self._runs.clear()
        self._artifacts.clear()

    def default_project(self) -> str | None:
        return self.settings.default_project

    def projects(self) -> list[str]:
        """The settings' project first, then the projects of the entity (``WANDB_ENTITY``,
        else the viewer's default entity), as "ENTITY/PROJECT"."""
        own = [self.settings.default_project] if self.settings.default_project else []
        api = self.api
        entity = self.settings.entity or self._call("reading your default W&B entity", lambda: api.default_entity)
        if not entity:
            return own
        names = self._call(f"listing the projects of {entity}", lambda: [p.name for p in api.projects(entity)])
        return list(dict.fromkeys([*own, *(f"{entity}/{name}" for name in names if name)]))

    # --- runs ----------------------------------------------------------------------

    def runs(self, project: str, run_filter: RunFilter | None = None) -> list[Run]:
        entity, name = split_project(project)
        run_filter = run_filter or RunFilter()
        server_filter, _residual = run_filter.to_server()
        not_found = _project_not_found(project)
        api = self.api
        listing = self._call(
            f"listing runs of {project}",
            lambda: api.runs(
                f"{entity}/{name}", filters=server_filter or None, order="-created_at", per_page=self.per_page, lazy=False
            ),
            not_found=not_found,
        )
        runs: dict[str, Run] = {}
        while True:
            # One page per bounded call (stops before asking for the next page).
            page = self._call(f"listing runs of {project}", _next_items, listing, self.per_page, not_found=not_found)
            for wandb_run in page:
                record = run_record(wandb_run, entity, name)
                self._remember_run(project, wandb_run)
                # The full filter again, client-side: the residual (dotted keys) and a safety net.
                if record.id not in runs and run_filter.matches(record):
                    runs[record.id] = record
            if len(page) < self.per_page:
                break
        api.flush()  # wandb caches Runs objects by filter; our records are the cache
        return sorted(runs.values(), key=lambda r: (r.created_at is not None, r.created_at), reverse=True)

    def runs_page(
        self,
        project: str,
        run_filter: RunFilter | None = None,
        *,
        offset: int = 0,
        limit: int = DEFAULT_PAGE_SIZE,
        order: RunOrder | None = None,
    ) -> RunPage:
        """One page of matching runs, filtered and sorted by W&B: the first page costs one
        request (the total comes with it, as W&B's ``runCount``); the next page one more (it
        starts at the cursor where this one ended); a page reached directly from a link
        costs one request per 1,000 runs before it."""
        import json

        entity, name = split_project(project)
        run_filter = run_filter or RunFilter()
        server_filter, residual = run_filter.to_server()
        if not residual.is_empty:
            # Keys with dots cannot be filtered by W&B: list the server's matches, filter here.
            return super().runs_page(project, run_filter, offset=offset, limit=limit, order=order)
        offset, limit = max(0, int(offset)), max(1, min(int(limit), MAX_PER_PAGE))
        order_text = (order or DEFAULT_ORDER).to_server()
        listing_key = (project, json.dumps(server_filter, sort_keys=True), order_text)
        cursor = self._cursors.get((*listing_key, offset)) if offset else None
        start = offset if cursor is not None else 0
        per_page = limit if cursor is not None else min(MAX_PER_PAGE, offset + limit)
        not_found = _project_not_found(project)
        api = self.api

        def listing() -> Any:
            with self._listing_lock:  # a Runs object of our own: wandb's Api shares them by filter
                runs = api.runs(
                    f"{entity}/{name}", filters=server_filter or None, order=order_text, per_page=per_page, lazy=False
                )
                api.flush()
            if cursor is not None:
                _start_at(runs, cursor)
            return runs

        paginator = self._call(f"listing runs of {project}", listing, not_found=not_found)
        records: list[Run] = []
        position = start
        while position < offset + limit:
            want = min(per_page, offset + limit - position)
            items = self._call(f"listing runs of {project}", _next_items, paginator, want, not_found=not_found)
            for index, wandb_run in enumerate(items, start=position):
                if index >= offset:
                    self._remember_run(project, wandb_run)
                    records.append(run_record(wandb_run, entity, name))
            position += len(items)
            if len(items) < want:
                break
        if cursor is not None and getattr(paginator, "variables", {}).get("cursor") != cursor:
            # This wandb did not start at the cursor: forget it and count from the start.
            self._cursors.pop((*listing_key, offset), None)
            return self.runs_page(project, run_filter, offset=offset, limit=limit, order=order)
        total = _run_count(paginator)
        end_cursor = _cursor_of_last(paginator, position - start)
        if end_cursor is not None and len(records) == limit:
            if len(self._cursors) >= MAX_CURSORS:
                self._cursors.clear()
            self._cursors[(*listing_key, offset + limit)] = end_cursor
        unique = tuple({r.id: r for r in records}.values())  # W&B has repeated runs across pages
        return RunPage(unique, total, offset, limit)

    def run(self, project: str, run_id: str) -> Run:
        entity, name = split_project(project)
        return run_record(self._wandb_run(project, run_id), entity, name)

    def _wandb_run(self, project: str, run_id: str) -> Any:
        key = f"{project}/{run_id}"
        cached = self._runs.get(key)
        if cached and time.monotonic() - cached[0] < self.run_ttl_s:
            return cached[1]

        def missing(detail: str) -> NotFound:
            return RunNotFound(
                f"Run {run_id!r} was not found in {project}. Use the run id (the 8 characters in the run's URL), "
                f"not its display name, and check the project. ({detail})"
            )

        api = self.api
        wandb_run = self._call(f"loading run {run_id}", lambda: api.run(key), not_found=missing)
        self._remember_run(project, wandb_run)
        return wandb_run

    def _remember_run(self, project: str, wandb_run: Any) -> None:
        self._runs[f"{project}/{wandb_run.id}"] = (time.monotonic(), wandb_run)

    def history(self, project: str, run_id: str, keys: list[str] | None = None) -> pd.DataFrame:
        import pandas as pd

        wandb_run = self._wandb_run(project, run_id)
        frame = self._call(
            f"loading the history of run {run_id}",
            lambda: wandb_run.history(samples=500, keys=keys or None, pandas=True),
        )
        if not isinstance(frame, pd.DataFrame):
            frame = pd.DataFrame(frame)
        if "_step" not in frame.columns:
            frame.insert(0, "_step", pd.Series(range(len(frame)), dtype="int64") if len(frame) else pd.Series([], dtype="int64"))
        return frame.reset_index(drop=True)

    def run_artifacts(self, project: str, run_id: str) -> RunArtifacts:
        wandb_run = self._wandb_run(project, run_id)
        used = self._call(f"listing the inputs of run {run_id}", lambda: list(wandb_run.used_artifacts()))
        logged = self._call(f"listing the outputs of run {run_id}", lambda: list(wandb_run.logged_artifacts()))
        for art in used + logged:
            self._remember_artifact(project, art)
        return RunArtifacts(run_id, used=tuple(stable_id(a) for a in used), logged=tuple(stable_id(a) for a in logged))

    # --- artifacts -------------------------------------------------------------------

    def artifact_types(self, project: str) -> list[str]:
        api = self.api
        types = self._call(
            f"listing artifact types of {project}",
            lambda: [t.name for t in api.artifact_types(project)],
            not_found=_project_not_found(project),
        )
        return sorted(types)

    def artifact_collections(self, project: str, artifact_type: str) -> list[ArtifactCollection]:
        api = self.api

        def listing() -> list[ArtifactCollection]:
            # The version count would cost a request per collection: left unknown (None).
            return [ArtifactCollection(c.name, artifact_type) for c in api.artifact_collections(project, artifact_type)]

        def missing(detail: str) -> NotFound:
            return ArtifactNotFound(
                f"No artifact type {artifact_type!r} in {project} ({detail}). List types with `wbview artifacts {project}`."
            )

        try:
            collections = self._call(f"listing {artifact_type} collections of {project}", listing, not_found=missing)
        except QueryError:
            # An unknown type comes back as artifactType: null, which wandb fails to parse.
            known_types = self.artifact_types(project)
            if artifact_type not in known_types:
                raise ArtifactNotFound(
                    f"{project} has no artifacts of type {artifact_type!r}. Its artifact types: "
                    f"{', '.join(known_types) or 'none'}."
                ) from None
            raise
        return sorted(collections, key=lambda c: c.name)

    def artifact_versions(self, project: str, collection: str) -> list[ArtifactVersion]:
        entity, name = split_project(project)
        art_type = self._wandb_artifact(project, f"{collection}:latest").type

        api = self.api

        def listing() -> list[Any]:
            return list(api.artifacts(art_type, f"{project}/{collection}", per_page=100))

        arts = self._call(f"listing versions of {collection}", listing, not_found=_artifact_not_found(project, collection))
        versions = []
        for art in arts:
            self._remember_artifact(project, art)
            versions.append(artifact_record(art, entity, name))
        return sorted(versions, key=version_number, reverse=True)

    def artifact(self, project: str, name_version: str) -> ArtifactVersion:
        entity, name = split_project(project)
        art = self._wandb_artifact(project, name_version)
        files = self._call(f"listing the files of {name_version}", lambda: [file_record(f) for f in art.files()])
        producer = self._producer(art)
        consumers = self._consumers(art)
        return artifact_record(
            art,
            entity,
            name,
            files=files,
            logged_by=producer.id if producer is not None else None,
            used_by=[r.id for r in consumers],
        )

    def _wandb_artifact(self, project: str, name_version: str) -> Any:
        if ":" not in name_version:
            name_version = f"{name_version}:latest"
        key = f"{project}/{name_version}"
        if key in self._artifacts:
            return self._artifacts[key]
        api = self.api
        art = self._call(
            f"loading artifact {name_version}", lambda: api.artifact(key), not_found=_artifact_not_found(project, name_version)
        )
        self._remember_artifact(project, art)
        return art

    def _remember_artifact(self, project: str, art: Any) -> None:
        # Only by stable id: what an alias points at can change.
        self._artifacts[f"{project}/{stable_id(art)}"] = art

    def _producer(self, art: Any) -> Any:
        """The wandb run that logged ``art`` (None if none), through the public API."""
        return self._call(f"finding the run that logged {stable_id(art)}", art.logged_by)

    def _consumers(self, art: Any) -> list[Any]:
        """The wandb runs that used ``art``, through the public API."""
        return list(self._call(f"finding the runs that used {stable_id(art)}", art.used_by))

    def lineage(
        self,
        project: str,
        root: str,
        depth: int = DEFAULT_LINEAGE_DEPTH,
        direction: Direction = "both",
        fanout_cap: int = DEFAULT_FANOUT_CAP,
    ) -> LineageGraph:
        reader = WandbLineageReader(self, project)
        return walk_lineage(self, project, root, depth=depth, direction=direction, fanout_cap=fanout_cap, reader=reader)

    # --- tables ----------------------------------------------------------------------------

    def tables(self, project: str, run_id: str) -> list[TableRef]:
        return tables.run_tables(self, project, run_id)

    # --- triage marks: versions of a "review" artifact ---------------------------------

    keeps_marks = True

    def load_marks(self, project: str, ref: TableRef) -> list[Mark]:
        from wbview.sources.wandb.review import load_marks

        return load_marks(self, project, ref)

    def save_marks(self, project: str, ref: TableRef, marks: list[Mark]) -> str:
        from wbview.sources.wandb.review import save_marks

        return save_marks(self, project, ref, marks)

    def load_table(self, project: str, ref: TableRef) -> LoadedTable:
        return tables.load_table(self, project, ref)


# --- helpers -----------------------------------------------------------------------------


def _next_items(paginator: Any, count: int) -> list[Any]:
    """Up to ``count`` items from a wandb paginator. (Not islice: iter() on a wandb
    paginator rewinds it to the first item.)"""
    items = []
    for _ in range(count):
        try:
            items.append(next(paginator))
        except StopIteration:
            break
    return items


def _start_at(paginator: Any, cursor: str) -> None:
    """Make a fresh wandb ``Runs`` paginator fetch its first page after ``cursor`` (it
    takes the cursor for its next request from the edges of its last response)."""
    paginator.last_response = {"project": {"runs": {"edges": [{"cursor": cursor}], "pageInfo": {"hasNextPage": True}}}}


def _run_count(paginator: Any) -> int | None:
    """How many runs match, as W&B's runs query reports it (``runCount``), without a request."""
    response = getattr(paginator, "last_response", None)
    count = (response.get("project") or {}).get("runCount") if isinstance(response, dict) else None
    return int(count) if isinstance(count, int) else None


def _cursor_of_last(paginator: Any, read: int) -> str | None:
    """The cursor of item ``read - 1`` of a wandb ``Runs`` paginator (None when unknown):
    a later listing starting there continues right after it."""
    response: Any = getattr(paginator, "last_response", None)
    try:
        edges = response["project"]["runs"]["edges"]
        first = len(paginator.objects) - len(edges)  # position of the last response's first edge
        cursor = edges[read - 1 - first]["cursor"] if 0 <= read - 1 - first < len(edges) else None
    except (TypeError, KeyError, IndexError, AttributeError):
        return None
    return cursor if isinstance(cursor, str) else None


def _project_not_found(project: str) -> Callable[[str], NotFound]:
    def build(detail: str) -> NotFound:
        return ProjectNotFound(
            f"W&B project {project!r} was not found, or this API key cannot see it ({detail}). "
            "Check ENTITY/PROJECT (the entity is the team or user name in the project's URL)."
        )

    return build


def _artifact_not_found(project: str, name_version: str) -> Callable[[str], NotFound]:
    def build(detail: str) -> NotFound:
        if "project" in detail.lower() and "not found" in detail.lower():
            return _project_not_found(project)(detail)
        return ArtifactNotFound(
            f"Artifact {name_version!r} was not found in {project} ({detail}). Use NAME:VERSION (e.g. model:v3) "
            f"or NAME:ALIAS (e.g. model:latest); `wbview artifacts {project}` lists collections."
        )

    return build


__all__ = ["WandbSource"]
