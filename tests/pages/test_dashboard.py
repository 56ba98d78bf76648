"""Every dashboard page through AppTest on an in-memory fixture project: renders,
URL state, interactions, and clear messages for each failure."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.pages import dashboard_fixture as fx
from tests.pages.pagetest import (
    clear_streamlit_caches,
    errors,
    histogram_panels,
    open_page,
    plotly_specs,
    problems,
    texts,
)
from wbview.analysis import rows
from wbview.analysis.selection import MAX_FULL_TEXT_CHARS, MAX_SHOWN_CHARS
from wbview.records import ArtifactFile, ArtifactVersion, Run, RunArtifacts, TableRef
from wbview.sources.memory import MemorySource, ProjectData
from wbview.sources.store import LocalSource, Store
from wbview.ui.source import register_source


@pytest.fixture(autouse=True)
def _fresh_caches():
    clear_streamlit_caches()
    yield
    clear_streamlit_caches()


@pytest.fixture
def spec() -> str:
    return register_source("dash", fx.memory_source())


def test_runs_page_lists_every_run_with_config_and_summary_columns(spec):
    at = open_page(None, source=spec)  # the default page is Runs
    assert problems(at) == []
    assert at.title[0].value == "Runs"
    table = at.dataframe[-1].value
    assert len(table) == 5
    assert {"params.lr", "meta.task", "summary.eval/f1", "job_type", "group"} <= set(table.columns)
    assert at.query_params["project"] == fx.PROJECT  # the default project is written into the link


def _listed(value):
    """A query parameter's values (AppTest keeps a single value as a plain string)."""
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def test_runs_filter_from_url_narrows_the_table(spec):
    at = open_page("pages/runs.py", source=spec, f="job_type in train")  # the CLI's --filter syntax
    assert problems(at) == []
    assert set(at.dataframe[-1].value["job_type"]) == {"train"}
    assert "3 of 5 runs match" in texts(at)
    assert at.multiselect(key="f.job_type").value == ["train"]  # the widget shows the link's filter


def test_runs_filter_from_url_with_conditions_no_widget_shows(spec):
    at = open_page("pages/runs.py", source=spec, f=["job_type in train", "params.lr>0.0001"])
    assert problems(at) == []
    assert sorted(at.dataframe[-1].value["id"]) == ["tr2", "tr3"]
    assert "Also filtered by the link: params.lr>0.0001" in texts(at)
    assert _listed(at.query_params.get("f")) == ["job_type in train", "params.lr>0.0001"]


def test_runs_filter_link_on_a_key_no_run_has_names_the_closest(spec):
    at = open_page(None, source=spec, f="params.encodr=head_only")  # a typo of params.encoder
    assert problems(at) == []
    shown = texts(at)
    assert "No run has the key params.encodr" in shown and "Closest keys: params.encoder" in shown
    assert "0 of 5 runs match" in shown or "No run matches these filters" in shown


def test_runs_filter_link_with_a_bad_condition_says_so(spec):
    at = open_page(None, source=spec, f="params.lr>>3")  # Runs is the default page: the link's first run
    assert problems(at) == []
    assert "The link's filter was ignored" in texts(at)
    assert "5 of 5 runs match" in texts(at)


def test_runs_range_filter_on_a_param_uses_a_slider(spec):
    at = open_page("pages/runs.py", source=spec, filter_cols="params.lr")
    slider = at.slider(key="f.params.lr")
    assert slider.value == (0.0001, 0.001)
    slider.set_range(0.0002, 0.001).run()
    assert problems(at) == []
    assert sorted(at.dataframe[-1].value["id"]) == ["tr2", "tr3"]
    assert _listed(at.query_params.get("f")) == ["params.lr>=0.0002"]  # the choice, as a filter condition


def test_runs_grouping_and_charts(spec):
    at = open_page("pages/runs.py", source=spec, group_by="job_type", curves="true")
    assert problems(at) == []
    grouped = at.dataframe[0].value
    assert dict(zip(grouped["job_type"], grouped["runs"], strict=False)) == {"data-prep": 1, "eval": 1, "train": 3}
    kinds = [spec_["data"][0]["type"] for spec_ in plotly_specs(at)]
    assert kinds == ["parcoords", "scatter"]  # parallel coordinates, then metric curves
    curves = plotly_specs(at)[1]["data"]
    assert len(curves) == 3  # the train runs have histories; the others draw nothing


