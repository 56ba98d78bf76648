"""Records: JSON round trips, flattening, DOT output."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from wbview.records import (
    ArtifactFile,
    ArtifactVersion,
    LineageEdge,
    LineageGraph,
    LineageNode,
    Run,
    TableRef,
    flatten,
)

CREATED = datetime(2025, 12, 13, 7, 30, 22, tzinfo=UTC)


@pytest.mark.parametrize(
    "nested, flat",
    [
        ({}, {}),
        ({"params": {"lr": 1e-4}}, {"params.lr": 1e-4}),
        (
            {"params": {"optimizer": {"name": "adamw"}}, "meta": {"task": "x"}},
            {"params.optimizer.name": "adamw", "meta.task": "x"},
        ),
        ({"model.type": "cnn"}, {"model.type": "cnn"}),
        ({"params": {}}, {"params": {}}),  # an empty dict stays a value, not lost
        ({"params": {"splits": [0.8, 0.2]}}, {"params.splits": [0.8, 0.2]}),
    ],
)
def test_flatten(nested, flat):
    assert flatten(nested) == flat


def test_run_json_round_trip():
    run = Run(
        id="abc123",
        entity="acme",
        project="phishing",
        name="exp-003-train-2025-12-13T07-30-22Z",
        group="exp-003",
        job_type="train",
        tags=("baseline",),
        state="finished",
        created_at=CREATED,
        url="https://wandb.ai/acme/phishing/runs/abc123",
        config={"params": {"lr": 0.001}},
        summary={"eval/f1": 0.9},
        tables=(
            TableRef(
                run_id="abc123",
                key="eval/predictions",
                artifact="run-abc123-evalpredictions:v0",
                entry="eval/predictions.table.json",
                nrows=20,
                stored_rows=20,
            ),
        ),
    )
    assert Run.from_json(run.to_json()) == run
    assert run.flat_config() == {"params.lr": 0.001}


def test_artifact_json_round_trip_and_names():
    art = ArtifactVersion(
        entity="acme",
        project="phishing",
        name="phishing-texts",
        version="v3",
        type="dataset",
        aliases=("latest",),
        metadata={"num_samples": 3},
        size_bytes=10,
        digest="d",
        created_at=CREATED,
        files=(ArtifactFile("data.parquet", 10, "md5"),),
        logged_by="r1",
        used_by=("r2", "r3"),
    )
    assert ArtifactVersion.from_json(art.to_json()) == art
    assert art.id == "phishing-texts:v3"
    assert art.qualified_name == "acme/phishing/phishing-texts:v3"


@pytest.mark.parametrize(
    "truncated_args, expected",
    [
        (dict(nrows=300_000, stored_rows=200_000), True),
        (dict(nrows=300_000, stored_rows=200_000, parquet_entry="k.parquet"), False),  # Parquet holds every row
        (dict(nrows=10, stored_rows=10), False),
        (dict(nrows=None, stored_rows=10), False),
    ],
)
def test_table_truncation(truncated_args, expected):
    ref = TableRef(run_id="r", key="k", artifact="a:v0", entry="k.table.json", **truncated_args)
    assert ref.truncated is expected


def test_lineage_dot_breaks_label_lines_and_escapes_quotes():
    graph = LineageGraph(
        root="r1",
        nodes=(LineageNode("r1", "run", 'say "hi"', type="train"), LineageNode("m:v0", "artifact", "m:v0")),
        edges=(LineageEdge("r1", "m:v0"),),
    )
    dot = graph.to_dot()
    assert '"r1" [shape=box, label="say \\"hi\\"\\n(train)"];' in dot
    assert '"m:v0" [shape=ellipse, label="m:v0"];' in dot
    assert '"r1" -> "m:v0";' in dot
    assert graph.to_json()["edges"] == [{"source": "r1", "target": "m:v0"}]
