"""A review of one run's eval table (and optionally others against it), as plain data:
sections of blocks (text, key figures, small tables, bar and line charts) that a renderer
turns into a file (``wbview.report.html``). Every number comes from the analysis modules
(outcomes, groups, slices, threshold, calibration, compare, metadata, label_noise); this
module only picks what a review shows and caps the sample rows. Pure: no streamlit, no wandb.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Union
from urllib.parse import urlencode

import numpy as np
import pandas as pd

from wbview.analysis import marks as marks_model
from wbview.analysis.prepare import PreparedTable
from wbview.errors import WbviewError
from wbview.formats.marks import Mark

MAX_SAMPLE_ROWS = 200  # sample rows per section, at most
MAX_TEXT_CHARS = 300  # a cell's text is cut to this many characters
MAX_HISTOGRAM_COLUMNS = 8
TOP_SLICES = 20


@dataclass(frozen=True)
class Text:
    text: str
    kind: str = "text"  # "text", "warning" or "note"


@dataclass(frozen=True)
class Figures:
    """Key figures: label -> value, shown side by side."""

    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class TableBlock:
    caption: str
    frame: pd.DataFrame
    total_rows: int | None = None  # rows before the cap, when the frame is a sample
    heat: bool = False  # shade numeric cells by value (a confusion matrix)


@dataclass(frozen=True)
class BarChart:
    """Grouped bars: one bar per (category, series)."""

    title: str
    categories: tuple[str, ...]
    series: tuple[tuple[str, tuple[float, ...]], ...]
    y_label: str = "rows"


@dataclass(frozen=True)
class LineChart:
    """Lines over a shared x axis in [x_min, x_max]; ``marker``: a vertical line at x."""

    title: str
    x_label: str
    y_label: str
    series: tuple[tuple[str, tuple[float, ...], tuple[float, ...]], ...]
    marker: tuple[str, float] | None = None
    diagonal: bool = False  # draw y = x (a reliability diagram)


@dataclass(frozen=True)
class Link:
    label: str
    url: str


Block = Union[Text, Figures, TableBlock, BarChart, LineChart, Link]


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class RunInput:
    """One run's side of a review: the prepared table and what is known about where it came from."""

    label: str  # ENTITY/PROJECT/RUN_ID (or a name)
    table: PreparedTable
    table_key: str = ""
    artifact: str = ""
    total_rows: int | None = None
    truncated: bool = False
    dataset: str | None = None  # the dataset version the run scored, through lineage
    artifacts: Mapping[str, tuple[str, Mapping[str, Any]]] = field(default_factory=dict)  # id -> (type, metadata)
    marks: tuple[Mark, ...] = ()  # triage marks saved on the table (every save)


@dataclass(frozen=True)
class Review:
    title: str
    sections: tuple[Section, ...]
    notes: tuple[str, ...] = ()


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if not np.isfinite(number):
            return "" if np.isnan(number) else str(number)
        if number.is_integer() and abs(number) >= 1:  # counts and costs: 38,640, not 3.864e+04
            return f"{int(number):,}"
        return f"{number:.4g}"
    text = str(value)
    return text if len(text) <= MAX_TEXT_CHARS else text[:MAX_TEXT_CHARS] + "…"


def display_frame(frame: pd.DataFrame, limit: int = MAX_SAMPLE_ROWS) -> pd.DataFrame:
    """At most ``limit`` rows, every cell as display text (numbers formatted, long text cut)."""
    head = frame.head(limit)
    return pd.DataFrame({str(c): [_fmt(v) for v in head[c].tolist()] for c in head.columns}, index=range(len(head)))


def _guarded(title: str, build: Callable[[], Sequence[Block]]) -> tuple[Block, ...]:
    """The section's blocks, or one warning saying why this table cannot have it."""
    try:
        return tuple(build())
    except WbviewError as exc:
        return (Text(f"{title}: not available for this table. {exc}", "warning"),)


