"""Streamlit helpers for the "beyond the W&B UI" pages (the run/table pickers and the
column mapping are ``wbview.ui.page``'s): the eval runs, the positive class, cached
analyses keyed by the table's reference, the dataset a run was scored on, CSV downloads. Analysis itself lives
in ``wbview.analysis``; pure helpers in ``wbview.analysis.selection``."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import streamlit as st

from wbview.analysis import rows, slices
from wbview.analysis import selection as views
from wbview.analysis import threshold as th
from wbview.analysis.compare import RunDiff, diff_runs
from wbview.analysis.memo import RecentResults
from wbview.analysis.prepare import PreparedTable, can_switch_positive, one_vs_rest, prepare, with_positive_class
from wbview.analysis.review import Link, RunInput, build_review
from wbview.analysis.stacking import stack_tables, trained_with
from wbview.charts import threshold as threshold_charts
from wbview.charts.style import VegaChart
from wbview.errors import BadTable, NotFound, WbviewError
from wbview.records import ArtifactVersion, Run, TableRef
from wbview.report.html import render_html
from wbview.schema import detect_schema
from wbview.ui import loaders, page, url_state
from wbview.ui.errors import guard
from wbview.ui.text import md_escape

Mapping_ = tuple[tuple[str, str | None], ...]
T = TypeVar("T")


def eval_runs(ctx: page.PageContext) -> list[Run]:
    """The project's runs that logged tables; stops the page with a message when none did."""
    with guard():
        runs = views.eval_runs(loaders.runs(ctx.spec, ctx.project))
    if not runs:
        st.info(
            f"No run in {md_escape(ctx.project)} logged an eval table. Log one with the companion library "
            "(`wbview.companion.log_eval_table`, see the README) and reload."
        )
        st.stop()
    return runs


def _prepared_with_positive(spec: str, project: str, ref: TableRef, mapping: Mapping_, positive: str) -> PreparedTable:
    def compute() -> PreparedTable:
        detected = loaders.prepared(spec, project, ref, mapping)
        if can_switch_positive(detected):  # only the outcome changes: no second pass over the raw table
            return with_positive_class(detected, positive)
        frame = loaders.table(spec, project, ref).frame
        schema = detect_schema(frame.columns).with_mapping(dict(mapping))  # the raw table's roles, not the derived ones
        return prepare(frame, schema, positive_class=positive)

    return loaders.in_table_family(
        spec, project, ref, ("positive", mapping, positive), compute, "Preparing the table for another positive class…"
    )


def _one_vs_rest(spec: str, project: str, ref: TableRef, mapping: Mapping_, positive: str) -> PreparedTable:
    return loaders.in_table_family(
        spec,
        project,
        ref,
        ("one-vs-rest", mapping, positive),
        lambda: one_vs_rest(loaders.prepared(spec, project, ref, mapping), positive),
        "Setting one class against the rest…",
    )


def prepared(ctx: page.PageContext, ref: TableRef, mapping: Mapping_, positive: str | None = None) -> PreparedTable:
    """The prepared table, with ``positive`` as positive class when it differs from the detected one
    (for a multi-class table: that class against the rest)."""
    with guard():
        table = _table(ctx.spec, ctx.project, ref, mapping, positive)
    return table


def pick_positive(table: PreparedTable, key: str = "positive") -> str | None:
    """Positive-class selector for binary tables (default: the detected one), bound to the URL."""
    if not table.is_binary:
        return None
    classes = list(table.classes)
    default = classes.index(table.positive_class) if table.positive_class in classes else 0
    return st.selectbox("Positive class (the one to catch)", classes, index=default, key=key, bind="query-params")


