"""Showing text that comes from data: always as text, never as markdown or HTML.

Phishing emails carry HTML and scripts. Streamlit renders ``st.text``, ``st.code`` and
``st.dataframe`` cells as text; markdown (``st.markdown``, widget labels, expander
titles) is only ever given our own strings, or data passed through ``md_escape``.
"""

from __future__ import annotations

import re

import streamlit as st

from wbview.analysis.selection import MAX_FULL_TEXT_CHARS, clip_text

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-!|~$])")
WORD_JOINER = "\u2060"  # invisible, and no part of a URL or e-mail address
# Markdown (GFM, and Streamlit after it) turns text into a link by itself: scheme URLs
# (https://...), www. addresses and e-mail addresses, backslash escapes or not. A word
# joiner after the scheme's ':' , before www's '.' and before '@' leaves none to find.
_AUTOLINK_POINTS = re.compile(r"(?i)(?<=:)(?=/)|(?<=\bwww)(?=\.)|(?=@)")


def md_escape(text: object) -> str:
    """Data as literal text wherever Streamlit renders markdown (st.markdown, captions,
    notices, headings, widget labels and help, tab and expander titles, link labels):
    no markdown formatting or link, no HTML, no auto-link. The reader sees the text as it
    is (``<`` and ``&`` as entities, markdown characters backslash-escaped, a word joiner
    where a URL or address would start), on one line."""
    plain = _AUTOLINK_POINTS.sub(WORD_JOINER, str(text).replace("\r", " ").replace("\n", " "))
    plain = plain.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", plain)


_CODE_SPAN = re.compile(r"`([^`\n]+)`")


def md_escape_keep_code(text: object) -> str:
    """Like ``md_escape``, but `backticked` spans (commands in our own messages) stay inline
    code; code spans render their content literally, so data inside them stays text."""
    parts = _CODE_SPAN.split(str(text).replace("\n", " "))
    return "".join(f"`{part}`" if i % 2 else md_escape(part) for i, part in enumerate(parts))


MAX_SHOWN_CHARS = 5_000  # one 99,999-character message must not make the page 21,000 px tall


def show_long_text(text: object, limit: int = MAX_SHOWN_CHARS) -> None:
    """A data value in full up to ``limit`` characters (wrapped, as text); beyond that the
    start, a note of how much is left out, and the whole text behind an expander."""
    value = str(text)
    if len(value) <= limit:
        show_text(value, code=True)
        return
    show_text(value[:limit] + " …", code=True)
    st.caption(f"Showing the first {limit:,} of {len(value):,} characters.")
    whole = "The whole text" if len(value) <= MAX_FULL_TEXT_CHARS else f"The first {MAX_FULL_TEXT_CHARS:,} characters"
    with st.expander(f"{whole} ({len(value):,} characters)"):
        # an expander's content is sent even while closed: a 200 MB cell must not go out whole
        show_text(clip_text(value, MAX_FULL_TEXT_CHARS), code=True)


def show_text(text: object, *, code: bool = False) -> None:
    """Render a data value as preformatted text."""
    if code:
        st.code(str(text), language=None, wrap_lines=True)
    else:
        st.text(str(text))
