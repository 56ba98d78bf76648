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

import dataclasses
import json
import os
import re
import shutil
import tempfile
import threading
import time
import weakref
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, TypeVar

from wbview.errors import (
    ArtifactNotFound,
    AuthenticationFailed,
    EntityNotFound,
    MissingDependency,
    NoCredentials,
    NotFound,
    ProjectNotFound,
    QueryError,
    RateLimited,
    RequestTimeout,
    RunNotFound,
    ServerError,
    TableNotFound,
    WbviewError,
)
from wbview.filters import RunFilter
from wbview.lineage import LineageReader, Way, is_artifact_id, walk_lineage
from wbview.records import (
    ArtifactCollection,
    ArtifactFile,
    ArtifactVersion,
    Direction,
    LineageGraph,
    LoadedTable,
    Run,
    RunArtifacts,
    TableRef,
)
from wbview.settings import Settings, load_settings
from wbview.sources.base import DEFAULT_FANOUT_CAP, DEFAULT_LINEAGE_DEPTH, Source
from wbview.tables import PARQUET_SUFFIX, TABLE_SUFFIX, parse_table_json, read_parquet

if TYPE_CHECKING:
    import pandas as pd

T = TypeVar("T")

DEFAULT_TIMEOUT_S = 20.0
RUNS_PER_PAGE = 200
RUN_CACHE_TTL_S = 30.0  # runs change while they run; artifact versions do not
MAX_ARTIFACT_ROWS = 200_000  # wandb.Table.MAX_ARTIFACT_ROWS: run_table copies stop here
# wandb-core retries 429/5xx up to 20 times with up to 60 s waits; keep a persistent
# failure inside the time bound so it surfaces as what it is, not as a timeout.
RETRY_ENV_DEFAULTS = {
    "WANDB__GRAPHQL_RETRY_MAX": "3",
    "WANDB__GRAPHQL_RETRY_WAIT_MIN_SECONDS": "1",
    "WANDB__GRAPHQL_RETRY_WAIT_MAX_SECONDS": "4",
}
COMPANION_METADATA_KEY = "wbview_table"
_TABLE_FILE_TYPES = ("table-file", "incremental-table-file")
_CLIENT_ARTIFACT_PATH = re.compile(r"^wandb-client-artifact://(?P<artifact>[^/]+)/(?P<entry>.+)$")
_UNREACHABLE = ("connection refused", "no such host", "dial tcp", "connection reset", "name or service not known",
                "network is unreachable", "no route to host")
_HTTP_STATUS = re.compile(r"\b(?:HTTP|status(?: code)?)[ :]*(?P<status>[1-5]\d\d)\b", re.IGNORECASE)