def test_runs_empty_filter_result_says_so(spec):
    at = open_page("pages/runs.py", source=spec, f=["job_type in train", "group in exp-001"], filter_cols="params.encoder")
    at.multiselect(key="f.params.encoder").set_value(["head_only"]).run()
    assert sorted(at.dataframe[-1].value["id"]) == ["tr2"]
    at.multiselect(key="f.job_type").set_value(["eval"]).run()
    assert problems(at) == []
    assert "No run matches these filters" in texts(at)


def test_artifacts_page_renders_metadata_completeness_and_diff(spec):
    at = open_page("pages/artifacts.py", source=spec, type="dataset", collection="phishing-texts", version="v1")
    assert problems(at) == []
    assert "All 6 essential metadata keys for a dataset are present" in texts(at)
    assert "source: found as source_dataset" in texts(at)
    assert not [df for df in at.dataframe if "change" in df.value.columns]  # only the open tab runs
    at = open_page("pages/artifacts.py", source=spec, type="dataset", collection="phishing-texts", version="v1", tab="Diff")
    assert problems(at) == []
    diff = next(df.value for df in at.dataframe if list(df.value.columns) == ["key", "v0", "v1", "change"])
    changes = dict(zip(diff["key"], diff["change"], strict=False))
    assert changes["num_samples"] == "removed" and changes["num_samples.train"] == "added"
    assert changes["source"] == "removed"


def test_artifacts_label_maps_show_as_two_column_tables(spec):
    at = open_page("pages/artifacts.py", source=spec, type="model")
    assert problems(at) == []
    maps = [df.value for df in at.dataframe if list(df.value.columns) == ["id", "label"]]
    assert len(maps) == 2
    assert maps[0].to_dict("list") == {"id": [0, 1], "label": ["ham", "phishing"]}
    assert "Missing 1 of 6 essential metadata keys for a model: best_metric" in texts(at)


def test_lineage_page_draws_runs_and_artifacts_and_opens_a_node(spec):
    at = open_page("pages/lineage.py", source=spec, root="tr3", node="phishing-classifier:v0")
    assert problems(at) == []
    traces = plotly_specs(at)[0]["data"]
    symbols = {t["marker"]["symbol"]: set(t["customdata"]) for t in traces}
    assert symbols["square"] == {"prep", "tr3", "ev1"}
    assert {"phishing-texts:v1", "phishing-classifier:v0"} <= {
        i for t in traces if t["marker"]["symbol"] == "circle" for i in t["customdata"]
    }
    link = at.get("page_link")[0].proto
    assert (
        link.page == "artifacts" and "collection=phishing-classifier" in link.query_string and "version=v0" in link.query_string
    )


def test_lineage_depth_and_direction(spec):
    at = open_page("pages/lineage.py", source=spec, root="phishing-classifier:v0", depth="1", direction="down")
    assert problems(at) == []
    ids = {i for t in plotly_specs(at)[0]["data"] for i in t["customdata"]}
    assert ids == {"phishing-classifier:v0", "ev1"}


def test_lineage_recentre_on_a_node(spec):
    # AppTest re-seeds URL-bound widgets from its query params on every run, so start
    # from the defaults (root: the newest run, ev1) and choose through the widgets.
    at = open_page("pages/lineage.py", source=spec)
    assert at.selectbox(key="root").value == "ev1"
    at.selectbox(key="node").set_value("phishing-classifier:v0").run()
    next(b for b in at.button if b.label == "Centre the graph here").click().run()
    assert problems(at) == []
    assert at.selectbox(key="root").value == "phishing-classifier:v0"


def test_error_analysis_groups_by_is_error_with_histograms_side_by_side(spec):
    at = open_page("pages/error_analysis.py", source=spec, run="ev1")
    assert problems(at) == []
    assert at.selectbox(key="by").value == "Is Error"
    panels = histogram_panels(at)
    assert len(panels) >= 6 and "Is Error" not in panels and "Sample ID" not in panels  # every other column but the id
    assert set(map(tuple, panels.values())) == {("False (225 rows)", "True (15 rows)")}  # a panel per group
    assert "240 of 240 rows selected" in texts(at)


