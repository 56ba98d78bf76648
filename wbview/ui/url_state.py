"""Choices that live in the URL, written there explicitly, defaults included.

Streamlit's ``bind="query-params"`` leaves a widget's default out of the URL. That is
fine for constant defaults (a slider's 10 bins), but a picker whose default depends on
the data (the first run, the latest version) would reopen on another value once the
data changes, and a page that computes its own default (Run B = the second run)
disagrees with the widget's. ``choice`` keeps such pickers in the URL by hand:

- a value the link names (on a fresh session, or after a page link) seeds the widget;
- a value that is not among the options is replaced by the default, with a notice;
- when ``parent`` changes (type -> collection -> version), the choice resets;
- the value shown is always written back into ``st.query_params``.

Every write goes through ``set_param``: it changes the link at once for the rest of the run
but tells the browser only once, at the end of the run (``send_link``, from app.py). Streamlit's
frontend adds a step to the browser's history for each change of the link it hears of, so
writing a page's choices one by one left four or five steps per page visit, some of them with
the previous page's path: Back went nowhere visible. The link is sent with its parameters in
one order (by name, as the frontend orders them), so a page that keeps the same choices as the
page before it leaves the history as the page switch made it.

``checked`` wraps a bound widget (slider, number input) and says so when the link's
value was out of range and Streamlit dropped it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import urlencode

import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
from streamlit.runtime.state import get_session_state

from wbview.ui.text import md_escape

_LAST = "_url_last:"  # the value this session last wrote for a parameter
_PARENT = "_url_parent:"  # the parent value the choice was made under
_PAGE_NOTICE = "_url_page_notice:"  # (linked page, pages) of a link past the last page


def ignored_notice(key: str, raw: object, why: str, shown: object) -> None:
    """One small line saying that the link's value for ``key`` was not used, and why."""
    shown_text = f"{shown:.4g}" if isinstance(shown, float) else str(shown)
    st.caption(
        f"ℹ️ The link's {md_escape(key)}={md_escape(str(raw))} was ignored: {md_escape(why)}. Showing {md_escape(shown_text)}."
    )


def link_warning(what: str, linked: object, why: str, shown: object) -> None:
    """The notice for a link naming a run, table or cell that cannot be shown: what the
    link asked for, why it is not shown, and what is shown instead."""
    st.warning(f"{what} {md_escape(linked)} from the link {md_escape(why)}; showing {md_escape(shown)} instead.")


def _seed(key: str, options: Sequence[str], default: str, parent: object, explain: Callable[[str, str], None] | None) -> None:
    state = st.session_state
    linked = st.query_params.get(key)
    parent_changed = (_PARENT + key) in state and state[_PARENT + key] != parent
    state[_PARENT + key] = parent
    value: str | None  # st.session_state.get is typed Any | None
    if linked is not None and is_news(key, linked, state.get(_LAST + key)):  # a fresh link
        value = linked if linked in options else default
        if linked not in options:
            (explain or _standard_notice(key))(linked, default)
    elif parent_changed:
        value = default
    else:  # a page switch drops widget state: fall back on the last choice
        value = next((v for v in (state.get(key), state.get(_LAST + key)) if v in options), default)
    state[key] = value  # always set: a widget of another page with this key does not carry its value over


def _standard_notice(key: str) -> Callable[[str, str], None]:
    return lambda linked, shown: ignored_notice(key, linked, "it is not one of the choices here", shown)


_UNSENT = "_url_unsent"  # the link changed since the browser last heard of it
_SENT = "_url_sent"  # {key: values} of the link as the browser last heard of it from this session


def _as_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]  # type: ignore[attr-defined]  # a sequence of str


def is_news(key: str, linked: str | Sequence[str] | None, last: object) -> bool:
    """Whether the link's value for ``key`` is news to this session: not what the session last
    chose (``last``), and not merely what the browser last heard from this session while the
    session's later choices have not reached it. (A run that a person's next click stopped
    never told the browser its link, so that click's rerun carries the browser's older link;
    the session's choice stands, and this run tells the browser.)"""
    if linked == last:
        return False
    ctx = get_script_run_ctx()
    if ctx is not None and ctx.is_history_navigation:  # Back or Forward: the link is the person's
        return True
    behind = st.session_state.get(_UNSENT) and _as_list(linked) == st.session_state.get(_SENT, {}).get(key, [])
    return not behind


def set_param(key: str, value: str | Sequence[str] | None, *, now: bool = False) -> None:
    """Change the link's ``key`` (remove it for None or an empty list) for the rest of this run
    and for a rerun it asks for; the browser hears of it at the end of the run (``send_link``).
    ``now``: tell the browser at once, as Streamlit does; a widget's callback must (it runs
    before the run's link is set)."""
    values = None if value is None else [value] if isinstance(value, str) else list(value)
    if (st.query_params.get_all(key) or None) == (values or None):
        return
    if now:
        if values:
            st.query_params[key] = values
        else:
            st.query_params.pop(key, None)
        _heard()  # Streamlit sent the whole link, this run's earlier changes with it
        return
    with get_session_state().query_params() as params:
        if values:
            params.set_with_no_forward_msg(key, values[0] if len(values) == 1 else values)
        else:
            params._query_params.pop(key, None)
        ctx = get_script_run_ctx()
        if ctx is not None:  # what st.rerun() carries to the next run
            ctx.query_string = urlencode(params._query_params, doseq=True)
    st.session_state[_UNSENT] = True


