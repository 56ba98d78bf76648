"""Error analysis read on a projector: rates as percentages in every tab, errors in the
warning colour in the group-by histograms."""

from __future__ import annotations

import json

import pytest

from tests.pages import dashboard_fixture as fx
from tests.pages.pagetest import open_page, plotly_specs, problems
from wbview.charts.style import CORRECT_COLOUR, ERROR_COLOUR
from wbview.ui.source import register_source


@pytest.fixture
def dash() -> str:
    return register_source("projector", fx.memory_source())


def test_error_rates_are_percentages_and_errors_are_red(dash):
    at = open_page("pages/error_analysis.py", source=dash, project=fx.PROJECT, run="ev1")
    assert problems(at) == []
    by_class = next(d for d in at.dataframe if "error_rate" in d.value.columns)
    config = json.loads(by_class.proto.columns)
    for column in ("error_rate", "error_rate_low", "error_rate_high", "share_of_errors"):
        assert config[column]["type_config"]["format"] == "percent", column
    histograms = [s for s in plotly_specs(at) if s["data"][0]["type"] == "bar"]
    colours = {trace["name"]: trace["marker"]["color"] for trace in histograms[0]["data"]}
    assert colours == {"True": ERROR_COLOUR, "False": CORRECT_COLOUR}
