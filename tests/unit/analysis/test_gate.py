"""The regression gate: McNemar's exact test, Holm / Benjamini-Hochberg, metric drops,
per-slice checks and the cannot-compare cases, on hand-made paired tables checked
against statsmodels, scipy and scikit-learn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest
from sklearn import metrics as skm
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

from wbview.analysis.gate import DEFAULT_MAX_DROP, paired_metrics, regression_gate, resolve_metric_limits
from wbview.analysis.prepare import prepare
from wbview.analysis.stats import benjamini_hochberg, binomial_half_sf, holm, mcnemar_exact
from wbview.errors import UsageError

# --- the statistics against statsmodels / scipy ------------------------------------------------

DISCORDANT = [
    (0, 0),
    (1, 0),
    (0, 1),
    (3, 0),
    (5, 5),
    (10, 2),
    (2, 10),
    (7, 13),
    (13, 7),
    (100, 70),
    (1000, 930),
    (2500, 2400),
    (40, 0),
]


@pytest.mark.parametrize("broken, fixed", DISCORDANT)
def test_mcnemar_exact_matches_statsmodels_and_scipy(broken, fixed):
    p_worse, p_two = mcnemar_exact(broken, fixed)
    table = [[50, broken], [fixed, 20]]  # rows: baseline right/wrong; columns: candidate right/wrong
    assert float(p_two) == pytest.approx(mcnemar(table, exact=True).pvalue, rel=1e-9, abs=1e-300)
    n = broken + fixed
    expected_worse = binomtest(broken, n, 0.5, alternative="greater").pvalue if n else 1.0
    assert float(p_worse) == pytest.approx(expected_worse, rel=1e-9, abs=1e-300)


def test_binomial_tail_vectorised_over_mixed_totals():
    k = np.array([0, 1, 5, 6, 7, 3, 60, 61])
    n = np.array([0, 4, 5, 5, 10, 10, 120, 120])
    from scipy.stats import binom

    expected = np.where(k <= 0, 1.0, binom.sf(k - 1, n, 0.5))
    np.testing.assert_allclose(binomial_half_sf(k, n), expected, rtol=1e-10)


P_FAMILIES = [
    [0.01],
    [0.01, 0.04, 0.03, 0.2],
    [0.001, 0.001, 0.02, 0.02, 0.5, 1.0],  # ties
    [0.049, 0.048, 0.047, 0.046],
    [1.0, 1.0, 0.9],
    list(np.random.default_rng(3).uniform(0, 0.2, 40)),
]


@pytest.mark.parametrize("p", P_FAMILIES)
@pytest.mark.parametrize("ours, method", [(holm, "holm"), (benjamini_hochberg, "fdr_bh")])
def test_corrections_match_statsmodels(p, ours, method):
    reject, adjusted, _, _ = multipletests(p, alpha=0.05, method=method)
    np.testing.assert_allclose(ours(p), adjusted, rtol=1e-12)
    assert ((ours(p) <= 0.05) == reject).all()


def test_corrections_of_no_test():
    assert holm([]).size == 0 and benjamini_hochberg([]).size == 0


# --- hand-made paired tables ------------------------------------------------------------------

STATUS = {"rr": (False, False), "rw": (False, True), "wr": (True, False), "ww": (True, True)}


def paired_tables(
    statuses: list[str], groups: list[str] | None = None, ids=None, truth: list[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Baseline and candidate tables; ``statuses[i]`` is "rw" for a row right in the
    baseline and wrong in the candidate, etc. Binary labels x/y (y positive)."""
    n = len(statuses)
    truth = truth or ["y" if i % 3 == 0 else "x" for i in range(n)]
    other = {"x": "y", "y": "x"}
    ids = list(range(1, n + 1)) if ids is None else ids
    frames = []
    for side in (0, 1):
        pred = [other[t] if STATUS[s][side] else t for s, t in zip(statuses, truth, strict=True)]
        frame = pd.DataFrame({"Sample ID": ids, "True Label": truth, "Predicted Label": pred})
        if groups is not None:
            frame["Group"] = groups
        frames.append(frame)
    return frames[0], frames[1]


def gate(a: pd.DataFrame, b: pd.DataFrame, **kwargs):
    return regression_gate(prepare(a, positive_class="y"), prepare(b, positive_class="y"), **kwargs)


def statuses(rr: int, rw: int, wr: int, ww: int) -> list[str]:
    return ["rr"] * rr + ["rw"] * rw + ["wr"] * wr + ["ww"] * ww


