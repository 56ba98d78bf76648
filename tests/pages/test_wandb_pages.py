"""Every dashboard page through AppTest on the loopback fake W&B server (the real wandb
client end to end), plus the W&B failures a page must explain: outage, rejected key."""

from __future__ import annotations

import pytest

from tests.fixtures import PROJECT_PATH, small_eval_run
from tests.pages.pagetest import (
    clear_streamlit_caches,
    errors,
    open_page,
    plotly_specs,
    problems,
    texts,
    unescape,
)


@pytest.fixture(autouse=True)
def _fresh_caches(tmp_path, monkeypatch):
    monkeypatch.setenv("WBVIEW_CACHE_DIR", str(tmp_path / "cache"))  # no cached W&B content between tests
    clear_streamlit_caches()
    yield
    clear_streamlit_caches()


def _open(page: str, **params):
    return open_page(page, source="wandb", project=PROJECT_PATH, **params)


def test_runs_page_on_wandb_links_each_run(fake_wandb, fixture_project):
    at = _open("pages/runs.py")
    assert problems(at) == []
    table = at.dataframe[-1].value
    assert sorted(table["id"]) == sorted(fixture_project.runs)
    assert all(url.endswith(f"/{PROJECT_PATH}/runs/{run_id}") for url, run_id in zip(table["url"], table["id"], strict=False))
    assert "url" in at.dataframe[-1].proto.column_order  # shown, as a link column
    assert [s["data"][0]["type"] for s in plotly_specs(at)][:1] == ["parcoords"]


def test_runs_filter_on_wandb(fake_wandb, fixture_project):
    train = sorted(r.id for r in fixture_project.runs.values() if r.job_type == "train")
    at = _open("pages/runs.py", f="job_type in train")
    assert problems(at) == []
    assert sorted(at.dataframe[-1].value["id"]) == train


def test_artifacts_page_on_wandb(fake_wandb, fixture_project):
    model = next(a for a in fixture_project.artifacts.values() if a.type == "model")
    at = _open("pages/artifacts.py", type="model", collection=model.name, version=model.version)
    assert problems(at) == []
    assert f"{model.name}:{model.version}" in [unescape(h.value) for h in at.subheader]
    assert "essential metadata keys for a model" in texts(at)


def test_lineage_page_on_wandb(fake_wandb, fixture_project):
    run = small_eval_run(fixture_project)
    at = _open("pages/lineage.py", root=run.id)
    assert problems(at) == []
    ids = {i for t in plotly_specs(at)[0]["data"] for i in t["customdata"]}
    assert run.id in ids and any(":" in i for i in ids)  # the run and its artifacts


def test_error_analysis_page_on_wandb(fake_wandb, fixture_project):
    run = small_eval_run(fixture_project)
    at = _open("pages/error_analysis.py", run=run.id)
    assert problems(at) == []
    assert at.selectbox(key="by").value == "Is Error"
    assert "rows selected" in texts(at)


def test_outage_is_a_clear_message(fake_wandb):
    fake_wandb.fail("Runs", 503, times=None)
    at = _open("pages/runs.py")
    assert not at.exception
    assert errors(at) and "W&B could not be reached" in errors(at)[0]


def test_rejected_key_is_a_clear_message(fake_wandb, monkeypatch):
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)  # the fake accepts only its own key
    at = _open("pages/artifacts.py")
    assert not at.exception
    assert errors(at) and "W&B refused access" in errors(at)[0]
    assert "WANDB_API_KEY" in texts(at)  # says how to connect


def test_unreachable_wandb_is_a_clear_message(fake_wandb, monkeypatch):
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    monkeypatch.setenv("WANDB_BASE_URL", f"http://127.0.0.1:{closed_port}")
    at = _open("pages/runs.py")
    assert not at.exception
    assert errors(at) and "W&B could not be reached" in errors(at)[0]


@pytest.mark.parametrize("setting", ["env", "secrets"])
def test_a_link_to_a_project_outside_the_allow_list_is_refused(fake_wandb, monkeypatch, tmp_path, setting):
    if setting == "env":
        monkeypatch.setenv("WBVIEW_ALLOWED_PROJECTS", f"{PROJECT_PATH}, acme/other-*")
    else:
        (tmp_path / ".streamlit").mkdir()
        (tmp_path / ".streamlit" / "secrets.toml").write_text(f'[wbview]\nallowed_projects = ["{PROJECT_PATH}"]\n')
        monkeypatch.chdir(tmp_path)
    at = open_page("pages/runs.py", source="wandb", project="otherteam/payroll-model")
    assert any("does not open the project 'otherteam/payroll-model'" in e for e in errors(at))
    assert at.dataframe == [] or all("payroll" not in str(df.value) for df in at.dataframe)
    assert fake_wandb.count() == 0  # refused before anything was asked of W&B
    allowed = _open("pages/runs.py")
    assert problems(allowed) == []
    assert len(allowed.dataframe[-1].value) > 0


def test_a_bare_project_name_uses_the_configured_entity(fake_wandb, fixture_project, monkeypatch):
    entity, name = PROJECT_PATH.split("/")
    monkeypatch.setenv("WANDB_ENTITY", entity)
    at = open_page("pages/runs.py", source="wandb", project=name)
    assert problems(at) == []
    assert at.query_params["project"] == PROJECT_PATH
    assert sorted(at.dataframe[-1].value["id"]) == sorted(fixture_project.runs)


@pytest.fixture
def second_project(fake_wandb):
    """A second project of the same entity on the fake server, removed after the test."""
    from wbview.sources.memory import ProjectData

    path = f"{PROJECT_PATH.split('/')[0]}/toxicity"
    fake_wandb.set_project(path, ProjectData())
    yield path
    with fake_wandb._lock:
        del fake_wandb.projects[path]
        fake_wandb._graph = None


@pytest.mark.parametrize(
    ("entity_from", "allowed", "offered"),
    [
        ("env", None, [PROJECT_PATH, "acme/toxicity"]),
        ("viewer", None, [PROJECT_PATH, "acme/toxicity"]),
        ("env", PROJECT_PATH, [PROJECT_PATH]),
        ("viewer", PROJECT_PATH, [PROJECT_PATH]),
    ],
)
def test_the_sidebar_lists_the_entity_projects_within_the_allow_list(
    fake_wandb, second_project, monkeypatch, entity_from, allowed, offered
):
    if entity_from == "env":
        monkeypatch.setenv("WANDB_ENTITY", PROJECT_PATH.split("/")[0])
    if allowed:
        monkeypatch.setenv("WBVIEW_ALLOWED_PROJECTS", allowed)
    at = _open("pages/runs.py")
    assert problems(at) == []
    box = at.selectbox(key=f"_project_box:{PROJECT_PATH}")
    assert box.options == offered
    assert fake_wandb.unknown == []


def test_a_listed_project_is_picked_and_another_can_still_be_typed(fake_wandb, second_project, monkeypatch):
    monkeypatch.setenv("WANDB_ENTITY", PROJECT_PATH.split("/")[0])
    at = _open("pages/runs.py")
    at.selectbox(key=f"_project_box:{PROJECT_PATH}").set_value(second_project).run()
    assert at.query_params["project"] == second_project
    assert "has no runs" in texts(at)
    at.text_input(key=f"_project_typed:{second_project}").set_value(PROJECT_PATH.split("/")[1]).run()
    assert at.query_params["project"] == PROJECT_PATH
    assert problems(at) == []
