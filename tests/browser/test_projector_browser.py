"""A 1366x768 window (a meeting-room projector): on every analysis page of the demo no chart
title is cut at the chart's edge and every tick label uses the projector's larger font;
in Error analysis, clicking a row of the grid shows that row's full text.
Screenshots: test-artifacts/screenshots/projector-*.png, row-click.png."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from tests.browser.conftest import SCREENSHOT_DIR, Session
from wbview.charts.style import READABLE_TICKS

pytestmark = pytest.mark.browser

DEMO_PROJECT = "demo/phishing-demo"
PROJECTOR = {"width": 1366, "height": 768}

# Every title and axis title of every chart, with its box and the chart's box (the SVG
# clips what lies outside it), and the smallest tick label font of each chart.
CHART_TEXT_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(plot => {
    const svg = plot.querySelector('.main-svg').getBoundingClientRect();
    const frame = plot.closest('[data-testid="stPlotlyChart"]') || plot;
    const holder = frame.getBoundingClientRect();
    const titles = [...plot.querySelectorAll('.gtitle, .g-xtitle text, .g-ytitle text, .g-y2title text')]
        .map(el => ({text: el.textContent, box: el.getBoundingClientRect().toJSON()}))
        .filter(t => t.text && t.box.width > 0);
    const ticks = [...plot.querySelectorAll('.xtick text, .ytick text, .y2tick text')]
        .map(el => parseFloat(getComputedStyle(el).fontSize));
    const chart = {left: Math.max(svg.left, holder.left), right: Math.min(svg.right, holder.right), top: svg.top};
    return {chart, titles, smallest_tick: ticks.length ? Math.min(...ticks) : null};
})"""

# The same for Vega-Lite charts (drawn as SVG): every title, panel name and tick label, the
# chart's box, and the main column's box (a chart wider than the column is cut by the window).
VEGA_TEXT_JS = """() => [...document.querySelectorAll('.vega-embed svg.marks')].map(svg => {
    const box = svg.getBoundingClientRect();
    const column = svg.closest('[data-testid="stMainBlockContainer"]').getBoundingClientRect();
    const texts = sel => [...svg.querySelectorAll(sel)].map(el => ({text: el.textContent, box: el.getBoundingClientRect().toJSON()}));
    const ticks = [...svg.querySelectorAll('.role-axis-label text')].map(el => parseFloat(getComputedStyle(el).fontSize));
    return {
        chart: {left: Math.max(box.left, column.left), right: Math.min(box.right, column.right), top: box.top},
        titles: texts('.role-title-text text').filter(t => t.text && t.box.width > 0),
        smallest_tick: ticks.length ? Math.min(...ticks) : null,
    };
})"""

# The same for the group-by histograms (HTML bars): each line's title, panel name and bin
# label, the histograms' box within the main column, and the smallest axis label font.
HTML_TEXT_JS = """() => [...document.querySelectorAll('.wbv-hists')].map(hists => {
    const box = hists.getBoundingClientRect();
    const column = hists.closest('[data-testid="stMainBlockContainer"]').getBoundingClientRect();
    const titles = [...hists.querySelectorAll('.wbv-title, figcaption, .wbv-bins span')]
        .map(el => ({text: el.textContent, box: el.getBoundingClientRect().toJSON()}))
        .filter(t => t.text && t.box.width > 0);
    const ticks = [...hists.querySelectorAll('.wbv-grid span, .wbv-bins span')].map(el => parseFloat(getComputedStyle(el).fontSize));
    return {
        chart: {left: Math.max(box.left, column.left), right: Math.min(box.right, column.right), top: box.top},
        titles,
        smallest_tick: ticks.length ? Math.min(...ticks) : null,
    };
})"""


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    """A small demo store and its eval run ids by experiment."""
    from wbview.demo import build_demo
    from wbview.demo.pipeline import SMALL_SIZE
    from wbview.sources.store.local import LocalSource

    path = build_demo(tmp_path_factory.mktemp("projector") / "store", seed=0, size=SMALL_SIZE)
    runs = LocalSource(path).runs(DEMO_PROJECT)
    return path, {int(r.group.split("-")[1]): r.id for r in runs if r.job_type == "eval"}


