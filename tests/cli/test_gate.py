"""`wbview gate` on the demo store: exit codes 0 / 1 / 2 and the JSON shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wbview.cli import main


def gate(capsys, store: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["gate", *argv, "--store", str(store)])
    out, err = capsys.readouterr()
    return code, out, err


# exp-004 is the tuned head_tail model. exp-005 (smaller features, same data) is as good;
# exp-003 (lower learning rate, same data) breaks 44 samples and fixes none; exp-002 scored
# another dataset version (standard truncation) and is a little worse than exp-004.
@pytest.mark.parametrize(
    "baseline, candidate, options, code, status",
    [
        ("exp-004", "exp-005", (), 0, "pass"),
        ("exp-004", "exp-003", (), 1, "regression"),
        ("exp-004", "exp-003", ("--metric", "precision", "--max-drop", "0.5", "--alpha", "1e-20"), 0, "pass"),
        ("exp-002", "exp-004", (), 2, "cannot compare"),
        ("exp-002", "exp-004", ("--allow-different-data",), 0, "pass"),
        ("exp-004", "exp-002", ("--allow-different-data",), 1, "regression"),
    ],
)
def test_exit_codes_on_the_demo(capsys, demo_store, evals, baseline, candidate, options, code, status):
    exit_code, out, err = gate(capsys, demo_store, evals[baseline], evals[candidate], "--json", *options)
    data = json.loads(out)
    assert (exit_code, data["status"], data["exit_code"]) == (code, status, code)
    assert data["reason"]
    if code == 2:
        assert "different datasets" in data["reason"] and "--allow-different-data" in err


def test_json_lists_failing_slices_with_counts_rates_p_values_and_ids(capsys, demo_store, evals):
    code, out, _ = gate(capsys, demo_store, evals["exp-004"], evals["exp-003"], "--json", "--correction", "bh", "--max-ids", "5")
    data = json.loads(out)
    assert code == 1 and data["correction"] == "bh"
    assert data["overall"]["newly_broken"] == 44 and data["overall"]["fixed"] == 0
    assert data["broken_total"] == 44 and len(data["broken_ids"]) == 5
    assert data["datasets"]["baseline"] == data["datasets"]["candidate"]
    assert data["datasets"]["baseline"].endswith("phishing-texts-encoded-head-tail:v0")
    assert data["runs"]["baseline"]["run"] == evals["exp-004"]
    assert data["runs"]["candidate"]["table"] == "eval/predictions"
    phishing = next(s for s in data["failing_slices"] if (s["feature"], s["slice"]) == ("True Label", "phishing"))
    assert phishing["newly_broken"] == 44 and phishing["broken_total"] == 44 and len(phishing["broken_ids"]) == 5
    for field in ("rows", "fixed", "baseline_error_rate", "candidate_error_rate", "p_worse", "p_two_sided", "p_adjusted"):
        assert isinstance(phishing[field], (int, float))
    assert {m["metric"] for m in data["metrics"] if m["failed"]} == {"accuracy", "recall"}


def test_text_output_names_the_verdict_and_the_slices(capsys, demo_store, evals):
    code, out, _ = gate(capsys, demo_store, evals["exp-004"], evals["exp-003"])
    assert code == 1 and out.startswith("Regression:") and "failing slices" in out and "True Label" in out


@pytest.mark.parametrize(
    "argv, words",
    [
        (("{a}", "demo/phishing-demo/nope0000"), "nope0000"),
        (("{a}", "{a}", "--table", "no/such/key"), "no/such/key"),
    ],
)
def test_what_cannot_be_read_is_cannot_compare(capsys, demo_store, evals, argv, words):
    argv = [a.format(a=evals["exp-004"]) for a in argv]
    code, out, err = gate(capsys, demo_store, *argv, "--json")
    assert code == 2 and json.loads(out)["status"] == "cannot compare" and words in err


@pytest.mark.parametrize("options", [("--correction", "bonferroni"), ("--max-drop", "lots"), ("--alpha", "2")])
def test_bad_options_exit_2(capsys, demo_store, evals, options):
    code, _, err = gate(capsys, demo_store, evals["exp-004"], evals["exp-005"], *options)
    assert code == 2 and err.startswith("wbview")


def test_against_wandb_the_dataset_comes_from_lineage(capsys, fake_wandb, fixture_project, tmp_path, monkeypatch):
    from tests.fixtures import PROJECT_PATH, small_eval_run

    monkeypatch.chdir(tmp_path)  # no stray .streamlit/secrets.toml
    run = small_eval_run(fixture_project)
    path = f"{PROJECT_PATH}/{run.id}"
    code = main(["gate", path, path, "--json"])
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert code == 0 and data["status"] == "pass" and "Traceback" not in err
    declared = [a for a in fixture_project.run_artifacts[run.id].used if fixture_project.artifacts[a].type == "dataset"]
    assert data["datasets"]["baseline"] == data["datasets"]["candidate"] == f"{PROJECT_PATH}/{declared[0]}"
    assert data["overall"]["newly_broken"] == data["overall"]["fixed"] == 0
