"""EvalTableBuilder input rules: tolerances that follow the input dtype, rejected batches
that change nothing, one id type per table, encodable text, label dtypes, and extra
column names checked at the first batch."""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from wbview.companion import EvalTableBuilder, log_eval_table
from wbview.companion.builder import sum_tolerance

torch = pytest.importorskip("torch")

BINARY = ["ham", "phishing"]


def _softmax_in(dtype, n: int, classes: int, seed: int):
    generator = torch.Generator().manual_seed(seed)
    return torch.softmax((3 * torch.randn(n, classes, generator=generator)).to(dtype), 1)


# --- tolerances follow the input precision --------------------------------------------


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16], ids=["bfloat16", "float16"])
@pytest.mark.parametrize("classes", [2, 3, 10])
@pytest.mark.parametrize("validate", ["deferred", "finalize"])
def test_low_precision_softmax_outputs_are_accepted(dtype, classes, validate):
    names = [f"c{i}" for i in range(classes)]
    probs = _softmax_in(dtype, 2000, classes, seed=classes)
    sums = probs.double().sum(1)
    if dtype is torch.bfloat16:
        assert (sums - 1).abs().max() > 1e-3  # a fixed 1e-3 tolerance rejects these
    labels = torch.randint(0, classes, (2000,), generator=torch.Generator().manual_seed(1))
    builder = EvalTableBuilder(names, validate=validate)
    builder.add_batch(probs=probs[:1000], labels=labels[:1000])
    builder.add_batch(probs=probs[1000:], labels=labels[1000:])
    frame = builder.finalize()  # the deferred check applies the same tolerance
    np.testing.assert_array_equal(frame[f"Prob ({names[-1]})"].to_numpy(), probs[:, -1].float().numpy())


def test_numpy_float16_probabilities_are_accepted():
    probs = _softmax_in(torch.float16, 500, 3, seed=7).numpy()
    builder = EvalTableBuilder(["a", "b", "c"])
    builder.add_batch(probs=probs, labels=np.zeros(500, int))
    assert len(builder.finalize()) == 500


@pytest.mark.parametrize("validate", ["deferred", "finalize"])
@pytest.mark.parametrize(
    "dtype, row, tolerance",
    [(torch.bfloat16, [0.52, 0.52], "0.0156"), (torch.float16, [0.5, 0.503], "0.00195"), (torch.float32, [0.5, 0.5015], "0.001")],
    ids=["bfloat16", "float16", "float32"],
)
def test_rows_beyond_the_dtype_tolerance_are_still_rejected(dtype, row, tolerance, validate):
    builder = EvalTableBuilder(BINARY, validate=validate)
    builder.add_batch(probs=torch.tensor([[0.25, 0.75]], dtype=dtype), labels=[1])
    bad = torch.tensor([[0.5, 0.5], row], dtype=dtype)
    where = r"batch 1, row 1" if validate == "deferred" else r"batch 1, row 1 \(table row 2\)"
    with pytest.raises(ValueError, match=rf"{where}: probabilities sum to .*tolerance {tolerance} "):
        builder.add_batch(probs=bad, labels=[0, 0])
        builder.finalize()


def test_sum_tolerance_values():
    assert sum_tolerance(float(torch.finfo(torch.bfloat16).eps)) == 2**-6
    assert sum_tolerance(float(torch.finfo(torch.float16).eps)) == 2**-9
    assert sum_tolerance(float(np.finfo(np.float32).eps)) == 1e-3


# --- a rejected batch changes nothing --------------------------------------------------


def _good(builder: EvalTableBuilder, n: int = 2, start: int = 0) -> None:
    builder.add_batch(
        logits=np.zeros((n, 2)),
        labels=np.arange(n) % 2,
        ids=np.arange(start, start + n),
        texts=[f"t{i}" for i in range(n)],
        extra={"length": np.ones(n)},
    )


def _bad(**overrides):
    def add(builder: EvalTableBuilder) -> None:
        kwargs = {"logits": np.zeros((1, 2)), "labels": [0], "ids": [100], "texts": ["x"], "extra": {"length": [1.0]}}
        kwargs.update(overrides)
        builder.add_batch(**{k: v for k, v in kwargs.items() if v is not _DROP})

    return add


_DROP = object()