def pick_one_class(table: PreparedTable, key: str = "positive") -> str | None:
    """For a multi-class table with probabilities: the class to set against the rest
    (bound to the URL); None for binary tables or when there are no probabilities."""
    if table.is_binary or not table.schema.probs:
        return None
    classes = [c for c in table.classes if any(c.casefold() == p.casefold() for p in table.schema.probs)]
    return st.selectbox(
        "One class against the rest",
        classes,
        key=key,
        bind="query-params",
        help=f"This table has {len(table.classes)} classes; the analysis treats the chosen class as "
        "positive and every other class as negative.",
    )


def require_binary(table: PreparedTable, what: str) -> None:
    if not table.is_binary:
        st.info(
            f"{what} needs a binary table (two classes); this one has {len(table.classes)}: "
            f"{md_escape(', '.join(map(str, table.classes)))}. Pick another table, or use Calibration and "
            "'Where errors concentrate', which work on any number of classes."
        )
        st.stop()


@st.cache_data(show_spinner=False, max_entries=64)
def _artifact_type(spec: str, project: str, name_version: str) -> str | None:
    try:
        return loaders.artifact(spec, project, name_version).type
    except Exception:  # noqa: BLE001 - an unreadable input artifact just does not count as a dataset
        return None


def scored_dataset(ctx: page.PageContext, run: Run) -> str | None:
    """The dataset artifact the run used (through lineage), or None when it records none."""
    used = loaders.run_artifacts(ctx.spec, ctx.project, run.id).used
    types = {art: _artifact_type(ctx.spec, ctx.project, art) or "" for art in used}
    return views.scored_dataset(used, types)


def model_of(ctx: page.PageContext, run: Run) -> str | None:
    """The model an eval run scored: its config (params.model), else the model artifact it used."""
    configured = views.model_from_config(run)
    if configured is not None:
        return configured
    used = loaders.run_artifacts(ctx.spec, ctx.project, run.id).used
    models = sorted(a for a in used if _artifact_type(ctx.spec, ctx.project, a) == "model")
    return " + ".join(models) or None


@st.cache_resource(show_spinner="Ranking slices…", max_entries=16)
def ranked_slices(
    spec: str,
    project: str,
    ref: TableRef,
    mapping: Mapping_,
    positive: str | None,
    target: slices.Target,
    min_rows: int,
    include_outputs: bool = True,
) -> pd.DataFrame:
    table = _table(spec, project, ref, mapping, positive)
    return slices.rank_slices(table, target=target, min_rows=min_rows, include_outputs=include_outputs)


@st.cache_resource(show_spinner="Counting n-grams…", max_entries=16)
def ranked_ngrams(
    spec: str, project: str, ref: TableRef, mapping: Mapping_, positive: str | None, target: slices.Target, min_rows: int
) -> pd.DataFrame:
    table = _table(spec, project, ref, mapping, positive)
    return slices.rank_ngrams(table, target=target, min_rows=min_rows)


@st.cache_resource(show_spinner="Growing the error tree…", max_entries=16)
def error_tree(
    spec: str, project: str, ref: TableRef, mapping: Mapping_, positive: str | None, target: slices.Target, max_depth: int
) -> slices.ErrorTree:
    table = _table(spec, project, ref, mapping, positive)
    return slices.error_tree(table, target=target, max_depth=max_depth)


@st.cache_resource(show_spinner="Matching the samples of both runs…", max_entries=8)
def run_diff(spec: str, project: str, ref_a: TableRef, ref_b: TableRef, mapping: Mapping_, on: str | None) -> RunDiff:
    """``compare.diff_runs`` of two tables (cached: joining a million rows takes a moment)."""
    a, b = loaders.prepared(spec, project, ref_a, mapping), loaders.prepared(spec, project, ref_b, mapping)
    return diff_runs(a, b, on=on)


def _artifact_or_none(spec: str, project: str, name_version: str) -> ArtifactVersion | None:
    try:
        return loaders.artifact(spec, project, name_version)
    except NotFound:  # a deleted input just breaks that lineage link
        return None


