"""'Where errors concentrate': the rows shown for a slice are the rows the ranked table
counted for it (for the FN rate, the slice's actual positives), so the two numbers agree."""

from __future__ import annotations

import pytest

from tests.pages.pagetest import problems, texts
from tests.pages.test_analysis_pages import eval_run, frame_with, open_analysis_page
from wbview.analysis import selection as views


@pytest.mark.parametrize("target, counted", [("FN rate", "actual positives"), ("error rate", "labelled rows")])
def test_the_rows_of_a_slice_are_the_rows_the_table_counts(spec, demo, target, counted):
    run = eval_run(demo, 2)
    at = open_analysis_page("slices", spec, run=run.id, target=target)
    assert problems(at) == []
    ranked = frame_with(at, "lift_low")
    for position in (0, 3):
        row = ranked.iloc[position]
        at.selectbox(key="slice").select(f"{row['feature']} = {row['slice']}").run()
        assert problems(at) == []
        assert f"The slice's {counted} (its 'rows' above): {int(row['rows']):,} rows" in texts(at)
        shown = frame_with(at, "Decoded Text")
        assert len(shown) == min(int(row["rows"]), views.MAX_SHOWN_ROWS)
        if target == "FN rate":
            assert set(shown["True Label"]) == {"phishing"}  # only the population the FN rate counts


def test_slices_on_the_demo_come_from_full_text_too(spec, demo):
    run = eval_run(demo, 2)
    at = open_analysis_page("slices", spec, run=run.id, min_rows="1")
    assert problems(at) == []
    ranked = frame_with(at, "lift_low")
    columns = {feature.split(": ")[0] for feature in ranked["feature"] if ": " in feature}
    assert {"Decoded Text", "Full Text"} <= columns
    assert not ranked.duplicated(["feature", "slice"]).any()
    row = ranked[ranked["feature"].str.startswith("Full Text: ")].iloc[0]
    at.selectbox(key="slice").select(f"{row['feature']} = {row['slice']}").run()
    assert problems(at) == []
    assert f"(its 'rows' above): {int(row['rows']):,} rows" in texts(at)
