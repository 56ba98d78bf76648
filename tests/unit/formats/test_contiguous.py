"""Arrow-backed columns come out of the readers in one chunk, with the same dtypes and values:
taking rows from a chunked column joins all its chunks on every take."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from wbview.formats.contiguous import contiguous
from wbview.formats.tablejson import read_parquet


def _chunks(series: pd.Series) -> int | None:
    to_arrow = getattr(series.array, "__arrow_array__", None)
    if to_arrow is None:
        return None
    arrow = to_arrow()
    return arrow.num_chunks if isinstance(arrow, pa.ChunkedArray) else 1


def _multi_chunk_frame() -> pd.DataFrame:
    table = pa.table(
        {
            "text": pa.chunked_array([pa.array(["a", None, "ccc"]), pa.array(["d"]), pa.array(["eé", "f"])]),
            "label": pa.chunked_array(
                [pa.array(["x", "y", "x"]).dictionary_encode(), pa.array(["y", "x", "y"]).dictionary_encode()]
            ),
            "score": pa.chunked_array([pa.array([0.1, 0.2, 0.3]), pa.array([0.4, 0.5, 0.6])]),
            "tags": pa.chunked_array([pa.array([[1], [2], []]), pa.array([[3], None, [4, 5]])]),
        }
    )
    return table.to_pandas()


def test_every_arrow_backed_column_ends_in_one_chunk_with_the_same_values():
    frame = _multi_chunk_frame()
    before = frame.copy(deep=True)
    assert _chunks(frame["text"]) == 3
    out = contiguous(frame)
    assert out is frame
    assert _chunks(frame["text"]) == 1
    pd.testing.assert_frame_equal(frame, before)
    assert frame["text"].dtype == before["text"].dtype


def test_duplicate_column_names_and_plain_columns_are_left_as_they_are():
    frame = pd.concat([_multi_chunk_frame()[["text"]], _multi_chunk_frame()[["text"]]], axis=1)
    assert list(frame.columns) == ["text", "text"]
    contiguous(frame)
    assert [_chunks(frame.iloc[:, i]) for i in range(2)] == [1, 1]
    plain = pd.DataFrame({"n": np.arange(3), "o": pd.Series([{"a": 1}, None, [2]], dtype=object)})
    pd.testing.assert_frame_equal(contiguous(plain.copy()), plain)


@pytest.mark.parametrize("reader", ["companion parquet", "store file"])
def test_the_readers_return_one_chunk_per_column_from_many_row_groups(reader, tmp_path):
    rows = 10_000
    frame = pd.DataFrame({"Decoded Text": [f"text {i}" for i in range(rows)], "Prob (Phishing)": np.linspace(0, 1, rows)})
    if reader == "companion parquet":
        sink = io.BytesIO()
        pq.write_table(pa.Table.from_pandas(frame), sink, row_group_size=1_000)
        assert pq.ParquetFile(io.BytesIO(sink.getvalue())).num_row_groups == 10
        read = read_parquet(sink.getvalue())
    else:
        from wbview.sources.store.files import frame_to_parquet_bytes, read_parquet_frame

        path = tmp_path / "t.parquet"
        path.write_bytes(frame_to_parquet_bytes(frame))
        table = pq.read_table(path)
        pq.write_table(table, path, row_group_size=1_000)  # the store's file, in 10 row groups
        assert pq.ParquetFile(path).num_row_groups == 10
        read, _ = read_parquet_frame(path)
    assert _chunks(read["Decoded Text"]) == 1
    pd.testing.assert_frame_equal(read.reset_index(drop=True), frame, check_dtype=False)


def test_the_old_chunks_memory_goes_back_from_arrows_allocator_when_a_column_was_joined(monkeypatch):
    """Arrow's allocator (mimalloc) keeps freed pages: without asking it, the server held
    about 200 MiB more after ten 1M-row tables (bench memory)."""
    released = []

    class Pool:
        def release_unused(self):
            released.append(True)

    monkeypatch.setattr(pa, "default_memory_pool", lambda: Pool())
    contiguous(pd.DataFrame({"n": [1, 2]}))
    assert released == []
    contiguous(_multi_chunk_frame())
    assert released == [True]
