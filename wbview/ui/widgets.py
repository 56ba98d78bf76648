"""Widgets chosen from the data: filter controls for runs, the column-mapping panel for
eval tables. Every widget is bound to the URL (its key is the query parameter)."""

from __future__ import annotations

from typing import Any, Sequence

import pandas as pd
import streamlit as st

from wbview.analysis.runs import FilterSpec
from wbview.schema import ROLES, EvalSchema
from wbview.ui.text import md_escape

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
        integers = float(low).is_integer() and float(high).is_integer()
        if integers:
            low, high = int(low), int(high)  # type: ignore[arg-type]
        return container.slider(label, min_value=low, max_value=high, value=(low, high),
                                step=_step(float(low), float(high), integers), key=spec.key, bind="query-params")
    return container.multiselect(label, list(spec.options), key=spec.key, bind="query-params",
                                 placeholder="any")


def filter_panel(specs: Sequence[FilterSpec], pinned: Sequence[str], container: Any = st) -> dict[str, Any]:
    """Widgets for the pinned columns plus any column the user adds; returns key -> choice."""
    by_column = {s.column: s for s in specs}
    always = [c for c in pinned if c in by_column]
    extra = container.multiselect(
        "Filter on more columns", [c for c in by_column if c not in always], key="filter_cols", bind="query-params",
        help="Any params.*, meta.* or summary column, with widgets chosen from the values present.",
    )
    chosen = {}
    for column in [*always, *extra]:
        spec = by_column[column]
        chosen[spec.key] = filter_widget(spec, container)
    return chosen


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


def column_mapping(frame: pd.DataFrame, detected: EvalSchema, expanded: bool = False) -> dict[str, str | None]:
    """Let the user say which column plays which role; returns only the roles they set."""
    columns = [str(c) for c in frame.columns]
    mapping: dict[str, str | None] = {}
    with st.expander("Column mapping", expanded=expanded):
        st.caption("wbview recognises the seed guide's names (Decoded Text, True Label, ...) and snake_case. "
                   "When your columns are named differently, say which is which.")
        cols = st.columns(3)
        for i, role in enumerate(ROLES):
            found = getattr(detected, role)
            choice = cols[i % 3].selectbox(
                role.replace("_", " "), [AUTO, NONE, *columns], key=MAPPING_PREFIX + role, bind="query-params",
                help=f"Detected: {md_escape(found)}" if found else "Not detected",
            )
            if choice == NONE:
                mapping[role] = None
            elif choice != AUTO:
                mapping[role] = choice
    return mapping
