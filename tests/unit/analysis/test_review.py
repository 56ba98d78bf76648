"""The review's sections (wbview.analysis.review): numbers against scikit-learn, the
sample-row cap, sections that cannot apply say why, and the live link's query."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics

from tests.report_fixture import SECTIONS
from tests.unit.analysis.test_outcomes import random_table
from wbview.analysis import review
from wbview.analysis.outcomes import confusion_matrix
from wbview.analysis.prepare import prepare


@pytest.mark.parametrize("classes, seed", [(["ham", "spam"], 0), (["a", "b", "c", "d"], 1), (["x", "y", "z"], 2)])
def test_per_class_metrics_match_sklearn(classes, seed):
    df = random_table(700, classes, seed)
    ours = review.per_class_metrics(confusion_matrix(prepare(df)))
    labels = list(ours["class"])
    p, r, f, s = metrics.precision_recall_fscore_support(
        df["true_label"], df["predicted_label"], labels=labels, zero_division=np.nan
    )
    np.testing.assert_allclose(ours[["precision", "recall", "f1"]].to_numpy(), np.column_stack([p, r, f]))
    np.testing.assert_array_equal(ours["support"], s)


def test_per_class_metrics_class_never_predicted_is_nan_not_zero():
    df = pd.DataFrame({"true_label": ["a", "b", "b", "a"], "predicted_label": ["a", "a", "a", "a"]})
    ours = review.per_class_metrics(confusion_matrix(prepare(df))).set_index("class")
    assert np.isnan(ours.loc["b", "precision"]) and ours.loc["b", "recall"] == 0.0


@pytest.mark.parametrize(
    "value, shown",
    [
        (1234567, "1,234,567"),
        (0.123456, "0.1235"),
        (38640.0, "38,640"),
        (0.5, "0.5"),
        (float("inf"), "inf"),
        (float("nan"), ""),
        (True, "True"),
        (None, ""),
        ("x" * 301, "x" * 300 + "…"),
        ("short", "short"),
    ],
)
def test_display_frame_formats_cells(value, shown):
    assert review.display_frame(pd.DataFrame({"c": [value]}))["c"].tolist() == [shown]


def _blocks(built: review.Review, section: str) -> tuple:
    return next(s for s in built.sections if s.id == section).blocks


def test_review_of_two_binary_runs_has_every_section_and_caps_sample_rows():
    a = prepare(random_table(3000, ["ham", "spam"], 5).rename(columns={"text": "Sample ID"}), positive_class="spam")
    b = prepare(random_table(3000, ["ham", "spam"], 6).rename(columns={"text": "Sample ID"}), positive_class="spam")
    built = review.build_review(
        [review.RunInput("e/p/a", a, dataset="e/p/data:v1"), review.RunInput("e/p/b", b, dataset="e/p/data:v2")],
        threshold=0.4,
        fn_cost=5,
    )
    assert tuple(s.id for s in built.sections) == SECTIONS
    tables = [b for s in built.sections for b in s.blocks if isinstance(b, review.TableBlock)]
    assert max(len(t.frame) for t in tables) == review.MAX_SAMPLE_ROWS
    warnings = [b.text for s in built.sections for b in s.blocks if isinstance(b, review.Text) and b.kind == "warning"]
    # different dataset versions and no artifacts: said; every analysis ran
    assert any("different versions of e/p/data" in w for w in warnings)
    assert any("no metadata could be checked" in w for w in warnings)
    assert len(warnings) == 2, warnings
    headline = [b for b in _blocks(built, "headline") if isinstance(b, review.Figures)][0]
    errors = int(np.count_nonzero(a.is_error()))
    assert dict(headline.items)["errors"] == f"{errors:,}"
    accuracy = metrics.accuracy_score(a.frame["true_label"].astype(str), a.frame["predicted_label"].astype(str))
    assert dict(headline.items)["accuracy"] == f"{accuracy:.4g}"
    points = next(b for b in _blocks(built, "threshold") if isinstance(b, review.TableBlock)).frame
    assert points["threshold"].tolist()[0] == "0.4"
    y, s = a.truth_is_positive(), a.positive_scores()
    fn, fp = int(np.count_nonzero(y & (s < 0.4))), int(np.count_nonzero(~y & (s >= 0.4)))
    assert points["cost"].tolist()[0] == f"{5 * fn + fp:,}"


def test_sections_that_do_not_apply_say_why_instead_of_failing():
    table = prepare(random_table(500, ["a", "b", "c"], 3))  # multi-class: no threshold, no single positive class
    built = review.build_review([review.RunInput("e/p/r", table)])
    for section in ("threshold", "false-negatives"):
        (only,) = _blocks(built, section)
        assert isinstance(only, review.Text) and only.kind == "warning" and "not available" in only.text
    assert any(isinstance(b, review.LineChart) for b in _blocks(built, "calibration"))


def test_live_link_reopens_the_same_view():
    url = review.live_link(
        "http://localhost:8501/",
        "store:/data/my store",
        "acme/phishing",
        "abc123",
        "run-abc123-eval:v0/eval/predictions.table.json",
        threshold=0.35,
        fn_cost=5,
        page="threshold",
    )
    parts = urlsplit(url)
    assert parts.path == "/threshold"
    assert {k: v[0] for k, v in parse_qs(parts.query).items()} == {
        "source": "store:/data/my store",
        "project": "acme/phishing",
        "run": "abc123",
        "table": "run-abc123-eval:v0/eval/predictions.table.json",
        "fn_cost": "5",
        "point": "custom",
        "t": "0.35",
    }


def test_the_marks_section_counts_tags_and_caps_the_marked_rows():
    from wbview.analysis import marks as mk

    frame = pd.DataFrame(
        {"Sample ID": np.arange(300), "true_label": ["a", "b"] * 150, "predicted_label": ["a"] * 300, "text": ["t"] * 300}
    )
    table = prepare(frame)
    saved = [mk.new_mark(i, "id", "label noise" if i % 3 else "needs data", "", "ann") for i in range(250)]
    saved.append(mk.new_mark(9999, "id", "other", "", "bo"))  # not a row of this table
    built = review.build_review([review.RunInput("e/p/r", table, marks=tuple(saved))])
    section = next(s for s in built.sections if s.id == "marks")
    figures = next(b for b in section.blocks if isinstance(b, review.Figures))
    assert dict(figures.items) == {"label noise": "166", "needs data": "84", "other": "1"}
    rows = next(b for b in section.blocks if isinstance(b, review.TableBlock))
    assert rows.total_rows == 250 and len(rows.frame) == review.MAX_SAMPLE_ROWS
    assert list(rows.frame.columns)[:2] == ["marks", "Sample ID"] and rows.frame["marks"][0] == "needs data (ann)"
    assert any("1 marks name rows that are not in this table" in b.text for b in section.blocks if isinstance(b, review.Text))
    assert "marks" not in {s.id for s in review.build_review([review.RunInput("e/p/r", table)]).sections}
