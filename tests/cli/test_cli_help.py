"""The command line explains itself: where the demo store is when W&B is not set up,
counts that make sense, an empty answer said on stderr, help without markup."""

from __future__ import annotations

import json

import pytest

from tests.cli.test_cli import run_cli
from tests.fixtures import PROJECT_PATH
from wbview.cli.app import default_demo_dir


def test_without_credentials_or_store_the_error_names_the_demo_store(capsys):
    code, out, err = run_cli(capsys, ["runs", "demo/phishing-demo"])
    assert code != 0 and out == ""
    assert "No W&B API key found" in err
    assert "--store" in err and str(default_demo_dir()) in err and "make run" in err


@pytest.mark.parametrize("limit", ["-1", "0", "two"])
def test_a_limit_below_one_is_refused(capsys, memory, limit):
    code, out, err = run_cli(capsys, ["runs", PROJECT_PATH, "--limit", limit], memory)
    assert code == 2 and out == ""
    assert "--limit" in err


def test_a_limit_shows_at_most_that_many_runs(capsys, memory, fixture_project):
    code, out, _ = run_cli(capsys, ["runs", PROJECT_PATH, "--limit", "2", "--json"], memory)
    assert code == 0 and len(json.loads(out)) == 2
    code, out, _ = run_cli(capsys, ["runs", PROJECT_PATH, "--json"], memory)
    assert len(json.loads(out)) == len(fixture_project.runs)


def test_table_on_a_run_without_tables_says_so_on_stderr(capsys, memory, fixture_project):
    run = next(r for r in fixture_project.runs.values() if not r.tables)
    code, out, err = run_cli(capsys, ["table", f"{PROJECT_PATH}/{run.id}"], memory)
    assert code == 0 and out == ""  # nothing to list: no empty header on stdout
    assert f"Run {run.id} in {PROJECT_PATH} logged no tables." in err
    code, out, err = run_cli(capsys, ["table", f"{PROJECT_PATH}/{run.id}", "--json"], memory)
    assert code == 0 and json.loads(out) == []


def test_app_help_has_no_markup_and_documents_every_option(capsys):
    code, out, _ = run_cli(capsys, ["app", "--help"])
    assert code == 0
    assert "`" not in out
    for option, words in (("--port", "default: 8501"), ("--address", "default: localhost"), ("--store", "local store")):
        assert option in out and words in out
    assert str(default_demo_dir()) in "".join(out.split())  # argparse wraps the path, also at hyphens


def test_readme_says_which_port_make_run_serves_and_where_the_demo_store_is():
    from tests.paths import README

    text = README.read_text(encoding="utf-8")
    assert "http://localhost:8501" in text
    home_relative = "~/" + str(default_demo_dir().relative_to(default_demo_dir().parents[3]))  # ~/.local/share/...
    assert home_relative.rsplit("-", 1)[0] + "-<version>" in text
    assert "WBVIEW_DEMO_DIR" in text
