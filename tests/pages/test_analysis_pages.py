"""The "beyond the W&B UI" pages through AppTest on the demo project (six eval runs of
the same test split, built small in memory): every number shown is checked against
the analysis functions on the same tables; URL state, lineage warnings and failures."""

from __future__ import annotations

import html
from datetime import UTC

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.conftest import DEMO_PROJECT
from tests.pages.pagetest import (
    APP,
    TIMEOUT_S,
    plotly_specs,
    problems,
    texts,
    unescape,
    vega_charts,
)
from wbview.analysis import calibration, compare, slices, stacking
from wbview.analysis import selection as views
from wbview.analysis import threshold as th
from wbview.analysis.prepare import prepare
from wbview.records import Run, RunArtifacts, TableRef
from wbview.sources.memory import MemorySource, ProjectData
from wbview.ui.source import register_source

MULTI_PROJECT = "acme/topics"
TOPICS = ("billing", "outage", "sales")


def _topic_run(run_id: str, minutes: int, lr: float) -> Run:
    from datetime import datetime, timedelta

    ref = TableRef(
        run_id=run_id,
        key="eval/predictions",
        artifact=f"run-{run_id}-evalpredictions:v0",
        entry="eval/predictions.table.json",
        nrows=400,
        stored_rows=400,
    )
    return Run(
        id=run_id,
        entity="acme",
        project="topics",
        name=f"exp-{run_id}-eval",
        job_type="eval",
        group="topics",
        created_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes),
        config={"params": {"lr": lr}},
        tables=(ref,),
    )


@pytest.fixture(scope="module")
def multi_project() -> ProjectData:
    """Three-class eval tables: m1 and m2 scored on topics:v0, m3 on no recorded
    dataset and without probability columns."""
    from tests.fixtures import build_eval_table
    from wbview.records import ArtifactVersion

    data = ProjectData()
    for i, (run_id, lr) in enumerate((("m1", 0.1), ("m2", 0.01), ("m3", 0.001))):
        run = _topic_run(run_id, i, lr)
        data.runs[run_id] = run
        frame = build_eval_table(400, seed=i, classes=TOPICS).drop(columns=["Outcome"])
        if run_id == "m3":
            frame = frame.drop(columns=[f"Prob ({c})" for c in TOPICS] + ["Confidence"])
        ref = run.tables[0]
        data.tables[(ref.artifact, ref.entry)] = frame
    data.artifacts["topics:v0"] = ArtifactVersion("acme", "topics", "topics", "v0", "dataset", used_by=("m1", "m2"))
    data.run_artifacts = {
        "m1": RunArtifacts("m1", used=("topics:v0",)),
        "m2": RunArtifacts("m2", used=("topics:v0",)),
        "m3": RunArtifacts("m3"),
    }
    return data


@pytest.fixture
def multi_spec(multi_project) -> str:
    return register_source("analysis-multi", MemorySource({MULTI_PROJECT: multi_project}, label="topics"))


def eval_run(demo: ProjectData, experiment: int) -> Run:
    return next(r for r in demo.runs.values() if r.job_type == "eval" and r.group == f"exp-{experiment:03d}")


def frame_of(demo: ProjectData, run: Run) -> pd.DataFrame:
    ref = run.tables[0]
    return demo.tables[(ref.artifact, ref.entry)]


def prepared(demo: ProjectData, run: Run):
    return prepare(frame_of(demo, run))


