"""The HTML review file: one self-contained document, every data string escaped."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest

from tests.report_fixture import IMG, PAYLOADS, SCRIPT, SECTIONS, hostile_frame
from wbview.analysis.prepare import prepare
from wbview.analysis.review import Link, RunInput, build_review, live_link
from wbview.report.html import render_html


@pytest.fixture(scope="module")
def document() -> str:
    a = prepare(hostile_frame(seed=0), positive_class=SCRIPT)
    b = prepare(hostile_frame(seed=1), positive_class=SCRIPT)
    metadata = {SCRIPT: IMG, "model": IMG}
    runs = [
        RunInput(
            f"e/p/{SCRIPT}",
            a,
            table_key=IMG,
            artifact=SCRIPT,
            dataset=f"e/p/{IMG}:v1",
            artifacts={f"{IMG}:v0": ("predictions", metadata)},
        ),
        RunInput("e/p/b", b, dataset=f"e/p/{IMG}:v2"),
    ]
    links = [
        Link(SCRIPT, live_link("http://localhost:8501", f"store:/tmp/{SCRIPT}", "e/p", IMG)),
        Link("not a web address", "javascript:alert(5)"),
    ]
    return render_html(build_review(runs, links=links, title=SCRIPT))


@pytest.mark.parametrize("markup", ["<script", "<img", "<svg onload", "<a href=http://evil", "<iframe", "<object"])
def test_no_markup_from_data_survives(document, markup):
    assert markup not in document.lower()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_payload_is_shown_as_text(document, payload):
    assert html.escape(payload) in document


class _Tags(HTMLParser):
    """Every start tag and its attributes, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_no_script_and_no_external_reference(document):
    parser = _Tags()
    parser.feed(document)
    names = {tag for tag, _ in parser.tags}
    assert not names & {"script", "img", "iframe", "embed", "object", "link", "form", "base"}, names
    attributes = {name for _, attrs in parser.tags for name in attrs}
    assert not {a for a in attributes if a in ("src", "srcset", "action", "formaction") or a.startswith("on")}
    assert not re.search(r"@import|url\(", document, re.I)
    hrefs = [attrs["href"] or "" for _, attrs in parser.tags if "href" in attrs]
    assert hrefs, "the live link and the section anchors are links"
    assert all(h.startswith(("#", "http://localhost:8501/")) for h in hrefs), hrefs
    assert any(h.startswith("http://localhost:8501/error_analysis?source=store") for h in hrefs)
    assert "Content-Security-Policy" in document  # the browser would block anything else too


def test_hostile_names_still_get_their_sections(document):
    for section in SECTIONS:
        assert f'<section id="{section}">' in document
    assert "Missing 3 of 4 essential metadata keys for a predictions" in document


def test_marks_in_the_review_are_text():
    from wbview.analysis import marks as mk

    table = prepare(hostile_frame(seed=0), positive_class=SCRIPT)
    kind, keys = mk.row_keys(table)
    saved = (mk.new_mark(keys.iat[3], kind, "model error", SCRIPT, IMG), mk.new_mark(keys.iat[5], kind, "other", IMG, SCRIPT))
    document = render_html(build_review([RunInput("e/p/r", table, marks=saved)]))
    assert '<section id="marks">' in document
    assert html.escape(f"model error ({IMG}: {SCRIPT})") in document
    assert "Marked rows (2 rows)" in document
    assert "<script" not in document.lower() and "<img" not in document.lower()
