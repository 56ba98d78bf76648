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
or whose row does not sum to 1, and label ids outside ``0..C-1`` (or labels that are
not whole numbers), raise ``ValueError`` naming the batch (the ``add_batch`` call
number, counted from 0) and the row. The sum tolerance follows the precision of the
dtype the probabilities arrived in: ``max(1e-3, 2 * eps)`` (float32/float64: 1e-3;
float16: 0.00195; bfloat16: 0.0156), remembered per batch so a check deferred to
``finalize`` applies the same tolerance. Host inputs (numpy, CPU tensors) are checked
in ``add_batch``; device tensors are checked in ``finalize`` (checking earlier would
force a synchronisation per batch).

A batch that ``add_batch`` rejects leaves the builder exactly as it was: no counter
(``num_batches``, ``rows_seen``, ``rows_kept``), field set or stored row changes, so
catching the error and going on gives a table and metadata of the accepted batches.
Ids: integers or strings, one kind per table (a batch of the other kind is rejected,
naming it). Labels: integer ids, class names, booleans, or floats holding whole
numbers (``0.``/``1.``). Text cells (texts, string ids and extra columns) that cannot
be encoded as UTF-8 (lone surrogates, e.g. ``"\\ud800"``) get U+FFFD in their place;
``table_info()["text_cells_repaired"]`` counts the cells changed.

Prediction rule: binary with ``positive_class``: predicted positive iff
P(positive) >= threshold, compared in float32 (ties at the threshold are positive).
Otherwise: the arg-max class (ties go to the lowest class index).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from wbview.schema import Style, column_name, prob_column

from .metrics import classification_metrics

DecodeFn = Callable[[list[list[int]]], Sequence[str]]

# Given probabilities: each within [0, 1] (rounding aside) and each row summing to 1
# within max(PROB_SUM_TOLERANCE, 2 * eps of the input dtype): every stored value is
# rounded to within eps/2 of the exact one, and a softmax computed in that dtype adds
# about as much again (bfloat16 softmax rows measured up to 0.8 eps off); further is a bug.
PROB_RANGE_TOLERANCE = 1e-6
DEFAULT_THRESHOLD = 0.5
PROB_SUM_TOLERANCE = 1e-3
FLOAT32_EPS = float(np.finfo(np.float32).eps)


def sum_tolerance(eps: float) -> float:
    """The row-sum tolerance for probabilities that arrived with machine epsilon ``eps``."""
    return max(PROB_SUM_TOLERANCE, 2.0 * eps)


def range_tolerance(eps: float) -> float:
    """How far outside [0, 1] a probability of that precision may round."""
    return max(PROB_RANGE_TOLERANCE, eps)


def _eps_of(value: Any) -> float:
    """Machine epsilon of the dtype ``value`` arrived in (float32's for integers and lists)."""
    dtype = getattr(value, "dtype", None)
    if dtype is None:
        return FLOAT32_EPS
    if _is_torch(value):
        import torch

        return float(torch.finfo(dtype).eps) if dtype.is_floating_point else FLOAT32_EPS
    dtype = np.dtype(dtype)
    return float(np.finfo(dtype).eps) if dtype.kind == "f" else FLOAT32_EPS


def repair_text(values: Sequence[Any]) -> tuple[list[Any], int]:
    """``values`` with every str made UTF-8 encodable, and the number of cells changed.

    Surrogate pairs written as two code points are joined; a lone surrogate becomes
    U+FFFD. The common case (everything encodable) costs one join and one encode.
    """
    values = list(values)
    strings = [v for v in values if isinstance(v, str)]
    try:
        "".join(strings).encode("utf-8")
        return values, 0
    except UnicodeEncodeError:
        pass
    changed = 0
    for index, value in enumerate(values):
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                values[index] = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
                changed += 1
    return values, changed


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


