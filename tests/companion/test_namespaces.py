"""Several eval tables in one run keep separate summaries, namespaced by the table key."""

from __future__ import annotations

import json

import numpy as np
import pytest

from wbview.companion import EvalTableBuilder, log_eval_table, summary_namespace

wandb = pytest.importorskip("wandb")


@pytest.mark.parametrize(
    "key, namespace, expected",
    [
        ("eval/predictions", None, "eval/"),
        ("eval/ood", None, "eval/ood/"),
        ("test/predictions/", None, "test/predictions/"),
        ("eval/ood", "mine/", "mine/"),
    ],
)
def test_summary_namespace(key, namespace, expected):
    assert summary_namespace(key, namespace) == expected


def _builder(seed: int, n: int) -> EvalTableBuilder:
    rng = np.random.default_rng(seed)
    builder = EvalTableBuilder(["ham", "phishing"], positive_class="phishing")
    builder.add_batch(logits=rng.normal(size=(n, 2)), labels=rng.integers(0, 2, n))
    return builder


def test_several_tables_in_one_run_keep_separate_summaries(tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    builders = {"eval/predictions": _builder(0, 50), "eval/ood": _builder(1, 80), "test/predictions": _builder(2, 30)}
    run = wandb.init(mode="offline", settings=wandb.Settings(init_timeout=20), project="companion-test", job_type="eval")
    try:
        results = {key: log_eval_table(builder, run=run, key=key, local_dir=tmp_path) for key, builder in builders.items()}
        summary = json.loads(json.dumps(run.summary._as_dict()))
    finally:
        run.finish()
    for key, prefix in (("eval/predictions", "eval/"), ("eval/ood", "eval/ood/"), ("test/predictions", "test/predictions/")):
        expected = builders[key].metrics()
        assert summary[f"{prefix}num_predictions"] == expected["num_predictions"], key
        assert summary[f"{prefix}f1"] == pytest.approx(expected["f1"]), key
        assert summary[f"{prefix}per_class"]["ham"]["support"] == expected["per_class"]["ham"]["support"], key
        assert results[key].metrics[f"{prefix}f1"] == expected["f1"]
        table_meta = json.loads(results[key].metadata_path.read_text())["wbview_table"]
        assert table_meta["summary_namespace"] == prefix
    assert {
        summary["eval/num_predictions"],
        summary["eval/ood/num_predictions"],
        summary["test/predictions/num_predictions"],
    } == {50, 80, 30}
