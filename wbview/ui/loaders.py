"""Cached reads from the current source, keyed by the source spec (a source object is
not hashable; the spec names it). Records are small and go through ``st.cache_data``;
tables (up to millions of rows) and prepared tables stay in memory with
``st.cache_resource`` so a rerun never copies them."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, TypeVar

import pandas as pd
import streamlit as st

from wbview.analysis.memo import SizedCache
from wbview.filters import RunOrder, parse_filters
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
from wbview.settings import cache_ttl_s, table_cache_bytes
from wbview.ui.source import open_source

if TYPE_CHECKING:
    from wbview.analysis.prepare import PreparedTable

TTL_S = cache_ttl_s()  # W&B data changes while runs are live (one setting: WBVIEW_CACHE_TTL_S)


@st.cache_data(ttl=TTL_S, show_spinner="Loading runs…", max_entries=16)
def runs(spec: str, project: str, filter_texts: tuple[str, ...] = ()) -> list[Run]:
    """The project's runs matching the filter (texts in the ``--filter`` syntax): the
    source evaluates it (W&B on its server, dotted keys client-side)."""
    return open_source(spec).runs(project, parse_filters(filter_texts) if filter_texts else None)


@st.cache_data(ttl=TTL_S, show_spinner="Loading runs…", max_entries=64)
def runs_page(
    spec: str, project: str, filter_texts: tuple[str, ...] = (), offset: int = 0, limit: int = 50, order: str = "-created_at"
) -> RunPage:
    """One page of the runs matching the filter, in ``order`` (``RunOrder`` text), with the
    number of matching runs: the source filters, sorts and counts (W&B on its server)."""
    run_filter = parse_filters(filter_texts) if filter_texts else None
    return open_source(spec).runs_page(project, run_filter, offset=offset, limit=limit, order=RunOrder.parse(order))


@st.cache_data(ttl=TTL_S, show_spinner="Loading metric histories…", max_entries=64)
def histories(spec: str, project: str, run_ids: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """The histories of several runs, fetched in parallel (a bounded pool of workers)."""
    return open_source(spec).histories(project, list(run_ids))


@st.cache_data(ttl=TTL_S, show_spinner="Loading the run…", max_entries=64)
def run(spec: str, project: str, run_id: str) -> Run:
    return open_source(spec).run(project, run_id)


@st.cache_data(ttl=TTL_S, show_spinner="Loading metric history…", max_entries=128)
def history(spec: str, project: str, run_id: str) -> pd.DataFrame:
    return open_source(spec).history(project, run_id)


@st.cache_data(ttl=TTL_S, show_spinner=False, max_entries=64)
def run_artifacts(spec: str, project: str, run_id: str) -> RunArtifacts:
    return open_source(spec).run_artifacts(project, run_id)


@st.cache_data(ttl=TTL_S, show_spinner="Loading artifact types…", max_entries=16)
def artifact_types(spec: str, project: str) -> list[str]:
    return open_source(spec).artifact_types(project)


@st.cache_data(ttl=TTL_S, show_spinner="Loading collections…", max_entries=64)
def artifact_collections(spec: str, project: str, artifact_type: str) -> list[ArtifactCollection]:
    return open_source(spec).artifact_collections(project, artifact_type)


@st.cache_data(ttl=TTL_S, show_spinner="Loading versions…", max_entries=64)
def artifact_versions(spec: str, project: str, collection: str) -> list[ArtifactVersion]:
    return open_source(spec).artifact_versions(project, collection)


@st.cache_data(ttl=TTL_S, show_spinner="Loading the artifact…", max_entries=128)
def artifact(spec: str, project: str, name_version: str) -> ArtifactVersion:
    return open_source(spec).artifact(project, name_version)


@st.cache_data(ttl=TTL_S, show_spinner="Finding the run's tables…", max_entries=64)
def tables(spec: str, project: str, run_id: str) -> list[TableRef]:
    return open_source(spec).tables(project, run_id)


@st.cache_data(ttl=TTL_S, show_spinner="Walking the lineage…", max_entries=64)
def lineage(spec: str, project: str, root: str, depth: int, direction: Direction) -> LineageGraph:
    return open_source(spec).lineage(project, root, depth=depth, direction=direction)


# Loaded and prepared tables, shared by every session of this server process, under one
# memory budget (WBVIEW_TABLE_CACHE_MB): a table and everything derived from it form one
# family, and the least recently used families are dropped when the budget is exceeded.
TABLES = SizedCache(table_cache_bytes())

T = TypeVar("T")


def in_table_family(spec: str, project: str, ref: TableRef, key: Hashable, compute: Callable[[], T], spinner: str) -> T:
    """A value derived from one table (its prepared forms), cached with the table itself:
    computed once for every session, dropped together with the table."""

    def compute_with_spinner() -> T:
        with st.spinner(spinner):
            return compute()

    return TABLES.get((spec, project, ref), key, compute_with_spinner)


def table(spec: str, project: str, ref: TableRef) -> LoadedTable:
    return in_table_family(
        spec,
        project,
        ref,
        "loaded",
        lambda: open_source(spec).load_table(project, ref),
        "Loading the table (large tables take a few seconds)…",
    )


def prepared(spec: str, project: str, ref: TableRef, mapping: tuple[tuple[str, str | None], ...] = ()) -> PreparedTable:
    """The table with roles detected (or mapped by the user) and errors/outcomes derived."""
    from wbview.analysis.prepare import prepare
    from wbview.schema import detect_schema

    def compute() -> PreparedTable:
        frame = table(spec, project, ref).frame
        schema = detect_schema(frame.columns).with_mapping(dict(mapping))
        return prepare(frame, schema)

    return in_table_family(spec, project, ref, ("prepared", mapping), compute, "Preparing the table for analysis…")


def clear() -> None:
    """Forget everything cached (the "Reload" button)."""
    st.cache_data.clear()
    TABLES.clear()
    open_source.clear()  # a store rebuilt on disk, or new W&B settings, are read again
