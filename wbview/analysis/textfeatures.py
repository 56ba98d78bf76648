"""Derived text features (length, URLs and their domains, digits, capitals) and
word n-grams, vectorised over the Arrow string buffers: no per-row Python."""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from wbview.analysis.prepare import PreparedTable

# What counts as a URL and its host, as the regexes the byte scanner below matches
# exactly (tests): has_url = URL_PATTERN matches; url_domain = DOMAIN_PATTERN's group.
URL_PATTERN = r"(?i)(?:https?://|www\.)"
DOMAIN_PATTERN = r"(?i)(?:https?://(?:www\.)?|www\.)(?P<domain>[^/\s:?#<>\"']+)"
# Byte map for tokenising: ASCII letters lower-cased, digits kept, other ASCII -> space;
# bytes >= 0x80 (non-ASCII letters in UTF-8) pass through, so the text stays valid UTF-8.
_WORD_BYTES = np.arange(256, dtype=np.uint8)
_WORD_BYTES[:128] = ord(" ")
_WORD_BYTES[ord("0") : ord("9") + 1] = np.arange(ord("0"), ord("9") + 1)
_WORD_BYTES[ord("a") : ord("z") + 1] = np.arange(ord("a"), ord("z") + 1)
_WORD_BYTES[ord("A") : ord("Z") + 1] = np.arange(ord("a"), ord("z") + 1)


def _arrow(series: pd.Series) -> pa.ChunkedArray:
    data = pa.array(series.astype("string[pyarrow]"))
    return data if isinstance(data, pa.ChunkedArray) else pa.chunked_array([data])


def text_array(table: PreparedTable, column: str) -> pa.ChunkedArray:
    """The column as an Arrow string array (cached)."""
    return table.memo.get(("arrow", column), lambda: _arrow(table.frame[column]))


_BLOCK_ROWS = 65_536  # bounded temporary memory: the byte weights of one block of rows at a time


# Digits and capitals summed per row in one pass, both packed in one integer: a digit
# weighs 1, a capital one "unit". A row shorter than the unit has fewer digits and fewer
# capitals than the unit, so its packed sum fits and unpacks exactly: rows under 256
# bytes use 8 bits each in a uint16, rows under 65,536 bytes 16 bits each in a uint32,
# longer rows 32 bits each in an int64; narrower types move fewer bytes. Chosen per
# block of rows, by its longest row.
_PACKINGS = ((1 << 8, np.uint16), (1 << 16, np.uint32), (1 << 32, np.int64))


def _weights(block: np.ndarray, unit: int, dtype) -> np.ndarray:
    """Per byte: 1 for an ASCII digit, ``unit`` for an ASCII capital (two SIMD
    comparisons: about 3x faster than a table lookup)."""
    weights = ((block - np.uint8(ord("A"))) < 26).astype(dtype)  # uint8 wraps: one test per range
    weights *= dtype(unit)
    weights += (block - np.uint8(ord("0"))) < 10
    return weights


