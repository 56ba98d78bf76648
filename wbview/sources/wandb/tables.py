"""The eval tables of a W&B run, in every shape real wandb 0.31 writes them.

Listing (``run_tables``): one request for the run's logged artifacts, plus a file
listing of each artifact whose entries the summary does not name.
- ``run.log`` of a table: a ``run_table`` artifact per key; every version the run
  logged is listed with its history step, the newest marked ``latest`` (the default);
- ``log_mode="INCREMENTAL"``: a ``wandb-run-incremental-table`` artifact whose newest
  version holds every increment: one table per key;
- artifacts the run logged itself: companion tables (``metadata["wbview_table"]``),
  ``.table.json`` entries, partitioned and joined tables (offered as one table each;
  the parts of a partitioned table are not listed one by one);
- a summary entry that points at one of those (a companion table, a logged
  PartitionedTable/JoinedTable) is listed once, on that artifact, not again as the
  ``run_table`` reference wandb writes for it.

Loading (``load_table``) follows reference entries (``wandb-artifact://<id>/<path>``)
with the source's own client, reads npz side files of array columns, joins increments
in wandb's order, stacks partitions, joins joined tables, and says when wandb itself
dropped rows without recording how many were logged.
"""

from __future__ import annotations

import base64
import dataclasses
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from wbview.errors import BadTable, NotFound, TableNotFound
from wbview.formats.manifest import TableManifest
from wbview.formats.tablejson import (
    MAX_ARTIFACT_ROWS,
    PARQUET_SUFFIX,
    TABLE_SUFFIX,
    ParsedTable,
    load_table_doc,
    parse_table_doc,
    read_parquet,
)
from wbview.formats.tableshapes import (
    JOINED_SUFFIX,
    PARTITIONED_SUFFIX,
    increment_entries,
    increment_key,
    join_increments,
    join_tables,
    partition_entries,
    stack_parts,
)
from wbview.records import LoadedTable, TableKind, TableRef
from wbview.sources.wandb.convert import collection_name, metadata_of, stable_id

if TYPE_CHECKING:
    import pandas as pd

    from wbview.sources.wandb.source import WandbSource

RUN_TABLE_TYPE = "run_table"
INCREMENTAL_TYPE = "wandb-run-incremental-table"
MAX_REFERENCE_HOPS = 8
ParsedFormat = Literal["table.json", "wandb"]  # how an entry was read (Parquet is read elsewhere)
_WANDB_REF = re.compile(r"^wandb-artifact://(?P<hex>[0-9a-fA-F]+)/(?P<path>.+)$")
_KIND_SUFFIXES: tuple[tuple[str, TableKind], ...] = (
    (PARTITIONED_SUFFIX, "partitioned"),
    (JOINED_SUFFIX, "joined"),
    (TABLE_SUFFIX, "table"),
)


def entry_kind(entry: str) -> tuple[str, TableKind] | None:
    """(key, kind) of a table-like entry name, None for other files."""
    for suffix, kind in _KIND_SUFFIXES:
        if entry.endswith(suffix):
            return entry[: -len(suffix)], kind
    return None


# --- listing -----------------------------------------------------------------------------------


