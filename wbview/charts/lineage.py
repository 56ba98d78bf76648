"""The lineage graph: runs as squares, artifacts as circles coloured by type."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wbview.charts.lineage_layout import LineageLayout, PlacedNode
from wbview.charts.style import ARTIFACT_PALETTE, READABLE_FONT, plain, plotly, projector, wrapped

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from wbview.records import NodeKind


RUN_COLOUR = "#1f77b4"  # runs: blue squares, as W&B draws them as boxes


CLUSTER_COLOUR = "#9e9e9e"


NODE_SYMBOL = {"run": "square", "artifact": "circle", "more": "diamond"}


def _artifact_colours(layout: LineageLayout) -> dict[str, str]:
    types = sorted({p.node.type or "" for p in layout.nodes if p.node.kind == "artifact"})
    return {t: ARTIFACT_PALETTE[i % len(ARTIFACT_PALETTE)] for i, t in enumerate(types)}


def lineage_figure(layout: LineageLayout) -> go.Figure:
    """Runs as blue squares, artifacts as circles coloured by type, clusters as grey
    diamonds; arrows follow data flow; the root is outlined. Each node's id is its
    ``customdata`` so a selection names the node."""
    go = plotly()
    fig = go.Figure()
    position = {p.id: (p.x, p.y) for p in layout.nodes}
    for edge in layout.edges:
        if edge.source in position and edge.target in position:
            (x0, y0), (x1, y1) = position[edge.source], position[edge.target]
            fig.add_annotation(
                x=x1,
                y=y1,
                ax=x0,
                ay=y0,
                xref="x",
                yref="y",
                axref="x",
                ayref="y",
                showarrow=True,
                arrowhead=2,
                arrowsize=1.2,
                arrowwidth=1.2,
                arrowcolor="#888",
                standoff=14,
                startstandoff=14,
                text="",
            )
    colours = _artifact_colours(layout)
    groups: dict[tuple[NodeKind, str], list[PlacedNode]] = {}
    for placed in layout.nodes:
        kind = placed.node.kind
        key = (kind, placed.node.type or "" if kind == "artifact" else kind)
        groups.setdefault(key, []).append(placed)
    for (kind, type_name), members in groups.items():
        colour = {"run": RUN_COLOUR, "more": CLUSTER_COLOUR}.get(kind) or colours[type_name]
        name = {"run": "run", "more": "cluster"}.get(kind) or f"artifact: {type_name or 'untyped'}"
        fig.add_trace(
            go.Scatter(
                x=[p.x for p in members],
                y=[p.y for p in members],
                mode="markers+text",
                name=plain(name),
                customdata=[p.id for p in members],
                # labels alternate below/above by column so neighbouring columns never collide
                text=[wrapped(p.node.name, 22, 3) for p in members],
                textposition=["bottom center" if p.level % 2 == 0 else "top center" for p in members],
                hovertext=[
                    plain(f"{p.node.kind}: {p.node.name}" + (f" ({p.node.type})" if p.node.type else "")) for p in members
                ],
                hoverinfo="text",
                unselected={"marker": {"opacity": 0.65}, "textfont": {"color": "#444"}},  # keep the graph readable after a click
                marker={
                    "symbol": NODE_SYMBOL[kind],
                    "size": [30 if p.id == layout.root else 22 for p in members],
                    "color": colour,
                    "line": {"width": [4 if p.id == layout.root else 1 for p in members], "color": "#222"},
                },
            )
        )
    levels = sorted({p.level for p in layout.nodes}) or [0]
    tallest = max((sum(1 for p in layout.nodes if p.level == lv) for lv in levels), default=1)
    fig.update_layout(
        font=READABLE_FONT,
        height=max(320, 90 * tallest + 120),
        margin={"l": 20, "r": 20, "t": 30, "b": 20},
        xaxis={"visible": False, "range": [levels[0] - 0.6, levels[-1] + 0.6]},
        yaxis={"visible": False, "range": [-(tallest / 2) - 0.3, tallest / 2 + 0.3]},
        legend={"orientation": "h", "y": 1.08},
    )
    return projector(fig)