@pytest.mark.parametrize(
    "counts, expected",
    [
        ((200, 0, 0, 10), "pass"),  # no discordant pairs: p = 1
        ((180, 12, 10, 8), "pass"),  # 12 broken vs 10 fixed: noise
        ((170, 25, 5, 10), "regression"),  # clearly worse
        ((170, 5, 25, 10), "pass"),  # clearly better: never a failure
    ],
)
def test_overall_paired_test_against_statsmodels(counts, expected):
    rr, rw, wr, ww = counts
    a, b = paired_tables(statuses(*counts))
    result = gate(a, b, metrics=["accuracy"], max_drop=1.0)  # metric gate out of the way
    overall = result.overall
    assert (overall.rows, overall.newly_broken, overall.fixed) == (sum(counts), rw, wr)
    assert (overall.baseline_errors, overall.candidate_errors) == (wr + ww, rw + ww)
    reference = mcnemar([[rr, rw], [wr, ww]], exact=True).pvalue
    assert overall.p_two_sided == pytest.approx(reference, rel=1e-9)
    one_sided = binomtest(rw, rw + wr, 0.5, alternative="greater").pvalue if rw + wr else 1.0
    assert overall.p_worse == pytest.approx(one_sided, rel=1e-9)
    assert result.status == expected and result.exit_code == {"pass": 0, "regression": 1}[expected]
    assert result.reason


def test_row_order_and_extra_rows_do_not_change_the_pairing():
    a, b = paired_tables(statuses(150, 20, 4, 6))
    shuffled = b.sample(frac=1.0, random_state=0)
    extra = pd.DataFrame({"Sample ID": [999], "True Label": ["x"], "Predicted Label": ["y"]})
    result = gate(a, pd.concat([shuffled, extra]))
    assert (result.overall.newly_broken, result.overall.fixed) == (20, 4)
    assert result.matching["paired"] == 180 and result.matching["only_in_candidate"] == 1


def binary_metric_reference(frame: pd.DataFrame) -> dict[str, float]:
    y, p = frame["True Label"] == "y", frame["Predicted Label"] == "y"
    tn, fp, fn, tp = skm.confusion_matrix(y, p, labels=[False, True]).ravel()
    return {
        "accuracy": skm.accuracy_score(y, p),
        "error_rate": 1 - skm.accuracy_score(y, p),
        "precision": skm.precision_score(y, p),
        "recall": skm.recall_score(y, p),
        "f1": skm.f1_score(y, p),
        "fn_rate": fn / (fn + tp),
        "fp_rate": fp / (fp + tn),
    }


def test_binary_metrics_match_sklearn_and_drops_are_signed():
    a, b = paired_tables(statuses(120, 30, 9, 11))
    result = gate(a, b, metrics=["accuracy", "recall", "fn_rate"], metric_max_drop={"recall": 0.5})
    by_name = {m.metric: m for m in result.metrics}
    ref_a, ref_b = binary_metric_reference(a), binary_metric_reference(b)
    for metric, check in by_name.items():
        assert check.baseline == pytest.approx(ref_a[metric]) and check.candidate == pytest.approx(ref_b[metric])
        worse = (
            ref_a[metric] - ref_b[metric] if metric not in ("error_rate", "fn_rate", "fp_rate") else ref_b[metric] - ref_a[metric]
        )
        assert check.drop == pytest.approx(worse)
    assert by_name["recall"].max_drop == 0.5 and not by_name["recall"].failed
    assert by_name["accuracy"].max_drop == DEFAULT_MAX_DROP and by_name["accuracy"].failed
    assert by_name["fn_rate"].failed and by_name["precision"].max_drop is None and not by_name["precision"].failed


def test_macro_metrics_match_sklearn():
    rng = np.random.default_rng(7)
    classes = np.array(["a", "b", "c", "d"])
    truth = classes[rng.integers(0, 3, 300)]  # class "d" only ever predicted
    pred = np.where(rng.random(300) < 0.7, truth, classes[rng.integers(0, 4, 300)])
    table = prepare(pd.DataFrame({"Sample ID": np.arange(300), "True Label": truth, "Predicted Label": pred}))
    ours = paired_metrics(table, np.arange(300), None)
    for name, fn in (("macro_precision", skm.precision_score), ("macro_recall", skm.recall_score), ("macro_f1", skm.f1_score)):
        assert ours[name] == pytest.approx(fn(truth, pred, average="macro", zero_division=0))
    assert ours["accuracy"] == pytest.approx(skm.accuracy_score(truth, pred))


