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

from collections.abc import Collection
from typing import TYPE_CHECKING, Literal

from wbview.errors import NotFound, UsageError
from wbview.records import ArtifactVersion, Direction, LineageEdge, LineageGraph, LineageNode, Run, RunArtifacts

if TYPE_CHECKING:
    from wbview.sources.base import Source

Way = Literal["up", "down"]

DEFAULT_LINEAGE_DEPTH = 2
DEFAULT_FANOUT_CAP = 8


def is_artifact_id(node_id: str) -> bool:
    """Artifact ids are "name:vN" (or "name:alias"); run ids never contain a colon."""
    return ":" in node_id


class LineageReader:
    """What the walker reads, memoized; this default reads any Source.

    A source that can answer more cheaply (W&B: one request for a whole level's
    runs) passes its own subclass to ``walk_lineage``.
    """

    def __init__(self, source: Source, project: str):
        self.source = source
        self.project = project
        self.runs: dict[str, Run | None] = {}
        self.run_io: dict[str, RunArtifacts] = {}
        self.artifacts: dict[str, ArtifactVersion | None] = {}

    def resolve(self, node_id: str) -> str:
        """The stable id of the root ("name:vN" for an alias); raises NotFound."""
        found: Run | ArtifactVersion | None
        found = self.artifact(node_id, required=True) if is_artifact_id(node_id) else self.run(node_id, required=True)
        if found is None:  # looked up earlier as someone's neighbour and not found then
            raise NotFound(f"{node_id!r} was not found in {self.project}.")
        return found.id

    def prefetch(self, node_ids: list[str]) -> None:
        """Called with each level's new node ids before they are described."""

    def node(self, node_id: str) -> LineageNode:
        if is_artifact_id(node_id):
            art = self.artifact(node_id)
            if art is None:
                return LineageNode(id=node_id, kind="artifact", name=node_id)
            return LineageNode(id=art.id, kind="artifact", name=art.id, type=art.type)
        run = self.run(node_id)
        if run is None:
            return LineageNode(id=node_id, kind="run", name=node_id)
        return LineageNode(id=run.id, kind="run", name=run.name, type=run.job_type, group=run.group)

    def neighbours(self, node_id: str, way: Way) -> list[str]:
        if is_artifact_id(node_id):
            art = self.artifact(node_id)
            if art is None:
                return []
            if way == "up":
                return [art.logged_by] if art.logged_by else []
            return list(art.used_by)
        if node_id not in self.run_io:
            self.run_io[node_id] = self.source.run_artifacts(self.project, node_id)
        links = self.run_io[node_id]
        return list(links.used if way == "up" else links.logged)

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
    source: Source,
    project: str,
    root: str,
    depth: int = DEFAULT_LINEAGE_DEPTH,
    direction: Direction = "both",
    fanout_cap: int = DEFAULT_FANOUT_CAP,
    reader: LineageReader | None = None,
) -> LineageGraph:
    """The lineage graph ``depth`` hops around ``root`` (a run id or "name:vN")."""
    if direction not in ("up", "down", "both"):
        raise UsageError(f"Lineage direction must be up, down or both, not {direction!r}.")
    if depth < 0 or fanout_cap < 1:
        raise UsageError(f"Lineage depth must be >= 0 and fan-out cap >= 1 (got {depth}, {fanout_cap}).")
    reader = reader or LineageReader(source, project)
    root_id = reader.resolve(root)
    nodes: dict[str, LineageNode] = {root_id: reader.node(root_id)}
    edges: dict[tuple[str, str], None] = {}
    ways: list[Way] = ["up", "down"] if direction == "both" else [direction]
    frontier: list[tuple[str, Way]] = [(root_id, way) for way in ways]
    expanded: set[tuple[str, Way]] = set()
    for _hop in range(depth):
        next_frontier: list[tuple[str, Way]] = []
        new_ids: dict[str, None] = {}
        for node_id, way in frontier:
            if (node_id, way) in expanded:
                continue
            expanded.add((node_id, way))
            neighbours = list(dict.fromkeys(reader.neighbours(node_id, way)))
            shown, hidden = _cap(neighbours, nodes.keys() | new_ids.keys(), fanout_cap)
            for other in shown:
                if other not in nodes:
                    new_ids[other] = None
                edges[_edge(node_id, other, way)] = None
                next_frontier.append((other, way))
            if hidden:
                more = _more_node(node_id, way, hidden)
                nodes[more.id] = more
                edges[_edge(node_id, more.id, way)] = None
        reader.prefetch(list(new_ids))
        for other in new_ids:
            nodes[other] = reader.node(other)
        frontier = next_frontier
    return LineageGraph(
        root=root_id,
        nodes=tuple(nodes.values()),
        edges=tuple(LineageEdge(source=s, target=t) for s, t in edges),
    )


def _cap(neighbours: list[str], known: Collection[str], cap: int) -> tuple[list[str], list[str]]:
    """Keep at most ``cap`` neighbours, preferring ones already drawn; the rest are hidden."""
    if len(neighbours) <= cap:
        return neighbours, []
    ordered = [n for n in neighbours if n in known] + [n for n in neighbours if n not in known]
    return ordered[:cap], ordered[cap:]


def _edge(node_id: str, other: str, way: Way) -> tuple[str, str]:
    # Going down, data flows from the node to its neighbour; going up, the reverse.
    return (node_id, other) if way == "down" else (other, node_id)


def _more_node(parent: str, way: Way, hidden: list[str]) -> LineageNode:
    return LineageNode(
        id=f"more:{parent}:{way}",
        kind="more",
        name=f"+{len(hidden)} more",
        hidden_count=len(hidden),
        hidden_ids=tuple(hidden),
    )
