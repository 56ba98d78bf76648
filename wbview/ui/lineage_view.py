"""Lineage page helpers: which node the user chose (chart click or list), and where it leads."""

from __future__ import annotations

from typing import Any

import streamlit as st

from wbview.analysis import selection as views
from wbview.analysis.stacking import MODEL_TYPE
from wbview.charts.lineage_layout import LineageLayout, PlacedNode
from wbview.errors import WbviewError
from wbview.ui import analysis_page, loaders, page
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


def model_evaluations(ctx: page.PageContext, layout: LineageLayout) -> None:
    """Under the graph: for each model version drawn, every run that used it and the
    dataset version that run scored (the first question in a review), with a warning
    when a model's eval runs scored different data."""
    uses: list[tuple[str, str, str, str | None]] = []
    with guard(stop=False):
        for placed in layout.nodes:
            node = placed.node
            if node.kind != "artifact" or node.type != MODEL_TYPE:
                continue
            art = loaders.artifact(ctx.spec, ctx.project, node.id)
            for run_id in art.used_by:
                try:
                    run = loaders.run(ctx.spec, ctx.project, run_id)
                except WbviewError:  # a run of another project, or deleted: named by its id
                    uses.append((art.id, run_id, run_id, None))
                    continue
                uses.append((art.id, run.name, run.id, analysis_page.scored_dataset(ctx, run)))
    if not uses:
        return
    st.subheader("Which data each eval run of a model scored")
    evaluations = views.model_evaluations(uses)
    for warning in views.model_dataset_warnings(evaluations):
        st.warning(md_escape(warning))
    st.dataframe(evaluations, hide_index=True, key="model_evaluations")
