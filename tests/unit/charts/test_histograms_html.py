"""charts.histograms: the group-by histograms as finished HTML bars."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from wbview.analysis.groups import ColumnHistogram, group_histograms
from wbview.analysis.prepare import prepare
from wbview.charts.errors import outcome_colours
from wbview.charts.histograms import PANEL_GAP_PX, WIDTH_PX, group_histograms_html, nice_ticks
from wbview.charts.style import CORRECT_COLOUR, ERROR_COLOUR, READABLE_TICKS

PAYLOAD = "<img src=x onerror=alert(1)>"


class _Drawn(HTMLParser):
    """What a browser shows of the HTML: the text by the class of the element it is in, the
    tooltips of the bars, the heights of the bars, and every tag and attribute used."""

    def __init__(self, markup: str):
        super().__init__()
        self.texts: dict[str, list[str]] = {}
        self.tooltips: list[str] = []
        self.heights: list[float] = []
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self._open: list[str] = []
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.add(tag)
        self.attributes |= set(attrs)
        if tag in ("span", "i"):
            kind = "tick" if self._open and self._open[-1] == "wbv-grid" else "bin"
        else:
            kind = tag if tag in ("figcaption", "style") else attrs.get("class", "")
        if kind == "wbv-bin":
            self.tooltips.append(attrs["title"])
        if kind == "wbv-bin" and (m := re.fullmatch(r"--h:([\d.e+-]+)%", attrs.get("style", ""))):
            self.heights.append(float(m.group(1)))
        self._open.append(kind)

    def handle_endtag(self, tag):
        self._open.pop()

    def handle_data(self, data):
        if self._open:
            self.texts.setdefault(self._open[-1], []).append(data)


def _histogram(name: str, counts: dict[str, list[int]], bins: list[str], kind: str = "categorical") -> ColumnHistogram:
    frame = pd.DataFrame(counts, index=bins)
    return ColumnHistogram(name, kind, frame, None, pd.Series(0, index=list(counts)))


@pytest.mark.parametrize(
    "top, ticks",
    [
        (0, (0, 1)),
        (1, (0, 1)),
        (3, (0, 1, 2, 3)),
        (7, (0, 2, 4, 6, 8)),
        (10, (0, 5, 10)),
        (146_226, (0, 50_000, 100_000, 150_000)),
        (9_193, (0, 5_000, 10_000)),
        (658_845, (0, 200_000, 400_000, 600_000, 800_000)),
        (1_000_000, (0, 500_000, 1_000_000)),
    ],
)
def test_count_axes_read_as_round_numbers(top, ticks):
    assert nice_ticks(top) == ticks


def test_a_panel_per_group_with_its_counts_shares_and_size_in_the_groups_order():
    sizes = pd.Series({"True": 2, "False": 4})  # the order the page gives: True first
    chart = group_histograms_html([_histogram("Predicted Label", {"False": [3, 1], "True": [0, 2]}, ["ham", "phishing"])], sizes)
    (line,) = chart.lines
    assert [p.name for p in line.panels] == ["True (2 rows)", "False (4 rows)"]
    true, false = line.panels
    assert [(b.label, b.n) for b in false.bars] == [("ham", 3), ("phishing", 1)]
    assert [b.share for b in true.bars] == [0.0, 1.0]
    assert false.ticks[-1] >= 3 and [b.height for b in false.bars] == [3 / false.ticks[-1], 1 / false.ticks[-1]]
    drawn = _Drawn(chart.html)
    assert drawn.texts["figcaption"] == ["True (2 rows)", "False (4 rows)"]
    assert drawn.tooltips == [
        "ham: 0 rows (0.0% of the group)",
        "phishing: 2 rows (100.0% of the group)",
        "ham: 3 rows (75.0% of the group)",
        "phishing: 1 row (25.0% of the group)",
    ]
    assert drawn.texts["bin"] == ["ham", "phishing", "ham", "phishing"]  # short labels, upright, every one
    # the bars' heights are the counts over the axis' top
    assert drawn.heights == pytest.approx([0, 100, 3 / false.ticks[-1] * 100, 1 / false.ticks[-1] * 100], rel=1e-3)


def test_a_line_per_column_in_order_and_every_string_from_data_stays_text():
    sizes = pd.Series({PAYLOAD: 4, "True": 2})
    names = ["first", "second <b>", "datum.x + 'y'", PAYLOAD, "third " + "long words " * 10]
    histograms = [_histogram(name, {PAYLOAD: [3, 1], "True": [0, 2]}, ["a", PAYLOAD]) for name in names]
    chart = group_histograms_html(histograms, sizes)
    assert [line.title for line in chart.lines] == [names[0], names[1], names[2], names[3], names[4]]
    drawn = _Drawn(chart.html)
    assert drawn.texts["wbv-title"] == names  # whole, as written: the browser shows it as text
    assert PAYLOAD not in chart.html and "<b>" not in chart.html
    assert drawn.tags <= {"div", "style", "figure", "figcaption", "span", "i"}
    assert drawn.attributes <= {"class", "style", "title", "role", "aria-level"}
    assert f"{PAYLOAD} (4 rows)" in drawn.texts["figcaption"]
    assert any(t.startswith(PAYLOAD + ":") for t in drawn.tooltips)


def test_many_groups_wrap_three_panels_to_a_line_within_the_main_column():
    groups = [f"a-very-long-group-name-{i}-same-end" for i in range(7)]
    sizes = pd.Series(range(1, 8), index=groups)
    chart = group_histograms_html([_histogram("c", {g: [1, 2] for g in groups}, ["x", "y"])], sizes)
    assert len(chart.lines[0].panels) == 7
    widths = {int(w) for w in re.findall(r"<figure style=\"width:(\d+)px", chart.html)}
    (width,) = widths
    assert width * 3 + 2 * PANEL_GAP_PX <= WIDTH_PX and width * 4 + 3 * PANEL_GAP_PX > WIDTH_PX
    assert _Drawn(chart.html).texts["figcaption"] == [
        f"{g} ({n} row{'s' if n > 1 else ''})" for g, n in zip(groups, range(1, 8), strict=True)
    ]


def test_numeric_bins_are_tilted_and_thinned_so_labels_do_not_overlap():
    bins = [f"{10 * i:,}–{10 * i + 10:,}" for i in range(40)]
    histogram = _histogram("length", {"False": list(range(40)), "True": [1] * 40}, bins, kind="numeric")
    (line,) = group_histograms_html([histogram], pd.Series({"False": 780, "True": 40})).lines
    assert line.tilted
    labelled = [b.label for b in line.panels[0].bars if b.labelled]
    assert labelled[0] == bins[0] and 1 < len(labelled) < len(bins)
    step = bins.index(labelled[1])
    assert labelled == bins[::step]
    drawn = _Drawn(group_histograms_html([histogram], pd.Series({"False": 780, "True": 40})).html)
    assert drawn.texts["bin"] == labelled * 2  # only those are drawn, in both panels
    assert len(drawn.tooltips) == 80  # every bar keeps its tooltip, labelled or not


@pytest.mark.parametrize(
    "bins, tilted",
    [
        (["ham", "phishing"], False),
        (["ok", "insult", "threat"], False),
        (["a-label-longer-than-twelve", "b"], True),
        ([f"c{i}" for i in range(20)], True),  # too many to stand upright side by side
    ],
)
def test_short_categories_stand_upright(bins, tilted):
    histogram = _histogram("c", {"False": [1] * len(bins)}, bins)
    (line,) = group_histograms_html([histogram], pd.Series({"False": len(bins)})).lines
    assert line.tilted is tilted


def test_errors_are_drawn_in_the_warning_colour():
    frame = pd.DataFrame({"x": ["a", "b", "a", "b"], "True Label": ["p", "p", "q", "q"], "Predicted Label": ["p", "q", "q", "p"]})
    grouped = group_histograms(prepare(frame), columns=["x"])
    chart = group_histograms_html([grouped.histograms["x"]], grouped.group_sizes, outcome_colours(grouped.group_sizes.index))
    assert {p.name: p.colour for p in chart.lines[0].panels} == {"False (2 rows)": CORRECT_COLOUR, "True (2 rows)": ERROR_COLOUR}
    assert f"--wbv-colour:{ERROR_COLOUR}" in chart.html


def test_labels_use_the_readable_sizes():
    chart = group_histograms_html([_histogram("c", {"False": [1, 2]}, ["x", "y"])], pd.Series({"False": 3}))
    sizes = {int(s) for s in re.findall(r"font-size: (\d+)px", chart.html)}
    assert min(sizes) == READABLE_TICKS["size"] >= 13
    assert re.search(r"\.wbv-title \{[^}]*font-size: 17px", chart.html)


def test_an_empty_group_draws_empty_bars_not_an_error():
    chart = group_histograms_html(
        [_histogram("c", {"False": [0, 0], "True": [2, 1]}, ["x", "y"])], pd.Series({"False": 0, "True": 3})
    )
    empty = chart.lines[0].panels[0]
    assert empty.ticks == (0, 1) and [b.height for b in empty.bars] == [0.0, 0.0]


def test_real_group_histograms_of_a_table_draw_every_column():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "Decoded Text": ["x" * int(n) for n in rng.integers(5, 400, 300)],
            "score": rng.random(300),
            "True Label": rng.choice(["a", "b"], 300),
            "Predicted Label": rng.choice(["a", "b"], 300),
        }
    )
    table = prepare(frame)
    grouped = group_histograms(table, columns=["Decoded Text", "score", "True Label"])
    chart = group_histograms_html(list(grouped.histograms.values()), grouped.group_sizes)
    assert [line.title for line in chart.lines] == ["Decoded Text (text length)", "score", "True Label"]
    for line, histogram in zip(chart.lines, grouped.histograms.values(), strict=True):
        assert sum(b.n for p in line.panels for b in p.bars) == int(histogram.counts.to_numpy().sum())