def artifact_metadata(ctx: page.PageContext, name_version: str | None) -> dict[str, Any]:
    """The metadata of an artifact (e.g. the predictions artifact holding a table); {} when
    there is none or it cannot be read (the caller falls back to what the table shows)."""
    if not name_version:
        return {}
    try:
        found = _artifact_or_none(ctx.spec, ctx.project, name_version)
    except WbviewError:  # metadata is a hint here: never block the page on it
        return {}
    return dict(found.metadata) if found is not None else {}


@st.cache_data(ttl=loaders.TTL_S, show_spinner="Following lineage to the training runs…", max_entries=256)
def training_params(spec: str, project: str, run_id: str) -> dict[str, Any]:
    """``train.<key>`` params of the run that trained the model this eval run used, via
    lineage (eval run -> used model artifact -> its producing run); cached per run."""
    used = loaders.run_artifacts(spec, project, run_id).used
    artifacts = {art: _artifact_or_none(spec, project, art) for art in used}
    by_id = {r.id: r for r in loaders.runs(spec, project)}
    producers = {a.logged_by: by_id[a.logged_by] for a in artifacts.values() if a is not None and a.logged_by in by_id}
    return trained_with(used, artifacts, producers)


@st.cache_resource(show_spinner="Stacking the tables…", max_entries=4)
def stacked_tables(spec: str, project: str, run_ids: tuple[str, ...], table_key: str) -> pd.DataFrame:
    """The eval tables (logged under ``table_key``) of these runs, stacked with run and
    config columns and the training run's params (``train.*``, joined through lineage)."""
    by_id = {r.id: r for r in loaders.runs(spec, project)}
    runs = [by_id[i] for i in run_ids if i in by_id]
    frames = {}
    for run in runs:
        ref = views.table_for_key(run, table_key)
        if ref is not None:  # the prepared table other pages already cached: no second prepare of 1M rows
            try:
                frames[run.id] = loaders.prepared(spec, project, ref)
            except BadTable as exc:
                raise BadTable(f"Run {views.short_label(run)!r}: {exc}") from exc
    joined = {views.short_label(r): training_params(spec, project, r.id) for r in runs if r.id in frames}
    return stack_tables(views.stack_inputs(runs, frames), joined=joined)


@st.cache_resource(show_spinner="Finding the rows that change outcome…", max_entries=8)
def outcome_changes(
    spec: str, project: str, ref: TableRef, mapping: Mapping_, positive: str | None, threshold: float
) -> th.OutcomeChanges:
    """What changes outcome from the logged predictions to ``threshold``: counts and the
    first rows shown (cached per threshold, shared by every session)."""
    return th.outcome_change_summary(_table(spec, project, ref, mapping, positive), threshold, first=views.MAX_SHOWN_ROWS)


THRESHOLD_CHARTS_KEPT = 16  # per table: recent (costs, threshold) charts


def threshold_chart(
    table: PreparedTable, curve: pd.DataFrame, chosen: float, logged: float | None, fn_cost: float, fp_cost: float
) -> VegaChart:
    """The threshold curve chart (``curve`` is ``th.threshold_curve(table, fn_cost, fp_cost)``)
    at ``chosen``, built once per costs and thresholds and shared by every session: people who
    follow one link at one threshold do not each thin the curve and build the chart."""

    def build() -> VegaChart:
        position = views.curve_position(curve, chosen)
        return threshold_charts.threshold_chart(views.thin_rows(curve, views.MAX_CURVE_POINTS, keep=[position]), chosen, logged)

    recent = table.memo.get(("threshold_chart",), lambda: RecentResults(THRESHOLD_CHARTS_KEPT))
    return recent.get((fn_cost, fp_cost, chosen, logged), build)


def outcome_changes_csv(
    spec: str, project: str, ref: TableRef, mapping: Mapping_, positive: str | None, threshold: float
) -> Callable[[], bytes]:
    """Every row that changes outcome, as CSV, built only when the button is clicked."""
    return held_weakly(
        _table(spec, project, ref, mapping, positive), lambda table: rows.to_csv_bytes(th.outcome_changes(table, threshold))
    )


