"""Benchmark: every error-analysis interaction on a 1,000,000-row eval table.

Each line compares wbview.analysis with an honest simple baseline (per-threshold
loops, groupby-apply, per-row Python) and a second line per interaction reports its
absolute time as a `target:` line against the 1 s budget.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd

from bench.common import report, target, timeit

N_ROWS = 1_000_000
TARGET_S = 1.0
_WORDS = (
    "account verify password invoice meeting lunch urgent click here now your the please "
    "review attached report team project update security alert bank login thanks regards"
).split()
_DOMAINS = ("paypal-secure.example.com", "bank-login.example.net", "docs.example.org", "news.example.com", "bit.ly", "github.com")


def synthetic_eval_table(n_rows: int = N_ROWS, seed: int = 0) -> pd.DataFrame:
    """A phishing-style eval table: texts with URLs, digits and capitals; labels;
    probabilities that are informative but imperfect, with errors concentrated in
    texts that carry certain domains."""
    rng = np.random.default_rng(seed)
    is_phishing = rng.random(n_rows) < 0.3
    n_words = rng.integers(3, 40, n_rows)
    words = np.array(_WORDS, dtype=object)[rng.integers(0, len(_WORDS), (n_rows, 6))]
    base = pd.Series(words[:, 0]) + " " + words[:, 1] + " " + words[:, 2] + " " + words[:, 3]
    has_url = rng.random(n_rows) < np.where(is_phishing, 0.6, 0.2)
    domain = np.array(_DOMAINS, dtype=object)[rng.integers(0, len(_DOMAINS), n_rows)]
    url = np.where(has_url, " http://" + domain + "/x" + rng.integers(0, 999, n_rows).astype(str), "")
    shout = np.where(rng.random(n_rows) < 0.1, " URGENT ACT NOW", "")
    filler = np.where(n_words > 20, " " + words[:, 4] + " " + words[:, 5] + " " + words[:, 4] * 3, "")
    texts = base + url + shout + filler + " ref " + rng.integers(0, 10**6, n_rows).astype(str)
    logit = np.where(is_phishing, 2.5, -2.5) + rng.normal(0, 1.6, n_rows)
    logit -= np.where(is_phishing & (domain == "bit.ly") & has_url, 3.0, 0.0)  # a blind spot to find
    p_phish = 1 / (1 + np.exp(-logit))
    truth = np.where(is_phishing, "phishing", "ham")
    pred = np.where(p_phish >= 0.5, "phishing", "ham")
    return pd.DataFrame(
        {
            "Sample ID": np.arange(n_rows),
            "Decoded Text": texts.astype("str"),  # as pandas reads text from Parquet/JSON
            "True Label": truth,
            "Predicted Label": pred,
            "Prob (Ham)": 1 - p_phish,
            "Prob (Phishing)": p_phish,
            "Is Error": truth != pred,
            "Source": np.array(["web", "mail", "sms", "chat"], dtype=object)[rng.integers(0, 4, n_rows)],
        }
    )


def _both(name: str, ours: float, baseline: float) -> None:
    """The comparison line, then the absolute time against the 1 s target."""
    report(f"analysis {name}", ours, baseline, "s")
    target(f"analysis {name}", ours, TARGET_S)


def _timed_once(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


# --- honest simple baselines: what one writes without wbview ---------------------------


def naive_histograms(df: pd.DataFrame, by: str, bins: int = 20) -> dict:
    out = {}
    for column in df.columns:
        if column == by:
            continue
        series = df[column]
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            edges = np.histogram_bin_edges(series.dropna(), bins)
            out[column] = df.groupby(by)[column].apply(lambda s, edges=edges: np.histogram(s.dropna(), edges)[0])
        elif column == "Decoded Text":
            lengths = series.str.len()
            edges = np.histogram_bin_edges(lengths, bins)
            out[column] = lengths.groupby(df[by]).apply(lambda s, edges=edges: np.histogram(s, edges)[0])
        else:
            out[column] = df.groupby(by)[column].apply(lambda s: s.value_counts().head(10))
    return out


def naive_threshold_curve(y: np.ndarray, s: np.ndarray, n_points: int = 21) -> list:
    rows = []
    for t in np.linspace(0, 1, n_points):  # the 21 interpolated points of the W&B PR helper
        predicted = s >= t
        tp = int((y & predicted).sum())
        fp = int((~y & predicted).sum())
        fn = int((y & ~predicted).sum())
        rows.append((t, tp / max(tp + fp, 1), tp / max(tp + fn, 1), 5 * fn + fp))
    return rows


def naive_slices(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    parts = []
    for column in columns:
        key = pd.qcut(df[column], 5, duplicates="drop") if pd.api.types.is_float_dtype(df[column]) else df[column]
        stats = df.groupby(key, observed=True)["Is Error"].agg(["mean", "count"])
        parts.append(stats.assign(feature=column))
    return pd.concat(parts)


def naive_ngrams(texts: list[str], missed: np.ndarray) -> dict:
    from collections import Counter

    rows, hits = Counter(), Counter()
    for text, miss in zip(texts, missed, strict=False):
        words = text.lower().split()
        grams = set(words) | {" ".join(pair) for pair in zip(words, words[1:], strict=False)}
        rows.update(grams)
        if miss:
            hits.update(grams)
    return {g: hits[g] / n for g, n in rows.items() if n >= 20}


def main() -> None:
    from wbview.analysis import calibration, compare, groups, outcomes, rows, slices, stacking, threshold
    from wbview.analysis.memo import Memo
    from wbview.analysis.prepare import prepare
    from wbview.analysis.textfeatures import text_features

    started = time.perf_counter()
    df = synthetic_eval_table(N_ROWS)
    print(f"# generated {len(df):,} rows in {time.perf_counter() - started:.1f} s", flush=True)
    table = None

    def load():
        nonlocal table
        table = prepare(df)

    load_s = _timed_once(load)
    precompute_s = _timed_once(
        lambda: (
            text_features(table, "Decoded Text"),
            slices.slice_features(table),
            [groups.column_kind(table, c) for c in table.frame.columns],
        )
    )
    target("analysis prepare (once per table)", load_s, TARGET_S)
    target("analysis precompute text features + codes (once per table)", precompute_s, TARGET_S)

    _both(
        "group-by Is Error histograms of every column",
        timeit(lambda: groups.group_histograms(table)),
        _timed_once(lambda: naive_histograms(df, "Is Error")),
    )
    half = (df["Sample ID"].to_numpy() % 2) == 0
    _both(
        "group-by Source histograms on a 50% selection",
        timeit(lambda: groups.group_histograms(table, by="Source", rows=half)),
        _timed_once(lambda: naive_histograms(df[half], "Source")),
    )
    _both(
        "confusion matrix",
        timeit(lambda: outcomes.confusion_matrix(table)),
        timeit(lambda: pd.crosstab(df["True Label"], df["Predicted Label"]), repeat=1),
    )
    _both(
        "confusion cell -> rows",
        timeit(lambda: table.frame[outcomes.confusion_cell_mask(table, "phishing", "ham")]),
        timeit(lambda: df[(df["True Label"] == "phishing") & (df["Predicted Label"] == "ham")], repeat=1),
    )
    _both(
        "false negatives by confidence",
        timeit(lambda: (outcomes.false_negative_summary(table), outcomes.false_negative_rows(table, limit=1000))),
        timeit(
            lambda: (
                df[(df["True Label"] == "phishing") & (df["Predicted Label"] == "ham")]
                .sort_values("Prob (Ham)", ascending=False)
                .head(1000)
            ),
            repeat=1,
        ),
    )
    _both(
        "high-confidence errors",
        timeit(lambda: outcomes.high_confidence_errors(table, 0.9, limit=1000)),
        timeit(
            lambda: (
                df[df["Is Error"] & (df[["Prob (Ham)", "Prob (Phishing)"]].max(axis=1) >= 0.9)]
                .sort_values("Prob (Ham)")
                .head(1000)
            ),
            repeat=1,
        ),
    )
    texts = df["Decoded Text"].tolist()
    _both(
        "search literal",
        timeit(lambda: rows.search_mask(table, "BIT.LY")),
        _timed_once(lambda: np.array(["bit.ly" in t.lower() for t in texts])),
    )
    _both(
        "search regex",
        timeit(lambda: rows.search_mask(table, r"http://\S+\.ly", regex=True)),
        _timed_once(lambda: df["Decoded Text"].astype(object).str.contains(r"http://\S+\.ly", case=False)),
    )
    query = rows.RowQuery(
        filters=(rows.ColumnFilter("Source", "in", ("mail", "sms")), *rows.range_filters("Prob (Phishing)", 0.2, 0.8)),
        search="urgent",
    )
    _both(
        "filters + search",
        timeit(lambda: rows.query_mask(table, rows.RowQuery.from_params(query.to_params()))),
        _timed_once(
            lambda: [
                i
                for i, (t, s, p) in enumerate(zip(texts, df["Source"], df["Prob (Phishing)"], strict=False))
                if s in ("mail", "sms") and 0.2 <= p <= 0.8 and "urgent" in t.lower()
            ]
        ),
    )
    selection = rows.query_mask(table, query)
    _both(
        f"CSV export of the selection ({int(selection.sum()):,} rows)",
        timeit(lambda: rows.to_csv_bytes(table.frame[selection])),
        timeit(lambda: table.frame[selection].to_csv(index=False).encode(), repeat=1),
    )
    _both(
        "CSV export of all 1M rows",
        _timed_once(lambda: rows.to_csv_bytes(table.frame)),
        _timed_once(lambda: table.frame.to_csv(index=False).encode()),
    )

    y, scores = table.truth_is_positive(), table.positive_scores()

    def cold_curve():
        curve = threshold.threshold_curve(dataclasses.replace(table, memo=Memo()), fn_cost=5)
        return threshold.cost_optimal_threshold(curve), threshold.threshold_for_recall(curve, 0.99)

    _both(
        f"threshold curve at every distinct threshold ({len(np.unique(scores)):,}) vs 21-point loop",
        timeit(cold_curve),
        _timed_once(lambda: naive_threshold_curve(y, scores)),
    )
    cold_curve()
    _both(
        "move cost ratio (cached curve) + optimum + recall target",
        timeit(lambda: threshold.cost_optimal_threshold(threshold.threshold_curve(table, fn_cost=20))),
        _timed_once(lambda: naive_threshold_curve(y, scores)),
    )
    _both(
        "rows that change outcome 0.5 -> 0.3",
        timeit(lambda: threshold.outcome_changes(table, 0.3)),
        _timed_once(
            lambda: df[(df["Prob (Phishing)"] >= 0.5) != (df["Prob (Phishing)"] >= 0.3)].sort_values(
                "Prob (Phishing)", ascending=False
            )
        ),
    )
    _both(
        "calibration (reliability + ECE)",
        timeit(lambda: calibration.calibration(table)),
        _timed_once(
            lambda: df.groupby(pd.cut(df["Prob (Phishing)"], np.linspace(0, 1, 11), include_lowest=True), observed=True).apply(
                lambda g: ((g["True Label"] == "phishing").mean(), g["Prob (Phishing)"].mean(), len(g))
            )
        ),
    )
    _both(
        "rank slices (every column + text features)",
        timeit(lambda: slices.rank_slices(table)),
        _timed_once(
            lambda: naive_slices(
                df.assign(**{"text length": df["Decoded Text"].str.len().astype(float)}),
                ["Source", "True Label", "Predicted Label", "Prob (Ham)", "Prob (Phishing)", "text length"],
            )
        ),
    )
    _both(
        "rank slices by FN rate",
        timeit(lambda: slices.rank_slices(table, target="fn")),
        _timed_once(lambda: naive_slices(df[df["True Label"] == "phishing"], ["Source", "Prob (Ham)"])),
    )
    positives = np.flatnonzero(table.truth_is_positive())[:100_000]
    missed = (df["Predicted Label"].to_numpy() == "ham")[positives]
    _both(
        "n-grams over-represented among FNs (100k-row sample)",
        timeit(lambda: slices.rank_ngrams(table), repeat=1),
        _timed_once(lambda: naive_ngrams([texts[i] for i in positives], missed)),
    )

    def sklearn_tree():
        from sklearn.tree import DecisionTreeClassifier

        features = slices.slice_features(table, include_outputs=False)
        matrix = np.column_stack([f.codes for f in features])
        DecisionTreeClassifier(max_depth=3, min_samples_leaf=10_000).fit(matrix, table.is_error())

    _both(
        "error tree depth 3 (baseline: sklearn DecisionTree on the same codes)",
        timeit(lambda: slices.error_tree(table, max_depth=3), repeat=1),
        _timed_once(sklearn_tree),
    )

    other = prepare(synthetic_eval_table(N_ROWS, seed=1).sample(frac=1.0, random_state=0))
    _both(
        "run vs run join on sample id (1M x 1M)",
        timeit(lambda: compare.diff_runs(table, other), repeat=1),
        _timed_once(
            lambda: df.merge(other.frame, on="Sample ID", suffixes=(" A", " B")).assign(
                Status=lambda j: np.select(
                    [j["Is Error A"] & ~j["Is Error B"], ~j["Is Error A"] & j["Is Error B"], j["Is Error A"] & j["Is Error B"]],
                    ["fixed", "newly broken", "still wrong"],
                    "still right",
                )
            )
        ),
    )
    thirds = {
        f"run-{i}": (df.iloc[i::4].reset_index(drop=True), {"lr": [1e-5, 3e-5, 5e-5, 3e-5][i], "seed": i}) for i in range(4)
    }
    stacked = stacking.stack_tables(thirds)
    _both(
        "stack 4 runs (1M rows total)",
        timeit(lambda: stacking.stack_tables(thirds), repeat=1),
        _timed_once(
            lambda: pd.concat(
                [part.assign(run=name, lr=config["lr"]) for name, (part, config) in thirds.items()], ignore_index=True
            )
        ),
    )
    _both(
        "error rate per param value (stacked 1M rows)",
        timeit(lambda: stacking.error_rates_by(stacked, "config.lr")),
        _timed_once(lambda: stacked.groupby("config.lr")["Is Error"].apply(lambda s: (s.mean(), len(s)))),
    )


if __name__ == "__main__":
    main()
