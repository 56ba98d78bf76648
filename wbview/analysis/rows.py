"""Selecting rows: full-text search, a small per-column filter model that round-trips
through URL strings, and CSV export of the current rows.

Text from the data is untrusted: it is only ever matched as data (substring or a
user-given regular expression), never evaluated, and CSV export neutralises cells
that a spreadsheet would run as formulas.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Iterable, Literal, Sequence

import numpy as np
import pandas as pd

from wbview.analysis.columns import column_kind, numeric_values, value_codes
from wbview.analysis.prepare import PreparedTable
from wbview.errors import BadFilter

FilterOp = Literal["eq", "in", "range"]
_OPS = ("eq", "in", "range")


# --- search -------------------------------------------------------------------------


def default_search_columns(table: PreparedTable) -> list[str]:
    """Every free-text column (the one the model saw first: a search for "P.S." must also
    find it in the full text), else every string-like column."""
    texts = [c for c in table.frame.columns if c != table.schema.text and column_kind(table, c) == "text"]
    if table.schema.text is not None:
        return [table.schema.text, *texts]
    if texts:
        return texts
    return [c for c in table.frame.columns if column_kind(table, c) in ("text", "categorical")
            and not pd.api.types.is_bool_dtype(table.frame[c])]


def _compile(pattern: str, regex: bool) -> re.Pattern | None:
    if not regex:
        return None
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise BadFilter(f"The search {pattern!r} is not a valid regular expression ({exc}). "
                        "Fix it, or switch regex off to search for the literal text.") from exc


# RE2 (Arrow) and Python's re agree on ASCII text without control characters for
# patterns without Python-only or RE2-only syntax; other rows and patterns use Python's re.
_RE2_UNSAFE_PATTERN = re.compile(r"[^\x20-\x7e]|\[:|\{,|\\[BZuUNx0-9pPQEzC]|\(\?(?!:|P<|[ims]+[:)])")
_NOT_PLAIN_TEXT = r"[^\t\x20-\x7e]"


def _plain_rows(table: PreparedTable, column: str, data) -> np.ndarray:
    """True per row whose text is printable ASCII (or tab) only, cached per column."""
    import pyarrow.compute as pc

    key = ("plain_text", column)
    if key not in table.cache:
        table.cache[key] = ~pc.match_substring_regex(data, _NOT_PLAIN_TEXT).fill_null(True).to_numpy(zero_copy_only=False)
    return table.cache[key]


def _regex_rows(table: PreparedTable, column: str, pattern: str) -> np.ndarray | None:
    """Case-insensitive regex hits in a text column with Arrow's RE2 (no per-row Python),
    exactly as Python's re would find them; None when the pattern needs Python's re."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from wbview.analysis.textfeatures import text_array

    if _RE2_UNSAFE_PATTERN.search(pattern):
        return None
    try:
        data = text_array(table, column)
        hits = np.array(pc.match_substring_regex(data, pattern, ignore_case=True).fill_null(False), dtype=bool)
    except (pa.ArrowException, TypeError, ValueError):  # RE2 rejects the pattern, or cells are not text
        return None
    plain = _plain_rows(table, column, data)
    if not plain.all():  # non-ASCII or control characters: Python's re decides those rows
        others = np.flatnonzero(~plain)
        hits[others] = _contains(table.frame[column].iloc[others].astype(object), pattern, regex=True)
    return hits


def _contains(series: pd.Series, pattern: str, regex: bool) -> np.ndarray:
    try:
        hits = series.str.contains(pattern, case=False, regex=regex, na=False)
    except Exception:  # noqa: BLE001 - Arrow's RE2 rejects some Python syntax (lookarounds): use Python's re
        hits = series.astype(object).str.contains(pattern, case=False, regex=regex, na=False)
    return hits.to_numpy(dtype=bool)


def search_mask(table: PreparedTable, query: str, columns: Sequence[str] | None = None, regex: bool = False) -> np.ndarray:
    """Rows where any of ``columns`` contains ``query`` (case-insensitive).

    Literal substring by default; ``regex=True`` treats the query as a regular
    expression and raises ``BadFilter`` with the reason when it does not compile.
    An empty query selects every row.
    """
    if not query:
        return np.ones(table.n_rows, dtype=bool)
    _compile(query, regex)
    columns = list(columns) if columns is not None else default_search_columns(table)
    if not columns:
        raise BadFilter("This table has no text columns to search; choose columns or map a text column.")
    _require_columns(table, columns)
    mask = np.zeros(table.n_rows, dtype=bool)
    for column in columns:
        series = table.frame[column]
        if isinstance(series.dtype, pd.CategoricalDtype) or column_kind(table, column) == "categorical":
            # Match the few distinct values, then spread to rows through the codes.
            codes, values = value_codes(table, column)
            value_hits = _contains(pd.Series([str(v) for v in values], dtype="string"), query, regex)
            mask |= np.append(value_hits, False)[codes]
        else:
            fast = _regex_rows(table, column, query) if regex else None
            mask |= fast if fast is not None else _contains(
                series.astype("string") if series.dtype == object else series, query, regex)
    return mask