def _whole(values: np.ndarray) -> np.ndarray:
    """True where a float is a finite whole number (a valid class id candidate)."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(values) & (np.floor(values) == values)


def _torch_bool() -> Any:
    import torch

    return torch.bool


def _host_ids(ids: Any, batch: int) -> tuple[np.ndarray, str]:
    """Host ids as an int64 array or an object array of str, with their kind."""
    array = np.asarray(ids) if hasattr(ids, "dtype") else np.asarray(list(ids), dtype=object)
    array = array.reshape(-1)
    if array.dtype.kind in "iu":
        return array.astype(np.int64, copy=False), "integer"
    if array.dtype.kind in "US":
        return array.astype(str).astype(object), "string"
    if array.dtype.kind == "O":
        kinds = {
            "integer"
            if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
            else "string"
            if isinstance(v, str)
            else type(v).__name__
            for v in array
        }
        if kinds == {"integer"}:
            return array.astype(np.int64), "integer"
        if kinds == {"string"} or not kinds:
            return array, "string"
        raise ValueError(
            f"batch {batch}: ids must be all integers or all strings, got {', '.join(sorted(kinds))}; "
            "give one id type per table (e.g. str(id) for every id)."
        )
    raise ValueError(f"batch {batch}: ids must be integers or strings, got dtype {array.dtype}.")


def _to_host_async(token_ids: Any) -> tuple[Any, bool]:
    """Token ids on the host; a CUDA tensor is copied asynchronously into pinned memory
    (the second value says so: ``finalize`` then synchronises once)."""
    if not _is_torch(token_ids):
        return np.asarray(token_ids), False
    if token_ids.device.type != "cuda":
        return token_ids.detach(), False
    import torch

    host = torch.empty(token_ids.shape, dtype=token_ids.dtype, pin_memory=True)
    host.copy_(token_ids.detach(), non_blocking=True)
    return host, True


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
                UserWarning,
                stacklevel=2,
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
        self._score_eps: list[float] = []  # machine epsilon of the dtype each batch's scores arrived in
        self._labels: list[Any] = []
        self._ids: list[Any] = []
        self._texts: list[Sequence[str]] = []
        self._tokens: list[Any] = []
        self._extra: dict[str, list[Any]] = {}
        self._batch_offsets: list[int] = []  # first kept row of each stored batch
        self._batch_numbers: list[int] = []  # add_batch call number of each stored batch
        self._fields: frozenset[str] | None = None
        self._id_kind: tuple[str, int] | None = None  # ("integer" | "string", first batch with ids)
        self._async_copies = False
        self._warned_cap = False
        self._calls = 0  # add_batch calls, rejected ones included: names batches in messages
        self.text_cells_repaired = 0
        self.num_batches = 0  # accepted batches
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
        batch = self._calls
        self._calls += 1
        # Everything is checked and converted before any state changes: a rejected batch
        # leaves counters, fields and stored rows exactly as they were.
        if (logits is None) == (probs is None):
            raise ValueError(f"batch {batch}: give exactly one of logits= or probs=.")
        if texts is not None and token_ids is not None:
            raise ValueError(f"batch {batch}: give texts= or token_ids=, not both.")
        if token_ids is not None and self.decode is None:
            raise ValueError(
                f"batch {batch}: token_ids= needs a decode function: EvalTableBuilder(..., decode=tokenizer.batch_decode)."
            )
        fields = self._check_fields(batch, ids, texts, token_ids, extra)
        scores = logits if logits is not None else probs
        n = _num_rows(scores)
        for name, value in (
            ("labels", labels),
            ("ids", ids),
            ("texts", texts),
            ("token_ids", token_ids),
            *((f"extra[{k!r}]", v) for k, v in (extra or {}).items()),
        ):
            if value is not None and _num_rows(value) != n:
                raise ValueError(f"batch {batch}: {name} has {_num_rows(value)} rows but the scores have {n}.")
        keep = n if self.max_rows is None else max(0, min(n, self.max_rows - self.rows_kept))
        take = (lambda v: v) if keep == n else (lambda v: v[:keep])
        stored: dict[str, Any] = {}
        if keep > 0 or n == 0:
            stored = self._convert_batch(
                batch, take, logits=logits, probs=probs, labels=labels, ids=ids, texts=texts, token_ids=token_ids, extra=extra
            )
        # Accepted: from here on nothing raises.
        self._fields = fields
        self.num_batches += 1
        self.rows_seen += n
        if keep < n:
            self._warn_capped()
        if not stored:
            return
        if "id_kind" in stored and self._id_kind is None:
            self._id_kind = (stored["id_kind"], batch)
        if stored.get("async_copy"):
            self._async_copies = True
        self._batch_offsets.append(self.rows_kept)
        self._batch_numbers.append(batch)
        self._scores.append(stored["scores"])
        self._score_is_logits.append(logits is not None)
        self._score_eps.append(stored["eps"])
        self._labels.append(stored["labels"])
        for name, target in (("ids", self._ids), ("texts", self._texts), ("tokens", self._tokens)):
            if name in stored:
                target.append(stored[name])
        for name, value in stored.get("extra", {}).items():
            self._extra.setdefault(name, []).append(value)
        self.rows_kept += keep
        self.arrays = None

    def _convert_batch(
        self,
        batch: int,
        take: Callable[[Any], Any],
        *,
        logits: Any,
        probs: Any,
        labels: Any,
        ids: Any,
        texts: Any,
        token_ids: Any,
        extra: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        """The kept rows of one batch, converted and (on the host) validated; raises on bad input."""
        scores = logits if logits is not None else probs
        stored: dict[str, Any] = {"eps": _eps_of(scores) if probs is not None else FLOAT32_EPS}
        stored["scores"] = self._to_scores(take(scores), is_logits=logits is not None, batch=batch)
        stored["labels"] = self._to_label_ids(take(labels), batch)
        on_host = not (_is_device_tensor(stored["scores"]) or _is_device_tensor(stored["labels"]))
        if self.validate == "eager" or (self.validate == "deferred" and on_host):
            self._check_values(
                _host(stored["scores"]), _host(stored["labels"]), batch, row_offset=0, are_probs=logits is None, eps=stored["eps"]
            )
        if ids is not None:
            stored["ids"], stored["id_kind"] = self._to_ids(take(ids), batch)
        if texts is not None:
            stored["texts"] = list(take(texts))
        if token_ids is not None:
            stored["tokens"], stored["async_copy"] = _to_host_async(take(token_ids))
        stored["extra"] = {
            name: take(value) if hasattr(value, "shape") else np.asarray(list(take(value)), dtype=object)
            for name, value in (extra or {}).items()
        }
        return stored

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
        """Metrics of the finalised rows (calls ``finalize`` work if needed): the headline
        numbers, ``per_class`` precision/recall/F1/support by class name and the
        ``confusion_matrix`` (see ``wbview.companion.metrics``)."""
        arrays = self.arrays or self._finalize_arrays()
        self.arrays = arrays
        return classification_metrics(
            arrays.labels,
            arrays.preds,
            arrays.probs,
            num_classes=self.num_classes,
            positive_index=self.positive_index,
            threshold=self.threshold if self.positive_index is not None else None,
            class_names=self.class_names,
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
            "text_cells_repaired": self.text_cells_repaired,
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

    def _builtin_columns(self, *, has_text: bool) -> list[str]:
        """The table's own column names, in order (extra columns follow them)."""
        name = lambda role: column_name(role, self.style)  # noqa: E731 - a one-line alias of column_name for this style
        return [
            name("id"),
            *([name("text")] if has_text else []),
            name("true_label"),
            name("predicted_label"),
            *(prob_column(class_name, self.style) for class_name in self.class_names),
            name("confidence"),
            name("is_error"),
            name("outcome"),
        ]

    def _check_fields(self, batch: int, ids: Any, texts: Any, token_ids: Any, extra: Mapping[str, Any] | None) -> frozenset[str]:
        fields = frozenset(
            [name for name, value in (("ids", ids), ("texts", texts), ("token_ids", token_ids)) if value is not None]
            + [f"extra:{k}" for k in (extra or {})]
        )
        if self._fields is None:
            builtin = set(self._builtin_columns(has_text=texts is not None or token_ids is not None))
            clashes = [name for name in (extra or {}) if name in builtin]
            if clashes:
                raise ValueError(
                    f"batch {batch}: extra column(s) {clashes} clash with built-in columns of the table; rename them."
                )
        elif fields != self._fields:
            raise ValueError(
                f"batch {batch}: optional fields {sorted(fields)} differ from the first batch's {sorted(self._fields)}; "
                "give the same ids/texts/token_ids/extra in every batch."
            )
        return fields

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
            raise ValueError(
                f"batch {batch}: scores have shape {tuple(scores.shape)}; expected (n, {self.num_classes}) for classes {self.class_names}."
            )
        return scores

    def _to_label_ids(self, labels: Any, batch: int) -> Any:
        """int64 class ids, or floats (kept as floats until their values are checked
        to be whole numbers, with the scores: in ``add_batch`` or ``finalize``)."""
        if _is_torch(labels):
            if labels.dtype.is_complex:
                raise ValueError(f"batch {batch}: labels must be class ids or class names, got a {labels.dtype} tensor.")
            labels = labels.detach().reshape(-1)
            if not labels.dtype.is_floating_point:
                return labels.long()
            import torch

            if _is_device_tensor(labels):
                return labels.to(torch.float32)
            labels = labels.to(torch.float64).numpy()  # numpy has no bfloat16
        array = np.asarray(labels).reshape(-1)
        if array.dtype.kind in "iub":
            return array.astype(np.int64, copy=False)
        if array.dtype.kind == "f":
            return array.astype(np.float64, copy=False)  # checked (whole numbers) with the other values
        if array.dtype.kind == "O" and array.size and all(isinstance(v, (bool, int, np.integer, np.bool_)) for v in array):
            return array.astype(np.int64)
        if array.dtype.kind in "UOS" or array.size == 0:
            codes = pd.Categorical(array, categories=self.class_names).codes.astype(np.int64)
            unknown = np.flatnonzero(codes < 0)
            if unknown.size:
                row = int(unknown[0])
                raise ValueError(f"batch {batch}, row {row}: label {str(array[row])!r} is not one of {self.class_names}.")
            return codes
        raise ValueError(f"batch {batch}: labels must be integer class ids or class names, got dtype {array.dtype}.")

    def _to_ids(self, ids: Any, batch: int) -> tuple[Any, str]:
        """One batch's ids and their kind ("integer" or "string"); a batch whose kind
        differs from the table's (set by the first batch with ids) is rejected."""
        if _is_torch(ids):
            if ids.dtype.is_floating_point or ids.dtype.is_complex or ids.dtype == _torch_bool():
                raise ValueError(f"batch {batch}: ids must be integers or strings, got a {ids.dtype} tensor.")
            value, kind = ids.detach().reshape(-1), "integer"
        else:
            value, kind = _host_ids(ids, batch)
        if self._id_kind is not None and kind != self._id_kind[0]:
            first_kind, first_batch = self._id_kind
            raise ValueError(
                f"batch {batch}: ids are {kind}s but batch {first_batch}'s ids are {first_kind}s; give one id type "
                f"per table (e.g. str(id) for every id)."
            )
        return value, kind

    def _check_values(
        self,
        scores: np.ndarray,
        labels: np.ndarray,
        batch: int | None,
        row_offset: int,
        *,
        are_probs: bool = True,
        eps: float | np.ndarray = FLOAT32_EPS,
    ) -> None:
        """Raise on the first non-finite score, invalid probability row or out-of-range
        (or non-whole) label id. ``eps``: the input precision, per batch or per row."""
        bad_scores = ~np.isfinite(scores).all(axis=1) if scores.size else np.zeros(0, bool)
        self._raise_first(bad_scores, batch, row_offset, lambda i: "a NaN or infinite logit/probability")
        if are_probs and scores.size:
            self._check_probabilities(scores, batch, row_offset, eps)
        if labels.dtype.kind == "f":
            self._raise_first(
                ~_whole(labels), batch, row_offset, lambda i: f"label {float(labels[i]):g} is not a whole-number class id"
            )
        bad_labels = (labels < 0) | (labels >= self.num_classes)
        self._raise_first(
            bad_labels,
            batch,
            row_offset,
            lambda i: f"label id {int(labels[i])} is outside 0..{self.num_classes - 1} for {self.class_names}",
        )

    def _check_probabilities(self, probs: np.ndarray, batch: int | None, row_offset: int, eps: float | np.ndarray) -> None:
        """Each value within [0, 1] and each row summing to 1, within the tolerances of
        the input precision (``sum_tolerance``, ``range_tolerance``)."""
        eps_rows = np.broadcast_to(np.asarray(eps, np.float64), (probs.shape[0],))
        sum_tol = np.maximum(PROB_SUM_TOLERANCE, 2.0 * eps_rows)
        range_tol = np.maximum(PROB_RANGE_TOLERANCE, eps_rows)
        wide = probs.astype(np.float64, copy=False)
        # Distance outside [0, 1] per cell; the worst cell of a row is the one reported.
        outside = np.maximum(wide - 1.0, 0.0) + np.maximum(-wide, 0.0)

        def out_of_range(i: int) -> str:
            column = int(outside.shape[1] - 1 - np.argmax(outside[i, ::-1]))  # ties: the later class
            shown = ", ".join(f"{v:.6g}" for v in wide[i, :10]) + (", ..." if wide.shape[1] > 10 else "")
            return f"probability {wide[i, column]:.6g} for {self.class_names[column]!r} is outside [0, 1] (row: [{shown}])"

        self._raise_first(np.asarray((outside > range_tol[:, None]).any(axis=1)), batch, row_offset, out_of_range)
        sums = wide.sum(axis=1)
        self._raise_first(
            np.abs(sums - 1.0) > sum_tol,
            batch,
            row_offset,
            lambda i: (
                f"probabilities sum to {sums[i]:.6g}, not 1 (tolerance {sum_tol[i]:.3g} for the input's precision); "
                "pass logits= if these are scores"
            ),
        )

    def _raise_first(self, bad: np.ndarray, batch: int | None, row_offset: int, detail: Callable[[int], str]) -> None:
        rows = np.flatnonzero(bad)
        if rows.size:
            where = self._where(int(rows[0]) + row_offset, batch)
            raise ValueError(
                f"{where}: {detail(int(rows[0]))} ({rows.size} such row(s)). Fix the model output or the labels before logging."
            )

    def _where(self, row: int, batch: int | None) -> str:
        if batch is not None:
            return f"batch {batch}, row {row}"
        index = int(np.searchsorted(self._batch_offsets, row, side="right")) - 1
        return f"batch {self._batch_numbers[index]}, row {row - self._batch_offsets[index]} (table row {row})"

    # --- finalising -----------------------------------------------------------------

    def _finalize_arrays(self) -> EvalArrays:
        labels = _concat(self._labels).reshape(-1)
        probs = self._finalize_probs()
        if self._async_copies:
            import torch

            torch.cuda.synchronize()  # the pinned token-id copies must have landed
        sizes = np.diff(np.append(self._batch_offsets, self.rows_kept)).astype(np.int64)
        eps_rows = np.repeat(np.asarray(self._score_eps, np.float64), sizes) if self._score_eps else FLOAT32_EPS
        self._check_values(probs, labels, batch=None, row_offset=0, eps=eps_rows)
        labels = labels.astype(np.int64, copy=False)
        return EvalArrays(probs=probs, labels=labels, preds=self._predict(probs))

    def _finalize_probs(self) -> np.ndarray:
        """Softmax (for logits) once over all batches, on their device, then one transfer."""
        if not self._scores:
            return np.empty((0, self.num_classes), np.float32)
        if len(set(self._score_is_logits)) == 1:
            pieces = [(_concat_on_device(self._scores), self._score_is_logits[0])]
        else:
            pieces = list(zip(self._scores, self._score_is_logits, strict=False))
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
        name = lambda role: column_name(role, self.style)  # noqa: E731 - a one-line alias of column_name for this style
        self.text_cells_repaired = 0
        columns: dict[str, Any] = {name("id"): self._repaired(self._id_column(n))}
        texts = self._text_column()
        if texts is not None:
            columns[name("text")] = self._repaired(texts)
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
            columns[extra_name] = self._repaired(_concat(pieces))
        if self.text_cells_repaired:
            warnings.warn(
                f"{self.text_cells_repaired} text cell(s) could not be encoded as UTF-8 (lone surrogates); those "
                "characters were replaced by U+FFFD (counted in the table metadata as text_cells_repaired).",
                UserWarning,
                stacklevel=3,
            )
        return pd.DataFrame(columns)

    def _repaired(self, values: Any) -> Any:
        """Text values made UTF-8 encodable (numbers pass through untouched)."""
        if isinstance(values, np.ndarray) and values.dtype.kind != "O":
            return values
        repaired, changed = repair_text(values)
        self.text_cells_repaired += changed
        if not changed:
            return values
        return np.asarray(repaired, dtype=object) if isinstance(values, np.ndarray) else repaired

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
        decode = self.decode
        if decode is None:  # add_batch refuses token ids without a decode function
            raise ValueError("token ids were collected without a decode function.")
        decoded: list[str] = []
        for piece in self._tokens:
            token_lists = _host(piece).tolist()
            texts = list(decode(token_lists)) if token_lists else []
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
