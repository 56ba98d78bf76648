"""Figure builders for the dashboard's main views. Pure: data in, plotly figure out.

Every text that comes from data goes into figures as plain trace text, hover text or
tick labels (plotly renders those as text, never as page HTML).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Sequence

import pandas as pd

from wbview.lineage_layout import LineageLayout

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from wbview.analysis.groups import ColumnHistogram

RUN_COLOUR = "#1f77b4"  # runs: blue squares, as W&B draws them as boxes
CLUSTER_COLOUR = "#9e9e9e"
ARTIFACT_PALETTE = ("#ff7f0e", "#2ca02c", "#9467bd", "#d62728", "#8c564b", "#e377c2", "#17becf", "#bcbd22")
NODE_SYMBOL = {"run": "square", "artifact": "circle", "more": "diamond"}
MAX_LABEL_CHARS = 28


def _plotly():
    try:
        import plotly.graph_objects as go
    except ImportError as exc:  # pragma: no cover - plotly ships with the app extra
        from wbview.errors import MissingDependency

        raise MissingDependency("Charts need plotly: pip install 'wbview[app]'.") from exc
    return go


def _plain(text: object) -> str:
    """Text for plotly labels: plotly treats '<br>' and a few tags as markup, so escape '<'."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _short(text: str, limit: int = MAX_LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parallel_coordinates(frame: pd.DataFrame, dimensions: Sequence[str], colour_metric: str | None) -> "go.Figure":
    """One line per run across ``dimensions`` (numbers as is, categories as ticks),
    coloured by ``colour_metric`` when given."""
    go = _plotly()
    dims = []
    for col in dimensions:
        numbers = pd.to_numeric(frame[col], errors="coerce")
        if numbers.notna().all() and len(numbers):
            dims.append({"label": _plain(col), "values": numbers.tolist()})
            continue
        labels = frame[col].map(lambda v: "(none)" if v is None or v != v else str(v))
        categories = sorted(labels.unique())
        codes = labels.map({c: i for i, c in enumerate(categories)})
        dims.append({
            "label": _plain(col),
            "values": codes.tolist(),
            "tickvals": list(range(len(categories))),
            "ticktext": [_plain(_short(c)) for c in categories],
        })
    line: dict = {}
    if colour_metric and colour_metric in frame.columns:
        colour = pd.to_numeric(frame[colour_metric], errors="coerce")
        line = {"color": colour.fillna(colour.min() if colour.notna().any() else 0).tolist(),
                "colorscale": "Viridis", "showscale": True,
                "colorbar": {"title": {"text": _plain(_short(colour_metric))}}}
    fig = go.Figure(go.Parcoords(dimensions=dims, line=line))
    fig.update_layout(margin={"l": 60, "r": 60, "t": 60, "b": 30}, height=420)
    return fig


def metric_curves(histories: Mapping[str, pd.DataFrame], metric: str, x: str = "_step") -> "go.Figure":
    """One line per run (label -> history frame) of ``metric`` against ``x``."""
    go = _plotly()
    fig = go.Figure()
    for label, history in histories.items():
        if metric not in history.columns:
            continue
        data = history[[x, metric]].dropna() if x in history.columns else history[[metric]].dropna().reset_index()
        xs = data[x] if x in data.columns else data.index
        fig.add_trace(go.Scatter(x=list(xs), y=data[metric].tolist(), mode="lines+markers", name=_plain(_short(label, 40))))
    fig.update_layout(xaxis_title=x, yaxis_title=_plain(metric), height=380, margin={"t": 50},
                      legend={"orientation": "h", "y": 1.12})
    return fig


def _artifact_colours(layout: LineageLayout) -> dict[str, str]:
    types = sorted({p.node.type or "" for p in layout.nodes if p.node.kind == "artifact"})
    return {t: ARTIFACT_PALETTE[i % len(ARTIFACT_PALETTE)] for i, t in enumerate(types)}


def lineage_figure(layout: LineageLayout) -> "go.Figure":
    """Runs as blue squares, artifacts as circles coloured by type, clusters as grey
    diamonds; arrows follow data flow; the root is outlined. Each node's id is its
    ``customdata`` so a selection names the node."""
    go = _plotly()
    fig = go.Figure()
    position = {p.id: (p.x, p.y) for p in layout.nodes}
    for edge in layout.edges:
        if edge.source in position and edge.target in position:
            (x0, y0), (x1, y1) = position[edge.source], position[edge.target]
            fig.add_annotation(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y",
                               showarrow=True, arrowhead=2, arrowsize=1.2, arrowwidth=1.2,
                               arrowcolor="#888", standoff=14, startstandoff=14, text="")
    colours = _artifact_colours(layout)
    groups: dict[tuple[str, str], list] = {}
    for placed in layout.nodes:
        kind = placed.node.kind
        key = (kind, placed.node.type or "" if kind == "artifact" else kind)
        groups.setdefault(key, []).append(placed)
    for (kind, type_name), members in groups.items():
        colour = {"run": RUN_COLOUR, "more": CLUSTER_COLOUR}.get(kind) or colours[type_name]
        name = {"run": "run", "more": "cluster"}.get(kind) or f"artifact: {type_name or 'untyped'}"
        fig.add_trace(go.Scatter(
            x=[p.x for p in members], y=[p.y for p in members], mode="markers+text",
            name=_plain(name), customdata=[p.id for p in members],
            # labels alternate below/above by column so neighbouring columns never collide
            text=[_plain(_short(p.node.name)) for p in members],
            textposition=["bottom center" if p.level % 2 == 0 else "top center" for p in members],
            hovertext=[_plain(f"{p.node.kind}: {p.node.name}" + (f" ({p.node.type})" if p.node.type else "")) for p in members],
            hoverinfo="text",
            unselected={"marker": {"opacity": 0.65}, "textfont": {"color": "#444"}},  # keep the graph readable after a click
            marker={"symbol": NODE_SYMBOL[kind], "size": [30 if p.id == layout.root else 22 for p in members],
                    "color": colour, "line": {"width": [4 if p.id == layout.root else 1 for p in members], "color": "#222"}},
        ))
    levels = sorted({p.level for p in layout.nodes}) or [0]
    tallest = max((sum(1 for p in layout.nodes if p.level == lv) for lv in levels), default=1)
    fig.update_layout(
        height=max(320, 90 * tallest + 120), margin={"l": 20, "r": 20, "t": 30, "b": 20},
        xaxis={"visible": False, "range": [levels[0] - 0.6, levels[-1] + 0.6]},
        yaxis={"visible": False, "range": [-(tallest / 2) - 0.3, tallest / 2 + 0.3]},
        legend={"orientation": "h", "y": 1.08},
    )
    return fig


