"""Which data the dashboard shows: a source spec and a project, both kept in the URL.

A source spec is text: ``store:<path>`` (a local store), ``wandb`` (the W&B account
in the settings) or ``memory:<name>`` (a source registered in-process, for tests).
Order of choice: the URL's ``?source=`` > ``$WBVIEW_STORE`` > W&B when credentials
exist. The project comes from ``?project=`` > the source's default project.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import streamlit as st

from wbview.errors import NoCredentials, UsageError
from wbview.settings import wbview_env
from wbview.sources.base import Source
from wbview.ui.url_state import set_param

SOURCE_PARAM = "source"
PROJECT_PARAM = "project"
STORE_PREFIX = "store:"
MEMORY_PREFIX = "memory:"
WANDB_SPEC = "wandb"

_REGISTERED: dict[str, Source] = {}


def register_source(name: str, source: Source) -> str:
    """Make an in-process source available as ``memory:<name>``; returns the spec."""
    spec = MEMORY_PREFIX + name
    _REGISTERED[spec] = source
    return spec


def _has_credentials() -> bool:
    from wbview.settings import load_settings

    try:
        return load_settings().has_credentials()
    except UsageError:
        return True  # a broken secrets file: choose W&B so the page shows the problem


def default_spec(environ: Mapping[str, str] | None = None, has_credentials: Callable[[], bool] = _has_credentials) -> str | None:
    """The source to open when the URL names none."""
    store = wbview_env("WBVIEW_STORE", environ)
    if store:
        return STORE_PREFIX + store
    if has_credentials():
        return WANDB_SPEC
    return None


def check_access(spec: str, project: str | None = None) -> None:
    """Raise AccessDenied when the deployment's allow-lists (``wbview.access``) exclude the
    store a spec names or, on W&B, the project."""
    from wbview.access import load_policy

    policy = load_policy()
    if spec.startswith(STORE_PREFIX):
        policy.check_store(spec[len(STORE_PREFIX) :])
    elif spec == WANDB_SPEC and project:
        policy.check_project(project)


def spec_label(spec: str) -> str:
    if spec == WANDB_SPEC:
        return "W&B"
    if spec.startswith(STORE_PREFIX):
        return f"local store {spec[len(STORE_PREFIX) :]}"
    return spec


@st.cache_resource(show_spinner="Connecting to the data source…", max_entries=8)
def open_source(spec: str) -> Source:
    """The Source for a spec, opened once per server process."""
    if spec in _REGISTERED:
        return _REGISTERED[spec]
    if spec.startswith(STORE_PREFIX):
        from wbview.sources.store.local import LocalSource

        return LocalSource(spec[len(STORE_PREFIX) :])
    if spec == WANDB_SPEC:
        from wbview.settings import load_settings

        settings = load_settings()
        if not settings.has_credentials():
            raise NoCredentials("No W&B API key is configured, so the W&B source cannot be opened.")
        from wbview.sources.cached import CachedSource
        from wbview.sources.wandb import WandbSource

        # immutable content (tables, versions) from the local cache: reopening costs no request
        return CachedSource(WandbSource(settings))
    raise UsageError(f"Unknown data source {spec!r} in the link. Use ?source=wandb or ?source=store:<path to a wbview store>.")


def current_spec() -> str | None:
    """The spec from the URL, else the one this session used last, else the default."""
    spec = st.query_params.get(SOURCE_PARAM) or st.session_state.get("_wbview_source") or default_spec()
    if spec:
        st.session_state["_wbview_source"] = spec
        set_param(SOURCE_PARAM, spec)  # keep the link complete, even for the default
    return spec


def qualify_project(project: str, entity: str | None) -> str:
    """``ENTITY/PROJECT`` from what a person typed: a bare project name gets the configured
    entity (``WANDB_ENTITY``), anything else is kept as typed."""
    project = project.strip()
    if project and "/" not in project and entity:
        return f"{entity}/{project}"
    return project


def _entity_of(source: Source) -> str | None:
    settings = getattr(source, "settings", None)
    return getattr(settings, "entity", None) if settings is not None else None


def current_project(source: Source) -> str | None:
    """The project from the URL, else this session's last, else the source's default."""
    project = st.query_params.get(PROJECT_PARAM) or st.session_state.get("_wbview_project") or source.default_project()
    if project:
        project = qualify_project(project, _entity_of(source))
    settings = getattr(source, "settings", None)  # only W&B sources have settings
    if not project and settings is not None:
        project = settings.default_project
    if project:
        set_project(project)
    return project


def set_project(project: str, *, now: bool = False) -> None:
    st.session_state["_wbview_project"] = project
    set_param(PROJECT_PARAM, project, now=now)


def _switch_project(key: str, entity: str | None = None) -> None:
    chosen = qualify_project(st.session_state.get(key) or "", entity)
    if chosen:
        set_project(chosen, now=True)  # (a callback)


def _switch_source(key: str) -> None:
    chosen = (st.session_state.get(key) or "").strip()
    if not chosen:
        return
    if key.startswith("_store_path") and not chosen.startswith(STORE_PREFIX):
        chosen = STORE_PREFIX + chosen
    st.session_state["_wbview_source"] = chosen
    set_param(SOURCE_PARAM, chosen, now=True)  # (a callback)
    st.session_state.pop("_wbview_project", None)  # the new source has its own projects
    set_param(PROJECT_PARAM, None, now=True)


def source_picker(spec: str) -> None:
    """Sidebar control to switch between the sources at hand (W&B, the configured store)
    or open another local store by path; the choice goes into the link."""
    options = list(dict.fromkeys(s for s in (spec, default_spec(), WANDB_SPEC if _has_credentials() else None) if s))
    key = f"_source_box:{spec}"  # a new widget whenever the link changes the source
    st.sidebar.selectbox("Data source", options, format_func=spec_label, key=key, on_change=_switch_source, args=(key,))
    path_key = f"_store_path:{spec}"
    st.sidebar.text_input(
        "Open a local store (folder)",
        key=path_key,
        on_change=_switch_source,
        args=(path_key,),
        placeholder="e.g. ~/wbview-store",
        help="A folder written by `wbview pull` or `wbview demo`.",
    )


def project_picker(source: Source, project: str | None) -> None:
    """Sidebar control to switch project: a list when the source can list them (only those the
    deployment allows), and on W&B a text box too, to open any other project by name."""
    known = _known_projects(source)
    if project and project not in known:
        known = [project, *known]
    key = f"_project_box:{project}"  # a new widget whenever the link changes the project
    entity = _entity_of(source)
    if known:
        st.sidebar.selectbox(
            "Project",
            known,
            index=known.index(project) if project in known else 0,
            key=key,
            on_change=_switch_project,
            args=(key, entity),
        )
    if not known or getattr(source, "settings", None) is not None:
        typed_key = f"_project_typed:{project}"
        if known:
            label = "Other project (a name in {entity}, or ENTITY/PROJECT)" if entity else "Other project (ENTITY/PROJECT)"
        else:
            label = f"Project (a name in {entity}, or ENTITY/PROJECT)" if entity else "Project (ENTITY/PROJECT)"
        st.sidebar.text_input(
            label.format(entity=entity),
            value="" if known else project or "",
            key=typed_key,
            on_change=_switch_project,
            args=(typed_key, entity),
        )


def _known_projects(source: Source) -> list[str]:
    """The projects the source lists, less those outside the deployment's allow-list."""
    from wbview.access import load_policy
    from wbview.errors import WbviewError

    try:
        listed = list(source.projects())
        policy = load_policy()
    except WbviewError:
        return []
    return [p for p in listed if policy.allows_project(p)]
