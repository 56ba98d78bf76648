"""`wbview report` on the demo store: one self-contained file with every section, within
the size budget, the lineage check between runs, and clear errors for bad input."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.report_fixture import SECTIONS
from wbview.analysis.review import MAX_SAMPLE_ROWS
from wbview.cli import main

# The size budget of a review file. Sample rows are capped per section (MAX_SAMPLE_ROWS),
# so the size hardly grows with the table: the demo's two-run review is about 0.3 MB, and
# a 1,000,000-row table's review is measured by bench/bench_report.py.
SIZE_BUDGET_BYTES = 3_000_000
ONE_RUN = tuple(s for s in SECTIONS if s != "compare")


def report(capsys, store: Path, *argv: str) -> tuple[int, str]:
    code = main(["report", *argv, "--store", str(store)])
    return code, capsys.readouterr().err


class _Rows(HTMLParser):
    """Rows per <table>, and the href of every link."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[int] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.rows.append(0)
        elif tag == "tr":
            self.rows[-1] += 1
        elif tag == "a":
            self.hrefs.append(dict(attrs).get("href") or "")


def test_review_of_one_run(capsys, tmp_path, demo_store, evals):
    out = tmp_path / "review.html"
    code, err = report(capsys, demo_store, evals["exp-002"], "--out", str(out), "--fn-cost", "5", "--threshold", "0.3")
    assert code == 0, err
    document = out.read_text(encoding="utf-8")
    assert f"({out.stat().st_size:,} bytes)" in err
    assert out.stat().st_size < SIZE_BUDGET_BYTES
    for section in ONE_RUN:
        assert f'<section id="{section}">' in document
    assert '<section id="compare">' not in document
    assert not re.search(r"<script|\bsrc=\"|<link\b", document)
    assert 'class="warning"' not in document, "every analysis applies to the demo's binary table"
    parsed = _Rows()
    parsed.feed(document)
    assert max(parsed.rows) <= MAX_SAMPLE_ROWS + 1  # + the header row
    live = [h for h in parsed.hrefs if h.startswith("http://localhost:8501/threshold?")]
    query = {k: v[0] for k, v in parse_qs(urlsplit(live[0]).query).items()}
    project, run_id = evals["exp-002"].rsplit("/", 1)
    assert query["source"] == f"store:{demo_store}" and query["project"] == project and query["run"] == run_id
    assert query["t"] == "0.3" and query["point"] == "custom" and query["fn_cost"] == "5"
    assert query["table"].endswith("predictions.table.json")
    assert "All 4 essential metadata keys for a predictions are present." in document


def test_runs_compared_with_the_lineage_dataset_check(capsys, tmp_path, demo_store, evals):
    out = tmp_path / "compare.html"
    # exp-002 scored the standard-truncation dataset, exp-004 the head-tail one (see tests/cli/test_gate.py)
    code, err = report(capsys, demo_store, evals["exp-002"], evals["exp-004"], evals["exp-005"], "--out", str(out))
    assert code == 0, err
    document = out.read_text(encoding="utf-8")
    assert '<section id="compare">' in document
    assert "The runs were scored on different datasets" in document
    assert document.count("Newly broken samples") == 2  # exp-004 and exp-005, each against exp-002
    assert out.stat().st_size < SIZE_BUDGET_BYTES
    assert "/run_diff?" in document


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--out", "{dir}"], "is a directory"),
        (["--out", "{dir}/missing/review.html"], "does not exist"),
        (["--out", "{dir}/r.html", "--threshold", "1.5"], "--threshold must lie between 0 and 1"),
        (["--out", "{dir}/r.html", "--fn-cost", "-1"], "must be non-negative"),
        (["--out", "{dir}/r.html", "--table", "no/such/table"], "logged no table 'no/such/table'"),
    ],
)
def test_bad_input_is_one_clear_message(capsys, tmp_path, demo_store, evals, argv, message):
    code, err = report(capsys, demo_store, evals["exp-001"], *[a.format(dir=tmp_path) for a in argv])
    assert code != 0
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "r.html").exists()


def test_not_a_run_path(capsys, tmp_path, demo_store):
    code, err = report(capsys, demo_store, "just-a-run-id", "--out", str(tmp_path / "r.html"))
    assert code == 2 and "is not ENTITY/PROJECT/RUN_ID" in err


def test_review_of_a_wandb_run_through_the_real_client(capsys, fake_wandb, fixture_project, tmp_path, monkeypatch):
    """Without --store: the W&B source (real wandb client, loopback fake server) and a live
    link with ?source=wandb; the truncated table says so in the file."""
    from tests.fixtures import PROJECT_PATH, TABLE_KEY, main_eval_run, truncated_eval_run

    monkeypatch.chdir(tmp_path)  # no stray .streamlit/secrets.toml
    monkeypatch.setenv("WBVIEW_CACHE_DIR", str(tmp_path / "cache"))
    main_run, truncated = main_eval_run(fixture_project), truncated_eval_run(fixture_project)
    out = tmp_path / "review.html"
    argv = ["report", f"{PROJECT_PATH}/{main_run.id}", f"{PROJECT_PATH}/{truncated.id}", "--table", TABLE_KEY]
    code = main([*argv, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    document = out.read_text(encoding="utf-8")
    assert f"source=wandb&amp;project={PROJECT_PATH.replace('/', '%2F')}&amp;run={main_run.id}" in document
    assert "The table was truncated when logged" in document
    assert fake_wandb.count("file") > 0  # the tables came from the server
