"""Runs as a table: flattened config and summary columns, filter widgets chosen from
the values present, and the conversion between widget choices and the one filter
vocabulary (``wbview.filters.RunFilter``) that the source evaluates (W&B on its
server). Pure (pandas only)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from numbers import Number
from typing import Any, Literal

import pandas as pd

from wbview.filters import ATTRIBUTE_FIELDS as _ATTRIBUTE_FIELDS
from wbview.filters import Condition, RunFilter, RunOrder
from wbview.records import Run

BASE_COLUMNS = ("id", "name", "state", "job_type", "group", "tags", "created_at")
ATTRIBUTE_FILTERS = ("job_type", "group", "state", "tags")
GROUPABLE = ("group", "job_type")
SUMMARY_PREFIX = "summary."
MAX_CATEGORY_OPTIONS = 200  # beyond this many distinct values a multiselect is useless

FilterKind = Literal["categorical", "numeric", "tags"]


def _cell(value: Any) -> Any:
    """A value a DataFrame column (and pyarrow) can hold: scalars stay, the rest becomes text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Number):
        return float(value)  # type: ignore[arg-type]  # typeshed Number has no __float__; a Real check would change complex
    return str(value)


def _config_column(path: str) -> str:
    return f"config.{path}" if path in BASE_COLUMNS or path.startswith(SUMMARY_PREFIX) else path


def _leaves(mapping: Mapping[str, Any], keys: tuple[str, ...] = ()) -> Iterable[tuple[tuple[str, ...], Any]]:
    for key, value in mapping.items():
        path = (*keys, str(key))
        if isinstance(value, Mapping) and value:
            yield from _leaves(value, path)
        else:
            yield path, value


FilterPath = tuple[Literal["config", "summary"], tuple[str, ...]]
PATHS_ATTR = "filter_paths"  # frame.attrs entry: column -> (field, key path) for filtering


def runs_frame(runs: Iterable[Run]) -> pd.DataFrame:
    """One row per run: run attributes, flattened config (``params.lr``) and summary
    (``summary.eval/f1``) columns; keys starting with ``_`` are W&B internals and dropped.
    ``frame.attrs["filter_paths"]`` maps each config/summary column to its key path (a
    key may itself contain a dot, so the column name alone is ambiguous)."""
    rows = []
    paths: dict[str, FilterPath] = {}
    for run in runs:
        row: dict[str, Any] = {
            "id": run.id,
            "name": run.name,
            "state": run.state,
            "job_type": run.job_type,
            "group": run.group,
            "tags": ", ".join(run.tags),
            "created_at": run.created_at,
            "url": run.url,
        }
        for keys, value in _leaves(run.config):
            path = ".".join(keys)
            if not path.startswith("_"):
                column = _config_column(path)
                row[column] = _cell(value)
                paths.setdefault(column, ("config", keys))
        for keys, value in _leaves(run.summary):
            key = ".".join(keys)
            if not key.startswith("_"):
                row[SUMMARY_PREFIX + key] = _cell(value)
                paths.setdefault(SUMMARY_PREFIX + key, ("summary", keys))
        rows.append(row)
    frame = pd.DataFrame(rows, columns=None if rows else [*BASE_COLUMNS, "url"])
    frame.attrs[PATHS_ATTR] = paths
    return frame


def config_columns(frame: pd.DataFrame) -> list[str]:
    """Flattened config columns (params.*, meta.*, then any other config keys)."""
    skip = {*BASE_COLUMNS, "url"}
    cols = [c for c in frame.columns if c not in skip and not c.startswith(SUMMARY_PREFIX)]
    return sorted(cols, key=lambda c: (not c.startswith("params."), not c.startswith("meta."), c))


def summary_columns(frame: pd.DataFrame) -> list[str]:
    return sorted(c for c in frame.columns if c.startswith(SUMMARY_PREFIX))


def _is_number(value: Any) -> bool:
    return isinstance(value, Number) and not isinstance(value, bool) and not (isinstance(value, float) and math.isnan(value))


