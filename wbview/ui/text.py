"""Showing text that comes from data: always as text, never as markdown or HTML.

Phishing emails carry HTML and scripts. Streamlit renders ``st.text``, ``st.code`` and
``st.dataframe`` cells as text; markdown (``st.markdown``, widget labels, expander
titles) is only ever given our own strings, or data passed through ``md_escape``.
"""

from __future__ import annotations

import re

import streamlit as st

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-!|>~<$])")


def md_escape(text: object) -> str:
    """Backslash-escape every markdown/HTML-significant character, so data shows literally
    in places that render markdown (labels, expander titles, captions)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


_CODE_SPAN = re.compile(r"`([^`\n]+)`")


def md_escape_keep_code(text: object) -> str:
    """Like ``md_escape``, but `backticked` spans (commands in our own messages) stay inline
    code; code spans render their content literally, so data inside them stays text."""
    parts = _CODE_SPAN.split(str(text).replace("\n", " "))
    return "".join(f"`{part}`" if i % 2 else md_escape(part) for i, part in enumerate(parts))


def show_text(text: object, *, code: bool = False) -> None:
    """Render a data value as preformatted text."""
    if code:
        st.code(str(text), language=None, wrap_lines=True)
    else:
        st.text(str(text))
