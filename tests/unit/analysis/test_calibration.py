"""Reliability bins and ECE against sklearn.calibration.calibration_curve and hand cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import calibration_curve

from wbview.analysis.calibration import (
    TOP_LABEL,
    calibration,
    compare_calibration,
    ece_from_bins,
    reliability_from_arrays,
)
from wbview.analysis.prepare import prepare
from wbview.errors import BadTable


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("n_bins", [5, 10])
def test_bins_match_sklearn(strategy, n_bins):
    rng = np.random.default_rng(n_bins)
    p = rng.random(800) ** 2
    y = rng.random(800) < p * 0.8 + 0.05
    p[:5] = [0.1, 0.2, 0.5, 0.0, 1.0]  # values on bin edges
    bins = reliability_from_arrays(y, p, n_bins, strategy)
    prob_true, prob_pred = calibration_curve(y, p, n_bins=n_bins, strategy=strategy)
    nonempty = bins[bins["rows"] > 0]
    np.testing.assert_allclose(nonempty["fraction_positive"], prob_true)
    np.testing.assert_allclose(nonempty["mean_predicted"], prob_pred)
    assert bins["rows"].sum() == 800


def test_ece_hand_case():
    # bin (0, 0.5]: p = 0.2, 0.4 with 1 positive -> |0.5 - 0.3| = 0.2, weight 2/4
    # bin (0.5, 1]: p = 0.8, 0.8 with 2 positives -> |1.0 - 0.8| = 0.2, weight 2/4
    bins = reliability_from_arrays(np.array([0, 1, 1, 1], bool), np.array([0.2, 0.4, 0.8, 0.8]), n_bins=2)
    assert bins["rows"].tolist() == [2, 2]
    assert ece_from_bins(bins) == pytest.approx(0.2)


def test_perfectly_calibrated_has_small_ece():
    rng = np.random.default_rng(0)
    p = rng.random(2000)
    y = rng.random(p.size) < p
    assert ece_from_bins(reliability_from_arrays(y, p, 10)) < 0.05


def binary_frame(seed: int, shift: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    p = rng.random(500)
    y = rng.random(500) < np.clip(p + shift, 0, 1)
    return pd.DataFrame({"true_label": np.where(y, "spam", "ham"), "prob_spam": p, "prob_ham": 1 - p})


def test_binary_table_uses_positive_class_and_compare_runs():
    result = compare_calibration({"good": prepare(binary_frame(0, 0.0)), "biased": prepare(binary_frame(0, 0.3))})
    assert set(result.ece["class"]) == {"spam"}
    ece = result.ece.set_index("run")["ece"]
    assert ece["biased"] > ece["good"] + 0.1
    assert result.bins.groupby("run").size().tolist() == [10, 10]  # same bins, comparable


def test_multiclass_per_class_and_top_label():
    rng = np.random.default_rng(1)
    probs = rng.dirichlet(np.ones(3), 300)
    truth = np.array(["a", "b", "c"])[rng.integers(0, 3, 300)]
    df = pd.DataFrame({"label": truth, "prob_a": probs[:, 0], "prob_b": probs[:, 1], "prob_c": probs[:, 2]})
    result = calibration(prepare(df), n_bins=5)
    assert result.ece["class"].tolist() == ["a", "b", "c", TOP_LABEL]
    bins_b = result.bins[result.bins["class"] == "b"]
    prob_true, _ = calibration_curve(truth == "b", probs[:, 1], n_bins=5)
    np.testing.assert_allclose(bins_b[bins_b["rows"] > 0]["fraction_positive"], prob_true)


def test_needs_probabilities():
    with pytest.raises(BadTable, match="probability"):
        calibration(prepare(pd.DataFrame({"label": ["a", "b"], "prediction": ["a", "a"]})))
