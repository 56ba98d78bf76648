"""Per-class precision/recall/F1/support and the confusion matrix, in ``metrics()`` and in
the run summary, against scikit-learn's ``classification_report`` and ``confusion_matrix``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from wbview.companion import EvalTableBuilder, classification_metrics, log_eval_table

sk = pytest.importorskip("sklearn.metrics")
wandb = pytest.importorskip("wandb")


def _case(seed: int, n: int, classes: int, absent: int | None = None):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, classes, n)
    logits = rng.normal(size=(n, classes)) + 1.2 * np.eye(classes)[y_true]
    if absent is not None:  # a class that is neither a label nor a prediction
        y_true = np.where(y_true == absent, (absent + 1) % classes, y_true)
        logits[:, absent] = -50.0
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    return y_true, probs


def _expected(y_true, y_pred, names):
    labels = list(range(len(names)))
    report = sk.classification_report(y_true, y_pred, labels=labels, target_names=names, output_dict=True, zero_division=0)
    per_class = {name: {k: report[name][k] for k in ("precision", "recall", "f1-score", "support")} for name in names}
    return per_class, sk.confusion_matrix(y_true, y_pred, labels=labels).tolist()


def _assert_matches(ours_per_class, ours_matrix, expected_per_class, expected_matrix, names):
    assert sorted(ours_per_class) == sorted(names)  # a run summary keeps no key order
    for name in names:
        mine, theirs = ours_per_class[name], expected_per_class[name]
        assert mine["precision"] == pytest.approx(theirs["precision"], abs=1e-12), name
        assert mine["recall"] == pytest.approx(theirs["recall"], abs=1e-12), name
        assert mine["f1"] == pytest.approx(theirs["f1-score"], abs=1e-12), name
        assert mine["support"] == theirs["support"], name
    assert ours_matrix == {"labels": names, "matrix": expected_matrix}


@pytest.mark.parametrize(
    "seed, n, classes, absent, positive",
    [
        (0, 400, 2, None, 1),
        (1, 50, 2, None, 0),
        (2, 600, 3, None, None),
        (3, 1000, 5, 2, None),
        (4, 30, 4, None, None),
        (5, 200, 2, None, None),
    ],
    ids=["binary", "binary-positive-0", "3-class", "5-class-one-absent", "4-class-small", "binary-argmax"],
)
def test_per_class_metrics_match_classification_report(seed, n, classes, absent, positive):
    names = [f"class-{i}" for i in range(classes)]
    y_true, probs = _case(seed, n, classes, absent)
    builder = EvalTableBuilder(names, positive_class=positive)
    builder.add_batch(probs=probs[: n // 2], labels=y_true[: n // 2])
    builder.add_batch(probs=probs[n // 2 :], labels=y_true[n // 2 :])
    frame = builder.finalize()
    y_pred = frame["Predicted Label"].cat.codes.to_numpy()
    metrics = builder.metrics()
    expected_per_class, expected_matrix = _expected(y_true, y_pred, names)
    _assert_matches(metrics["per_class"], metrics["confusion_matrix"], expected_per_class, expected_matrix, names)
    assert list(metrics["per_class"]) == names  # in class order


def test_default_names_and_no_rows():
    metrics = classification_metrics(np.array([0, 2]), np.array([0, 1]), num_classes=3)
    assert list(metrics["per_class"]) == ["0", "1", "2"]
    assert metrics["confusion_matrix"]["matrix"] == [[1, 0, 0], [0, 0, 0], [0, 1, 0]]
    empty = classification_metrics(np.array([], int), np.array([], int), num_classes=2, class_names=["a", "b"])
    assert empty["per_class"]["a"] == {"precision": None, "recall": None, "f1": None, "support": 0}
    assert empty["confusion_matrix"]["matrix"] == [[0, 0], [0, 0]]


@pytest.mark.parametrize("classes, positive", [(2, "class-1"), (3, None)], ids=["binary", "3-class"])
def test_run_summary_holds_per_class_metrics_and_confusion_matrix(classes, positive, tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    names = [f"class-{i}" for i in range(classes)]
    y_true, probs = _case(11, 300, classes)
    builder = EvalTableBuilder(names, positive_class=positive)
    builder.add_batch(probs=probs, labels=y_true)
    run = wandb.init(mode="offline", settings=wandb.Settings(init_timeout=20), project="companion-test", job_type="eval")
    try:
        result = log_eval_table(builder, run=run, local_dir=tmp_path)
        summary = json.loads(json.dumps(run.summary._as_dict()))
    finally:
        run.finish()
    y_pred = builder.finalize()["Predicted Label"].cat.codes.to_numpy()
    expected_per_class, expected_matrix = _expected(y_true, y_pred, names)
    _assert_matches(summary["eval/per_class"], summary["eval/confusion_matrix"], expected_per_class, expected_matrix, names)
    assert summary["eval/f1"] == pytest.approx(builder.metrics()["f1"])
    written = json.loads(result.metrics_path.read_text())
    _assert_matches(written["per_class"], written["confusion_matrix"], expected_per_class, expected_matrix, names)