@pytest.fixture
def projector(browser):
    context = browser.new_context(viewport=PROJECTOR)
    yield Session(context.new_page())
    context.close()


def _url(app_url: str, demo_store, page: str, **params: str) -> str:
    query = {"source": f"store:{demo_store[0]}", "project": DEMO_PROJECT, **params}
    return f"{app_url}/{page}?" + "&".join(f"{k}={quote(str(v))}" for k, v in query.items())


def _cut(chart: dict, box: dict) -> bool:
    return box["left"] < chart["left"] - 1 or box["right"] > chart["right"] + 1 or box["top"] < chart["top"] - 1


# Pages (by their "view") whose chart is Vega-Lite (the rankings, the threshold curves) or
# HTML bars (the group-by histograms).
VEGA_PAGES = {None: ("slices", "threshold"), "n-grams": ("slices",)}
HTML_PAGES = {None: ("error_analysis",)}
PAGES = [
    ("error_analysis", {}, 2),
    ("threshold", {}, 2),
    ("calibration", {}, 2),
    ("slices", {}, 1),
    ("slices", {"view": "error tree"}, 2),
    ("slices", {"view": "n-grams"}, 1),
    ("run_diff", {"run_b": "exp-004"}, 1),
    ("stacked", {"by": "config.params.threshold"}, 1),
]


@pytest.mark.parametrize(
    ("page_name", "params", "charts"), PAGES, ids=[f"{p}-{'-'.join(q.values()) or 'default'}" for p, q, _ in PAGES]
)
def test_no_chart_title_is_cut_and_ticks_are_readable(app_url, demo_store, projector, page_name, params, charts):
    ids = demo_store[1]
    params = {k: (ids[4] if v == "exp-004" else v) for k, v in params.items()}
    projector.open(_url(app_url, demo_store, page_name, run=ids[2], **params))
    if page_name in HTML_PAGES.get(params.get("view"), ()):
        projector.wait_histograms()
    elif page_name in VEGA_PAGES.get(params.get("view"), ()):  # one Vega-Lite chart
        projector.wait_vega(charts)
    else:
        projector.wait_charts(charts)
    projector.ready()
    projector.page.wait_for_timeout(500)  # plotly's last layout pass
    name = "-".join(["projector", page_name, *(re.sub(r"\W+", "-", v) for v in params.values())])
    projector.screenshot(name)
    drawn = [projector.page.evaluate(js) for js in (CHART_TEXT_JS, VEGA_TEXT_JS, HTML_TEXT_JS)]
    drawn = [chart for charts_of_a_kind in drawn for chart in charts_of_a_kind]
    assert len(drawn) >= 1
    cut = [
        (t["text"], round(t["box"]["right"] - d["chart"]["right"]))
        for d in drawn
        for t in d["titles"]
        if _cut(d["chart"], t["box"])
    ]
    assert cut == [], f"titles cut at the chart's edge on {name} (text, pixels past the edge): {cut}"
    shortened = [t["text"] for d in drawn for t in d["titles"] if "…" in t["text"]]
    assert shortened == [], f"titles cut short on {name}: {shortened}"
    charts_shown = projector.page.locator('[data-testid="stPlotlyChart"], [data-testid="stVegaLiteChart"], .wbv-hists').all()
    for i, chart in enumerate(charts_shown):
        if chart.is_visible():
            _whole_element_screenshot(projector.page, chart, SCREENSHOT_DIR / f"{name}-chart{i}.png")
    small = [d["smallest_tick"] for d in drawn if d["smallest_tick"] is not None and d["smallest_tick"] < READABLE_TICKS["size"]]
    assert small == [], f"tick labels under {READABLE_TICKS['size']}px on {name}: {small}"
    assert projector.page_errors == []


