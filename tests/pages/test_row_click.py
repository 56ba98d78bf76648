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
