"""One place that turns failures into a clear message on the page, never a traceback."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from wbview.errors import AuthenticationFailed, NoCredentials, NotFound, WandbAccessError, WbviewError
from wbview.ui.text import md_escape, md_escape_keep_code

log = logging.getLogger("wbview.ui")

CONNECT_HINT = (
    "To open your own W&B project, set `WANDB_API_KEY` (and `WANDB_ENTITY`/`WANDB_PROJECT`) or copy "
    "`.streamlit/secrets.toml.example` to `.streamlit/secrets.toml`, then restart `make run`."
)


def error_title(error: WbviewError) -> str:
    """A short heading naming the kind of failure."""
    if isinstance(error, (NoCredentials, AuthenticationFailed)):
        return "W&B refused access"
    if isinstance(error, NotFound):
        return "Not found"
    if isinstance(error, WandbAccessError):
        return "W&B could not be reached"
    return "Cannot show this"


def show_error(error: BaseException) -> None:
    """Render one failure: our own errors with their actionable message, anything else
    as an unexpected error (logged with its traceback on the server, not on the page)."""
    if isinstance(error, WbviewError):
        # Messages quote names from the data and the link: never let them render as markdown.
        st.error(f"**{error_title(error)}.** " + md_escape_keep_code(error), icon="⚠️")
        if isinstance(error, (NoCredentials, AuthenticationFailed)):
            st.info(CONNECT_HINT)
    else:
        log.exception("unexpected error on a wbview page", exc_info=error)
        st.error(
            f"Unexpected error ({type(error).__name__}): {md_escape(error)}. The details are in the server log; "
            "please report it with the steps that led here.",
            icon="⚠️",
        )


@contextmanager
def guard(stop: bool = True) -> Iterator[None]:
    """Run a block of page code; on failure show the message and (by default) stop the page."""
    try:
        yield
    except ScriptControlException:  # st.stop / st.rerun / st.switch_page
        raise
    except Exception as error:  # noqa: BLE001 - the page must never show a traceback
        show_error(error)
        if stop:
            st.stop()
