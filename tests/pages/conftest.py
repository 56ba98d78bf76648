"""Fixtures shared by the page tests: fresh Streamlit caches around every test, and the
demo project built small in memory (once per module) behind a registered source."""

from __future__ import annotations

import pytest

from tests.pages.pagetest import clear_streamlit_caches
from wbview.sources.memory import MemorySource, ProjectData
from wbview.ui.source import register_source

DEMO_PROJECT = "demo/phishing-demo"


@pytest.fixture(autouse=True)
def _fresh_caches():
    clear_streamlit_caches()
    yield
    clear_streamlit_caches()


@pytest.fixture(scope="module")
def demo() -> ProjectData:
    from wbview.demo import build_project
    from wbview.demo.pipeline import SMALL_SIZE

    return build_project(size=SMALL_SIZE)


@pytest.fixture
def spec(demo) -> str:
    """The small demo as ``memory:analysis`` (modules with their own project override it)."""
    return register_source("analysis", MemorySource({DEMO_PROJECT: demo}, label="demo (small)", is_demo=True))
