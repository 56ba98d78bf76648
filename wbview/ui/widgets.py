"""Widgets chosen from the data: filter controls for runs, the column-mapping panel for
eval tables. Every choice is in the URL: run filters as ``f=`` conditions in the filter
text syntax of ``wbview runs --filter`` (``f=params.lr>=0.001&f=job_type in train``),
other widgets bound to their own query parameter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from wbview.analysis.runs import FilterSpec, choices_from, run_filter
from wbview.errors import BadFilter, UsageError
from wbview.filters import QUERY_PARAM, RunFilter, check_keys, parse_filters
from wbview.records import Run
from wbview.schema import ROLES, EvalSchema
from wbview.ui import url_state
from wbview.ui.text import md_escape

if TYPE_CHECKING:  # only a type: the class lives in a private module of Streamlit
    from streamlit.elements.lib.mutable_expander_container import ExpanderContainer

AUTO = "(auto)"
NONE = "(none)"
MAPPING_PREFIX = "map."


def _step(low: float, high: float, integers: bool) -> float | int:
    if integers:
        return 1
    return max((high - low) / 100, 1e-9)


def filter_widget(spec: FilterSpec, container: Any = st) -> Any:
    """A multiselect (categories, tags) or a range slider (numbers) for one column."""
    label = md_escape(spec.column)  # config keys come from data: never markdown
    if spec.kind == "numeric":
        low, high = spec.low, spec.high
        if low is None or high is None:
            raise UsageError(f"The numeric filter on {spec.column!r} needs both bounds (low and high).")
        integers = float(low).is_integer() and float(high).is_integer()
        if integers:
            low, high = int(low), int(high)
        return container.slider(
            label,
            min_value=low,
            max_value=high,
            value=(low, high),
            step=_step(float(low), float(high), integers),
            key=spec.key,
            bind="query-params",
        )
    return container.multiselect(label, list(spec.options), key=spec.key, placeholder="any")


_LAST_FILTER = "_url_last:" + QUERY_PARAM  # the filter texts this session last wrote
_EXTRA_COLUMNS = "filter_cols"


def _link_filter(container: Any, runs: Sequence[Run] = (), runs_total: int | None = None) -> RunFilter | None:
    """The filter a fresh link names (None when the URL holds what this session wrote); a
    key no run has is resolved where the intent is clear, or named with the closest keys."""
    texts = st.query_params.get_all(QUERY_PARAM)
    if not url_state.is_news(QUERY_PARAM, texts, st.session_state.get(_LAST_FILTER)):
        return None
    try:
        linked = parse_filters(texts)
    except BadFilter as exc:
        st.caption(f"ℹ️ The link's filter was ignored: {md_escape(str(exc))}")
        return RunFilter()
    if not runs:
        return linked
    checked = check_keys(linked, runs, total=runs_total)
    for note in checked.notes:
        st.caption(f"ℹ️ {md_escape(note)}")
    return checked.run_filter


def filter_panel(
    specs: Sequence[FilterSpec],
    pinned: Sequence[str],
    container: Any = st,
    runs: Sequence[Run] = (),
    runs_total: int | None = None,
) -> RunFilter:
    """Widgets for the pinned columns plus any column the user adds, seeded from the link's
    ``f=`` conditions; returns their choices as one RunFilter and writes it back to the URL.
    Conditions no widget can show (typed into a link by hand) still apply and are listed.
    ``runs`` (a sample of ``runs_total`` runs, when that is more) name the keys that exist."""
    by_column = {s.column: s for s in specs}
    always = [c for c in pinned if c in by_column]
    _unknown_linked_columns("filter_cols", list(by_column), container)
    state = st.session_state
    linked = _link_filter(container, runs, runs_total)
    if linked is not None:
        chosen, rest = choices_from(specs, linked)
        for spec in specs:
            if spec.key in chosen:
                state[spec.key] = chosen[spec.key]
            else:
                state.pop(spec.key, None)
        state[_EXTRA_COLUMNS] = [s.column for s in specs if s.key in chosen and s.column not in always]
        state["_filter_rest"] = rest
    rest = state.get("_filter_rest", RunFilter())
    extra = container.multiselect(
        "Filter on more columns",
        [c for c in by_column if c not in always],
        key=_EXTRA_COLUMNS,
        bind="query-params",
        help="Any params.*, meta.* or summary column, with widgets chosen from the values present.",
    )
    chosen = {}
    for column in [*always, *extra]:
        spec = by_column[column]
        chosen[spec.key] = filter_widget(spec, container)
    if not rest.is_empty:
        container.caption("Also filtered by the link: " + md_escape("; ".join(rest.to_text())))
        if container.button("Clear these", key="clear_link_filter"):
            state["_filter_rest"] = rest = RunFilter()
    combined = run_filter([by_column[c] for c in [*always, *extra]], chosen).merge(rest)
    texts = combined.to_text()
    state[_LAST_FILTER] = texts
    url_state.set_param(QUERY_PARAM, texts)
    return combined


def _unknown_linked_columns(key: str, columns: Sequence[str], container: Any) -> None:
    """A notice for each column the link names that these runs do not have (Streamlit drops
    such values silently, and reruns without them), with the closest columns that exist."""
    from wbview.filters import closest_keys

    memo = f"_unknown_link:{key}"
    if key not in st.session_state:  # the link is read before the widget first takes it over
        notices = []
        for column in st.query_params.get_all(key):
            if column not in columns:
                close = closest_keys(column, columns)
                hint = f" Closest columns: {', '.join(md_escape(c) for c in close)}." if close else ""
                notices.append(f"ℹ️ The link filters on {md_escape(column)}, which none of these runs has; it was ignored.{hint}")
        st.session_state[memo] = notices
    for notice in st.session_state.get(memo, ()):
        container.caption(notice)


def fresh_click(name: str, value: object, state: Any = None) -> bool:
    """True the first time a chart selection ``value`` is seen under ``name``: a chart keeps
    its selection across reruns, and an old click must not override a later widget choice.
    ``state`` defaults to the session state."""
    state = st.session_state if state is None else state
    key = f"_last_click:{name}"
    if value is None or state.get(key) == value:
        return False
    state[key] = value
    return True


MAPPING_PANEL_KEY = "_column_mapping_open"


def panel_on_demand(label: str, key: str, expanded: bool = False) -> ExpanderContainer:
    """An expander that reruns the page when it is opened or closed, so that its content can
    be drawn only while it is open (``if panel.open: with panel: ...``). A closed expander
    still makes the browser build what is in it: seven selectboxes cost a page about 0.2 s to
    open on a small machine, and a 1,000-row grid is sent and built again whenever its rows
    change (on Threshold & cost, at every threshold move)."""
    return st.expander(label, expanded=expanded, key=key, on_change="rerun")


def column_mapping(frame: pd.DataFrame, detected: EvalSchema, expanded: bool = False) -> dict[str, str | None]:
    """Let the user say which column plays which role; returns only the roles they set.

    The panel's selectboxes are drawn only while it is open or while the link sets a role:
    a closed panel still made the browser build its seven selectboxes, about 0.2 s of every
    analysis page's open on a small machine (a Streamlit page with only a title: 0.85 s to
    drawn; with the closed panel: 1.06 s). A link that sets a role keeps them drawn, open,
    because a selectbox bound to the link takes its value out of the link when it is not
    drawn."""
    columns = [str(c) for c in frame.columns]
    mapping: dict[str, str | None] = {}
    linked = any(MAPPING_PREFIX + role in st.query_params for role in ROLES)
    panel = panel_on_demand("Column mapping", MAPPING_PANEL_KEY, expanded=expanded or linked)
    if not (panel.open or linked):
        return mapping
    with panel:
        st.caption(
            "wbview recognises the seed guide's names (Decoded Text, True Label, ...) and snake_case. "
            "When your columns are named differently, say which is which."
        )
        cols = st.columns(3)
        for i, role in enumerate(ROLES):
            found = getattr(detected, role)
            choice = cols[i % 3].selectbox(
                role.replace("_", " "),
                [AUTO, NONE, *columns],
                key=MAPPING_PREFIX + role,
                bind="query-params",
                help=f"Detected: {md_escape(found)}" if found else "Not detected",
            )
            if choice == NONE:
                mapping[role] = None
            elif choice != AUTO:
                mapping[role] = choice
    return mapping
