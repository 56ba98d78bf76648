"""walk_lineage over a MemorySource: nodes, data-flow edges, memoization (call counts), fan-out cap."""

from __future__ import annotations

from collections import Counter

import pytest

from wbview.errors import ArtifactNotFound, RunNotFound, UsageError
from wbview.records import ArtifactVersion, Run, RunArtifacts
from wbview.sources.lineage import walk_lineage
from wbview.sources.memory import MemorySource, ProjectData

PROJECT = "acme/phishing"


class CountingSource:
    """Wraps a MemorySource and counts the calls the walker makes (only the outer ones)."""

    def __init__(self, data):
        self.inner = MemorySource(data)
        self.calls: Counter = Counter()

    def __getattr__(self, method):
        def counted(project, key, *args, **kwargs):
            self.calls[method, key] += 1
            return getattr(self.inner, method)(project, key, *args, **kwargs)

        return counted


def build_project(n_evals: int = 3) -> ProjectData:
    """ingest -> raw:v0 -> encode -> encoded:v0 -> train -> model:v0 -> eval-i -> preds-i:v0."""
    data = ProjectData()

    def add_run(run_id, job_type, used=(), logged=()):
        data.runs[run_id] = Run(id=run_id, entity="acme", project="phishing", name=f"{run_id}-name", job_type=job_type, group="g")
        data.run_artifacts[run_id] = RunArtifacts(run_id, used=tuple(used), logged=tuple(logged))

    def add_artifact(name, type_, logged_by, used_by):
        data.artifacts[f"{name}:v0"] = ArtifactVersion(
            entity="acme",
            project="phishing",
            name=name,
            version="v0",
            type=type_,
            aliases=("latest",),
            logged_by=logged_by,
            used_by=tuple(used_by),
        )

    evals = [f"eval{i}" for i in range(n_evals)]
    add_run("ingest", "ingest", logged=["raw:v0"])
    add_run("encode", "encode", used=["raw:v0"], logged=["encoded:v0"])
    add_run("train", "train", used=["encoded:v0"], logged=["model:v0"])
    for i, run_id in enumerate(evals):
        add_run(run_id, "eval", used=["model:v0", "encoded:v0"], logged=[f"preds{i}:v0"])
        add_artifact(f"preds{i}", "predictions", run_id, [])
    add_artifact("raw", "dataset", "ingest", ["encode"])
    add_artifact("encoded", "dataset", "encode", ["train", *evals])
    add_artifact("model", "model", "train", evals)
    return data


def edges_of(graph):
    return {(e.source, e.target) for e in graph.edges}


def test_two_hops_both_ways_from_a_run():
    source = CountingSource({PROJECT: build_project()})
    graph = walk_lineage(source, PROJECT, "train")
    ids = {n.id for n in graph.nodes}
    assert graph.root == "train"
    assert ids == {"train", "encoded:v0", "encode", "model:v0", "eval0", "eval1", "eval2"}
    assert edges_of(graph) == {
        ("encoded:v0", "train"),
        ("encode", "encoded:v0"),
        ("train", "model:v0"),
        ("model:v0", "eval0"),
        ("model:v0", "eval1"),
        ("model:v0", "eval2"),
    }
    nodes = {n.id: n for n in graph.nodes}
    assert (nodes["train"].kind, nodes["train"].name, nodes["train"].type) == ("run", "train-name", "train")
    assert (nodes["model:v0"].kind, nodes["model:v0"].type) == ("artifact", "model")
    # Memoized: nothing is fetched twice; leaf runs are described but never expanded.
    assert max(source.calls.values()) == 1
    assert source.calls == Counter(
        {
            ("run", "train"): 1,
            ("run_artifacts", "train"): 1,
            ("artifact", "encoded:v0"): 1,
            ("run", "encode"): 1,
            ("artifact", "model:v0"): 1,
            ("run", "eval0"): 1,
            ("run", "eval1"): 1,
            ("run", "eval2"): 1,
        }
    )


@pytest.mark.parametrize(
    "direction, depth, expected_ids",
    [
        ("up", 1, {"train", "encoded:v0"}),
        ("up", 4, {"train", "encoded:v0", "encode", "raw:v0", "ingest"}),
        ("down", 1, {"train", "model:v0"}),
        ("down", 3, {"train", "model:v0", "eval0", "eval1", "eval2", "preds0:v0", "preds1:v0", "preds2:v0"}),
        ("both", 0, {"train"}),
    ],
)
def test_direction_and_depth(direction, depth, expected_ids):
    source = CountingSource({PROJECT: build_project()})
    graph = walk_lineage(source, PROJECT, "train", depth=depth, direction=direction)
    assert {n.id for n in graph.nodes} == expected_ids
    assert max(source.calls.values()) == 1