def numeric_columns(frame: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    """Columns whose present values are all numbers (booleans are categories)."""
    out = []
    for col in columns:
        values = [v for v in frame[col].tolist() if v is not None and not (isinstance(v, float) and math.isnan(v))]
        if values and all(_is_number(v) for v in values):
            out.append(col)
    return out


@dataclass(frozen=True)
class FilterSpec:
    """Which widget filters a column: a multiselect over ``options`` or a range ``low..high``."""

    column: str
    kind: FilterKind
    options: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    path: FilterPath | None = None  # config/summary columns: where the value lives in a run
    values: tuple[Any, ...] = ()  # categorical: the value each option stands for

    @property
    def key(self) -> str:
        """Widget key (the URL holds the filter itself, in the filter text syntax)."""
        return "f." + self.column

    def to_filter(self, choice: Any) -> RunFilter:
        """The widget's choice as a RunFilter (empty when it does not narrow anything)."""
        if not choice:
            return RunFilter()
        if self.kind == "numeric":
            low, high = choice
            assert self.path is not None and self.low is not None and self.high is not None
            conditions = []
            if low > self.low:
                conditions.append(Condition(self.path[0], self.path[1], ">=", _number(low)))
            if high < self.high:
                conditions.append(Condition(self.path[0], self.path[1], "<=", _number(high)))
            return RunFilter(conditions=tuple(conditions))
        if self.kind == "tags":
            return RunFilter(tags_any=tuple(str(c) for c in choice))
        by_option = dict(zip(self.options, self.values, strict=False))
        picked = tuple(by_option[c] for c in choice if c in by_option)
        if self.column in _ATTRIBUTE_FIELDS:
            return RunFilter().with_attribute(_ATTRIBUTE_FIELDS[self.column], tuple(str(v) for v in picked))
        assert self.path is not None
        return RunFilter(conditions=(Condition(self.path[0], self.path[1], "in", picked),))

    def choice_from(self, run_filter: RunFilter) -> tuple[Any, RunFilter]:
        """The widget choice that ``run_filter`` expresses for this column, and the rest of
        the filter (what this widget cannot show)."""
        if self.kind == "tags":
            return list(run_filter.tags_any), replace(run_filter, tags_any=())
        if self.column in _ATTRIBUTE_FIELDS:
            field = _ATTRIBUTE_FIELDS[self.column]
            wanted = getattr(run_filter, field)
            if not set(wanted) <= {str(v) for v in self.values}:
                return [], run_filter  # a value no run has: kept (and shown) as a condition of the link
            return [o for o, v in zip(self.options, self.values, strict=True) if str(v) in wanted], run_filter.with_attribute(
                field, ()
            )
        mine = [c for c in run_filter.conditions if self.path is not None and (c.field, c.keys) == self.path]
        rest = replace(run_filter, conditions=tuple(c for c in run_filter.conditions if c not in mine))
        if self.kind == "numeric":
            assert self.low is not None and self.high is not None
            low, high = self.low, self.high
            for c in mine:
                if c.op == ">=" and isinstance(c.value, (int, float)):
                    low = max(low, float(c.value))
                elif c.op == "<=" and isinstance(c.value, (int, float)):
                    high = min(high, float(c.value))
                else:
                    return (self.low, self.high), run_filter  # not a range this widget can show
            return (low, high), rest
        if len(mine) != 1 or mine[0].op not in ("in", "="):
            return [], run_filter  # none, or not one set of values this widget can show: kept as a condition
        condition = mine[0]
        wanted = condition.value if condition.op == "in" else (condition.value,)
        if not all(w in self.values for w in wanted):
            return [], run_filter  # a value no run has: kept (and shown) as a condition of the link
        return [o for o, v in zip(self.options, self.values, strict=True) if v in wanted], rest


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _number(value: Any) -> int | float:
    number = float(value)
    return int(number) if number.is_integer() else number


def _category_text(value: Any) -> str:
    return "(none)" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def filter_spec(frame: pd.DataFrame, column: str) -> FilterSpec | None:
    """The widget for one column, or None when the column cannot narrow anything. A
    category offers the values present (W&B's semantics: choosing values never matches
    a run without the key, so there is no "(none)" choice)."""
    if column not in frame.columns or frame.empty:
        return None
    path = frame.attrs.get(PATHS_ATTR, {}).get(column)
    if column == "tags":
        tags = sorted({t.strip() for cell in frame["tags"].dropna() for t in str(cell).split(",") if t.strip()})
        return FilterSpec(column, "tags", tuple(tags)) if tags else None
    if column not in _ATTRIBUTE_FIELDS and path is None:
        return None  # not a run attribute, config or summary value: nothing to filter on
    if numeric_columns(frame, [column]) and path is not None:
        values = pd.to_numeric(frame[column], errors="coerce").dropna()
        low, high = float(values.min()), float(values.max())
        return FilterSpec(column, "numeric", low=low, high=high, path=path) if low < high else None
    present = {_category_text(v): v for v in frame[column].tolist() if not _is_missing(v)}
    options = sorted(present)
    if not present or len(options) + (frame[column].map(_is_missing).any()) < 2 or len(options) > MAX_CATEGORY_OPTIONS:
        return None
    return FilterSpec(column, "categorical", tuple(options), path=path, values=tuple(present[o] for o in options))


def filter_specs(frame: pd.DataFrame, columns: Iterable[str] | None = None) -> list[FilterSpec]:
    """Widgets for the run attributes, every config column and every summary column with choices."""
    if columns is None:
        columns = [*ATTRIBUTE_FILTERS, *config_columns(frame), *summary_columns(frame)]
    specs = (filter_spec(frame, col) for col in columns)
    return [s for s in specs if s is not None]


def run_filter(specs: Sequence[FilterSpec], chosen: Mapping[str, Any]) -> RunFilter:
    """The widgets' choices as one RunFilter (the same vocabulary as the CLI's --filter)."""
    combined = RunFilter()
    for spec in specs:
        combined = combined.merge(spec.to_filter(chosen.get(spec.key)))
    return combined


def choices_from(specs: Sequence[FilterSpec], run_filter: RunFilter) -> tuple[dict[str, Any], RunFilter]:
    """Widget choices that show ``run_filter``, and what no widget can show (still applied)."""
    chosen: dict[str, Any] = {}
    rest = run_filter
    for spec in specs:
        choice, rest = spec.choice_from(rest)
        if choice and (spec.kind != "numeric" or tuple(choice) != (spec.low, spec.high)):
            chosen[spec.key] = choice
    return chosen, rest


def varying_params(frame: pd.DataFrame) -> list[str]:
    """params.* columns that every run has and that differ between runs (parallel-coordinate axes)."""
    return [
        c
        for c in config_columns(frame)
        if c.startswith("params.") and frame[c].notna().all() and frame[c].astype(str).nunique() > 1
    ]


COUNTER_KEYS = frozenset({"epoch", "step", "global_step", "_step", "_runtime", "_timestamp"})
_QUALITY_LEAVES = ("f1", "roc_auc", "accuracy", "precision", "recall", "auc", "loss")


def _metric_rank(name: str) -> int:
    """0 eval/f1, 1 other eval/* quality metrics, 2 any *loss, 3 other metrics, 4 counters."""
    key = name[len(SUMMARY_PREFIX) :] if name.startswith(SUMMARY_PREFIX) else name
    leaf = key.rsplit("/", 1)[-1]
    if key.startswith("_") or key in COUNTER_KEYS or leaf in COUNTER_KEYS:
        return 4
    if key == "eval/f1":
        return 0
    if key.startswith("eval/") and leaf in _QUALITY_LEAVES:
        return 1
    return 2 if key.endswith("loss") else 3


def default_metric(metrics: Sequence[str]) -> str | None:
    """The metric a review starts from: eval/f1, else another eval/* quality metric, else a
    loss, else the first that is not a step counter. Works on summary.* or history keys."""
    if not metrics:
        return None
    return min(metrics, key=_metric_rank)  # min is stable: the first of the best rank


def parallel_axes(frame: pd.DataFrame, metric: str | None) -> tuple[pd.DataFrame, list[str]]:
    """The runs that have ``metric`` and the params.* that vary among them. Train and eval runs
    both report eval/* metrics but share few params; when the scored runs mix job types, the
    job type whose runs have the most varying params is kept (ties: the one with more runs)."""
    if metric is None or metric not in frame.columns:
        return frame.iloc[:0], []
    scored = frame[frame[metric].notna()]
    best = (scored, varying_params(scored))
    if "job_type" in scored.columns and scored["job_type"].map(_category_text).nunique() > 1:
        for _, runs in scored.groupby(scored["job_type"].map(_category_text), sort=True):
            params = varying_params(runs)
            if (len(params), len(runs)) > (len(best[1]), len(best[0])):
                best = (runs, params)
    return best


def runs_with_history(
    run_ids: Sequence[str], load: Callable[[str], pd.DataFrame], want: int = 5, scan: int = 20
) -> dict[str, pd.DataFrame]:
    """Histories of the first ``want`` runs (of the first ``scan``) that logged any metric
    beyond step counters: eval or data runs that only set a summary have none to draw."""
    found: dict[str, pd.DataFrame] = {}
    for run_id in list(run_ids)[:scan]:
        history = load(run_id)
        if len(history) and any(_metric_rank(c) < 4 for c in history.columns):
            found[run_id] = history
            if len(found) >= want:
                break
    return found


def group_table(frame: pd.DataFrame, by: str, metrics: Sequence[str]) -> pd.DataFrame:
    """One row per value of ``by`` (group or job_type): run count and the mean of each metric."""
    keyed = frame.assign(**{by: frame[by].map(_category_text)})
    grouped = keyed.groupby(by, sort=True)
    table = grouped.size().rename("runs").to_frame()
    for metric in metrics:
        table[f"mean {metric}"] = grouped[metric].apply(lambda s: pd.to_numeric(s, errors="coerce").mean())
    return table.reset_index()


def display_columns(frame: pd.DataFrame) -> list[str]:
    """Column order for the runs table: attributes, config, summary (the URL is its own column)."""
    base = [c for c in BASE_COLUMNS if c in frame.columns]
    return [*base, *config_columns(frame), *summary_columns(frame)]


def _present(series: pd.Series) -> pd.Series:
    """True where a cell holds a value (not None/NaN/empty text)."""
    return series.notna() & (series.astype(str) != "")


def non_empty_columns(frame: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    """The columns with at least one value in ``frame`` (an eval-only filter hides train-only params)."""
    return [c for c in columns if c in frame.columns and bool(_present(frame[c]).any())]


def varying_columns(frame: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    """The columns whose present values differ between the rows (what tells the runs apart)."""
    return [c for c in columns if frame[c][_present(frame[c])].astype(str).nunique() > 1]


def lower_is_better(metric: str) -> bool:
    """Losses and error rates rank ascending; every other metric descending."""
    name = metric.lower()
    return any(word in name for word in ("loss", "error", "err_rate", "fnr", "fpr", "ece", "mae", "mse", "rmse"))


def best_first(frame: pd.DataFrame, column: str | None) -> RunOrder:
    """The order that ranks runs best first by a column of ``runs_frame`` (losses and error
    rates lowest first), for the source to sort by; newest first when there is no column."""
    if column is None:
        return RunOrder()
    path = frame.attrs.get(PATHS_ATTR, {}).get(column)
    if path is None:
        return replace(RunOrder.parse(column), descending=not lower_is_better(column))
    return RunOrder(path[0], tuple(path[1]), descending=not lower_is_better(column))


def leaderboard(frame: pd.DataFrame, metric: str | None) -> tuple[pd.DataFrame, list[str]]:
    """The runs as a leaderboard: rows best first by ``metric`` (runs without it last) and
    the column order name, id, the metric, the params that differ between these runs, the
    other metrics, the run attributes, then the remaining config; empty columns left out."""
    lead = [metric] if metric is not None and metric in frame.columns else []
    for column in lead:
        frame = frame.sort_values(column, ascending=lower_is_better(column), na_position="last", kind="stable")
    config = non_empty_columns(frame, config_columns(frame))
    differing = varying_columns(frame, config)
    params_first = [c for c in differing if c.startswith("params.")] + [c for c in differing if not c.startswith("params.")]
    metrics = [c for c in non_empty_columns(frame, summary_columns(frame)) if c != metric]
    attributes = non_empty_columns(frame, [c for c in BASE_COLUMNS if c not in ("id", "name")])
    order = ["name", "id", *lead, *params_first, *metrics, *attributes, *[c for c in config if c not in differing]]
    return frame, list(dict.fromkeys(order))