def _table(spec: str, project: str, ref: TableRef, mapping: Mapping_, positive: str | None) -> PreparedTable:
    table = loaders.prepared(spec, project, ref, mapping)
    if positive and positive in table.classes:
        if table.is_binary and positive != table.positive_class:
            table = _prepared_with_positive(spec, project, ref, mapping, positive)
        elif not table.is_binary and table.schema.probs:
            table = _one_vs_rest(spec, project, ref, mapping, positive)
    return table


def show_rows(frame: pd.DataFrame, file_stem: str, key: str, caption: str = "") -> None:
    """Up to MAX_SHOWN_ROWS rows as a table (text cells stay text) and a CSV of all of them."""
    show_first_rows(frame.head(views.MAX_SHOWN_ROWS), len(frame), held_weakly(frame, rows.to_csv_bytes), file_stem, key, caption)


def show_masked_rows(frame: pd.DataFrame, mask: np.ndarray, file_stem: str, key: str, caption: str = "") -> None:
    """``show_rows(frame[mask])`` without taking every masked row: only the rows shown are
    taken from the table (a slice of a million-row table can hold 100,000 rows, text and
    all); the CSV button takes them all when clicked."""
    positions = np.flatnonzero(mask)
    first = frame.iloc[positions[: views.MAX_SHOWN_ROWS]]
    show_first_rows(first, len(positions), masked_csv(frame, positions), file_stem, key, caption)


def masked_csv(frame: pd.DataFrame, positions: np.ndarray) -> Callable[[], bytes]:
    """The CSV of ``frame``'s rows at ``positions``, built when called (``frame`` held weakly)."""
    return held_weakly(frame, lambda whole: rows.to_csv_bytes(whole.iloc[positions]))


def show_first_rows(
    first: pd.DataFrame, total: int, csv: Callable[[], bytes], file_stem: str, key: str, caption: str = ""
) -> None:
    """The first rows of ``total`` as a table (at most MAX_SHOWN_ROWS, long cells cut) and a
    button for the CSV of all of them, which ``csv`` builds when clicked."""
    shown = min(total, len(first), views.MAX_SHOWN_ROWS)
    st.caption(f"{caption}{total:,} rows" + (f" (showing the first {shown:,})." if shown < total else "."))
    st.dataframe(views.for_display(first), hide_index=True, key=f"{key}_table")
    _csv_button(csv, file_stem, key, disabled=total == 0)


UNLOADED = (
    "wbview: the data behind this download was dropped from the server's memory after the page "
    "was drawn (other tables were opened since). Reload the page and download again.\n"
)


def held_weakly(value: T, build: Callable[[T], bytes]) -> Callable[[], bytes]:
    """``build(value)`` when called, holding ``value`` weakly: a session that keeps a download
    button (Streamlit keeps a closed tab's session for minutes) does not keep a table alive
    that the shared cache has dropped. If it is gone, the file says so."""
    ref = weakref.ref(value)

    def make() -> bytes:
        current = ref()
        return UNLOADED.encode("utf-8") if current is None else build(current)

    return make


def download_csv(frame: pd.DataFrame, file_stem: str, key: str, label: str = "Download as CSV") -> None:
    """A CSV download built only when clicked (spreadsheet formulas escaped)."""
    _csv_button(held_weakly(frame, rows.to_csv_bytes), file_stem, key, label, disabled=frame.empty)


def _csv_button(
    csv: Callable[[], bytes], file_stem: str, key: str, label: str = "Download as CSV", disabled: bool = False
) -> None:
    st.download_button(label, data=csv, file_name=f"{file_stem}.csv", mime="text/csv", key=f"{key}_csv", disabled=disabled)


def file_stem(*parts: Any) -> str:
    """A safe download file name from run ids and table keys."""
    return "-".join(str(p).replace("/", "-").replace(" ", "_") for p in parts if p)