def test_error_analysis_group_by_another_column_from_url(spec):
    at = open_page("pages/error_analysis.py", source=spec, run="ev1", by="Sender Domain")
    assert problems(at) == []
    assert {len(groups) for groups in histogram_panels(at).values()} == {3}


def test_error_analysis_confusion_cell_search_and_filters_narrow_rows(spec):
    table = fx.eval_table()
    fn = table[(table["True Label"] == "phishing") & (table["Predicted Label"] == "ham")]
    at = open_page("pages/error_analysis.py", source=spec, run="ev1", cell="true phishing → predicted ham")
    assert problems(at) == []
    assert f"{len(fn)} of 240 rows selected" in texts(at)
    at.text_input(key="q").input("prize").run()
    assert f"{len(fn[fn['Decoded Text'].str.contains('prize')])} of 240 rows selected" in texts(at)
    at = open_page("pages/error_analysis.py", source=spec, run="ev1", row_filter_cols="Sender Domain")
    at.multiselect(key="rf.Sender Domain").set_value(["corp.example"]).run()
    assert f"{(table['Sender Domain'] == 'corp.example').sum()} of 240 rows selected" in texts(at)
    assert _listed(at.query_params.get("f")) == ['"Sender Domain" in corp.example']  # the run filters' syntax
    linked = open_page("pages/error_analysis.py", source=spec, run="ev1", f='"Sender Domain" in corp.example')
    assert linked.multiselect(key="rf.Sender Domain").value == ["corp.example"]
    assert f"{(table['Sender Domain'] == 'corp.example').sum()} of 240 rows selected" in texts(linked)


def test_error_analysis_runs_only_the_open_tab(spec, monkeypatch):
    """A hidden tab's work (the selected rows' copy, the FN focus, the heatmap) is not done:
    it would be computed, sent and drawn for nothing on every rerun."""
    from wbview.ui import error_view

    called: list[str] = []
    for name in ("render_rows", "render_false_negatives", "render_high_confidence", "render_confusion"):
        original = getattr(error_view, name)
        monkeypatch.setattr(error_view, name, lambda *a, _n=name, _f=original, **k: (called.append(_n), _f(*a, **k))[1])
    at = open_page("pages/error_analysis.py", source=spec, run="ev1")
    assert problems(at) == []
    assert called == []
    assert plotly_specs(at) == [] and histogram_panels(at)  # the Group by tab's histograms only
    at.session_state["tab"] = "Rows"  # what a click on the tab sends
    at.run()
    assert problems(at) == []
    assert called == ["render_rows"]
    assert not plotly_specs(at) and [d.key for d in at.dataframe] == ["rows_table"]


def test_tables_beyond_the_memory_budget_are_dropped_least_recently_used_first(monkeypatch):
    from dataclasses import replace

    from wbview.ui import loaders

    data = fx.build_project()
    first_ref = data.runs["ev1"].tables[0]
    second_ref = replace(first_ref, run_id="ev2", artifact="run-ev2-evalpredictions:v0")
    data.runs["ev2"] = replace(data.runs["ev1"], id="ev2", name="eval again", tables=(second_ref,))
    data.tables[(second_ref.artifact, second_ref.entry)] = data.tables[(first_ref.artifact, first_ref.entry)].copy()
    spec = register_source("two-tables", MemorySource({fx.PROJECT: data}))
    monkeypatch.setattr(loaders.TABLES, "max_bytes", 1)  # any second table goes over
    open_page("pages/error_analysis.py", source=spec, run="ev1")
    [first] = loaders.TABLES.families()
    at = open_page("pages/error_analysis.py", source=spec, run="ev2")
    assert problems(at) == []
    [second] = loaders.TABLES.families()  # the first table (loaded and prepared) is gone
    assert first[2].run_id == "ev1" and second[2].run_id == "ev2"
    assert loaders.TABLES.evictions == 1
    at = open_page("pages/error_analysis.py", source=spec, run="ev1")  # and comes back when asked
    assert problems(at) == [] and "rows selected" in texts(at)


def test_error_analysis_false_negative_focus(spec):
    table = fx.eval_table()
    n_fn = int(((table["True Label"] == "phishing") & (table["Predicted Label"] == "ham")).sum())
    at = open_page("pages/error_analysis.py", source=spec, run="ev1", tab="False negatives")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Missed phishing (FN)"] == f"{n_fn:,}"
    fn_rows = next(df.value for df in at.dataframe if len(df.value) == n_fn and "Decoded Text" in df.value.columns)
    confidences = fn_rows["Confidence"].tolist()
    assert confidences == sorted(confidences, reverse=True)