def _whole_element_screenshot(page, element, path) -> None:
    """Headless Chromium paints only what a viewport shows: an element taller than the
    projector's 768 px came out blank below it. The window grows to the element for the
    shot (the width, and so the layout, stays) and is put back."""
    viewport = page.viewport_size
    height = int((element.bounding_box() or {"height": 0})["height"])
    if height + 40 > viewport["height"]:
        page.set_viewport_size({"width": viewport["width"], "height": height + 40})
    try:
        element.scroll_into_view_if_needed()
        page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))")
        element.screenshot(path=str(path))
    finally:
        page.set_viewport_size(viewport)


# Every tick label of the parallel coordinates: its axis (the label's group), its box, and the
# plot's box.
PARCOORDS_TICKS_JS = """() => {
    const plot = document.querySelector('.js-plotly-plot');
    const holder = plot.closest('[data-testid="stPlotlyChart"]').getBoundingClientRect();
    const axes = [...plot.querySelectorAll('.parcoords .y-axis')];
    const ticks = axes.flatMap((axis, index) => [...axis.querySelectorAll('.tick text')]
        .filter(el => el.textContent)
        .map(el => ({axis: index, text: el.textContent, box: el.getBoundingClientRect().toJSON()})));
    return {ticks, left: holder.left, right: holder.right};
}"""


def _overlap(a: dict, b: dict) -> bool:
    return a["left"] < b["right"] - 1 and b["left"] < a["right"] - 1 and a["top"] < b["bottom"] - 1 and b["top"] < a["bottom"] - 1


def test_parallel_coordinates_labels_do_not_run_into_each_other(app_url, demo_store, projector):
    """On a projector, the eval runs' axes (run, dataset, model, threshold, F1): every tick label
    inside the chart and clear of the labels of the axes beside it."""
    projector.open(
        f"{app_url}/?source=store:{quote(str(demo_store[0]))}&project={quote(DEMO_PROJECT)}&f=job_type%20in%20%27eval%27"
    )
    projector.wait_charts(selector=".parcoords .y-axis .tick text")
    projector.ready()
    projector.page.get_by_role("heading", name="Parameters against a metric").scroll_into_view_if_needed()
    projector.screenshot("projector-runs-parcoords")
    drawn = projector.page.evaluate(PARCOORDS_TICKS_JS)
    ticks = drawn["ticks"]
    assert {t["axis"] for t in ticks} >= {0, 1, 2}, ticks  # the run axis and two category axes at least
    outside = [t["text"] for t in ticks if t["box"]["left"] < drawn["left"] - 1 or t["box"]["right"] > drawn["right"] + 1]
    assert outside == [], outside
    clashes = [(a["text"], b["text"]) for a in ticks for b in ticks if a["axis"] < b["axis"] and _overlap(a["box"], b["box"])]
    assert clashes == [], clashes
    assert projector.page_errors == []


def test_clicking_a_row_in_the_grid_shows_its_full_text(app_url, session):
    from tests.pages.dashboard_fixture import eval_table

    texts = list(eval_table()["Decoded Text"])
    page = session.page
    session.open(f"{app_url}/error_analysis?run=ev1&tab=Rows")
    grid = page.locator('[data-testid="stDataFrame"]').filter(has=page.locator("canvas")).last
    grid.wait_for()
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    header, row_height, row = 35, 35, 3
    # The row marker (checkbox) column at the grid's left selects a row in single-row mode.
    page.mouse.click(box["x"] + 18, box["y"] + header + row_height * row + row_height / 2)
    page.get_by_text(f"Row {row}, clicked in the table").wait_for()
    session.ready()
    shown = page.locator('[data-testid="stCode"]').last.inner_text()
    assert texts[row] != texts[0] and texts[row][:60] in shown
    session.screenshot("row-click")
    assert session.page_errors == []