BAD_BATCHES = {
    "logits and probs": _bad(probs=np.array([[0.5, 0.5]])),
    "neither logits nor probs": _bad(logits=_DROP),
    "texts and token_ids": _bad(token_ids=[[1]]),
    "token_ids without decode": _bad(texts=_DROP, token_ids=[[1]]),
    "fields differ": _bad(texts=_DROP),
    "extra fields differ": _bad(extra={"other": [1.0]}),
    "labels rows": _bad(labels=[0, 1]),
    "ids rows": _bad(ids=[1, 2]),
    "texts rows": _bad(texts=["a", "b"]),
    "extra rows": _bad(extra={"length": [1.0, 2.0]}),
    "class count": _bad(logits=np.zeros((1, 3))),
    "3-d scores": _bad(logits=np.zeros((1, 2, 1))),
    "float label tensor not whole": _bad(labels=torch.tensor([0.5])),
    "unknown label name": _bad(labels=["fish"]),
    "complex labels": _bad(labels=np.array([1j])),
    "nan logit": _bad(logits=np.array([[np.nan, 0.0]])),
    "inf logit": _bad(logits=np.array([[np.inf, 0.0]])),
    "probability outside [0, 1]": _bad(logits=_DROP, probs=np.array([[1.5, -0.5]])),
    "probabilities not summing to 1": _bad(logits=_DROP, probs=np.array([[0.9, 0.9]])),
    "label id out of range": _bad(labels=[7]),
    "ids of another type": _bad(ids=["s100"]),
    "ids of mixed types": _bad(
        logits=np.zeros((2, 2)), labels=[0, 1], ids=[1, "a"], texts=["a", "b"], extra={"length": [1.0, 2.0]}
    ),
    "float ids": _bad(ids=np.array([1.5])),
}


@pytest.mark.parametrize("kind", list(BAD_BATCHES))
def test_a_rejected_batch_changes_no_counter_or_metadata(kind, tmp_path):
    builder = EvalTableBuilder(BINARY)
    _good(builder)
    before = (builder.num_batches, builder.rows_seen, builder.rows_kept, builder.rows_dropped)
    with pytest.raises(ValueError, match=r"^batch 1\b"):
        BAD_BATCHES[kind](builder)
    assert (builder.num_batches, builder.rows_seen, builder.rows_kept, builder.rows_dropped) == before
    _good(builder, start=2)  # the loop goes on; the next call is batch 2
    frame = builder.finalize()
    assert frame["Sample ID"].tolist() == [0, 1, 2, 3]
    assert (builder.num_batches, builder.rows_seen, builder.rows_kept, builder.rows_dropped) == (2, 4, 4, 0)
    with pytest.warns(UserWarning, match="written locally"):
        result = log_eval_table(builder, local_dir=tmp_path)
    table_meta = json.loads(result.metadata_path.read_text())["wbview_table"]
    assert (table_meta["rows_seen"], table_meta["rows_kept"], table_meta["rows_dropped"]) == (4, 4, 0)


def test_a_rejected_first_batch_does_not_fix_the_fields():
    builder = EvalTableBuilder(BINARY)
    with pytest.raises(ValueError, match="batch 0, row 0: a NaN"):
        builder.add_batch(logits=[[np.nan, 0.0]], labels=[0], texts=["x"])
    builder.add_batch(logits=[[0.0, 0.0]], labels=[0])  # no texts: fine, the rejected batch set nothing
    assert len(builder.finalize()) == 1 and builder.num_batches == 1


def test_rows_past_the_cap_still_count_and_a_rejected_batch_past_it_does_not():
    builder = EvalTableBuilder(BINARY, max_rows=2)
    builder.add_batch(logits=np.zeros((2, 2)), labels=[0, 1])
    with pytest.raises(ValueError, match="batch 1: labels has 1 rows"):
        builder.add_batch(logits=np.zeros((2, 2)), labels=[0])
    with pytest.warns(UserWarning, match="is full"):
        builder.add_batch(logits=np.zeros((3, 2)), labels=[0, 1, 0])
    assert (builder.rows_seen, builder.rows_kept, builder.rows_dropped) == (5, 2, 3)


# --- ids: one type per table -------------------------------------------------------------


def test_int_then_str_ids_are_rejected_at_add_batch_naming_the_batch(tmp_path):
    builder = EvalTableBuilder(BINARY)
    builder.add_batch(logits=[[1.0, 0.0]], labels=[0], ids=[1])
    with pytest.raises(ValueError, match=r"batch 1: ids are strings but batch 0's ids are integers"):
        builder.add_batch(logits=[[1.0, 0.0]], labels=[0], ids=["x"])
    builder.add_batch(logits=[[1.0, 0.0]], labels=[0], ids=torch.tensor([2]))
    with pytest.warns(UserWarning, match="written locally"):
        result = log_eval_table(builder, local_dir=tmp_path)
    assert pd.read_parquet(result.parquet_path)["Sample ID"].tolist() == [1, 2]


@pytest.mark.parametrize(
    "batches, expected",
    [
        ([["a", "b"], np.array(["c"])], ["a", "b", "c"]),
        ([[np.int64(3), 4], np.array([5], np.uint8)], [3, 4, 5]),
        ([torch.tensor([7, 8]), [9]], [7, 8, 9]),
    ],
    ids=["strings", "numpy and python ints", "tensor and list"],
)
def test_ids_of_one_kind_from_any_container(batches, expected, tmp_path):
    builder = EvalTableBuilder(BINARY)
    for ids in batches:
        builder.add_batch(logits=np.zeros((len(ids), 2)), labels=np.zeros(len(ids), int), ids=ids)
    with pytest.warns(UserWarning, match="written locally"):
        result = log_eval_table(builder, local_dir=tmp_path)
    assert pd.read_parquet(result.parquet_path)["Sample ID"].tolist() == expected


