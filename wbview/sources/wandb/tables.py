"""Eval tables over wandb: which tables a run logged (its summary's ``table-file``
entries and the ``.table.json`` entries of artifacts it logged), and loading one into
pandas (the companion's Parquet copy when there is one, else the ``.table.json`` read
column-wise; media columns through wandb's own loader, for those columns only)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wbview.errors import NotFound, TableNotFound
from wbview.formats.manifest import TableManifest
from wbview.formats.tablejson import PARQUET_SUFFIX, TABLE_SUFFIX, parse_table_json, read_parquet
from wbview.records import LoadedTable, SourceFormat, TableRef
from wbview.sources.wandb.convert import collection_name, metadata_of, stable_id

if TYPE_CHECKING:
    import pandas as pd

    from wbview.sources.wandb.source import WandbSource


def run_tables(source: WandbSource, project: str, run_id: str) -> list[TableRef]:
    """The tables a run logged, each resolved to the artifact version that holds it."""
    run = source.run(project, run_id)
    wandb_run = source._wandb_run(project, run_id)
    logged = source._call(f"listing the outputs of run {run_id}", lambda: list(wandb_run.logged_artifacts()))
    by_collection = {}
    for art in logged:
        source._remember_artifact(project, art)
        by_collection[collection_name(art)] = art
    refs: dict[tuple[str, str], TableRef] = {}
    for ref in run.tables:  # from the summary: resolve "name:latest" to the version the run logged
        art = by_collection.get(ref.artifact.split(":")[0]) or _logged_with_entry(logged, ref.entry)
        if art is not None:
            ref = dataclasses.replace(ref, artifact=stable_id(art), digest=getattr(art, "digest", None))
        refs[(ref.artifact.split(":")[0], ref.entry)] = ref
    for art in logged:
        for ref in _artifact_tables(source, run_id, art):
            slot = (ref.artifact.split(":")[0], ref.entry)
            summary_ref = refs.get(slot)
            # Companion metadata knows more (Parquet copy, stored rows); keep the summary's key.
            refs[slot] = ref if summary_ref is None else _merge_refs(summary_ref, ref)
    return list(refs.values())


def _artifact_tables(source: WandbSource, run_id: str, art: Any) -> list[TableRef]:
    manifest = TableManifest.from_metadata(metadata_of(art))
    if manifest is not None:
        return [_companion_ref(run_id, art, manifest)]
    if getattr(art, "type", None) == "run_table":
        return []  # already known from the summary, and one entry each
    names = source._call(f"listing the files of {stable_id(art)}", lambda: [f.name for f in art.files()])
    refs = []
    for entry in names:
        if entry.endswith(TABLE_SUFFIX):
            stem = entry[: -len(TABLE_SUFFIX)]
            parquet = stem + PARQUET_SUFFIX
            refs.append(TableRef(
                run_id=run_id, key=stem, artifact=stable_id(art), entry=entry,
                parquet_entry=parquet if parquet in names else None, digest=getattr(art, "digest", None),
            ))
    return refs


def load_table(source: WandbSource, project: str, ref: TableRef) -> LoadedTable:
    """One table as a DataFrame, with its true row count."""
    art = source._wandb_artifact(project, ref.artifact)
    if ref.parquet_entry:
        frame = read_parquet(_download(source, art, ref.parquet_entry, ref), name=f"{ref.artifact}/{ref.parquet_entry}")
        total = max(ref.nrows or 0, len(frame))
        return LoadedTable(ref=ref, frame=frame, total_rows=total, truncated=len(frame) < total, source_format="parquet")
    parsed = parse_table_json(_download(source, art, ref.entry, ref), name=f"{ref.artifact}/{ref.entry}")
    total = max(ref.nrows or 0, parsed.declared_rows or 0, parsed.stored_rows)
    frame = parsed.frame
    source_format: SourceFormat = "table.json"
    if parsed.media_columns:
        frame, source_format = _resolve_media(source, art, ref, frame, parsed.media_columns), "wandb"
    return LoadedTable(
        ref=ref, frame=frame, total_rows=total, truncated=parsed.stored_rows < total, source_format=source_format
    )


def _resolve_media(source: WandbSource, art: Any, ref: TableRef, frame: pd.DataFrame, media_columns: tuple[str, ...]) -> pd.DataFrame:
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


def _logged_with_entry(logged: list[Any], entry: str) -> Any:
    """The companion artifact whose table entry a workspace table points at, if any."""
    for art in logged:
        manifest = TableManifest.from_metadata(metadata_of(art))
        if manifest is not None and manifest.table_entry == entry:
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


def _media_cell(value: Any) -> str | None:
    """A resolved wandb media object as the path of its local file (None for an empty cell)."""
    if value is None:
        return None
    path = getattr(value, "_path", None)
    return str(path) if path else str(value)