def run_tables(source: WandbSource, project: str, run_id: str) -> list[TableRef]:
    """The tables a run logged, each resolved to the artifact version(s) that hold it."""
    run = source.run(project, run_id)
    wandb_run = source._wandb_run(project, run_id)
    logged = source._call(f"listing the outputs of run {run_id}", lambda: list(wandb_run.logged_artifacts()))
    collections: dict[str, list[Any]] = {}
    for art in logged:
        source._remember_artifact(project, art)
        collections.setdefault(collection_name(art), []).append(art)
    for versions in collections.values():
        versions.sort(key=_version_number)

    refs: list[TableRef] = []
    for versions in collections.values():  # artifacts the run logged itself
        if versions[-1].type in (RUN_TABLE_TYPE, INCREMENTAL_TYPE):
            continue
        for art in versions:
            refs.extend(_artifact_tables(source, project, run_id, art, latest=art is versions[-1]))

    covered: set[str] = set()
    for summary_ref in run.tables:  # the summary's tables
        name = summary_ref.artifact.split(":")[0]
        logged_versions = collections.get(name)
        target = next(
            (i for i, r in enumerate(refs) if r.latest and r.entry == summary_ref.entry and r.kind == summary_ref.kind), None
        )
        if target is not None and _same_table(source, project, summary_ref, logged_versions, refs[target]):
            refs[target] = _merge_refs(summary_ref, refs[target])  # listed once, on the artifact the run logged
            covered.add(name)
            continue
        if not logged_versions:
            refs.append(summary_ref)  # "name:latest", resolved when loaded
            continue
        covered.add(name)
        # An incremental table's newest version holds every increment.
        versions = logged_versions[-1:] if summary_ref.kind == "incremental" else logged_versions
        for art in versions:
            latest = art is versions[-1]
            refs.append(
                dataclasses.replace(
                    summary_ref,
                    artifact=stable_id(art),
                    entry=run_table_entry(summary_ref),
                    digest=getattr(art, "digest", None),
                    step=_step(art),
                    latest=latest,
                    nrows=summary_ref.nrows if latest else None,
                    stored_rows=summary_ref.stored_rows if latest else None,
                )
            )

    for name, versions in collections.items():  # wandb's copies the summary no longer points at
        if name in covered or versions[-1].type not in (RUN_TABLE_TYPE, INCREMENTAL_TYPE):
            continue
        refs.extend(_copies_without_summary(source, project, run_id, versions, refs))
    return sorted(refs, key=lambda r: (r.key, r.artifact.split(":")[0], -_version_index(r.artifact)))


def _same_table(
    source: WandbSource, project: str, summary_ref: TableRef, run_table_versions: list[Any] | None, target: TableRef
) -> bool:
    """Whether a summary table is ``target`` (a table of an artifact the run logged itself).
    A companion table (its metadata says so) and a logged PartitionedTable/JoinedTable (the
    summary only points at them) are; a plain table only when wandb's run_table copy is a
    reference to that very entry: another table that merely has the same entry name is not."""
    if target.parquet_entry is not None or target.kind in ("partitioned", "joined"):
        return True
    if not run_table_versions:
        return False
    return _points_at(source, project, run_table_versions[-1], run_table_entry(summary_ref), target)


def run_table_entry(ref: TableRef) -> str:
    """The entry wandb gives a table in its run_table artifact: named after the key (the
    summary's path may name the entry of another artifact the table was added to first)."""
    if ref.kind == "incremental":
        return ref.entry  # "<n>-<ms>.<key>.table.json", one per increment
    suffix = {"partitioned": PARTITIONED_SUFFIX, "joined": JOINED_SUFFIX}.get(ref.kind, TABLE_SUFFIX)
    return ref.key + suffix


def _points_at(source: WandbSource, project: str, art: Any, entry: str, target: TableRef) -> bool:
    """Whether ``entry`` of ``art`` is a reference to ``target``'s entry."""
    item = source._call(f"reading the manifest of {stable_id(art)}", lambda: art.manifest.entries.get(entry))
    match = _WANDB_REF.match(str(getattr(item, "ref", None) or ""))
    if match is None or match["path"] != target.entry:
        return False
    target_art = source._wandb_artifact(project, target.artifact)
    try:
        return base64.b64decode(str(target_art.id)).hex() == match["hex"].lower()
    except ValueError:
        return False


def _copies_without_summary(
    source: WandbSource, project: str, run_id: str, versions: list[Any], known: list[TableRef]
) -> list[TableRef]:
    newest = versions[-1]
    names = _file_names(source, newest)
    if newest.type == INCREMENTAL_TYPE:
        entries = increment_entries(names)
        key = increment_key(entries[-1]) if entries else None
        if key is None:
            return []
        return [
            TableRef(
                run_id=run_id,
                key=key,
                artifact=stable_id(newest),
                entry=entries[-1],
                digest=getattr(newest, "digest", None),
                step=_step(newest),
                kind="incremental",
            )
        ]
    refs = []
    for entry in names:
        found = entry_kind(entry)
        if found is None or any(
            r.latest and r.entry == entry and r.kind == found[1] and _same_table(source, project, r, versions, r) for r in known
        ):
            continue  # a reference to a table another artifact of the run holds
        for art in versions:
            refs.append(
                TableRef(
                    run_id=run_id,
                    key=found[0],
                    artifact=stable_id(art),
                    entry=entry,
                    digest=getattr(art, "digest", None),
                    step=_step(art),
                    latest=art is newest,
                    kind=found[1],
                )
            )
    return refs


