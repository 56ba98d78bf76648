"""Error analysis read on a projector: rates as percentages in every tab, errors in the
warning colour in the group-by histograms."""

from __future__ import annotations

import json

import pytest

from tests.pages import dashboard_fixture as fx
from tests.pages.pagetest import histograms, open_page, problems
from wbview.charts.style import CORRECT_COLOUR, ERROR_COLOUR
from wbview.ui.source import register_source


@pytest.fixture
def dash() -> str:
    return register_source("projector", fx.memory_source())


def _assert_percentages(at, columns: tuple[str, ...]) -> None:
    table = next(d for d in at.dataframe if columns[0] in d.value.columns)
    config = json.loads(table.proto.columns)
    for column in columns:
        assert config[column]["type_config"]["format"] == "percent", column


def test_error_rates_are_percentages_and_errors_are_red(dash):
    fn_tab = open_page("pages/error_analysis.py", source=dash, project=fx.PROJECT, run="ev1", tab="False negatives")
    assert problems(fn_tab) == []
    _assert_percentages(fn_tab, ("error_rate", "error_rate_low", "error_rate_high", "share_of_errors"))
    at = open_page("pages/error_analysis.py", source=dash, project=fx.PROJECT, run="ev1")
    colours = {panel.split(" (")[0]: colour for panel, colour in histograms(at).colours.items()}
    assert colours == {"True": ERROR_COLOUR, "False": CORRECT_COLOUR}


def test_the_threshold_table_shows_rates_as_percentages_like_the_metrics(dash):
    at = open_page("pages/threshold.py", source=dash, project=fx.PROJECT, run="ev1")
    assert problems(at) == []
    at.session_state["_curve_open"] = True  # the table of every threshold: drawn once its panel is open
    at.run()
    assert problems(at) == []
    _assert_percentages(at, ("fn_rate", "precision", "recall", "fp_rate"))
    assert any(m.value.endswith("%") for m in at.metric if m.label == "Recall")  # the same unit above
