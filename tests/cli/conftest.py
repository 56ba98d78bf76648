"""Fixtures of the command-line tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fixtures import PROJECT_PATH
from wbview.sources.memory import MemorySource


@pytest.fixture
def clean_env(tmp_path) -> dict[str, str]:
    from wbview.sources.store.store import Store

    store = Store(tmp_path / "store")
    return {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_", "WBVIEW_", "STREAMLIT_"))} | {
        "WBVIEW_STORE": str(store.root),
        "HOME": str(tmp_path),
    }


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory) -> Path:
    """The small demo store (seed 0), built once per session; the commands only read it."""
    from wbview.demo import build_demo
    from wbview.demo.pipeline import SMALL_SIZE

    return build_demo(tmp_path_factory.mktemp("cli-demo") / "store", seed=0, size=SMALL_SIZE)


@pytest.fixture(scope="session")
def evals(demo_store) -> dict[str, str]:
    """exp-00N -> ENTITY/PROJECT/RUN_ID of the demo's eval runs."""
    from wbview.demo import DEMO_PROJECT
    from wbview.sources.store.local import LocalSource

    runs = LocalSource(demo_store).runs(DEMO_PROJECT)
    return {r.name[:7]: f"{DEMO_PROJECT}/{r.id}" for r in runs if r.job_type == "eval"}


@pytest.fixture
def memory(fixture_project):
    """The fixture project as an in-memory source (no W&B, no store)."""
    return MemorySource({PROJECT_PATH: fixture_project})