def _artifact_tables(source: WandbSource, project: str, run_id: str, art: Any, latest: bool) -> list[TableRef]:
    step = _step(art)
    manifest = TableManifest.from_metadata(metadata_of(art))
    if manifest is not None:
        return [dataclasses.replace(_companion_ref(run_id, art, manifest), step=step, latest=latest)]
    names = _file_names(source, art)
    refs = []
    parts: set[str] = set()
    for entry in names:
        found = entry_kind(entry)
        if found is None:
            continue
        key, kind = found
        ref = TableRef(
            run_id=run_id,
            key=key,
            artifact=stable_id(art),
            entry=entry,
            digest=getattr(art, "digest", None),
            step=step,
            latest=latest,
            kind=kind,
        )
        if kind == "partitioned":
            doc = _json_entry(source, art, entry, ref)
            parts.update(partition_entries(names, str(doc.get("parts_path") or "")))
        if kind == "table":
            parquet = key + PARQUET_SUFFIX
            ref = dataclasses.replace(ref, parquet_entry=parquet if parquet in names else None)
        refs.append(ref)
    return [r for r in refs if r.entry not in parts]


def _file_names(source: WandbSource, art: Any) -> list[str]:
    return source._call(f"listing the files of {stable_id(art)}", lambda: [f.name for f in art.files()])


def _merge_refs(summary_ref: TableRef, artifact_ref: TableRef) -> TableRef:
    return dataclasses.replace(
        artifact_ref,
        key=summary_ref.key,
        nrows=artifact_ref.nrows if artifact_ref.nrows is not None else summary_ref.nrows,
        stored_rows=artifact_ref.stored_rows if artifact_ref.stored_rows is not None else summary_ref.stored_rows,
        digest=artifact_ref.digest or summary_ref.digest,
    )


# --- loading -----------------------------------------------------------------------------------


def load_table(source: WandbSource, project: str, ref: TableRef) -> LoadedTable:
    if ref.kind == "eval-table":
        from wbview.sources.wandb.weaveclient import load_eval_table

        return load_eval_table(source.settings, source.timeout_s, project, ref, source._download_dir / "weave")
    art = source._wandb_artifact(project, ref.artifact)
    if ref.parquet_entry:
        frame = read_parquet(_download(source, art, ref.parquet_entry, ref), name=f"{ref.artifact}/{ref.parquet_entry}")
        total = max(ref.nrows or 0, len(frame))
        return LoadedTable(ref=ref, frame=frame, total_rows=total, truncated=len(frame) < total, source_format="parquet")
    if ref.kind == "incremental":
        return _load_incremental(source, art, ref)
    art, entry = resolve_entry(source, art, ref.entry, ref)
    if ref.kind == "partitioned":
        return _load_partitioned(source, art, entry, ref)
    if ref.kind == "joined":
        return _load_joined(source, art, entry, ref)
    parsed, source_format = _parse_entry(source, art, entry, ref)
    stored = parsed.stored_rows
    # wandb keeps MAX_ARTIFACT_ROWS rows of a table added with artifact.add and records
    # only the kept count: without a summary (or companion) count the total is unknown.
    total_known = not (ref.nrows is None and stored >= MAX_ARTIFACT_ROWS)
    total = max(ref.nrows or 0, parsed.declared_rows or 0, stored)
    return LoadedTable(
        ref=ref,
        frame=parsed.frame,
        total_rows=total,
        truncated=stored < total or not total_known,
        source_format=source_format,
        notes=parsed.notes,
        total_known=total_known,
    )


def _parse_entry(source: WandbSource, art: Any, entry: str, ref: TableRef, doc: Any = None) -> tuple[ParsedTable, ParsedFormat]:
    """A table entry of ``art`` (already resolved) parsed, its side files and media read."""
    name = f"{stable_id(art)}/{entry}"
    if doc is None:
        doc = load_table_doc(_download(source, art, entry, ref), name)
    parsed = parse_table_doc(doc, name, side_file=_side_files(source, art, ref))
    if not parsed.media_columns:
        return parsed, "table.json"
    frame = _resolve_media(source, art, dataclasses.replace(ref, entry=entry), parsed.frame, parsed.media_columns)
    return dataclasses.replace(parsed, frame=frame), "wandb"


def _side_files(source: WandbSource, art: Any, ref: TableRef) -> Callable[[str], bytes]:
    def read(path: str) -> bytes:
        target, target_path = resolve_entry(source, art, path, ref)
        return _download(source, target, target_path, ref)

    return read


