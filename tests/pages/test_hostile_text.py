"""Every page walked with hostile strings in every field (run names, groups, config keys,
class labels, column names, artifact names, types and metadata, the project name) and in
every link parameter: nothing the page writes as markdown (text, captions, notices,
headings, widget labels and help, tab and expander titles, link labels) may contain an
active markdown link, raw HTML or a URL / e-mail address that Markdown turns into a link."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest

from tests.pages import dashboard_fixture as fx
from tests.pages.pagetest import clear_streamlit_caches, open_page
from wbview.records import ArtifactVersion, Run, RunArtifacts, TableRef
from wbview.sources.memory import MemorySource, ProjectData
from wbview.ui.source import register_source

LINK = "[Reset your W&B password](https://evil.example/login)"
IMG = "<img src=x onerror=alert(1)>"
URL = "https://evil.example/login"
WWW = "www.evil.example"
MAIL = "admin@evil.example"
HOSTILE_PROJECT = f"acme/{URL}"  # a project whose runs logged no eval table
PAGES = [
    "pages/runs.py",
    "pages/run.py",
    "pages/artifacts.py",
    "pages/lineage.py",
    "pages/error_analysis.py",
    "pages/threshold.py",
    "pages/calibration.py",
    "pages/slices.py",
    "pages/run_diff.py",
    "pages/stacked.py",
]

# Element kinds whose text Streamlit renders as plain text (never markdown).
PLAIN = {"text", "code", "dataframe", "json", "exception", "table", "arrow_data_frame"}
MARKDOWN_FIELDS = {"body", "label", "help"}


def _hostile_project() -> ProjectData:
    data = fx.build_project()
    t0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    # hostile run names, groups, config keys and values
    for run_id, run in list(data.runs.items()):
        data.runs[run_id] = Run(
            **{
                **run.__dict__,
                "name": f"{LINK} {run.name}",
                "group": IMG,
                "config": {**run.config, "params": {**run.config.get("params", {}), WWW: MAIL}},
            }
        )
    # hostile class labels and a hostile column name in the eval table
    for key, frame in data.tables.items():
        frame = frame.copy()
        for column in ("True Label", "Predicted Label"):
            frame[column] = frame[column].map({"phishing": LINK, "ham": IMG})
        frame = frame.rename(columns={"Prob (Phishing)": f"Prob ({LINK})", "Prob (Ham)": f"Prob ({IMG})"})
        frame[f"{IMG} {URL}"] = frame["Sender Domain"].map(lambda d: f"{MAIL} {d}")
        data.tables[key] = frame
    # a second eval run, scored on a dataset with a hostile name (Run vs run's dataset warning)
    ev1 = data.runs["ev1"]
    ref2 = TableRef(
        run_id="ev2",
        key=ev1.tables[0].key,
        artifact="run-ev2-evalpredictions:v0",
        entry=fx.TABLE_ENTRY,
        nrows=240,
        stored_rows=240,
    )
    data.runs["ev2"] = Run(
        **{**ev1.__dict__, "id": "ev2", "name": f"{IMG} second eval", "tables": (ref2,), "created_at": t0 + timedelta(minutes=30)}
    )
    data.tables[(ref2.artifact, ref2.entry)] = data.tables[(ev1.tables[0].artifact, ev1.tables[0].entry)]
    evil_ds = ArtifactVersion(
        fx.ENTITY,
        fx.NAME,
        f"{WWW}-{IMG}",
        "v0",
        "dataset",
        ("latest",),
        metadata={LINK: URL, IMG: {WWW: MAIL}, "id2label": {"0": IMG, "1": LINK}},
        description=f"{LINK} {IMG}",
        logged_by="prep",
        used_by=("ev2",),
    )
    evil_type = ArtifactVersion(fx.ENTITY, fx.NAME, "odd-collection", "v0", IMG, (URL,), metadata={"a": LINK}, logged_by="prep")
    data.artifacts[evil_ds.id] = evil_ds
    data.artifacts[evil_type.id] = evil_type
    data.artifacts["run-ev2-evalpredictions:v0"] = ArtifactVersion(
        fx.ENTITY, fx.NAME, "run-ev2-evalpredictions", "v0", "run_table", ("v0",), logged_by="ev2"
    )
    data.run_artifacts["ev1"] = RunArtifacts(
        "ev1", used=("phishing-classifier:v0", "phishing-texts:v1"), logged=data.run_artifacts["ev1"].logged
    )
    data.run_artifacts["ev2"] = RunArtifacts(
        "ev2", used=("phishing-classifier:v0", evil_ds.id), logged=("run-ev2-evalpredictions:v0",)
    )
    return data


def _no_eval_project() -> ProjectData:
    data = fx.build_project()
    data.runs.pop("ev1")
    return data


@pytest.fixture(scope="module")
def spec() -> str:
    source = MemorySource({fx.PROJECT: _hostile_project(), HOSTILE_PROJECT: _no_eval_project()}, label="hostile fixture")
    return register_source("hostile", source)


@pytest.fixture(autouse=True)
def _fresh_caches():
    clear_streamlit_caches()
    yield
    clear_streamlit_caches()


def _repeated(field: Any) -> bool:
    is_repeated = getattr(field, "is_repeated", None)
    return bool(is_repeated) if is_repeated is not None else field.label == field.LABEL_REPEATED


def _strings(message: Any, kind: str) -> Iterator[tuple[str, str]]:
    """(field, text) of every markdown-rendered string field in a proto message."""
    for field, value in message.ListFields():
        if field.type == field.TYPE_MESSAGE:
            for item in value if _repeated(field) else [value]:
                yield from _strings(item, kind)
        elif field.type == field.TYPE_STRING and field.name in MARKDOWN_FIELDS:
            if kind == "metric" and field.name == "body":  # the metric's value is plain text
                continue
            for text in value if _repeated(field) else [value]:
                yield field.name, text


def _walk(node: Any) -> Iterator[tuple[str, str, str]]:
    kind = getattr(node, "type", "") or ""
    proto = getattr(node, "proto", None)
    if proto is not None and kind not in PLAIN and hasattr(proto, "ListFields"):
        for field, text in _strings(proto, kind):
            yield kind, field, text
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


_CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.S)  # literal text: no links, no HTML inside
_ACTIVE = [
    ("markdown link", re.compile(r"(?<!\\)\]\s*(?<!\\)\(")),
    ("HTML", re.compile(r"<")),
    ("auto-link URL", re.compile(r"(?i)\b(?:https?|ftp|mailto)://")),
    ("auto-link www", re.compile(r"(?i)\bwww\.")),
    ("auto-link e-mail", re.compile(r"[\w.+-]@[\w-]")),
]


# The only markup st.html may carry (the group-by histograms' bars): data is its text and
# tooltips, escaped; a tag or attribute outside these (a link, an image, a handler) came from data.
HTML_TAGS = {"div", "style", "figure", "figcaption", "span", "i"}
HTML_ATTRIBUTES = {"class", "style", "title", "role", "aria-level"}


class _Markup(HTMLParser):
    def __init__(self, body: str):
        super().__init__()
        self.active: list[str] = []
        self.feed(body)

    def handle_starttag(self, tag, attrs):
        if tag not in HTML_TAGS:
            self.active.append(f"<{tag}>")
        self.active += [f"{tag}[{name}]" for name, _ in attrs if name not in HTML_ATTRIBUTES]

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)


def active_markup(at: Any) -> list[str]:
    """Every markdown string on the page that would render a link, HTML or an auto-link, and
    every tag or attribute of an st.html element beyond the few its charts use."""
    found = []
    for kind, field, text in _walk(at._tree):
        if kind == "html":
            found += [f"html.{field}: HTML {what}: {text[:200]!r}" for what in _Markup(text).active]
            continue
        checked = _CODE_SPAN.sub("", text)
        for what, pattern in _ACTIVE:
            if pattern.search(checked):
                found.append(f"{kind}.{field}: {what}: {text!r}")
    return found


def test_the_check_sees_markup_in_every_kind_of_place():
    from streamlit.testing.v1 import AppTest

    def script() -> None:
        import streamlit as st

        st.caption("see [here](https://evil.example/login)")
        st.selectbox("www.evil.example", ["a"])
        with st.expander("<b>x</b>"):
            st.text("https://plain.text/is/fine")
        st.code("<img> in code is fine")
        st.info("mail admin@evil.example")
        st.html('<div title="&lt;img src=x&gt;">&lt;a href="https://evil.example"&gt;escaped&lt;/a&gt;</div>')
        st.html('<div><img src=x onerror="alert(1)"></div>')

    at = AppTest.from_function(script).run()
    found = active_markup(at)
    assert sum("html.body" in f for f in found) == 3, found  # <img>, its src and onerror: not the escaped text
    assert any("caption.body: markdown link" in f for f in found)
    assert any("selectbox.label: auto-link www" in f for f in found)
    assert any(": HTML" in f for f in found)
    assert any("alert.body: auto-link e-mail" in f or "e-mail" in f for f in found)
    assert not any("plain.text" in f or "in code" in f for f in found)


# Pages whose tabs run only when open: every tab is walked.
TABS = {
    "pages/error_analysis.py": ["Group by", "False negatives", "High-confidence errors", "Confusion matrix", "Rows"],
    "pages/artifacts.py": ["Metadata", "Diff", "Files"],
}


@pytest.mark.parametrize("page", PAGES)
def test_hostile_data_renders_as_text_on_every_page(spec, page):
    for tab in TABS.get(page, [None]):
        at = open_page(page, source=spec, project=fx.PROJECT, **({"tab": tab} if tab else {}))
        assert not at.exception, [e.value for e in at.exception]
        found = active_markup(at)
        assert found == [], f"{tab}: " + "\n".join(found)


LINK_PARAMS = {
    "pages/runs.py": {"run": URL, "f": f"job_type in '{IMG}'", "group_by": LINK, "page": URL, "per_page": LINK, "curves": IMG},
    "pages/run.py": {"run": URL, "curve": LINK},
    "pages/artifacts.py": {"type": URL, "collection": LINK, "version": IMG},
    "pages/lineage.py": {"root": URL, "depth": URL, "node": LINK},
    "pages/error_analysis.py": {"run": "ev1", "table": URL, "cell": LINK, "q": IMG, "by": WWW},
    "pages/threshold.py": {"run": MAIL, "table": LINK, "positive": URL, "t": URL},
    "pages/calibration.py": {"runs": URL, "table_key": LINK, "cls": IMG},
    "pages/slices.py": {"run": "ev1", "table": WWW, "slice": LINK, "view": URL},
    "pages/run_diff.py": {"run": "ev1", "run_b": URL, "table_b": IMG, "on": LINK},
    "pages/stacked.py": {"table_key": URL, "by": LINK, "stack_runs": URL},
}


@pytest.mark.parametrize("page", PAGES)
def test_hostile_link_parameters_render_as_text(spec, page):
    at = open_page(page, source=spec, project=fx.PROJECT, **LINK_PARAMS[page])
    assert not at.exception, [e.value for e in at.exception]
    found = active_markup(at)
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("page", PAGES)
def test_a_hostile_project_name_renders_as_text(spec, page):
    for project in (HOSTILE_PROJECT, f"nobody/{LINK}", f"x/{IMG}"):
        at = open_page(page, source=spec, project=project)
        assert not at.exception, [e.value for e in at.exception]
        found = active_markup(at)
    assert found == [], "\n".join(found)


def test_a_hostile_source_label_renders_as_text():
    spec = register_source("hostile-label", MemorySource({fx.PROJECT: fx.build_project()}, label=f"store {LINK} {MAIL}"))
    at = open_page(None, source=spec)
    assert "store" in " ".join(c.value for c in at.sidebar.caption)
    found = active_markup(at)
    assert found == [], "\n".join(found)


def test_run_diff_names_the_hostile_dataset_as_text(spec):
    at = open_page("pages/run_diff.py", source=spec, project=fx.PROJECT, run="ev2", run_b="ev1")
    warnings = " ".join(w.value for w in at.warning)
    assert "Dataset check" in warnings and "evil" in warnings  # the warning is there, naming the artifact
    found = active_markup(at)
    assert found == [], "\n".join(found)


def test_a_bare_expression_in_a_page_is_not_written():
    """The shipped config turns Streamlit's "magic" off: a stray expression in a page (a value
    from the data, say) is never drawn as markdown."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string("import streamlit as st\nvalue = '[click](https://evil.example)'\nvalue\nst.text('drawn')\n").run()
    assert not at.exception
    assert [t.value for t in at.text] == ["drawn"]
    assert [m.value for m in at.markdown] == []
