"""Hugging Face Trainer integration: the eval table is built from the predictions the
Trainer already gathers in its own evaluation pass (no second pass over the data).

    callback = add_eval_table_logging(trainer, ["ham", "phishing"], positive_class="phishing",
                                      decode=tokenizer.batch_decode)
    trainer.train()   # every evaluation logs a table (and metrics) to the active W&B run

``add_eval_table_logging`` wraps ``trainer.compute_metrics`` (your own metrics still
run and are returned) and registers a callback that logs the table in
``on_evaluate`` with the Trainer's ``global_step``. Texts come from the model inputs
when ``TrainingArguments(include_for_metrics=["inputs"])`` and ``decode`` are given.
With ``batch_eval_metrics=True`` the per-batch device tensors go straight into the
builder (no host copy until the end of the evaluation).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from wbview.errors import MissingDependency

from .builder import DecodeFn, EvalTableBuilder
from .logging import DEFAULT_KEY, LogResult, log_eval_table
from .metrics import scalar_metrics

try:
    from transformers import TrainerCallback
except ImportError as exc:  # pragma: no cover - transformers is installed in dev
    raise MissingDependency("The Trainer integration needs transformers: pip install 'wbview[hf]'.") from exc


def _first(value: Any) -> Any:
    """The logits when a model returns a tuple (logits, hidden states, ...)."""
    return value[0] if isinstance(value, (tuple, list)) else value


def _skip_padding(decode: DecodeFn) -> DecodeFn:
    # The Trainer pads concatenated inputs with -100; tokenizers reject negative ids.
    return lambda rows: decode([[token for token in row if token >= 0] for row in rows])


class EvalTableCallback(TrainerCallback):
    """Builds an eval table inside ``compute_metrics``; logs it in ``on_evaluate``.

    Pass ``callback.compute_metrics`` as the Trainer's ``compute_metrics`` (or use
    ``add_eval_table_logging``). Keyword arguments go to ``EvalTableBuilder`` and
    ``log_eval_table``. ``results`` keeps every ``LogResult``.
    """

    def __init__(
        self,
        class_names: Sequence[str],
        *,
        compute_metrics: Callable[..., Mapping[str, float]] | None = None,  # (eval_pred[, compute_result=])
        positive_class: str | int | None = None,
        threshold: float | None = None,
        style: str = "seed",
        decode: DecodeFn | None = None,
        max_rows: int | None = None,
        key: str = DEFAULT_KEY,
        run: Any = None,
        model: Any = None,
        dataset: Any = None,
        local_dir: Any = None,
        show_in_workspace: bool = True,
        log: Callable[..., LogResult] = log_eval_table,
    ) -> None:
        self.class_names = list(class_names)
        self.user_compute_metrics = compute_metrics
        self.builder_options: dict[str, Any] = {
            "positive_class": positive_class,
            "threshold": threshold,
            "style": style,
            "decode": _skip_padding(decode) if decode else None,
            "max_rows": max_rows,
        }
        self.log_options = {
            "key": key,
            "run": run,
            "model": model,
            "dataset": dataset,
            "local_dir": local_dir,
            "show_in_workspace": show_in_workspace,
        }
        self.log = log
        self.builder: EvalTableBuilder | None = None
        self.pending: EvalTableBuilder | None = None
        self.results: list[LogResult] = []

    def _new_builder(self) -> EvalTableBuilder:
        return EvalTableBuilder(self.class_names, **self.builder_options)

    def _add(self, builder: EvalTableBuilder, eval_pred: Any) -> None:
        inputs = getattr(eval_pred, "inputs", None)
        if isinstance(inputs, Mapping):  # batch_eval_metrics hands over the whole batch dict
            inputs = inputs.get("input_ids")
        use_tokens = inputs is not None and self.builder_options["decode"] is not None
        builder.add_batch(
            logits=_first(eval_pred.predictions),
            labels=_first(eval_pred.label_ids),
            token_ids=_first(inputs) if use_tokens else None,
        )

    def compute_metrics(self, eval_pred: Any, compute_result: bool | None = None) -> dict[str, float]:
        """The Trainer's ``compute_metrics``: fills the table, returns headline metrics
        (plus those of the wrapped ``compute_metrics``)."""
        if compute_result is None:  # whole evaluation set at once
            builder = self._new_builder()
            self._add(builder, eval_pred)
            user = self.user_compute_metrics(eval_pred) if self.user_compute_metrics else {}
            return self._finish(builder, user)
        self.builder = self.builder or self._new_builder()  # batch_eval_metrics=True
        self._add(self.builder, eval_pred)
        user = self.user_compute_metrics(eval_pred, compute_result=compute_result) if self.user_compute_metrics else {}
        if not compute_result:
            return dict(user or {})
        builder, self.builder = self.builder, None
        return self._finish(builder, user)

    def _finish(self, builder: EvalTableBuilder, user_metrics: Mapping[str, float] | None) -> dict[str, float]:
        builder.finalize()
        self.pending = builder
        metrics: dict[str, Any] = dict(scalar_metrics(builder.metrics()))  # the Trainer takes numbers only
        metrics.update(user_metrics or {})
        return metrics

    def on_evaluate(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        builder, self.pending = self.pending, None
        if builder is None or not getattr(state, "is_world_process_zero", True):
            return
        self.results.append(self.log(builder, step=int(state.global_step), **self.log_options))


def add_eval_table_logging(trainer: Any, class_names: Sequence[str], **options: Any) -> EvalTableCallback:
    """Wrap ``trainer.compute_metrics`` and register the table-logging callback."""
    callback = EvalTableCallback(class_names, compute_metrics=trainer.compute_metrics, **options)
    trainer.compute_metrics = callback.compute_metrics
    trainer.add_callback(callback)
    return callback


def decode_with_vocab(vocab: Sequence[str], *, skip: Sequence[int] = (0,)) -> DecodeFn:
    """A ``decode`` for tests and demos: token id -> ``vocab[id]``, joined by spaces."""
    skipped = set(skip)
    words = np.asarray(vocab, dtype=object)
    return lambda rows: [" ".join(words[[t for t in row if t not in skipped and 0 <= t < len(words)]]) for row in rows]
