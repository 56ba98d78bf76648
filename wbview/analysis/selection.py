"""Pure helpers behind the "beyond the W&B UI" pages (threshold and cost, calibration,
where errors concentrate, run against run, stacked tables): which runs and tables
to offer, which dataset a run was scored on, and how to thin big results for the
browser. pandas only; no streamlit, no wandb."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from wbview.records import Run, TableRef

DATASET_TYPE = "dataset"
MAX_SHOWN_ROWS = 1_000  # rows sent to the browser per table (a grid shows ~20 at a time); CSV exports hold all
MAX_STACKED_RUNS = 20  # tables loaded per stack by default: each may hold a million rows
MAX_STACK_CAP = 500  # the most a user may ask to stack at once
MAX_CURVE_POINTS = 500  # points per threshold chart: 500 evenly spaced thresholds draw the same curve as 2,000 on a 1,400 px chart, and redraw at each move in a quarter of the time
MAX_SHOWN_CHARS = 2_000  # characters per table cell sent to the browser; the store and CSV keep every one
MAX_FULL_TEXT_CHARS = 100_000  # characters of one row's text shown "in full"


def eval_runs(runs: Iterable[Run]) -> list[Run]:
    """The runs that logged at least one table (the ones these pages can analyse)."""
    return [r for r in runs if r.tables]


def table_name(ref: TableRef) -> str:
    """How a table is named in pickers and in the URL: ``artifact/entry``."""
    return f"{ref.artifact}/{ref.entry}"


def table_for_key(run: Run, key: str | None) -> TableRef | None:
    """The run's table logged under ``key`` (e.g. "eval/predictions"), or None."""
    return next((t for t in run.tables if t.key == key), None)


def table_keys(runs: Iterable[Run]) -> list[str]:
    """Table keys across runs, most common first (the key to line runs up on)."""
    counts: dict[str, int] = {}
    for run in runs:
        for key in dict.fromkeys(t.key for t in run.tables):
            counts[key] = counts.get(key, 0) + 1
    return sorted(counts, key=lambda k: (-counts[k], k))


def input_datasets(used: Sequence[str], types: Mapping[str, str]) -> list[str]:
    """The used artifacts (``name:vN``) whose type is dataset, in the run's order."""
    return [art for art in used if types.get(art) == DATASET_TYPE]


def scored_dataset(used: Sequence[str], types: Mapping[str, str]) -> str | None:
    """The one dataset a run was scored on, for the lineage check: its single input
    dataset, or all of them joined (so two runs with the same inputs still match)."""
    datasets = input_datasets(used, types)
    if not datasets:
        return None
    return " + ".join(sorted(datasets))


NO_DATASET = "(none recorded)"
EVALUATION_COLUMNS = ["model version", "eval run", "run id", "dataset version(s)", "note"]


def model_evaluations(uses: Iterable[tuple[str, str, str, str | None]]) -> pd.DataFrame:
    """Which dataset version each eval run of a model scored, one row per (model, run).

    ``uses``: (model "name:vN", run label, run id, the dataset it scored as
    ``scored_dataset`` gives it, or None). "note" flags a run whose dataset is not the one
    most of that model's runs scored (ties: the first in order), so a reviewer sees at once
    which numbers were measured on other rows."""
    frame = pd.DataFrame(list(dict.fromkeys(uses)), columns=["model version", "eval run", "run id", "dataset version(s)"])
    frame["dataset version(s)"] = frame["dataset version(s)"].fillna(NO_DATASET)
    notes = []
    for model, dataset in zip(frame["model version"], frame["dataset version(s)"], strict=True):
        scored = frame.loc[frame["model version"] == model, "dataset version(s)"]
        usual = scored.value_counts(sort=True).index[0] if scored.nunique() > 1 else dataset
        notes.append("" if dataset == usual else f"other data than the model's other eval runs ({usual})")
    frame["note"] = notes
    return frame[EVALUATION_COLUMNS]


def model_dataset_warnings(evaluations: pd.DataFrame) -> list[str]:
    """One sentence per model whose eval runs did not all score the same dataset version."""
    warnings = []
    for model, runs in evaluations.groupby("model version", sort=False):
        by_dataset = runs.groupby("dataset version(s)", sort=False)["eval run"].apply(list)
        if len(by_dataset) < 2:
            continue
        parts = "; ".join(f"{dataset}: {', '.join(names)}" for dataset, names in by_dataset.items())
        warnings.append(
            f"The eval runs of {model} scored {len(by_dataset)} different dataset versions ({parts}); "
            "their metrics were not measured on the same rows."
        )
    return warnings


SCORE_KEYS = ("eval/f1", "eval/accuracy", "eval/roc_auc", "f1", "accuracy")


def run_score(run: Run) -> float | None:
    """The run's headline eval metric (eval/f1, else accuracy or ROC AUC), None when absent."""
    for key in SCORE_KEYS:
        value = run.summary.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value):
            return float(value)
    return None


