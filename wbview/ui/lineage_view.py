"""Lineage page helpers: which node the user chose (chart click or list), and where it leads."""

from __future__ import annotations

from typing import Any

import streamlit as st

from wbview.charts.lineage_layout import LineageLayout, PlacedNode
from wbview.ui import loaders, page
from wbview.ui.errors import guard
from wbview.ui.text import md_escape

ROOT_KEY = "root"
NODE_KEY = "node"


def root_options(run_labels: dict[str, str]) -> list[str]:
    """Run ids, plus the current root when it is an artifact (typed in, or from a link)."""
    current = st.session_state.get(ROOT_KEY) or st.query_params.get(ROOT_KEY)
    return [*run_labels, *([current] if current and current not in run_labels else [])]


def node_label(placed: PlacedNode) -> str:
    node = placed.node
    kind = {"run": "run", "artifact": f"artifact · {node.type or 'untyped'}", "more": "cluster"}[node.kind]
    return f"{node.name}  [{kind}]"


def clicked_node(event: Any) -> str | None:
    """The node id a plotly selection event points at (its customdata), if any."""
    points = (getattr(event, "selection", None) or {}).get("points", []) if event else []
    for point in points:
        custom = point.get("customdata")
        if isinstance(custom, list):
            custom = custom[0] if custom else None
        if isinstance(custom, str):
            return custom
    return None


def recenter(node_id: str) -> None:
    """Callback: make a node the graph's root (the root widget is bound to ?root=)."""
    st.session_state[ROOT_KEY] = node_id


def open_node(ctx: page.PageContext, layout: LineageLayout, node_id: str) -> None:
    """Details of the chosen node and links to open it on its page."""
    placed = layout.node(node_id)
    if placed is None:
        return
    node = placed.node
    if node.kind == "more":
        st.write(f"This cluster stands for {node.hidden_count} nodes. Choose one to centre the graph on it:")
        for hidden in node.hidden_ids:
            st.button(md_escape(hidden), key=f"hidden-{hidden}", on_click=recenter, args=(hidden,))
        return
    cols = st.columns(3)
    if node.kind == "run":
        with cols[0]:
            page.link(ctx, "run", f"Open run {node.name}", run=node.id)
        with guard(stop=False):
            if loaders.tables(ctx.spec, ctx.project, node.id):  # only runs that logged an eval table
                with cols[1]:
                    page.link(ctx, "errors", "Error analysis of this run", run=node.id)
    else:
        with guard(stop=False):
            art = loaders.artifact(ctx.spec, ctx.project, node.id)
            with cols[0]:
                page.link(ctx, "artifacts", f"Open artifact {art.id}", type=art.type, collection=art.name, version=art.version)
    if node.id != layout.root:
        cols[2].button("Centre the graph here", on_click=recenter, args=(node.id,))
