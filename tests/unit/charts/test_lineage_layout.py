"""lineage_layout: levels along data flow, clustering of large levels, positions."""

from __future__ import annotations

from wbview.charts.lineage_layout import (
    cluster_large_levels,
    layout_lineage,
    node_levels,
)
from wbview.records import LineageEdge, LineageGraph, LineageNode


def _graph(root, nodes, edges):
    kinds = {n: ("artifact" if ":" in n else "run") for n in nodes}
    return LineageGraph(root, tuple(LineageNode(n, kinds[n], n) for n in nodes), tuple(LineageEdge(s, t) for s, t in edges))


CHAIN = _graph(
    "train",
    ["data:v0", "prep", "train", "model:v0", "eval"],
    [("prep", "data:v0"), ("data:v0", "train"), ("train", "model:v0"), ("model:v0", "eval")],
)


def test_levels_follow_data_flow_from_the_root():
    assert node_levels(CHAIN) == {"train": 0, "data:v0": -1, "prep": -2, "model:v0": 1, "eval": 2}


def test_layout_places_levels_left_to_right():
    layout = layout_lineage(CHAIN)
    xs = {p.id: p.x for p in layout.nodes}
    assert xs["prep"] < xs["data:v0"] < xs["train"] < xs["model:v0"] < xs["eval"]
    assert all(p.y == 0 for p in layout.nodes)  # one node per level: centred


def test_large_levels_are_clustered_into_a_more_node():
    consumers = [f"run{i}" for i in range(10)]
    graph = _graph("data:v0", ["data:v0", *consumers], [("data:v0", r) for r in consumers])
    clustered = cluster_large_levels(graph, max_per_level=4)
    kinds = [n.kind for n in clustered.nodes]
    assert kinds.count("run") == 3 and kinds.count("more") == 1
    more = next(n for n in clustered.nodes if n.kind == "more")
    assert more.name == "+7 more" and more.hidden_count == 7 and len(more.hidden_ids) == 7
    assert LineageEdge("data:v0", more.id) in clustered.edges
    assert len(clustered.edges) == 4


def test_existing_more_nodes_keep_their_counts_when_clustered_again():
    walker_more = LineageNode("more:x:down", "more", "+5 more", hidden_count=5, hidden_ids=tuple("abcde"))
    runs = [LineageNode(f"r{i}", "run", f"r{i}") for i in range(4)]
    graph = LineageGraph(
        "x:v0",
        (LineageNode("x:v0", "artifact", "x:v0"), *runs, walker_more),
        tuple(LineageEdge("x:v0", n.id) for n in [*runs, walker_more]),
    )
    clustered = cluster_large_levels(graph, max_per_level=3)
    more = next(n for n in clustered.nodes if n.kind == "more")
    # 5 nodes at level 1, 3 allowed: r0, r1 stay; r2, r3 and the walker's 5 become one cluster.
    assert more.hidden_count == 2 + 5 and set(more.hidden_ids) == {"r2", "r3", *"abcde"}


def test_small_graphs_are_left_alone_and_positions_are_centred():
    graph = _graph("d:v0", ["d:v0", "a", "b", "c"], [("d:v0", "a"), ("d:v0", "b"), ("d:v0", "c")])
    layout = layout_lineage(graph)
    ys = sorted(p.y for p in layout.nodes if p.level == 1)
    assert ys == [-1.0, 0.0, 1.0]
    assert layout.node("a") is not None and layout.node("zzz") is None


def test_paths_of_different_lengths_still_point_right():
    """An eval run uses the encoded dataset and the model trained on it: the model must sit
    right of its train run, and every edge must point right (longest-path layering)."""
    from wbview.charts.lineage_layout import layout_lineage, node_levels
    from wbview.records import LineageEdge, LineageGraph, LineageNode

    nodes = (
        LineageNode("enc", "run", "encode"),
        LineageNode("data:v0", "artifact", "data:v0", type="dataset"),
        LineageNode("train", "run", "train"),
        LineageNode("model:v0", "artifact", "model:v0", type="model"),
        LineageNode("eval", "run", "eval"),
        LineageNode("preds:v0", "artifact", "preds:v0", type="predictions"),
    )
    edges = tuple(
        LineageEdge(s, t)
        for s, t in [
            ("enc", "data:v0"),
            ("data:v0", "train"),
            ("train", "model:v0"),
            ("data:v0", "eval"),
            ("model:v0", "eval"),
            ("eval", "preds:v0"),
        ]
    )
    graph = LineageGraph("enc", nodes, edges)
    assert node_levels(graph) == {"enc": 0, "data:v0": 1, "train": 2, "model:v0": 3, "eval": 4, "preds:v0": 5}
    layout = layout_lineage(graph)
    x = {placed.id: placed.x for placed in layout.nodes}
    assert all(x[e.source] < x[e.target] for e in layout.edges)
    # rooted in the middle: upstream columns are negative
    assert node_levels(LineageGraph("eval", nodes, edges))["enc"] == -4
