"""Selecting rows: full-text search, per-column filters in the same vocabulary as run
filters (``COLUMN OP VALUE`` with the operators of ``wbview.filters``, the same text in
the URL), and CSV export of the current rows.

Text from the data is untrusted: it is only ever matched as data (substring or a
user-given regular expression), never evaluated, and CSV export neutralises cells
that a spreadsheet would run as formulas.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from wbview.analysis.columns import column_kind, numeric_values, value_codes
from wbview.analysis.prepare import PreparedTable
from wbview.errors import BadFilter
from wbview.filters import QUERY_PARAM, Op, format_condition, split_condition

_OPS: tuple[Op, ...] = ("=", "!=", ">", ">=", "<", "<=", "in", "not in")
_COMPARISONS = (">", ">=", "<", "<=")


# --- search -------------------------------------------------------------------------


def default_search_columns(table: PreparedTable) -> list[str]:
    """Every free-text column (the one the model saw first: a search for "P.S." must also
    find it in the full text), else every string-like column."""
    texts = [c for c in table.frame.columns if c != table.schema.text and column_kind(table, c) == "text"]
    if table.schema.text is not None:
        return [table.schema.text, *texts]
    if texts:
        return texts
    return [
        c
        for c in table.frame.columns
        if column_kind(table, c) in ("text", "categorical") and not pd.api.types.is_bool_dtype(table.frame[c])
    ]


def _compile(pattern: str, regex: bool) -> re.Pattern | None:
    if not regex:
        return None
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise BadFilter(
            f"The search {pattern!r} is not a valid regular expression ({exc}). "
            "Fix it, or switch regex off to search for the literal text."
        ) from exc


# RE2 (Arrow) and Python's re agree on ASCII text without control characters for
# patterns without Python-only or RE2-only syntax; other rows and patterns use Python's re.
_RE2_UNSAFE_PATTERN = re.compile(r"[^\x20-\x7e]|\[:|\{,|\\[BZuUNx0-9pPQEzC]|\(\?(?!:|P<|[ims]+[:)])")
_NOT_PLAIN_TEXT = r"[^\t\x20-\x7e]"


def _plain_rows(table: PreparedTable, column: str, data) -> np.ndarray:
    """True per row whose text is printable ASCII (or tab) only, cached per column."""
    import pyarrow.compute as pc

    return table.memo.get(
        ("plain_text", column),
        lambda: ~pc.match_substring_regex(data, _NOT_PLAIN_TEXT).fill_null(True).to_numpy(zero_copy_only=False),
    )


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
            mask |= (
                fast
                if fast is not None
                else _contains(series.astype("string") if series.dtype == object else series, query, regex)
            )
    return mask


# --- column filters --------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnFilter:
    """One condition on one column, in the run filters' vocabulary: ``=``/``!=`` one
    value, ``in``/``not in`` a tuple of values, or a comparison with a number."""

    column: str
    op: Op
    value: Any

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            raise BadFilter(f"Unknown filter operator {self.op!r}; use one of {' '.join(_OPS)}.")
        if self.op in ("in", "not in") and not isinstance(self.value, tuple):
            raise BadFilter(f"An {self.op!r} filter on {self.column!r} takes a list of values.")

    def to_text(self) -> str:
        """``COLUMN OP VALUE`` as ``wbview runs --filter`` writes conditions (URL-safe once encoded)."""
        return format_condition(self.column, self.op, self.value)

    @classmethod
    def from_text(cls, text: str) -> ColumnFilter:
        column, op, value = split_condition(text)
        return cls(column, op, value)


def range_filters(column: str, low: float | None, high: float | None) -> tuple[ColumnFilter, ...]:
    """A range widget's choice as conditions (an open end adds none)."""
    bounds: tuple[tuple[Op, float | None], ...] = ((">=", low), ("<=", high))
    return tuple(ColumnFilter(column, op, bound) for op, bound in bounds if bound is not None)


