"""Where errors concentrate: every column and derived text feature cut into slices,
ranked by lift in error rate (or false-negative rate) with Wilson intervals, so a
slice of five rows cannot top the list; n-grams over-represented among false
negatives; and a greedy error tree of high-error cohorts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from wbview.analysis.columns import column_kind, numeric_values, top_codes, value_codes
from wbview.analysis.groups import MISSING, OTHER, _bin_labels
from wbview.analysis.prepare import PreparedTable
from wbview.analysis.stats import safe_rate, wilson_interval
from wbview.analysis.textfeatures import ngram_rows, text_array, text_features
from wbview.errors import UsageError

Target = Literal["error", "fn"]
RankBy = Literal["lift_low", "excess_low"]
_SHARE_EDGES = np.array([0.0, 1e-12, 0.02, 0.05, 0.10, 0.20, 0.50, 1.0 + 1e-9])
_DISTINCT_SAMPLE_ROWS = 10_000
_SHARE_LABELS = ["0%", "0–2%", "2–5%", "5–10%", "10–20%", "20–50%", "50–100%"]


@dataclass(frozen=True)
class Feature:
    """A row-wise cut: ``codes`` (0..len(labels)-1 per row) and whether the labels are
    ordered ranges (numeric) or unordered values."""

    name: str
    codes: np.ndarray
    labels: list[str]
    ordered: bool
    cuts: tuple[tuple[str, str], ...] = ()  # ordered: (left, right) wording of "code <= c"


def _quantile_feature(name: str, values: np.ndarray, n_bins: int) -> Feature:
    finite = values[np.isfinite(values)]
    # More distinct values than bins in a sample means more in all: skip sorting 1M values.
    distinct = np.unique(finite[:_DISTINCT_SAMPLE_ROWS])
    if distinct.size <= n_bins and finite.size > _DISTINCT_SAMPLE_ROWS:
        distinct = np.unique(finite)
    if distinct.size <= n_bins:
        codes = np.searchsorted(distinct, values)
        labels = [f"{v:.4g}" for v in distinct]
        cuts = tuple((f"{name} ≤ {v:.4g}", f"{name} > {v:.4g}") for v in distinct[:-1])
    else:
        edges = np.unique(np.quantile(finite, np.linspace(0, 1, n_bins + 1)))
        codes = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(edges) - 2)
        labels = _bin_labels(edges)
        cuts = tuple((f"{name} < {e:.4g}", f"{name} ≥ {e:.4g}") for e in edges[1:-1])
    return _add_missing(Feature(name, np.where(np.isfinite(values), codes, -1), labels, True, cuts))


def _add_missing(feature: Feature) -> Feature:
    codes = np.asarray(feature.codes, dtype=np.int64)
    if (codes < 0).any():
        return Feature(
            feature.name,
            np.where(codes < 0, len(feature.labels), codes),
            feature.labels + [MISSING],
            feature.ordered,
            feature.cuts,
        )
    return Feature(feature.name, codes, feature.labels, feature.ordered, feature.cuts)


def _categorical_feature(name: str, codes: np.ndarray, values: list, top_k: int) -> Feature:
    codes, kept = top_codes(codes, len(values), top_k)
    labels = [str(values[i]) for i in kept]
    if (codes == len(kept)).any():
        labels.append(OTHER)
    return _add_missing(Feature(name, codes, labels, ordered=False))


def _share_feature(name: str, share: np.ndarray) -> Feature:
    codes = np.clip(np.searchsorted(_SHARE_EDGES, share, side="right") - 1, 0, len(_SHARE_LABELS) - 1)
    uppers = [f"{e:.0%}" for e in _SHARE_EDGES[2:-1]]
    cuts = ((f"{name} = 0%", f"{name} > 0%"),) + tuple((f"{name} < {u}", f"{name} ≥ {u}") for u in uppers)
    return Feature(name, codes.astype(np.int64), list(_SHARE_LABELS), True, cuts)


def _skipped_columns(table: PreparedTable, include_outputs: bool) -> set[str]:
    # The target itself (is-error, outcome), ids and raw text would trivially or uselessly "explain" errors.
    roles = table.schema
    skipped = {roles.is_error, roles.outcome, roles.id, roles.text}
    if not include_outputs:
        skipped |= {roles.predicted_label, roles.confidence, *roles.probs.values()}
    return {c for c in skipped if c is not None}


def slice_features(
    table: PreparedTable,
    columns: Sequence[str] | None = None,
    include_text: bool = True,
    include_outputs: bool = True,
    n_bins: int = 5,
    top_k: int = 20,
) -> list[Feature]:
    """Every column (numeric -> quantile ranges, others -> top values) plus, for each
    free-text column (the model's text column first, then every other column of long
    strings), length, has URL, URL domain, has digits, digit share and capitals share,
    each named "<column>: <feature>".

    Never sliced: is-error, outcome (the target), id and raw text. ``include_outputs=False``
    also leaves out the model's outputs (predicted label, probabilities, confidence),
    so slices describe the inputs only."""
    key = ("slice_features", tuple(columns) if columns is not None else None, include_text, include_outputs, n_bins, top_k)
    return table.memo.get(key, lambda: _slice_features(table, columns, include_text, include_outputs, n_bins, top_k))


def _slice_features(
    table: PreparedTable, columns: Sequence[str] | None, include_text: bool, include_outputs: bool, n_bins: int, top_k: int
) -> list[Feature]:
    chosen = [
        c for c in (columns if columns is not None else table.frame.columns) if c not in _skipped_columns(table, include_outputs)
    ]
    features = []
    free_text = [table.schema.text] if table.schema.text is not None else []
    for column in chosen:
        kind = column_kind(table, column)
        if kind == "numeric":
            features.append(_quantile_feature(str(column), numeric_values(table, column), n_bins))
        elif kind == "categorical":
            codes, values = value_codes(table, column)
            features.append(_categorical_feature(str(column), codes, values, top_k))
        elif kind == "text":
            free_text.append(column)
    if include_text:
        for column in free_text:
            features.extend(_text_slice_features(table, str(column), n_bins, top_k))
    return features


def _text_slice_features(table: PreparedTable, text: str, n_bins: int, top_k: int) -> list[Feature]:
    derived = text_features(table, text)
    domains = derived["url_domain"]
    domain_codes = domains.cat.codes.to_numpy().astype(np.int64)
    domain = _categorical_feature(f"{text}: URL domain", domain_codes, list(domains.cat.categories), top_k)
    domain = Feature(domain.name, domain.codes, [("(no URL)" if lab == MISSING else lab) for lab in domain.labels], ordered=False)
    return [
        _quantile_feature(f"{text}: length", derived["length"].to_numpy(), n_bins),
        Feature(f"{text}: has URL", derived["has_url"].to_numpy().astype(np.int64), ["False", "True"], ordered=False),
        domain,
        Feature(f"{text}: has digits", (derived["digits"].to_numpy() > 0).astype(np.int64), ["False", "True"], ordered=False),
        _share_feature(f"{text}: digit share", derived["digit_share"].to_numpy()),
        _share_feature(f"{text}: capitals share", derived["capitals_share"].to_numpy()),
    ]


def _target(table: PreparedTable, target: Target) -> tuple[np.ndarray, np.ndarray]:
    """(population mask, hit per row): all rows/errors, or actual positives/misses."""
    if target == "error":
        return table.labelled(), table.is_error()
    if target == "fn":
        positives = table.truth_is_positive("False-negative slices")
        return positives, positives & ~table.pred_is_positive("False-negative slices")
    raise UsageError(f"target must be 'error' or 'fn', got {target!r}.")


def _slice_stats(feature: Feature, population: np.ndarray | None, hits: np.ndarray, confidence: float) -> pd.DataFrame:
    """Rows and hits per slice, from one integer count of (code, hit) pairs;
    ``population=None`` means every row, ``hits`` is 0/1 per row (int64)."""
    k = len(feature.labels)
    codes = feature.codes if population is None else feature.codes[population]
    pairs = np.bincount(codes * 2 + (hits if population is None else hits[population]), minlength=2 * k)
    hit = pairs[1::2]
    rows = pairs[0::2] + hit
    low, high = wilson_interval(hit, rows, confidence)
    return pd.DataFrame(
        {
            "feature": feature.name,
            "slice": feature.labels,
            "rows": rows,
            "hits": hit,
            "rate": safe_rate(hit, rows),
            "rate_low": low,
            "rate_high": high,
        }
    )


def rank_slices(
    table: PreparedTable,
    target: Target = "error",
    features: Sequence[Feature] | None = None,
    min_rows: int = 30,
    confidence: float = 0.95,
    rows: np.ndarray | None = None,
    rank_by: RankBy = "lift_low",
    include_outputs: bool = True,
) -> pd.DataFrame:
    """Every slice of every feature, ranked by ``lift_low`` (the lower Wilson bound of
    the slice's rate over the overall rate), so small slices need strong evidence.

    ``target="error"``: rate = error rate over all rows; ``"fn"``: rate = FN rate
    (misses / actual positives). Columns: feature, slice, rows (population rows in
    the slice), hits, rate, rate_low, rate_high, lift, lift_low, share_of_data
    (population share), share_of_hits, excess_low (rows x (rate_low - overall rate):
    at least how many more hits than the overall rate predicts). Slices under
    ``min_rows`` are dropped. ``rank_by="excess_low"`` ranks broad slices first.
    ``include_outputs=False`` (when ``features`` is None) slices the inputs only: the model's
    outputs (confidence, probabilities, predicted label) top the list by construction.
    """
    population, hits = _target(table, target)
    if rows is not None:
        population = population & np.asarray(rows, dtype=bool)
    if features is None:
        features = slice_features(table, include_outputs=include_outputs)
        if target == "fn":  # among actual positives, the labels define the target: not slices
            labels = {table.schema.true_label, table.schema.predicted_label}
            features = [f for f in features if f.name not in labels]
    total_rows, total_hits = int(population.sum()), int(hits[population].sum())
    base = total_hits / total_rows if total_rows else float("nan")
    every_row = bool(population.all())  # then no copy of each feature's codes
    hit_codes = hits.astype(np.int64)
    frames = [_slice_stats(f, None if every_row else population, hit_codes, confidence) for f in features]
    if not frames:
        raise UsageError("No columns to slice: the table has only role columns.")
    out = pd.concat(frames, ignore_index=True)
    out = out[out["rows"] >= min_rows]
    out = _without_repeats(out, features, population)
    out = out.assign(
        lift=out["rate"] / base if base else np.nan,
        lift_low=out["rate_low"] / base if base else np.nan,
        share_of_data=out["rows"] / max(total_rows, 1),
        share_of_hits=out["hits"] / max(total_hits, 1),
        excess_low=out["rows"] * (out["rate_low"] - base),
    )
    out.insert(0, "target", target)
    return _ranked(out, rank_by)


def _without_repeats(slices_: pd.DataFrame, features: Sequence[Feature], population: np.ndarray) -> pd.DataFrame:
    """Drop a slice that holds exactly the rows of an earlier one under another name ("has
    digits=False" and "digit share=0%"): only slices with equal row and hit counts are
    compared, row by row, within the ranked population."""
    by_name = {f.name: f for f in features}
    drop: list[int] = []
    for _, group in slices_.groupby(["rows", "hits"], sort=False):
        if len(group) < 2:
            continue
        kept: list[np.ndarray] = []
        for index, feature_name, label in zip(group.index, group["feature"], group["slice"], strict=True):
            feature = by_name[feature_name]
            rows = np.flatnonzero((feature.codes == feature.labels.index(label)) & population)
            if any(np.array_equal(rows, other) for other in kept):
                drop.append(index)
            else:
                kept.append(rows)
    return slices_.drop(index=drop)


def slice_mask(table: PreparedTable, feature_name: str, slice_label: str, target: Target | None = None) -> np.ndarray:
    """Rows of one ranked slice (to show them). With ``target``, only the rows the ranking
    counted (``rank_slices``' population: labelled rows, or the actual positives for "fn"),
    so the rows shown are the slice's "rows" in the ranked table."""
    # The inputs-only features are usually cached already (the default ranking): look
    # there first, so showing a slice does not cut every model output into quantiles too.
    feature = next(
        (f for outputs in (False, True) for f in slice_features(table, include_outputs=outputs) if f.name == feature_name), None
    )
    if feature is None or slice_label not in feature.labels:
        raise UsageError(f"No slice {feature_name!r} = {slice_label!r} in this table.")
    mask = feature.codes == feature.labels.index(slice_label)
    return mask if target is None else mask & _target(table, target)[0]


def rank_ngrams(
    table: PreparedTable,
    target: Target = "fn",
    max_n: int = 2,
    min_rows: int = 50,
    max_sample_rows: int = 100_000,
    confidence: float = 0.95,
    seed: int = 0,
    rank_by: RankBy = "lift_low",
) -> pd.DataFrame:
    """Word n-grams whose presence raises the FN (or error) rate, ranked by ``lift_low``.

    ``rank_by="excess_low"`` favours broad patterns: rows x (rate_low - overall rate),
    i.e. at least how many more hits than the overall rate would give (useful as
    n-grams nest: "bit ly" vs "ly x430"). Counted over the target population (actual
    positives for "fn"); above
    ``max_sample_rows`` a uniform random sample is used (``sampled_rows`` says how
    many; ``population_rows`` how many rows the target population has), and rows/intervals
    are those of the sample.
    """
    text = table.require_column("text", why="N-gram slices")
    population, hits = _target(table, target)
    index = np.flatnonzero(population)
    if index.size > max_sample_rows:
        index = np.sort(np.random.default_rng(seed).choice(index, max_sample_rows, replace=False))
    texts = text_array(table, text).take(_arrow_indices(index))
    row, gram, names = ngram_rows(texts, max_n=max_n)
    sample_hits = hits[index]
    rows = np.bincount(gram, minlength=len(names))
    gram_hits = np.bincount(gram, weights=sample_hits[row], minlength=len(names)).astype(np.int64)
    base = sample_hits.mean() if index.size else float("nan")
    keep = rows >= min_rows
    low, high = wilson_interval(gram_hits[keep], rows[keep], confidence)
    rate = safe_rate(gram_hits[keep], rows[keep])
    out = pd.DataFrame(
        {
            "target": target,
            "ngram": names.take(np.flatnonzero(keep)),
            "rows": rows[keep],
            "hits": gram_hits[keep],
            "rate": rate,
            "rate_low": low,
            "rate_high": high,
        }
    )
    out["lift"] = out["rate"] / base if base else np.nan
    out["lift_low"] = out["rate_low"] / base if base else np.nan
    out["excess_low"] = out["rows"] * (out["rate_low"] - base)
    out["share_of_hits"] = out["hits"] / max(int(sample_hits.sum()), 1)
    out["sampled_rows"] = int(index.size)
    out["population_rows"] = int(population.sum())
    return _ranked(out, rank_by)


def _ranked(frame: pd.DataFrame, rank_by: RankBy) -> pd.DataFrame:
    if rank_by not in ("lift_low", "excess_low"):
        raise UsageError(f"rank_by must be 'lift_low' or 'excess_low', got {rank_by!r}.")
    return frame.sort_values([rank_by, "rows"], ascending=[False, False], kind="stable").reset_index(drop=True)


def _arrow_indices(index: np.ndarray):
    import pyarrow as pa

    return pa.array(index, type=pa.int64())


# --- error tree --------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorTree:
    """Greedy tree of cohorts. ``nodes``: node, parent, depth, condition (the split
    that leads here), path (all conditions), rows, hits, rate (+ Wilson bounds),
    coverage (share of all hits), share_of_data, is_leaf. ``mask(node)`` gives its rows."""

    nodes: pd.DataFrame
    n_rows: int
    _members: dict[int, np.ndarray] = field(repr=False, default_factory=dict)

    def mask(self, node: int) -> np.ndarray:
        out = np.zeros(self.n_rows, dtype=bool)
        out[self._members[node]] = True
        return out

    def leaves(self) -> pd.DataFrame:
        """Leaf cohorts, highest rate first."""
        return self.nodes[self.nodes["is_leaf"]].sort_values("rate", ascending=False, kind="stable")


def _gini_gain(rows: np.ndarray, hits: np.ndarray, left_rows: np.ndarray, left_hits: np.ndarray) -> np.ndarray:
    """Decrease in rows-weighted Gini impurity for each candidate split."""

    def impurity(n, k):
        p = safe_rate(k, n)
        return np.nan_to_num(n * 2.0 * p * (1.0 - p))

    right_rows, right_hits = rows - left_rows, hits - left_hits
    return impurity(rows, hits) - impurity(left_rows, left_hits) - impurity(right_rows, right_hits)


def _best_split(feature: Feature, member: np.ndarray | None, member_hits: np.ndarray, min_rows: int):
    """(gain, left code set, (left, right) wording) of the feature's best split, or None.
    ``member=None`` means every row (no gather needed)."""
    k = len(feature.labels)
    codes = feature.codes if member is None else feature.codes[member]
    n = np.bincount(codes, minlength=k)
    h = np.bincount(codes, weights=member_hits, minlength=k)
    total_n, total_h = float(n.sum()), float(h.sum())
    if feature.ordered:
        missing = feature.labels[-1] == MISSING
        usable = k - 1 if missing else k
        left_n, left_h = np.cumsum(n[:usable])[:-1], np.cumsum(h[:usable])[:-1]
        cuts = np.arange(usable - 1)
        describe = [feature.cuts[c] for c in cuts]
        left_sets = [np.arange(c + 1) for c in cuts]
    else:
        left_n, left_h = n.astype(float), h
        describe = [(f"{feature.name} = {label}", f"{feature.name} ≠ {label}") for label in feature.labels]
        left_sets = [np.array([c]) for c in range(k)]
    if len(left_sets) == 0:
        return None
    gain = _gini_gain(
        np.full(len(left_sets), total_n),
        np.full(len(left_sets), total_h),
        np.asarray(left_n, dtype=float),
        np.asarray(left_h, dtype=float),
    )
    valid = (np.asarray(left_n) >= min_rows) & (total_n - np.asarray(left_n) >= min_rows)
    if not valid.any():
        return None
    gain = np.where(valid, gain, -np.inf)
    best = int(np.argmax(gain))
    return float(gain[best]), left_sets[best], describe[best]


def error_tree(
    table: PreparedTable,
    target: Target = "error",
    features: Sequence[Feature] | None = None,
    max_depth: int = 3,
    min_rows: int | None = None,
    confidence: float = 0.95,
) -> ErrorTree:
    """Greedy binary splits (best Gini decrease over every feature's candidate cuts)
    down to ``max_depth``; leaves hold the cohorts. ``min_rows`` per child defaults
    to 1% of the population (at least 20). Default features: the inputs only (no
    predicted label, probabilities or confidence), so cohorts say *where* the model
    fails rather than restating that it was wrong."""
    population, hits = _target(table, target)
    if features is None:
        features = slice_features(table, include_outputs=False)
        if target == "fn":
            features = [f for f in features if f.name != table.schema.true_label]
    root = np.flatnonzero(population)
    min_rows = max(20, int(0.01 * root.size)) if min_rows is None else min_rows
    total_hits = max(int(hits[root].sum()), 1)
    records: list[dict[str, Any]] = []
    members: dict[int, np.ndarray] = {}

    def add(member: np.ndarray, parent: int | None, depth: int, condition: str, path: str) -> int:
        node = len(records)
        k = int(hits[member].sum())
        low, high = wilson_interval(k, member.size, confidence)
        records.append(
            {
                "node": node,
                "parent": parent,
                "depth": depth,
                "condition": condition,
                "path": path,
                "rows": int(member.size),
                "hits": k,
                "rate": float(safe_rate(k, member.size)),
                "rate_low": float(low),
                "rate_high": float(high),
                "coverage": k / total_hits,
                "share_of_data": member.size / max(root.size, 1),
                "is_leaf": True,
            }
        )
        members[node] = member
        return node

    def grow(node: int, depth: int) -> None:
        member = members[node]
        if depth >= max_depth or member.size < 2 * min_rows:
            return
        everyone = None if member.size == table.n_rows else member  # root of the "error" target: skip gathers
        member_hits = hits[member].astype(np.float64)
        candidates = [(s, f) for f in features if (s := _best_split(f, everyone, member_hits, min_rows)) is not None]
        if not candidates:
            return
        (gain, left_codes, (left_text, right_text)), feature = max(candidates, key=lambda c: c[0][0])
        if gain <= 1e-12:
            return
        in_left = np.isin(feature.codes[member], left_codes)
        records[node]["is_leaf"] = False
        base = records[node]["path"]
        for part, text in ((member[in_left], left_text), (member[~in_left], right_text)):
            child = add(part, node, depth + 1, text, f"{base} and {text}" if base else text)
            grow(child, depth + 1)

    grow(add(root, None, 0, "all rows", ""), 0)
    return ErrorTree(nodes=pd.DataFrame(records), n_rows=table.n_rows, _members=members)
