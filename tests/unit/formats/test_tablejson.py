"""Reading wandb's .table.json and Parquet into DataFrames."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from tests.fakewandb import wandb_table_json
from tests.fixtures import build_eval_table
from wbview.errors import BadTable
from wbview.formats.tablejson import parse_table_json, read_parquet, read_table_json


def doc(columns, data, type_map=None, **extra) -> bytes:
    body = {"_type": "table", "columns": columns, "data": data, "ncols": len(columns), "nrows": len(data), **extra}
    if type_map is not None:
        body["column_types"] = {"wb_type": "typedDict", "params": {"type_map": type_map}}
    return json.dumps(body).encode()


def nullable(name: str) -> dict:
    return {"wb_type": "union", "params": {"allowed_types": [{"wb_type": "none"}, {"wb_type": name}]}}


@pytest.mark.parametrize(
    "columns, data, type_map, expected_dtypes",
    [
        (["i", "f", "s", "b"], [[1, 0.5, "a", True], [2, 1.5, "b", False]], None, ["int64", "float64", "str", "bool"]),
        (["n"], [[1], [None], [3]], {"n": nullable("number")}, ["float64"]),
        (["b"], [[True], [None], [False]], {"b": nullable("boolean")}, ["boolean"]),
        (["b"], [[True], [None]], None, ["object"]),  # undeclared: pandas' own inference
        (["s"], [["x"], [None]], {"s": nullable("string")}, ["str"]),
        (["n"], [[1], ["oops"]], {"n": nullable("number")}, ["object"]),  # never silently drops a value
        (["x"], [], None, ["object"]),
    ],
)
def test_column_types(columns, data, type_map, expected_dtypes):
    parsed = parse_table_json(doc(columns, data, type_map))
    assert [str(d) for d in parsed.frame.dtypes] == expected_dtypes
    assert list(parsed.frame.columns) == columns
    assert parsed.stored_rows == len(data) == len(parsed.frame)


def test_values_survive_and_match_pandas_from_records():
    frame = build_eval_table(500, seed=3)
    parsed = parse_table_json(wandb_table_json(frame))
    pd.testing.assert_frame_equal(parsed.frame, frame, check_dtype=False)
    raw = json.loads(wandb_table_json(frame))
    # the same frame wandb's get_dataframe() builds (from_records over the same rows)
    pd.testing.assert_frame_equal(parsed.frame, pd.DataFrame.from_records(raw["data"], columns=raw["columns"]))


def test_declared_row_count_and_nan_tokens():
    raw = b'{"_type": "table", "columns": ["x"], "data": [[NaN], [1.5]], "nrows": 250000}'
    parsed = parse_table_json(raw)
    assert parsed.declared_rows == 250_000 and parsed.stored_rows == 2
    assert math.isnan(parsed.frame["x"][0]) and parsed.frame["x"][1] == 1.5


def test_media_cells_are_kept_and_reported():
    image = {"_type": "image-file", "path": "media/images/a.png", "width": 2, "height": 2}
    parsed = parse_table_json(doc(["id", "img"], [[1, image], [2, None]], {"img": nullable("image-file")}))
    assert parsed.media_columns == ("img",)
    assert parsed.frame["img"][0] == image


def test_companion_writer_round_trip(tmp_path):
    from wbview.formats.tablejson import write_table_json

    frame = build_eval_table(300, seed=5)
    frame.loc[3, "Confidence"] = np.nan
    path = tmp_path / "t.table.json"
    write_table_json(frame, path)
    parsed = read_table_json(path)
    pd.testing.assert_frame_equal(parsed.frame, frame, check_dtype=False)


@pytest.mark.parametrize(
    "raw, words",
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (b'{"_type": "joined-table", "columns": [], "data": []}', "joined-table"),
        (b'{"columns": "a", "data": []}', "must both be lists"),
        (b'{"columns": ["a", "b"], "data": [[1, 2], [3]]}', "row 1 has 1 cells but the table has 2 columns"),
        (b'{"columns": ["a"], "data": [[1], 7]}', "row 1 has a int"),
        (b'{"columns": ["a", "a"], "data": []}', "duplicate column names ['a']"),
    ],
)
def test_bad_tables_say_what_is_wrong(raw, words):
    with pytest.raises(BadTable, match=words.replace("[", r"\[").replace("]", r"\]")):
        parse_table_json(raw, name="eval.table.json")


def test_read_table_json_missing_file(tmp_path):
    with pytest.raises(BadTable, match="Cannot read table file"):
        read_table_json(tmp_path / "nope.table.json")


def test_parquet_from_bytes_and_path(tmp_path):
    frame = build_eval_table(50, seed=1)
    path = tmp_path / "t.parquet"
    frame.to_parquet(path, index=False)
    pd.testing.assert_frame_equal(read_parquet(path), frame)
    pd.testing.assert_frame_equal(read_parquet(path.read_bytes()), frame)
    with pytest.raises(BadTable, match="not a readable Parquet file"):
        read_parquet(b"definitely not parquet", name="x.parquet")