def noisy_labels_source() -> tuple[str, pd.DataFrame]:
    """A table with known label errors: 8 ham messages labelled phishing (the model is sure
    they are ham: confident false negatives) and 5 phishing messages labelled ham."""
    import numpy as np

    rng = np.random.default_rng(4)
    n = 400
    truth = np.where(rng.random(n) < 0.35, "phishing", "ham")
    p_phish = np.where(truth == "phishing", rng.beta(6, 2, n), rng.beta(2, 6, n))
    labels = truth.copy()
    ham, phish = np.flatnonzero(truth == "ham")[:8], np.flatnonzero(truth == "phishing")[:5]
    labels[ham], p_phish[ham] = "phishing", 0.03
    labels[phish], p_phish[phish] = "ham", 0.97
    frame = pd.DataFrame(
        {
            "Sample ID": [f"s{i:03d}" for i in range(n)],
            "Decoded Text": [f"message {i}" for i in range(n)],
            "True Label": labels,
            "Prob (ham)": 1 - p_phish,
            "Prob (phishing)": p_phish,
            "Flipped": labels != truth,
        }
    )
    data = ProjectData()
    ref = TableRef(run_id="noisy", key="preds", artifact="run-noisy-preds:v0", entry="preds.table.json")
    data.runs["noisy"] = Run(id="noisy", entity="acme", project="noisy", name="noisy", tables=(ref,))
    data.tables[(ref.artifact, ref.entry)] = frame
    return register_source("noisy", MemorySource({"acme/noisy": data})), frame


def test_error_analysis_shows_likely_mislabelled_rows_apart_from_model_errors():
    from wbview.analysis import outcomes
    from wbview.analysis.label_noise import label_issues
    from wbview.analysis.prepare import prepare

    spec, frame = noisy_labels_source()
    at = open_page("pages/error_analysis.py", source=spec, tab="False negatives")
    conf = open_page("pages/error_analysis.py", source=spec, tab="High-confidence errors")
    assert problems(at) == [] and problems(conf) == []
    table = prepare(frame)
    flagged = label_issues(table).likely_mislabelled
    ids = frame["Sample ID"].to_numpy()
    fn, confident = outcomes.false_negative_mask(table), outcomes.high_confidence_error_mask(table, 0.9)
    groups = [df.value for page in (at, conf) for df in page.dataframe if "Label Quality" in df.value.columns]
    assert sorted(sorted(g["Sample ID"]) for g in groups) == sorted([sorted(ids[fn & flagged]), sorted(ids[confident & flagged])])
    for group in groups:
        assert group["Label Quality"].is_monotonic_increasing
    fn_group = next(g for g in groups if set(g["Sample ID"]) == set(ids[fn & flagged]))
    assert fn_group["Flipped"].sum() == 8  # every ham labelled phishing is there...
    assert fn_group["Flipped"].head(8).all()  # ...as the most suspicious rows, first
    model_errors = next(
        df.value
        for df in at.dataframe
        if "Label Quality" not in df.value.columns
        and len(df.value) == int((fn & ~flagged).sum())
        and "Confidence" in df.value.columns
    )
    assert not model_errors["Flipped"].any() and model_errors["Confidence"].is_monotonic_decreasing
    headings = [h.value for h in at.subheader]
    assert f"Likely mislabelled: {int((fn & flagged).sum())} of the missed positives" in headings
    # Every high-confidence error here is a flipped label: no empty table of model errors above them.
    assert not (confident & ~flagged).any()
    assert "0 errors that look like model errors made with confidence ≥ 0.90" in texts(conf)
    assert not [df for df in at.dataframe if df.value.empty]
    assert "look like model errors" in texts(at)