def _heard() -> None:
    """The browser has just been sent the link as it is now."""
    st.session_state[_SENT] = {k: st.query_params.get_all(k) for k in st.query_params}
    st.session_state.pop(_UNSENT, None)


def link_order(keys: Iterable[str]) -> list[str]:
    """The link's parameters in the order the browser gets them: by name, as Streamlit's frontend
    writes them when a widget bound to the link changes (so the order never flips back)."""
    return sorted(keys)


def link_query() -> str:
    """The link's query string as the browser gets it at the end of this run."""
    return urlencode([(key, value) for key in link_order(st.query_params) for value in st.query_params.get_all(key)])


def send_link() -> None:
    """Tell the browser the link, once, if it changed since the browser last heard (app.py calls
    this at the end of every run)."""
    if not st.session_state.get(_UNSENT):
        return
    with get_session_state().query_params() as params:
        current = params._query_params
        params._query_params = {k: current[k] for k in link_order(current)}
        params._send_query_param_msg()
    _heard()


def write(key: str, value: str | None) -> None:
    """Put ``value`` into the URL under ``key`` (remove it for None), remembering it as ours."""
    st.session_state[_LAST + key] = value
    set_param(key, value)


def choice(
    label: str,
    options: Sequence[str],
    key: str,
    *,
    default: str | None = None,
    parent: object = None,
    explain: Callable[[str, str], None] | None = None,
    container: Any = None,
    **kwargs: Any,
) -> str | None:
    """A selectbox over ``options`` whose value is always in the URL under ``key``.

    ``default`` (else the first option) is shown when the link names nothing usable;
    ``parent`` resets the choice when it changes; ``explain(linked, shown)`` replaces
    the standard notice for a linked value that is not among the options."""
    options = list(options)
    if not options:
        write(key, None)
        return None
    default = default if default in options else options[0]
    _seed(key, options, default, parent, explain)
    value = (container or st).selectbox(label, options, key=key, **kwargs)
    write(key, value)
    return value


def choices(label: str, options: Sequence[str], key: str, *, container: Any = None, **kwargs: Any) -> list[str]:
    """A multiselect over ``options`` kept in the URL as repeated ``key`` values, written by
    hand (like ``choice``) so that a ``format_func`` may show names while the URL keeps the
    options themselves; linked values that are not options are dropped with a notice."""
    options = list(options)
    state = st.session_state
    linked = st.query_params.get_all(key)
    if linked and is_news(key, linked, state.get(_LAST + key)):
        unknown = [v for v in linked if v not in options]
        if unknown:
            ignored_notice(key, ",".join(unknown), "not among the choices here", "the others")
        state[key] = [v for v in linked if v in options]
    else:  # a page switch drops widget state: fall back on the last choice
        current = state.get(key) if key in state else state.get(_LAST + key)
        state[key] = [v for v in (current or []) if v in options]
    value = list((container or st).multiselect(label, options, key=key, **kwargs))
    state[_LAST + key] = value
    set_param(key, value)
    return value


def _same(raw: list[str], value: object) -> bool:
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    if len(raw) != len(values):
        return False
    for text, item in zip(raw, values, strict=False):
        if text == str(item) or (isinstance(item, bool) and text == str(item).lower()):
            continue
        try:
            if float(text) != float(item):  # type: ignore[arg-type]  # any widget value; TypeError is caught below
                return False
        except (TypeError, ValueError):
            return False
    return True


def checked(widget: Callable[..., Any], label: str, *args: Any, key: str, why: str = "out of range", **kwargs: Any) -> Any:
    """``widget(label, *args, key=key, bind="query-params", **kwargs)``, plus a notice when the
    link's value for ``key`` could not be used (Streamlit drops it silently)."""
    raw = st.query_params.get_all(key) if key not in st.session_state else []
    value = widget(label, *args, key=key, bind="query-params", **kwargs)
    if raw and not _same(raw, value):
        ignored_notice(key, ",".join(raw), why, value)
    return value


def linked_page(key: str, parent: object) -> int:
    """The 1-based page number to show: a fresh link's, else this session's; back to 1 when
    ``parent`` (what is paged: filter, order, page size) changes."""
    state = st.session_state
    raw = st.query_params.get(key)
    parent_changed = (_PARENT + key) in state and state[_PARENT + key] != parent
    state[_PARENT + key] = parent
    if raw is not None and is_news(key, raw, state.get(_LAST + key)):  # a fresh link
        try:
            number = int(raw)
        except ValueError:
            number = 0
        if number < 1:
            ignored_notice(key, raw, "it is not a page number", 1)
        return max(1, number)
    if parent_changed:
        return 1
    current = state.get(key) if key in state else state.get(_LAST + key)
    return max(1, int(current or 1))


def page_number(label: str, number: int, pages: int, key: str, container: Any = None, **kwargs: Any) -> int:
    """A number input for a page (1..``pages``) set to ``number``, written into the URL; a
    linked page past the last one shows the last, with a notice."""
    state = st.session_state
    notice = state.get(_PAGE_NOTICE + key)  # kept while that page shows: the link is read on an earlier rerun
    if number > pages:
        notice = state[_PAGE_NOTICE + key] = (number, pages)
        number = pages
    elif notice is not None and notice[1] != number:
        notice = state[_PAGE_NOTICE + key] = None
    if notice is not None:
        ignored_notice(key, notice[0], f"there are {notice[1]:,} pages", notice[1])
    state[key] = number
    chosen = int((container or st).number_input(label, min_value=1, max_value=max(1, pages), step=1, key=key, **kwargs))
    write(key, str(chosen))
    return chosen
