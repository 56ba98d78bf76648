"""What every page starts with, and the pickers pages share (run, artifact, table).

A page is::

    ctx = page.start("Runs")          # source + project from the URL, sidebar, demo notice
    run_id = page.pick_run(ctx)       # bound to ?run=
    ...

Every choice is a widget bound to a URL query parameter, so the address bar always
reopens the same view.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from wbview.analysis import selection as views
from wbview.records import LoadedTable, Run, TableRef
from wbview.sources.base import Source
from wbview.ui import loaders, login, url_state
from wbview.ui.errors import CONNECT_HINT, guard
from wbview.ui.source import (
    PROJECT_PARAM,
    SOURCE_PARAM,
    check_access,
    current_project,
    current_spec,
    open_source,
    project_picker,
    source_picker,
    spec_label,
)
from wbview.ui.text import md_escape

PAGES = {
    "runs": "pages/runs.py",
    "run": "pages/run.py",
    "artifacts": "pages/artifacts.py",
    "lineage": "pages/lineage.py",
    "errors": "pages/error_analysis.py",
}


@dataclass(frozen=True)
class PageContext:
    spec: str
    source: Source
    project: str

    def link_params(self, **params: str) -> dict[str, str]:
        """Query parameters for a link to another page of the same project."""
        return {SOURCE_PARAM: self.spec, PROJECT_PARAM: self.project, **{k: v for k, v in params.items() if v}}


_NAVIGATION = threading.local()  # set while app.py's navigation runs a page in this script thread
_NAVIGATION_RERUNS = "_wbview_navigation_reruns"


@contextmanager
def app_navigation() -> Iterator[None]:
    """Wrap app.py's ``st.navigation(...).run()``: a page run inside it is a page of the app."""
    _NAVIGATION.active = True
    try:
        yield
    finally:
        _NAVIGATION.active = False


def _leave_pages_directory_mode() -> None:
    """Until app.py's st.navigation has run once in a server process, Streamlit treats the
    pages/ folder the old way and runs a deep-linked page file directly, without app.py
    (no page config, no login check, a file-name menu). Switch to app.py's navigation and
    rerun: the page keeps its URL path, so the same page opens. A page run without app.py is
    told by the missing mark of ``app_navigation``, not by Streamlit's flag alone: on a fresh
    server, sessions that started at the same moment still run the old way after the first
    of them has switched the flag (twice at most per session, so that nothing can loop)."""
    from streamlit.runtime.pages_manager import PagesManager

    if getattr(_NAVIGATION, "active", False):
        return
    reruns = int(st.session_state.get(_NAVIGATION_RERUNS, 0))
    if reruns >= 2:
        return
    st.session_state[_NAVIGATION_RERUNS] = reruns + 1
    PagesManager.uses_pages_directory = False
    st.rerun()


def start(title: str) -> PageContext:
    """Title, data source and project (stops the page with a message when there is none)."""
    _leave_pages_directory_mode()
    if not login.allowed():  # app.py shows the login page; a page reached any other way shows nothing
        st.stop()
    st.title(title)
    spec = current_spec()
    if spec is None:
        st.info(
            "No data source is configured. Run `make run` (it opens a demo project), open a local store "
            "with `?source=store:<path>` in the address, or connect W&B. " + CONNECT_HINT
        )
        st.stop()
    source_picker(spec)
    with guard():
        check_access(spec)  # the link is text anyone can edit: the deployment's allow-lists decide
        source = open_source(spec)
    st.sidebar.caption(f"Data: {md_escape(source.label or spec_label(spec))}")
    with guard():
        project = current_project(source)
        check_access(spec, project)
    project_picker(source, project)
    if st.sidebar.button("Reload data", help="Forget cached results and read the source again"):
        loaders.clear()
    if source.is_demo:
        st.info("You are looking at **demo data** (a generated phishing-detection project). " + CONNECT_HINT, icon="🧪")
    if not project:
        st.info("Choose a project in the sidebar (ENTITY/PROJECT).")
        st.stop()
    return PageContext(spec, source, project)


def require_runs(ctx: PageContext, why: str = "") -> list[Run]:
    """The project's runs; stops the page with a message when it has none."""
    with guard():
        runs = loaders.runs(ctx.spec, ctx.project)
    if not runs:
        st.info(
            f"The project {md_escape(ctx.project)} has no runs{why}. Log a run to W&B, or pick another project in the sidebar."
        )
        st.stop()
    return runs


def run_label(run: Run) -> str:
    extra = " · ".join(x for x in (run.job_type, run.group) if x)
    return f"{run.name} ({run.id})" + (f" · {extra}" if extra else "")


def pick_run(
    ctx: PageContext,
    label: str = "Run",
    key: str = "run",
    runs: list[Run] | None = None,
    default: str | None = None,
    absent: str = "is not among the runs listed here",
) -> Run | None:
    """A run chosen in a selectbox kept in the URL as ``?<key>=<run id>``; None when the project has none.
    A linked run that is not offered gets a warning (``absent`` says why) and ``default`` instead."""
    with guard():
        runs = runs if runs is not None else loaders.runs(ctx.spec, ctx.project)
    if not runs:
        st.info(f"The project {md_escape(ctx.project)} has no runs.")
        return None
    by_id = {r.id: r for r in runs}

    def explain(linked: str, shown: str) -> None:
        url_state.link_warning("Run", linked, _why_not_offered(ctx, linked, absent), shown)

    # Options are run ids (they go into the URL, and links pass ids); the picker shows and
    # searches "name (id)".
    run_id = url_state.choice(
        label,
        list(by_id),
        key,
        default=default,
        explain=explain,
        format_func=lambda i: views.run_choice_label(by_id[i]) if i in by_id else str(i),
        help="Type part of a run's name or id to search.",
    )
    if run_id is None:  # only without options, and there are runs here
        return None
    chosen = by_id.get(run_id)
    if chosen is not None:
        st.caption(md_escape(run_label(chosen)))
    return chosen


