"""Lineage: the graph of runs and artifact versions around one node, over any Source.

W&B has no lineage API, so the graph is walked hop by hop with ``source.run``,
``source.run_artifacts`` and ``source.artifact``. Every fetch is memoized (no node
is fetched twice), and a node's neighbours beyond ``fanout_cap`` become one
"+k more" node that is never fetched. Edges point the way data flows: artifact ->
consuming run, run -> logged artifact.

Upstream means "where did this come from" (inputs, their producers, ...), downstream
"what was made from this"; a node reached going up is only expanded further up, so
"both" is the union of the two walks, not every relative.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from wbview.errors import NotFound, UsageError
from wbview.records import ArtifactVersion, Direction, LineageEdge, LineageGraph, LineageNode, Run, RunArtifacts
from wbview.sources.base import DEFAULT_FANOUT_CAP, DEFAULT_LINEAGE_DEPTH

if TYPE_CHECKING:
    from wbview.sources.base import Source

Way = Literal["up", "down"]


def is_artifact_id(node_id: str) -> bool:
    """Artifact ids are "name:vN" (or "name:alias"); run ids never contain a colon."""
    return ":" in node_id


@dataclass
class _Fetcher:
    """Memoizes every source call of one walk."""

    source: "Source"
    project: str
    runs: dict[str, Run | None] = field(default_factory=dict)
    run_io: dict[str, RunArtifacts] = field(default_factory=dict)
    artifacts: dict[str, ArtifactVersion | None] = field(default_factory=dict)

    def run(self, run_id: str, required: bool = False) -> Run | None:
        if run_id not in self.runs:
            try:
                self.runs[run_id] = self.source.run(self.project, run_id)
            except NotFound:
                if required:
                    raise
                # A neighbour in another project or deleted: still drawn, without details.
                self.runs[run_id] = None
        return self.runs[run_id]

    def io(self, run_id: str) -> RunArtifacts:
        if run_id not in self.run_io:
            self.run_io[run_id] = self.source.run_artifacts(self.project, run_id)
        return self.run_io[run_id]

    def artifact(self, artifact_id: str, required: bool = False) -> ArtifactVersion | None:
        if artifact_id not in self.artifacts:
            try:
                art = self.source.artifact(self.project, artifact_id)
            except NotFound:
                if required:
                    raise
                art = None
            self.artifacts[artifact_id] = art
            if art is not None:
                self.artifacts[art.id] = art  # an alias and its stable id share one fetch
        return self.artifacts[artifact_id]


def walk_lineage(
    source: "Source",
    project: str,
    root: str,
    depth: int = DEFAULT_LINEAGE_DEPTH,
    direction: Direction = "both",
    fanout_cap: int = DEFAULT_FANOUT_CAP,
) -> LineageGraph:
    """The lineage graph ``depth`` hops around ``root`` (a run id or "name:vN")."""
    if direction not in ("up", "down", "both"):
        raise UsageError(f"Lineage direction must be up, down or both, not {direction!r}.")
    if depth < 0 or fanout_cap < 1:
        raise UsageError(f"Lineage depth must be >= 0 and fan-out cap >= 1 (got {depth}, {fanout_cap}).")
    fetch = _Fetcher(source, project)
    if is_artifact_id(root):
        root_id = fetch.artifact(root, required=True).id  # type: ignore[union-attr]
    else:
        root_id = fetch.run(root, required=True).id  # type: ignore[union-attr]
    nodes: dict[str, LineageNode] = {root_id: _node(fetch, root_id)}
    edges: dict[tuple[str, str], None] = {}
    ways: list[Way] = ["up", "down"] if direction == "both" else [direction]  # type: ignore[list-item]
    frontier: list[tuple[str, Way]] = [(root_id, way) for way in ways]
    expanded: set[tuple[str, Way]] = set()
    for _hop in range(depth):
        next_frontier: list[tuple[str, Way]] = []
        for node_id, way in frontier:
            if (node_id, way) in expanded:
                continue
            expanded.add((node_id, way))
            neighbours = _neighbours(fetch, node_id, way)
            shown, hidden = _cap(neighbours, nodes, fanout_cap)
            for other in shown:
                if other not in nodes:
                    nodes[other] = _node(fetch, other)
                edges[_edge(node_id, other, way)] = None
                next_frontier.append((other, way))
            if hidden:
                more = _more_node(node_id, way, hidden)
                nodes[more.id] = more
                edges[_edge(node_id, more.id, way)] = None
        frontier = next_frontier
    return LineageGraph(
        root=root_id,
        nodes=tuple(nodes.values()),
        edges=tuple(LineageEdge(source=s, target=t) for s, t in edges),
    )


def _neighbours(fetch: _Fetcher, node_id: str, way: Way) -> list[str]:
    if is_artifact_id(node_id):
        art = fetch.artifact(node_id)
        if art is None:
            return []
        if way == "up":
            return [art.logged_by] if art.logged_by else []
        return list(dict.fromkeys(art.used_by))
    io = fetch.io(node_id)
    return list(dict.fromkeys(io.used if way == "up" else io.logged))


def _cap(neighbours: list[str], known: dict[str, LineageNode], cap: int) -> tuple[list[str], list[str]]:
    """Keep at most ``cap`` neighbours, preferring ones already drawn; the rest are hidden."""
    if len(neighbours) <= cap:
        return neighbours, []
    ordered = [n for n in neighbours if n in known] + [n for n in neighbours if n not in known]
    return ordered[:cap], ordered[cap:]


def _edge(node_id: str, other: str, way: Way) -> tuple[str, str]:
    # Going down, data flows from the node to its neighbour; going up, the reverse.
    return (node_id, other) if way == "down" else (other, node_id)


def _node(fetch: _Fetcher, node_id: str) -> LineageNode:
    if is_artifact_id(node_id):
        art = fetch.artifact(node_id)
        if art is None:
            return LineageNode(id=node_id, kind="artifact", name=node_id)
        return LineageNode(id=art.id, kind="artifact", name=art.id, type=art.type)
    run = fetch.run(node_id)
    if run is None:
        return LineageNode(id=node_id, kind="run", name=node_id)
    return LineageNode(id=run.id, kind="run", name=run.name, type=run.job_type, group=run.group)


def _more_node(parent: str, way: Way, hidden: list[str]) -> LineageNode:
    return LineageNode(
        id=f"more:{parent}:{way}",
        kind="more",
        name=f"+{len(hidden)} more",
        hidden_count=len(hidden),
        hidden_ids=tuple(hidden),
    )
