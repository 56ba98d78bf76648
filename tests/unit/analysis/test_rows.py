"""Search (literal by default, regex on request), column filters and their URL
strings, and CSV export that keeps hostile text as inert data."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from wbview.analysis.prepare import prepare
from wbview.analysis.rows import (
    ColumnFilter,
    RowQuery,
    default_search_columns,
    filter_choices,
    filter_mask,
    query_mask,
    range_filters,
    search_mask,
    to_csv_bytes,
)
from wbview.errors import BadFilter

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def table():
    return prepare(
        pd.DataFrame(
            {
                "Decoded Text": ["Verify your PayPal account", "a.b matters", "axb", PAYLOAD, '=HYPERLINK("x")', None],
                "True Label": ["phishing", "ham", "ham", "phishing", "phishing", "ham"],
                "Predicted Label": ["ham", "ham", "phishing", "phishing", "ham", "ham"],
                "Score": [0.1, 0.5, 0.9, 0.3, 0.7, np.nan],
                "Flag": [True, False, True, False, True, False],
            }
        )
    )


@pytest.mark.parametrize(
    "query, regex, expected",
    [
        ("paypal", False, [0]),
        ("PAYPAL", False, [0]),
        ("a.b", False, [1]),  # literal: the dot is not a wildcard
        ("a.b", True, [1, 2]),  # regex: it is
        ("<script>", False, [3]),
        ("onerror=alert(2)", False, [3]),  # parentheses are literal by default
        ("^=", True, [4]),
        ("", False, [0, 1, 2, 3, 4, 5]),
    ],
)
def test_search(query, regex, expected):
    assert list(np.flatnonzero(search_mask(table(), query, regex=regex))) == expected


def test_bad_regex_is_a_clear_error():
    with pytest.raises(BadFilter, match="not a valid regular expression.*regex off"):
        search_mask(table(), "(unclosed", regex=True)


def test_python_only_regex_syntax_still_works():
    # RE2 (Arrow) has no lookahead; the search falls back to Python's re.
    assert list(np.flatnonzero(search_mask(table(), r"a(?=\.b)", regex=True))) == [1]


def test_search_in_label_columns():
    mask = search_mask(table(), "PHISH", columns=["True Label"])
    assert list(np.flatnonzero(mask)) == [0, 3, 4]


@pytest.mark.parametrize(
    "text, expected",
    [
        ('"True Label"=ham', [1, 2, 5]),
        ('"True Label"!=ham', [0, 3, 4]),
        ('"Predicted Label" in ham,phishing', [0, 1, 2, 3, 4, 5]),
        ('"Predicted Label" not in ham', [2, 3]),
        ("Score>=0.3", [1, 2, 3, 4]),
        ("Score<=0.7", [0, 1, 3, 4]),
        ("Score>0.5", [2, 4]),
        ("Score<0.3", [0]),
        ("Flag=true", [0, 2, 4]),
        ('"Is Error"=true', [0, 2, 4]),
        ("Score in 0.5,0.9", [1, 2]),
    ],
)
def test_filter_mask_in_the_run_filter_vocabulary(text, expected):
    condition = ColumnFilter.from_text(text)
    assert list(np.flatnonzero(filter_mask(table(), condition))) == expected
    assert ColumnFilter.from_text(condition.to_text()) == condition


def test_a_range_widget_is_two_comparisons():
    low_high = range_filters("Score", 0.3, 0.7)
    assert [f.to_text() for f in low_high] == ["Score>=0.3", "Score<=0.7"]
    mask = filter_mask(table(), low_high[0]) & filter_mask(table(), low_high[1])
    assert list(np.flatnonzero(mask)) == [1, 3, 4]
    assert range_filters("Score", None, 0.3) == (ColumnFilter("Score", "<=", 0.3),)


@pytest.mark.parametrize(
    "condition, message",
    [
        (ColumnFilter("Nope", "=", "x"), "Nope"),
        (ColumnFilter("Score", ">=", "low"), "not a number"),
        (ColumnFilter("Flag", "=", "maybe"), "neither"),
    ],
)
def test_filter_errors(condition, message):
    with pytest.raises(BadFilter, match=message):
        filter_mask(table(), condition)


def test_filter_validates_shape():
    with pytest.raises(BadFilter):
        ColumnFilter("Score", "in", 1)
    with pytest.raises(BadFilter):
        ColumnFilter("Score", "like", "x")  # type: ignore[arg-type]  # an unknown operator, on purpose
    with pytest.raises(BadFilter, match="expected an operator"):
        ColumnFilter.from_text("Is Error=true")  # a name with a space must be quoted


def test_query_round_trips_through_url_params():
    query = RowQuery(
        filters=(ColumnFilter("True Label", "in", ("ham", "a,b:c")), ColumnFilter("Score", ">=", 0.2)),
        search="pay pal & co",
        regex=True,
        search_columns=("Decoded Text",),
    )
    assert RowQuery.from_params(query.to_params()) == query
    assert RowQuery.from_params({}) == RowQuery()


@pytest.mark.parametrize(
    "text, words",
    [
        ("no operator", "expected an operator"),
        ("Score>=", "missing value"),
        ("Score like x", "expected an operator"),
        ('"unclosed=1', "unclosed quote"),
        ("", "Empty filter"),
    ],
)
def test_bad_filter_strings(text, words):
    with pytest.raises(BadFilter, match=words):
        ColumnFilter.from_text(text)


def test_query_mask_combines_search_and_filters():
    query = RowQuery(filters=(ColumnFilter("True Label", "=", "phishing"),), search="a")
    assert list(np.flatnonzero(query_mask(table(), query))) == [0, 3]


def test_filter_choices():
    assert filter_choices(table(), "Score") == {"kind": "range", "min": 0.1, "max": 0.9}
    assert filter_choices(table(), "Predicted Label")["values"] == ["ham", "phishing"]  # most frequent first


def test_csv_export_round_trip_and_formula_neutralised():
    frame = table().frame
    data = to_csv_bytes(frame)
    back = pd.read_csv(io.BytesIO(data))
    assert list(back.columns) == list(map(str, frame.columns))
    assert back.loc[3, "Decoded Text"] == PAYLOAD  # markup stays text, byte for byte
    assert back.loc[4, "Decoded Text"] == '\'=HYPERLINK("x")'
    raw = pd.read_csv(io.BytesIO(to_csv_bytes(frame, escape_formulas=False)))
    assert raw.loc[4, "Decoded Text"] == '=HYPERLINK("x")'
    assert back["Score"].isna().sum() == 1 and len(back) == len(frame)


def test_csv_export_of_a_selection():
    frame = table().frame
    back = pd.read_csv(io.BytesIO(to_csv_bytes(frame[frame["Flag"]])))
    assert len(back) == 3


def test_search_without_text_columns_says_so():
    numeric_only = prepare(pd.DataFrame({"is_error": [True, False], "score": [0.1, 0.2]}))
    with pytest.raises(BadFilter, match="no text columns"):
        search_mask(numeric_only, "x")


def test_cells_holding_objects_still_group_search_and_export():
    from wbview.analysis.groups import group_histograms

    df = pd.DataFrame({"label": ["a", "b", "a"], "prediction": ["a", "a", "a"], "meta": [{"k": 1}, [1, 2], "plain"]})
    table = prepare(df)
    hist = group_histograms(table).histograms["meta"]
    assert hist.counts.to_numpy().sum() == 3
    assert list(np.flatnonzero(search_mask(table, "'k'", columns=["meta"]))) == [0]
    back = pd.read_csv(io.BytesIO(to_csv_bytes(table.frame)))
    assert back["meta"].tolist() == ['{"k": 1}', "[1, 2]", "plain"]  # nested cells as JSON text


@pytest.mark.parametrize("n_rows, rows_per_part", [(0, 10), (1, 10), (9, 10), (25, 10), (1003, 100)])
def test_csv_export_in_parallel_parts_matches_one_arrow_write(monkeypatch, n_rows, rows_per_part):
    import os

    import pyarrow as pa
    import pyarrow.csv as pacsv

    from wbview.analysis import rows as rows_module

    rng = np.random.default_rng(n_rows)
    frame = pd.DataFrame(
        {
            "id": np.arange(n_rows),
            "text": [f't{i}, "q"\n{i % 7}' for i in range(n_rows)],
            "p": rng.random(n_rows),
            "flag": rng.random(n_rows) < 0.5,
        }
    )
    sink = io.BytesIO()
    pacsv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), sink)
    monkeypatch.setattr(rows_module, "_ROWS_PER_CSV_PART", rows_per_part)
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    data = to_csv_bytes(frame)
    assert data == sink.getvalue()
    back = pd.read_csv(io.BytesIO(data), keep_default_na=False)
    assert back["id"].tolist() == list(range(n_rows)) and back["text"].tolist() == frame["text"].tolist()


def test_formula_detection_matches_the_regex_on_awkward_arrays():
    import pyarrow as pa
    import pyarrow.compute as pc

    from wbview.analysis.rows import _starts_like_a_formula

    cells = ["=1+1", "", None, "+x", "-", "@sum", "\tx", "\rx", "a=b", " =x", "é=", "=", "ok", None, "-3"]
    for kind in (pa.string(), pa.large_string()):
        whole = pa.array(cells, type=kind)
        column = pa.chunked_array([whole.slice(0, 4), whole.slice(4, 0), whole.slice(4)], type=kind)
        column = pa.chunked_array([column.combine_chunks().slice(2), pa.array(["=a", "b"], type=kind)])
        expected = pc.fill_null(pc.match_substring_regex(column, r"^[=+\-@\t\r]"), False)
        assert _starts_like_a_formula(column).to_pylist() == expected.to_pylist()


@pytest.mark.parametrize(
    ("header", "written"),
    [
        ('=HYPERLINK("https://evil.example","x")', '\'=HYPERLINK("https://evil.example","x")'),
        ("+cmd", "'+cmd"),
        ("-cmd", "'-cmd"),
        ("@cmd", "'@cmd"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Decoded Text", "Decoded Text"),
        ("a=b", "a=b"),
    ],
)
def test_csv_export_neutralises_formula_headers(header, written):
    back = pd.read_csv(io.BytesIO(to_csv_bytes(pd.DataFrame({header: ["x"], "n": [1]}))))
    assert list(back.columns) == [written, "n"]
    raw = pd.read_csv(io.BytesIO(to_csv_bytes(pd.DataFrame({header: ["x"]}), escape_formulas=False)))
    assert list(raw.columns) == [header]


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ([{"a": 1}, {"b": [1, 2]}], ['{"a": 1}', '{"b": [1, 2]}']),
        ([[1, 2], []], ["[1, 2]", "[]"]),
        ([np.array([0.5, 1.5]), np.array([2.0])], ["[0.5, 1.5]", "[2.0]"]),  # lists read back from Parquet
        ([{"a": 1}, "=1+1"], ['{"a": 1}', "'=1+1"]),  # mixed: nested as JSON, text still neutralised
        ([{"é": "ü"}, None], ['{"é": "ü"}', None]),
    ],
)
def test_csv_export_writes_nested_cells_as_json(cells, expected):
    back = pd.read_csv(io.BytesIO(to_csv_bytes(pd.DataFrame({"cell": cells, "n": range(len(cells))}))), dtype=str)
    assert [None if pd.isna(v) else v for v in back["cell"]] == expected


def _two_text_columns():
    lure = "Your invoice is attached as discussed in our last call and the meeting before it. "
    return prepare(
        pd.DataFrame(
            {
                "Decoded Text": [lure * 2, lure * 2, "Lunch on Friday? " * 8],
                "Full Text": [lure * 6 + "P.S. Confirm your password at the link.", lure * 6, "Lunch on Friday? " * 8],
                "Sender": ["a.example", "b.example", "P.S. Ltd"],  # short strings: a category, not text
                "True Label": ["phishing", "ham", "ham"],
                "Predicted Label": ["ham", "ham", "ham"],
            }
        )
    )


@pytest.mark.parametrize(
    "query, expected",
    [
        ("P.S.", [0]),  # only the full text has it: the truncated text the model saw does not
        ("invoice", [0, 1]),
        ("lunch", [2]),
    ],
)
def test_search_looks_at_every_text_column(query, expected):
    table = _two_text_columns()
    assert default_search_columns(table) == ["Decoded Text", "Full Text"]  # the model's text first
    assert list(np.flatnonzero(search_mask(table, query))) == expected


def test_search_without_a_text_role_uses_the_long_text_columns():
    frame = _two_text_columns().frame.drop(columns=["Decoded Text"]).rename(columns={"Full Text": "body"})
    table = prepare(frame)
    assert table.schema.text is None or table.schema.text == "body"
    assert "body" in default_search_columns(table)