def test_error_analysis_without_probabilities_says_label_errors_need_them():
    frame = fx.eval_table().drop(columns=["Prob (Ham)", "Prob (Phishing)"])
    frame["Confidence"] = 0.95
    data = ProjectData()
    ref = TableRef(run_id="np", key="preds", artifact="run-np-preds:v0", entry="preds.table.json")
    data.runs["np"] = Run(id="np", entity="acme", project="np", name="no probabilities", tables=(ref,))
    data.tables[(ref.artifact, ref.entry)] = frame
    at = open_page(
        "pages/error_analysis.py", source=register_source("np", MemorySource({"acme/np": data})), tab="False negatives"
    )
    assert problems(at) == []
    assert "told apart when the table has a probability column per class" in texts(at)
    assert not [df for df in at.dataframe if "Label Quality" in df.value.columns]


def test_error_analysis_shows_payload_text_as_text(spec):
    at = open_page("pages/error_analysis.py", source=spec, run="ev1", tab="Rows")
    assert [c.value for c in at.code] == [fx.SCRIPT_PAYLOAD]  # row 0 in full, in a code block
    rows = at.dataframe[-1].value
    assert fx.IMG_PAYLOAD in rows["Decoded Text"].tolist()


def test_demo_source_says_so(spec):
    demo = register_source("demo", fx.memory_source(is_demo=True))
    at = open_page("pages/artifacts.py", source=demo)
    assert "demo data" in texts(at)
    at = open_page("pages/artifacts.py", source=spec)
    assert "demo data" not in texts(at)


@pytest.mark.parametrize("page", ["pages/runs.py", "pages/artifacts.py", "pages/lineage.py", "pages/error_analysis.py"])
def test_unknown_project_is_a_clear_message(spec, page):
    at = open_page(page, source=spec, project="acme/nope")
    assert not at.exception
    assert any("acme/nope" in e and "projects here" in e for e in errors(at))


@pytest.mark.parametrize(
    "source, expected",
    [
        ("bogus", "Unknown data source"),
        ("store:/nonexistent/wbview-store", "No wbview store"),
        ("wandb", "No W&B API key"),
    ],
)
def test_bad_source_in_the_link_is_a_clear_message(source, expected):
    at = open_page("pages/runs.py", source=source)
    assert not at.exception
    assert any(expected in e for e in errors(at)), problems(at)


def test_no_source_at_all_explains_how_to_connect(monkeypatch):
    monkeypatch.delenv("WBVIEW_STORE", raising=False)
    at = open_page("pages/runs.py")
    assert not at.exception
    assert "No data source is configured" in texts(at)


@pytest.mark.parametrize("page", ["pages/runs.py", "pages/artifacts.py", "pages/lineage.py", "pages/error_analysis.py"])
def test_empty_project_says_so(page):
    empty = register_source("empty", MemorySource({"acme/empty": ProjectData()}))
    at = open_page(page, source=empty)
    assert problems(at) == []
    assert "has no" in texts(at)


def _odd_table_source() -> str:
    """A run whose table names its columns unlike either convention, and one that cannot be parsed."""
    data = ProjectData()
    ref = TableRef(run_id="odd", key="preds", artifact="run-odd-preds:v0", entry="preds.table.json")
    data.runs["odd"] = Run(id="odd", entity="acme", project="odd", name="odd-eval", tables=(ref,))
    data.artifacts[ref.artifact] = ArtifactVersion(
        "acme", "odd", "run-odd-preds", "v0", "run_table", files=(ArtifactFile(ref.entry),), logged_by="odd"
    )
    data.run_artifacts["odd"] = RunArtifacts("odd", logged=(ref.artifact,))
    data.tables[(ref.artifact, ref.entry)] = pd.DataFrame(
        {"msg": ["a", "b", "c", "d"], "gt": ["x", "y", "x", "y"], "guess": ["x", "x", "x", "y"]}
    )
    return register_source("odd", MemorySource({"acme/odd": data}))