def _load_incremental(source: WandbSource, art: Any, ref: TableRef) -> LoadedTable:
    entries = increment_entries(_manifest_entries(source, art))
    if not entries:
        raise TableNotFound(f"Table {ref.key!r}: {ref.artifact} holds no increments (.table.json entries).")
    docs = [load_table_doc(_download(source, art, e, ref), f"{ref.artifact}/{e}") for e in entries]
    try:
        doc = join_increments(docs)
    except ValueError as exc:
        raise BadTable(f"Incremental table {ref.key!r} in {ref.artifact}: {exc}.") from None
    parsed, source_format = _parse_entry(source, art, entries[-1], ref, doc=doc)
    note = f"Incremental table: {len(entries)} increments joined in order ({', '.join(entries)})."
    rows = len(parsed.frame)
    return LoadedTable(
        ref=ref,
        frame=parsed.frame,
        total_rows=max(rows, ref.nrows or 0),
        truncated=rows < (ref.nrows or 0),
        source_format=source_format,
        notes=(*parsed.notes, note),
    )


def _load_partitioned(source: WandbSource, art: Any, entry: str, ref: TableRef) -> LoadedTable:
    doc = _json_entry(source, art, entry, ref)
    parts_path = str(doc.get("parts_path") or "")
    parts = partition_entries(_manifest_entries(source, art), parts_path)
    if not parts:
        raise TableNotFound(f"Partitioned table {ref.key!r}: {stable_id(art)} has no part tables under {parts_path!r}.")
    parsed = [_parse_entry(source, art, part, ref) for part in parts]
    try:
        frame = stack_parts([p.frame for p, _ in parsed], parts)
    except ValueError as exc:
        raise BadTable(f"Partitioned table {ref.key!r} in {stable_id(art)}: {exc}.") from None
    notes = tuple(n for p, _ in parsed for n in p.notes)
    note = f"Partitioned table: {len(parts)} parts under {parts_path}/ read one after the other."
    return LoadedTable(
        ref=ref,
        frame=frame,
        total_rows=len(frame),
        truncated=False,
        source_format=_combined_format(f for _, f in parsed),
        notes=(*notes, note),
    )


def _load_joined(source: WandbSource, art: Any, entry: str, ref: TableRef) -> LoadedTable:
    doc = _json_entry(source, art, entry, ref)
    join_key = doc.get("join_key")
    if not (isinstance(join_key, str) or (isinstance(join_key, list) and len(join_key) == 2)):
        raise BadTable(f"Joined table {ref.key!r}: join_key {join_key!r} is neither a column name nor two of them.")
    sides = []
    for field in ("table1", "table2"):
        path = doc.get(field)
        if not isinstance(path, str) or not path.endswith(TABLE_SUFFIX):
            raise BadTable(
                f"Joined table {ref.key!r}: {field} is {path!r}, not a table of the artifact; wbview joins tables only."
            )
        target, target_path = resolve_entry(source, art, path, ref)
        sides.append((path[: -len(TABLE_SUFFIX)], _parse_entry(source, target, target_path, ref)))
    try:
        joined = join_tables(sides[0][1][0].frame, sides[1][1][0].frame, join_key, (sides[0][0], sides[1][0]))
    except (ValueError, TypeError) as exc:
        raise BadTable(f"Joined table {ref.key!r} in {stable_id(art)}: {exc}.") from None
    notes = tuple(n for _, (p, _) in sides for n in p.notes)
    return LoadedTable(
        ref=ref,
        frame=joined.frame,
        total_rows=len(joined.frame),
        truncated=False,
        source_format=_combined_format(f for _, (_, f) in sides),
        notes=(*notes, *joined.notes),
    )


def _combined_format(formats: Any) -> ParsedFormat:
    return "wandb" if "wandb" in set(formats) else "table.json"


def _json_entry(source: WandbSource, art: Any, entry: str, ref: TableRef) -> dict[str, Any]:
    doc = load_table_doc(_download(source, art, entry, ref), f"{stable_id(art)}/{entry}")
    if not isinstance(doc, dict):
        raise BadTable(f"{stable_id(art)}/{entry} is not a JSON object.")
    return doc


def _manifest_entries(source: WandbSource, art: Any) -> list[str]:
    return source._call(f"reading the manifest of {stable_id(art)}", lambda: list(art.manifest.entries))


