"""Figures built from real analysis results; labels from data stay inert text."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from wbview.analysis.calibration import compare_calibration
from wbview.analysis.compare import diff_runs
from wbview.analysis.prepare import prepare
from wbview.analysis.slices import rank_ngrams
from wbview.charts.calibration import ece_figure
from wbview.charts.compare import run_diff_figure
from wbview.charts.slices import ngram_chart

PAYLOAD = "<img src=x onerror=alert(1)>"


def binary_frame(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    p = rng.random(300)
    truth = np.where(rng.random(300) < p, "spam", "ham")
    texts = np.where(truth == "spam", f"win {PAYLOAD} now", "see you at lunch")
    return pd.DataFrame({"id": range(300), "text": texts, "true_label": truth, "prob_spam": p, "prob_ham": 1 - p})


def test_run_diff_figure_counts_and_escaped_title():
    diff = diff_runs(prepare(binary_frame(0)), prepare(binary_frame(1)))
    fig = run_diff_figure(diff.counts, names=("<b>old</b>", "new"))
    bar = fig.data[0]
    assert list(bar.x) == ["fixed", "newly broken", "still wrong", "still right"]
    assert list(bar.y) == diff.counts["rows"].tolist() and sum(bar.y) == 300
    assert "<b>" not in fig.layout.title.text and "&lt;b&gt;" in fig.layout.title.text


def test_ece_figure_one_series_per_run():
    result = compare_calibration({"run <1>": prepare(binary_frame(0)), "run 2": prepare(binary_frame(1))})
    fig = ece_figure(result.ece)
    assert [t.name for t in fig.data] == ["run &lt;1&gt;", "run 2"]
    assert fig.data[0].y[0] == result.ece["ece"].iloc[0]


def test_ngram_chart_bars_match_ranking():
    ranked = rank_ngrams(prepare(binary_frame(0)), target="error", min_rows=5)
    chart = ngram_chart(ranked, top=50)
    assert list(chart.data["label"]) == [f"contains = “{g}”" for g in ranked["ngram"].head(50)]
    assert np.allclose(chart.data["rate"], ranked["rate"].head(50))
    assert list(chart.data["order"]) == list(range(len(chart.data)))  # drawn in the ranking's order


def test_ngram_chart_keeps_markup_as_values_only():
    """Vega draws text as text: an n-gram like "<script>" stays as it is, but only in the
    data, never in the spec (as a field name or an expression)."""
    ranked = pd.DataFrame(
        {
            "target": ["fn"],
            "ngram": ["<script>"],
            "rows": [10],
            "rate": [0.5],
            "rate_low": [0.2],
            "rate_high": [0.8],
            "lift": [2.0],
        }
    )
    chart = ngram_chart(ranked)
    assert chart.data["label"].tolist() == ["contains = “<script>”"]
    assert "script" not in json.dumps(chart.spec)
    assert chart.spec["layer"][0]["encoding"]["x"]["title"].startswith("FN rate")
