"""A local store of W&B-shaped data on disk, and ``LocalSource`` reading it.

Writer API (used by ``wbview pull``, the cache and the demo builder)::

    from wbview.sources.store import Store, LocalSource

    store = Store("my-store")                       # creates the directory if needed
    store.write_project("acme/phishing", data)      # a whole ProjectData at once, or:
    store.put_runs("acme/phishing", runs)           # upsert runs (replace=True: the whole list)
    store.put_run("acme/phishing", run)
    store.put_run_artifacts("acme/phishing", RunArtifacts(...))
    store.put_run_tables("acme/phishing", run_id, [TableRef, ...])   # optional; else derived
    store.put_history("acme/phishing", run_id, history_df)
    store.put_artifact("acme/phishing", artifact_version)
    store.put_table("acme/phishing", "name:v0", "eval/predictions.table.json", df,
                    digest=None, total_rows=None)
    store.mark_demo()                               # LocalSource(...).is_demo is then True
    store.put_marks("acme/phishing", "name:v0", "eval/predictions.table.json", document)

    source = LocalSource("my-store")                # the Source interface, read-only

Layout (format version ``STORE_FORMAT_VERSION``)::

    STORE/
      wbview-store.json                  {"format": "wbview-store", "version": 1, "demo": false}
      .lock                              writers hold it (filelock); readers never take it
      projects/<safe(ENTITY/PROJECT)>/
        project.json                     {"project": "ENTITY/PROJECT"}
        runs.parquet                     the run list: id, name, ..., record (Run JSON)
        run_artifacts/<safe(run id)>.json
        run_tables/<safe(run id)>.json   the TableRefs the source listed for the run
        collections/<safe(type)>.json    the source's collection listing (version counts)
        history/<safe(run id)>.parquet
        artifacts/<safe(name:vN)>.json   ArtifactVersion JSON (files, producer, consumers)
        tables/<safe(digest or id:name:vN)>/<safe(entry)>.parquet
        pull-journal.json                progress of ``wbview pull`` (resume, re-pull)
        marks/<safe(name:vN)>/<safe(entry)>/<UTC time>-<random>.json
                                         triage marks on that table: one file per save,
                                         never rewritten (``wbview.formats.marks``)

``safe(...)`` is :func:`wbview.sources.store.paths.safe_name`: names a W&B user controls never become
paths. Every file is written to a temporary file in the same directory, fsynced, then
renamed over the target, so readers see the old or the new file, never a partial one.
Temporary files start with ``.tmp-`` and are ignored by readers. This module never
imports ``wandb``.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Container, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from wbview.errors import (
    ProjectNotFound,
    StoreError,
)
from wbview.records import (
    ArtifactCollection,
    ArtifactVersion,
    LoadedTable,
    Run,
    RunArtifacts,
    TableRef,
)
from wbview.sources.store.files import (
    TMP_PREFIX,
    atomic_write_bytes,
    frame_to_parquet_bytes,
    ignoring,
    json_bytes,
    read_json,
    read_parquet_frame,
    reading,
)
from wbview.sources.store.paths import inside, safe_name

if TYPE_CHECKING:
    from filelock import BaseFileLock

    from wbview.sources.memory import ProjectData

STORE_FORMAT = "wbview-store"
STORE_FORMAT_VERSION = 1
META_FILE = "wbview-store.json"
LOCK_FILE = ".lock"
KEY_LOCK_DIR = ".locks"  # one lock file per piece of work that must be done once (cache downloads)
KEY_LOCK_TIMEOUT_S = 600.0
MARKS_DIR = "marks"
_THREAD_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()
LOCK_TIMEOUT_S = 60.0


# --- the store ----------------------------------------------------------------------


class Store:
    """A directory holding one or more projects in the layout of this module's docstring.

    ``Store(path)`` creates the directory (and its format file) unless ``create=False``.
    Every ``put_*`` takes the store's writer lock, so a pull, the cache and the demo
    builder can write one store at once; readers (``LocalSource``) need no lock.
    """

    def __init__(self, path: str | os.PathLike[str], create: bool = True, lock_timeout_s: float = LOCK_TIMEOUT_S):
        self.root = Path(path).expanduser().absolute()
        self.lock_timeout_s = lock_timeout_s
        self._lock: BaseFileLock | None = None
        self._read_memo: dict[Path, tuple[tuple[int, int, int], Any]] = {}
        meta_path = self.root / META_FILE
        if not meta_path.exists():
            if not create:
                raise StoreError(
                    f"No wbview store at {self.root}. Create one with `wbview pull ENTITY/PROJECT --store {self.root}` "
                    "or `wbview demo --store DIR`."
                )
            if self.root.is_dir() and any(
                p.name not in (LOCK_FILE, "projects") and not p.name.startswith(TMP_PREFIX) for p in self.root.iterdir()
            ):
                raise StoreError(f"{self.root} is a non-empty folder that is not a wbview store; choose an empty or new folder.")
            self.root.mkdir(parents=True, exist_ok=True)
            with self.lock():
                if not meta_path.exists():
                    atomic_write_bytes(meta_path, json_bytes(self._new_meta()))
        self._check_format()

    # -- format and flags

    @staticmethod
    def _new_meta() -> dict[str, Any]:
        return {"format": STORE_FORMAT, "version": STORE_FORMAT_VERSION, "demo": False}

    def meta(self) -> dict[str, Any]:
        try:
            return read_json(inside(self.root, META_FILE))
        except FileNotFoundError:
            raise StoreError(f"No wbview store at {self.root} (its {META_FILE} is missing).") from None

    def _check_format(self) -> None:
        meta = self.meta()
        if not isinstance(meta, dict) or meta.get("format") != STORE_FORMAT:
            raise StoreError(f"{self.root} is not a wbview store ({META_FILE} has no format {STORE_FORMAT!r}).")
        version = meta.get("version")
        if not isinstance(version, int) or version > STORE_FORMAT_VERSION:
            raise StoreError(
                f"The store at {self.root} has format version {version!r}; this wbview reads version "
                f"{STORE_FORMAT_VERSION}. Upgrade wbview or pull into a new store."
            )

    @property
    def is_demo(self) -> bool:
        return bool(self.meta().get("demo"))

    def mark_demo(self, demo: bool = True) -> None:
        """Flag the store as demo data: ``LocalSource.is_demo`` is then True."""
        self._update_meta(demo=bool(demo))

    def set_default_project(self, project: str) -> None:
        self._update_meta(default_project=project)

    def _update_meta(self, **changes: Any) -> None:
        with self.lock():
            meta = self.meta() | changes
            atomic_write_bytes(inside(self.root, META_FILE), json_bytes(meta))

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the store's writer lock (re-entrant within one thread)."""
        from filelock import FileLock, Timeout

        if self._lock is None:
            self._lock = FileLock(str(inside(self.root, LOCK_FILE)), timeout=self.lock_timeout_s)
        try:
            with self._lock:
                yield
        except Timeout:
            raise StoreError(
                f"Another process has been writing the store at {self.root} for over {self.lock_timeout_s:.0f} s; "
                "wait for it to finish and try again."
            ) from None

    @contextmanager
    def key_lock(self, key: str, timeout_s: float = KEY_LOCK_TIMEOUT_S) -> Iterator[bool]:
        """Hold a lock named ``key`` across threads and processes (the dashboards of
        several replicas sharing one cache); yields False instead of waiting past
        ``timeout_s`` (the caller then does the work itself: writes are atomic anyway)."""
        from filelock import FileLock, Timeout

        with _THREAD_LOCKS_GUARD:
            thread_lock = _THREAD_LOCKS.setdefault((str(self.root), key), threading.Lock())
        if not thread_lock.acquire(timeout=timeout_s):
            yield False
            return
        try:
            path = inside(self.root, KEY_LOCK_DIR, safe_name(key) + ".lock")
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                with FileLock(str(path), timeout=timeout_s):
                    yield True
            except Timeout:
                yield False
        finally:
            thread_lock.release()

    # -- paths

    def project_dir(self, project: str) -> Path:
        return inside(self.root, "projects", safe_name(project))

    def _file(self, project: str, folder: str, name: str, suffix: str) -> Path:
        return inside(self.project_dir(project), folder, safe_name(name) + suffix)

    def _table_path(self, project: str, table_key: str, entry: str) -> Path:
        return inside(self.project_dir(project), "tables", safe_name(table_key), safe_name(entry) + ".parquet")

    def _write_json(self, path: Path, data: Any) -> None:
        with self.lock():
            atomic_write_bytes(path, json_bytes(data))

    def _project_file(self, project: str, name: str) -> Path:
        return inside(self.project_dir(project), name)

    def _ensure_project(self, project: str) -> None:
        path = self._project_file(project, "project.json")
        if not path.exists():
            self._write_json(path, {"project": project})

    # -- writers

    def write_project(self, project: str, data: ProjectData) -> None:
        """Write a whole ``ProjectData``: the run list is replaced, everything else upserted."""
        with self.lock():
            self.put_runs(project, list(data.runs.values()), replace=True)
            for run_artifacts in data.run_artifacts.values():
                self.put_run_artifacts(project, run_artifacts)
            for run_id, history in data.histories.items():
                self.put_history(project, run_id, history)
            for artifact in data.artifacts.values():
                self.put_artifact(project, artifact)
            for (artifact_id, entry), frame in data.tables.items():
                self.put_table(project, artifact_id, entry, frame)

    def put_runs(self, project: str, runs: list[Run], replace: bool = False) -> None:
        """Upsert runs into the project's run list (``replace=True``: the list becomes ``runs``)."""
        with self.lock():
            self._ensure_project(project)
            current = {} if replace else {r.id: r for r in self.read_runs(project, missing_ok=True)}
            for run in runs:
                current[run.id] = run
            atomic_write_bytes(self._project_file(project, "runs.parquet"), _runs_to_parquet(list(current.values())))

    def put_run(self, project: str, run: Run) -> None:
        self.put_runs(project, [run])

    def put_run_artifacts(self, project: str, run_artifacts: RunArtifacts) -> None:
        payload = {"run_id": run_artifacts.run_id, "used": list(run_artifacts.used), "logged": list(run_artifacts.logged)}
        with self.lock():
            self._ensure_project(project)
            self._write_json(self._file(project, "run_artifacts", run_artifacts.run_id, ".json"), payload)

    def put_run_tables(self, project: str, run_id: str, refs: list[TableRef]) -> None:
        """Record the tables a source listed for a run (else ``tables()`` derives them)."""
        import dataclasses

        with self.lock():
            self._ensure_project(project)
            self._write_json(self._file(project, "run_tables", run_id, ".json"), [dataclasses.asdict(r) for r in refs])

    def put_history(self, project: str, run_id: str, history: pd.DataFrame) -> None:
        data = frame_to_parquet_bytes(history)
        with self.lock():
            self._ensure_project(project)
            atomic_write_bytes(self._file(project, "history", run_id, ".parquet"), data)

    def put_artifact(self, project: str, artifact: ArtifactVersion) -> None:
        """Store one artifact version under its stable id "name:vN" (never an alias)."""
        with self.lock():
            self._ensure_project(project)
            self._write_json(self._file(project, "artifacts", artifact.id, ".json"), artifact.to_json())

    def put_collections(self, project: str, artifact_type: str, collections: list[ArtifactCollection]) -> None:
        """Record a source's collection listing for a type (its version counts are kept)."""
        payload = [{"name": c.name, "type": c.type, "version_count": c.version_count} for c in collections]
        with self.lock():
            self._ensure_project(project)
            self._write_json(self._file(project, "collections", artifact_type, ".json"), payload)

    def put_table(
        self,
        project: str,
        artifact_id: str,
        entry: str,
        frame: pd.DataFrame,
        *,
        digest: str | None = None,
        total_rows: int | None = None,
        truncated: bool = False,
        source_format: str = "parquet",
        notes: tuple[str, ...] = (),
        total_known: bool = True,
    ) -> None:
        """Store an eval table, keyed by the artifact's digest (looked up when not given)."""
        digest = digest or self._artifact_digest(project, artifact_id)
        meta = {
            "artifact": artifact_id,
            "entry": entry,
            "digest": digest,
            "total_rows": None if total_rows is None else int(total_rows),
            "truncated": bool(truncated),
            "source_format": source_format,
            "notes": list(notes),
            "total_known": bool(total_known),
        }
        data = frame_to_parquet_bytes(frame, meta)
        with self.lock():
            self._ensure_project(project)
            atomic_write_bytes(self._table_path(project, _table_key(artifact_id, digest), entry), data)

    def put_loaded_table(self, project: str, artifact_id: str, loaded: LoadedTable, *, digest: str | None = None) -> None:
        """Store a table as a source loaded it, with its row count and truncation."""
        self.put_table(
            project,
            artifact_id,
            loaded.ref.entry,
            loaded.frame,
            digest=digest,
            total_rows=loaded.total_rows,
            truncated=loaded.truncated,
            source_format=loaded.source_format,
            notes=loaded.notes,
            total_known=loaded.total_known,
        )

    # -- triage marks: one new file per save, so concurrent saves all survive

    def _marks_dir(self, project: str, artifact_id: str, entry: str) -> Path:
        return inside(self.project_dir(project), MARKS_DIR, safe_name(artifact_id), safe_name(entry))

    def put_marks(self, project: str, artifact_id: str, entry: str, document: bytes) -> Path:
        """Write one save of marks as a new file (unique name, atomic rename); no other
        save is ever replaced, and no writer lock is needed. Returns the file's path."""
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        folder = self._marks_dir(project, artifact_id, entry)
        path = inside(folder, f"{stamp}-{uuid.uuid4().hex}.json")
        try:
            atomic_write_bytes(path, document)
        except OSError as exc:
            raise StoreError(
                f"Cannot save marks into the store at {self.root} ({exc.strerror or exc}). Make the folder "
                f"{folder} writable, or open a store you can write to."
            ) from exc
        return path

    def read_marks(
        self, project: str, artifact_id: str, entry: str, known: Container[Path] = ()
    ) -> list[tuple[Path, bytes | None]]:
        """Every saved file of marks on one table, oldest name first: (path, content), with
        None as the content of a path in ``known`` (a save file never changes once written,
        so a reader that parsed it before need not read it again)."""
        folder = self._marks_dir(project, artifact_id, entry)
        found: list[tuple[Path, bytes | None]] = []
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
            if path.name.startswith(TMP_PREFIX):
                continue
            safe = inside(folder, path.name)  # a link out of the store is refused
            if safe in known:
                found.append((safe, None))
                continue
            try:
                found.append((safe, safe.read_bytes()))
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise StoreError(f"Saved marks {safe} are unreadable ({exc.strerror or exc}); fix or delete the file.") from exc
        return found

    # -- readers (no lock: every file is replaced atomically)

    def _memoized(self, path: Path, load: Callable[[Path], Any]) -> Any:
        """``load(path)``, re-done only when the file was replaced (new inode, size or time)."""
        before = os.stat(path)
        key = (before.st_ino, before.st_size, before.st_mtime_ns)
        hit = self._read_memo.get(path)
        if hit is not None and hit[0] == key:
            return hit[1]
        with reading(path):
            value = load(path)
        after = os.stat(path)
        if (after.st_ino, after.st_size, after.st_mtime_ns) == key:  # not replaced while reading
            self._read_memo[path] = (key, value)
        return value

    def projects(self) -> list[str]:
        folder = inside(self.root, "projects")
        found = []
        for child in sorted(folder.iterdir()) if folder.is_dir() else ():
            path = inside(folder, child.name, "project.json")
            with ignoring(FileNotFoundError), reading(path):
                found.append(read_json(path)["project"])
        return sorted(found)

    def has_project(self, project: str) -> bool:
        return self._project_file(project, "project.json").exists()

    def runs_version(self, project: str) -> tuple[int, int, int] | None:
        """Changes whenever the project's run list is replaced (None: no run list yet)."""
        try:
            info = os.stat(self._project_file(project, "runs.parquet"))
        except FileNotFoundError:
            return None
        return (info.st_ino, info.st_size, info.st_mtime_ns)

    def read_runs(self, project: str, missing_ok: bool = False) -> list[Run]:
        path = self._project_file(project, "runs.parquet")
        try:
            return list(self._memoized(path, _load_runs))
        except FileNotFoundError:
            if missing_ok or self.has_project(project):
                return []
            raise self._no_project(project) from None

    def read_run_artifacts(self, project: str, run_id: str) -> RunArtifacts | None:
        path = self._file(project, "run_artifacts", run_id, ".json")
        try:
            data = read_json(path)
        except FileNotFoundError:
            return None
        with reading(path):
            return RunArtifacts(run_id=data["run_id"], used=tuple(data["used"]), logged=tuple(data["logged"]))

    def read_run_tables(self, project: str, run_id: str) -> list[TableRef] | None:
        path = self._file(project, "run_tables", run_id, ".json")
        try:
            data = read_json(path)
        except FileNotFoundError:
            return None
        with reading(path):
            return [TableRef(**t) for t in data]

    def read_history(self, project: str, run_id: str) -> pd.DataFrame | None:
        try:
            return read_parquet_frame(self._file(project, "history", run_id, ".parquet"))[0]
        except FileNotFoundError:
            return None

    def read_artifact(self, project: str, artifact_id: str) -> ArtifactVersion | None:
        try:
            return self._memoized(self._file(project, "artifacts", artifact_id, ".json"), _load_artifact)
        except FileNotFoundError:
            return None

    def read_collections(self, project: str, artifact_type: str) -> list[ArtifactCollection] | None:
        path = self._file(project, "collections", artifact_type, ".json")
        try:
            data = read_json(path)
        except FileNotFoundError:
            return None
        with reading(path):
            return [ArtifactCollection(**c) for c in data]

    def artifact_written_at(self, project: str, artifact_id: str) -> float | None:
        """When a version was last written (epoch seconds), or None when it is not stored."""
        try:
            return self._file(project, "artifacts", artifact_id, ".json").stat().st_mtime
        except FileNotFoundError:
            return None

    def read_artifacts(self, project: str) -> list[ArtifactVersion]:
        folder = inside(self.project_dir(project), "artifacts")
        found = []
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
            if not path.name.startswith(TMP_PREFIX):
                with ignoring(FileNotFoundError):
                    found.append(self._memoized(inside(folder, path.name), _load_artifact))
        return found

    def table_path(self, project: str, artifact_id: str, entry: str, digest: str | None = None) -> Path | None:
        """Where a stored table is, or None: tried by digest first, then by "name:vN"."""
        digest = digest or self._artifact_digest(project, artifact_id)
        for key in dict.fromkeys([_table_key(artifact_id, digest), _table_key(artifact_id, None)]):
            path = self._table_path(project, key, entry)
            if path.exists():
                return path
        return None

    def has_table(self, project: str, artifact_id: str, entry: str, digest: str | None = None) -> bool:
        return self.table_path(project, artifact_id, entry, digest) is not None

    def read_table(
        self, project: str, artifact_id: str, entry: str, digest: str | None = None
    ) -> tuple[pd.DataFrame, dict[str, Any]] | None:
        path = self.table_path(project, artifact_id, entry, digest)
        if path is None:
            return None
        try:
            return read_parquet_frame(path)
        except FileNotFoundError:
            return None

    def read_loaded_table(
        self, project: str, ref: TableRef, artifact_id: str | None = None, digest: str | None = None
    ) -> LoadedTable | None:
        """The stored copy of ``ref`` as a LoadedTable (true row count, truncation), or None."""
        found = self.read_table(project, artifact_id or ref.artifact, ref.entry, digest or ref.digest)
        if found is None:
            return None
        frame, meta = found
        total = meta.get("total_rows")
        if total is None:
            total = ref.nrows if ref.nrows is not None else len(frame)
        return LoadedTable(
            ref=ref,
            frame=frame,
            total_rows=int(total),
            truncated=bool(meta.get("truncated")) or len(frame) < int(total),
            source_format=meta.get("source_format", "parquet"),
            notes=tuple(str(n) for n in meta.get("notes") or ()),
            total_known=bool(meta.get("total_known", True)),
        )

    def read_journal(self, project: str) -> dict[str, Any]:
        try:
            return read_json(self._project_file(project, "pull-journal.json"))
        except FileNotFoundError:
            return {}

    def write_journal(self, project: str, journal: dict[str, Any]) -> None:
        with self.lock():
            self._ensure_project(project)
            self._write_json(self._project_file(project, "pull-journal.json"), journal)

    def remove_stale_temp_files(self, max_age_s: float = 3600.0) -> int:
        """Delete ``.tmp-*`` files a killed writer left behind (older than ``max_age_s``)."""
        import time

        removed = 0
        cutoff = time.time() - max_age_s
        for path in self.root.rglob(TMP_PREFIX + "*"):
            with ignoring(OSError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
        return removed

    # -- helpers

    def _artifact_digest(self, project: str, artifact_id: str) -> str | None:
        artifact = self.read_artifact(project, artifact_id)
        return artifact.digest if artifact else None

    def _no_project(self, project: str) -> ProjectNotFound:
        known = ", ".join(self.projects()) or "none"
        return ProjectNotFound(
            f"Project {project!r} is not in the store at {self.root} (projects here: {known}). "
            f"Copy it with `wbview pull {project} --store {self.root}`."
        )


def _load_runs(path: Path) -> tuple[Run, ...]:
    frame, _ = read_parquet_frame(path)
    return tuple(Run.from_json(json.loads(text)) for text in frame["record"])


def _load_artifact(path: Path) -> ArtifactVersion:
    return ArtifactVersion.from_json(read_json(path))


def _table_key(artifact_id: str, digest: str | None) -> str:
    return f"digest:{digest}" if digest else f"id:{artifact_id}"


def _plain_text(text: str | None) -> str | None:
    # Parquet strings must be valid UTF-8; the exact value stays in the ASCII JSON record.
    return None if text is None else text.encode("utf-8", "replace").decode("utf-8")


def _runs_to_parquet(runs: list[Run]) -> bytes:
    rows = [
        {
            "id": _plain_text(run.id),
            "name": _plain_text(run.name),
            "group": _plain_text(run.group),
            "job_type": _plain_text(run.job_type),
            "state": _plain_text(run.state),
            "created_at": run.created_at.isoformat() if run.created_at else None,
            "tags": json.dumps(list(run.tags)),  # ASCII JSON text
            "record": json.dumps(run.to_json(), default=str),
        }
        for run in runs
    ]
    columns = ["id", "name", "group", "job_type", "state", "created_at", "tags", "record"]
    return frame_to_parquet_bytes(pd.DataFrame(rows, columns=columns).astype(object))
