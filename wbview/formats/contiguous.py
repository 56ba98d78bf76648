"""Arrow-backed columns in one piece.

A Parquet file is read one row group at a time, so a column of text comes out of it as an
Arrow array in several chunks (8 for the benchmarks' million-row table), and pandas keeps
them. Taking rows from such a column (``frame.iloc[rows]``, a boolean mask) joins all the
chunks first, every time: on the benchmarks' table, taking the 1,000 rows a page shows took
31 ms instead of 1.3 ms, and with longer texts it grows with the whole column's size (161 ms
for a million 100-character texts). Every page that shows rows does this on every run, so
the loaders join each column's chunks once, when the table is read.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa


def contiguous(frame: pd.DataFrame) -> pd.DataFrame:
    """Join the chunks of every Arrow-backed column of ``frame``, in place (same dtypes and
    values), and return it. One column at a time: the memory held at once grows by one
    column's size at most, once the caller has dropped the Arrow table it came from."""
    joined = False
    for position in range(frame.shape[1]):
        values = frame.iloc[:, position].array
        to_arrow = getattr(values, "__arrow_array__", None)
        if to_arrow is None:
            continue
        chunks = to_arrow()
        if isinstance(chunks, pa.ChunkedArray) and chunks.num_chunks > 1:
            frame.isetitem(position, pd.array(chunks.combine_chunks(), dtype=values.dtype))
            joined = True
    if joined:
        release_arrow_memory()
    return frame


def release_arrow_memory() -> None:
    """Ask Arrow's allocator (text columns live there) to hand freed pages back to the
    system: it keeps them otherwise, and the server's resident memory never falls."""
    pa.default_memory_pool().release_unused()
