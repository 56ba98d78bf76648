"""Pure decoding of what wandb writes beyond plain cells (wbview.formats.tableshapes)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from wbview.formats import tableshapes as ts

NDARRAY = {
    "wb_type": "union",
    "params": {
        "allowed_types": [
            {
                "wb_type": "ndarray",
                "params": {"serialization_path": {"key": "m", "path": "media/serialized_data/x.npz"}, "shape": [3, 4]},
            },
            {"wb_type": "none"},
        ]
    },
}


def npz(**arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("entry", "order"),
    [
        ("None-1796498100066.eval/stream.table.json", (0, 1796498100066)),  # wandb names the first increment "None-..."
        ("1-17.eval/stream.table.json", (1, 17)),
        ("12-5.k.table.json", (12, 5)),
        ("notanincrement.table.json", (0, 0)),  # as wandb: unparseable names sort first
    ],
)
def test_increment_order(entry, order):
    assert ts.increment_order(entry) == order


def test_increments_sort_by_number_then_stamp_not_by_text():
    entries = ["10-1.k.table.json", "2-9.k.table.json", "None-5.k.table.json", "media/x.png"]
    assert ts.increment_entries(entries) == ["None-5.k.table.json", "2-9.k.table.json", "10-1.k.table.json"]


def test_join_increments_refuses_different_columns():
    with pytest.raises(ValueError, match="different columns"):
        ts.join_increments([{"columns": ["a"], "data": [[1]]}, {"columns": ["b"], "data": [[2]]}])


def test_npz_arrays_are_loaded_per_row():
    matrix = np.arange(24.0).reshape(2, 3, 4)
    frame = pd.DataFrame({"m": [None, None]})
    decoded = ts.decode_columns(frame, {"m": NDARRAY}, lambda path: npz(m=matrix))
    assert decoded.frame["m"].tolist() == matrix.tolist() and not decoded.notes


@pytest.mark.parametrize(
    ("side_file", "reason"),
    [
        (None, "no reader"),
        (lambda path: (_ for _ in ()).throw(FileNotFoundError(path)), "FileNotFoundError"),
        (lambda path: npz(m=np.zeros((1, 3, 4))), "holds 1 rows"),  # fewer arrays than rows
    ],
)
def test_unreadable_npz_arrays_show_their_shape_never_none(side_file, reason):
    decoded = ts.decode_columns(pd.DataFrame({"m": [None, None]}), {"m": NDARRAY}, side_file)
    assert decoded.frame["m"].tolist() == ["array, not loaded (shape 3×4)"] * 2
    assert len(decoded.notes) == 1 and reason in decoded.notes[0] and "x.npz" in decoded.notes[0]


def test_timestamps_decode_to_utc_milliseconds_and_keep_gaps():
    stamp = {"wb_type": "union", "params": {"allowed_types": [{"wb_type": "none"}, {"wb_type": "timestamp"}]}}
    frame = pd.DataFrame({"t": [1735734896789, None]})
    decoded = ts.decode_columns(frame, {"t": stamp}, None).frame["t"]
    assert str(decoded.dtype) == "datetime64[ms, UTC]"
    assert decoded[0] == pd.Timestamp("2025-01-01 12:34:56.789", tz="UTC") and pd.isna(decoded[1])


def test_join_is_inner_and_says_what_it_left_out():
    left = pd.DataFrame({"id": [1, 2, 4], "x": ["a", "b", "d"]})
    right = pd.DataFrame({"key": [2, 1, 3], "x": ["B", "A", "C"]})
    joined = ts.join_tables(left, right, ["id", "key"], ("left", "right"))
    assert joined.frame.to_dict("list") == {"id": [1, 2], "x [left]": ["a", "b"], "key": [1, 2], "x [right]": ["A", "B"]}
    assert "inner join" in joined.notes[0] and "1 rows of left and 1 of right have no match" in joined.notes[0]
    with pytest.raises(ValueError, match="not a column"):
        ts.join_tables(left, right, "nope", ("left", "right"))


def test_stack_parts_needs_the_same_columns():
    with pytest.raises(ValueError, match="part b"):
        ts.stack_parts([pd.DataFrame({"a": [1]}), pd.DataFrame({"b": [2]})], ["a", "b"])


@pytest.mark.parametrize(
    ("values", "text", "noted"),
    [
        ([1, "two", 3.5, None], ["1", "two", "3.5", None], True),
        ([{"a": 1}, "x"], ['{"a": 1}', "x"], True),
        ([True, 2], ["true", "2"], True),
        (["a", None], ["a", None], False),  # Parquet holds it as it is
        ([[1, 2], [3]], [[1, 2], [3]], False),
    ],
)
def test_parquet_ready_writes_mixed_columns_as_text(values, text, noted):
    frame = pd.DataFrame({"v": pd.Series(values, dtype=object)})
    ready = ts.parquet_ready(frame)
    assert ready.frame["v"].tolist() == text and bool(ready.notes) == noted
    pa.Table.from_pandas(ready.frame)  # writable now