Side = tuple[Run, TableRef, PreparedTable]
MAX_REVIEW_RUNS = 5  # runs in a review of a multi-run page (the first is the baseline of the comparison)


def _review_input(ctx: page.PageContext, run: Run, ref: TableRef, table: PreparedTable) -> RunInput:
    """One run's side of a review: the table on screen, its dataset and artifacts (lineage)."""
    try:
        lineage = loaders.run_artifacts(ctx.spec, ctx.project, run.id)
        names: tuple[str, ...] = (*lineage.used, *lineage.logged)
        dataset = scored_dataset(ctx, run)
    except WbviewError:  # no lineage: the review says no artifact could be checked
        names, dataset = (), None
    artifacts = {}
    for name in names:
        try:
            found = _artifact_or_none(ctx.spec, ctx.project, name)
        except WbviewError:
            continue
        if found is not None:
            artifacts[name] = (found.type, dict(found.metadata))
    try:
        marks = tuple(ctx.source.load_marks(ctx.project, ref))
    except WbviewError:  # the page already said why; the review goes on without them
        marks = ()
    return RunInput(
        label=f"{ctx.project}/{run.id}",
        table=table,
        table_key=ref.key,
        artifact=ref.artifact,
        total_rows=ref.nrows,
        truncated=bool(ref.nrows and ref.nrows > table.n_rows),
        dataset=dataset,
        artifacts=artifacts,
        marks=marks,
    )


def view_url() -> str:
    """The address of the page as it is now (every widget is in its query parameters), as the
    browser's address bar shows it at the end of the run."""
    query = url_state.link_query()
    return str(st.context.url or "") + ("?" + query if query else "")


def review_html(
    ctx: page.PageContext,
    sides: Sequence[Side],
    url: str,
    threshold: float | None = None,
    fn_cost: float = 1.0,
    fp_cost: float = 1.0,
) -> bytes:
    """The review file (``wbview report``'s) of the first side, the others compared against it."""
    runs = [_review_input(ctx, run, ref, table) for run, ref, table in sides]
    review = build_review(
        runs, threshold=threshold, fn_cost=fn_cost, fp_cost=fp_cost, links=[Link("This view in the dashboard", url)]
    )
    return render_html(review).encode("utf-8")


def download_review(
    ctx: page.PageContext,
    sides: Sequence[Side] | Callable[[], Sequence[Side]],
    threshold: float | None = None,
    fn_cost: float = 1.0,
    fp_cost: float = 1.0,
    name: Sequence[Any] = (),
) -> None:
    """A sidebar button that downloads this view as one self-contained HTML review (built
    only when clicked), with the link that reopens the view. ``sides`` may be a function
    (pages that do not prepare each table on screen prepare them only on click); the file
    is then named from ``name``."""
    url = view_url()
    if callable(sides):
        make: Callable[[], bytes] = lambda: review_html(ctx, sides(), url, threshold, fn_cost, fp_cost)  # noqa: E731 - built on click
    else:
        # The tables are held weakly (see held_weakly): a kept button must not keep them in memory.
        weak = [(run, ref, weakref.ref(table)) for run, ref, table in sides]

        def make() -> bytes:
            held = [(run, ref, table()) for run, ref, table in weak]
            alive = [(run, ref, table) for run, ref, table in held if table is not None]
            if len(alive) < len(held):
                return UNLOADED.encode("utf-8")
            return review_html(ctx, alive, url, threshold, fn_cost, fp_cost)

        if not name:
            run, ref, _ = sides[0]
            name = (run.id, ref.key)
    st.sidebar.download_button(
        "Download this review",
        data=make,
        file_name=f"{file_stem('review', *name)}.html",
        mime="text/html",
        key="review_download",
        icon=":material/download:",
        help="One HTML file with this view's analyses; opens offline, from disk.",
    )