def open_direct(page: str, **params) -> AppTest:
    """Open ``pages/<page>.py`` as a deep link does: the first run is already on that page
    (``open_page`` starts on Runs, whose own ``run`` picker would consume ?run=)."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(f"pages/{page}.py")
    return at.run()


def open_analysis_page(page: str, spec: str, **params) -> AppTest:
    return open_direct(page, source=spec, project=DEMO_PROJECT, **params)


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def frame_with(at, column: str) -> pd.DataFrame:
    return next(df.value for df in at.dataframe if column in df.value.columns)


# --- threshold & cost ---------------------------------------------------------------


def test_threshold_page_numbers_match_the_analysis(spec, demo):
    run = eval_run(demo, 4)
    at = open_analysis_page("threshold", spec, run=run.id, fn_cost="5", fp_cost="1", recall="0.99")
    assert problems(at) == []
    table = prepared(demo, run)
    curve = th.threshold_curve(table, fn_cost=5, fp_cost=1)
    best = th.cost_optimal_threshold(curve)
    reach = th.threshold_for_recall(curve, 0.99)
    shown = texts(at)
    assert f"{len(curve) - 1:,} distinct thresholds over {table.n_rows:,} rows" in shown
    assert f"Cost-optimal: {views.format_threshold(best['threshold'])} (cost {best['cost']:,.6g})" in shown
    assert f"recall ≥ 0.990: {views.format_threshold(reach['threshold'])}" in shown
    # The default operating point is the cost-optimal one.
    point = th.operating_point(table, float(best["threshold"]), 5, 1)
    assert metrics(at)["Recall"] == f"{point.recall:.1%}"
    assert metrics(at)["Missed (FN)"] == f"{point.fn:,.0f}"
    assert metrics(at)["Cost"] == f"{point.cost:,.6g}"
    changes = th.outcome_changes(table, float(best["threshold"]))
    assert len(frame_with(at, "Outcome After")) == len(changes) > 0
    counts = frame_with(at, "after")
    assert counts["rows"].sum() == len(changes)
    (chart,) = vega_charts(at)
    assert plotly_specs(at) == []
    assert list(chart.data.columns[1:5]) == ["Precision", "Recall", "FN rate", "FP rate"]
    thinned = views.thin_rows(curve, views.MAX_CURVE_POINTS, keep=[views.curve_position(curve, float(best["threshold"]))])
    lines = chart.data[chart.data["mark"].isna()]
    assert lines["threshold"].tolist() == thinned["threshold"][thinned["threshold"] < float("inf")].tolist()
    assert chart.data.loc[chart.data["mark"] == "chosen", "threshold"].tolist() == [float(best["threshold"])]


def test_every_threshold_grid_is_drawn_only_while_its_panel_is_open(spec, demo):
    """Closed, the panel sends no grid (its rows change at every threshold move, and the
    browser builds a closed panel's grid all the same); opened, the grid has the thinned
    curve with the chosen threshold's row, and the CSV of every threshold is offered."""
    run = eval_run(demo, 4)
    at = open_analysis_page("threshold", spec, run=run.id, point="custom", t="0.25")
    assert problems(at) == []
    curve = th.threshold_curve(prepared(demo, run))
    (panel,) = [e for e in at.expander if e.label.startswith("Every threshold")]
    assert panel.label == f"Every threshold ({len(curve):,} rows)"
    assert not [df for df in at.dataframe if "fp" in df.value.columns]
    at.session_state["_curve_open"] = True  # what a click on the panel sets
    at.run()
    assert problems(at) == []
    (grid,) = [df for df in at.dataframe if "fp" in df.value.columns]
    chosen = curve.iloc[views.curve_position(curve, 0.25)]["threshold"]
    assert chosen in set(grid.value["threshold"])
    assert len(curve) > views.MAX_SHOWN_ROWS
    assert len(grid.value) in (views.MAX_SHOWN_ROWS, views.MAX_SHOWN_ROWS + 1)  # evenly spaced, plus the chosen row
    assert "Download every threshold as CSV" in [b.label for b in at.get("download_button")]


def test_threshold_target_recall_and_custom_point_from_the_url(spec, demo):
    run = eval_run(demo, 4)
    table = prepared(demo, run)
    curve = th.threshold_curve(table)
    at = open_analysis_page("threshold", spec, run=run.id, point="target recall", recall="0.9")
    assert problems(at) == []
    reach = th.threshold_for_recall(curve, 0.9)
    assert at.get("subheader")[0].value == f"At threshold {views.format_threshold(reach['threshold'])}"
    assert float(metrics(at)["Recall"].rstrip("%")) >= 90.0
    at = open_analysis_page("threshold", spec, run=run.id, point="custom", t="0.25")
    point = th.operating_point(table, 0.25)
    assert metrics(at)["Precision"] == f"{point.precision:.1%}"
    moved = frame_with(at, "Outcome After")
    assert set(moved["Outcome Before"]) <= {"TN", "FN"} and set(moved["Outcome After"]) <= {"FP", "TP"}
    assert len(moved) == len(th.outcome_changes(table, 0.25))


def test_threshold_shows_the_first_changed_rows_and_exports_all_of_them(spec, demo, monkeypatch):
    """The page takes only the rows it shows from the table (a move on a million rows can
    change 80,000); the counts and the caption cover every changed row, the CSV has them all."""
    import io

    from wbview.ui import analysis_page, loaders

    monkeypatch.setattr(views, "MAX_SHOWN_ROWS", 5)
    run = eval_run(demo, 4)
    table = prepared(demo, run)
    full = th.outcome_changes(table, 0.25)
    assert len(full) > 5
    at = open_analysis_page("threshold", spec, run=run.id, point="custom", t="0.25")
    assert problems(at) == []
    shown = frame_with(at, "Outcome After")
    assert shown["Sample ID"].tolist() == full["Sample ID"].head(5).tolist()
    assert f"{len(full):,} rows (showing the first 5)." in texts(at)
    assert frame_with(at, "after")["rows"].sum() == len(full)
    ref = loaders.tables(spec, DEMO_PROJECT, run.id)[0]
    csv = analysis_page.outcome_changes_csv(spec, DEMO_PROJECT, ref, (), None, 0.25)()
    exported = pd.read_csv(io.BytesIO(csv))
    assert exported["Sample ID"].tolist() == full["Sample ID"].tolist()
    assert list(exported.columns[:2]) == ["Outcome Before", "Outcome After"]


def test_threshold_logged_point_of_a_run_tuned_to_0_3(spec, demo):
    at = open_analysis_page("threshold", spec, run=eval_run(demo, 6).id, point="logged")
    assert problems(at) == []
    assert "No row changes outcome" in texts(at)  # the logged threshold reproduces the logged predictions
    assert at.get("subheader")[0].value == "At threshold 0.3"  # the run's recorded threshold, not the lowest score
    assert "logged: 0.3 (from the predictions artifact's metadata)" in texts(at)
    logged = th.logged_threshold(prepared(demo, eval_run(demo, 6)))
    assert 0.29 <= logged <= 0.31
    changes = frame_with(
        open_analysis_page("threshold", spec, run=eval_run(demo, 6).id, point="custom", t="0.5"), "Outcome After"
    )
    assert list(changes.columns[:2]) == ["Outcome Before", "Outcome After"]


def test_threshold_with_the_other_class_as_positive(spec, demo):
    run = eval_run(demo, 4)
    at = open_analysis_page("threshold", spec, run=run.id, positive="ham", point="custom", t="0.8")
    assert problems(at) == []
    assert "flagged ham when its probability" in texts(at)
    as_ham = prepare(frame_of(demo, run), positive_class="ham")
    point = th.operating_point(as_ham, 0.8)
    assert metrics(at)["Recall"] == f"{point.recall:.1%}" and metrics(at)["Missed (FN)"] == f"{point.fn:,.0f}"
    assert len(frame_with(at, "Outcome After")) == len(th.outcome_changes(as_ham, 0.8))


def test_threshold_page_explains_a_multi_class_table_without_probabilities(multi_spec):
    at = open_direct("threshold", source=multi_spec, project=MULTI_PROJECT, run="m3")
    assert problems(at) == []
    assert "needs a binary table (two classes); this one has 3" in texts(at)


def test_threshold_page_sets_one_class_against_the_rest(multi_spec, multi_project):
    from sklearn.metrics import precision_score, recall_score

    at = open_direct("threshold", source=multi_spec, project=MULTI_PROJECT, run="m1", positive="outage", point="custom", t="0.4")
    assert problems(at) == []
    assert at.selectbox(key="positive").options == list(TOPICS)
    assert "flagged outage when its probability" in texts(at)
    frame = multi_project.tables[("run-m1-evalpredictions:v0", "eval/predictions.table.json")]
    truth = frame["True Label"] == "outage"
    flagged = frame["Prob (outage)"] >= 0.4
    shown = metrics(at)
    assert shown["Recall"] == f"{recall_score(truth, flagged):.1%}"
    assert shown["Precision"] == f"{precision_score(truth, flagged):.1%}"


# --- calibration ----------------------------------------------------------------------


def test_calibration_compares_the_chosen_runs_with_ece_from_the_analysis(spec, demo):
    runs = [eval_run(demo, 1), eval_run(demo, 4)]
    at = open_analysis_page("calibration", spec, runs=[r.id for r in runs], bins="10")
    assert problems(at) == []
    expected = calibration.compare_calibration({views.short_label(r): prepared(demo, r) for r in runs}, n_bins=10)
    ece = frame_with(at, "phishing").set_index("run")["phishing"]
    for run in runs:
        label = views.short_label(run)
        want = expected.ece.set_index("run").loc[label, "ece"]
        assert ece[label] == pytest.approx(want)
    assert ece.nunique() == 2  # two different models, two different calibrations
    chart = plotly_specs(at)[0]
    assert [t["name"] for t in chart["data"]] == ["perfectly calibrated", *[views.short_label(r) for r in runs]]
    # The bins grid is drawn only once its panel is opened (a closed panel's grid still costs the browser)
    assert not [df for df in at.dataframe if "fraction_positive" in df.value.columns]
    at.session_state["_bins_open"] = True  # what a click on the panel sets
    at.run()
    bins = frame_with(at, "fraction_positive")
    assert len(bins) == 20 and set(bins["run"]) == {views.short_label(r) for r in runs}


def test_calibration_defaults_to_one_run_per_model_including_the_weakest(spec, demo):
    at = open_analysis_page("calibration", spec)
    assert problems(at) == []
    compared = list(frame_with(at, "phishing")["run"])
    assert len(compared) == 3
    models = [views.model_from_config(eval_run(demo, n)) for n in range(1, 7)]
    by_label = {views.short_label(eval_run(demo, n)): models[n - 1] for n in range(1, 7)}
    assert len({by_label[label] for label in compared}) == 3  # no two curves of the same model
    weakest = min(range(1, 7), key=lambda n: views.run_score(eval_run(demo, n)))
    assert views.short_label(eval_run(demo, weakest)) in compared


def test_calibration_per_class_for_multi_class_tables(multi_spec, multi_project):
    at = open_direct(
        "calibration", source=multi_spec, project=MULTI_PROJECT, runs=["m1", "m2"], cls="outage", strategy="quantile", bins="5"
    )
    assert problems(at) == []
    ece = frame_with(at, "outage")
    assert {"billing", "outage", "sales", calibration.TOP_LABEL} <= set(ece.columns)
    assert at.get("plotly_chart") and "Reliability: outage" in plotly_specs(at)[0]["layout"]["title"]["text"]
    frame = multi_project.tables[("run-m1-evalpredictions:v0", "eval/predictions.table.json")]
    want = calibration.calibration(prepare(frame), n_bins=5, strategy="quantile").ece.set_index("class")["ece"]
    got = ece.set_index("run").loc["exp-m1-eval (m1)"]
    for cls in TOPICS:
        assert got[cls] == pytest.approx(want[cls])


def test_calibration_without_probabilities_is_a_clear_message(multi_spec):
    at = open_direct("calibration", source=multi_spec, project=MULTI_PROJECT, runs=["m3"])
    assert not at.exception
    assert "needs probability columns" in texts(at)


# --- where errors concentrate ------------------------------------------------------------


def test_slices_rank_error_tree_and_ngrams_match_the_analysis(spec, demo):
    run = eval_run(demo, 1)  # the weak baseline: plenty of errors
    at = open_analysis_page("slices", spec, run=run.id, min_rows="40")
    assert problems(at) == []
    table = prepared(demo, run)
    expected = slices.rank_slices(table, target="error", min_rows=40, include_outputs=False)
    ranked = frame_with(at, "lift_low")
    assert list(ranked["feature"][:10]) == list(expected["feature"][:10])
    assert list(ranked["slice"][:10]) == list(expected["slice"][:10])
    assert ranked["rows"].min() >= 40
    assert any(f.endswith(": length") for f in ranked["feature"])  # derived text features are ranked too
    top = expected.iloc[0]  # the first slice's rows are shown
    slice_rows = slices.slice_mask(table, top["feature"], top["slice"]).sum()
    assert f"{slice_rows:,} rows" in texts(at)
    (lift,) = vega_charts(at)  # only the chosen view is computed: the ranking, and no plotly chart
    assert plotly_specs(at) == []
    assert lift.data["rate"].tolist() == pytest.approx(expected["rate"].head(20).tolist())

    at.get("button_group")[-1].set_value("error tree").run()
    assert problems(at) == []
    tree = slices.error_tree(table, target="error", max_depth=3)
    leaves = frame_with(at, "coverage")
    assert list(leaves["path"]) == list(tree.leaves()["path"])
    assert leaves["coverage"].sum() == pytest.approx(1.0)
    assert [s["data"][0]["type"] for s in plotly_specs(at)] == ["bar", "icicle"]  # leaves by rate, then the tree

    at = open_analysis_page("slices", spec, run=run.id, view="n-grams")
    grams = frame_with(at, "ngram")
    assert list(grams["ngram"][:5]) == list(slices.rank_ngrams(table, target="error", min_rows=20)["ngram"][:5])
    (drawn,) = vega_charts(at)
    assert drawn.data["label"].tolist()[:5] == [f"contains = “{g}”" for g in grams["ngram"][:5]]


def test_slices_false_negative_target_from_the_url(spec, demo):
    run = eval_run(demo, 1)
    at = open_analysis_page("slices", spec, run=run.id, target="FN rate")
    assert problems(at) == []
    ranked = frame_with(at, "lift_low")
    assert set(ranked["target"]) == {"fn"}
    expected = slices.rank_slices(prepared(demo, run), target="fn", min_rows=30, include_outputs=False)
    assert list(ranked["slice"][:5]) == list(expected["slice"][:5])
    assert "True Label" not in set(ranked["feature"])  # among actual positives the label explains nothing
    at = open_analysis_page("slices", spec, run=run.id, target="FN rate", view="error tree", depth="2")
    assert problems(at) == []
    assert frame_with(at, "coverage")["depth"].max() <= 2
    assert "share of all misses" in texts(at)


def test_slices_leave_model_outputs_out_unless_the_url_asks(spec, demo):
    run = eval_run(demo, 1)
    table = prepared(demo, run)
    outputs = {table.schema.confidence, table.schema.predicted_label, *table.schema.probs.values()}
    at = open_analysis_page("slices", spec, run=run.id)
    assert problems(at) == [] and at.toggle(key="outputs").value is False
    assert not outputs & set(frame_with(at, "lift_low")["feature"])
    at = open_analysis_page("slices", spec, run=run.id, outputs="true")
    assert problems(at) == [] and at.toggle(key="outputs").value is True
    ranked = frame_with(at, "lift_low")
    expected = slices.rank_slices(table, target="error", min_rows=30)
    assert list(ranked["slice"][:10]) == list(expected["slice"][:10]) and outputs & set(ranked["feature"])


def test_ngram_caption_says_sample_only_when_rows_were_sampled(spec, demo):
    run = eval_run(demo, 1)
    at = open_analysis_page("slices", spec, run=run.id, target="FN rate", view="n-grams")
    assert problems(at) == []
    grams = slices.rank_ngrams(prepared(demo, run), target="fn", min_rows=20)
    assert grams["sampled_rows"].iloc[0] == grams["population_rows"].iloc[0] < len(frame_of(demo, run))
    assert "Word 1- and 2-grams" in texts(at) and "sample" not in texts(at)


# --- run vs run -------------------------------------------------------------------------


def test_run_diff_counts_and_rows_and_same_dataset(spec, demo):
    run_a, run_b = eval_run(demo, 4), eval_run(demo, 6)  # same model and dataset, threshold 0.5 -> 0.3
    at = open_analysis_page("run_diff", spec, run=run_a.id, run_b=run_b.id, status="fixed")
    assert problems(at) == []
    diff = compare.diff_runs(prepared(demo, run_a), prepared(demo, run_b))
    counts = dict(zip(diff.counts["status"], diff.counts["rows"], strict=False))
    assert metrics(at) == {s.capitalize(): f"{counts[s]:,}" for s in compare.STATUSES}
    assert counts["fixed"] > 0 and counts["newly broken"] > 0  # a lower threshold trades FNs for FPs
    assert plotly_specs(at)[0]["data"][0]["y"] == [counts[s] for s in compare.STATUSES]
    fixed = frame_with(at, "Status")
    assert len(fixed) == counts["fixed"] and set(fixed["Status"]) == {"fixed"}
    assert "same dataset version: phishing-texts-encoded-head-tail:v0" in texts(at)
    assert not at.warning


def test_run_diff_warns_when_the_runs_were_scored_on_different_datasets(spec, demo):
    run_a, run_b = eval_run(demo, 1), eval_run(demo, 4)  # early export vs the head-tail encoding
    at = open_analysis_page("run_diff", spec, run=run_a.id, run_b=run_b.id)
    assert problems(at) == []
    warning = unescape(at.warning[0].value)
    assert "Dataset check" in warning and "different datasets" in warning
    assert "phishing-texts-encoded-standard:v0" in warning and "phishing-texts-encoded-head-tail:v0" in warning
    diff = compare.diff_runs(prepared(demo, run_a), prepared(demo, run_b))
    assert f"Matched {len(diff.joined):,} samples" in texts(at)
    assert f"only in B: {diff.only_in_b:,}" in texts(at)


def test_run_diff_warns_when_a_run_records_no_dataset(multi_spec):
    at = open_direct("run_diff", source=multi_spec, project=MULTI_PROJECT, run="m1", run_b="m3", on="Sample ID")
    assert problems(at) == []
    assert "Run B records no evaluation dataset" in at.warning[0].value
    assert at.selectbox(key="on").value == "Sample ID"


# --- stacked tables ------------------------------------------------------------------------


def test_stacked_tables_follow_the_config_filter_and_compare_error_rates(spec, demo):
    at = open_analysis_page("stacked", spec, filter_cols="params.threshold", by="config.params.threshold")
    assert problems(at) == []
    runs = [r for r in demo.runs.values() if r.job_type == "eval"]
    rates = frame_with(at, "error_rate")
    frames = {r.id: frame_of(demo, r) for r in runs}
    stacked = stacking.stack_tables(views.stack_inputs(runs, frames))
    expected = stacking.error_rates_by(stacked, "config.params.threshold")
    assert list(rates["config.params.threshold"]) == list(expected["config.params.threshold"]) == [0.3, 0.5]
    assert list(rates["errors"]) == list(expected["errors"])
    assert list(rates["runs"]) == [1, 5]
    assert f"{len(stacked):,} rows from 6 runs" in texts(at)
    # Narrow the runs with the threshold slider: only the tuned run remains.
    at.slider(key="f.params.threshold").set_range(0.3, 0.4).run()
    assert problems(at) == []
    assert "from 1 runs" in texts(at)
    assert list(frame_with(at, "error_rate")["runs"]) == [1]


def test_stacked_tables_by_run(spec, demo):
    at = open_analysis_page("stacked", spec, by="run")
    rates = frame_with(at, "error_rate")
    assert len(rates) == 6 and set(rates["runs"]) == {1}
    stacked_rows = frame_with(at, "run_id")
    assert {"run", "run_id", "run_name", "config.params.model", "Is Error"} <= set(stacked_rows.columns)


# The demo's sweep (wbview.demo.pipeline.Pipeline.run_all): learning rate per experiment.
SWEPT_LR = {"exp-001": 1.0, "exp-002": 0.05, "exp-003": 0.02, "exp-004": 0.05, "exp-005": 0.05, "exp-006": 0.05}


def test_stacked_tables_compare_by_the_training_runs_params_through_lineage(spec, demo):
    at = open_analysis_page("stacked", spec, by="train.params.learning_rate")
    assert problems(at) == []
    options = at.selectbox(key="by").options
    assert {"train.params.learning_rate", "train.params.hash_bits", "train.params.encoder"} <= set(options)
    assert "config.params.learning_rate" not in options  # the eval runs' own configs never held it
    rates = frame_with(at, "error_rate")
    errors_by_lr: dict[float, int] = {}
    rows_by_lr: dict[float, int] = {}
    for run in (r for r in demo.runs.values() if r.job_type == "eval"):
        frame = frame_of(demo, run)
        lr = SWEPT_LR[run.group]
        errors_by_lr[lr] = errors_by_lr.get(lr, 0) + int(frame["Is Error"].sum())
        rows_by_lr[lr] = rows_by_lr.get(lr, 0) + len(frame)
    assert list(rates["train.params.learning_rate"]) == [0.02, 0.05, 1.0]
    assert list(rates["runs"]) == [1, 4, 1]
    assert list(rates["errors"]) == [errors_by_lr[lr] for lr in (0.02, 0.05, 1.0)]
    assert list(rates["rows"]) == [rows_by_lr[lr] for lr in (0.02, 0.05, 1.0)]
    # exp-001 was scored on the early export: the lineage check says so.
    warning = at.warning[0].value
    assert "Dataset check" in warning and "3 different dataset versions" in warning
    assert "phishing-texts-encoded-standard:v0 (1 run)" in warning.replace("\\", "")
    at.selectbox(key="by").set_value("train.params.hash_bits").run()
    assert problems(at) == []
    assert list(frame_with(at, "error_rate")["train.params.hash_bits"]) == [6, 12, 18]


# --- failures and safety -------------------------------------------------------------------


@pytest.mark.parametrize("page", ["threshold", "calibration", "slices", "run_diff", "stacked"])
def test_a_project_without_eval_tables_says_so(page):
    empty = register_source("analysis-empty", MemorySource({"acme/empty": ProjectData()}, label="empty"))
    at = open_direct(page, source=empty, project="acme/empty")
    assert problems(at) == []
    assert "acme/empty has no runs" in texts(at) or "No run in acme/empty logged an eval table" in texts(at)


@pytest.mark.parametrize("page", ["calibration", "run_diff", "stacked"])
def test_runs_without_eval_tables_say_how_to_log_one(page):
    data = ProjectData(runs={"t1": Run(id="t1", entity="acme", project="train-only", name="train", job_type="train")})
    spec_ = register_source("analysis-no-tables", MemorySource({"acme/train-only": data}, label="train only"))
    at = open_direct(page, source=spec_, project="acme/train-only")
    assert problems(at) == []
    assert "No run in acme/train-only logged an eval table" in texts(at) and "log_eval_table" in texts(at)


def test_a_table_that_fails_to_load_is_a_clear_message(multi_project):
    broken = ProjectData(runs=dict(multi_project.runs), run_artifacts=dict(multi_project.run_artifacts))
    spec_ = register_source("analysis-broken", MemorySource({MULTI_PROJECT: broken}, label="broken"))
    at = open_direct("slices", source=spec_, project=MULTI_PROJECT, run="m1")
    assert not at.exception
    assert "is not in broken" in at.error[0].value


# --- the same pages on the loopback fake W&B server (the real wandb client) ------------------


def test_threshold_and_slices_on_the_fake_wandb_server(fake_wandb, fixture_project, tmp_path, monkeypatch):
    from tests.fixtures import PROJECT_PATH, main_eval_run

    monkeypatch.setenv("WBVIEW_CACHE_DIR", str(tmp_path / "cache"))  # nothing cached from other tests
    run = main_eval_run(fixture_project)
    # The predictions artifact's table (20,000 rows), read through the real wandb client.
    artifact = next(a for a in fixture_project.run_artifacts[run.id].logged if a.startswith("phishing-predictions:"))
    frame = fixture_project.tables[(artifact, "predictions.table.json")]
    params = {"source": "wandb", "project": PROJECT_PATH, "run": run.id, "table": f"{artifact}/predictions.table.json"}
    at = open_direct("threshold", **params, fn_cost="3")
    assert problems(at) == []
    table = prepare(frame)
    curve = th.threshold_curve(table, fn_cost=3)
    best = th.cost_optimal_threshold(curve)
    assert f"{len(curve) - 1:,} distinct thresholds over {len(frame):,} rows" in texts(at)
    assert metrics(at)["Cost"] == f"{best['cost']:,.6g}"

    at = open_direct("slices", **params)
    assert problems(at) == []
    expected = slices.rank_slices(table, min_rows=30, include_outputs=False)
    assert list(frame_with(at, "lift_low")["slice"][:5]) == list(expected["slice"][:5])


# --- "Download this review" -----------------------------------------------------------


@pytest.mark.parametrize(
    "page, params",
    [
        ("error_analysis", {}),
        ("threshold", {"fn_cost": "5"}),
        ("slices", {}),
        ("run_diff", {}),
        ("calibration", {}),
        ("stacked", {}),
    ],
)
def test_each_analysis_page_offers_the_review(spec, demo, page, params):
    at = open_analysis_page(page, spec, run=eval_run(demo, 4).id, **params)
    assert problems(at) == []
    buttons = [b.proto for b in at.get("download_button") if b.proto.label == "Download this review"]
    assert len(buttons) == 1
    assert buttons[0].deferred_file_id or buttons[0].url == ""  # built on click, not on every rerun


def test_the_review_is_the_view_on_screen(spec, demo):
    from wbview.ui import analysis_page
    from wbview.ui.page import PageContext
    from wbview.ui.source import open_source

    run_a, run_b = eval_run(demo, 2), eval_run(demo, 4)
    ctx = PageContext(spec, open_source(spec), DEMO_PROJECT)
    sides = [(run, run.tables[0], prepared(demo, run)) for run in (run_a, run_b)]
    url = f"http://localhost:8501/run_diff?source={spec}&project={DEMO_PROJECT}&run={run_a.id}&run_b={run_b.id}"
    document = analysis_page.review_html(ctx, sides, url, threshold=0.3, fn_cost=5).decode("utf-8")
    assert f'href="{html.escape(url)}"' in document
    for section in ("headline", "threshold", "compare", "metadata"):
        assert f'<section id="{section}">' in document
    assert "Chosen threshold 0.3: given" in document and "missed positive (FN) = 5" in document
    assert "The runs were scored on different datasets" in document  # lineage of exp-002 vs exp-004
    assert "essential metadata keys for a predictions" in document
    assert "<script" not in document


def test_stacked_tables_say_how_many_runs_they_stacked_and_the_cap_can_be_raised(spec):
    at = open_analysis_page("stacked", spec, by="run", stack_runs="2")
    assert problems(at) == []
    assert "Stacked 2 runs of 6 matching" in texts(at)
    assert "6 runs match; the first 2 are stacked" in texts(at)
    assert len(frame_with(at, "error_rate")) == 2
    at.number_input(key="stack_runs").set_value(6).run()
    assert problems(at) == []
    assert "Stacked 6 runs of 6 matching" in texts(at) and "are stacked" not in texts(at)
    assert len(frame_with(at, "error_rate")) == 6
    default = open_analysis_page("stacked", spec, by="run")
    assert default.number_input(key="stack_runs").value == 20 and "Stacked 6 runs of 6 matching" in texts(default)