def test_the_column_mapping_panel_draws_its_selectboxes_only_when_open_or_linked(spec):
    """Closed, the panel draws no selectbox (the browser would build all seven on every
    open); opened, they are there and a choice lands in the link; a link that sets a role
    opens the panel with its selectboxes, so the choice stays in the link."""
    from wbview.schema import ROLES
    from wbview.ui.widgets import MAPPING_PANEL_KEY, MAPPING_PREFIX

    role_keys = {MAPPING_PREFIX + role for role in ROLES}
    at = open_page("pages/error_analysis.py", source=spec, run="ev1")
    assert problems(at) == []
    assert [e.label for e in at.expander] == ["Column mapping"]
    assert role_keys.isdisjoint(s.key for s in at.selectbox)

    at.session_state[MAPPING_PANEL_KEY] = True  # what a click on the panel sets
    at.run()
    assert role_keys <= {s.key for s in at.selectbox}
    at.selectbox(key=MAPPING_PREFIX + "text").set_value("Sender Domain").run()
    assert problems(at) == []
    assert at.selectbox(key=MAPPING_PREFIX + "text").value == "Sender Domain"  # the link: the browser test

    at = open_page("pages/error_analysis.py", source=spec, run="ev1", **{MAPPING_PREFIX + "text": "Sender Domain"})
    assert problems(at) == []
    assert at.selectbox(key=MAPPING_PREFIX + "text").value == "Sender Domain"


def test_unrecognised_columns_ask_for_a_mapping_then_work():
    spec = _odd_table_source()
    at = open_page("pages/error_analysis.py", source=spec)
    assert not at.exception
    assert any("errors cannot be derived" in e for e in errors(at))
    at = open_page(
        "pages/error_analysis.py",
        source=spec,
        **{"map.true_label": "gt", "map.predicted_label": "guess", "map.text": "msg", "tab": "False negatives"},
    )
    assert problems(at) == []
    assert "4 of 4 rows selected" in texts(at)
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["False alarms (FP)"]) + int(next(v for k, v in metrics.items() if k.endswith("(FN)"))) == 1


def test_switching_the_source_in_the_sidebar_goes_into_the_link(spec, tmp_path):
    from tests.pages.dashboard_fixture import build_project
    from wbview.sources.store.store import Store

    Store(tmp_path / "store").write_project("acme/stored", build_project())
    at = open_page("pages/runs.py", source=spec)
    at.text_input(key=f"_store_path:{spec}").input(str(tmp_path / "store")).run()
    assert problems(at) == []
    assert at.query_params["source"] == f"store:{tmp_path / 'store'}"
    assert at.query_params["project"] == "acme/stored"
    assert len(at.dataframe[-1].value) == 5


def test_switching_project_in_the_sidebar(spec):
    two = register_source("two", MemorySource({fx.PROJECT: fx.build_project(), "acme/empty": ProjectData()}))
    at = open_page("pages/runs.py", source=two)
    at.selectbox(key=f"_project_box:{fx.PROJECT}").set_value("acme/empty").run()
    assert problems(at) == []
    assert at.query_params["project"] == "acme/empty"
    assert "has no runs" in texts(at)


def test_multiclass_table_gets_errors_by_class_instead_of_fn_focus():
    data = ProjectData()
    ref = TableRef(run_id="mc", key="preds", artifact="run-mc-preds:v0", entry="preds.table.json")
    data.runs["mc"] = Run(id="mc", entity="acme", project="mc", name="multi", tables=(ref,))
    data.tables[(ref.artifact, ref.entry)] = pd.DataFrame(
        {
            "text": ["a", "b", "c", "d", "e", "f"],
            "true_label": ["x", "y", "z", "x", "y", "z"],
            "predicted_label": ["x", "z", "z", "y", "y", "z"],
        }
    )
    spec = register_source("mc", MemorySource({"acme/mc": data}))
    at = open_page("pages/error_analysis.py", source=spec, tab="False negatives")
    assert problems(at) == []
    assert "needs a binary table" in texts(at)
    by_class = next(df.value for df in at.dataframe if "errors" in df.value.columns)
    assert int(by_class["errors"].sum()) == 2
    at = open_page("pages/error_analysis.py", source=spec, tab="Confusion matrix")
    matrix = next(s for s in plotly_specs(at) if s["data"][0]["type"] == "heatmap")
    assert matrix["data"][0]["z"] == [[1, 1, 0], [0, 1, 1], [0, 0, 2]]