def resolve_entry(source: WandbSource, art: Any, entry: str, ref: TableRef) -> tuple[Any, str]:
    """The artifact and path that hold ``entry``'s bytes: itself, or what a reference entry
    (``wandb-artifact://<hex id>/<path>``) points at, loaded with this source's client."""
    for _ in range(MAX_REFERENCE_HOPS):
        item = source._call(f"reading the manifest of {stable_id(art)}", lambda a=art, e=entry: a.manifest.entries.get(e))
        match = _WANDB_REF.match(str(getattr(item, "ref", None) or ""))
        if match is None:
            return art, entry
        artifact_id = base64.b64encode(bytes.fromhex(match["hex"])).decode("ascii")
        api = source.api
        target = source._call(
            f"loading the artifact {entry!r} of {stable_id(art)} refers to", lambda i=artifact_id, a=api: a._artifact_from_id(i)
        )
        if target is None:
            raise TableNotFound(f"Table {ref.key!r}: {stable_id(art)}/{entry} refers to an artifact that no longer exists.")
        art, entry = target, match["path"]
    raise BadTable(f"Table {ref.key!r}: more than {MAX_REFERENCE_HOPS} reference hops from {ref.artifact}/{ref.entry}.")


# --- small helpers -------------------------------------------------------------------------------


def _version_number(art: Any) -> int:
    return _version_index(stable_id(art))


def _version_index(artifact_id: str) -> int:
    digits = artifact_id.rpartition(":")[2].lstrip("v")
    return int(digits) if digits.isdigit() else -1


def _step(art: Any) -> int | None:
    try:
        step = art.history_step
    except Exception:  # noqa: BLE001 - a step is a nicety: unknown rather than a failure
        return None
    return int(step) if isinstance(step, int) else None


def _resolve_media(
    source: WandbSource, art: Any, ref: TableRef, frame: pd.DataFrame, media_columns: tuple[str, ...]
) -> pd.DataFrame:
    """Media cells point at other entries of the artifact: only wandb's own loader
    resolves them, so it runs for those columns alone and each cell becomes the local
    path of its downloaded file (a plain string, no wandb object leaks out)."""
    key = ref.entry[: -len(TABLE_SUFFIX)] if ref.entry.endswith(TABLE_SUFFIX) else ref.entry

    def fetch() -> pd.DataFrame:
        table = art.get(key)
        if table is None or len(table.data) != len(frame):
            raise TableNotFound(f"Table {ref.key!r}: wandb could not resolve the media of {ref.artifact}/{ref.entry}.")
        resolved = frame.copy()
        positions = {name: i for i, name in enumerate(table.columns)}
        for column in media_columns:
            index = positions[column]
            resolved[column] = [_media_cell(row[index]) for row in table.data]
        return resolved

    return source._call(f"loading the media columns of {ref.artifact}/{ref.entry}", fetch)


def _download(source: WandbSource, art: Any, entry: str, ref: TableRef) -> bytes:
    def missing(detail: str) -> NotFound:
        return TableNotFound(
            f"Table {ref.key!r}: {ref.artifact} has no entry {entry!r} ({detail}). "
            f"List tables with `wbview table ENTITY/PROJECT/{ref.run_id}`."
        )

    def fetch() -> bytes:
        try:
            handle = art.get_entry(entry)
        except KeyError as exc:
            raise missing(str(exc).strip("'\"")) from None
        target = source._download_dir / stable_id(art).replace(":", "_")
        path = Path(handle.download(root=str(target)))
        try:
            return path.read_bytes()
        finally:
            path.unlink(missing_ok=True)  # wandb's cache keeps a copy; ours would only pile up

    return source._call(f"downloading {ref.artifact}/{entry}", fetch, not_found=missing)


def _companion_ref(run_id: str, art: Any, manifest: TableManifest) -> TableRef:
    return TableRef(
        run_id=run_id,
        key=manifest.key,
        artifact=stable_id(art),
        entry=manifest.table_entry,
        nrows=manifest.nrows,
        stored_rows=manifest.stored_rows,
        parquet_entry=manifest.parquet_entry,
        digest=getattr(art, "digest", None),
    )


def _media_cell(value: Any) -> str | None:
    """A resolved wandb media object as the path of its local file (None for an empty cell)."""
    if value is None:
        return None
    path = getattr(value, "_path", None)
    return str(path) if path else str(value)
