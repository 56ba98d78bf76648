"""Figures for a projector: bins a person reads at a glance, errors in the warning colour."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wbview.analysis.groups import group_histograms
from wbview.analysis.prepare import prepare


@pytest.mark.parametrize(
    "value, text",
    [
        (1100.0, "1,100"),
        (1234.5, "1,230"),
        (1.2e3, "1,200"),
        (99999.0, "100,000"),
        (2_500_000.0, "2.5M"),
        (0.125, "0.125"),
        (12.0, "12"),
        (0.0, "0"),
        (-1500.0, "-1,500"),
        (0.00012, "1.2e-04"),
    ],
)
def test_bin_edges_read_as_everyday_numbers(value, text):
    from wbview.analysis.groups import _format_number

    assert _format_number(value) == text


def test_histogram_bins_of_text_lengths_have_no_e_notation():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "length": rng.integers(1000, 1300, 300).astype(float),
            "True Label": rng.choice(["a", "b"], 300),
            "Predicted Label": rng.choice(["a", "b"], 300),
        }
    )
    bins = list(group_histograms(prepare(frame), columns=["length"]).histograms["length"].counts.index)
    assert bins and not any("e+" in b for b in bins)
    assert any("," in b for b in bins)  # thousands separated: "1,100–1,120"


@pytest.mark.parametrize(
    "text, limit, expected",
    [
        ("phishing-texts-encoded-head-tail:v0", 20, "phishing-text…ail:v0"),  # the version stays
        ("short:v1", 28, "short:v1"),
    ],
)
def test_short_cuts_in_the_middle(text, limit, expected):
    from wbview.charts.style import short

    assert short(text, limit) == expected and len(short(text, limit)) <= limit


def test_wrapped_labels_break_into_lines_and_stay_plain():
    from wbview.charts.style import wrapped

    label = wrapped("URL domain != (other) and Decoded Text: length >= 1,200 <b>", 24, 3)
    lines = label.split("<br>")
    assert len(lines) == 3 and all(len(line.replace("&lt;", "<").replace("&gt;", ">")) <= 24 for line in lines)
    assert "Decoded Text" in label.replace("<br>", " ")  # not cut after 28 characters
    assert "<b>" not in label and "&lt;b&gt;" in label  # data stays text


def test_lineage_labels_keep_the_version():
    from wbview.charts.lineage import lineage_figure
    from wbview.charts.lineage_layout import layout_lineage
    from wbview.records import LineageEdge, LineageGraph, LineageNode

    name = "phishing-texts-encoded-head-tail-2025-12:v3"
    graph = LineageGraph(
        root=name,
        nodes=(
            LineageNode(id=name, kind="artifact", name=name, type="dataset"),
            LineageNode(id="r1", kind="run", name="exp-004-eval"),
        ),
        edges=(LineageEdge(source=name, target="r1"),),
    )
    texts = [t for trace in lineage_figure(layout_lineage(graph)).data for t in (trace.text or ())]
    drawn = next(t for t in texts if "phishing" in t).replace("<br>", "")
    assert drawn.endswith(":v3")


def test_parallel_coordinates_name_every_run_and_keep_category_ends():
    from wbview.charts.runs import parallel_coordinates

    frame = pd.DataFrame(
        {
            "params.dataset": ["phishing-texts-encoded-standard:v0", "phishing-texts-encoded-head-tail:v0"],
            "summary.f1": [0.8, 0.9],
        }
    )
    fig = parallel_coordinates(
        frame, ["params.dataset", "summary.f1"], "summary.f1", run_labels=["exp-001 (a1)", "<b>x</b> (b2)"]
    )
    dims = fig.data[0].dimensions
    assert dims[0].label == "run" and list(dims[0].ticktext) == ["exp-001 (a1)", "&lt;b&gt;x&lt;/b&gt; (b2)"]
    assert list(dims[0].values) == [0, 1]  # each line passes through its own run's tick
    ticks = sorted(dims[1].ticktext)
    assert ticks[0].endswith("ad-tail:v0") and ticks[1].endswith("andard:v0")  # the ends that differ stay


@pytest.mark.parametrize(
    "values, limit, expected",
    [
        (
            ["phishing-classifier-standard:v1", "phishing-classifier-head-tail:v2"],
            15,
            ["…standard:v1", "…head-tail:v2"],  # the shared start goes, up to a separator
        ),
        (["ham", "phishing"], 15, ["ham", "phishing"]),  # short enough: as they are
        (["abc-def-ghi-jkl-mno-pqr"], 15, ["abc-def-g…o-pqr"]),  # one value: cut in the middle
        (["model-x:v10", "model-x:v11"], 8, ["…v10", "…v11"]),
        (["exp-001-eval-long-suffix", "exp-002-eval-long-suffix"], 12, ["…001-ev…ffix", "…002-ev…ffix"]),
    ],
)
def test_category_ticks_keep_what_tells_them_apart(values, limit, expected):
    from wbview.charts.runs import distinct_ticks

    ticks = distinct_ticks(values, limit)
    assert ticks == expected and all(len(t) <= limit for t in ticks)


def test_parallel_coordinates_ticks_fit_the_gap_between_axes():
    from wbview.charts.runs import TICK_CHAR_PX, parallel_coordinates, tick_chars

    frame = pd.DataFrame(
        {
            "params.dataset": ["phishing-texts-encoded-head-tail:v0", "phishing-texts-encoded-standard:v1"] * 2,
            "params.model": [f"phishing-classifier-{k}:v{i}" for i, k in enumerate(["standard", "head-tail"] * 2)],
            "params.threshold": [0.3, 0.5, 0.5, 0.3],
            "summary.f1": [0.7, 0.72, 0.63, 0.74],
        }
    )
    names = [f"exp-00{i}-eval-2025-11-03T10-44-00Z (id{i})" for i in range(4)]
    fig = parallel_coordinates(frame, list(frame.columns), "summary.f1", run_labels=names)
    run_axis, *others = fig.data[0].dimensions
    assert all(len(t) * TICK_CHAR_PX <= 200 for t in run_axis.ticktext)  # within the left margin
    assert [t.endswith(f" (id{i})") for i, t in enumerate(run_axis.ticktext)] == [True] * 4  # the id whole
    assert all(t.startswith("exp-00") for t in run_axis.ticktext)
    limit = tick_chars(5, run_axis=True)
    for axis in others:
        if axis.ticktext:
            assert all(len(t) <= limit for t in axis.ticktext), axis.ticktext
            assert len(set(axis.ticktext)) == len(axis.ticktext)  # still told apart


def test_one_huge_text_does_not_put_every_row_in_the_first_length_bin():
    rng = np.random.default_rng(1)
    texts = ["x" * int(n) for n in rng.integers(50, 2_000, 500)] + ["y" * 99_999]
    frame = pd.DataFrame({"Decoded Text": texts, "True Label": ["a", "b"] * 250 + ["a"], "Predicted Label": ["a"] * 501})
    histogram = group_histograms(prepare(frame), columns=["Decoded Text"]).histograms["Decoded Text"]
    totals = histogram.counts.sum(axis=1)
    assert totals.max() < 0.2 * len(texts)  # spread over the bins, not one bar
    assert histogram.edges[-1] == 99_999 and list(histogram.counts.index)[-1].endswith("–100,000")
    assert int(totals.iloc[-1]) >= 1  # the huge one is in the open last bin


def test_figures_use_the_readable_type():
    from wbview.charts.runs import metric_curves, parallel_coordinates
    from wbview.charts.style import READABLE_FONT

    frame = pd.DataFrame({"params.lr": [0.1, 0.2], "summary.f1": [0.8, 0.9]})
    figures = [
        parallel_coordinates(frame, ["params.lr", "summary.f1"], "summary.f1"),
        metric_curves({"a": pd.DataFrame({"_step": [0, 1], "loss": [1.0, 0.5]})}, "loss"),
    ]
    for figure in figures:
        assert figure.layout.font.size == READABLE_FONT["size"] >= 14


def test_text_length_bins_are_whole_numbers():
    frame = pd.DataFrame(
        {"Decoded Text": ["x" * n for n in range(22, 70)], "True Label": ["a", "b"] * 24, "Predicted Label": ["a"] * 48}
    )
    histogram = group_histograms(prepare(frame), columns=["Decoded Text"]).histograms["Decoded Text"]
    assert all(float(e).is_integer() for e in histogram.edges)
    assert int(histogram.counts.to_numpy().sum()) == 48  # every row in a bin
    assert not any("." in label for label in histogram.counts.index)


@pytest.mark.parametrize(
    "text, width, lines",
    [
        ("exp-002-eval-2025-11-03T10-04-00Z → exp-004-eval-2025-11-03T10-44-00Z", 48, 2),
        ("Reliability: phishing", 48, 1),
        ("a" * 100, 48, 3),  # one long word: broken inside, nothing dropped
        ("", 48, 1),
        ("Decoded <b>Text</b> (text length)", 12, 4),
    ],
)
def test_title_lines_wrap_and_drop_nothing(text, width, lines):
    from wbview.charts.style import title_lines

    title = title_lines(text, width)
    parts = title.split("<br>")
    unescaped = [p.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") for p in parts]
    assert len(parts) == lines and all(len(p) <= width for p in unescaped)
    assert "".join(unescaped).replace(" ", "") == text.replace(" ", "")  # every character kept
    assert "<b>" not in title  # data stays text


def test_projector_theme_reaches_every_axis_and_makes_room_for_a_wrapped_title():
    from wbview.charts.style import READABLE_TICKS, TITLE_LINE_PX, plotly, projector, title_lines

    go = plotly()
    fig = go.Figure(go.Bar(x=[1], y=[2]), layout={"yaxis2": {"overlaying": "y"}, "margin": {"t": 40}})
    fig.update_layout(title={"text": title_lines("word " * 30)})
    projector(fig)
    assert fig.layout.xaxis.tickfont.size == fig.layout.yaxis.tickfont.size == READABLE_TICKS["size"]
    assert fig.layout.yaxis2.tickfont.size == READABLE_TICKS["size"]
    assert fig.layout.margin.t == 40 + 3 * TITLE_LINE_PX  # 150 characters: 4 lines


def test_slice_lift_chart_with_a_slice_without_hits_draws_the_overall_line_without_warnings():
    import warnings

    from wbview.charts.slices import slice_lift_chart

    ranked = pd.DataFrame(
        {
            "feature": ["a", "b"],
            "slice": ["x", "y"],
            "rows": [40, 60],
            "hits": [0, 30],
            "rate": [0.0, 0.5],
            "rate_low": [0.0, 0.37],
            "rate_high": [0.09, 0.63],
            "lift": [0.0, 1.5],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        chart = slice_lift_chart(ranked, "error rate")
    (line,) = [layer for layer in chart.spec["layer"] if "data" in layer]  # the overall rate
    assert line["data"]["values"][0]["overall"] == pytest.approx(0.5 / 1.5)
    assert chart.spec["layer"][0]["encoding"]["x"]["title"] == "error rate (dashed line: overall, 33.3%)"


def test_slice_lift_chart_without_any_lift_draws_no_overall_line():
    from wbview.charts.slices import slice_lift_chart

    ranked = pd.DataFrame(
        {"feature": ["a"], "slice": ["x"], "rows": [40], "rate": [0.0], "rate_low": [0.0], "rate_high": [0.09], "lift": [0.0]}
    )
    chart = slice_lift_chart(ranked, "FN rate")
    assert [layer["mark"]["type"] for layer in chart.spec["layer"]] == ["bar", "rule"]
    assert chart.spec["layer"][0]["encoding"]["x"]["title"] == "FN rate"


def test_slice_lift_chart_keeps_two_slices_that_shorten_alike_apart():
    """A nominal axis draws one bar per distinct label: two long slices cut to the same label
    would share a bar, so the second gets a mark."""
    from wbview.charts.slices import SLICE_LABEL_CHARS, slice_lift_chart

    start, middle, end = "u" * 30, "v" * 60, "same end"  # differ after the start, before the end
    ranked = pd.DataFrame(
        {
            "feature": ["text", "text"],
            "slice": [f"{start}one{middle}{end}", f"{start}two{middle}{end}"],
            "rows": [40, 50],
            "rate": [0.5, 0.4],
            "rate_low": [0.3, 0.2],
            "rate_high": [0.7, 0.6],
            "lift": [2.0, 1.6],
        }
    )
    labels = slice_lift_chart(ranked, "error rate").data["label"].tolist()
    assert len(set(labels)) == 2 and labels[0].endswith(end) and labels[1] == labels[0] + " ·"
    assert len(labels[0]) == SLICE_LABEL_CHARS


@pytest.mark.parametrize(
    ("labels", "apart"),
    [
        ([], []),
        (["a", "b"], ["a", "b"]),
        (["a", "a", "a"], ["a", "a ·", "a · ·"]),
        (["a ·", "a", "a"], ["a ·", "a", "a · ·"]),  # a mark never lands on a name already shown
    ],
)
def test_kept_apart_marks_each_repeat(labels, apart):
    from wbview.charts.style import kept_apart

    assert kept_apart(labels) == apart
