"""Error analysis, Rows tab: clicking a row shows its full text (no 0-based number to type)."""

from __future__ import annotations

import pytest

from tests.pages import dashboard_fixture as fx
from tests.pages.pagetest import open_page, problems
from wbview.ui.source import register_source


@pytest.fixture
def dash() -> str:
    return register_source("row-click", fx.memory_source())


def test_clicking_a_row_shows_its_full_text(dash):
    at = open_page("pages/error_analysis.py", source=dash, project=fx.PROJECT, run="ev1", tab="Rows")
    assert problems(at) == []
    table = next(d for d in at.dataframe if d.key == "rows_table")
    assert list(table.proto.selection_mode)  # the rows table takes a click
    texts = list(fx.eval_table()["Decoded Text"])
    assert at.code[-1].value == texts[0]  # nothing clicked: the first row
    at.session_state["rows_table"] = {"selection": {"rows": [5], "columns": [], "cells": []}}  # what a click sends
    at.run()
    assert problems(at) == []
    assert at.code[-1].value == texts[5]
    assert any("Row 5, clicked in the table" in c.value for c in at.caption)


def test_a_huge_text_is_shown_cut_with_the_rest_behind_an_expander():
    from wbview.ui.text import MAX_SHOWN_CHARS

    data = fx.build_project()
    key = next(iter(data.tables))
    frame = data.tables[key].copy()
    frame.loc[0, "Decoded Text"] = "spam " * 20_000  # 100,000 characters
    data.tables[key] = frame
    from wbview.sources.memory import MemorySource

    spec = register_source("huge", MemorySource({fx.PROJECT: data}, label="huge"))
    at = open_page("pages/error_analysis.py", source=spec, project=fx.PROJECT, run="ev1", tab="Rows")
    assert problems(at) == []
    first, whole = at.code[-2].value, at.code[-1].value
    assert len(first) <= MAX_SHOWN_CHARS + 2 and len(whole) == 100_000
    assert any("Showing the first 5,000 of 100,000 characters" in c.value for c in at.caption)
    assert any("The whole text" in e.label for e in at.expander)


def test_the_selection_count_comes_before_the_tabs(dash):
    at = open_page("pages/error_analysis.py", source=dash, project=fx.PROJECT, run="ev1")
    assert problems(at) == []
    main = list(at.main.children.values())
    kinds = [getattr(node, "type", "") for node in main]
    count_at = next(
        i for i, node in enumerate(main) if getattr(node, "type", "") == "caption" and "rows selected · classes" in node.value
    )
    tabs_at = next(i for i, node in enumerate(main) if getattr(node, "type", "") == "tab_container")
    assert count_at < tabs_at, kinds
