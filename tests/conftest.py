"""Shared fixtures. Every test runs with W&B pointed away from the real service and
with wandb's directories in scratch space."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _isolated_wandb_env(tmp_path_factory, monkeypatch):
    scratch = tmp_path_factory.getbasetemp() / "wandb-scratch"
    scratch.mkdir(exist_ok=True)
    for var in ("WANDB_DIR", "WANDB_CACHE_DIR", "WANDB_DATA_DIR", "WANDB_CONFIG_DIR", "WANDB_ARTIFACT_DIR"):
        monkeypatch.setenv(var, str(scratch / var.lower()))
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.setenv("WANDB_DISABLE_GIT", "true")
    monkeypatch.setenv("WANDB_ERROR_REPORTING", "false")
    # No test may reach the real W&B: unset credentials unless a test sets its own.
    for var in ("WANDB_API_KEY", "WANDB_BASE_URL", "WANDB_ENTITY", "WANDB_PROJECT"):
        if var not in os.environ.get("WBVIEW_TEST_KEEP_ENV", ""):
            monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("WBVIEW_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "wbview-cache"))
    monkeypatch.setenv("HOME", str(tmp_path_factory.getbasetemp() / "home"))