# --- column filters --------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnFilter:
    """One condition on one column: ``eq`` one value, ``in`` any of several values,
    or ``range`` (low, high) inclusive with None for an open end."""

    column: str
    op: FilterOp
    values: tuple[Any, ...]

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            raise BadFilter(f"Unknown filter operation {self.op!r}; use one of {list(_OPS)}.")
        if self.op == "eq" and len(self.values) != 1:
            raise BadFilter(f"An 'eq' filter on {self.column!r} takes exactly one value, got {len(self.values)}.")
        if self.op == "range" and len(self.values) != 2:
            raise BadFilter(f"A 'range' filter on {self.column!r} takes (low, high); use null for an open end.")

    def to_string(self) -> str:
        """Compact JSON ``[column, op, [values...]]``: safe in a URL query value."""
        return json.dumps([self.column, self.op, list(self.values)], separators=(",", ":"), default=str)

    @classmethod
    def from_string(cls, text: str) -> "ColumnFilter":
        try:
            column, op, values = json.loads(text)
        except (ValueError, TypeError) as exc:
            raise BadFilter(f"Cannot read the column filter {text!r}: expected [column, op, [values]].") from exc
        if not isinstance(column, str) or not isinstance(values, list):
            raise BadFilter(f"Cannot read the column filter {text!r}: expected [column, op, [values]].")
        return cls(column, op, tuple(values))


@dataclass(frozen=True)
class RowQuery:
    """Everything that selects rows on the error-analysis page; URL-serialisable."""

    filters: tuple[ColumnFilter, ...] = ()
    search: str = ""
    regex: bool = False
    search_columns: tuple[str, ...] | None = None

    def to_params(self) -> dict[str, list[str]]:
        """Query-string parameters: ``filter`` (repeated), ``q``, ``regex``, ``in``."""
        params: dict[str, list[str]] = {}
        if self.filters:
            params["filter"] = [f.to_string() for f in self.filters]
        if self.search:
            params["q"] = [self.search]
        if self.regex:
            params["regex"] = ["1"]
        if self.search_columns is not None:
            params["in"] = [json.dumps(list(self.search_columns), separators=(",", ":"))]
        return params

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> "RowQuery":
        def values(key: str) -> list[str]:
            raw = params.get(key, [])
            return [raw] if isinstance(raw, str) else list(raw)

        filters = tuple(ColumnFilter.from_string(s) for s in values("filter"))
        search = (values("q") or [""])[0]
        regex = (values("regex") or ["0"])[0].lower() in ("1", "true", "yes")
        columns = None
        if values("in"):
            try:
                columns = tuple(json.loads(values("in")[0]))
            except ValueError as exc:
                raise BadFilter(f"Cannot read the search columns {values('in')[0]!r}.") from exc
        return cls(filters=filters, search=search, regex=regex, search_columns=columns)


def _require_columns(table: PreparedTable, columns: Iterable[str]) -> None:
    unknown = [c for c in columns if c not in table.frame.columns]
    if unknown:
        raise BadFilter(f"No column(s) {unknown} in this table; columns: {list(map(str, table.frame.columns))}.")


def _as_bool_value(value: Any, column: str) -> bool:
    if isinstance(value, bool):
        return value
    key = str(value).strip().lower()
    if key in ("true", "1", "yes", "t"):
        return True
    if key in ("false", "0", "no", "f"):
        return False
    raise BadFilter(f"Column {column!r} is true/false; {value!r} is neither.")