def _why_not_offered(ctx: PageContext, run_id: str, absent: str) -> str:
    """Why a linked run is not among the choices: ``absent`` when the project has it (one
    lookup of that run, never a listing of every run), else that it does not exist."""
    from wbview.errors import NotFound, WbviewError

    try:
        loaders.run(ctx.spec, ctx.project, run_id)
    except NotFound:
        return f"does not exist in project {ctx.project}"
    except WbviewError as exc:
        return f"could not be looked up ({exc})"
    return absent


def pick_table(ctx: PageContext, run: Run, key: str = "table") -> TableRef | None:
    """One of the run's eval tables, kept in the URL as ``?<key>=<artifact>/<entry>``."""
    with guard():
        refs = loaders.tables(ctx.spec, ctx.project, run.id)
    if not refs:
        st.info(
            f"Run {md_escape(run.name)} logged no tables. Pick another run, or log an eval table with the companion "
            "library (see the README)."
        )
        return None
    by_name = {f"{r.artifact}/{r.entry}": r for r in refs}

    def explain(linked: str, shown: str) -> None:
        url_state.link_warning("Table", linked, f"is not among the tables of run {run.name} ({run.id})", shown)

    # Several tables (or versions) may share a key: each is offered with its artifact,
    # version and step; the latest version the run logged is the default.
    # An EvalTable (rows read from W&B Weave) only when the run logged no other table.
    default = next((name for name, r in by_name.items() if r.latest and r.kind != "eval-table"), None) or next(
        (name for name, r in by_name.items() if r.eval_backend == "weave"), None
    )
    name = url_state.choice(
        "Table",
        list(by_name),
        key,
        parent=run.id,
        default=default,
        explain=explain,
        format_func=lambda option: table_label(by_name[option]),
    )
    return None if name is None else by_name.get(name)


def table_label(ref: TableRef) -> str:
    """How a table is named in the chooser: key, artifact:version, step, and what it is."""
    parts = [ref.key, ref.artifact]
    if ref.step is not None:
        parts.append(f"step {ref.step}")
    if not ref.latest:
        parts.append("older version")
    if ref.eval_backend == "weave":
        parts.append("W&B EvalTable (rows in Weave, loaded with wbview[weave])")
    elif ref.eval_backend == "ces":
        parts.append("W&B EvalTable (rows in CES, not readable)")
    elif ref.kind != "table":
        parts.append(f"{ref.kind} table")
    return " · ".join(parts)


def pick_eval_table(
    ctx: PageContext, run_key: str = "run", table_key: str = "table", label: str = "Run", default_run: str | None = None
) -> tuple[Run, TableRef]:
    """A run (those that logged tables first) and one of its tables, both kept in the URL;
    stops the page when there is none. Without ``default_run`` the page opens on the
    best-scoring run (``selection.default_eval_run``)."""
    runs = require_runs(ctx, ", so there is no table to analyse")
    offered = [r for r in runs if r.tables] or runs
    run = pick_run(
        ctx,
        label=label,
        key=run_key,
        runs=offered,
        absent="logged no eval table",
        default=default_run if default_run is not None else views.default_eval_run(offered),
    )
    if run is None:
        st.stop()
    ref = pick_table(ctx, run, key=table_key)
    if ref is None:
        st.stop()
    return run, ref


def mapped_table(ctx: PageContext, ref: TableRef) -> tuple[LoadedTable, tuple[tuple[str, str | None], ...]]:
    """Load the table (warning when it was truncated at log time) and show the column-mapping
    panel, open when the roles could not be recognised; returns the table and the mapping."""
    from wbview.schema import detect_schema
    from wbview.ui.widgets import column_mapping

    with guard():
        loaded = loaders.table(ctx.spec, ctx.project, ref)
    if loaded.truncated or not loaded.total_known:
        st.warning(md_escape(loaded.row_note) + " Results below cover the stored rows only.")
    for note in loaded.notes:
        st.info(md_escape(note))
    detected = detect_schema(loaded.frame.columns)
    mapping = column_mapping(loaded.frame, detected, expanded=not detected.has_labels and detected.is_error is None)
    return loaded, tuple(sorted(mapping.items()))


def page_url(ctx: PageContext, page: str, **params: str) -> str:
    """A relative address of another page (for link columns in tables), keeping source and project."""
    from urllib.parse import urlencode

    return f"./{Path(PAGES.get(page, page)).stem}?{urlencode(ctx.link_params(**params))}"


def link(ctx: PageContext, page: str, label: str, **params: str) -> None:
    """A link to another page keeping source and project (and the given parameters)."""
    st.page_link(PAGES.get(page, page), label=md_escape(label), query_params=ctx.link_params(**params))