class WandbSource(Source):
    """Reads runs, artifacts, lineage and eval tables from W&B (or a self-hosted server)."""

    def __init__(
        self,
        settings: Settings | None = None,
        api: Any = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        per_page: int = RUNS_PER_PAGE,
        fast_lineage: bool = True,
    ):
        self.settings = settings if settings is not None else load_settings()
        self.timeout_s = float(timeout_s)
        self.per_page = max(1, min(int(per_page), 1000))
        self.fast_lineage = fast_lineage
        self.label = f"W&B ({self.settings.effective_base_url.split('://')[-1]})"
        self._api = api
        self._api_lock = threading.Lock()
        self._runs: dict[str, tuple[float, Any]] = {}  # "entity/project/id" -> (fetched at, wandb Run)
        self._artifacts: dict[str, Any] = {}  # "entity/project/name:vN" -> wandb Artifact
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
                f"{_app_url(self.settings.effective_base_url)}/authorize.)"
            )
        for name, value in RETRY_ENV_DEFAULTS.items():
            os.environ.setdefault(name, value)
        try:
            import wandb
        except ImportError:
            raise MissingDependency("Reading from W&B needs the wandb package: pip install 'wandb>=0.31'") from None
        overrides: dict[str, Any] = {"base_url": self.settings.effective_base_url}
        if self.settings.entity:
            overrides["entity"] = self.settings.entity  # saves a GetDefaultEntity round trip
        timeout = max(1, int(round(self.timeout_s)))
        return wandb.Api(overrides=overrides, timeout=timeout, api_key=self.settings.api_key)

    def _call(self, what: str, fn: Callable[..., T], *args: Any, not_found: Callable[[str], NotFound] | None = None) -> T:
        """Run one W&B call in a worker thread with a deadline; translate every failure."""
        outcome: dict[str, Any] = {}
        finished = threading.Event()

        def work() -> None:
            try:
                outcome["value"] = fn(*args)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller below
                outcome["error"] = exc
            finally:
                finished.set()

        # A daemon thread: a call abandoned at its deadline never holds the process open.
        threading.Thread(target=work, name="wbview-wandb-call", daemon=True).start()
        if not finished.wait(self.timeout_s):
            raise RequestTimeout(
                f"W&B did not answer within {self.timeout_s:g} s while {what} "
                f"({self.settings.effective_base_url}). The server may be slow or unreachable: try again, "
                "or allow more time (--timeout SECONDS)."
            )
        error = outcome.get("error")
        if error is None:
            return outcome["value"]
        if isinstance(error, WbviewError):
            raise error
        if not isinstance(error, Exception):
            raise error  # KeyboardInterrupt, SystemExit
        raise self._translate(error, what, not_found) from error

    def _translate(self, exc: BaseException, what: str, not_found: Callable[[str], NotFound] | None) -> WbviewError:
        text = _error_text(exc)
        lowered = text.lower()
        status = _error_status(exc, text)
        detail = _first_line(text)
        base_url = self.settings.effective_base_url
        if "did not respond in time" in lowered or "timed out" in lowered or "deadline exceeded" in lowered or status in (408, 504):
            return RequestTimeout(
                f"W&B did not answer in time while {what} ({base_url}). Try again, or allow more time (--timeout SECONDS)."
            )
        if status == 429 or "rate limit" in lowered or "too many requests" in lowered:
            return RateLimited(
                f"W&B is rate-limiting this API key while {what}. Wait a minute and try again, or ask for less "
                "(narrower filters, fewer runs)."
            )
        # Before the key checks: wandb reports an unreachable server as an AuthenticationError.
        if status is None and any(word in lowered for word in _UNREACHABLE):
            return ServerError(
                f"Cannot reach W&B at {base_url} while {what}: the connection failed. Check WANDB_BASE_URL / "
                "[wandb] base_url and your network."
            )
        if status is not None and status >= 500:
            return ServerError(
                f"W&B answered with a server error (HTTP {status}) while {what}, even after retries. "
                f"Try again in a few minutes; check the status of {base_url}."
            )
        if status == 401 or type(exc).__name__ == "AuthenticationError" or any(
            word in lowered for word in ("not logged in", "unauthorized", "invalid api key", "unauthenticated", "login required")
        ):
            origin = self.settings.origins.get("api_key", "your settings")
            return AuthenticationFailed(
                f"W&B rejected the API key (from {origin}) for {base_url}. Create or copy a valid key at "
                f"{_app_url(base_url)}/authorize and set WANDB_API_KEY or [wandb] api_key in .streamlit/secrets.toml."
            )
        if status == 403 or "permission" in lowered or "forbidden" in lowered:
            return AuthenticationFailed(
                f"Your API key is not allowed to read this while {what} ({detail}). Ask the entity's admin for "
                "access, or use a key of a member of that team."
            )
        if status == 404 or any(word in lowered for word in ("not found", "could not find", "does not exist")):
            if "entity" in lowered and "project" not in lowered:
                return EntityNotFound(f"The W&B entity was not found while {what} ({detail}). Check the ENTITY part of the path.")
            if not_found is not None:
                return not_found(detail)
            return NotFound(f"Not found while {what}: {detail}.")
        return QueryError(
            f"W&B could not answer while {what}: {detail}. Check the path and filters; if it persists, "
            "run again with WBVIEW_DEBUG=1 and report it."
        )

    def close(self) -> None:
        self._runs.clear()
        self._artifacts.clear()

    def default_project(self) -> str | None:
        return self.settings.default_project

    def projects(self) -> list[str]:
        return [self.settings.default_project] if self.settings.default_project else []

    # --- runs ----------------------------------------------------------------------

    def runs(self, project: str, run_filter: RunFilter | None = None) -> list[Run]:
        entity, name = _split_project(project)
        run_filter = run_filter or RunFilter()
        server_filter, _residual = run_filter.to_server()
        not_found = _project_not_found(project)
        api = self.api
        listing = self._call(
            f"listing runs of {project}",
            lambda: api.runs(f"{entity}/{name}", filters=server_filter or None, order="-created_at",
                                  per_page=self.per_page, lazy=False),
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

    def run(self, project: str, run_id: str) -> Run:
        entity, name = _split_project(project)
        return run_record(self._wandb_run(project, run_id), entity, name)

    def _wandb_run(self, project: str, run_id: str) -> Any:
        key = f"{project}/{run_id}"
        cached = self._runs.get(key)
        if cached and time.monotonic() - cached[0] < RUN_CACHE_TTL_S:
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

    def history(self, project: str, run_id: str, keys: list[str] | None = None) -> "pd.DataFrame":
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
        return RunArtifacts(run_id, used=tuple(_stable_id(a) for a in used), logged=tuple(_stable_id(a) for a in logged))

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
            return ArtifactNotFound(f"No artifact type {artifact_type!r} in {project} ({detail}). List types with `wbview artifacts {project}`.")

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
        entity, name = _split_project(project)
        art_type = self._wandb_artifact(project, f"{collection}:latest").type

        api = self.api

        def listing() -> list[Any]:
            return list(api.artifacts(art_type, f"{project}/{collection}", per_page=100))

        arts = self._call(f"listing versions of {collection}", listing, not_found=_artifact_not_found(project, collection))
        versions = []
        for art in arts:
            self._remember_artifact(project, art)
            versions.append(artifact_record(art, entity, name))
        return sorted(versions, key=_version_number, reverse=True)

    def artifact(self, project: str, name_version: str) -> ArtifactVersion:
        entity, name = _split_project(project)
        art = self._wandb_artifact(project, name_version)
        files = self._call(f"listing the files of {name_version}", lambda: [_file_record(f) for f in art.files()])
        producer = self._producer_ids(art)
        consumers = self._consumer_ids(art)
        return artifact_record(art, entity, name, files=files, logged_by=producer[0] if producer else None, used_by=consumers)

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
        self._artifacts[f"{project}/{_stable_id(art)}"] = art

    def _producer_ids(self, art: Any) -> list[str]:
        what = f"finding the run that logged {_stable_id(art)}"
        if self.fast_lineage:
            ids = self._call(what, lambda: _linked_run_ids(art, "created_by"))
            if ids is not None:
                return ids
        run = self._call(what, art.logged_by)
        return [run.id] if run is not None else []

    def _consumer_ids(self, art: Any) -> list[str]:
        what = f"finding the runs that used {_stable_id(art)}"
        if self.fast_lineage:
            ids = self._call(what, lambda: _linked_run_ids(art, "used_by"))
            if ids is not None:
                return ids
        return [r.id for r in self._call(what, art.used_by)]

    def lineage(
        self,
        project: str,
        root: str,
        depth: int = DEFAULT_LINEAGE_DEPTH,
        direction: Direction = "both",
        fanout_cap: int = DEFAULT_FANOUT_CAP,
    ) -> LineageGraph:
        reader = _WandbLineageReader(self, project)
        return walk_lineage(self, project, root, depth=depth, direction=direction, fanout_cap=fanout_cap, reader=reader)

    # --- tables ----------------------------------------------------------------------------

    def tables(self, project: str, run_id: str) -> list[TableRef]:
        run = self.run(project, run_id)
        wandb_run = self._wandb_run(project, run_id)
        logged = self._call(f"listing the outputs of run {run_id}", lambda: list(wandb_run.logged_artifacts()))
        by_collection = {}
        for art in logged:
            self._remember_artifact(project, art)
            by_collection[_collection_name(art)] = art
        refs: dict[tuple[str, str], TableRef] = {}
        for ref in run.tables:  # from the summary: resolve "name:latest" to the version the run logged
            art = by_collection.get(ref.artifact.split(":")[0]) or _logged_with_entry(logged, ref.entry)
            if art is not None:
                ref = dataclasses.replace(ref, artifact=_stable_id(art), digest=getattr(art, "digest", None))
            refs[(ref.artifact.split(":")[0], ref.entry)] = ref
        for art in logged:
            for ref in self._artifact_tables(project, run_id, art):
                slot = (ref.artifact.split(":")[0], ref.entry)
                summary_ref = refs.get(slot)
                # Companion metadata knows more (Parquet copy, stored rows); keep the summary's key.
                refs[slot] = ref if summary_ref is None else _merge_refs(summary_ref, ref)
        return list(refs.values())

    def _artifact_tables(self, project: str, run_id: str, art: Any) -> list[TableRef]:
        meta = _metadata(art)
        companion = meta.get(COMPANION_METADATA_KEY)
        if isinstance(companion, Mapping) and companion.get("table_entry"):
            return [_companion_ref(run_id, art, companion)]
        if getattr(art, "type", None) == "run_table":
            return []  # already known from the summary, and one entry each
        names = self._call(f"listing the files of {_stable_id(art)}", lambda: [f.name for f in art.files()])
        refs = []
        for entry in names:
            if entry.endswith(TABLE_SUFFIX):
                stem = entry[: -len(TABLE_SUFFIX)]
                parquet = stem + PARQUET_SUFFIX
                refs.append(TableRef(
                    run_id=run_id, key=stem, artifact=_stable_id(art), entry=entry,
                    parquet_entry=parquet if parquet in names else None, digest=getattr(art, "digest", None),
                ))
        return refs

    def load_table(self, project: str, ref: TableRef) -> LoadedTable:
        art = self._wandb_artifact(project, ref.artifact)
        if ref.parquet_entry:
            frame = read_parquet(self._download(art, ref.parquet_entry, ref), name=f"{ref.artifact}/{ref.parquet_entry}")
            total = max(ref.nrows or 0, len(frame))
            return LoadedTable(ref=ref, frame=frame, total_rows=total, truncated=len(frame) < total, source_format="parquet")
        parsed = parse_table_json(self._download(art, ref.entry, ref), name=f"{ref.artifact}/{ref.entry}")
        total = max(ref.nrows or 0, parsed.declared_rows or 0, parsed.stored_rows)
        frame, source_format = parsed.frame, "table.json"
        if parsed.media_columns:
            frame, source_format = self._resolve_media(art, ref, frame, parsed.media_columns), "wandb"
        return LoadedTable(
            ref=ref, frame=frame, total_rows=total, truncated=parsed.stored_rows < total, source_format=source_format
        )

    def _resolve_media(self, art: Any, ref: TableRef, frame: "pd.DataFrame", media_columns: tuple[str, ...]) -> "pd.DataFrame":
        """Media cells point at other entries of the artifact: only wandb's own loader
        resolves them, so it runs for those columns alone and each cell becomes the local
        path of its downloaded file (a plain string, no wandb object leaks out)."""
        key = ref.entry[: -len(TABLE_SUFFIX)] if ref.entry.endswith(TABLE_SUFFIX) else ref.entry

        def fetch() -> "pd.DataFrame":
            table = art.get(key)
            if table is None or len(table.data) != len(frame):
                raise TableNotFound(f"Table {ref.key!r}: wandb could not resolve the media of {ref.artifact}/{ref.entry}.")
            resolved = frame.copy()
            positions = {name: i for i, name in enumerate(table.columns)}
            for column in media_columns:
                index = positions[column]
                resolved[column] = [_media_cell(row[index]) for row in table.data]
            return resolved

        return self._call(f"loading the media columns of {ref.artifact}/{ref.entry}", fetch)

    def _download(self, art: Any, entry: str, ref: TableRef) -> bytes:
        def missing(detail: str) -> NotFound:
            return TableNotFound(f"Table {ref.key!r}: {ref.artifact} has no entry {entry!r} ({detail}). List tables with `wbview table ENTITY/PROJECT/{ref.run_id}`.")

        def fetch() -> bytes:
            try:
                handle = art.get_entry(entry)
            except KeyError as exc:
                raise missing(str(exc).strip("'\"")) from None
            target = self._download_dir / _stable_id(art).replace(":", "_")
            path = Path(handle.download(root=str(target)))
            try:
                return path.read_bytes()
            finally:
                path.unlink(missing_ok=True)  # wandb's cache keeps a copy; ours would only pile up

        return self._call(f"downloading {ref.artifact}/{entry}", fetch, not_found=missing)


class _WandbLineageReader(LineageReader):
    """Lineage over wandb objects: producer/consumer ids without loading each run, then
    one filtered Runs query per level for the runs' names and job types."""

    def __init__(self, source: WandbSource, project: str):
        super().__init__(source, project)
        self.wb = source
        self.entity, self.project_name = _split_project(project)

    def resolve(self, node_id: str) -> str:
        if is_artifact_id(node_id):
            art = self.wb._wandb_artifact(self.project, node_id)
            self._describe_artifact(art)
            return _stable_id(art)
        return self.run(node_id, required=True).id  # type: ignore[union-attr]

    def _describe_artifact(self, art: Any) -> None:
        record = artifact_record(art, self.entity, self.project_name)
        self.artifacts[record.id] = record

    def prefetch(self, node_ids: list[str]) -> None:
        missing = [i for i in node_ids if not is_artifact_id(i) and i not in self.runs]
        if not missing:
            return
        found = {}
        api = self.wb.api
        for chunk in _chunks(missing, self.wb.per_page):
            listing = self.wb._call(
                f"describing {len(chunk)} runs of {self.project}",
                lambda chunk=chunk: list(api.runs(self.project, filters={"name": {"$in": chunk}}, per_page=self.wb.per_page, lazy=False)),
            )
            for wandb_run in listing:
                self.wb._remember_run(self.project, wandb_run)
                found[wandb_run.id] = run_record(wandb_run, self.entity, self.project_name)
        api.flush()
        for run_id in missing:
            self.runs[run_id] = found.get(run_id)  # None: another project, or deleted

    def neighbours(self, node_id: str, way: Way) -> list[str]:
        if is_artifact_id(node_id):
            art = self.wb._artifacts.get(f"{self.project}/{node_id}") or self.wb._wandb_artifact(self.project, node_id)
            return self.wb._producer_ids(art) if way == "up" else self.wb._consumer_ids(art)
        ids = super().neighbours(node_id, way)
        for art_id in ids:  # run_artifacts() already holds these objects: no request to describe them
            art = self.wb._artifacts.get(f"{self.project}/{art_id}")
            if art is not None and art_id not in self.artifacts:
                self._describe_artifact(art)
        return ids


# --- conversion (wandb objects -> records) ---------------------------------------------


def run_record(wandb_run: Any, entity: str, project: str) -> Run:
    """A frozen Run from a wandb public-API run loaded with config and summary."""
    config = {k: v for k, v in dict(wandb_run.config or {}).items() if k not in ("_wandb", "wandb_version")}
    summary: dict[str, Any] = {}
    tables: list[TableRef] = []
    for key, value in dict(wandb_run.summary_metrics or {}).items():
        if isinstance(value, Mapping) and value.get("_type") in _TABLE_FILE_TYPES:
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
        url=_safe_url(wandb_run),
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
        match = _CLIENT_ARTIFACT_PATH.match(str(entry.get(field) or ""))
        if match:
            table_entry = match["entry"]
            break
    nrows = entry.get("nrows") if isinstance(entry.get("nrows"), int) else None
    # wandb stores at most MAX_ARTIFACT_ROWS rows in the artifact copy.
    stored = min(nrows, MAX_ARTIFACT_ROWS) if nrows is not None and nrows > MAX_ARTIFACT_ROWS else None
    artifact = f"{run_table_name(run_id, key)}:latest"
    return TableRef(run_id=run_id, key=key, artifact=artifact, entry=table_entry, nrows=nrows, stored_rows=stored)


def run_table_name(run_id: str, key: str) -> str:
    """The collection wandb gives a table logged under ``key`` ("run-<id>-<key>",
    characters outside [A-Za-z0-9_.-] dropped, plus a checksum suffix if any were)."""
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
    version = getattr(art, "version", None) or _stable_id(art).rpartition(":")[2]
    return ArtifactVersion(
        entity=entity,
        project=project,
        name=_collection_name(art),
        version=version,
        type=art.type,
        aliases=tuple(a for a in (getattr(art, "aliases", None) or ()) if isinstance(a, str)),
        description=getattr(art, "description", None) or None,
        metadata=_metadata(art),
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
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _stable_id(art: Any) -> str:
    """ "name:vN" even when the artifact was fetched by an alias."""
    source_name = getattr(art, "source_name", None) or getattr(art, "name", "")
    name, _, version = str(source_name).partition(":")
    art_version = getattr(art, "version", None)
    if art_version and re.fullmatch(r"v\d+", str(art_version)):
        version = art_version
    return f"{name}:{version}" if version else name


def _collection_name(art: Any) -> str:
    return _stable_id(art).partition(":")[0]


def _version_number(art: ArtifactVersion) -> int:
    digits = art.version.lstrip("v")
    return int(digits) if digits.isdigit() else -1


def _metadata(art: Any) -> dict[str, Any]:
    meta = getattr(art, "metadata", None) or {}
    if isinstance(meta, str):
        try:
            meta = json.loads(meta)
        except ValueError:
            return {}
    return dict(meta) if isinstance(meta, Mapping) else {}


def _file_record(file: Any) -> ArtifactFile:
    size = getattr(file, "size", None)
    return ArtifactFile(path=file.name, size_bytes=int(size) if isinstance(size, (int, float)) else None, digest=getattr(file, "digest", None) or getattr(file, "md5", None))


def _companion_ref(run_id: str, art: Any, meta: Mapping[str, Any]) -> TableRef:
    def count(name: str) -> int | None:
        value = meta.get(name)
        return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    entry = str(meta["table_entry"])
    return TableRef(
        run_id=run_id,
        key=str(meta.get("key") or entry[: -len(TABLE_SUFFIX)]),
        artifact=_stable_id(art),
        entry=entry,
        nrows=count("nrows"),
        stored_rows=count("stored_rows"),
        parquet_entry=str(meta["parquet_entry"]) if meta.get("parquet_entry") else None,
        digest=getattr(art, "digest", None),
    )


def _logged_with_entry(logged: list[Any], entry: str) -> Any:
    """The companion artifact whose table entry a workspace table points at, if any."""
    for art in logged:
        companion = _metadata(art).get(COMPANION_METADATA_KEY)
        if isinstance(companion, Mapping) and companion.get("table_entry") == entry:
            return art
    return None


def _merge_refs(summary_ref: TableRef, artifact_ref: TableRef) -> TableRef:
    return TableRef(
        run_id=summary_ref.run_id,
        key=summary_ref.key,
        artifact=artifact_ref.artifact,
        entry=artifact_ref.entry,
        nrows=artifact_ref.nrows if artifact_ref.nrows is not None else summary_ref.nrows,
        stored_rows=artifact_ref.stored_rows if artifact_ref.stored_rows is not None else summary_ref.stored_rows,
        parquet_entry=artifact_ref.parquet_entry,
        digest=artifact_ref.digest or summary_ref.digest,
    )


def _linked_run_ids(art: Any, relation: str) -> list[str] | None:
    """Run ids that produced ("created_by") or used ("used_by") an artifact, in one
    request and without loading each run (``Artifact.used_by()`` loads every run with
    its own request). None when this wandb version lacks the pieces: callers then use
    the public methods."""
    try:
        from wandb.sdk.artifacts import _generated as generated
    except ImportError:
        return None
    service_api = getattr(art, "_service_api", None)
    query = getattr(generated, "ARTIFACT_CREATED_BY_GQL" if relation == "created_by" else "ARTIFACT_USED_BY_GQL", None)
    if service_api is None or query is None or not getattr(art, "id", None):
        return None
    data = service_api.execute_graphql(query, variables={"id": art.id})
    node = (data or {}).get("artifact") or {}
    if relation == "created_by":
        creator = node.get("createdBy") or {}
        return [creator["name"]] if creator.get("__typename", "Run") == "Run" and creator.get("name") else []
    edges = (node.get("usedBy") or {}).get("edges") or []
    return [e["node"]["name"] for e in edges if (e.get("node") or {}).get("name")]


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


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _split_project(project: str) -> tuple[str, str]:
    entity, sep, name = (project or "").partition("/")
    if not sep or not entity or not name or "/" in name:
        from wbview.errors import BadPath

        raise BadPath(f"{project!r} is not ENTITY/PROJECT (e.g. acme/phishing).")
    return entity, name


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


def _safe_url(wandb_run: Any) -> str | None:
    try:
        return str(wandb_run.url)
    except Exception:  # noqa: BLE001 - a URL is a nicety, never a failure
        return None


def _app_url(base_url: str) -> str:
    # api.wandb.ai -> wandb.ai; self-hosted servers serve the app on the same host.
    return base_url.replace("://api.wandb.ai", "://wandb.ai")


def _error_text(exc: BaseException) -> str:
    """Messages of an exception and everything it wraps (wandb nests them)."""
    parts: list[str] = []
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        message = str(current).strip()
        if message:
            parts.append(message)
        wrapped = getattr(current, "exc", None)
        todo.extend([current.__cause__, current.__context__, wrapped if isinstance(wrapped, BaseException) else None])
    return "\n".join(parts) or type(exc).__name__


def _error_status(exc: BaseException, text: str) -> int | None:
    response = getattr(exc, "response", None)
    status = getattr(response, "http_status", None) or getattr(response, "status_code", None)
    if isinstance(status, int) and status >= 100:
        return status
    match = _HTTP_STATUS.search(text)
    return int(match["status"]) if match else None


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    line = re.sub(r"^(input|Failed to execute API request):\s*", "", line)
    return line[:200]


__all__ = ["WandbSource", "artifact_record", "parse_time", "run_record", "run_table_name", "summary_table_ref"]


def _media_cell(value: Any) -> str | None:
    """A resolved wandb media object as the path of its local file (None for an empty cell)."""
    if value is None:
        return None
    path = getattr(value, "_path", None)
    return str(path) if path else str(value)
