"""Triage marks on the Error analysis page: everyone's marks loaded from the source, a
sidebar filter by mark and tag, and a form that marks the row being read.

Saves are append-only (``Source.save_marks``): each "Save mark" is one new save, in the
store next to the table or as a new version of the table's W&B review artifact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from wbview.analysis import marks as mk
from wbview.analysis.prepare import PreparedTable
from wbview.errors import WbviewError
from wbview.records import TableRef
from wbview.ui import login
from wbview.ui.errors import guard
from wbview.ui.page import PageContext
from wbview.ui.text import md_escape, md_escape_keep_code, show_text

AUTHOR_KEY = "mark_author"  # the name typed in this session (no login)
TAGS_KEY = "mark_tags"
WHICH_KEY = "marked"
_OUTCOME_KEY = "_mark_outcome"
_WHICH_LABELS = {"any": "all rows", "marked": "marked rows", "unmarked": "unmarked rows"}


@dataclass(frozen=True)
class MarksState:
    """What the page needs from the marks: all of them, and the sidebar's choice."""

    marks: tuple[mk.Mark, ...]
    tags: tuple[str, ...]
    which: mk.FilterChoice

    @property
    def filtering(self) -> bool:
        return bool(self.tags) or self.which != "any"


def load(ctx: PageContext, ref: TableRef) -> tuple[mk.Mark, ...]:
    """Everyone's marks on the table; a source that cannot read them says why (no marks then)."""
    with guard(stop=False):
        return tuple(mk.merge([ctx.source.load_marks(ctx.project, ref)]))
    return ()


def sidebar(ctx: PageContext, ref: TableRef) -> MarksState:
    """The marks filter in the sidebar (kept in the link)."""
    marks = load(ctx, ref)
    st.sidebar.header("Marks")
    counts = mk.tag_counts(marks)
    which = st.sidebar.segmented_control(
        "Show",
        list(_WHICH_LABELS),
        default="any",
        format_func=_WHICH_LABELS.__getitem__,
        key=WHICH_KEY,
        bind="query-params",
        help="Rows someone has marked (a tag and a note) in the Rows tab, or the others.",
    )
    tags = st.sidebar.multiselect(
        "With the tag",
        list(mk.TAGS),
        key=TAGS_KEY,
        bind="query-params",
        format_func=lambda tag: f"{tag} ({counts.get(tag, 0):,})",
        placeholder="any tag",
    )
    shown = mk.current(marks)
    st.sidebar.caption(
        f"{len(shown):,} marks shown on {len({(m.key_kind, m.row) for m in shown}):,} rows "
        f"({len(marks):,} saved, every save kept)."
    )
    choice: mk.FilterChoice = "marked" if which == "marked" else "unmarked" if which == "unmarked" else "any"
    return MarksState(marks, tuple(tags), choice)


def mask(table: PreparedTable, state: MarksState) -> np.ndarray | None:
    """Rows kept by the marks filter, or None when it keeps every row."""
    if not state.filtering:
        return None
    return mk.mark_mask(table, state.marks, state.tags, state.which)


def column(table: PreparedTable, state: MarksState) -> pd.Series:
    """The marks shown on each row of ``table`` (text; "" for none)."""
    return mk.marks_column(table, state.marks)


def default_author() -> str | None:
    """The logged-in person (when a login is configured), else None."""
    if login.login_configured() and st.user.is_logged_in:
        for field in ("name", "email"):
            value = st.user.get(field)
            if value:
                return str(value)
    return None


def mark_form(ctx: PageContext, ref: TableRef, table: PreparedTable, row: int, state: MarksState) -> None:
    """The marks on table row ``row`` and a form that adds one (as a new save)."""
    kind, keys = mk.row_keys(table)
    key = str(keys.iat[row])
    st.subheader("Marks on this row", anchor=False)
    note = mk.key_note(table)
    if note:
        st.caption("ℹ️ " + note)
    on_row = [m for m in mk.current(state.marks) if m.key_kind == kind and m.row == key]
    if on_row:
        for mark in on_row:
            show_text(
                f"{mark.tag} · {mark.author} · {mark.created_at[:19].replace('T', ' ')} UTC"
                + (f"\n{mark.note}" if mark.note else "")
            )
    else:
        st.caption("No one has marked this row yet.")
    if not getattr(ctx.source, "keeps_marks", False):
        st.caption(f"{md_escape(ctx.source.label)} cannot keep marks; open a local store or W&B to mark rows.")
        return
    who = default_author()
    what = "sample id" if kind == "id" else "row"
    with st.container(border=True):
        st.caption(f"Mark {what} {md_escape(key)}: every save is kept, and everyone opening this table sees it.")
        st.selectbox("Tag", list(mk.TAGS), key="mark_tag")
        st.text_area("Note", key="mark_note", max_chars=mk.MAX_NOTE_CHARS, placeholder="why (optional)")
        if who is None:
            st.text_input(
                "Your name", key=AUTHOR_KEY, placeholder=mk.ANONYMOUS, help="Kept for this session; saved with the mark."
            )
        else:
            st.caption(f"Saved as {md_escape(who)} (logged in).")
        st.button("Save mark", type="primary", key="mark_save", on_click=_save, args=(ctx, ref, key, kind, what, who))
    outcome = st.session_state.pop(_OUTCOME_KEY, None)
    if outcome is not None:
        ok, message = outcome
        if ok:
            st.success(md_escape(message), icon="✅")
        else:
            st.error(md_escape_keep_code(message), icon="⚠️")


def _save(ctx: PageContext, ref: TableRef, key: str, kind: mk.KeyKind, what: str, who: str | None) -> None:
    """The Save button's callback: one new save; the note is cleared once saved."""
    state = st.session_state
    author = who if who is not None else state.get(AUTHOR_KEY) or None
    try:
        made = mk.new_mark(key, kind, state.get("mark_tag") or mk.TAGS[0], state.get("mark_note") or "", author)
        where = ctx.source.save_marks(ctx.project, ref, [made])
    except WbviewError as exc:
        state[_OUTCOME_KEY] = (False, str(exc))
        return
    except Exception as exc:  # noqa: BLE001 - a page shows a message, never a traceback
        state[_OUTCOME_KEY] = (False, f"Saving the mark failed ({type(exc).__name__}: {exc}).")
        return
    state["mark_note"] = ""
    state[_OUTCOME_KEY] = (True, f"Saved {made.tag} on {what} {key} to {where}.")
