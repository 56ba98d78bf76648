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
    # wandb's file cache and artifact download folders per test (wandb reads them at download
    # time): a file another test downloaded must not hide a request that a test counts
    per_test = tmp_path_factory.mktemp("wandb-files")
    for var in ("WANDB_CACHE_DIR", "WANDB_ARTIFACT_DIR", "WANDB_DATA_DIR"):
        monkeypatch.setenv(var, str(per_test / var.lower()))
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.setenv("WANDB_DISABLE_GIT", "true")
    monkeypatch.setenv("WANDB_ERROR_REPORTING", "false")
    # No test may reach the real W&B: unset credentials unless a test sets its own.
    for var in ("WANDB_API_KEY", "WANDB_BASE_URL", "WANDB_ENTITY", "WANDB_PROJECT"):
        if var not in os.environ.get("WBVIEW_TEST_KEEP_ENV", ""):
            monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("WBVIEW_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "wbview-cache"))
    monkeypatch.setenv("HOME", str(tmp_path_factory.getbasetemp() / "home"))


# ---- fake W&B server (tests/fakewandb.py) and the fixture project (tests/fixtures.py) ----

FAKE_RETRY_ENV = {
    # Keep wandb-core's retries short so fault-injection tests stay fast.
    "WANDB__GRAPHQL_RETRY_MAX": "3",
    "WANDB__GRAPHQL_RETRY_WAIT_MIN_SECONDS": "0.05",
    "WANDB__GRAPHQL_RETRY_WAIT_MAX_SECONDS": "0.2",
}


@pytest.fixture(scope="session")
def fixture_project():
    """The realistic "acme/phishing" ProjectData (session-wide, cached: do not mutate)."""
    from tests.fixtures import build_fixture_project

    return build_fixture_project()[1]


@pytest.fixture(scope="session")
def fake_wandb_server(fixture_project):
    """One FakeWandb for the whole session (wandb-core lives as long as the process)."""
    from tests.fakewandb import FakeWandb
    from tests.fixtures import PROJECT_PATH

    with FakeWandb({PROJECT_PATH: fixture_project}) as fake:
        yield fake


@pytest.fixture
def fake_wandb(fake_wandb_server, monkeypatch):
    """The session's FakeWandb, reset, with WANDB_BASE_URL/WANDB_API_KEY and short
    retry settings in the environment. Faults and recorded requests are cleared after."""
    from tests.fakewandb import DEFAULT_API_KEY

    fake = fake_wandb_server
    fake.reset()
    fake.forget_added_projects()
    fake.api_key = DEFAULT_API_KEY
    for name, value in {**fake.env(), **FAKE_RETRY_ENV}.items():
        monkeypatch.setenv(name, value)
    yield fake
    fake.reset()
    fake.forget_added_projects()
    fake.api_key = DEFAULT_API_KEY
