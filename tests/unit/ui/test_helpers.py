"""Pure parts of wbview.ui: source choice, markdown escaping, chart-click parsing, cell options."""

from __future__ import annotations

import html
import re
from types import SimpleNamespace

import pandas as pd
import pytest

from wbview.analysis.prepare import prepare
from wbview.ui.error_view import ALL_CELLS, cell_options
from wbview.ui.lineage_view import clicked_node
from wbview.ui.source import default_spec, spec_label
from wbview.ui.text import WORD_JOINER, md_escape


@pytest.mark.parametrize(
    "environ, credentials, expected",
    [
        ({"WBVIEW_STORE": "/data/store"}, True, "store:/data/store"),  # the launcher's store wins
        ({}, True, "wandb"),
        ({}, False, None),
        ({"WBVIEW_STORE": ""}, False, None),
    ],
)
def test_default_spec(environ, credentials, expected):
    assert default_spec(environ, has_credentials=lambda: credentials) == expected


@pytest.mark.parametrize("spec, label", [("wandb", "W&B"), ("store:/x/y", "local store /x/y"), ("memory:t", "memory:t")])
def test_spec_label(spec, label):
    assert spec_label(spec) == label


@pytest.mark.parametrize(
    "text",
    [
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        "**bold** _it_ `code`",
        "# head\n- item",
        "a\\b",
        "[Reset your W&B password](https://evil.example/login)",
        "see www.evil.example or admin@evil.example",
        "&lt;b&gt; stays &amp;",
        "HTTPS://EVIL.EXAMPLE ftp://x mailto:a@b.c",
    ],
)
def test_md_escape_leaves_no_markdown_html_or_auto_link_active(text):
    escaped = md_escape(text)
    unescaped = html.unescape(re.sub(r"\\(.)", r"\1", escaped)).replace(WORD_JOINER, "")
    assert unescaped == text.replace("\n", " ")  # a reader sees the original text
    assert not re.search(r"(?<!\\)[\[\]`*_#]", escaped)  # every markdown character is escaped
    assert "<" not in escaped and ">" not in escaped  # HTML only as entities
    assert not re.search(r"(?i)://|www\.|\w@", escaped)  # nothing Markdown would turn into a link


@pytest.mark.parametrize(
    "event, node",
    [
        (None, None),
        (SimpleNamespace(selection={"points": []}), None),
        (SimpleNamespace(selection={"points": [{"customdata": "ds:v0"}]}), "ds:v0"),
        (SimpleNamespace(selection={"points": [{"customdata": ["run1"]}]}), "run1"),
        (SimpleNamespace(selection={"points": [{"x": 1}]}), None),
    ],
)
def test_clicked_node(event, node):
    assert clicked_node(event) == node


def test_cell_options_cover_every_true_predicted_pair():
    table = prepare(pd.DataFrame({"True Label": ["a", "b", "c"], "Predicted Label": ["a", "c", "c"]}))
    options = cell_options(table)
    assert options[ALL_CELLS] is None
    assert len(options) == 1 + 9 and options["true b → predicted c"] == ("b", "c")


def test_fresh_click_fires_once_per_new_selection():
    from wbview.ui.widgets import fresh_click

    state: dict = {}
    assert [fresh_click("c", v, state) for v in ("a", "a", None, "a", "b", "a")] == [True, False, False, False, True, True]


@pytest.mark.parametrize(
    "event, n_rows, row",
    [
        (None, 10, None),
        (SimpleNamespace(selection={"rows": []}), 10, None),
        (SimpleNamespace(selection={"rows": [3]}), 10, 3),
        (SimpleNamespace(selection={"rows": [12]}), 10, None),  # a stale click past the rows shown now
        (SimpleNamespace(selection={}), 10, None),
    ],
)
def test_clicked_row(event, n_rows, row):
    from wbview.ui.error_view import clicked_row

    assert clicked_row(event, n_rows) == row


@pytest.mark.parametrize(
    "typed, entity, project",
    [
        ("toxicity", "acme", "acme/toxicity"),
        (" toxicity ", "acme", "acme/toxicity"),
        ("other/toxicity", "acme", "other/toxicity"),
        ("toxicity", None, "toxicity"),  # no entity configured: left for the source to explain
        ("", "acme", ""),
    ],
)
def test_qualify_project(typed, entity, project):
    from wbview.ui.source import qualify_project

    assert qualify_project(typed, entity) == project
