"""EvalTableBuilder: inputs (numpy, torch), binary and multi-class tables, ties at the
threshold, edge batches, bad inputs, memory cap, and a million rows."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from wbview.companion import EvalTableBuilder
from wbview.schema import detect_schema

torch = pytest.importorskip("torch")

BINARY = ["ham", "phishing"]
THREE = ["cat", "dog", "bird"]


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("as_torch", [False, True], ids=["numpy", "torch"])
def test_binary_table_with_positive_class(as_torch):
    logits = np.array([[0.0, 2.0], [1.0, -1.0], [0.5, 0.5], [-3.0, 3.0]], np.float32)
    labels = np.array([1, 1, 0, 0])
    wrap = torch.tensor if as_torch else (lambda a: a)
    builder = EvalTableBuilder(BINARY, positive_class="phishing", threshold=0.5)
    builder.add_batch(logits=wrap(logits[:2]), labels=wrap(labels[:2]), texts=["a", "b"])
    builder.add_batch(logits=wrap(logits[2:]), labels=wrap(labels[2:]), texts=["c", "d"])
    frame = builder.finalize()

    assert list(frame.columns) == [
        "Sample ID",
        "Decoded Text",
        "True Label",
        "Predicted Label",
        "Prob (ham)",
        "Prob (phishing)",
        "Confidence",
        "Is Error",
        "Outcome",
    ]
    probs = _softmax(logits)
    np.testing.assert_allclose(frame["Prob (phishing)"], probs[:, 1], rtol=1e-6)
    assert frame["Sample ID"].tolist() == [0, 1, 2, 3]
    assert frame["Decoded Text"].tolist() == ["a", "b", "c", "d"]
    assert frame["True Label"].astype(str).tolist() == ["phishing", "phishing", "ham", "ham"]
    # Row 2 has P(phishing) == 0.5 exactly: a tie at the threshold counts as positive.
    assert frame["Predicted Label"].astype(str).tolist() == ["phishing", "ham", "phishing", "phishing"]
    assert frame["Outcome"].astype(str).tolist() == ["TP", "FN", "FP", "FP"]
    assert frame["Is Error"].tolist() == [False, True, True, True]
    np.testing.assert_allclose(frame["Confidence"], [probs[0, 1], probs[1, 0], 0.5, probs[3, 1]], rtol=1e-6)


@pytest.mark.parametrize(
    "threshold, p_positive, expected",
    [
        (0.5, 0.5, "TP"),  # exactly at the threshold: positive
        (0.7, 0.7, "TP"),  # 0.7 is not exact in binary floating point; still a tie
        (0.3, 0.3, "TP"),
        (0.7, np.nextafter(np.float32(0.7), np.float32(0)), "FN"),  # just below: negative
        (1.0, 1.0, "TP"),
        (0.0, 0.0, "TP"),
    ],
)
def test_ties_at_threshold_are_positive(threshold, p_positive, expected):
    builder = EvalTableBuilder(BINARY, positive_class=1, threshold=threshold)
    builder.add_batch(probs=np.array([[1 - p_positive, p_positive]]), labels=np.array([1]))
    assert builder.finalize()["Outcome"].astype(str).tolist() == [expected]


def test_threshold_moves_decisions_and_one_column_scores():
    builder = EvalTableBuilder(BINARY, positive_class="phishing", threshold=0.9)
    builder.add_batch(probs=np.array([0.95, 0.8, 0.1]), labels=np.array([1, 1, 0]))  # P(class 1) only
    frame = builder.finalize()
    assert frame["Predicted Label"].astype(str).tolist() == ["phishing", "ham", "ham"]
    assert frame["Outcome"].astype(str).tolist() == ["TP", "FN", "TN"]
    np.testing.assert_allclose(frame["Prob (ham)"], [0.05, 0.2, 0.9], rtol=1e-6)


def test_single_logit_column_is_sigmoid():
    builder = EvalTableBuilder(BINARY, positive_class=1)
    builder.add_batch(logits=torch.tensor([[0.0], [2.0]]), labels=torch.tensor([0, 1]))
    np.testing.assert_allclose(builder.finalize()["Prob (phishing)"], 1 / (1 + np.exp(-np.array([0.0, 2.0]))), rtol=1e-6)


def test_multiclass_outcomes_and_snake_style():
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.5, 0.3]])
    builder = EvalTableBuilder(THREE, style="snake")
    builder.add_batch(probs=probs, labels=np.array(["cat", "dog", "dog"]), ids=["a1", "a2", "a3"], extra={"length": [3, 4, 5]})
    frame = builder.finalize()
    assert list(frame.columns) == [
        "id",
        "true_label",
        "predicted_label",
        "prob_cat",
        "prob_dog",
        "prob_bird",
        "confidence",
        "is_error",
        "outcome",
        "length",
    ]
    assert frame["id"].tolist() == ["a1", "a2", "a3"]
    assert frame["predicted_label"].astype(str).tolist() == ["cat", "bird", "dog"]
    assert frame["outcome"].astype(str).tolist() == ["correct", "dog->bird", "correct"]
    assert frame["length"].tolist() == [3, 4, 5]
    np.testing.assert_allclose(frame["confidence"], [0.7, 0.6, 0.5], rtol=1e-6)


def test_argmax_ties_go_to_lowest_index():
    builder = EvalTableBuilder(THREE)
    builder.add_batch(probs=np.array([[0.4, 0.4, 0.2]]), labels=np.array([1]))
    assert builder.finalize()["Predicted Label"].astype(str).tolist() == ["cat"]


@pytest.mark.parametrize("style", ["seed", "snake"])
def test_dashboard_schema_recognises_both_styles(style):
    builder = EvalTableBuilder(BINARY, positive_class="phishing", style=style)
    builder.add_batch(logits=np.zeros((2, 2)), labels=np.array([0, 1]), texts=["x", "y"])
    schema = detect_schema(builder.finalize().columns)
    assert schema.missing(("id", "text", "true_label", "predicted_label", "confidence", "is_error", "outcome")) == []
    assert schema.classes == BINARY


def test_empty_and_one_sample_batches():
    builder = EvalTableBuilder(BINARY, positive_class="phishing")
    builder.add_batch(logits=torch.zeros((0, 2)), labels=torch.zeros(0, dtype=torch.long))
    builder.add_batch(logits=torch.tensor([[0.0, 1.0]]), labels=torch.tensor([1]))
    builder.add_batch(logits=np.zeros((0, 2)), labels=np.zeros(0, int))
    frame = builder.finalize()
    assert len(frame) == 1 and frame["Outcome"].astype(str).tolist() == ["TP"]
    assert builder.metrics()["num_predictions"] == 1


def test_no_batches_gives_empty_table_with_columns():
    builder = EvalTableBuilder(THREE)
    frame = builder.finalize()
    assert len(frame) == 0
    assert "Prob (bird)" in frame.columns and "Outcome" in frame.columns
    metrics = builder.metrics()
    assert metrics["num_predictions"] == 0
    # No rows: no rate at all (None), rather than an accuracy of 0.0 that reads as "all wrong".
    assert {
        name: metrics[name] for name in ("accuracy", "precision", "recall", "f1", "fn_rate", "fp_rate", "roc_auc")
    } == dict.fromkeys(("accuracy", "precision", "recall", "f1", "fn_rate", "fp_rate", "roc_auc"), None)


def test_threshold_without_positive_class_warns_and_is_ignored():
    with pytest.warns(UserWarning, match=r"threshold=0\.3\) is ignored without positive_class.*Pass positive_class="):
        builder = EvalTableBuilder(BINARY, threshold=0.3)
    builder.add_batch(probs=np.array([[0.6, 0.4]]), labels=np.array([1]))
    assert builder.finalize()["Predicted Label"].astype(str).tolist() == ["ham"]  # arg-max, not P(phishing) >= 0.3
    assert builder.metrics()["threshold"] is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        EvalTableBuilder(BINARY)  # no threshold given: no warning
        EvalTableBuilder(BINARY, positive_class="phishing", threshold=0.3)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
@pytest.mark.parametrize("as_torch", [False, True], ids=["numpy", "torch"])
def test_non_finite_logits_name_batch_and_row(bad, as_torch):
    builder = EvalTableBuilder(BINARY)
    builder.add_batch(logits=np.zeros((3, 2)), labels=np.array([0, 1, 0]))
    logits = np.zeros((4, 2))
    logits[2, 1] = bad
    with pytest.raises(ValueError, match=r"batch 1, row 2: a NaN or infinite"):
        builder.add_batch(logits=torch.tensor(logits) if as_torch else logits, labels=np.array([0, 1, 0, 1]))


@pytest.mark.parametrize(
    "probs, message",
    [
        ([[1.5, -0.5]], r"batch 1, row 1: probability -0\.5 for 'phishing' is outside \[0, 1\] \(row: \[1\.5, -0\.5\]\)"),
        ([[-0.25, 1.25]], r"batch 1, row 1: probability 1\.25 for 'phishing' is outside \[0, 1\]"),
        ([[0.9, 0.9]], r"batch 1, row 1: probabilities sum to 1\.8"),
        ([[0.2, 0.2]], r"batch 1, row 1: probabilities sum to 0\.4"),
        ([1.5], r"batch 1, row 1: probability 1\.5 for 'phishing' is outside \[0, 1\]"),  # one column: P(class 1)
    ],
)
@pytest.mark.parametrize("as_torch", [False, True], ids=["numpy", "torch"])
def test_invalid_probabilities_name_batch_and_row(probs, message, as_torch):
    builder = EvalTableBuilder(BINARY)
    builder.add_batch(probs=np.array([[0.3, 0.7]]), labels=np.array([1]))
    bad = np.array([[0.5, 0.5], *probs]) if np.ndim(probs) == 2 else np.array([0.5, *probs])
    with pytest.raises(ValueError, match=message):
        builder.add_batch(probs=torch.tensor(bad) if as_torch else bad, labels=np.array([0, 0]))


def test_invalid_probabilities_on_the_finalize_path_and_tolerance():
    builder = EvalTableBuilder(THREE, validate="finalize")
    builder.add_batch(probs=np.full((2, 3), 1 / 3, np.float32), labels=np.array([0, 1]))  # float32 rounding is fine
    builder.add_batch(probs=np.array([[0.2, 0.3, 0.5004], [0.6, 0.6, 0.6]]), labels=np.array([2, 2]))
    with pytest.raises(ValueError, match=r"batch 1, row 1 \(table row 3\): probabilities sum to 1\.8"):
        builder.finalize()


@pytest.mark.parametrize("label", [2, -1, 100])
def test_out_of_range_label_ids(label):
    builder = EvalTableBuilder(BINARY)
    with pytest.raises(ValueError, match=rf"batch 0, row 1: label id {label} is outside 0..1"):
        builder.add_batch(logits=np.zeros((2, 2)), labels=torch.tensor([0, label]))


def test_finalize_time_validation_maps_table_row_to_batch():
    # The path device tensors take: checks run once in finalize and name batch and row.
    builder = EvalTableBuilder(BINARY, validate="finalize")
    builder.add_batch(logits=torch.zeros((3, 2)), labels=torch.tensor([0, 1, 0]))
    builder.add_batch(logits=torch.zeros((3, 2)), labels=torch.tensor([0, 5, 1]))
    with pytest.raises(ValueError, match=r"batch 1, row 1 \(table row 4\): label id 5"):
        builder.finalize()


def test_unknown_label_name_and_bad_shapes():
    builder = EvalTableBuilder(THREE)
    with pytest.raises(ValueError, match=r"label 'fish' is not one of"):
        builder.add_batch(probs=np.full((1, 3), 1 / 3), labels=["fish"])
    with pytest.raises(ValueError, match=r"expected \(n, 3\)"):
        builder.add_batch(logits=np.zeros((2, 4)), labels=[0, 1])
    with pytest.raises(ValueError, match="labels has 1 rows but the scores have 2"):
        builder.add_batch(logits=np.zeros((2, 3)), labels=[0])
    with pytest.raises(ValueError, match="exactly one of logits= or probs="):
        builder.add_batch(labels=[0])
    with pytest.raises(ValueError, match="positive_class needs a binary task"):
        EvalTableBuilder(THREE, positive_class="cat")


def test_optional_fields_must_be_consistent():
    builder = EvalTableBuilder(BINARY)
    builder.add_batch(logits=np.zeros((1, 2)), labels=[0], texts=["a"])
    with pytest.raises(ValueError, match="differ from the first batch"):
        builder.add_batch(logits=np.zeros((1, 2)), labels=[0])


def test_token_ids_are_decoded_once_at_the_end():
    calls = []

    def decode(rows):
        calls.append(len(rows))
        return ["-".join(str(t) for t in row if t) for row in rows]

    builder = EvalTableBuilder(BINARY, decode=decode)
    builder.add_batch(logits=torch.zeros((2, 2)), labels=torch.tensor([0, 1]), token_ids=torch.tensor([[5, 6, 0], [7, 0, 0]]))
    builder.add_batch(logits=torch.zeros((1, 2)), labels=torch.tensor([1]), token_ids=torch.tensor([[8, 9]]))
    assert calls == []  # nothing decoded inside the loop
    assert builder.finalize()["Decoded Text"].tolist() == ["5-6", "7", "8-9"]
    with pytest.raises(ValueError, match="needs a decode function"):
        EvalTableBuilder(BINARY).add_batch(logits=np.zeros((1, 2)), labels=[0], token_ids=[[1]])


def test_max_rows_caps_memory_and_says_so():
    builder = EvalTableBuilder(BINARY, max_rows=5)
    builder.add_batch(logits=np.zeros((3, 2)), labels=[0, 1, 0], ids=[10, 11, 12])
    with pytest.warns(UserWarning, match=r"max_rows=5\) is full"):
        builder.add_batch(logits=np.zeros((4, 2)), labels=[1, 1, 1, 1], ids=[13, 14, 15, 16])
    builder.add_batch(logits=np.zeros((2, 2)), labels=[0, 0], ids=[17, 18])
    frame = builder.finalize()
    assert frame["Sample ID"].tolist() == [10, 11, 12, 13, 14]
    assert (builder.rows_seen, builder.rows_kept, builder.rows_dropped) == (9, 5, 4)
    assert frame.attrs["wbview"]["rows_dropped"] == 4


def test_one_million_rows():
    n = 1_000_000
    rng = np.random.default_rng(0)
    logits = torch.from_numpy(rng.normal(size=(n, 2)).astype(np.float32))
    labels = torch.from_numpy(rng.integers(0, 2, n))
    builder = EvalTableBuilder(BINARY, positive_class="phishing")
    for start in range(0, n, 50_000):
        builder.add_batch(logits=logits[start : start + 50_000], labels=labels[start : start + 50_000])
    frame = builder.finalize()
    assert len(frame) == n
    expected_pred = (torch.softmax(logits, 1)[:, 1] >= 0.5).numpy()
    assert np.array_equal(frame["Predicted Label"].cat.codes.to_numpy() == 1, expected_pred)
    assert builder.metrics()["num_predictions"] == n
    assert frame["Sample ID"].iloc[-1] == n - 1


def test_label_mapping_and_reset():
    builder = EvalTableBuilder(BINARY)
    assert builder.label_mapping == {"id2label": {0: "ham", 1: "phishing"}, "label2id": {"ham": 0, "phishing": 1}}
    builder.add_batch(logits=np.zeros((2, 2)), labels=[0, 1])
    builder.reset()
    assert len(builder.finalize()) == 0
    assert isinstance(builder.finalize(), pd.DataFrame)


def test_logits_and_probability_batches_can_be_mixed():
    builder = EvalTableBuilder(BINARY)
    builder.add_batch(logits=torch.tensor([[0.0, 0.0]]), labels=torch.tensor([0]))
    builder.add_batch(probs=np.array([[0.2, 0.8]]), labels=np.array([1]))
    np.testing.assert_allclose(builder.finalize()["Prob (phishing)"], [0.5, 0.8], rtol=1e-6)
