"""Where errors concentrate: Wilson intervals, slice ranking (small slices cannot win
on luck), text features, n-grams and the error tree, on hand-built tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from statsmodels.stats.proportion import proportion_confint

from wbview.analysis import slices
from wbview.analysis.prepare import prepare
from wbview.analysis.stats import wilson_interval
from wbview.analysis.textfeatures import ngram_rows, text_features


@pytest.mark.parametrize(
    "k, n, low, high",
    [
        (0, 10, 0.0, 0.2775),  # reference values (e.g. statsmodels proportion_confint method="wilson")
        (5, 10, 0.2366, 0.7634),
        (10, 10, 0.7225, 1.0),
        (1, 100, 0.0018, 0.0545),
    ],
)
def test_wilson_interval(k, n, low, high):
    lo, hi = wilson_interval(k, n)
    assert lo == pytest.approx(low, abs=1e-4) and hi == pytest.approx(high, abs=1e-4)


def test_wilson_zero_total_is_nan():
    lo, hi = wilson_interval(np.array([0]), np.array([0]))
    assert np.isnan(lo[0]) and np.isnan(hi[0])


def slice_frame() -> pd.DataFrame:
    """2000 rows, base error rate 10%. Region "north" (200 rows) has 50% errors;
    region "tiny" (2 rows) has 2/2 errors; "south" holds the other 98 errors."""
    region = np.array(["north"] * 200 + ["tiny"] * 2 + ["south"] * 1798)
    wrong = np.zeros(2000, dtype=bool)
    wrong[:100] = True  # 100 of north
    wrong[200:202] = True  # all of tiny
    wrong[202:300] = True  # 98 of south
    truth = np.array(["ham", "spam"] * 1000)
    pred = np.where(wrong, np.where(truth == "ham", "spam", "ham"), truth)
    return pd.DataFrame({"region": region, "true_label": truth, "predicted_label": pred})


def test_strong_large_slice_outranks_tiny_perfect_slice():
    ranked = slices.rank_slices(prepare(slice_frame()), min_rows=1)
    top = ranked.iloc[0]
    assert (top["feature"], top["slice"]) == ("region", "north")
    assert top["rows"] == 200 and top["hits"] == 100
    assert top["rate"] == pytest.approx(0.5) and top["lift"] == pytest.approx(5.0)
    low, _ = wilson_interval(100, 200)
    assert top["lift_low"] == pytest.approx(low / 0.1)
    tiny = ranked[(ranked["feature"] == "region") & (ranked["slice"] == "tiny")].iloc[0]
    assert tiny["rate"] == 1.0 and tiny["lift"] > top["lift"] and tiny["lift_low"] < top["lift_low"]
    assert top["share_of_data"] == pytest.approx(0.1) and top["share_of_hits"] == pytest.approx(0.5)


def test_min_rows_drops_small_slices_and_target_columns_are_never_slices():
    ranked = slices.rank_slices(prepare(slice_frame()), min_rows=30)
    assert "tiny" not in set(ranked["slice"])
    assert not {"Is Error", "Outcome"} & set(ranked["feature"])


def test_fn_target_uses_positives_only():
    table = prepare(slice_frame())
    ranked = slices.rank_slices(table, target="fn", min_rows=1)
    positives = table.truth_is_positive()
    north = ranked[(ranked["feature"] == "region") & (ranked["slice"] == "north")].iloc[0]
    region = slice_frame()["region"].to_numpy()
    assert north["rows"] == np.count_nonzero(positives & (region == "north"))
    misses = positives & ~table.pred_is_positive()
    assert north["hits"] == np.count_nonzero(misses & (region == "north"))
    assert not {"true_label", "predicted_label"} & set(ranked["feature"])


def test_slice_mask():
    table = prepare(slice_frame())
    assert slices.slice_mask(table, "region", "north").sum() == 200


def test_text_features_hand_case():
    df = pd.DataFrame(
        {
            "text": ["Go to https://WWW.Evil.com/login NOW 42", "hi", "", "see www.docs.org/a, ok", None],
            "label": ["a"] * 5,
            "prediction": ["a"] * 5,
        }
    )
    features = text_features(prepare(df), "text")
    assert features["length"].tolist()[:4] == [39, 2, 0, 22] and np.isnan(features["length"].iloc[4])
    assert features["has_url"].tolist() == [True, False, False, True, False]
    domains = features["url_domain"]
    assert domains[0] == "evil.com" and domains[3] == "docs.org" and domains.isna().tolist() == [False, True, True, False, True]
    assert features["digits"].tolist()[:4] == [2, 0, 0, 0]
    assert features["capitals_share"].iloc[0] == pytest.approx(8 / 39)  # G, WWW, E, NOW
    assert features["digit_share"].iloc[0] == pytest.approx(2 / 39)


def test_ngram_rows_distinct_per_text():
    row, gram, names = ngram_rows(pa.array(["Hello world hello", "world, peace!", None]))
    pairs = sorted((int(r), names[int(g)]) for r, g in zip(row, gram, strict=False))
    assert pairs == [
        (0, "hello"),
        (0, "hello world"),
        (0, "world"),
        (0, "world hello"),
        (1, "peace"),
        (1, "world"),
        (1, "world peace"),
    ]


def ngram_frame() -> pd.DataFrame:
    """200 positives: the 40 containing "gift card" are all missed, 10 of the rest are."""
    texts = ["claim your gift card today"] * 40 + ["meeting moved to monday"] * 160
    missed = np.array([True] * 40 + [True] * 10 + [False] * 150)
    return pd.DataFrame(
        {
            "text": texts + ["hello"] * 50,
            "label": ["spam"] * 200 + ["ham"] * 50,
            "prediction": list(np.where(missed, "ham", "spam")) + ["ham"] * 50,
        }
    )


def test_ngrams_over_represented_among_false_negatives():
    ranked = slices.rank_ngrams(prepare(ngram_frame()), target="fn", min_rows=10)
    top = ranked.iloc[0]
    assert top["ngram"] in {"gift card", "gift", "card", "claim your", "claim", "your gift", "card today", "today", "your"}
    gift = ranked.set_index("ngram").loc["gift card"]
    assert gift["rows"] == 40 and gift["hits"] == 40 and gift["lift"] == pytest.approx(1 / (50 / 200))
    assert ranked["sampled_rows"].iloc[0] == 200


def test_ngram_sampling_reports_sample_size():
    ranked = slices.rank_ngrams(prepare(ngram_frame()), target="fn", min_rows=5, max_sample_rows=100)
    assert ranked["sampled_rows"].iloc[0] == 100 and ranked["rows"].max() <= 100


def tree_frame() -> pd.DataFrame:
    """Errors live where channel == "sms" and length is long."""
    rng = np.random.default_rng(0)
    n_rows = 2000
    channel = rng.choice(["sms", "mail"], n_rows)
    size = rng.choice([10, 30, 60, 90], n_rows)
    wrong = (channel == "sms") & (size >= 50)
    truth = rng.choice(["a", "b"], n_rows)
    pred = np.where(wrong, np.where(truth == "a", "b", "a"), truth)
    return pd.DataFrame({"channel": channel, "size": size, "noise": rng.random(n_rows), "label": truth, "prediction": pred})


def test_error_tree_finds_the_planted_cohort():
    df = tree_frame()
    tree = slices.error_tree(
        prepare(df), max_depth=2, features=slices.slice_features(prepare(df), columns=["channel", "size", "noise"], n_bins=10)
    )
    nodes = tree.nodes
    assert nodes.loc[0, "rows"] == 2000 and nodes.loc[0, "coverage"] == pytest.approx(1.0)
    worst = tree.leaves().iloc[0]
    expected = ((df["channel"] == "sms") & (df["size"] >= 50)).to_numpy()
    assert worst["rate"] == 1.0 and worst["coverage"] == pytest.approx(1.0)
    assert np.array_equal(tree.mask(int(worst["node"])), expected)
    assert "channel" in worst["path"] and "size" in worst["path"]
    assert worst["share_of_data"] == pytest.approx(expected.mean())
    assert (nodes["depth"] <= 2).all()
    leaves = tree.leaves()
    assert leaves["rows"].sum() == 2000  # leaves partition the data


def test_error_tree_respects_min_rows():
    tree = slices.error_tree(prepare(tree_frame()), max_depth=4, min_rows=400)
    assert (tree.nodes.loc[tree.nodes["depth"] > 0, "rows"] >= 400).all()


def test_digit_and_capital_counts_long_and_non_ascii_texts():
    from wbview.analysis.textfeatures import _text_scan

    texts = pa.chunked_array([pa.array(["ÄB12", "9" * 70_000 + "X" * 300, None, ""]), pa.array(["Zz0"])])
    scanned = _text_scan(texts)
    digits, capitals = scanned["digits"], scanned["capitals"]
    assert digits.tolist()[:2] == [2, 70_000] and capitals.tolist()[:2] == [1, 300]  # Ä is not ASCII
    assert np.isnan(digits[2]) and (digits[3], capitals[3]) == (0, 0) and (digits[4], capitals[4]) == (1, 1)


@pytest.mark.parametrize("target, subset", [("error", False), ("error", True), ("fn", False), ("fn", True)])
def test_every_slice_count_matches_its_rows(target, subset):
    rng = np.random.default_rng(3)
    frame = slice_frame().assign(score=rng.random(2000), channel=rng.choice(["web", "mail", None], 2000))
    table = prepare(frame)
    rows = (np.arange(2000) % 3 != 0) if subset else None
    ranked = slices.rank_slices(table, target=target, min_rows=1, rows=rows)
    population = table.truth_is_positive() if target == "fn" else table.labelled()
    hits = population & (~table.pred_is_positive() if target == "fn" else table.is_error())
    if subset:
        population = population & rows
    assert len(ranked) > 5
    for feature, label, n, k in ranked[["feature", "slice", "rows", "hits"]].itertuples(index=False):
        mask = slices.slice_mask(table, feature, label) & population
        assert (n, k) == (mask.sum(), (mask & hits).sum()), (feature, label)


def test_a_slice_under_two_names_is_listed_once():
    rng = np.random.default_rng(3)
    n = 400
    has_digits = rng.random(n) < 0.5
    frame = pd.DataFrame(
        {
            "has digits": has_digits,  # the same rows as "no digits" below, under another name
            "no digits": ~has_digits,
            "sender": rng.choice(["a", "b", "c"], n),
            "True Label": rng.choice(["ham", "phish"], n),
            "Predicted Label": rng.choice(["ham", "phish"], n),
        }
    )
    ranked = slices.rank_slices(prepare(frame), min_rows=10)
    named = set(zip(ranked["feature"], ranked["slice"].astype(str), strict=True))
    assert len({("has digits", "False"), ("no digits", "True")} & named) == 1  # one name for these rows
    assert len({("has digits", "True"), ("no digits", "False")} & named) == 1
    assert {("sender", "a"), ("sender", "b"), ("sender", "c")} <= named  # different rows all stay


def free_text_frame() -> pd.DataFrame:
    """12 labelled rows. The model saw "Decoded Text" (no URLs, short); "Full Text" holds
    the whole message: rows 0-3 carry a link to evil.com, and 3 of those 4 are errors;
    "Copy" repeats "Full Text" word for word."""
    body = "Dear customer, please review the attached statement for this month."
    full = [f"{body} Visit https://evil.com/login" for _ in range(4)] + [f"{body} Thanks{'!' * 4 * i}" for i in range(8)]
    wrong = np.array([True, True, True, False] + [False] * 7 + [True])
    truth = np.array(["phish"] * 12)
    return pd.DataFrame(
        {
            "Decoded Text": [f"message {i}" for i in range(12)],
            "Full Text": full,
            "Copy": full,
            "True Label": truth,
            "Predicted Label": np.where(wrong, "ham", "phish"),
        }
    )


def test_slices_come_from_every_free_text_column_each_named_once():
    frame = free_text_frame()
    ranked = slices.rank_slices(prepare(frame), min_rows=1, include_outputs=False)
    named = set(zip(ranked["feature"], ranked["slice"].astype(str), strict=True))
    assert ("Full Text: has URL", "True") in named
    # the same rows under a second name (the URL domain evil.com) are listed once
    assert ("Full Text: URL domain", "evil.com") not in named
    assert not any(f.startswith("Copy: ") for f in ranked["feature"])  # the same rows as Full Text: not repeated
    assert any(f.startswith("Decoded Text: ") for f in ranked["feature"])  # the model's text keeps its slices
    # reference: counted by hand from a plain regex over the column
    link = frame["Full Text"].str.contains(r"https?://|www\.", regex=True).to_numpy()
    wrong = (frame["True Label"] != frame["Predicted Label"]).to_numpy()
    top = ranked[(ranked["feature"] == "Full Text: has URL") & (ranked["slice"] == "True")].iloc[0]
    assert (top["rows"], top["hits"]) == (link.sum(), (link & wrong).sum()) == (4, 3)
    assert top["rate"] == pytest.approx(0.75) and top["lift"] == pytest.approx(0.75 / (4 / 12))
    assert top["lift_low"] == pytest.approx(proportion_confint(3, 4, alpha=0.05, method="wilson")[0] / (4 / 12))
    assert ranked.iloc[0]["feature"].startswith("Full Text: ")  # the link explains the errors best
    assert slices.slice_mask(prepare(frame), "Full Text: has URL", "True").tolist() == link.tolist()
