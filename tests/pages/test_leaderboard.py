"""The Runs page as a leaderboard: name pinned, best first by the chosen metric, the
params that differ next, empty columns hidden, a column choice kept in the link."""

from __future__ import annotations

import json

import pytest

from tests.pages import dashboard_fixture as fx
from tests.pages.pagetest import open_page, problems
from wbview.ui.source import register_source


@pytest.fixture
def dash() -> str:
    return register_source("board", fx.memory_source())


def _table(at):
    return at.dataframe[-1]  # the runs table is the page's last table


def test_runs_table_is_a_leaderboard(dash):
    at = open_page("pages/runs.py", source=dash, project=fx.PROJECT)
    assert problems(at) == []
    table = _table(at)
    order = list(table.proto.column_order)
    assert order[:4] == ["name", "id", "page", "summary.eval/f1"]
    assert order.index("params.lr") < order.index("job_type")  # params that differ before the attributes
    assert list(table.value["id"])[:4] == ["tr3", "tr1", "ev1", "tr2"]  # eval/f1 0.93, 0.91, 0.9, 0.88
    config = json.loads(table.proto.columns)
    assert config["name"]["pinned"] is True and config["id"]["pinned"] is True


def test_an_eval_only_filter_hides_the_train_only_columns(dash):
    at = open_page("pages/runs.py", source=dash, project=fx.PROJECT, f="job_type in eval")
    assert problems(at) == []
    order = list(_table(at).proto.column_order)
    assert "params.threshold" in order
    assert "params.lr" not in order and "summary.eval/accuracy" not in order and "summary.num_samples" not in order


def test_the_column_choice_comes_from_the_link(dash):
    at = open_page("pages/runs.py", source=dash, project=fx.PROJECT, cols=["params.encoder", "summary.eval/f1"])
    assert problems(at) == []
    assert list(_table(at).proto.column_order) == ["name", "id", "page", "params.encoder", "summary.eval/f1"]


def test_parallel_coordinates_name_the_runs(dash):
    from tests.pages.pagetest import plotly_specs

    at = open_page("pages/runs.py", source=dash, project=fx.PROJECT)
    assert problems(at) == []
    parcoords = next(s for s in plotly_specs(at) if s["data"][0]["type"] == "parcoords")
    first = parcoords["data"][0]["dimensions"][0]
    assert first["label"] == "run"
    assert set(first["ticktext"]) == {"exp-001-train (tr1)", "exp-002-train (tr2)", "exp-003-train (tr3)"}
