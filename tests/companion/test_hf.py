"""The Trainer integration with a tiny randomly initialised BERT (built from a config:
no downloads, no tokenizer; token ids made in code, decoded with a made-up vocab)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from wbview.companion import EvalTableBuilder  # noqa: E402
from wbview.companion.hf import (  # noqa: E402
    EvalTableCallback,
    add_eval_table_logging,
    decode_with_vocab,
)

VOCAB = ["[PAD]"] + [f"w{i}" for i in range(1, 100)]
CLASSES = ["ham", "phishing"]
N_EVAL = 21
BATCH = 8


class _Examples(torch.utils.data.Dataset):
    def __init__(self, n: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        lengths = rng.integers(3, 9, n)
        self.items = []
        for i, length in enumerate(lengths):
            ids = rng.integers(1, 100, length).tolist()
            self.items.append({"input_ids": ids, "labels": int(i % 2)})

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict:
        return self.items[index]


def _collate(items: list[dict]) -> dict:
    width = max(len(item["input_ids"]) for item in items)
    ids = torch.zeros((len(items), width), dtype=torch.long)
    for row, item in enumerate(items):
        ids[row, : len(item["input_ids"])] = torch.tensor(item["input_ids"])
    return {"input_ids": ids, "attention_mask": (ids != 0).long(), "labels": torch.tensor([item["labels"] for item in items])}


def _trainer(tmp_path, compute_metrics=lambda eval_pred: {"mine": 1.0}, **arg_overrides):
    torch.manual_seed(0)
    config = transformers.BertConfig(
        vocab_size=len(VOCAB),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=32,
        num_labels=2,
    )
    model = transformers.BertForSequenceClassification(config)
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "out"),
        per_device_eval_batch_size=BATCH,
        per_device_train_batch_size=BATCH,
        report_to=[],
        use_cpu=True,
        include_for_metrics=["inputs"],
        max_steps=2,
        eval_strategy="steps",
        eval_steps=1,
        save_strategy="no",
        logging_strategy="no",
        disable_tqdm=True,
        **arg_overrides,
    )
    return transformers.Trainer(
        model=model,
        args=args,
        train_dataset=_Examples(16, 1),
        eval_dataset=_Examples(N_EVAL, 2),
        data_collator=_collate,
        compute_metrics=compute_metrics,
    )


def _count_forwards(model) -> list[int]:
    calls = [0]
    model.register_forward_hook(lambda *args: calls.__setitem__(0, calls[0] + 1))
    return calls


def test_trainer_evaluate_logs_a_table_from_its_own_pass(tmp_path):
    trainer = _trainer(tmp_path)
    callback = add_eval_table_logging(
        trainer,
        CLASSES,
        positive_class="phishing",
        decode=decode_with_vocab(VOCAB),
        local_dir=tmp_path / "tables",
    )
    logits_seen = []
    trainer.model.register_forward_hook(lambda module, args, output: logits_seen.append(output.logits.detach().clone()))
    with pytest.warns(UserWarning, match="written locally"):
        metrics = trainer.evaluate()

    assert len(logits_seen) == -(-N_EVAL // BATCH)  # one forward per eval batch: no second pass
    assert metrics["eval_mine"] == 1.0  # the wrapped compute_metrics still runs
    assert metrics["eval_num_predictions"] == N_EVAL
    (result,) = callback.results
    frame = pd.read_parquet(result.parquet_path)
    assert len(frame) == N_EVAL
    probs = torch.softmax(torch.cat(logits_seen), 1).numpy()
    np.testing.assert_allclose(frame["Prob (phishing)"], probs[:, 1], rtol=1e-5)
    expected_texts = [" ".join(VOCAB[t] for t in item["input_ids"]) for item in _Examples(N_EVAL, 2).items]
    assert frame["Decoded Text"].tolist() == expected_texts
    assert frame["True Label"].astype(str).tolist() == [CLASSES[i % 2] for i in range(N_EVAL)]
    assert metrics["eval_accuracy"] == pytest.approx(1 - frame["Is Error"].mean())
    assert result.local_dir.name == "eval-predictions-step-0"
    assert json.loads(result.metadata_path.read_text())["id2label"] == {"0": "ham", "1": "phishing"}


def test_each_evaluation_during_training_logs_a_table(tmp_path):
    trainer = _trainer(tmp_path)
    callback = add_eval_table_logging(trainer, CLASSES, local_dir=tmp_path / "tables")
    with pytest.warns(UserWarning, match="written locally"):
        trainer.train()
    assert [r.local_dir.name for r in callback.results] == ["eval-predictions-step-1", "eval-predictions-step-2"]
    assert all(r.nrows == N_EVAL for r in callback.results)


def test_batch_eval_metrics_feeds_the_builder_batch_by_batch(tmp_path):
    seen = []
    trainer = _trainer(
        tmp_path,
        batch_eval_metrics=True,
        compute_metrics=lambda eval_pred, compute_result: seen.append(compute_result) or {"mine": 2.0},
    )
    callback = add_eval_table_logging(trainer, CLASSES, local_dir=tmp_path / "tables", decode=decode_with_vocab(VOCAB))
    with pytest.warns(UserWarning, match="written locally"):
        metrics = trainer.evaluate()
    assert seen == [False, False, True]  # the user's function saw every batch
    assert metrics["eval_mine"] == 2.0 and metrics["eval_num_predictions"] == N_EVAL
    frame = pd.read_parquet(callback.results[0].parquet_path)
    assert len(frame) == N_EVAL and frame["Decoded Text"].str.len().gt(0).all()


def test_callback_with_injected_logger_and_no_trainer():
    logged = []
    callback = EvalTableCallback(CLASSES, log=lambda builder, **kw: logged.append((builder, kw)) or "result")
    eval_pred = transformers.EvalPrediction(
        predictions=(np.array([[0.0, 1.0], [2.0, 0.0]]), np.zeros(2)), label_ids=np.array([1, 1])
    )
    metrics = callback.compute_metrics(eval_pred)
    assert metrics["accuracy"] == 0.5
    state = transformers.TrainerState()
    state.global_step = 7
    callback.on_evaluate(None, state, None)
    builder, options = logged[0]
    assert isinstance(builder, EvalTableBuilder) and options["step"] == 7 and callback.results == ["result"]