def _sample_columns(table: PreparedTable) -> list[str]:
    """The columns a sample row shows: id, text, labels, confidence, then the rest (up to 8)."""
    schema = table.schema
    first = [getattr(schema, role, None) for role in ("id", "text", "true_label", "predicted_label", "confidence")]
    chosen = [c for c in first if isinstance(c, str) and c in table.frame.columns]
    rest = [c for c in table.frame.columns if c not in chosen and c not in table.derived]
    return list(dict.fromkeys(chosen + rest))[:8]


def per_class_metrics(confusion: pd.DataFrame) -> pd.DataFrame:
    """Precision, recall, F1 and support per class, from a confusion matrix of counts."""
    counts = confusion.to_numpy(dtype=float)
    tp = np.diag(counts)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(counts.sum(axis=0) > 0, tp / counts.sum(axis=0), np.nan)
        recall = np.where(counts.sum(axis=1) > 0, tp / counts.sum(axis=1), np.nan)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), np.nan)
    return pd.DataFrame(
        {
            "class": list(map(str, confusion.index)),
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "support": counts.sum(axis=1).astype(np.int64),
        }
    )


def _headline(run: RunInput) -> list[Block]:
    from wbview.analysis.outcomes import confusion_matrix

    table = run.table
    labelled = table.labelled()
    errors = int(np.count_nonzero(table.is_error() & labelled))
    scored = int(np.count_nonzero(labelled))
    items = [
        ("rows", _fmt(table.n_rows)),
        ("labelled", _fmt(scored)),
        ("errors", _fmt(errors)),
        ("accuracy", _fmt(1 - errors / scored if scored else float("nan"))),
        ("error rate", _fmt(errors / scored if scored else float("nan"))),
    ]
    if run.total_rows is not None and run.truncated:
        items.append(("logged rows", _fmt(run.total_rows)))
    blocks: list[Block] = [
        Text(run.label + (f": table {run.table_key}" if run.table_key else "") + ", predictions as logged", "note"),
        Figures(tuple(items)),
    ]
    if run.truncated:
        blocks.append(
            Text(
                f"The table was truncated when logged: {table.n_rows:,} of {run.total_rows or 0:,} rows are reviewed.", "warning"
            )
        )
    per_class = per_class_metrics(confusion_matrix(table))
    blocks.append(TableBlock("Per class", display_frame(per_class)))
    return blocks


def _confusion(table: PreparedTable) -> list[Block]:
    from wbview.analysis.outcomes import confusion_matrix

    counts = confusion_matrix(table)
    shares = confusion_matrix(table, normalize="true")
    named = counts.rename_axis(index=None, columns=None).reset_index(names="true \\ predicted")
    share_named = shares.rename_axis(index=None, columns=None).reset_index(names="true \\ predicted")
    return [
        TableBlock("Counts (rows: true class, columns: predicted class)", display_frame(named), heat=True),
        TableBlock("Share of each true class", display_frame(share_named), heat=True),
    ]


def _histograms(table: PreparedTable) -> list[Block]:
    from wbview.analysis.groups import group_histograms

    roles = table.schema
    skipped = {roles.id, roles.is_error, roles.outcome, *table.derived}
    columns = [c for c in table.frame.columns if c not in skipped]
    grouped = group_histograms(table, columns=columns[:MAX_HISTOGRAM_COLUMNS])
    sizes = ", ".join(f"{label}: {n:,}" for label, n in grouped.group_sizes.items())
    blocks: list[Block] = [
        Text(f"Rows grouped by {grouped.by!r} ({sizes}); each column's values per group, shares within the group.")
    ]
    for column, hist in grouped.histograms.items():
        counts = hist.counts
        totals = counts.sum(axis=0).replace(0, 1)
        shares = counts / totals
        title = f"{column}" + (" (text length)" if hist.kind == "text_length" else "")
        blocks.append(
            BarChart(
                title,
                tuple(map(str, counts.index)),
                tuple((str(g), tuple(float(v) for v in shares[g])) for g in counts.columns),
                y_label="share of group",
            )
        )
    return blocks