@dataclass(frozen=True)
class RowQuery:
    """Everything that selects rows on the error-analysis page; URL-serialisable."""

    filters: tuple[ColumnFilter, ...] = ()
    search: str = ""
    regex: bool = False
    search_columns: tuple[str, ...] | None = None

    def to_params(self) -> dict[str, list[str]]:
        """Query-string parameters: ``f`` (one condition each), ``q``, ``regex``, ``in``."""
        params: dict[str, list[str]] = {}
        if self.filters:
            params[QUERY_PARAM] = [f.to_text() for f in self.filters]
        if self.search:
            params["q"] = [self.search]
        if self.regex:
            params["regex"] = ["1"]
        if self.search_columns is not None:
            params["in"] = [json.dumps(list(self.search_columns), separators=(",", ":"))]
        return params

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> RowQuery:
        def values(key: str) -> list[str]:
            raw = params.get(key, [])
            return [raw] if isinstance(raw, str) else list(raw)

        filters = tuple(ColumnFilter.from_text(s) for s in values(QUERY_PARAM))
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
    """Boolean row mask for one column filter. As for runs, ``=``, ``in`` and comparisons
    never match a missing value; ``!=`` and ``not in`` do."""
    _require_columns(table, [condition.column])
    column, op = condition.column, condition.op
    if op in _COMPARISONS:
        bound = _as_number(condition.value, column)
        values = numeric_values(table, column)
        with np.errstate(invalid="ignore"):
            compared = {">": values > bound, ">=": values >= bound, "<": values < bound, "<=": values <= bound}[op]
        return np.isfinite(values) & compared
    wanted = condition.value if op in ("in", "not in") else (condition.value,)
    hits = _value_mask(table, column, wanted)
    return ~hits if op in ("!=", "not in") else hits


def _value_mask(table: PreparedTable, column: str, wanted: tuple[Any, ...]) -> np.ndarray:
    series = table.frame[column]
    if pd.api.types.is_bool_dtype(series):
        flags = {_as_bool_value(v, column) for v in wanted}
        return series.isin(flags).to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(series):
        wanted_numbers = [_as_number(v, column) for v in wanted]
        return np.isin(numeric_values(table, column), wanted_numbers)
    codes, values = value_codes(table, column)
    wanted_text = {str(v) for v in wanted}
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
    codes, labels = value_codes(table, column)
    counts = np.bincount(codes[codes >= 0], minlength=len(labels))
    order = np.argsort(-counts, kind="stable")[:top_k]
    return {"kind": "values", "values": [labels[i] for i in order if counts[i] > 0]}


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
        offsets: np.ndarray = np.frombuffer(offsets_buf, dtype=np.int64 if wide else np.int32)[
            chunk.offset : chunk.offset + n + 1
        ]
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


def neutralise_formula(text: str) -> str:
    """``text`` with a leading apostrophe when it starts with = + - @ tab or CR (OWASP's
    advice against CSV injection), so a spreadsheet shows it as text."""
    return "'" + text if text[:1] and text[0] in _FORMULA_FIRST_CHARS else text


_FORMULA_FIRST_CHARS = _FORMULA_FIRST_BYTES.tobytes().decode("ascii")


def _json_default(value: Any) -> Any:
    tolist = getattr(value, "tolist", None)  # numpy arrays and scalars (lists read back from Parquet)
    return tolist() if callable(tolist) else str(value)


def nested_as_text(value: Any) -> Any:
    """A dict, list, tuple or array cell as JSON text; other values unchanged."""
    if isinstance(value, (dict, list, tuple, np.ndarray)):
        return json.dumps(value, default=_json_default, ensure_ascii=False)
    return value


def _is_nested(arrow_type) -> bool:
    import pyarrow as pa

    return pa.types.is_nested(arrow_type) or (pa.types.is_dictionary(arrow_type) and pa.types.is_nested(arrow_type.value_type))


def to_csv_bytes(frame: pd.DataFrame, escape_formulas: bool = True) -> bytes:
    """UTF-8 CSV of ``frame`` (e.g. ``table.frame[mask]``) with a header row.

    ``escape_formulas`` (default on) defuses CSV injection: text cells and column names
    that start with = + - @ (or a tab / carriage return) get a leading apostrophe, so a
    spreadsheet shows them as text. Nested cells (dicts, lists) are written as JSON
    text. Done in Arrow, row slices written in parallel.
    """
    import pyarrow as pa

    data = frame.copy(deep=False)
    names = [str(c) for c in data.columns]
    data.columns = names
    try:
        table = pa.Table.from_pandas(data, preserve_index=False)
        nested = [name for name, field in zip(names, table.schema, strict=True) if _is_nested(field.type)]
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        # Cells Arrow cannot type (mixed objects) are written as their text.
        table, nested = None, [c for c in names if data[c].dtype == object]
    if table is None or nested:
        for column in nested:
            data[column] = data[column].map(lambda v: str(nested_as_text(v)), na_action="ignore").astype("string")
        table = pa.Table.from_pandas(data, preserve_index=False)
    headers = [neutralise_formula(n) for n in names] if escape_formulas else names
    table = pa.table([_arrow_export_column(col, escape_formulas) for col in table.columns], names=headers)
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