def test_from_an_artifact_by_alias_resolves_to_the_stable_id():
    source = CountingSource({PROJECT: build_project()})
    graph = walk_lineage(source, PROJECT, "model:latest", depth=1)
    assert graph.root == "model:v0"
    assert edges_of(graph) == {("train", "model:v0"), ("model:v0", "eval0"), ("model:v0", "eval1"), ("model:v0", "eval2")}
    assert source.calls[("artifact", "model:latest")] == 1
    assert source.calls[("artifact", "model:v0")] == 0  # the alias fetch is reused


def test_a_node_reached_twice_is_fetched_once():
    # encoded:v0 feeds train and every eval; evals are reached both from model:v0 and encoded:v0.
    source = CountingSource({PROJECT: build_project()})
    graph = walk_lineage(source, PROJECT, "encoded:v0", depth=3, direction="down")
    assert {"eval0", "eval1", "eval2", "model:v0", "preds0:v0"} <= {n.id for n in graph.nodes}
    assert ("model:v0", "eval0") in edges_of(graph) and ("encoded:v0", "eval0") in edges_of(graph)
    assert max(source.calls.values()) == 1
    assert len({n.id for n in graph.nodes}) == len(graph.nodes)


def test_fanout_cap_turns_overflow_into_one_more_node():
    source = CountingSource({PROJECT: build_project(n_evals=12)})
    graph = walk_lineage(source, PROJECT, "model:v0", depth=1, direction="down", fanout_cap=5)
    runs = [n for n in graph.nodes if n.kind == "run"]
    more = [n for n in graph.nodes if n.kind == "more"]
    assert len(runs) == 5 and len(more) == 1
    assert more[0].hidden_count == 7 and more[0].name == "+7 more"
    assert set(more[0].hidden_ids) | {r.id for r in runs} == {f"eval{i}" for i in range(12)}
    assert ("model:v0", more[0].id) in edges_of(graph)
    # Hidden runs are never fetched.
    assert all(source.calls[("run", hidden)] == 0 for hidden in more[0].hidden_ids)


def test_fanout_cap_upstream_more_node_points_into_the_parent():
    data = build_project()
    data.run_artifacts["train"] = RunArtifacts("train", used=tuple(f"in{i}:v0" for i in range(4)), logged=())
    graph = walk_lineage(MemorySource({PROJECT: data}), PROJECT, "train", depth=1, direction="up", fanout_cap=2)
    more = [n for n in graph.nodes if n.kind == "more"]
    assert len(more) == 1 and more[0].hidden_count == 2
    assert (more[0].id, "train") in edges_of(graph)


def test_missing_neighbour_is_drawn_without_details():
    data = build_project()
    data.artifacts["model:v0"] = ArtifactVersion(
        entity="acme",
        project="phishing",
        name="model",
        version="v0",
        type="model",
        logged_by="train",
        used_by=("gone-run",),
    )
    graph = walk_lineage(MemorySource({PROJECT: data}), PROJECT, "model:v0", depth=1, direction="down")
    node = {n.id: n for n in graph.nodes}["gone-run"]
    assert (node.kind, node.name, node.type) == ("run", "gone-run", None)


@pytest.mark.parametrize(
    "root, error",
    [("nope", RunNotFound), ("nope:v0", ArtifactNotFound)],
)
def test_unknown_root_raises(root, error):
    with pytest.raises(error):
        walk_lineage(MemorySource({PROJECT: build_project()}), PROJECT, root)


@pytest.mark.parametrize("kwargs", [{"direction": "sideways"}, {"depth": -1}, {"fanout_cap": 0}])
def test_bad_arguments(kwargs):
    with pytest.raises(UsageError):
        walk_lineage(MemorySource({PROJECT: build_project()}), PROJECT, "train", **kwargs)


def test_source_lineage_method_uses_the_walker():
    graph = MemorySource({PROJECT: build_project()}).lineage(PROJECT, "train", depth=1)
    assert edges_of(graph) == {("encoded:v0", "train"), ("train", "model:v0")}
    assert graph.to_json()["edges"] and "digraph" in graph.to_dot()
