"""Place a lineage graph for drawing: one column per hop from the root (inputs to the
left, outputs to the right), large columns clustered into a "+k more" node. Pure."""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass

from wbview.records import LineageEdge, LineageGraph, LineageNode

DEFAULT_MAX_PER_LEVEL = 6  # W&B collapses a level of 5+ nodes; keep a few visible


@dataclass(frozen=True)
class PlacedNode:
    node: LineageNode
    level: int  # hops from the root along data flow: < 0 upstream, > 0 downstream
    x: float
    y: float

    @property
    def id(self) -> str:
        return self.node.id


@dataclass(frozen=True)
class LineageLayout:
    root: str
    nodes: tuple[PlacedNode, ...]
    edges: tuple[LineageEdge, ...]

    def node(self, node_id: str) -> PlacedNode | None:
        return next((n for n in self.nodes if n.id == node_id), None)


def node_levels(graph: LineageGraph) -> dict[str, int]:
    """Column of every node, relative to the root (< 0 upstream, > 0 downstream).

    Longest-path layering: a node sits one column right of its furthest input, so every
    edge points right even where paths of different lengths meet (an eval run uses both a
    dataset and the model trained on it: the model must sit right of the train run).
    A graph with a cycle (never seen in W&B lineage) falls back to hop distance."""
    ids = [node.id for node in graph.nodes]
    known = set(ids) | {graph.root}
    inputs: dict[str, list[str]] = defaultdict(list)
    outputs: dict[str, list[str]] = defaultdict(list)
    for edge in graph.edges:
        if edge.source in known and edge.target in known:
            inputs[edge.target].append(edge.source)
            outputs[edge.source].append(edge.target)
    pending = {node_id: len(inputs[node_id]) for node_id in known}
    ready = deque(sorted(node_id for node_id, count in pending.items() if count == 0))
    depth: dict[str, int] = {}
    while ready:
        current = ready.popleft()
        depth[current] = max((depth[i] + 1 for i in inputs[current]), default=0)
        for target in outputs[current]:
            pending[target] -= 1
            if pending[target] == 0:
                ready.append(target)
    if len(depth) < len(known):
        return _hop_levels(graph)
    return {node_id: depth[node_id] - depth[graph.root] for node_id in known}


def _hop_levels(graph: LineageGraph) -> dict[str, int]:
    """Signed hop distance from the root: an edge s -> t puts t one level right of s."""
    neighbours: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for edge in graph.edges:
        neighbours[edge.source].append((edge.target, 1))
        neighbours[edge.target].append((edge.source, -1))
    levels = {graph.root: 0}
    queue = deque([graph.root])
    while queue:
        current = queue.popleft()
        for other, step in neighbours[current]:
            if other not in levels:
                levels[other] = levels[current] + step
                queue.append(other)
    for node in graph.nodes:  # unreachable nodes (should not happen) sit next to the root
        levels.setdefault(node.id, 0)
    return levels


def _sort_key(node: LineageNode) -> tuple:
    return ({"run": 0, "artifact": 1, "more": 2}[node.kind], node.type or "", node.name)


def cluster_large_levels(graph: LineageGraph, max_per_level: int = DEFAULT_MAX_PER_LEVEL) -> LineageGraph:
    """Replace the tail of every level holding more than ``max_per_level`` nodes with one
    "more" node standing for them (edges to the hidden nodes go to the cluster)."""
    levels = node_levels(graph)
    by_level: dict[int, list[LineageNode]] = defaultdict(list)
    for node in graph.nodes:
        by_level[levels[node.id]].append(node)
    replaced: dict[str, str] = {}
    nodes: list[LineageNode] = []
    for level, members in sorted(by_level.items()):
        members.sort(key=lambda n: (n.id != graph.root, *_sort_key(n)))
        if len(members) <= max_per_level:
            nodes.extend(members)
            continue
        keep, hide = members[: max_per_level - 1], members[max_per_level - 1 :]
        cluster_id = f"more:level{level}"
        hidden_ids = tuple(i for n in hide for i in (n.hidden_ids if n.kind == "more" else (n.id,)))
        count = sum(n.hidden_count if n.kind == "more" else 1 for n in hide)
        cluster = LineageNode(cluster_id, "more", f"+{count} more", hidden_count=count, hidden_ids=hidden_ids)
        nodes.extend([*keep, cluster])
        replaced.update({n.id: cluster_id for n in hide})
    edges: list[LineageEdge] = []
    for edge in graph.edges:
        new = LineageEdge(replaced.get(edge.source, edge.source), replaced.get(edge.target, edge.target))
        if new.source != new.target and new not in edges:
            edges.append(new)
    return LineageGraph(graph.root, tuple(nodes), tuple(edges))


def layout_lineage(graph: LineageGraph, max_per_level: int = DEFAULT_MAX_PER_LEVEL) -> LineageLayout:
    """Cluster large levels, then give each node x = its level and y = its rank in the level
    (centred on 0), so edges run left to right as data flows."""
    clustered = cluster_large_levels(graph, max_per_level)
    levels = node_levels(clustered)
    by_level: dict[int, list[LineageNode]] = defaultdict(list)
    for node in clustered.nodes:
        by_level[levels[node.id]].append(node)
    placed: list[PlacedNode] = []
    for level, members in sorted(by_level.items()):
        members.sort(key=_sort_key)
        offset = (len(members) - 1) / 2
        placed.extend(PlacedNode(n, level, float(level), offset - rank) for rank, n in enumerate(members))
    return LineageLayout(clustered.root, tuple(placed), clustered.edges)