def slice_reference(a: pd.DataFrame, b: pd.DataFrame, columns: list[str], min_rows: int, method: str, alpha: float):
    """Per slice of every column: McNemar (statsmodels) and the adjustment (multipletests)."""
    wrong_a = a["True Label"] != a["Predicted Label"]
    wrong_b = b.set_index("Sample ID").loc[a["Sample ID"]]
    wrong_b = (wrong_b["True Label"] != wrong_b["Predicted Label"]).to_numpy()
    keys, p = [], []
    for column in columns:
        for value, rows in a.groupby(column).groups.items():
            i = a.index.get_indexer(rows)
            broken = int((~wrong_a.to_numpy()[i] & wrong_b[i]).sum())
            fixed = int((wrong_a.to_numpy()[i] & ~wrong_b[i]).sum())
            if len(i) >= min_rows and broken + fixed:
                keys.append((column, str(value)))
                p.append(binomtest(broken, broken + fixed, 0.5, alternative="greater").pvalue)
    reject, adjusted, _, _ = multipletests(p, alpha=alpha, method=method)
    return {k: adj for k, adj, r in zip(keys, adjusted, reject, strict=True) if r}, len(keys)


@pytest.mark.parametrize("correction, method", [("holm", "holm"), ("bh", "fdr_bh")])
def test_failing_slices_match_statsmodels(correction, method):
    # Group g0 regresses hard, g1 a little, g2 not at all, g3 improves.
    parts = [
        ("g0", statuses(40, 14, 1, 5)),
        ("g1", statuses(50, 7, 1, 2)),
        ("g2", statuses(60, 3, 3, 4)),
        ("g3", statuses(45, 1, 9, 5)),
        ("g4", statuses(50, 6, 0, 4)),
    ]
    groups = [g for g, s in parts for _ in s]
    a, b = paired_tables([x for _, s in parts for x in s], groups=groups)
    result = gate(a, b, correction=correction, min_rows=30, max_drop=1.0)
    expected, tested = slice_reference(a, b, ["Group", "True Label"], 30, method, 0.05)
    assert result.slices_tested == tested
    got = {(s.feature, s.slice): s.p_adjusted for s in result.failing_slices}
    assert got.keys() == expected.keys() and expected
    for key, p_adj in got.items():
        assert p_adj == pytest.approx(expected[key], rel=1e-9)
    worst = next(s for s in result.failing_slices if s.slice == "g0")
    assert (worst.test.rows, worst.test.newly_broken, worst.test.fixed) == (60, 14, 1)
    broken_ids = set(
        a["Sample ID"][
            (a["Group"] == "g0").to_numpy()
            & (a["True Label"] == a["Predicted Label"]).to_numpy()
            & (b["True Label"] != b["Predicted Label"]).to_numpy()
        ]
    )
    assert set(worst.broken_ids) == broken_ids and len(broken_ids) == 14
    assert result.status == "regression"


def test_bh_can_flag_more_slices_than_holm():
    parts = [(f"g{i}", statuses(40, 6, 0, 4)) for i in range(6)]  # six equally mild regressions
    groups = [g for g, s in parts for _ in s]
    a, b = paired_tables([x for _, s in parts for x in s], groups=groups)
    holm_result = gate(a, b, correction="holm", max_drop=1.0)
    bh_result = gate(a, b, correction="bh", max_drop=1.0)
    assert len(bh_result.failing_slices) > len(holm_result.failing_slices)


def test_broken_ids_are_capped_with_the_total():
    a, b = paired_tables(statuses(100, 50, 0, 0))
    result = gate(a, b, max_ids=7)
    assert len(result.broken_ids) == 7 and result.to_dict()["broken_total"] == 50
    assert set(result.broken_ids) <= set(range(101, 151))


# --- cannot compare, and what is left out --------------------------------------------------------


def test_disjoint_ids_cannot_be_compared():
    a, b = paired_tables(statuses(30, 0, 0, 0))
    b["Sample ID"] = b["Sample ID"] + 1000
    result = gate(a, b)
    assert result.status == "cannot compare" and result.exit_code == 2 and "no sample" in result.reason


@pytest.mark.parametrize("side", ["baseline", "candidate"])
def test_duplicated_ids_cannot_be_compared(side):
    a, b = paired_tables(statuses(30, 2, 0, 0))
    target = a if side == "baseline" else b
    target.loc[5, "Sample ID"] = target.loc[6, "Sample ID"]
    result = gate(a, b)
    assert result.exit_code == 2 and side in result.reason and "repeat a sample id" in result.reason


def test_repeated_texts_match_by_occurrence_when_there_is_no_id():
    a, b = paired_tables(statuses(30, 3, 0, 0))
    for frame in (a, b):
        frame["Decoded Text"] = ["same text"] * 5 + [f"text {i}" for i in range(len(frame) - 5)]
        del frame["Sample ID"]
    result = gate(a, b)
    assert result.key == "Decoded Text" and result.matching["paired"] == 33
    assert result.matching["repeated_keys_by_occurrence"] == 4