# --- text that UTF-8 cannot encode --------------------------------------------------------


def test_lone_surrogates_are_replaced_and_counted(tmp_path):
    builder = EvalTableBuilder(BINARY)
    builder.add_batch(
        logits=np.zeros((4, 2)),
        labels=[0, 1, 0, 1],
        ids=["a\udc80", "b", "c", "d"],
        texts=["bad \ud800", "ok \u00e9", "pair \ud83d\ude00", "x\udfff"],
        extra={"note": ["n\ud801", "", "", ""]},
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = log_eval_table(builder, local_dir=tmp_path)
    assert any("5 text cell(s) could not be encoded" in str(w.message) for w in caught)
    frame = pd.read_parquet(result.parquet_path)
    assert frame["Decoded Text"].tolist() == ["bad \ufffd", "ok \u00e9", "pair \U0001f600", "x\ufffd"]
    assert frame["Sample ID"].tolist() == ["a\ufffd", "b", "c", "d"] and frame["note"].tolist()[0] == "n\ufffd"
    assert json.loads(result.metadata_path.read_text())["wbview_table"]["text_cells_repaired"] == 5
    assert json.loads(result.table_json_path.read_text(encoding="utf-8"))["data"][0][1] == "bad \ufffd"


def test_encodable_text_is_untouched_and_counted_as_zero():
    builder = EvalTableBuilder(BINARY)
    builder.add_batch(logits=np.zeros((1, 2)), labels=[0], texts=["fine \U0001f600"])
    assert builder.finalize()["Decoded Text"].tolist() == ["fine \U0001f600"]
    assert builder.table_info()["text_cells_repaired"] == 0


# --- label dtypes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "labels",
    [
        np.array([True, False, True]),
        np.array([1.0, 0.0, 1.0]),
        np.array([1.0, 0.0, 1.0], np.float32),
        [True, False, True],
        [1.0, 0.0, 1.0],
        torch.tensor([True, False, True]),
        torch.tensor([1.0, 0.0, 1.0]),
        torch.tensor([1.0, 0.0, 1.0], dtype=torch.bfloat16),
        np.array([1, 0, 1], np.uint8),
    ],
    ids=["np-bool", "np-float64", "np-float32", "list-bool", "list-float", "torch-bool", "torch-float", "torch-bf16", "uint8"],
)
@pytest.mark.parametrize("validate", ["deferred", "finalize"])
def test_label_dtypes_with_valid_values_are_accepted(labels, validate):
    builder = EvalTableBuilder(BINARY, positive_class="phishing", validate=validate)
    builder.add_batch(logits=np.zeros((3, 2)), labels=labels)
    assert builder.finalize()["True Label"].astype(str).tolist() == ["phishing", "ham", "phishing"]


@pytest.mark.parametrize("validate, where", [("deferred", r"batch 1, row 1"), ("finalize", r"batch 1, row 1 \(table row 2\)")])
@pytest.mark.parametrize("bad, shown", [(0.5, "0.5"), (np.nan, "nan"), (2.0, None)])
def test_float_labels_that_are_not_class_ids_are_rejected(bad, shown, validate, where):
    builder = EvalTableBuilder(BINARY, validate=validate)
    builder.add_batch(logits=np.zeros((1, 2)), labels=torch.tensor([1.0]))
    message = f"label {shown} is not a whole-number class id" if shown else "label id 2 is outside 0..1"
    with pytest.raises(ValueError, match=rf"{where}: {message}"):
        builder.add_batch(logits=np.zeros((2, 2)), labels=torch.tensor([0.0, bad]))
        builder.finalize()


# --- extra column names -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "style, name, texts",
    [
        ("seed", "Outcome", None),
        ("seed", "Prob (ham)", None),
        ("seed", "Decoded Text", ["t"]),
        ("snake", "is_error", None),
        ("snake", "id", None),
    ],
)
def test_extra_name_clashes_are_caught_at_the_first_batch(style, name, texts):
    builder = EvalTableBuilder(BINARY, style=style)
    with pytest.raises(ValueError, match=re.escape(f"batch 0: extra column(s) [{name!r}] clash with built-in columns")):
        builder.add_batch(logits=np.zeros((1, 2)), labels=[0], texts=texts, extra={name: [1], "fine": [2]})
    assert builder.num_batches == 0
    builder.add_batch(logits=np.zeros((1, 2)), labels=[0], texts=texts, extra={"fine": [2]})
    assert list(builder.finalize().columns)[-1] == "fine"