def _block_digit_capital_counts(bounds: np.ndarray, block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(digits, capitals) per row of one block of rows: the byte weights summed per row
    with ``np.add.reduceat`` (vectorised per row, ~1.6x faster than a prefix sum)."""
    lengths = np.diff(bounds)
    if not block.size:
        return np.zeros(len(lengths), dtype=np.int64), np.zeros(len(lengths), dtype=np.int64)
    unit, dtype = next(((u, t) for u, t in _PACKINGS if lengths.max() < u), _PACKINGS[-1])
    # reduceat sums a[i:j] between consecutive indices, so only the non-empty rows'
    # starts are given: the next one is where the row ends (empty rows hold no bytes).
    filled = lengths > 0
    packed: np.ndarray = np.zeros(len(lengths), dtype=dtype)
    packed[filled] = np.add.reduceat(_weights(block, unit, dtype), bounds[:-1][filled] - bounds[0])
    return (packed % dtype(unit)).astype(np.int64), (packed // dtype(unit)).astype(np.int64)


def _scan_block(bounds: np.ndarray, data: np.ndarray, valid: np.ndarray | None, has_url: np.ndarray) -> tuple[np.ndarray, ...]:
    """One block of rows, read while it is in cache: digits and capitals per row; the
    URL rows marked in ``has_url`` (this block's slice); the block's (rows, hosts)."""
    lo = int(bounds[0])
    block = data[lo : int(bounds[-1])]
    digits, capitals = _block_digit_capital_counts(bounds, block)
    dots, colons = np.flatnonzero(block == ord(".")) + lo, np.flatnonzero(block == ord(":")) + lo
    rows, hosts = _block_urls(bounds, data, valid, dots, colons, has_url)
    return digits, capitals, rows, hosts


def _chunk_buffers(chunk: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The chunk's row offsets (int64, one more than rows) and its UTF-8 bytes."""
    chunk = chunk.cast(pa.large_string()) if chunk.type != pa.large_string() else chunk
    _, offsets_buf, data_buf = chunk.buffers()
    if offsets_buf is None:  # no rows
        return np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.uint8)
    offsets = np.frombuffer(offsets_buf, dtype=np.int64)[chunk.offset : chunk.offset + len(chunk) + 1]
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    return offsets, data


def _text_scan(array: pa.ChunkedArray) -> dict[str, np.ndarray | pd.Categorical]:
    """Per row: length (chars), has_url, url_domain, digits and capitals (NaN where the
    text is missing). The bytes are read in blocks of rows, each block once while it is
    in cache, the blocks spread over the cores (numpy releases the GIL)."""
    n_rows = len(array)
    digits, capitals = np.zeros(n_rows), np.zeros(n_rows)
    has_url = np.zeros(n_rows, dtype=bool)
    host_rows, host_parts = [np.zeros(0, dtype=np.int64)], [pa.array([], pa.large_string())]
    first_row = 0
    workers = max(1, min(os.cpu_count() or 1, 4, -(-n_rows // _BLOCK_ROWS)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        lengths = pool.submit(lambda: pc.utf8_length(array).to_numpy().astype(float) if n_rows else np.zeros(0))
        for chunk in array.chunks:
            offsets, data = _chunk_buffers(chunk)
            valid = chunk.is_valid().to_numpy(zero_copy_only=False) if chunk.null_count else None
            starts = range(0, len(chunk), _BLOCK_ROWS)
            scanned = pool.map(
                _scan_block,
                [offsets[i : i + _BLOCK_ROWS + 1] for i in starts],
                [data] * len(starts),
                [None if valid is None else valid[i : i + _BLOCK_ROWS] for i in starts],
                [has_url[first_row + i : first_row + i + _BLOCK_ROWS] for i in starts],
            )
            for i, (block_digits, block_capitals, rows, hosts) in zip(starts, scanned, strict=False):
                digits[first_row + i : first_row + i + len(block_digits)] = block_digits
                capitals[first_row + i : first_row + i + len(block_capitals)] = block_capitals
                host_rows.append(rows + first_row + i)
                host_parts.append(hosts)
            first_row += len(chunk)
        length = lengths.result()
    missing = array.is_null().to_numpy(zero_copy_only=False) if n_rows else np.zeros(0, dtype=bool)
    hosts = pc.utf8_lower(pa.concat_arrays(host_parts))
    return {
        "length": length,
        "has_url": has_url,
        "url_domain": _domain_categorical(hosts, np.concatenate(host_rows), n_rows),
        "digits": np.where(missing, np.nan, digits),
        "capitals": np.where(missing, np.nan, capitals),
    }


def _domain_categorical(hosts: pa.Array | pa.ChunkedArray, url_rows: np.ndarray, n_rows: int) -> pd.Categorical:
    """The hosts of the URL rows as a categorical over all rows (no URL or no host:
    missing), categories sorted: pd.Categorical(values) without 1M Python objects."""
    encoded = pc.dictionary_encode(hosts)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks() if encoded.num_chunks else pa.array([], pa.dictionary(pa.int32(), pa.string()))
    names = encoded.dictionary
    if len(names) == 0:
        return pd.Categorical(np.full(n_rows, None, dtype=object))
    order = pc.array_sort_indices(names).to_numpy()  # UTF-8 byte order = code point order, as Python sorts str
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    indices = encoded.indices.fill_null(-1).to_numpy().astype(np.int64)
    codes = np.full(n_rows, -1, dtype=np.int64)
    codes[url_rows] = np.where(indices >= 0, rank[np.maximum(indices, 0)], -1)
    return pd.Categorical.from_codes(codes, categories=names.take(pa.array(order)).to_pylist())


def text_features(table: PreparedTable, column: str) -> pd.DataFrame:
    """One row per table row: length (chars), has_url, url_domain (first URL's host,
    lower-cased, "www." dropped), digits and digit_share, capitals_share (ASCII
    capitals per character). Cached per table and column."""
    return table.memo.get(("text_features", column), lambda: _text_features(table, column))


def _text_features(table: PreparedTable, column: str) -> pd.DataFrame:
    features = _text_scan(text_array(table, column))
    length, digits, capitals = features.pop("length"), features.pop("digits"), features.pop("capitals")
    with np.errstate(divide="ignore", invalid="ignore"):
        features = pd.DataFrame(
            {
                "length": length,
                **features,
                "digits": digits,
                "digit_share": np.where(length > 0, digits / length, 0.0),
                "capitals_share": np.where(length > 0, capitals / length, 0.0),
            }
        )
    return features


_HOST_STOP = np.zeros(256, dtype=bool)  # [/\s:?#<>"'] ends a host (RE2's \s is [\t\n\f\r ])
_HOST_STOP[np.frombuffer(b"/\t\n\f\r :?#<>\"'", dtype=np.uint8)] = True
_TRAILING = np.zeros(256, dtype=bool)  # stripped from the end of a host
_TRAILING[np.frombuffer(b".,;)]", dtype=np.uint8)] = True
# What may precede "://" (ASCII case-insensitive; RE2's (?i) also folds U+017F "long s" to s).
_SCHEMES = (b"http", b"https", b"http\xc5\xbf")
_WINDOW = 32  # bytes looked at per pass when finding where a host ends


def _ascii_fold(data: np.ndarray, at: np.ndarray, text: bytes) -> np.ndarray:
    """The positions in ``at`` where the bytes equal ``text`` (ASCII letters in any case),
    checked from the last byte back, on fewer positions each time."""
    for i in reversed(range(len(text))):
        byte = text[i]
        got = data[at + i]
        at = at[((got | 0x20) == byte) if chr(byte).isalpha() and byte < 0x80 else (got == byte)]
    return at


def _block_urls(
    offsets: np.ndarray, data: np.ndarray, valid: np.ndarray | None, dots: np.ndarray, colons: np.ndarray, has_url: np.ndarray
) -> tuple[np.ndarray, pa.Array]:
    """Fill ``has_url`` for the rows between ``offsets`` (given where their '.' and ':'
    bytes are); return (rows, hosts) of the rows with a host.

    The same answers as Arrow's regex kernels with ``URL_PATTERN`` (has_url) and
    ``DOMAIN_PATTERN`` (the first match's host, trailing ``.,;)]`` stripped; the caller
    lower-cases it): only the few '.' and ':' bytes are checked for "www." or a scheme
    + "://", not every byte (the regex version is the reference in the tests)."""
    empty = (np.zeros(0, dtype=np.int64), pa.array([], pa.large_string()))
    lo, hi = int(offsets[0]), int(offsets[-1])
    if hi == lo:
        return empty

    def in_rows(start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Candidates [start, end) lying inside one valid row: (mask, row)."""
        row = np.searchsorted(offsets, start, side="right") - 1
        ok = (start >= lo) & (end <= offsets[np.minimum(row + 1, len(offsets) - 1)])
        if valid is not None:
            ok &= valid[np.clip(row, 0, len(valid) - 1)]
        return ok, row

    # Candidate matches: the "www." prefixes and the scheme + "://" prefixes.
    www_start = _ascii_fold(data, dots[dots >= lo + 3] - 3, b"www")
    colons = colons[colons + 3 <= hi]
    colons = colons[(data[colons + 1] == ord("/")) & (data[colons + 2] == ord("/"))]
    starts, ends, schemes = [www_start], [www_start + 4], [np.zeros(len(www_start), dtype=bool)]
    for scheme in _SCHEMES:
        at = _ascii_fold(data, colons[colons >= lo + len(scheme)] - len(scheme), scheme)
        starts.append(at)
        ends.append(at + len(scheme) + 3)
        schemes.append(np.ones(len(at), dtype=bool))
    start, end, is_scheme = np.concatenate(starts), np.concatenate(ends), np.concatenate(schemes)
    ok, row = in_rows(start, end)
    start, end, is_scheme, row = start[ok], end[ok], is_scheme[ok], row[ok]
    has_url[row] = True
    if not len(start):
        return empty

    # Where each candidate's host ends: the first stop byte or the end of its row.
    row_end = offsets[row + 1]
    host_len = _run_length(data, end, row_end)
    # After a scheme, "www." is taken when a host follows it; otherwise the host starts
    # right after "://" (and may itself be "www."): RE2's leftmost-first choice.
    www_after = is_scheme & (end + 4 <= row_end)
    maybe = np.flatnonzero(www_after)
    www_after[maybe] = False
    www_after[maybe[np.isin(end[maybe], _ascii_fold(data, end[maybe], b"www."))]] = True
    skip = www_after & (host_len > 4)
    host_start = np.where(skip, end + 4, end)
    host_len = np.where(skip, host_len - 4, host_len)
    matched = host_len > 0
    host_start, host_len, row, start = host_start[matched], host_len[matched], row[matched], start[matched]
    # The leftmost match of each row.
    order = np.lexsort((start, row))
    first = order[np.r_[True, row[order][1:] != row[order][:-1]]] if len(order) else order
    host_start, host_len, row = host_start[first], host_len[first], row[first]
    host_len = _strip_trailing(data, host_start, host_len)
    host_offsets = np.zeros(len(host_len) + 1, dtype=np.int64)
    np.cumsum(host_len, out=host_offsets[1:])
    picks = np.repeat(host_start - host_offsets[:-1], host_len) + np.arange(host_offsets[-1])
    hosts = pa.LargeStringArray.from_buffers(
        len(host_len), pa.py_buffer(host_offsets), pa.py_buffer(np.ascontiguousarray(data[picks]))
    )
    return row, hosts


def _run_length(data: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """Per candidate: how many bytes from ``start`` (before ``stop``) are not host stops.
    Reads 32-byte windows (one contiguous copy each) until every run has ended."""
    windows = np.lib.stride_tricks.sliding_window_view(data, _WINDOW) if len(data) >= _WINDOW else None
    length = np.zeros(len(start), dtype=np.int64)
    pending = np.arange(len(start))
    while pending.size:
        at = start[pending] + length[pending]
        inside = at <= len(data) - _WINDOW
        if windows is not None and inside.all():  # windows exist whenever a window fits
            block = windows[at]
        else:  # the last bytes of the buffer: byte by byte, clamped (past the row end anyway)
            block = data[np.minimum(at[:, None] + np.arange(_WINDOW), len(data) - 1)]
        stops = _HOST_STOP[block]
        first = stops.argmax(axis=1)  # 0 when there is none: checked below
        first[~stops[np.arange(len(first)), first]] = _WINDOW
        left = stop[pending] - at
        run = np.minimum(first, left)
        length[pending] += run
        pending = pending[(first == _WINDOW) & (left > _WINDOW)]
    return length


def _strip_trailing(data: np.ndarray, start: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Host lengths without the trailing ``.,;)]`` bytes."""
    length = length.copy()
    pending = np.flatnonzero(length > 0)
    while pending.size:
        strip = _TRAILING[data[start[pending] + length[pending] - 1]]
        pending = pending[strip]
        length[pending] -= 1
        pending = pending[length[pending] > 0]
    return length


def _word_text(texts: pa.ChunkedArray | pa.Array) -> pa.Array:
    """The texts with ASCII punctuation turned into spaces and ASCII letters lower-cased,
    by one table lookup over the UTF-8 buffer (a regex split is ~6x slower)."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    texts = texts.fill_null("").cast(pa.large_string())
    _, offsets_buf, data_buf = texts.buffers()
    if data_buf is None:
        return texts
    mapped = _WORD_BYTES[np.frombuffer(data_buf, dtype=np.uint8)]
    return pa.LargeStringArray.from_buffers(len(texts), offsets_buf, pa.py_buffer(mapped), None, 0, texts.offset)


def ngram_rows(texts: pa.ChunkedArray | pa.Array, max_n: int = 2) -> tuple[np.ndarray, np.ndarray, GramNames]:
    """Distinct word n-grams (1..max_n, lower-cased) per text.

    Returns ``(row, gram)`` integer arrays with one pair per (text, distinct n-gram)
    and the n-gram strings indexed by ``gram`` (a lazy sequence: ``names[g]``,
    ``names.take(codes)``).
    """
    words = pc.ascii_split_whitespace(_word_text(texts))
    flat = pc.list_flatten(words)
    parent = pc.list_parent_indices(words).to_numpy()
    keep = pc.greater(pc.utf8_length(flat), 0).to_numpy(zero_copy_only=False)
    encoded = (
        pc.dictionary_encode(flat.filter(pa.array(keep))).combine_chunks()
        if isinstance(flat, pa.ChunkedArray)
        else pc.dictionary_encode(flat.filter(pa.array(keep)))
    )
    tokens = encoded.indices.to_numpy().astype(np.int64)
    parent = parent[keep]
    vocab = encoded.dictionary.to_pylist()
    if max_n not in (1, 2, 3):
        raise ValueError("max_n must be 1, 2 or 3.")
    rows_parts, key_parts = [parent], [tokens.astype(np.int64)]
    size = len(vocab)
    keys_n = tokens.astype(np.int64)
    for n in range(2, max_n + 1):
        # A gram of length n continues one of length n-1 within the same text.
        same = parent[n - 1 :] == parent[: len(parent) - n + 1]
        keys_n = keys_n[: len(keys_n) - 1] * max(size, 1) + tokens[n - 1 :].astype(np.int64)
        offset = sum(max(size, 1) ** k for k in range(1, n))
        rows_parts.append(parent[: len(parent) - n + 1][same])
        key_parts.append(keys_n[same] + offset)
    rows = np.concatenate(rows_parts)
    keys = np.concatenate(key_parts)
    grams, gram_keys = pd.factorize(keys, sort=False)
    n_grams = max(len(gram_keys), 1)
    pairs = np.sort(rows * n_grams + grams)  # sort, not hash: much faster at millions of pairs
    pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]] if pairs.size else pairs  # one per (text, gram)
    return pairs // n_grams, pairs % n_grams, GramNames(gram_keys, vocab, max(size, 1))


class GramNames:
    """N-gram strings decoded on demand (most grams never pass the support filter)."""

    def __init__(self, keys: np.ndarray, vocab: list[str], size: int) -> None:
        self._keys, self._vocab, self._size = keys, vocab, size

    def __len__(self) -> int:
        return len(self._keys)

    def __getitem__(self, index: int) -> str:
        return _decode_gram(int(self._keys[index]), self._vocab, self._size)

    def take(self, indices: Iterable[int] | np.ndarray) -> list[str]:
        return [self[int(i)] for i in indices]


def _decode_gram(key: int, vocab: list[str], size: int) -> str:
    n, offset = 1, 0
    while key >= offset + size**n:
        offset += size**n
        n += 1
    key -= offset
    words = []
    for _ in range(n):
        words.append(vocab[key % size])
        key //= size
    return " ".join(reversed(words))