def _by_time(runs: Iterable[Run]) -> list[Run]:
    """Oldest first; runs without a creation time count as oldest, ties keep their order."""
    return sorted(runs, key=lambda r: (r.created_at is not None, r.created_at or 0))


def default_eval_run(runs: Sequence[Run]) -> str | None:
    """The run an analysis page opens on: the best-scoring one (the model a review is
    about), the most recent of equal scores; the most recent when none reports a score."""
    ordered = _by_time(runs)
    if not ordered:
        return None
    scored = [r for r in ordered if run_score(r) is not None]
    if not scored:
        return ordered[-1].id
    best = max(run_score(r) for r in scored)  # type: ignore[type-var]  # scored: no None
    return [r for r in scored if run_score(r) == best][-1].id


BASELINE_TAG = "baseline"


def default_comparison(runs: Sequence[Run]) -> tuple[str | None, str | None]:
    """(A, B) for Run vs run: B (after) is the newest run, A (before) an older run tagged
    "baseline" when there is one, else the run just before B."""
    ordered = _by_time(runs)
    if not ordered:
        return None, None
    after, older = ordered[-1], ordered[:-1]
    if not older:
        return after.id, after.id
    baselines = [r for r in older if BASELINE_TAG in r.tags]
    return (baselines[-1] if baselines else older[-1]).id, after.id


def run_choice_label(run: Run) -> str:
    """How a run is offered in a picker (and found by typing): ``name (id)``."""
    return f"{run.name} ({run.id})" if run.name and run.name != run.id else run.id


def model_from_config(run: Run) -> str | None:
    """The model an eval run scored, as its config records it (params.model or model)."""
    config = run.flat_config()
    value = config.get("params.model", config.get("model"))
    return None if value is None else str(value)


def distinct_model_runs(runs: Sequence[Run], model_of: Callable[[Run], str | None], limit: int = 3) -> list[Run]:
    """A default comparison: the first run of each distinct model (two evals of one model
    draw the same curve), at most ``limit``, always including the weakest (lowest
    ``run_score``) so the comparison shows the spread. Runs without a known model count
    as their own model."""
    firsts: dict[str, Run] = {}
    for run in runs:
        firsts.setdefault(model_of(run) or f"run:{run.id}", run)
    distinct = list(firsts.values())
    picked = distinct[:limit]
    scored = [(score, r) for r in distinct if (score := run_score(r)) is not None]
    if scored and limit > 0:
        weakest = min(scored, key=lambda pair: pair[0])[1]
        if weakest not in picked:
            picked = [*picked[: limit - 1], weakest]
    return picked


def thin_rows(frame: pd.DataFrame, max_rows: int, keep: Sequence[int] = ()) -> pd.DataFrame:
    """At most about ``max_rows`` evenly spaced rows, always including positions ``keep``
    (e.g. the chosen threshold's row) and the first and last row."""
    n = len(frame)
    if n <= max_rows:
        return frame
    picked = np.unique(
        np.r_[
            np.linspace(0, n - 1, max_rows).round().astype(np.int64), np.asarray([k for k in keep if 0 <= k < n], dtype=np.int64)
        ]
    )
    return frame.iloc[picked]


def curve_position(curve: pd.DataFrame, threshold: float) -> int:
    """Row of the threshold curve that applies at ``threshold`` (the highest curve
    threshold not above it: predicted positive means score >= threshold)."""
    thresholds = curve["threshold"].to_numpy()
    position = int(np.searchsorted(thresholds, threshold, side="right")) - 1
    return max(position, 0)


def config_columns_for(stacked: pd.DataFrame) -> list[str]:
    """Columns of a stacked frame to compare error rates by: run first, then config.*,
    then train.* (the params of the run that trained each eval run's model)."""
    return [c for c in stacked.columns if c == "run" or str(c).startswith(("config.", "train."))]


def short_label(run: Run) -> str:
    """A unique, readable run label for charts and stacked frames: ``name (id)``."""
    return f"{run.name} ({run.id})"


def format_threshold(threshold: float | None) -> str:
    """A threshold for reading: 4 significant digits; +inf means nothing is flagged."""
    if threshold is None:
        return "unknown"
    if np.isinf(threshold):
        return "∞ (flag nothing)"
    return f"{threshold:.4g}"


THRESHOLD_SUMMARY_KEYS = ("eval/threshold", "threshold")
THRESHOLD_CONFIG_KEYS = ("params.threshold", "threshold", "eval.threshold", "params.eval.threshold")