def _false_negatives(table: PreparedTable) -> list[Block]:
    from wbview.analysis.label_noise import LABEL_QUALITY, LIKELY_MISLABELLED, label_issues, likely_mislabelled_rows
    from wbview.analysis.outcomes import false_negative_mask, false_negative_rows, false_negative_summary

    summary = false_negative_summary(table)
    blocks: list[Block] = [
        Figures(
            (
                ("positive class", summary.positive_class),
                ("false negatives", _fmt(summary.false_negatives)),
                ("false positives", _fmt(summary.false_positives)),
                ("actual positives", _fmt(summary.actual_positives)),
                ("FN rate", _fmt(summary.fn_rate)),
                ("FN share of errors", _fmt(summary.fn_share_of_errors)),
            )
        )
    ]
    columns = _sample_columns(table)
    fn_mask = false_negative_mask(table)
    try:
        flagged = np.asarray(label_issues(table).likely_mislabelled, dtype=bool)
    except WbviewError as exc:
        blocks.append(Text(f"Likely label errors not computed: {exc}", "note"))
        flagged = np.zeros(table.n_rows, dtype=bool)
    model_errors = false_negative_rows(table, rows=~flagged)
    blocks.append(
        TableBlock(
            "Missed positives that look like real model errors, most confident first",
            display_frame(model_errors[columns]),
            total_rows=len(model_errors),
        )
    )
    if flagged.any():
        noisy = likely_mislabelled_rows(table, rows=fn_mask)
        blocks.append(
            TableBlock(
                f"Missed positives whose label is likely wrong ({LIKELY_MISLABELLED}, lowest label "
                "quality first): check the label before blaming the model",
                display_frame(noisy[[*columns, LABEL_QUALITY]]),
                total_rows=len(noisy),
            )
        )
    return blocks


def _slices(table: PreparedTable) -> list[Block]:
    from wbview.analysis.slices import rank_slices

    ranked = rank_slices(table, include_outputs=False).head(TOP_SLICES)
    shown = ranked[["feature", "slice", "rows", "hits", "rate", "rate_low", "rate_high", "lift", "lift_low"]]
    shown = shown.rename(columns={"hits": "errors", "rate": "error rate", "rate_low": "95% low", "rate_high": "95% high"})
    return [
        Text(
            "Input slices ranked by the lower Wilson bound of their error rate over the overall rate "
            "(slices under 30 rows left out)."
        ),
        TableBlock(f"Top {len(shown)} slices", display_frame(shown)),
    ]


