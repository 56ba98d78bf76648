"""Figures for a projector: bins a person reads at a glance, errors in the warning colour."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wbview.analysis.groups import group_histograms
from wbview.analysis.prepare import prepare
from wbview.charts.errors import group_histogram_figure, outcome_colours
from wbview.charts.style import CORRECT_COLOUR, ERROR_COLOUR


@pytest.mark.parametrize("value, text", [
    (1100.0, "1,100"), (1234.5, "1,230"), (1.2e3, "1,200"), (99999.0, "100,000"), (2_500_000.0, "2.5M"),
    (0.125, "0.125"), (12.0, "12"), (0.0, "0"), (-1500.0, "-1,500"), (0.00012, "1.2e-04"),
])
def test_bin_edges_read_as_everyday_numbers(value, text):
    from wbview.analysis.groups import _format_number

    assert _format_number(value) == text


def test_histogram_bins_of_text_lengths_have_no_e_notation():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"length": rng.integers(1000, 1300, 300).astype(float),
                          "True Label": rng.choice(["a", "b"], 300), "Predicted Label": rng.choice(["a", "b"], 300)})
    bins = list(group_histograms(prepare(frame), columns=["length"]).histograms["length"].counts.index)
    assert bins and not any("e+" in b for b in bins)
    assert any("," in b for b in bins)  # thousands separated: "1,100–1,120"


def test_errors_are_drawn_in_the_warning_colour():
    frame = pd.DataFrame({"x": ["a", "b", "a", "b"], "True Label": ["p", "p", "q", "q"],
                          "Predicted Label": ["p", "q", "q", "p"]})
    table = prepare(frame)
    grouped = group_histograms(table, columns=["x"])
    colours = outcome_colours(grouped.group_sizes.index)
    figure = group_histogram_figure(grouped.histograms["x"], grouped.group_sizes, colours)
    by_group = {trace.name: trace.marker.color for trace in figure.data}
    assert by_group == {"True": ERROR_COLOUR, "False": CORRECT_COLOUR}
