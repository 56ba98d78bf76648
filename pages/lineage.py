"""Lineage: runs and artifacts around a chosen node; click a node (or pick it) to open it."""

import streamlit as st

from wbview.analysis import selection as views
from wbview.charts.lineage import lineage_figure
from wbview.charts.lineage_layout import layout_lineage
from wbview.ui import lineage_view, loaders, page, url_state
from wbview.ui.errors import guard
from wbview.ui.text import md_escape
from wbview.ui.widgets import fresh_click

ctx = page.start("Lineage")
runs = page.require_runs(ctx, ", so there is no lineage to draw")

labels = {r.id: page.run_label(r) for r in runs}
root_names = {r.id: views.run_choice_label(r) for r in runs}
pick_root, pick_depth, pick_direction = st.columns([3, 1.2, 1.4])
root = url_state.choice(  # always in the link: the default (the newest run) changes as runs are logged
    "Start from (a run, or type an artifact as name:v0)",
    lineage_view.root_options(labels),
    lineage_view.ROOT_KEY,
    accept_new_options=True,
    container=pick_root,
    format_func=lambda node: root_names.get(node, node),
    help="Type part of a run's name or id to search, or an artifact as name:version.",
)
pick_root.caption(md_escape(labels.get(root, root)))
depth = url_state.checked(pick_depth.slider, "Depth (hops)", 1, 10, 2, key="depth", why="depth goes from 1 to 10")
direction = pick_direction.segmented_control(
    "Direction", ["both", "up", "down"], default="both", required=True, key="direction", bind="query-params"
)
with guard():
    graph = loaders.lineage(ctx.spec, ctx.project, root, depth, direction or "both")
layout = layout_lineage(graph)
st.caption(
    "Blue squares are runs, circles are artifacts (coloured by type), grey diamonds stand for "
    "clustered nodes. Arrows follow the data. Click a node to open it."
)
event = st.plotly_chart(lineage_figure(layout), on_select="rerun", selection_mode="points", key="lineage_chart")
lineage_view.model_evaluations(ctx, layout)

choices = [p.id for p in layout.nodes]
by_id = {p.id: p for p in layout.nodes}
clicked = lineage_view.clicked_node(event)
if clicked in by_id and fresh_click("lineage", clicked):
    st.session_state[lineage_view.NODE_KEY] = clicked
# Chosen with url_state.choice (no default index beside the value a click put in Session State).
node_id = url_state.choice(
    "Open node",
    choices,
    lineage_view.NODE_KEY,
    default=layout.root,
    parent=root,
    format_func=lambda node: lineage_view.node_label(by_id[node]) if node in by_id else node,
)
if node_id in by_id:
    st.caption(md_escape(lineage_view.node_label(by_id[node_id])))
    lineage_view.open_node(ctx, layout, node_id)
