"""Runs as a table: flattened config and summary columns, filter widgets chosen from
the values present, client-side filtering and grouping. Pure (pandas only)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Number
from typing import Any, Callable, Iterable, Literal, Mapping, Sequence

import pandas as pd

from wbview.records import Run, flatten

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
        return float(value)  # type: ignore[arg-type]
    return str(value)


def _config_column(path: str) -> str:
    return f"config.{path}" if path in BASE_COLUMNS or path.startswith(SUMMARY_PREFIX) else path


def runs_frame(runs: Iterable[Run]) -> pd.DataFrame:
    """One row per run: run attributes, flattened config (``params.lr``) and summary
    (``summary.eval/f1``) columns; keys starting with ``_`` are W&B internals and dropped."""
    rows = []
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
        for path, value in flatten(run.config).items():
            if not path.startswith("_"):
                row[_config_column(path)] = _cell(value)
        for key, value in flatten(run.summary).items():
            if not key.startswith("_"):
                row[SUMMARY_PREFIX + key] = _cell(value)
        rows.append(row)
    frame = pd.DataFrame(rows, columns=None if rows else [*BASE_COLUMNS, "url"])
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

    @property
    def key(self) -> str:
        """Widget key and URL parameter name."""
        return "f." + self.column


def _category_text(value: Any) -> str:
    return "(none)" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def filter_spec(frame: pd.DataFrame, column: str) -> FilterSpec | None:
    """The widget for one column, or None when the column cannot narrow anything."""
    if column not in frame.columns or frame.empty:
        return None
    if column == "tags":
        tags = sorted({t.strip() for cell in frame["tags"].dropna() for t in str(cell).split(",") if t.strip()})
        return FilterSpec(column, "tags", tuple(tags)) if tags else None
    if numeric_columns(frame, [column]):
        values = pd.to_numeric(frame[column], errors="coerce").dropna()
        low, high = float(values.min()), float(values.max())
        return FilterSpec(column, "numeric", low=low, high=high) if low < high else None
    options = sorted({_category_text(v) for v in frame[column].tolist()})
    if len(options) < 2 or len(options) > MAX_CATEGORY_OPTIONS:
        return None
    return FilterSpec(column, "categorical", tuple(options))


def filter_specs(frame: pd.DataFrame, columns: Iterable[str] | None = None) -> list[FilterSpec]:
    """Widgets for the run attributes, every config column and every summary column with choices."""
    if columns is None:
        columns = [*ATTRIBUTE_FILTERS, *config_columns(frame), *summary_columns(frame)]
    specs = (filter_spec(frame, col) for col in columns)
    return [s for s in specs if s is not None]


def apply_filters(frame: pd.DataFrame, specs: Sequence[FilterSpec], chosen: Mapping[str, Any]) -> pd.DataFrame:
    """Rows matching every chosen value. ``chosen`` maps a spec key to a list of options
    (categorical, tags: any of) or a (low, high) tuple (numeric, inclusive). Empty or
    full-range choices do not filter; a narrowed range drops runs without the value."""
    mask = pd.Series(True, index=frame.index)
    for spec in specs:
        value = chosen.get(spec.key)
        if not value:
            continue
        if spec.kind == "numeric":
            low, high = value
            if low <= spec.low and high >= spec.high:  # type: ignore[operator]
                continue
            numbers = pd.to_numeric(frame[spec.column], errors="coerce")
            mask &= numbers.between(low, high)
        elif spec.kind == "tags":
            wanted = set(value)
            mask &= frame["tags"].fillna("").map(lambda cell: bool(wanted & {t.strip() for t in str(cell).split(",")}))
        else:
            wanted = {str(v) for v in value}
            mask &= frame[spec.column].map(_category_text).isin(wanted)
    return frame[mask]


def varying_params(frame: pd.DataFrame) -> list[str]:
    """params.* columns that every run has and that differ between runs (parallel-coordinate axes)."""
    return [c for c in config_columns(frame)
            if c.startswith("params.") and frame[c].notna().all() and frame[c].astype(str).nunique() > 1]


COUNTER_KEYS = frozenset({"epoch", "step", "global_step", "_step", "_runtime", "_timestamp"})
_QUALITY_LEAVES = ("f1", "roc_auc", "accuracy", "precision", "recall", "auc", "loss")


def _metric_rank(name: str) -> int:
    """0 eval/f1, 1 other eval/* quality metrics, 2 any *loss, 3 other metrics, 4 counters."""
    key = name[len(SUMMARY_PREFIX):] if name.startswith(SUMMARY_PREFIX) else name
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


def runs_with_history(run_ids: Sequence[str], load: Callable[[str], pd.DataFrame], want: int = 5,
                      scan: int = 20) -> dict[str, pd.DataFrame]:
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
    order = ["name", "id", *lead, *params_first, *metrics, *attributes,
             *[c for c in config if c not in differing]]
    return frame, list(dict.fromkeys(order))
