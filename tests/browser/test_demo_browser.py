"""The app on the full demo project, as `make run` opens it without W&B credentials
(`streamlit run app.py` with WBVIEW_STORE=<demo store>): the demo notice, the runs of the
six experiments, the whole pipeline's lineage, the exp-002 false-negative story and the
threshold page. Its screenshots (demo-*.png) are the README's first screen."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import Session, serve_app

pytestmark = pytest.mark.browser

# A 1400x1000 viewport keeps the README's PNGs small and shows each page's first screen.
VIEWPORT = {"width": 1400, "height": 1000}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The full demo store (seed 0) and its runs."""
    from wbview.demo import DEMO_PROJECT, build_demo
    from wbview.sources.store.local import LocalSource

    path = build_demo(tmp_path_factory.mktemp("demo") / "store", seed=0)
    return path, LocalSource(path).runs(DEMO_PROJECT)


@pytest.fixture(scope="module")
def demo_url(demo, tmp_path_factory, browser):
    """`streamlit run serve.py` on the demo store, as `make run` starts it without credentials."""
    server = serve_app(demo[0], tmp_path_factory, name="streamlit-demo-server")
    url = next(server)
    try:
        # Open the root once: a deep link as a fresh server's first request sometimes still
        # shows Streamlit's file-name menu of pages/ (reported to the lead).
        page = browser.new_page(viewport=VIEWPORT)
        Session(page).open(url)
        page.close()
        yield url
    finally:
        next(server, None)  # stops the server by PID


@pytest.fixture
def demo_session(browser):
    context = browser.new_context(viewport=VIEWPORT)
    yield Session(context.new_page())
    context.close()


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def _run(runs, job_type: str, name_prefix: str):
    return next(r for r in runs if r.job_type == job_type and r.name.startswith(name_prefix))


def _scroll_to_top_of(locator) -> None:
    """Scroll Streamlit's main container so that ``locator`` is at the top of the screenshot."""
    locator.evaluate("element => element.scrollIntoView({block: 'start'})")


def _wait_table_drawn(page) -> None:
    """Table cells are drawn on a canvas: wait until the grid's canvas exists and has a size."""
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stDataFrame"] canvas')].some(c => c.width > 0)""", timeout=45_000
    )


def test_runs_page_says_demo_data_and_lists_the_experiments(demo_url, demo, demo_session):
    page = demo_session.page
    demo_session.open(f"{demo_url.rstrip('/')}/?curves=true")  # metric curves load only when asked
    page.get_by_role("heading", name="Runs").wait_for()
    notice = page.get_by_test_id("stAlert").filter(has_text="demo data")
    notice.wait_for()
    text = notice.inner_text()
    assert "WANDB_API_KEY" in text and "secrets.toml" in text and "make run" in text, text
    assert _query(page.url)["source"] == [f"store:{demo[0]}"]
    assert _query(page.url)["project"] == ["demo/phishing-demo"]
    page.get_by_text(f"{len(demo[1])} of {len(demo[1])} runs match the filters; showing 1–{len(demo[1])}").wait_for()
    demo_session.wait_charts()
    _wait_table_drawn(page)
    demo_session.screenshot("demo-runs")

    # The runs table is a canvas: read the experiments from the sidebar's group filter instead.
    group_filter = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(has_text="group").first
    group_filter.scroll_into_view_if_needed()  # a click that scrolls the sidebar can close the list again
    first_option = page.get_by_role("option", name="exp-001", exact=True)
    for attempt in range(3):  # a rerun landing just then can close the list: open it again
        group_filter.locator("input").focus()
        page.keyboard.press("ArrowDown")
        try:
            first_option.wait_for(timeout=10_000)
            break
        except Exception:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
            demo_session.ready()
    groups = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    experiments = {g.strip() for g in groups if g.strip().startswith("exp-")}
    assert experiments == {f"exp-00{i}" for i in range(1, 7)}, groups
    assert {r.group for r in demo[1] if r.job_type == "eval"} == experiments
    assert demo_session.page_errors == []