def confusion_figure(matrix: pd.DataFrame, highlight: tuple[str, str] | None = None) -> "go.Figure":
    """A confusion matrix (rows: true label, columns: predicted label) as an annotated heatmap."""
    go = _plotly()
    true_labels = [_plain(v) for v in matrix.index]
    predicted = [_plain(v) for v in matrix.columns]
    counts = matrix.to_numpy()
    fig = go.Figure(go.Heatmap(
        z=counts.tolist(), x=predicted, y=true_labels, colorscale="Blues", showscale=False,
        text=[[f"{int(v):,}" for v in row] for row in counts], texttemplate="%{text}", hoverinfo="skip",
    ))
    # Heatmaps cannot be selected in plotly: an invisible marker on each cell makes a click
    # select that cell, with the raw class names as customdata.
    cells = [(t, p) for t in matrix.index for p in matrix.columns]
    fig.add_trace(go.Scatter(
        x=[_plain(p) for _, p in cells], y=[_plain(t) for t, _ in cells], mode="markers", showlegend=False,
        customdata=[[str(t), str(p)] for t, p in cells],
        text=[f"{int(matrix.loc[t, p]):,}" for t, p in cells],
        hovertemplate="true %{y}<br>predicted %{x}<br>%{text} rows (click to filter)<extra></extra>",
        marker={"symbol": "square", "size": 40, "color": "rgba(0,0,0,0)"},
    ))
    if highlight is not None and highlight[0] in matrix.index and highlight[1] in matrix.columns:
        row, col = list(matrix.index).index(highlight[0]), list(matrix.columns).index(highlight[1])
        fig.add_shape(type="rect", x0=col - 0.5, x1=col + 0.5, y0=row - 0.5, y1=row + 0.5, line={"color": "#d62728", "width": 3})
    fig.update_layout(xaxis_title="predicted", yaxis_title="true", yaxis={"autorange": "reversed"},
                      height=120 + 60 * len(true_labels), margin={"t": 20})
    return fig


def group_histogram_figure(histogram: "ColumnHistogram", group_sizes: pd.Series) -> "go.Figure":
    """One column's histogram for each group, side by side (one panel per group, shared
    bins), as in W&B's "Group by" table view; bars are counts, hover shows the group share.
    Panels are laid out by hand in one constructor call: make_subplots and update_layout
    validate the figure again at every step (0.6 s for a page of eight charts)."""
    go = _plotly()
    groups = list(histogram.counts.columns)
    n_panels, gap = max(1, len(groups)), 0.04
    width = (1 - gap * (n_panels - 1)) / n_panels
    bins = [_plain(_short(str(b), 24)) for b in histogram.counts.index]
    layout: dict = {"annotations": []}
    traces = []
    for i, group in enumerate(groups):
        axis = "" if i == 0 else str(i + 1)
        x0 = i * (width + gap)
        layout[f"xaxis{axis}"] = {"domain": [x0, x0 + width], "anchor": f"y{axis}"}
        layout[f"yaxis{axis}"] = {"anchor": f"x{axis}"}
        layout["annotations"].append({
            "text": _plain(f"{_short(str(group), 20)} ({int(group_sizes.get(group, 0)):,} rows)"),
            "x": x0 + width / 2, "y": 1.0, "xref": "paper", "yref": "paper", "xanchor": "center",
            "yanchor": "bottom", "showarrow": False, "font": {"size": 11}})
        counts = histogram.counts[group]
        total = max(int(counts.sum()), 1)
        traces.append({"type": "bar", "x": bins, "y": counts.tolist(), "name": _plain(group), "showlegend": False,
                       "xaxis": f"x{axis}", "yaxis": f"y{axis}", "customdata": [c / total for c in counts],
                       "marker": {"color": ARTIFACT_PALETTE[i % len(ARTIFACT_PALETTE)]},
                       "hovertemplate": "%{x}<br>%{y:,} rows (%{customdata:.1%} of the group)<extra></extra>"})
    label = histogram.column + (" (text length)" if histogram.kind == "text_length" else "")
    layout.update(title={"text": _plain(label), "x": 0, "font": {"size": 14}}, height=250,
                  margin={"l": 30, "r": 10, "t": 60, "b": 30}, bargap=0.05)
    return go.Figure(data=traces, layout=layout)