def _as_threshold(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if 0.0 <= float(value) <= 1.0 else None


def recorded_threshold(run: Run | None, metadata: Mapping | None = None) -> tuple[float | None, str]:
    """The decision threshold the run says it used, and where it was found: the predictions
    artifact's metadata "threshold", the run summary (eval/threshold), or its config
    (params.threshold); (None, "") when none is recorded (then infer it from the table)."""
    candidates = [((metadata or {}).get("threshold"), "the predictions artifact's metadata")]
    if run is not None:
        candidates += [(run.summary.get(k), f"the run summary ({k})") for k in THRESHOLD_SUMMARY_KEYS]
        config = run.flat_config()
        candidates += [(config.get(k), f"the run config ({k})") for k in THRESHOLD_CONFIG_KEYS]
    for value, source in candidates:
        threshold = _as_threshold(value)
        if threshold is not None:
            return threshold, source
    return None, ""


def _fmt(value: float, fmt: str) -> str:
    return "–" if value is None or not np.isfinite(value) else fmt.format(value)


def operating_metrics(point, before=None) -> list[tuple[str, str, str | None]]:
    """(label, value, change against ``before`` or None) for the metric row of an
    operating point (``wbview.analysis.threshold.OperatingPoint``). Rate changes are in
    percentage points with two decimals (a small move must not read "+0.0%")."""
    rows = [
        ("Precision", "precision", "{:.1%}", "{:+.2f} pp"),
        ("Recall", "recall", "{:.1%}", "{:+.2f} pp"),
        ("FN rate", "fn_rate", "{:.1%}", "{:+.2f} pp"),
        ("FP rate", "fp_rate", "{:.1%}", "{:+.2f} pp"),
        ("Missed (FN)", "fn", "{:,.0f}", "{:+,.0f}"),
        ("Cost", "cost", "{:,.6g}", "{:+,.6g}"),
    ]
    out = []
    for label, attr, fmt, delta_fmt in rows:
        value = float(getattr(point, attr))
        scale = 100.0 if delta_fmt.endswith("pp") else 1.0
        delta = None if before is None else _fmt((value - float(getattr(before, attr))) * scale, delta_fmt)
        out.append((label, _fmt(value, fmt), delta))
    return out


RATE_COLUMNS = (
    "rate",
    "rate_low",
    "rate_high",
    "share_of_data",
    "share_of_hits",
    "coverage",
    "share",
    "error_rate",
    "error_rate_low",
    "error_rate_high",
    "share_of_errors",
    "precision",
    "recall",
    "fn_rate",
    "fp_rate",
)


def rate_columns(columns: Iterable[str]) -> dict[str, Any]:
    """Column formats for result tables: shares and rates as percentages, lifts with 2 decimals
    (plain dicts, the form ``st.dataframe(column_config=...)`` accepts)."""
    config: dict[str, dict] = {}
    for column in columns:
        if column in RATE_COLUMNS:
            config[column] = {"type_config": {"type": "number", "format": "percent"}}
        elif column in ("lift", "lift_low"):
            config[column] = {"type_config": {"type": "number", "format": "%.2f"}}
    return config


def slice_labels(ranked: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """ "feature = slice" -> (feature, slice) for the ranked slices, in rank order."""
    return {f"{row.feature} = {row.slice}": (str(row.feature), str(row.slice)) for row in ranked.itertuples()}


def cohort_label(node) -> str:
    """An error-tree cohort for a picker: its path and error rate."""
    return f"#{int(node.node)} {node.path or 'all rows'} ({node.rate:.1%} of {int(node.rows):,})"


def stack_inputs(runs: Sequence[Run], frames: Mapping[str, pd.DataFrame]) -> dict[str, tuple]:
    """``stacking.stack_tables`` input: label -> (frame, flat config, run fields), for the
    runs whose table was loaded (``frames`` keyed by run id)."""
    return {short_label(r): (frames[r.id], r.flat_config(), {"run_id": r.id, "run_name": r.name}) for r in runs if r.id in frames}


def clip_text(text: str, max_chars: int = MAX_FULL_TEXT_CHARS) -> str:
    """``text`` cut to ``max_chars`` characters, saying how many more there are."""
    if len(text) <= max_chars:
        return text
    return f"{text[:max_chars]}… ({len(text) - max_chars:,} more characters; the CSV export has them all)"


def for_display(frame: pd.DataFrame, max_rows: int = MAX_SHOWN_ROWS, max_chars: int = MAX_SHOWN_CHARS) -> pd.DataFrame:
    """The first ``max_rows`` rows with every text cell longer than ``max_chars`` cut (and
    marked), so one huge cell never goes to the browser whole. The frame itself (and so
    the store and every CSV export) keeps the full values; only this copy is cut."""
    shown = frame.head(max_rows)
    clipped: dict[int, pd.Series] = {}
    for position in range(shown.shape[1]):
        values = shown.iloc[:, position]
        if values.dtype != object and not isinstance(values.dtype, pd.StringDtype):
            continue
        if isinstance(values.dtype, pd.StringDtype):  # counted by Arrow or numpy, not a Python call per cell
            too_long = bool((values.str.len().fillna(0) > max_chars).any())
        else:
            too_long = bool((values.map(lambda v: len(v) if isinstance(v, str) else 0) > max_chars).any())
        if too_long:
            clipped[position] = values.map(lambda v: clip_text(v, max_chars) if isinstance(v, str) else v)
    if not clipped:
        return shown
    shown = shown.copy()
    for position, values in clipped.items():
        shown.isetitem(position, values)
    return shown