def test_lineage_shows_the_whole_pipeline(demo_url, demo, demo_session):
    page = demo_session.page
    # exp-002's chain: from its encode run, 4 hops reach both ingest and the eval's predictions
    # (from the eval run itself, ingest is 8 hops up: eval -> model -> train -> encoded -> encode -> ...).
    encode = _run(demo[1], "encode", "encode-standard-phishing-texts")
    demo_session.open(f"{demo_url}/lineage?root={encode.id}&depth=4")
    demo_session.wait_charts()
    page.get_by_test_id("stSidebarHeader").hover()  # the collapse button shows on hover
    page.get_by_test_id("stSidebarCollapseButton").click()  # room for ten levels of labels
    page.get_by_test_id("stSidebar").wait_for(state="hidden")
    labels = page.locator(".main-svg .textpoint text").all_text_contents()  # SVG: no inner_text
    for job_type in ("ingest", "clean", "encode"):
        assert any(label.startswith(f"{job_type}-") for label in labels), labels
    for step in ("exp-002-train", "exp-002-eval", "phishing-test-predictions"):
        assert any(step in label for label in labels), labels
    demo_session.screenshot("demo-lineage")
    assert demo_session.page_errors == []


def test_error_analysis_of_exp_002_groups_by_is_error(demo_url, demo, demo_session):
    page = demo_session.page
    run = _run(demo[1], "eval", "exp-002-eval")
    demo_session.open(f"{demo_url}/error_analysis?run={run.id}")
    demo_session.wait_histograms()
    page.get_by_text(re.compile(r"Rows per group: False: [\d,]+, True: [\d,]+")).wait_for()
    titles = page.locator(".wbv-hists figcaption").all_inner_texts()
    assert any(t.startswith("True (") for t in titles) and any(t.startswith("False (") for t in titles), titles
    _scroll_to_top_of(page.get_by_role("tablist"))
    demo_session.screenshot("demo-error-analysis")
    assert demo_session.page_errors == []


def test_false_negatives_of_exp_004_put_likely_label_errors_apart(demo_url, demo, demo_session):
    page = demo_session.page
    run = _run(demo[1], "eval", "exp-004-eval")
    demo_session.open(f"{demo_url}/error_analysis?run={run.id}&tab=False+negatives")
    heading = page.get_by_role("heading", name=re.compile(r"^Likely mislabelled: [\d,]+ of the missed positives"))
    heading.wait_for()
    # On the full demo 52 of exp-004's 258 false negatives are flagged, 49 of them real flips.
    assert heading.inner_text().startswith("Likely mislabelled: 52 of"), heading.inner_text()
    page.get_by_text(re.compile(r"Missed positives that look like model errors \(206\)")).wait_for()
    _wait_table_drawn(page)
    _scroll_to_top_of(heading)
    demo_session.screenshot("demo-likely-mislabelled")
    assert demo_session.page_errors == []


def test_threshold_page_on_exp_002(demo_url, demo, demo_session):
    page = demo_session.page
    run = _run(demo[1], "eval", "exp-002-eval")
    # A missed phishing message costs five false alarms: the cost-optimal threshold moves below the logged 0.5.
    demo_session.open(f"{demo_url}/threshold?run={run.id}&fn_cost=5")
    demo_session.wait_vega(5)  # four rates and the cost
    heading = page.get_by_role("heading", name=re.compile(r"^At threshold "))
    heading.wait_for()
    assert float(heading.inner_text().split()[-1]) < 0.5, heading.inner_text()  # below the logged threshold
    page.get_by_text("From the logged predictions to the chosen threshold:").wait_for()
    _scroll_to_top_of(heading)
    demo_session.screenshot("demo-threshold")
    assert demo_session.page_errors == []
