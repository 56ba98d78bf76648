"""EvalTableBuilder: accumulate an evaluation loop's outputs, build the eval table once.

Inside the loop, ``add_batch(*, logits=..., labels=...)`` only stores references to
the (detached, float32) scores and labels: it never calls ``.item()``, ``.cpu()`` or
``.numpy()`` on a GPU tensor, so it adds no host-device synchronisation. Token ids on a
CUDA device are copied asynchronously into pinned host memory. ``finalize()`` joins
the batches on their device, applies one softmax there (for logits) and moves every
per-sample value to the host once.

Memory (N = rows kept, C = classes): device tensors are held until ``finalize``:
scores ``4*N*C`` bytes (float32; twice that transiently while finalising) plus labels/ids ``8*N`` bytes each; token ids
``N*L*itemsize`` bytes in (pinned) host memory; texts and extra columns as given.
``max_rows`` caps N: rows past it are counted, not stored, and a warning says so
(``rows_seen`` and ``rows_dropped`` record it; nothing is dropped silently).

Validation: NaN/infinite logits or probabilities, given probabilities outside [0, 1]
or whose row does not sum to 1 (within 1e-3), and label ids outside ``0..C-1``, raise
``ValueError`` naming the batch and the row. Host inputs (numpy,
CPU tensors) are checked in ``add_batch``; device tensors are checked in
``finalize`` (checking earlier would force a synchronisation per batch).

Prediction rule: binary with ``positive_class``: predicted positive iff
P(positive) >= threshold, compared in float32 (ties at the threshold are positive).
Otherwise: the arg-max class (ties go to the lowest class index).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from wbview.schema import Style, column_name, prob_column

from .metrics import classification_metrics

DecodeFn = Callable[[list[list[int]]], Sequence[str]]

# Given probabilities: each within [0, 1] (float32 rounding aside) and each row summing
# to 1 within 1e-3 (float32/float16 softmax outputs round; anything further is a bug).
PROB_RANGE_TOLERANCE = 1e-6
DEFAULT_THRESHOLD = 0.5
PROB_SUM_TOLERANCE = 1e-3


@dataclass(frozen=True)
class EvalArrays:
    """The finalised numeric results (host numpy arrays), the basis of metrics."""

    probs: np.ndarray  # (n, C) float32
    labels: np.ndarray  # (n,) int64 class indices
    preds: np.ndarray  # (n,) int64 class indices


def _is_torch(value: Any) -> bool:
    return type(value).__module__.startswith("torch")


def _is_device_tensor(value: Any) -> bool:
    return _is_torch(value) and value.device.type != "cpu"


def _host(value: Any) -> np.ndarray:
    """A host numpy array for one stored piece (the only place a transfer happens)."""
    if _is_torch(value):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _concat(pieces: list[Any]) -> np.ndarray:
    """Concatenate stored pieces with one device->host transfer per device."""
    if pieces and all(_is_torch(p) for p in pieces) and len({p.device for p in pieces}) == 1:
        import torch

        return torch.cat(pieces).detach().cpu().numpy()
    return np.concatenate([_host(p) for p in pieces]) if pieces else np.empty(0)


def _concat_on_device(pieces: list[Any]) -> Any:
    """Concatenate without leaving the device when every piece is on the same one."""
    if all(_is_torch(p) for p in pieces) and len({p.device for p in pieces}) == 1:
        import torch

        return torch.cat(pieces)
    return np.concatenate([_host(p) for p in pieces])


def _softmax(scores: Any) -> Any:
    if _is_torch(scores):
        import torch

        return torch.softmax(scores, dim=1)
    with np.errstate(over="ignore", invalid="ignore"):
        shifted = scores - scores.max(axis=1, keepdims=True) if scores.size else scores
        exp = np.exp(shifted)
        return exp / exp.sum(axis=1, keepdims=True)


def _num_rows(value: Any) -> int:
    return int(value.shape[0]) if hasattr(value, "shape") else len(value)


class EvalTableBuilder:
    """Accumulate per-batch model outputs; ``finalize()`` returns one row per sample.

    ``class_names``: label names by class index. ``positive_class``: name (or index) of
    the positive class of a binary task; enables the threshold rule and TP/FP/TN/FN
    outcomes. ``threshold``: P(positive) cut-off (default 0.5); only meaningful with
    ``positive_class``, so giving it without one warns (``UserWarning``) and is ignored. ``style``: ``"seed"`` ("True Label", "Prob (<class>)", ...) or
    ``"snake"`` ("true_label", "prob_<class>", ...). ``decode``: turns a batch of token
    id lists into strings (e.g. ``tokenizer.batch_decode``). ``max_rows``: memory cap.
    ``validate``: ``"deferred"`` (default: host inputs checked in ``add_batch``, device
    tensors in ``finalize``), ``"eager"`` (device tensors too: one synchronisation per
    batch) or ``"finalize"`` (everything checked once, in ``finalize``).
    """

    def __init__(
        self,
        class_names: Sequence[str],
        *,
        positive_class: str | int | None = None,
        threshold: float | None = None,
        style: Style = "seed",
        decode: DecodeFn | None = None,
        max_rows: int | None = None,
        id_start: int = 0,
        validate: str = "deferred",
    ) -> None:
        self.class_names = [str(name) for name in class_names]
        if len(self.class_names) < 2 or len(set(self.class_names)) != len(self.class_names):
            raise ValueError(f"class_names needs at least two distinct names, got {list(class_names)!r}.")
        if style not in ("seed", "snake"):
            raise ValueError(f"style must be 'seed' or 'snake', got {style!r}.")
        if threshold is not None and not 0.0 <= float(threshold) <= 1.0:
            raise ValueError(f"threshold must be within [0, 1], got {threshold!r}.")
        if max_rows is not None and max_rows < 0:
            raise ValueError(f"max_rows must be >= 0 or None, got {max_rows!r}.")
        if validate not in ("deferred", "eager", "finalize"):
            raise ValueError(f"validate must be 'deferred', 'eager' or 'finalize', got {validate!r}.")
        self.positive_index = self._positive_index(positive_class)
        if threshold is not None and self.positive_index is None:
            warnings.warn(
                f"EvalTableBuilder(threshold={threshold!r}) is ignored without positive_class: predictions are the "
                f"arg-max class. Pass positive_class= (one of {self.class_names}) to apply the threshold.",
                UserWarning, stacklevel=2,
            )
        self.threshold = DEFAULT_THRESHOLD if threshold is None else float(threshold)
        self.style: Style = style
        self.decode = decode
        self.max_rows = max_rows
        self.id_start = id_start
        self.validate = validate
        self.reset()

    # --- public API -------------------------------------------------------------

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def positive_class(self) -> str | None:
        return None if self.positive_index is None else self.class_names[self.positive_index]

    @property
    def label_mapping(self) -> dict[str, dict]:
        """``{"id2label": {0: "ham", ...}, "label2id": {"ham": 0, ...}}``."""
        return {
            "id2label": {i: name for i, name in enumerate(self.class_names)},
            "label2id": {name: i for i, name in enumerate(self.class_names)},
        }

    @property
    def rows_dropped(self) -> int:
        return self.rows_seen - self.rows_kept

    def reset(self) -> None:
        """Forget every batch (the configuration stays)."""
        self._scores: list[Any] = []  # float32 (n, C) logits or probabilities, per batch
        self._score_is_logits: list[bool] = []
        self._labels: list[Any] = []
        self._ids: list[Any] = []
        self._texts: list[Sequence[str]] = []
        self._tokens: list[Any] = []
        self._extra: dict[str, list[Any]] = {}
        self._batch_offsets: list[int] = []  # first kept row of each stored batch
        self._batch_numbers: list[int] = []  # add_batch call number of each stored batch
        self._fields: frozenset[str] | None = None
        self._async_copies = False
        self._warned_cap = False
        self.num_batches = 0
        self.rows_seen = 0
        self.rows_kept = 0
        self.arrays: EvalArrays | None = None

    def add_batch(
        self,
        *,
        logits: Any = None,
        probs: Any = None,
        labels: Any,
        ids: Any = None,
        texts: Sequence[str] | None = None,
        token_ids: Any = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        """Store one batch. Give exactly one of ``logits`` or ``probs``.

        Shapes: ``(n, C)``; for two classes also ``(n,)``/``(n, 1)`` (the logit, or the
        probability, of class 1). ``labels``: ``(n,)`` class indices (or class names).
        ``ids``, ``texts``, each ``extra[name]``: ``n`` values. ``token_ids``: ``(n, L)``
        (needs ``decode``). Optional fields must be the same in every batch.
        """
        batch = self.num_batches
        self.num_batches += 1
        if (logits is None) == (probs is None):
            raise ValueError(f"batch {batch}: give exactly one of logits= or probs=.")
        if texts is not None and token_ids is not None:
            raise ValueError(f"batch {batch}: give texts= or token_ids=, not both.")
        if token_ids is not None and self.decode is None:
            raise ValueError(f"batch {batch}: token_ids= needs a decode function: EvalTableBuilder(..., decode=tokenizer.batch_decode).")
        self._check_fields(batch, ids, texts, token_ids, extra)
        scores = logits if logits is not None else probs
        n = _num_rows(scores)
        for name, value in (("labels", labels), ("ids", ids), ("texts", texts), ("token_ids", token_ids), *((f"extra[{k!r}]", v) for k, v in (extra or {}).items())):
            if value is not None and _num_rows(value) != n:
                raise ValueError(f"batch {batch}: {name} has {_num_rows(value)} rows but the scores have {n}.")
        self.rows_seen += n
        keep = n if self.max_rows is None else max(0, min(n, self.max_rows - self.rows_kept))
        if keep < n:
            self._warn_capped()
        if keep == 0 and n > 0:
            return
        take = (lambda v: v) if keep == n else (lambda v: v[:keep])
        batch_scores = self._to_scores(take(scores), is_logits=logits is not None, batch=batch)
        batch_labels = self._to_label_ids(take(labels), batch)
        on_host = not (_is_device_tensor(batch_scores) or _is_device_tensor(batch_labels))
        if self.validate == "eager" or (self.validate == "deferred" and on_host):
            self._check_values(_host(batch_scores), _host(batch_labels), batch, row_offset=0, are_probs=logits is None)
        self._batch_offsets.append(self.rows_kept)
        self._batch_numbers.append(batch)
        self._scores.append(batch_scores)
        self._score_is_logits.append(logits is not None)
        self._labels.append(batch_labels)
        if ids is not None:
            self._ids.append(take(ids) if _is_torch(ids) or hasattr(ids, "shape") else np.asarray(list(take(ids)), dtype=object))
        if texts is not None:
            self._texts.append(list(take(texts)))
        if token_ids is not None:
            self._tokens.append(self._to_host_async(take(token_ids)))
        for name, value in (extra or {}).items():
            self._extra.setdefault(name, []).append(take(value) if hasattr(value, "shape") else np.asarray(list(take(value)), dtype=object))
        self.rows_kept += keep
        self.arrays = None

    def finalize(self) -> pd.DataFrame:
        """One row per kept sample: id, text, labels, per-class probabilities,
        confidence, is-error, outcome, then extra columns (in that order)."""
        arrays = self._finalize_arrays()
        self.arrays = arrays
        frame = self._frame(arrays)
        frame.attrs["wbview"] = self.table_info()
        return frame

    to_frame = finalize

    def metrics(self) -> dict[str, Any]:
        """Headline metrics of the finalised rows (calls ``finalize`` work if needed)."""
        arrays = self.arrays or self._finalize_arrays()
        self.arrays = arrays
        return classification_metrics(
            arrays.labels, arrays.preds, arrays.probs, num_classes=self.num_classes,
            positive_index=self.positive_index,
            threshold=self.threshold if self.positive_index is not None else None,
        )

    def table_info(self) -> dict[str, Any]:
        """What the table is: classes, style, rule, rows seen/kept (goes into metadata)."""
        return {
            "class_names": list(self.class_names),
            "positive_class": self.positive_class,
            "threshold": self.threshold if self.positive_index is not None else None,
            "style": self.style,
            "rows_seen": self.rows_seen,
            "rows_kept": self.rows_kept,
            "rows_dropped": self.rows_dropped,
        }

    # --- batch handling -----------------------------------------------------------

    def _positive_index(self, positive_class: str | int | None) -> int | None:
        if positive_class is None:
            return None
        if len(self.class_names) != 2:
            raise ValueError(f"positive_class needs a binary task; there are {len(self.class_names)} classes.")
        if isinstance(positive_class, (int, np.integer)) and not isinstance(positive_class, bool):
            if positive_class in (0, 1):
                return int(positive_class)
        elif str(positive_class) in self.class_names:
            return self.class_names.index(str(positive_class))
        raise ValueError(f"positive_class {positive_class!r} is not one of {self.class_names} (or the index 0/1).")

    def _check_fields(self, batch: int, ids: Any, texts: Any, token_ids: Any, extra: Mapping[str, Any] | None) -> None:
        fields = frozenset(
            [name for name, value in (("ids", ids), ("texts", texts), ("token_ids", token_ids)) if value is not None]
            + [f"extra:{k}" for k in (extra or {})]
        )
        if self._fields is None:
            self._fields = fields
        elif fields != self._fields:
            raise ValueError(
                f"batch {batch}: optional fields {sorted(fields)} differ from the first batch's {sorted(self._fields)}; "
                "give the same ids/texts/token_ids/extra in every batch."
            )

    def _warn_capped(self) -> None:
        if not self._warned_cap:
            self._warned_cap = True
            warnings.warn(
                f"EvalTableBuilder(max_rows={self.max_rows}) is full: later rows are counted but not stored "
                "(see rows_seen / rows_dropped, recorded in the table metadata).",
                stacklevel=3,
            )

    def _to_scores(self, scores: Any, *, is_logits: bool, batch: int) -> Any:
        """float32 ``(n, C)`` scores, left where they are (softmax happens once, in finalize)."""
        if _is_torch(scores):
            import torch

            return self._two_columns(scores.detach().to(torch.float32), is_logits, batch, torch)
        return self._two_columns(np.asarray(scores, dtype=np.float32), is_logits, batch, np)

    def _two_columns(self, scores: Any, is_logits: bool, batch: int, xp: Any) -> Any:
        """Accept a single score column for binary tasks; check the class count."""
        if scores.ndim == 2 and scores.shape[1] == 1:
            scores = scores[:, 0]
        if scores.ndim == 1:
            if self.num_classes != 2:
                raise ValueError(f"batch {batch}: 1-D scores need a binary task; there are {self.num_classes} classes.")
            if is_logits:
                # Two logits whose softmax equals sigmoid(x) for class 1.
                return xp.stack([xp.zeros_like(scores), scores], 1)
            return xp.stack([1 - scores, scores], 1)
        if scores.ndim != 2 or scores.shape[1] != self.num_classes:
            raise ValueError(f"batch {batch}: scores have shape {tuple(scores.shape)}; expected (n, {self.num_classes}) for classes {self.class_names}.")
        return scores

    def _to_label_ids(self, labels: Any, batch: int) -> Any:
        if _is_torch(labels):
            if labels.dtype.is_floating_point or labels.dtype.is_complex:
                raise ValueError(f"batch {batch}: labels must be integer class ids, got a {labels.dtype} tensor.")
            return labels.detach().reshape(-1).long()
        array = np.asarray(labels).reshape(-1)
        if array.dtype.kind in "iu":
            return array.astype(np.int64, copy=False)
        if array.dtype.kind in "UOS" or array.size == 0:
            codes = pd.Categorical(array, categories=self.class_names).codes.astype(np.int64)
            unknown = np.flatnonzero(codes < 0)
            if unknown.size:
                row = int(unknown[0])
                raise ValueError(f"batch {batch}, row {row}: label {str(array[row])!r} is not one of {self.class_names}.")
            return codes
        raise ValueError(f"batch {batch}: labels must be integer class ids or class names, got dtype {array.dtype}.")

    def _to_host_async(self, token_ids: Any) -> Any:
        if not _is_torch(token_ids):
            return np.asarray(token_ids)
        if token_ids.device.type != "cuda":
            return token_ids.detach()
        import torch

        host = torch.empty(token_ids.shape, dtype=token_ids.dtype, pin_memory=True)
        host.copy_(token_ids.detach(), non_blocking=True)
        self._async_copies = True
        return host

    def _check_values(self, scores: np.ndarray, labels: np.ndarray, batch: int | None, row_offset: int, *, are_probs: bool = True) -> None:
        """Raise on the first non-finite score, invalid probability row or out-of-range label id."""
        bad_scores = ~np.isfinite(scores).all(axis=1) if scores.size else np.zeros(0, bool)
        self._raise_first(bad_scores, batch, row_offset, lambda i: "a NaN or infinite logit/probability")
        if are_probs and scores.size:
            self._check_probabilities(scores, batch, row_offset)
        bad_labels = (labels < 0) | (labels >= self.num_classes)
        self._raise_first(
            bad_labels, batch, row_offset,
            lambda i: f"label id {int(labels[i])} is outside 0..{self.num_classes - 1} for {self.class_names}",
        )

    def _check_probabilities(self, probs: np.ndarray, batch: int | None, row_offset: int) -> None:
        """Each value within [0, 1] and each row summing to 1 (within PROB_SUM_TOLERANCE)."""
        wide = probs.astype(np.float64, copy=False)
        # Distance outside [0, 1] per cell; the worst cell of a row is the one reported.
        outside = np.maximum(wide - 1.0, 0.0) + np.maximum(-wide, 0.0)
        def out_of_range(i: int) -> str:
            column = int(outside.shape[1] - 1 - np.argmax(outside[i, ::-1]))  # ties: the later class
            shown = ", ".join(f"{v:.6g}" for v in wide[i, :10]) + (", ..." if wide.shape[1] > 10 else "")
            return f"probability {wide[i, column]:.6g} for {self.class_names[column]!r} is outside [0, 1] (row: [{shown}])"
        self._raise_first((outside > PROB_RANGE_TOLERANCE).any(axis=1), batch, row_offset, out_of_range)
        sums = wide.sum(axis=1)
        self._raise_first(
            np.abs(sums - 1.0) > PROB_SUM_TOLERANCE, batch, row_offset,
            lambda i: f"probabilities sum to {sums[i]:.6g}, not 1 (tolerance {PROB_SUM_TOLERANCE:g}); pass logits= if these are scores",
        )

    def _raise_first(self, bad: np.ndarray, batch: int | None, row_offset: int, detail: Callable[[int], str]) -> None:
        rows = np.flatnonzero(bad)
        if rows.size:
            where = self._where(int(rows[0]) + row_offset, batch)
            raise ValueError(f"{where}: {detail(int(rows[0]))} ({rows.size} such row(s)). Fix the model output or the labels before logging.")

    def _where(self, row: int, batch: int | None) -> str:
        if batch is not None:
            return f"batch {batch}, row {row}"
        index = int(np.searchsorted(self._batch_offsets, row, side="right")) - 1
        return f"batch {self._batch_numbers[index]}, row {row - self._batch_offsets[index]} (table row {row})"

    # --- finalising -----------------------------------------------------------------

    def _finalize_arrays(self) -> EvalArrays:
        labels = _concat(self._labels).astype(np.int64, copy=False).reshape(-1)
        probs = self._finalize_probs()
        if self._async_copies:
            import torch

            torch.cuda.synchronize()  # the pinned token-id copies must have landed
        self._check_values(probs, labels, batch=None, row_offset=0)
        return EvalArrays(probs=probs, labels=labels, preds=self._predict(probs))

    def _finalize_probs(self) -> np.ndarray:
        """Softmax (for logits) once over all batches, on their device, then one transfer."""
        if not self._scores:
            return np.empty((0, self.num_classes), np.float32)
        if len(set(self._score_is_logits)) == 1:
            pieces = [(_concat_on_device(self._scores), self._score_is_logits[0])]
        else:
            pieces = list(zip(self._scores, self._score_is_logits))
        probs = [_host(_softmax(scores) if is_logits else scores) for scores, is_logits in pieces]
        return np.concatenate(probs).astype(np.float32, copy=False).reshape(-1, self.num_classes)

    def _predict(self, probs: np.ndarray) -> np.ndarray:
        if self.positive_index is not None:
            is_positive = probs[:, self.positive_index] >= np.float32(self.threshold)
            return np.where(is_positive, self.positive_index, 1 - self.positive_index).astype(np.int64)
        if probs.shape[0] == 0:
            return np.empty(0, np.int64)
        return probs.argmax(axis=1).astype(np.int64)

    def _frame(self, arrays: EvalArrays) -> pd.DataFrame:
        n = arrays.labels.size
        name = lambda role: column_name(role, self.style)  # noqa: E731
        columns: dict[str, Any] = {name("id"): self._id_column(n)}
        texts = self._text_column()
        if texts is not None:
            columns[name("text")] = texts
        columns[name("true_label")] = self._labels_categorical(arrays.labels)
        columns[name("predicted_label")] = self._labels_categorical(arrays.preds)
        for index, class_name in enumerate(self.class_names):
            columns[prob_column(class_name, self.style)] = arrays.probs[:, index]
        columns[name("confidence")] = arrays.probs[np.arange(n), arrays.preds] if n else np.empty(0, np.float32)
        columns[name("is_error")] = arrays.preds != arrays.labels
        columns[name("outcome")] = self._outcomes(arrays.labels, arrays.preds)
        for extra_name, pieces in self._extra.items():
            if extra_name in columns:
                raise ValueError(f"extra column {extra_name!r} clashes with a built-in column; rename it.")
            columns[extra_name] = _concat(pieces)
        return pd.DataFrame(columns)

    def _labels_categorical(self, codes: np.ndarray) -> pd.Categorical:
        return pd.Categorical.from_codes(codes, categories=self.class_names)

    def _id_column(self, n: int) -> np.ndarray:
        if not self._ids:
            return np.arange(self.id_start, self.id_start + n, dtype=np.int64)
        return _concat(self._ids)

    def _text_column(self) -> list[str] | None:
        if self._texts:
            return [text for piece in self._texts for text in piece]
        if not self._tokens:
            return None
        decoded: list[str] = []
        for piece in self._tokens:
            token_lists = _host(piece).tolist()
            texts = list(self.decode(token_lists)) if token_lists else []
            if len(texts) != len(token_lists):
                raise ValueError(f"decode returned {len(texts)} texts for {len(token_lists)} token-id rows.")
            decoded.extend(texts)
        return decoded

    def _outcomes(self, labels: np.ndarray, preds: np.ndarray) -> pd.Categorical:
        if self.positive_index is not None:
            # Code = 2 * is_true_positive_class + is_predicted_positive.
            code = 2 * (labels == self.positive_index) + (preds == self.positive_index)
            return pd.Categorical.from_codes(code.astype(np.int8), categories=["TN", "FP", "FN", "TP"])
        c = self.num_classes
        # Diagonal pairs ("ham->ham") are never used (code 0 is "correct") and are dropped.
        pairs = [f"{t}->{p}" for t in self.class_names for p in self.class_names]
        code = np.where(labels == preds, 0, 1 + labels * c + preds)
        categories = ["correct"] + pairs
        return pd.Categorical.from_codes(code, categories=categories).remove_unused_categories()

