"""The dashboard in a real browser (Chromium via Playwright against `streamlit run`):
every page renders, a filter change lands in the URL and the URL reopens the view, a
lineage node click opens the artifact, grouping a table, and data payloads stay text."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.pages.dashboard_fixture import IMG_PAYLOAD, SCRIPT_PAYLOAD

pytestmark = pytest.mark.browser

PAGES = [("Runs", "runs"), ("Artifacts", "artifacts"), ("Lineage", "lineage"), ("Error analysis", "error-analysis")]


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def _choose(page, container, label: str, option: str) -> None:
    """Open the select/multiselect labelled ``label`` and click ``option``."""
    widget = container.filter(has_text=label).first
    widget.click()
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")


def test_every_page_renders_from_the_sidebar(app_url, session):
    page = session.page
    # The server's very first request is a deep link: it must still run app.py's navigation.
    session.open(f"{app_url}/lineage?root=tr3")
    page.get_by_role("heading", name="Lineage").wait_for()
    for title, name in PAGES:
        page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
        page.get_by_role("heading", name=title).wait_for()
        session.ready()
        if name == "runs":  # parallel coordinates; metric curves load only when asked
            session.wait_charts(selector=".parcoords")
        elif name == "error-analysis":  # the group-by histograms: HTML bars
            session.wait_histograms()
        elif name != "artifacts":
            session.wait_charts()
        assert "source=store" in page.url  # the source and project stay in the link
        session.screenshot(name)
    assert session.page_errors == []


def test_a_filter_change_lands_in_the_url_and_the_url_reopens_the_view(app_url, session, browser):
    page = session.page
    session.open(app_url)
    page.get_by_text("5 of 5 runs match").wait_for()
    _choose(page, page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect"), "job_type", "train")
    page.get_by_text("3 of 5 runs match").wait_for()
    session.ready()
    page.wait_for_url(re.compile(r"[?&]f=job_type"))
    shared = page.url
    assert _query(shared)["project"] == ["acme/phish-dash"]
    assert _query(shared)["f"] == ["job_type in train"]  # the filter text syntax of `wbview runs --filter`

    other = browser.new_context(viewport={"width": 1400, "height": 1500}).new_page()
    other.goto(shared)
    other.get_by_text("3 of 5 runs match").wait_for(timeout=45_000)
    other.context.close()
    session.screenshot("runs-filtered")


def test_clicking_a_lineage_node_opens_it(app_url, session):
    page = session.page
    session.open(f"{app_url}/lineage?root=tr3")
    session.wait_charts()
    # Nodes sit one column per hop: prep, dataset, tr3 (root), classifier, ev1 from left to right.
    boxes = sorted((p.bounding_box() for p in page.locator(".scatterlayer .trace .points path").all()), key=lambda b: b["x"])
    assert len(boxes) == 5
    box = boxes[3]
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.up()
    link = page.get_by_role("link", name="Open artifact phishing-classifier:v0")
    link.wait_for(timeout=45_000)
    session.ready()  # the link reaches the address bar when the run ends
    assert _query(page.url)["node"] == ["phishing-classifier:v0"]
    session.screenshot("lineage-node")
    link.click()
    page.wait_for_url(re.compile(r"/artifacts\?"))
    page.get_by_role("heading", name="phishing-classifier:v0").wait_for()
    session.ready()
    page.get_by_text("Missing 1 of 6 essential metadata keys for a model: best_metric.").wait_for()
    session.screenshot("artifact-model")


def test_grouping_a_table_by_another_column(app_url, session):
    page = session.page
    session.open(f"{app_url}/error_analysis?run=ev1")
    session.wait_histograms()
    page.get_by_text("Rows per group: False: 225, True: 15").wait_for()
    _choose(page, page.get_by_test_id("stSelectbox"), "Group by", "Sender Domain")
    page.get_by_text(re.compile(r"Rows per group: .*corp\.example: \d+")).wait_for()
    session.ready()
    page.locator(".wbv-hists figcaption", has_text="free.example (").first.wait_for()
    assert _query(page.url)["by"] == ["Sender Domain"]
    titles = page.locator(".wbv-hists figcaption").all_inner_texts()
    assert any(t.startswith("free.example (") for t in titles)
    session.screenshot("error-analysis-grouped")


def test_script_and_img_payloads_show_as_text_and_never_run(app_url, session):
    page = session.page
    session.open(f"{app_url}/error_analysis?run=ev1&q=window.__xss")  # both payload rows
    page.get_by_role("tab", name="Rows").click()
    page.get_by_text("2 rows selected").wait_for()
    code = page.get_by_test_id("stCode").first
    assert code.inner_text().strip() == SCRIPT_PAYLOAD  # row 0, in full, as text
    page.get_by_test_id("stNumberInput").get_by_test_id("stNumberInputStepUp").click()
    page.get_by_test_id("stCode").filter(has_text="onerror").wait_for()
    session.ready()
    assert page.get_by_test_id("stCode").first.inner_text().strip() == IMG_PAYLOAD
    assert page.get_by_test_id("stDataFrame").count() >= 1
    with page.expect_download() as download:  # the table's cells are canvas: read them via the CSV
        page.get_by_role("button", name="Download these rows as CSV").click()
    csv_text = open(download.value.path(), encoding="utf-8").read()
    assert csv_text.count("\n") == 3 and "<script>" in csv_text and "onerror" in csv_text
    page.wait_for_timeout(1000)  # give any injected handler the time to fire

    assert session.dialogs == []
    assert page.evaluate("() => window.__xss") is None
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator("script", has_text="__xss").count() == 0
    session.screenshot("payloads-as-text")


def test_clicking_a_confusion_cell_filters_the_rows(app_url, session):
    from tests.pages.dashboard_fixture import eval_table

    table = eval_table()
    n_fn = int(((table["True Label"] == "phishing") & (table["Predicted Label"] == "ham")).sum())
    page = session.page
    session.open(f"{app_url}/error_analysis?run=ev1")
    page.get_by_role("tab", name="Confusion matrix").click()
    plot_area = page.locator(".stPlotlyChart:visible .nsewdrag").first
    plot_area.wait_for()
    box = plot_area.bounding_box()
    # Rows are true labels (ham on top), columns predicted labels: bottom-left is phishing -> ham.
    page.mouse.move(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.75)
    page.mouse.down()
    page.mouse.up()
    page.get_by_text(f"{n_fn} of 240 rows selected").wait_for()
    session.ready()
    assert _query(page.url)["cell"] == ["true phishing → predicted ham"]
    session.screenshot("confusion-cell")


def test_the_column_mapping_panel_opens_on_click_and_its_choice_stays_in_the_link(app_url, session):
    """The panel's selectboxes are drawn only once it is opened; a role chosen there goes into
    the link, and the link reopens the panel with that choice."""
    page = session.page
    session.open(f"{app_url}/error_analysis?run=ev1")
    session.wait_histograms()
    mapping = page.get_by_test_id("stSelectbox").filter(has_text="true label")
    assert mapping.count() == 0  # closed: not drawn
    page.get_by_text("Column mapping", exact=True).click()
    mapping.first.wait_for()
    session.ready()
    _choose(page, page.get_by_test_id("stSelectbox"), "text", "Sender Domain")
    page.wait_for_url(re.compile(r"map\.text=Sender"))
    session.ready()
    assert _query(page.url)["map.text"] == ["Sender Domain"]
    session.open(page.url)
    page.get_by_test_id("stSelectbox").filter(has_text="true label").first.wait_for()
    assert page.get_by_role("combobox", name="text", exact=True).input_value() == "Sender Domain"
    session.screenshot("error-analysis-column-mapping")
