"""What log_eval_table writes where, as the README states it: the workspace view adds a
media copy of the first 10,000 rows to the run's files (none with
show_in_workspace=False); the table entry refers to the predictions artifact."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from tests.paths import README
from wbview.companion import EvalTableBuilder, log_eval_table

wandb = pytest.importorskip("wandb")

KEY = "eval/predictions"


def _builder(n: int) -> EvalTableBuilder:
    rng = np.random.default_rng(0)
    builder = EvalTableBuilder(["ham", "phishing"], positive_class="phishing")
    builder.add_batch(logits=rng.normal(size=(n, 2)), labels=rng.integers(0, 2, n), texts=[f"text {i}" for i in range(n)])
    return builder


@pytest.mark.parametrize("show", [True, False])
def test_workspace_view_adds_a_10000_row_media_copy_and_nothing_else(show, tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    run = wandb.init(mode="offline", settings=wandb.Settings(init_timeout=20), project="companion-test", job_type="eval")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = log_eval_table(_builder(12_000), run=run, local_dir=tmp_path, show_in_workspace=show)
        summary = json.loads(json.dumps(run.summary._as_dict()))
        media = sorted((Path(run.dir) / "media").rglob("*.table.json"))
    finally:
        run.finish()
    assert result.logged_to_wandb and summary["eval/num_predictions"] == 12_000
    if not show:
        assert media == [] and KEY not in summary
        return
    assert [p.relative_to(run.dir).as_posix() for p in media] == [summary[KEY]["path"]]
    assert re.fullmatch(r"media/table/eval/predictions_0_[0-9a-f]{20}\.table\.json", summary[KEY]["path"])
    assert len(json.loads(media[0].read_text(encoding="utf-8"))["data"]) == 10_000  # wandb.Table.MAX_ROWS
    assert summary[KEY]["nrows"] == 12_000 and summary[KEY]["artifact_path"].endswith(f"/{KEY}.table.json")


def test_readme_says_where_the_media_copy_goes():
    text = README.read_text(encoding="utf-8")
    section = text[text.index("<!-- section: companion -->") : text.index("<!-- /section: companion -->")]
    assert "no second copy" not in section
    assert "a media copy of the first 10,000 rows in the run's files, `media/table/<key>_<step>_<hash>.table.json`" in section
    assert "`show_in_workspace=False` to write no media copy" in section
