"""Derived text features (length, URLs and their domains, digits, capitals) and
word n-grams, vectorised over the Arrow string buffers: no per-row Python."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from wbview.analysis.prepare import PreparedTable

URL_PATTERN = r"(?i)(?:https?://|www\.)"
_DOMAIN_PATTERN = r"(?i)(?:https?://(?:www\.)?|www\.)(?P<domain>[^/\s:?#<>\"']+)"
_TOKEN_SPLIT = r"[^\p{L}\p{N}]+"


def _arrow(series: pd.Series) -> pa.ChunkedArray:
    data = pa.array(series.astype("string[pyarrow]"))
    return data if isinstance(data, pa.ChunkedArray) else pa.chunked_array([data])


def text_array(table: PreparedTable, column: str) -> pa.ChunkedArray:
    """The column as an Arrow string array (cached)."""
    key = ("arrow", column)
    if key not in table.cache:
        table.cache[key] = _arrow(table.frame[column])
    return table.cache[key]


def _byte_class_counts(array: pa.ChunkedArray, low: int, high: int) -> np.ndarray:
    """Per row, how many bytes lie in [low, high] (ASCII classes: digits, capitals)."""
    parts = []
    for chunk in array.chunks:
        chunk = chunk.cast(pa.large_string()) if chunk.type != pa.large_string() else chunk
        _, offsets_buf, data_buf = chunk.buffers()
        offsets = np.frombuffer(offsets_buf, dtype=np.int64)[chunk.offset: chunk.offset + len(chunk) + 1]
        data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
        hits = ((data >= low) & (data <= high)).astype(np.uint8)
        padded = np.append(hits, np.uint8(0))  # reduceat needs every start < len
        sums = np.add.reduceat(padded, offsets[:-1], dtype=np.int64)
        sums[offsets[1:] == offsets[:-1]] = 0  # reduceat returns the element itself for empty slices
        parts.append(sums.astype(float))
    counts = np.concatenate(parts) if parts else np.zeros(0)
    return np.where(array.is_null().to_numpy(zero_copy_only=False), np.nan, counts)


def text_features(table: PreparedTable, column: str) -> pd.DataFrame:
    """One row per table row: length (chars), has_url, url_domain (first URL's host,
    lower-cased, "www." dropped), digits and digit_share, capitals_share (ASCII
    capitals per character). Cached per table and column."""
    key = ("text_features", column)
    if key in table.cache:
        return table.cache[key]
    array = text_array(table, column)
    length = pc.utf8_length(array).to_numpy().astype(float)
    has_url = pc.match_substring_regex(array, URL_PATTERN).to_numpy(zero_copy_only=False)
    domain = np.full(len(length), None, dtype=object)
    url_rows = np.flatnonzero(np.asarray(has_url == True))  # noqa: E712 - nulls are not URLs
    if url_rows.size:
        found = pc.struct_field(pc.extract_regex(array.take(pa.array(url_rows)), _DOMAIN_PATTERN), "domain")
        hosts = pc.utf8_lower(found)
        hosts = pc.replace_substring_regex(hosts, r"[.,;)\]]+$", "")
        domain[url_rows] = hosts.to_numpy(zero_copy_only=False)
    digits = _byte_class_counts(array, ord("0"), ord("9"))
    capitals = _byte_class_counts(array, ord("A"), ord("Z"))
    with np.errstate(divide="ignore", invalid="ignore"):
        features = pd.DataFrame({
            "length": length,
            "has_url": np.asarray(has_url == True, dtype=bool),  # noqa: E712
            "url_domain": pd.Categorical(domain),
            "digits": digits,
            "digit_share": np.where(length > 0, digits / length, 0.0),
            "capitals_share": np.where(length > 0, capitals / length, 0.0),
        })
    table.cache[key] = features
    return features


def ngram_rows(texts: pa.ChunkedArray | pa.Array, max_n: int = 2) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Distinct word n-grams (1..max_n, lower-cased) per text.

    Returns ``(row, gram)`` integer arrays with one pair per (text, distinct n-gram)
    and the n-gram strings indexed by ``gram``.
    """
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    words = pc.split_pattern_regex(pc.utf8_lower(texts.fill_null("")), _TOKEN_SPLIT)
    flat = pc.list_flatten(words)
    parent = pc.list_parent_indices(words).to_numpy()
    keep = pc.greater(pc.utf8_length(flat), 0).to_numpy(zero_copy_only=False)
    tokens, vocab = pd.factorize(pd.Series(flat.to_numpy(zero_copy_only=False)[keep], dtype=object))
    parent = parent[keep]
    vocab = [str(v) for v in vocab]
    if max_n not in (1, 2, 3):
        raise ValueError("max_n must be 1, 2 or 3.")
    rows_parts, key_parts = [parent], [tokens.astype(np.int64)]
    size = len(vocab)
    keys_n = tokens.astype(np.int64)
    for n in range(2, max_n + 1):
        # A gram of length n continues one of length n-1 within the same text.
        same = parent[n - 1:] == parent[: len(parent) - n + 1]
        keys_n = keys_n[: len(keys_n) - 1] * max(size, 1) + tokens[n - 1:].astype(np.int64)
        offset = sum(max(size, 1) ** k for k in range(1, n))
        rows_parts.append(parent[: len(parent) - n + 1][same])
        key_parts.append(keys_n[same] + offset)
    rows = np.concatenate(rows_parts)
    keys = np.concatenate(key_parts)
    grams, gram_keys = pd.factorize(keys, sort=False)
    n_grams = max(len(gram_keys), 1)
    pairs = np.unique(rows * n_grams + grams)  # one pair per (text, distinct gram)
    names = [_decode_gram(int(k), vocab, max(size, 1)) for k in gram_keys]
    return pairs // n_grams, pairs % n_grams, names


def _decode_gram(key: int, vocab: list[str], size: int) -> str:
    n, offset = 1, 0
    while key >= offset + size ** n:
        offset += size ** n
        n += 1
    key -= offset
    words = []
    for _ in range(n):
        words.append(vocab[key % size])
        key //= size
    return " ".join(reversed(words))