def test_missing_ids_and_labels_are_left_out():
    a, b = paired_tables(statuses(40, 5, 1, 0))
    a["Sample ID"] = a["Sample ID"].astype(float)
    a.loc[0, "Sample ID"] = np.nan  # no id: cannot be paired
    b.loc[1, "True Label"] = np.nan  # not scored by the candidate
    b.loc[2, "Predicted Label"] = np.nan
    result = gate(a, b)
    assert result.matching["baseline_missing_key"] == 1
    assert result.matching["candidate_scored"] == 44
    assert result.matching["paired"] == 43
    assert result.overall.rows == 43


def test_different_true_labels_cannot_be_compared_unless_allowed():
    a, b = paired_tables(statuses(40, 2, 0, 0))
    b.loc[3, "True Label"] = "y" if b.loc[3, "True Label"] == "x" else "x"
    assert gate(a, b).exit_code == 2
    allowed = gate(a, b, allow_different_data=True)
    assert allowed.exit_code in (0, 1) and allowed.matching["label_mismatches"] == 1 and allowed.notes


def test_a_table_without_true_labels_cannot_be_compared():
    a, b = paired_tables(statuses(40, 2, 0, 0))
    a = a.assign(**{"Is Error": a["True Label"] != a["Predicted Label"]}).drop(columns="True Label")
    result = regression_gate(prepare(a), prepare(b, positive_class="y"))
    assert result.exit_code == 2 and "true_label" in result.reason


@pytest.mark.parametrize(
    "datasets, allowed, code",
    [
        (("acme/p/data:v3", "acme/p/data:v3"), False, 0),
        (("acme/p/data:v3", "acme/p/data:v4"), False, 2),
        (("acme/p/data:v3", "acme/p/data:v4"), True, 0),
        (("acme/p/data:latest", "acme/p/data:latest"), False, 2),  # an alias can move
        ((None, "acme/p/data:v3"), False, 2),
        ((None, None), True, 0),
    ],
)
def test_lineage_check(datasets, allowed, code):
    a, b = paired_tables(statuses(40, 0, 0, 0))
    result = gate(a, b, datasets=datasets, allow_different_data=allowed)
    assert result.exit_code == code
    if code == 2:
        assert "--allow-different-data" in result.reason
    if allowed and datasets[0] != datasets[1]:
        assert any("Compared although" in note for note in result.notes)
    assert result.to_dict()["datasets"] == {"baseline": datasets[0], "candidate": datasets[1]}


def test_json_shape():
    a, b = paired_tables(statuses(150, 30, 2, 4), groups=["g"] * 186)
    data = gate(a, b).to_dict()
    assert set(data) >= {
        "status",
        "exit_code",
        "reason",
        "alpha",
        "correction",
        "key",
        "datasets",
        "matching",
        "overall",
        "broken_ids",
        "broken_total",
        "metrics",
        "slices_tested",
        "failing_slices",
        "notes",
    }
    slice_ = data["failing_slices"][0]
    assert set(slice_) >= {
        "feature",
        "slice",
        "rows",
        "newly_broken",
        "fixed",
        "baseline_error_rate",
        "candidate_error_rate",
        "p_worse",
        "p_two_sided",
        "p_adjusted",
        "broken_ids",
        "broken_total",
    }


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"alpha": 0.0}, "alpha"),
        ({"alpha": 1.5}, "alpha"),
        ({"correction": "bonferroni"}, "correction"),
        ({"metrics": ["auc"]}, "Unknown metric"),
        ({"max_drop": -0.1}, "max_drop"),
        ({"metric_max_drop": {"recall": float("nan")}}, "max_drop"),
    ],
)
def test_bad_options_raise_usage_errors(kwargs, words):
    a, b = paired_tables(statuses(40, 0, 0, 0))
    with pytest.raises(UsageError, match=words):
        gate(a, b, **kwargs)


def test_metric_limits_default_per_task():
    assert resolve_metric_limits(None, None, binary=True) == {"accuracy": DEFAULT_MAX_DROP, "recall": DEFAULT_MAX_DROP}
    assert resolve_metric_limits(None, 0.02, binary=False) == {"accuracy": 0.02}
    assert resolve_metric_limits(["f1"], None, True, {"fn_rate": 0.1}) == {"f1": DEFAULT_MAX_DROP, "fn_rate": 0.1}
    assert resolve_metric_limits(["f1", "recall"], 0.03, True, {"recall": 0.1}) == {"f1": 0.03, "recall": 0.1}