def _threshold(table: PreparedTable, threshold: float | None, fn_cost: float, fp_cost: float) -> list[Block]:
    from wbview.analysis.threshold import cost_optimal_threshold, logged_threshold, operating_point, threshold_curve

    curve = threshold_curve(table, fn_cost=fn_cost, fp_cost=fp_cost)
    logged = logged_threshold(table)
    chosen = threshold if threshold is not None else (logged if logged is not None else 0.5)
    best = cost_optimal_threshold(curve)
    points = [
        ("chosen", operating_point(table, chosen, fn_cost, fp_cost)),
        ("cost-optimal", operating_point(table, float(best["threshold"]), fn_cost, fp_cost)),
    ]
    rows = pd.DataFrame(
        [
            {
                "point": name,
                "threshold": p.threshold,
                "TP": p.tp,
                "FP": p.fp,
                "FN": p.fn,
                "TN": p.tn,
                "precision": p.precision,
                "recall": p.recall,
                "FN rate": p.fn_rate,
                "FP rate": p.fp_rate,
                "cost": p.cost,
            }
            for name, p in points
        ]
    )
    step = max(1, len(curve) // 400)  # a few hundred points draw the curve
    sampled = curve.iloc[::step]
    x = tuple(float(v) for v in sampled["threshold"])
    source = (
        "given with --threshold"
        if threshold is not None
        else ("the logged predictions' threshold" if logged is not None else "0.5 (no single logged threshold)")
    )
    return [
        Text(
            f"Positive class {table.positive_class!r}; costs: a missed positive (FN) = {fn_cost:g}, a false "
            f"alarm (FP) = {fp_cost:g}. Chosen threshold {chosen:.4g}: {source}."
        ),
        TableBlock("Operating points", display_frame(rows)),
        LineChart(
            "Precision and recall by threshold",
            "threshold",
            "rate",
            (
                ("precision", x, tuple(float(v) for v in sampled["precision"])),
                ("recall", x, tuple(float(v) for v in sampled["recall"])),
            ),
            marker=("chosen", chosen),
        ),
        LineChart(
            "Expected cost per row by threshold",
            "threshold",
            "cost per row",
            (("expected cost", x, tuple(float(v) for v in sampled["expected_cost"])),),
            marker=("chosen", chosen),
        ),
    ]


def _calibration(table: PreparedTable) -> list[Block]:
    from wbview.analysis.calibration import calibration

    result = calibration(table)
    series = []
    for cls, bins in result.bins.groupby("class", sort=False):
        bins = bins[bins["rows"] > 0]
        series.append(
            (str(cls), tuple(float(v) for v in bins["mean_predicted"]), tuple(float(v) for v in bins["fraction_positive"]))
        )
    return [
        TableBlock("Expected calibration error (10 equal-width bins)", display_frame(result.ece)),
        LineChart(
            "Reliability: observed frequency against predicted probability",
            "predicted probability",
            "observed frequency",
            tuple(series),
            diagonal=True,
        ),
        TableBlock("Bins", display_frame(result.bins)),
    ]


def _compare(base: RunInput, other: RunInput) -> list[Block]:
    from wbview.analysis.compare import dataset_lineage_warning, diff_runs

    names = (base.label, other.label)
    warning = dataset_lineage_warning(base.dataset, other.dataset, names)
    blocks: list[Block] = [Figures((("dataset (A)", base.dataset or "unknown"), ("dataset (B)", other.dataset or "unknown")))]
    blocks.append(Text(warning, "warning") if warning else Text("Lineage: both runs scored the same dataset version.", "note"))
    diff = diff_runs(base.table, other.table, names=("A", "B"))
    blocks.append(TableBlock(f"Samples matched on {diff.key!r}: A = {base.label}, B = {other.label}", display_frame(diff.counts)))
    blocks.append(
        BarChart("Samples by status", tuple(diff.counts["status"]), (("rows", tuple(float(v) for v in diff.counts["rows"])),))
    )
    extra = [f"{diff.only_in_a:,} samples only in A", f"{diff.only_in_b:,} only in B"]
    if diff.duplicate_keys:
        extra.append(f"{diff.duplicate_keys:,} duplicate keys (matched by occurrence)")
    if diff.label_mismatches:
        extra.append(f"{diff.label_mismatches:,} matched samples with different true labels")
    blocks.append(Text("; ".join(extra) + "."))
    broken = diff.rows("newly broken")
    blocks.append(TableBlock("Newly broken samples (right in A, wrong in B)", display_frame(broken), len(broken)))
    fixed = diff.rows("fixed")
    blocks.append(TableBlock("Fixed samples (wrong in A, right in B)", display_frame(fixed), len(fixed)))
    return blocks


def _metadata(runs: Sequence[RunInput]) -> list[Block]:
    from wbview.analysis.metadata import completeness

    rows = []
    for run in runs:
        for artifact_id, (artifact_type, metadata) in run.artifacts.items():
            result = completeness(artifact_type, metadata)
            rows.append(
                {
                    "run": run.label,
                    "artifact": artifact_id,
                    "type": artifact_type,
                    "complete": "yes" if result.complete and result.checked else ("not checked" if not result.checked else "no"),
                    "missing": ", ".join(result.missing),
                    "message": result.message(),
                }
            )
    if not rows:
        return [Text("No artifacts are recorded for these runs (no lineage), so no metadata could be checked.", "warning")]
    return [TableBlock("Essential metadata of the artifacts each run used and logged", display_frame(pd.DataFrame(rows)))]


def _marks(run: RunInput) -> list[Block]:
    """Rows per tag, and the marked rows with their marks (capped)."""
    table = run.table
    counts = marks_model.tag_counts(run.marks)
    shown = marks_model.current(run.marks)
    blocks: list[Block] = [
        Figures(tuple((tag, f"{n:,}") for tag, n in counts.items())),
        Text(
            f"{len(shown):,} marks shown (the latest of each author on each row) from {len(run.marks):,} saved; "
            "every save is kept."
        ),
    ]
    note = marks_model.key_note(table)
    if note:
        blocks.append(Text(note, "note"))
    marked = marks_model.mark_mask(table, run.marks, which="marked")
    column = marks_model.marks_column(table, run.marks)
    columns = [c for c in (table.schema.id, table.schema.text, table.schema.true_label, table.schema.predicted_label) if c]
    rows = table.frame.loc[marked, columns]
    rows.insert(0, marks_model.MARKS_COLUMN, column[marked])
    blocks.append(TableBlock("Marked rows", display_frame(rows), total_rows=len(rows)))
    missing = marks_model.unplaced(table, run.marks)
    if missing:
        blocks.append(Text(f"{len(missing):,} marks name rows that are not in this table.", "note"))
    return blocks


def live_link(
    app_url: str,
    source_spec: str | None,
    project: str | None,
    run_id: str | None,
    table: str | None = None,
    run_b: str | None = None,
    table_b: str | None = None,
    threshold: float | None = None,
    fn_cost: float | None = None,
    page: str = "error_analysis",
) -> str:
    """The dashboard address that reopens this view (``?source=...&project=...&run=...``)."""
    params = {
        "source": source_spec,
        "project": project,
        "run": run_id,
        "table": table,
        "run_b": run_b,
        "table_b": table_b,
        "fn_cost": None if fn_cost is None else f"{fn_cost:g}",
        "point": None if threshold is None else "custom",
        "t": None if threshold is None else f"{threshold:g}",
    }
    query = urlencode({k: v for k, v in params.items() if v})
    return f"{app_url.rstrip('/')}/{page}?{query}"


def build_review(
    runs: Sequence[RunInput],
    threshold: float | None = None,
    fn_cost: float = 1.0,
    fp_cost: float = 1.0,
    links: Sequence[Link] = (),
    title: str | None = None,
) -> Review:
    """The review of ``runs[0]``'s table; every further run is compared against it."""
    if not runs:
        raise ValueError("A review needs at least one run.")
    base = runs[0]
    table = base.table
    headline: list[Block] = []
    for run in runs:
        headline.extend(_guarded("Headline metrics", partial(_headline, run)))
    sections = [
        Section("headline", "Headline metrics", tuple(headline)),
        Section("confusion", "Confusion matrix", _guarded("The confusion matrix", lambda: _confusion(table))),
        Section(
            "groups",
            "Errors against the rest, column by column",
            _guarded("Group-by-error histograms", lambda: _histograms(table)),
        ),
        Section("false-negatives", "False-negative focus", _guarded("False-negative focus", lambda: _false_negatives(table))),
        Section("slices", "Where errors concentrate", _guarded("Slices", lambda: _slices(table))),
        Section(
            "threshold",
            "Threshold and cost",
            _guarded("Threshold analysis", lambda: _threshold(table, threshold, fn_cost, fp_cost)),
        ),
        Section("calibration", "Calibration", _guarded("Calibration", lambda: _calibration(table))),
    ]
    if base.marks:
        sections.append(Section("marks", "Triage marks", _guarded("Triage marks", lambda: _marks(base))))
    if len(runs) > 1:
        blocks: list[Block] = []
        for other in runs[1:]:
            blocks.append(Text(f"A = {base.label}  vs  B = {other.label}", "note"))
            blocks.extend(_guarded("Run against run", partial(_compare, base, other)))
        sections.append(Section("compare", "Run against run", tuple(blocks)))
    sections.append(Section("metadata", "Metadata completeness", tuple(_metadata(runs))))
    sources = [
        Text(
            f"{run.label}: "
            + (f"table {run.table_key} from {run.artifact}, " if run.table_key else "")
            + f"{run.table.n_rows:,} rows"
            + (f" of {run.total_rows:,} logged" if run.truncated and run.total_rows else "")
        )
        for run in runs
    ]
    sections.append(Section("live", "Reopen this view live", (*links, *sources)))
    notes = tuple(dict.fromkeys(note for run in runs for note in run.table.notes))
    return Review(title or f"Review of {base.label}", tuple(sections), notes)
