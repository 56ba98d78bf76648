"""A page for one run, reached from every place that names a run; artifact versions with
their aliases and a diff that reads from older to newer; search across every text column."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.pages import dashboard_fixture as fx
from tests.pages.pagetest import open_page, problems, texts
from tests.pages.test_analysis_pages import eval_run, open_analysis_page
from wbview.analysis import selection as views
from wbview.sources.memory import MemorySource
from wbview.ui.source import register_source

W_AND_B_URL = "https://wandb.ai/acme/phish-dash/runs/tr3"


@pytest.fixture
def dash() -> str:
    data = fx.build_project()
    data.runs["tr3"] = replace(data.runs["tr3"], url=W_AND_B_URL)
    return register_source("run-page", MemorySource({fx.PROJECT: data}, label="dashboard fixture"))


def _links(at) -> list[tuple[str, str, dict[str, list[str]]]]:
    return [(link.proto.page, link.proto.label, parse_qs(link.proto.query_string)) for link in at.get("page_link")]


def _run_links(at) -> dict[str, str]:
    """run id -> label of every link to the run page."""
    return {params["run"][0]: label for page, label, params in _links(at) if page == "run"}


def test_the_run_page_shows_config_summary_metrics_tables_artifacts_and_w_and_b(dash):
    at = open_page("pages/run.py", source=dash, project=fx.PROJECT, run="tr3")
    assert problems(at) == []
    config = next(df.value for df in at.dataframe if "key" in df.value.columns and "params.lr" in set(df.value["key"]))
    assert dict(zip(config["key"], config["value"], strict=True))["params.encoder"] == "head_tail"
    summary = next(df.value for df in at.dataframe if "key" in df.value.columns and "eval/f1" in set(df.value["key"]))
    assert dict(zip(summary["key"], summary["value"], strict=True))["eval/f1"] == "0.93"
    assert at.selectbox(key="curve").options and at.get("plotly_chart")  # its metric curves
    assert "This run logged no tables." in texts(at)
    artifacts = [(page, params) for page, _, params in _links(at) if page == "artifacts"]
    assert {(p["collection"][0], p["version"][0]) for _, p in artifacts} == {
        ("phishing-texts", "v1"),
        ("phishing-classifier", "v0"),
    }
    assert [b.proto.url for b in at.get("link_button")] == [W_AND_B_URL]


def test_the_run_page_of_an_eval_run_links_its_tables(dash):
    at = open_page("pages/run.py", source=dash, project=fx.PROJECT, run="ev1")
    assert problems(at) == []
    tables = [params["table"] for _, _, params in _links(at) if "table" in params]
    assert tables == [["run-ev1-evalpredictions:v0/" + fx.TABLE_ENTRY]]


def test_the_runs_table_and_picker_lead_to_the_run_page(dash):
    at = open_page("pages/runs.py", source=dash, project=fx.PROJECT)
    assert problems(at) == []
    table = at.dataframe[-1].value
    for run_id, url in zip(table["id"], table["page"], strict=True):
        path = urlsplit(url)
        assert path.path == "./run" and parse_qs(path.query)["run"] == [run_id]
    assert set(_run_links(at)) == {at.selectbox(key="run").value}


def test_lineage_opens_a_run_on_its_page(dash):
    at = open_page("pages/lineage.py", source=dash, project=fx.PROJECT, root="tr3", node="tr3")
    assert problems(at) == []
    assert "tr3" in _run_links(at)


def test_artifacts_link_the_runs_that_logged_and_used_a_version(dash):
    at = open_page(
        "pages/artifacts.py", source=dash, project=fx.PROJECT, type="dataset", collection="phishing-texts", version="v1"
    )
    assert problems(at) == []
    links = _run_links(at)
    assert set(links) == {"prep", "tr1", "tr2", "tr3"}
    assert links["tr3"].replace("\\", "") == "exp-003-train (tr3)"  # named, not a bare id


def test_the_version_picker_shows_aliases(dash):
    at = open_page("pages/artifacts.py", source=dash, project=fx.PROJECT, type="dataset", collection="phishing-texts")
    assert problems(at) == []
    assert at.selectbox(key="version").options == ["v1 (latest)", "v0"]  # newest first, aliases named


@pytest.mark.parametrize("version, other", [("v0", "v1"), ("v1", "v0")])
def test_the_metadata_diff_reads_from_the_older_version_to_the_newer(dash, version, other):
    at = open_page(
        "pages/artifacts.py",
        source=dash,
        project=fx.PROJECT,
        type="dataset",
        collection="phishing-texts",
        version=version,
        diff_with=other,
        tab="Diff",
    )
    assert problems(at) == []
    diff = next(df.value for df in at.dataframe if "change" in df.value.columns)
    changes = dict(zip(diff["key"], diff["change"], strict=True))
    assert changes["splits.train"] == "added"  # v1 added it, whichever side was picked first
    assert changes["source"] == "removed"  # v0 had it, v1 has not
    assert list(diff.columns) == ["key", "v0", "v1", "change"]


def test_search_finds_p_s_in_the_full_text_of_exp_002s_misses(spec, demo):
    run = eval_run(demo, 2)
    frame = demo.tables[(run.tables[0].artifact, run.tables[0].entry)]
    misses = frame[(frame["True Label"] == "phishing") & (frame["Predicted Label"] == "ham")]
    want = int(misses["Full Text"].str.contains("P.S.", case=False, regex=False).sum())
    assert want > 0 and not misses["Decoded Text"].str.contains("P.S.", regex=False).all()
    at = open_analysis_page("error_analysis", spec, run=run.id, q="P.S.", cell="true phishing → predicted ham")
    assert problems(at) == []
    assert f"{want:,} of {len(frame):,} rows selected" in texts(at)
    assert views.run_choice_label(run)  # the run is the one named in the picker
