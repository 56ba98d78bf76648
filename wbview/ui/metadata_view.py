"""Artifact metadata for reading: values formatted, label maps as two-column tables,
nested sections in expanders, completeness against the essentials, version diff."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from wbview.analysis.metadata import Completeness, format_value, label_map_frame, metadata_blocks, values_frame
from wbview.ui.text import md_escape


def render_metadata(metadata: Mapping[str, Any]) -> None:
    """Top-level values as a key | value table, then one section per label map, list and nested dict."""
    if not metadata:
        st.info("This artifact version has no metadata. The seed guide recommends at least the essentials below.")
        return
    blocks = metadata_blocks(metadata)
    values = [b for b in blocks if b.kind == "value"]
    if values:
        st.dataframe(
            pd.DataFrame({"key": [b.key for b in values], "value": [format_value(b.value) for b in values]}),
            hide_index=True,
            width="stretch",
        )
    for block in blocks:
        if block.kind == "label_map":
            with st.expander(f"{md_escape(block.key)} (label map)", expanded=True):
                st.dataframe(label_map_frame(block.value), hide_index=True)
        elif block.kind == "list":
            with st.expander(f"{md_escape(block.key)} ({len(block.value)} items)"):
                st.dataframe(pd.DataFrame({"value": [format_value(v) for v in block.value]}), hide_index=True)
        elif block.kind == "mapping":
            with st.expander(md_escape(block.key)):
                st.dataframe(values_frame(block.value), hide_index=True, width="stretch")


def render_completeness(result: Completeness) -> None:
    message = md_escape(result.message())  # names the artifact type, which comes from the data
    if not result.checked:
        st.caption(message)
    elif result.complete:
        st.success(message)
    else:
        st.warning(message)
    for key, alias in result.aliases_used.items():
        st.caption(f"{key}: found as {md_escape(alias)}")
