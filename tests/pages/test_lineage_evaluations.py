"""Lineage: under the graph, the dataset version each eval run of a model scored, with a
warning when a model's eval runs scored different data (the first question in a review)."""

from __future__ import annotations

import dataclasses

from tests.pages.conftest import DEMO_PROJECT
from tests.pages.pagetest import open_page, problems, texts
from wbview.records import RunArtifacts
from wbview.sources.memory import MemorySource
from wbview.ui.source import register_source

MODEL = "phishing-classifier-head-tail:v1"  # the demo's "best" model, scored by two eval runs
DATASET = "phishing-texts-encoded-head-tail:v0"


def _table(at):
    return next(df.value for df in at.dataframe if "dataset version(s)" in df.value.columns)


def _eval_runs_of(demo, model):
    return sorted(run_id for run_id, io in demo.run_artifacts.items() if model in io.used)


def test_the_eval_runs_of_a_model_and_the_dataset_each_scored(spec, demo):
    at = open_page("pages/lineage.py", source=spec, root=MODEL, depth="1")
    assert problems(at) == []
    table = _table(at)
    expected = _eval_runs_of(demo, MODEL)
    assert len(expected) == 2
    assert sorted(table["run id"]) == expected
    assert sorted(table["eval run"]) == sorted(demo.runs[r].name for r in expected)
    assert set(table["model version"]) == {MODEL} and set(table["dataset version(s)"]) == {DATASET}
    assert set(table["note"]) == {""}
    assert "different dataset versions" not in texts(at)


def test_a_model_scored_on_other_data_by_one_run_is_flagged(demo):
    one, other = _eval_runs_of(demo, MODEL)
    changed = dict(demo.run_artifacts)
    changed[other] = RunArtifacts(other, (MODEL, "phishing-texts-encoded-standard:v1"), demo.run_artifacts[other].logged)
    spec = register_source("lineage-mixed", MemorySource({DEMO_PROJECT: dataclasses.replace(demo, run_artifacts=changed)}))
    at = open_page("pages/lineage.py", source=spec, root=MODEL, depth="1")
    assert problems(at) == []
    table = _table(at).set_index("run id")
    assert table.loc[one, "dataset version(s)"] == DATASET
    assert table.loc[other, "dataset version(s)"] == "phishing-texts-encoded-standard:v1"
    assert table.loc[one, "note"] == "" or table.loc[other, "note"] == ""
    assert table["note"].str.startswith("other data than").sum() == 1
    warning = texts(at)
    assert f"The eval runs of {MODEL} scored 2 different dataset versions" in warning
    assert DATASET in warning and "phishing-texts-encoded-standard:v1" in warning


def test_a_run_root_shows_the_models_it_reaches(spec, demo):
    trainer = demo.artifacts[MODEL].logged_by
    at = open_page("pages/lineage.py", source=spec, root=trainer, depth="1", direction="down")
    assert problems(at) == []
    assert sorted(_table(at)["run id"]) == _eval_runs_of(demo, MODEL)
