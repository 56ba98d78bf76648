"""The command line: output shapes, exit codes, messages without tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.fixtures import (
    PROJECT_PATH,
    TABLE_KEY,
    TRUNCATED_LOGGED_ROWS,
    main_eval_run,
    truncated_eval_run,
)
from tests.sources.wandb.test_source import LOGIN_FAULTS
from wbview.cli import main
from wbview.filters import parse_filters


def run_cli(capsys, argv, source=None):
    code = main(argv, source=source)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_runs_json_has_the_documented_fields(capsys, memory, fixture_project):
    code, out, _ = run_cli(capsys, ["runs", PROJECT_PATH, "--json"], memory)
    assert code == 0
    runs = json.loads(out)
    assert sorted(r["id"] for r in runs) == sorted(fixture_project.runs)
    for field in ("id", "name", "group", "job_type", "tags", "state", "created_at", "config", "summary"):
        assert field in runs[0]
    assert isinstance(runs[0]["config"]["params"], dict)  # nested


@pytest.mark.parametrize(
    "options, texts",
    [
        (
            ["--filter", "params.encoder=head_tail", "--filter", "params.lr>=1e-4"],
            ["params.encoder=head_tail", "params.lr>=1e-4"],
        ),
        (
            ["--filter", "eval/f1>0.9", "--filter", "params.optimizer.name in adamw,sgd"],
            ["eval/f1>0.9", "params.optimizer.name in adamw,sgd"],
        ),
        (["--job-type", "train", "--group", "exp-002"], ["job_type=train", "group=exp-002"]),
        (["--tag", "sgd", "--tag", "baseline"], ["tags in sgd,baseline"]),
        (
            ["--all-tags", "experiment", "--all-tags", "eval", "--state", "finished"],
            ["tags=experiment", "tags=eval", "state=finished"],
        ),
        (["--filter", '"model.type"=roberta'], ['"model.type"=roberta']),
    ],
)
def test_runs_filters(capsys, memory, fixture_project, options, texts):
    code, out, _ = run_cli(capsys, ["runs", PROJECT_PATH, "--json", *options], memory)
    expected = parse_filters(texts)
    assert code == 0
    assert sorted(r["id"] for r in json.loads(out)) == sorted(r.id for r in fixture_project.runs.values() if expected.matches(r))


def test_runs_table_shows_filtered_columns(capsys, memory):
    code, out, err = run_cli(capsys, ["runs", PROJECT_PATH, "--filter", "eval/f1>0.9", "--job-type", "eval"], memory)
    header = out.splitlines()[0].split()
    assert code == 0 and header[:3] == ["id", "name", "job_type"] and "eval/f1" in header
    assert "run(s)" in err


@pytest.mark.parametrize(
    "argv, words",
    [
        (["runs", PROJECT_PATH, "--filter", "params.lr"], "expected an operator"),
        (["runs", PROJECT_PATH, "--filter", "params.lr>>3"], "starts with '>'"),
        (["runs", PROJECT_PATH, "--filter", "params.lr=1e-4 extra"], "has spaces"),
        (["runs", "acme"], "is not ENTITY/PROJECT"),
        (["artifact", f"{PROJECT_PATH}/model"], "give a version or alias"),
        (["lineage", f"{PROJECT_PATH}/x", "--direction", "sideways"], "invalid choice"),
        (["runs"], "required"),
        (["table", f"{PROJECT_PATH}/abc", "--out", "x.txt"], ".parquet or .csv"),
        ([], None),
    ],
)
def test_bad_usage_exits_2(capsys, memory, argv, words):
    code, out, err = run_cli(capsys, argv, memory)
    assert code == 2
    if words:
        assert words in err


def test_help_documents_the_filter_syntax(capsys):
    code, out, _ = run_cli(capsys, ["runs", "--help"])
    assert code == 0
    for text in ("PATH OP VALUE", "not in", '"model.type"', "eval/f1", "created_at>="):
        assert text in out


def test_artifacts_and_artifact(capsys, memory, fixture_project):
    code, out, _ = run_cli(capsys, ["artifacts", PROJECT_PATH, "--type", "model", "--json"], memory)
    assert code == 0 and [c["name"] for c in json.loads(out)] == ["phishing-classifier"]
    code, out, _ = run_cli(capsys, ["artifacts", PROJECT_PATH], memory)
    assert code == 0 and "phishing-texts-raw" in out and "run_table" in out
    expected = fixture_project.artifacts["phishing-classifier:v0"]
    code, out, _ = run_cli(capsys, ["artifact", f"{PROJECT_PATH}/phishing-classifier:v0", "--json"], memory)
    data = json.loads(out)
    assert code == 0 and (data["name"], data["version"], data["logged_by"]) == ("phishing-classifier", "v0", expected.logged_by)
    assert [f["path"] for f in data["files"]] == [f.path for f in expected.files]
    code, out, _ = run_cli(capsys, ["artifact", f"{PROJECT_PATH}/phishing-classifier:v0"], memory)
    assert code == 0 and "logged_by" in out and "model.safetensors" in out


def test_unknown_artifact_exits_1(capsys, memory):
    code, _, err = run_cli(capsys, ["artifact", f"{PROJECT_PATH}/nope:v0"], memory)
    assert code == 1 and err.startswith("wbview: error:") and "nope:v0" in err


@pytest.mark.parametrize("fmt", ["json", "dot", "text"])
def test_lineage_formats(capsys, memory, fixture_project, fmt):
    train = next(r for r in fixture_project.runs.values() if r.job_type == "train" and fixture_project.run_artifacts[r.id].logged)
    model = fixture_project.run_artifacts[train.id].logged[0]
    code, out, _ = run_cli(capsys, ["lineage", f"{PROJECT_PATH}/{train.id}", "--format", fmt], memory)
    assert code == 0
    if fmt == "json":
        graph = json.loads(out)
        kinds = {n["id"]: n["kind"] for n in graph["nodes"]}
        assert kinds[train.id] == "run" and kinds[model] == "artifact"
        assert {"source": train.id, "target": model} in graph["edges"]  # run -> logged artifact
        assert all({"id", "kind", "name"} <= n.keys() for n in graph["nodes"])
    elif fmt == "dot":
        assert out.startswith("digraph lineage") and f'"{train.id}" -> "{model}"' in out
    else:
        assert f"{train.id} -> {model}" in out


def test_lineage_depth_and_direction(capsys, memory):
    code, out, _ = run_cli(
        capsys, ["lineage", f"{PROJECT_PATH}/phishing-texts-raw:v0", "--depth", "1", "--direction", "up", "--json"], memory
    )
    graph = json.loads(out)
    assert code == 0 and len(graph["nodes"]) == 2 and graph["edges"][0]["target"] == "phishing-texts-raw:v0"


def test_table_list_and_export(capsys, memory, fixture_project, tmp_path):
    run = main_eval_run(fixture_project)
    code, out, _ = run_cli(capsys, ["table", f"{PROJECT_PATH}/{run.id}", "--json"], memory)
    refs = json.loads(out)
    assert code == 0 and {r["key"] for r in refs} >= {TABLE_KEY}
    code, _, err = run_cli(capsys, ["table", f"{PROJECT_PATH}/{run.id}", "--out", str(tmp_path / "t.parquet")], memory)
    assert code == 2 and TABLE_KEY in err  # several tables: name one
    for name in ("t.parquet", "t.csv"):
        code, out, _ = run_cli(capsys, ["table", f"{PROJECT_PATH}/{run.id}", TABLE_KEY, "--out", str(tmp_path / name)], memory)
        assert code == 0 and "20,000 rows" in out
    assert len(pd.read_parquet(tmp_path / "t.parquet")) == 20_000
    assert len(pd.read_csv(tmp_path / "t.csv")) == 20_000


def test_table_export_reports_truncation(capsys, memory, fixture_project, tmp_path):
    run = truncated_eval_run(fixture_project)
    code, out, _ = run_cli(
        capsys, ["table", f"{PROJECT_PATH}/{run.id}", TABLE_KEY, "--out", str(tmp_path / "t.parquet"), "--json"], memory
    )
    result = json.loads(out)
    assert code == 0 and result["truncated"] is True and result["total_rows"] == TRUNCATED_LOGGED_ROWS


def test_unknown_table_key(capsys, memory, fixture_project, tmp_path):
    run = main_eval_run(fixture_project)
    code, _, err = run_cli(capsys, ["table", f"{PROJECT_PATH}/{run.id}", "nope", "--out", str(tmp_path / "t.csv")], memory)
    assert code == 1 and "nope" in err and TABLE_KEY in err


@pytest.mark.parametrize("out", ["/proc/forbidden/x.parquet", "{file}/sub/x.csv"])
def test_unwritable_out_folder_is_a_clear_error(capsys, memory, fixture_project, tmp_path, out):
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    out = out.format(file=a_file)
    run = main_eval_run(fixture_project)
    code, _, err = run_cli(capsys, ["table", f"{PROJECT_PATH}/{run.id}", TABLE_KEY, "--out", out], memory)
    assert code == 1 and err.startswith("wbview: error: Could not create the folder")
    assert "unexpected error" not in err and str(Path(out).parent) in err


def test_unknown_artifact_type_names_the_known_ones(capsys, memory, fixture_project):
    code, out, err = run_cli(capsys, ["artifacts", PROJECT_PATH, "--type", "nosuch"], memory)
    known = memory.artifact_types(PROJECT_PATH)
    assert code == 1 and out == "" and "'nosuch'" in err
    assert known and all(t in err for t in known)
    code, out, _ = run_cli(capsys, ["artifacts", PROJECT_PATH, "--type", known[0]], memory)
    assert code == 0 and known[0] in out


@pytest.mark.parametrize(
    "argv, warned",
    [
        (["--state", "bogus"], True),
        (["--filter", "state in finished,bogus"], True),
        (["--state", "finished", "--state", "preempted"], False),
    ],
)
def test_unknown_run_state_warns_but_runs(capsys, memory, argv, warned):
    code, out, err = run_cli(capsys, ["runs", PROJECT_PATH, *argv], memory)
    assert code == 0 and out.startswith("id")
    assert ("unknown run state 'bogus'" in err and "finished, running, crashed, failed, killed" in err) == warned
    assert ("warning" in err) == warned


def test_missing_store_is_a_clear_error(capsys, tmp_path):
    code, _, err = run_cli(capsys, ["runs", PROJECT_PATH, "--store", str(tmp_path / "no-store")])
    assert code == 1 and err.startswith("wbview: error:")


# --- against the fake W&B server, configured through the environment ----------------------


def test_runs_against_wandb(capsys, fake_wandb, fixture_project, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no stray .streamlit/secrets.toml
    code, out, _ = run_cli(capsys, ["runs", PROJECT_PATH, "--json", "--filter", '"model.type"=roberta', "--job-type", "train"])
    expected = parse_filters(['"model.type"=roberta', "job_type=train"])
    assert code == 0
    assert sorted(r["id"] for r in json.loads(out)) == sorted(r.id for r in fixture_project.runs.values() if expected.matches(r))
    assert fake_wandb.count("Runs") == 1


@pytest.mark.parametrize("no_cache", [False, True])
def test_table_download_goes_through_the_cache(capsys, fake_wandb, fixture_project, tmp_path, monkeypatch, no_cache):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WBVIEW_CACHE_DIR", str(tmp_path / "wbview-cache"))  # empty at first
    monkeypatch.setenv("WANDB_CACHE_DIR", str(tmp_path / "wandb-cache"))  # wandb's own file cache too
    run = main_eval_run(fixture_project)
    argv = ["table", f"{PROJECT_PATH}/{run.id}", TABLE_KEY, "--out", str(tmp_path / "t.parquet")]
    argv += ["--no-cache"] if no_cache else []
    downloads = []
    for _ in range(2):  # two separate commands: only the disk cache is shared
        fake_wandb.reset()
        code, out, _ = run_cli(capsys, argv)
        assert code == 0 and "Wrote 20,000 rows" in out
        downloads.append(fake_wandb.count("file"))
    assert downloads[0] == 2  # the manifest and the table entry
    # cached: nothing downloaded again; --no-cache: at least the manifest again (wandb's
    # own file cache spares only the entry)
    assert downloads[1] >= 1 if no_cache else downloads[1] == 0
    assert len(pd.read_parquet(tmp_path / "t.parquet")) == 20_000


@pytest.mark.parametrize(
    "argv, words",
    [
        (["runs", "acme/no-such-project"], "not found"),
        (["artifact", f"{PROJECT_PATH}/no-such:v0"], "not found"),
    ],
)
def test_wandb_errors_exit_1(capsys, fake_wandb, tmp_path, monkeypatch, argv, words):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, argv)
    assert code == 1 and words in err


@pytest.mark.parametrize("inject, error, words", LOGIN_FAULTS)
def test_faults_at_login_exit_1_without_blaming_the_key(capsys, fake_wandb, tmp_path, monkeypatch, inject, error, words):
    monkeypatch.chdir(tmp_path)
    inject(fake_wandb)
    code, out, err = run_cli(capsys, ["runs", PROJECT_PATH])
    assert code == 1 and out == ""
    assert err.startswith("wbview: error:") and words in err and "connecting to W&B" in err
    assert "API key" not in err.replace("rate-limiting this API key", "")  # never "W&B rejected the API key"


def test_unknown_artifact_type_against_wandb(capsys, fake_wandb, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, ["artifacts", PROJECT_PATH, "--type", "nosuch", "--no-cache"])
    assert code == 1 and "no artifacts of type 'nosuch'" in err and "model" in err


def test_no_credentials_exit_1(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, ["runs", PROJECT_PATH])
    assert code == 1 and "No W&B API key found" in err
