"""Fixtures of the command-line tests."""

from __future__ import annotations

import os

import pytest


@pytest.fixture
def clean_env(tmp_path) -> dict[str, str]:
    from wbview.sources.store.store import Store

    store = Store(tmp_path / "store")
    return {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_", "WBVIEW_", "STREAMLIT_"))} | {
        "WBVIEW_STORE": str(store.root), "HOME": str(tmp_path),
    }
