"""Fixtures of the command-line tests."""

from __future__ import annotations

import pytest

from tests.fixtures import PROJECT_PATH
from wbview.sources.memory import MemorySource


@pytest.fixture
def memory(fixture_project):
    """The fixture project as an in-memory source (no W&B, no store)."""
    return MemorySource({PROJECT_PATH: fixture_project})
