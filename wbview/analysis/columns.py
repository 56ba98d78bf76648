"""Column kinds and cached integer codes: the vectorised base of histograms, slices
and filters (one factorisation per column, reused by every interaction)."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from wbview.analysis.prepare import PreparedTable

ColumnKind = Literal["numeric", "categorical", "text"]
TEXT_MEAN_LENGTH_CHARS = 40  # longer strings are prose: histogram their length, not their values
_KIND_SAMPLE_ROWS = 20_000


def column_kind(table: PreparedTable, column: str) -> ColumnKind:
    """numeric, categorical (incl. bool and short strings) or text (long strings)."""
    return table.memo.get(("kind", column), lambda: _kind_of(table.frame[column], is_text_role=column == table.schema.text))


def _kind_of(series: pd.Series, is_text_role: bool) -> ColumnKind:
    if pd.api.types.is_bool_dtype(series) or isinstance(series.dtype, pd.CategoricalDtype):
        return "categorical"
    if pd.api.types.is_numeric_dtype(series):
        return "numeric"
    if is_text_role:
        return "text"
    sample = series.iloc[:_KIND_SAMPLE_ROWS].dropna()
    if sample.empty:
        return "categorical"
    try:
        lengths = sample.astype("string").str.len()
    except (TypeError, ValueError):
        return "categorical"
    return "text" if float(lengths.mean()) > TEXT_MEAN_LENGTH_CHARS else "categorical"


def value_codes(table: PreparedTable, column: str) -> tuple[np.ndarray, list]:
    """Integer code per row (-1 = missing) and the value of each code, cached.

    Categorical columns reuse their codes; others are factorised once (1M rows of
    short strings: ~0.1 s), so later group-bys are bincounts.
    """
    return table.memo.get(("codes", column), lambda: _value_codes(table.frame[column]))


def _value_codes(series: pd.Series) -> tuple[np.ndarray, list]:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.codes.to_numpy().astype(np.int64), list(series.cat.categories)
    if pd.api.types.is_bool_dtype(series) and not series.isna().any():
        return series.to_numpy(dtype=bool).astype(np.int64), [False, True]
    try:
        codes, uniques = pd.factorize(series, sort=True, use_na_sentinel=True)
    except TypeError:  # unhashable or unorderable cells (dicts, lists, mixed types): compare as text
        codes, uniques = pd.factorize(series.map(str, na_action="ignore"), sort=True, use_na_sentinel=True)
    return codes.astype(np.int64), list(uniques)


def text_lengths(table: PreparedTable, column: str) -> np.ndarray:
    """Character length per row (NaN where missing), cached."""
    return table.memo.get(
        ("length", column),
        lambda: table.frame[column].astype("string").str.len().to_numpy(dtype=float, na_value=np.nan),
    )


def numeric_values(table: PreparedTable, column: str) -> np.ndarray:
    """Float values of a numeric (or bool) column, NaN where missing."""
    return pd.to_numeric(table.frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def top_codes(codes: np.ndarray, n_values: int, top_k: int) -> tuple[np.ndarray, np.ndarray]:
    """Remap codes so the ``top_k`` most frequent keep 0..k-1 and the rest become k
    ("other"); -1 stays missing. Returns (new codes, original code of each kept)."""
    counts = np.bincount(codes[codes >= 0], minlength=n_values)
    order = np.argsort(-counts, kind="stable")
    kept = order[: min(top_k, n_values)]
    kept = kept[counts[kept] > 0]
    remap = np.full(n_values + 1, len(kept), dtype=np.int64)
    remap[kept] = np.arange(len(kept))
    remap[-1] = -1  # index -1 maps missing to missing
    return remap[codes], kept
