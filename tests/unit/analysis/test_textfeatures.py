"""Text features: the byte-level URL/domain scanner, the Arrow domain encoding and the
narrow digit/capital counts give exactly what the previous implementation (Arrow's
regex kernels, one int64 prefix sum) gave, kept here as the reference."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from wbview.analysis import textfeatures
from wbview.analysis.memo import Memo
from wbview.analysis.prepare import prepare
from wbview.analysis.textfeatures import (
    DOMAIN_PATTERN,
    URL_PATTERN,
    text_array,
    text_features,
)

_CAPITAL_UNIT = 1 << 32
_WEIGHT = np.zeros(256, dtype=np.int64)
_WEIGHT[ord("0") : ord("9") + 1] = 1
_WEIGHT[ord("A") : ord("Z") + 1] = _CAPITAL_UNIT


def reference_digit_capital_counts(array: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """The previous implementation: one int64 prefix sum over the whole UTF-8 buffer."""
    parts = []
    for chunk in array.chunks:
        chunk = chunk.cast(pa.large_string())
        _, offsets_buf, data_buf = chunk.buffers()
        offsets = np.frombuffer(offsets_buf, dtype=np.int64)[chunk.offset : chunk.offset + len(chunk) + 1]
        data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
        running = np.zeros(int(offsets[-1] - offsets[0]) + 1, dtype=np.int64)
        np.cumsum(_WEIGHT[data[offsets[0] : offsets[-1]]], out=running[1:])
        parts.append(np.diff(running[offsets - offsets[0]]))
    packed = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    missing = array.is_null().to_numpy(zero_copy_only=False)
    return (
        np.where(missing, np.nan, (packed & (_CAPITAL_UNIT - 1)).astype(float)),
        np.where(missing, np.nan, (packed >> 32).astype(float)),
    )


def reference_text_features(array: pa.ChunkedArray) -> pd.DataFrame:
    """The previous text_features body: domains through 1M Python objects."""
    length = pc.utf8_length(array).to_numpy().astype(float)
    has_url = pc.match_substring_regex(array, URL_PATTERN).to_numpy(zero_copy_only=False)
    domain = np.full(len(length), None, dtype=object)
    url_rows = np.flatnonzero(np.asarray(has_url == True))  # noqa: E712
    if url_rows.size:
        found = pc.struct_field(pc.extract_regex(array.take(pa.array(url_rows)), DOMAIN_PATTERN), "domain")
        hosts = pc.replace_substring_regex(pc.utf8_lower(found), r"[.,;)\]]+$", "")
        domain[url_rows] = hosts.to_numpy(zero_copy_only=False)
    digits, capitals = reference_digit_capital_counts(array)
    with np.errstate(divide="ignore", invalid="ignore"):
        return pd.DataFrame(
            {
                "length": length,
                "has_url": np.asarray(has_url == True, dtype=bool),  # noqa: E712
                "url_domain": pd.Categorical(domain),
                "digits": digits,
                "digit_share": np.where(length > 0, digits / length, 0.0),
                "capitals_share": np.where(length > 0, capitals / length, 0.0),
            }
        )


CASES = {
    "empty and missing": ["", None, float("nan"), "", None],
    "no URL at all": ["plain words", "ALL CAPS 123", "", None],
    "unicode and emoji": ["café ÉTÉ 42 😀", "naïve ٣ digits", "日本語 http://例え.jp/x", "K\u212a ſ", "😀" * 5],
    "mixed case URLs": ["Go to HTTP://WWW.Bank-Login.Example.NET/login", "hTtPs://GitHub.com", "WWW.Docs.example.org"],
    "several URLs": ["first http://b.com then https://a.com", "www.z.org and http://y.org", "http://x.io, http://x.io"],
    "www forms and trailing punctuation": [
        "see www.example.com.",
        "(www.a.com)",
        "www.)",
        "www.",
        "http://",
        "https://host:8080/p",
        "http://q.com?x=1",
        "http://h.com#frag",
        "<http://angle.com>",
        "'www.quote.com'",
    ],
    "hosts longer than one window": [
        "http://" + "a" * 100 + ".com/x",
        "see www." + "b" * 70 + ". ok",
        "https://" + "c" * 31,
        "x https://" + "d" * 32 + "/",
        "http://www." + "e" * 64,
    ],
    "digits and capitals": [
        "ABC123def",
        "0000",
        "ZZZZzzzz",
        "ÀÉÎ 12",
        "A1" * 1000,
        "9" * 255,
        "Z" * 255,
        "8" * 256,
        "Y" * 256 + "1",
    ],
}


def _table(texts: list) -> object:
    frame = pd.DataFrame(
        {
            "Decoded Text": pd.Series(texts, dtype=object),
            "True Label": ["a", "b"] * (len(texts) // 2) + ["a"] * (len(texts) % 2),
            "Predicted Label": ["a"] * len(texts),
        }
    )
    return prepare(frame)


@pytest.mark.parametrize("texts", list(CASES.values()), ids=list(CASES))
def test_text_features_equal_the_previous_implementation(texts):
    table = _table(texts)
    expected = reference_text_features(text_array(table, "Decoded Text"))
    pdt.assert_frame_equal(text_features(table, "Decoded Text"), expected)


def test_every_tricky_string_at_once_and_in_several_chunks():
    texts = [t for case in CASES.values() for t in case] * 3
    table = _table(texts)
    chunked = text_array(table, "Decoded Text")
    pieces = pa.chunked_array([chunked.combine_chunks().slice(i, 7) for i in range(0, len(chunked), 7)])
    # sliced chunks: non-zero array offsets
    table = dataclasses.replace(table, memo=Memo({("arrow", "Decoded Text"): pieces}))
    pdt.assert_frame_equal(text_features(table, "Decoded Text"), reference_text_features(pieces))


def test_rows_of_64k_bytes_and_more_are_counted_exactly():
    long_digits = "7" * 70_000  # more digits than the narrow packing holds: the chunk falls back to wide
    texts = [long_digits + "ABC", "X" * 65_536, "short 1 A", None]
    array = pa.chunked_array([pa.array(texts)])
    scanned = textfeatures._text_scan(array)
    digits, capitals = scanned["digits"], scanned["capitals"]
    np.testing.assert_array_equal(digits, [70_000, 0, 1, np.nan])
    np.testing.assert_array_equal(capitals, [3, 65_536, 1, np.nan])
    ref_digits, ref_capitals = reference_digit_capital_counts(array)
    np.testing.assert_array_equal(digits, ref_digits)
    np.testing.assert_array_equal(capitals, ref_capitals)


def test_many_rows_across_blocks_match_the_reference():
    rng = np.random.default_rng(0)
    alphabet = np.array(list("aZ9 .:/wHtpé😀"))
    texts = ["".join(rng.choice(alphabet, rng.integers(0, 30))) for _ in range(70_000)]
    texts[::997] = [None] * len(texts[::997])
    array = pa.chunked_array([pa.array(texts)])
    scanned = textfeatures._text_scan(array)
    for got, want in zip((scanned["digits"], scanned["capitals"]), reference_digit_capital_counts(array), strict=False):
        np.testing.assert_array_equal(got, want)


# Pieces that make URL-like text: schemes in odd cases, "www." next to a scheme, host
# stops, trailing punctuation, multi-byte characters (including U+017F, which RE2's
# case folding treats as "s"), line breaks and vertical tab (not in RE2's \s).
_URL_PIECES = [
    "http",
    "HTTP",
    "https",
    "hTtPs",
    "http\u017f",
    "://",
    ":/",
    ":",
    "//",
    "/",
    "www.",
    "WwW.",
    "ww",
    ".",
    "w",
    "x",
    "bit.ly",
    "Ex\u00e1mple",
    "\u65e5\u672c",
    "\U0001f600",
    " ",
    "\t",
    "\n",
    "\v",
    "\f",
    "?",
    "#",
    "<",
    ">",
    '"',
    "'",
    ",",
    ";",
    ")",
    "]",
    "ly.",
    "a.com",
    "-",
    "8080",
]


@pytest.mark.parametrize("seed", range(6))
def test_url_scanner_matches_the_regex_kernels_on_random_url_soup(seed, monkeypatch):
    monkeypatch.setattr(textfeatures, "_BLOCK_ROWS", 40 + seed)  # many blocks per chunk, scanned in parallel
    rng = np.random.default_rng(seed)
    texts = ["".join(rng.choice(_URL_PIECES, rng.integers(0, 14))) for _ in range(3_000)]
    texts[::89] = [None] * len(texts[::89])
    texts[5::97] = [""] * len(texts[5::97])
    whole = pa.array(texts, type=pa.large_string() if seed % 2 else pa.string())
    array = pa.chunked_array([whole.slice(i, 250 + seed) for i in range(0, len(whole), 250 + seed)])
    got = textfeatures._text_scan(array)
    want = reference_text_features(array)
    np.testing.assert_array_equal(got["has_url"], want["has_url"].to_numpy())
    assert got["has_url"].any() and not got["has_url"].all()
    pdt.assert_series_equal(pd.Series(got["url_domain"]), want["url_domain"], check_names=False)
    assert pd.Series(got["url_domain"]).notna().sum() > 100