def test_lineage_clusters_a_large_level_and_the_cluster_opens_its_members():
    data = ProjectData()
    consumers = [f"r{i:02d}" for i in range(15)]
    data.artifacts["ds:v0"] = ArtifactVersion("acme", "wide", "ds", "v0", "dataset", used_by=tuple(consumers))
    for rid in consumers:
        data.runs[rid] = Run(id=rid, entity="acme", project="wide", name=f"run-{rid}", job_type="train")
        data.run_artifacts[rid] = RunArtifacts(rid, used=("ds:v0",))
    spec = register_source("wide", MemorySource({"acme/wide": data}))
    at = open_page("pages/lineage.py", source=spec, root="ds:v0", depth="1")
    assert problems(at) == []
    traces = plotly_specs(at)[0]["data"]
    clusters = [i for t in traces if t["marker"]["symbol"] == "diamond" for i in t["customdata"]]
    drawn_runs = [i for t in traces if t["marker"]["symbol"] == "square" for i in t["customdata"]]
    assert len(clusters) == 1 and len(drawn_runs) < len(consumers)
    at.selectbox(key="node").set_value(clusters[0]).run()
    hidden = [b.label for b in at.button if b.label in consumers]
    assert len(drawn_runs) + len(hidden) == len(consumers)


def test_reload_button_reads_the_source_again(spec):
    at = open_page("pages/runs.py", source=spec)
    next(b for b in at.button if b.label == "Reload data").click().run()
    assert problems(at) == []
    assert len(at.dataframe[-1].value) == 5


# --- one huge cell (a 5 MB email body): cut for display, kept whole on disk and in the CSV

HUGE_CHARS = 5_000_000
MARKER_CHARS = 80  # "… (N more characters; the CSV export has them all)"


@pytest.fixture
def huge_store(tmp_path):
    data = fx.build_project()
    key = next(iter(data.tables))
    frame = data.tables[key].copy()
    frame.loc[0, "Decoded Text"] = "win a prize " + "A" * HUGE_CHARS
    frame.loc[0, "Is Error"] = True  # it shows among the errors too
    data.tables[key] = frame
    store = Store(tmp_path / "s")
    store.write_project(fx.PROJECT, data)
    return store, frame


def test_error_analysis_cuts_a_huge_cell_for_display_and_keeps_it_on_disk(huge_store):
    store, frame = huge_store
    at = open_page("pages/error_analysis.py", source=f"store:{store.root}", project=fx.PROJECT, run="ev1", tab="Rows")
    assert problems(at) == []
    shown_tables = [df.value for df in at.dataframe if "Decoded Text" in df.value.columns]
    assert shown_tables
    for table in shown_tables:
        assert (table["Decoded Text"].str.len() <= MAX_SHOWN_CHARS + MARKER_CHARS).all()
    assert any(t["Decoded Text"].str.contains("more characters; the CSV export has them all").any() for t in shown_tables)
    codes = [c.value for c in at.code]  # the start, then (in an expander) up to MAX_FULL_TEXT_CHARS
    assert codes and codes[0].startswith("win a prize AAAA")
    assert all(len(c) <= MAX_FULL_TEXT_CHARS + MARKER_CHARS for c in codes)
    sent = sum(len(df.proto.arrow_data.data) for df in at.dataframe) + sum(len(c.value) for c in at.code)
    assert sent < HUGE_CHARS / 4  # the cell never goes out whole

    source = LocalSource(store.root)
    loaded = source.load_table(fx.PROJECT, source.tables(fx.PROJECT, "ev1")[0])
    assert loaded.frame["Decoded Text"][0] == frame["Decoded Text"][0]  # full value on disk
    assert len(rows.to_csv_bytes(loaded.frame)) > HUGE_CHARS  # and in the CSV export


# --- store roots: a link opens only stores under the deployment's folders


def test_a_link_to_a_store_outside_the_store_roots_is_refused(tmp_path, monkeypatch):
    allowed_root, elsewhere = tmp_path / "stores", tmp_path / "private"
    for folder in (allowed_root / "team", elsewhere / "payroll"):
        Store(folder).write_project(fx.PROJECT, fx.build_project())
    (allowed_root / "escape").symlink_to(elsewhere / "payroll", target_is_directory=True)
    monkeypatch.setenv("WBVIEW_STORE_ROOTS", str(allowed_root))
    for refused in (elsewhere / "payroll", allowed_root / "escape", allowed_root / ".." / "private" / "payroll"):
        at = open_page("pages/runs.py", source=f"store:{refused}")
        assert any("does not open stores at" in e and "allowed store folders" in e for e in errors(at)), errors(at)
        assert at.dataframe == []
    at = open_page("pages/runs.py", source=f"store:{allowed_root / 'team'}")
    assert problems(at) == []
    assert len(at.dataframe[-1].value) == 5
