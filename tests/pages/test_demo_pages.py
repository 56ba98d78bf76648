"""Every dashboard page through AppTest on the demo store, opened the way `make run`
opens it without credentials: WBVIEW_STORE set, nothing in the URL."""

from __future__ import annotations

import pytest

from tests.pages.pagetest import (
    clear_streamlit_caches,
    histogram_panels,
    open_page,
    plotly_specs,
    problems,
    texts,
)
from wbview.demo import DEMO_PROJECT, build_demo
from wbview.demo.pipeline import SMALL_SIZE

PAGES = ["pages/runs.py", "pages/artifacts.py", "pages/lineage.py", "pages/error_analysis.py"]


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    return build_demo(tmp_path_factory.mktemp("demo-pages") / "store", seed=0, size=SMALL_SIZE)


@pytest.fixture(autouse=True)
def _demo_env(demo_store, monkeypatch):
    monkeypatch.setenv("WBVIEW_STORE", str(demo_store))
    clear_streamlit_caches()
    yield
    clear_streamlit_caches()


@pytest.mark.parametrize("page", PAGES)
def test_every_page_opens_the_demo_by_default_and_says_it_is_demo_data(page, demo_store):
    at = open_page(page)
    assert problems(at) == []
    assert "demo data" in texts(at)
    assert at.query_params["source"] == f"store:{demo_store}"
    assert at.query_params["project"] == DEMO_PROJECT


def test_demo_error_analysis_has_histograms_and_a_confusion_matrix():
    at = open_page("pages/error_analysis.py")
    assert plotly_specs(at) == [] and len(histogram_panels(at)) >= 3  # only the open tab (Group by) is drawn
    assert "rows selected" in texts(at)
    at = open_page("pages/error_analysis.py", tab="Confusion matrix")
    assert [s["data"][0]["type"] for s in plotly_specs(at)] == ["heatmap"]


def test_demo_lineage_connects_runs_and_artifacts():
    at = open_page("pages/lineage.py")
    symbols = {t["marker"]["symbol"] for t in plotly_specs(at)[0]["data"]}
    assert {"square", "circle"} <= symbols


def test_demo_false_negatives_put_the_flipped_labels_apart(demo_store):
    from wbview.analysis import outcomes
    from wbview.analysis.prepare import prepare
    from wbview.demo import demo_label_flips
    from wbview.sources.store.local import LocalSource

    flipped = demo_label_flips(demo_store)
    at = open_page("pages/error_analysis.py", tab="False negatives")
    assert problems(at) == []
    source = LocalSource(demo_store)
    run = source.run(DEMO_PROJECT, at.query_params["run"])
    table = prepare(source.load_table(DEMO_PROJECT, run.tables[0]).frame)
    ids = table.frame["Sample ID"].to_numpy()
    flipped_fn = set(ids[outcomes.false_negative_mask(table) & table.frame["Sample ID"].isin(flipped).to_numpy()])
    assert flipped_fn  # the demo's label noise reaches the false negatives
    likely = next(df.value for df in at.dataframe if "Label Quality" in df.value.columns)
    assert flipped_fn <= set(likely["Sample ID"])
    headings = [h.value for h in at.subheader]
    assert f"Likely mislabelled: {len(likely)} of the missed positives" in headings
