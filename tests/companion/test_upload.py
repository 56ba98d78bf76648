"""upload_local: tables kept locally because W&B did not answer are uploaded later with
what log_eval_table would have logged (summary, predictions artifact, workspace table),
through the real wandb client (offline runs), and a W&B that does not answer fails fast."""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.companion.test_deadline import StallingWandb, StuckRun
from wbview.companion import EvalTableBuilder, log_eval_table, upload_local
from wbview.companion.upload import find_table_folders
from wbview.errors import RequestTimeout, UsageError

wandb = pytest.importorskip("wandb")


def _builder(n: int, seed: int) -> EvalTableBuilder:
    rng = np.random.default_rng(seed)
    builder = EvalTableBuilder(["ham", "phishing", "spam"])
    builder.add_batch(logits=rng.normal(size=(n, 3)), labels=rng.integers(0, 3, n), texts=[f"t{i}" for i in range(n)])
    return builder


def _kept_locally(tmp_path: Path, run_id: str) -> tuple[Path, dict[str, dict]]:
    """Two tables of one run that W&B never received."""
    stuck = StuckRun(run_id)
    metrics = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for key, n, seed in (("eval/predictions", 40, 0), ("eval/ood", 25, 1)):
            builder = _builder(n, seed)
            result = log_eval_table(builder, run=stuck, key=key, model="clf:v1", local_dir=tmp_path / "kept", timeout=0.3)
            assert not result.logged_to_wandb
            metrics[key] = json.loads(result.metrics_path.read_text())
    stuck.never.set()
    return tmp_path / "kept", metrics


def _summary(run) -> dict:
    return json.loads(json.dumps(run.summary._as_dict()))


def test_upload_into_a_given_run_logs_what_log_eval_table_would_have(tmp_path, monkeypatch):
    local, metrics = _kept_locally(tmp_path, "gone1")
    before = {p: p.read_bytes() for p in local.rglob("*") if p.is_file()}
    monkeypatch.setenv("WANDB_MODE", "offline")
    run = wandb.init(mode="offline", settings=wandb.Settings(init_timeout=20), project="evals", job_type="eval")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # offline W&B refuses lineage: a note, not a failure
            results = upload_local(local, run=run, timeout=20)
        summary = _summary(run)
    finally:
        run.finish()
    assert [(r.key, r.uploaded) for r in results] == [("eval/ood", True), ("eval/predictions", True)]
    assert {r.artifact_name for r in results} == {f"eval-ood-{run.id}", f"eval-predictions-{run.id}"}
    for key, prefix in (("eval/predictions", "eval/"), ("eval/ood", "eval/ood/")):
        assert summary[f"{prefix}f1"] == pytest.approx(metrics[key]["f1"])
        assert summary[f"{prefix}per_class"] == metrics[key]["per_class"]
        assert summary[f"{prefix}confusion_matrix"] == metrics[key]["confusion_matrix"]
        assert summary[key]["_type"] == "table-file" and summary[key]["nrows"] == metrics[key]["num_predictions"]
        assert summary[key]["artifact_path"].endswith(f"/{key}.table.json")
    assert {p: p.read_bytes() for p in local.rglob("*") if p.is_file()} == before  # local copies untouched


def test_upload_starts_the_original_run_again(tmp_path, monkeypatch):
    local, _ = _kept_locally(tmp_path, "gone2")
    monkeypatch.setenv("WANDB_MODE", "offline")
    started: list[Any] = []
    real_init = wandb.init

    def recording_init(**kwargs):
        run = real_init(**kwargs)
        started.append((kwargs, run))
        return run

    monkeypatch.setattr(wandb, "init", recording_init)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = upload_local(local / "gone2" / "eval-ood", timeout=20, mode="offline")
    ((kwargs, run),) = started
    assert (kwargs["id"], kwargs["resume"], kwargs["project"], kwargs["entity"], kwargs["job_type"]) == (
        "gone2",
        "allow",
        "evals",
        "me",
        "eval",
    )
    assert run._is_finished and [r.uploaded for r in results] == [True]
    assert results[0].key == "eval/ood"


def test_upload_when_wandb_does_not_answer_fails_fast_and_keeps_the_files(tmp_path):
    local, _ = _kept_locally(tmp_path, "gone3")
    with StallingWandb(answering=False) as server:
        started = time.monotonic()
        with pytest.raises(
            RequestTimeout, match=r"W&B did not start run gone3 within 1\.5 s .*nothing was uploaded .*local files are unchanged"
        ):
            upload_local(local, timeout=1.5, mode="online", settings=server.settings())
        assert server.stalled() > 0
        elapsed = time.monotonic() - started
    assert elapsed < 1.5 + 10
    assert len(find_table_folders(local)) == 2


def test_bad_folders_are_refused_with_a_clear_message(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        upload_local(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="holds no eval table written by log_eval_table"):
        upload_local(tmp_path / "empty")