def _as_number(value: Any, column: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise BadFilter(f"Column {column!r} is numeric; {value!r} is not a number.") from exc


def filter_mask(table: PreparedTable, condition: ColumnFilter) -> np.ndarray:
    """Boolean row mask for one column filter."""
    _require_columns(table, [condition.column])
    series = table.frame[condition.column]
    if condition.op == "range":
        low, high = (None if v is None else _as_number(v, condition.column) for v in condition.values)
        values = numeric_values(table, condition.column)
        mask = np.isfinite(values)
        if low is not None:
            mask &= values >= low
        if high is not None:
            mask &= values <= high
        return mask
    if pd.api.types.is_bool_dtype(series):
        wanted = {_as_bool_value(v, condition.column) for v in condition.values}
        return series.isin(wanted).to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(series):
        wanted_numbers = [_as_number(v, condition.column) for v in condition.values]
        return np.isin(numeric_values(table, condition.column), wanted_numbers)
    codes, values = value_codes(table, condition.column)
    wanted_text = {str(v) for v in condition.values}
    value_hits = np.array([str(v) in wanted_text for v in values] + [False], dtype=bool)
    return value_hits[codes]


def query_mask(table: PreparedTable, query: RowQuery) -> np.ndarray:
    """All filters AND the search: the page's current selection."""
    mask = search_mask(table, query.search, query.search_columns, query.regex)
    for condition in query.filters:
        mask &= filter_mask(table, condition)
    return mask


def filter_choices(table: PreparedTable, column: str, top_k: int = 50) -> dict[str, Any]:
    """What a filter widget should offer: ``{"kind": "range", "min", "max"}`` for
    numbers, ``{"kind": "values", "values": [...most frequent first]}`` otherwise."""
    _require_columns(table, [column])
    series = table.frame[column]
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = numeric_values(table, column)
        finite = values[np.isfinite(values)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (None, None)
        return {"kind": "range", "min": low, "max": high}
    codes, values = value_codes(table, column)
    counts = np.bincount(codes[codes >= 0], minlength=len(values))
    order = np.argsort(-counts, kind="stable")[:top_k]
    return {"kind": "values", "values": [values[i] for i in order if counts[i] > 0]}


# --- export ----------------------------------------------------------------------------


_FORMULA_FIRST_BYTES = np.frombuffer(b"=+-@\t\r", dtype=np.uint8)


def _starts_like_a_formula(column):
    """Per cell: does the text start with one of = + - @ tab CR ?
    Read straight from each Arrow chunk's offsets and bytes (all ASCII, so the
    first byte decides): ~3x faster than Arrow's regex kernel on 1M cells."""
    import pyarrow as pa

    chunks = []
    for chunk in column.chunks:
        n = len(chunk)
        if n == 0:
            continue
        _, offsets_buf, data_buf = chunk.buffers()
        wide = pa.types.is_large_string(chunk.type)
        offsets = np.frombuffer(offsets_buf, dtype=np.int64 if wide else np.int32)[chunk.offset:chunk.offset + n + 1]
        starts = offsets[:-1]
        nonempty = offsets[1:] > starts
        first = np.zeros(n, dtype=np.uint8)
        if data_buf is not None and nonempty.any():
            first[nonempty] = np.frombuffer(data_buf, dtype=np.uint8)[starts[nonempty]]
        risky = np.isin(first, _FORMULA_FIRST_BYTES) & nonempty
        if chunk.null_count:
            risky &= chunk.is_valid().to_numpy(zero_copy_only=False)
        chunks.append(pa.array(risky, type=pa.bool_()))
    return pa.chunked_array(chunks, type=pa.bool_())


def _arrow_export_column(column, escape_formulas: bool):
    """Dictionary (categorical) columns decoded to strings; formula-like text quoted."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if escape_formulas and (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        risky = _starts_like_a_formula(column)
        if pc.any(risky).as_py():
            quote = pa.scalar("'", type=column.type)
            column = pc.if_else(risky, pc.binary_join_element_wise(quote, column, pa.scalar("", type=column.type)), column)
    return column


def to_csv_bytes(frame: pd.DataFrame, escape_formulas: bool = True) -> bytes:
    """UTF-8 CSV of ``frame`` (e.g. ``table.frame[mask]``) with a header row.

    ``escape_formulas`` (default on) defuses CSV injection: text cells that start
    with = + - @ (or a tab / carriage return) get a leading apostrophe, so a
    spreadsheet shows them as text. Done in Arrow, row slices written in parallel.
    """
    import pyarrow as pa

    data = frame.copy(deep=False)
    data.columns = [str(c) for c in data.columns]
    try:
        table = pa.Table.from_pandas(data, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        # Cells Arrow cannot type (dicts, lists, mixed objects) are written as their text.
        for column in data.columns:
            if data[column].dtype == object:
                data[column] = data[column].map(str, na_action="ignore").astype("string")
        table = pa.Table.from_pandas(data, preserve_index=False)
    table = pa.table([_arrow_export_column(col, escape_formulas) for col in table.columns], names=table.column_names)
    return _write_csv_parallel(table)


_ROWS_PER_CSV_PART = 100_000


def _write_csv_parallel(table) -> bytes:
    """Arrow's CSV writer is single-threaded and number formatting dominates it, but
    it releases the GIL: write row slices in threads (only the first with the
    header) and join them. Byte-for-byte the same as one ``write_csv`` (test)."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow as pa
    import pyarrow.csv as pacsv

    def write(part, header: bool):
        sink = pa.BufferOutputStream()
        pacsv.write_csv(part, sink, write_options=pacsv.WriteOptions(include_header=header))
        return sink.getvalue()

    workers = min(os.cpu_count() or 1, 8, max(1, table.num_rows // _ROWS_PER_CSV_PART))
    if workers <= 1:
        return write(table, True).to_pybytes()
    step = -(-table.num_rows // workers)
    parts = [table.slice(i * step, step) for i in range(workers)]
    with ThreadPoolExecutor(workers) as pool:
        written = list(pool.map(write, parts, [True] + [False] * (workers - 1)))
    return b"".join(written)  # Arrow buffers are bytes-like: one copy
