"""Helpers for AppTest page tests: open a page of app.py with URL parameters, assert it
rendered without an exception or error, read chart specs."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.paths import APP

TIMEOUT_S = 60  # generous: the machine is shared and the first run imports plotly


def clear_streamlit_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()
    from wbview.ui import loaders

    loaders.TABLES.clear()  # the tables every session shares


def open_page(page: str | None, /, **params: Any) -> AppTest:
    """Run app.py with the given query parameters, then switch to ``page`` (e.g. "pages/runs.py")."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page is not None:
        at.switch_page(page).run()
    return at


def problems(at: AppTest) -> list[str]:
    """Exceptions and error messages on the page (empty when it rendered cleanly)."""
    return [e.value for e in at.exception] + [e.value for e in at.error]


def plotly_specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


@dataclass(frozen=True)
class VegaChart:
    spec: dict
    data: pd.DataFrame


def vega_charts(at: AppTest) -> list[VegaChart]:
    """Every Vega-Lite chart on the page: its spec and the table it draws."""
    import pyarrow as pa

    charts = []
    for chart in at.get("vega_lite_chart"):
        data = chart.proto.data.data
        frame = pa.ipc.open_stream(data).read_all().to_pandas() if data else pd.DataFrame()
        charts.append(VegaChart(json.loads(chart.proto.spec), frame))
    return charts


@dataclass
class DrawnHistograms:
    """Error analysis's group-by histograms as the browser gets them (st.html): per column
    title, its panels' names in order, each panel's colour, and the markup itself."""

    panels: dict[str, list[str]]
    colours: dict[str, str]
    markup: str


class _HistogramsReader(HTMLParser):
    def __init__(self, markup: str):
        super().__init__()
        self.drawn = DrawnHistograms({}, {}, markup)
        self._in: list[str] = []
        self._title = ""
        self._colour = ""
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "figure":
            self._colour = re.search(r"--wbv-colour:([^;]+)", found.get("style") or "").group(1)
        self._in.append(found.get("class") or tag)

    def handle_endtag(self, tag):
        self._in.pop()

    def handle_data(self, data):
        if self._in and self._in[-1] == "wbv-title":
            self._title = data
            self.drawn.panels[data] = []
        elif self._in and self._in[-1] == "figcaption":
            self.drawn.panels[self._title].append(data)
            self.drawn.colours[data] = self._colour


def histograms(at: AppTest) -> DrawnHistograms:
    """The group-by histograms on the page: there is exactly one such element."""
    (body,) = [h.proto.body for h in at.get("html") if 'class="wbv-hists"' in h.proto.body]
    return _HistogramsReader(body).drawn


def histogram_panels(at: AppTest) -> dict[str, list[str]]:
    """Error analysis's group-by histograms as {column title: [panel names]} (a line of
    panels per column, in the groups' order)."""
    return histograms(at).panels


def unescape(markdown: str) -> str:
    """Markdown source as a reader sees it: backslash escapes removed, entities decoded,
    the invisible word joiners that break auto-links dropped."""
    return html.unescape(re.sub(r"\\(.)", r"\1", markdown)).replace("\u2060", "")


def texts(at: AppTest) -> str:
    """Every caption, info, warning, success, markdown, code and error text on the page, joined,
    as a reader sees it."""
    parts = []
    for kind in ("caption", "info", "warning", "success", "markdown", "code", "text", "error"):
        parts.extend(str(e.value) for e in at.get(kind))
    return unescape("\n".join(parts))


def errors(at: AppTest) -> list[str]:
    return [unescape(e.value) for e in at.error]
