"""Turn a raw eval table into a ``PreparedTable``: labels as categoricals, and the
roles a table may lack (predicted label, is-error, confidence, outcome) derived
from the labels and probabilities that it has."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from wbview.analysis.memo import Memo
from wbview.errors import BadTable, UsageError
from wbview.schema import EvalSchema, detect_schema

# Class names that usually mean "the thing we must catch" in a binary task.
_POSITIVE_HINTS = (
    "phishing",
    "spam",
    "positive",
    "pos",
    "1",
    "true",
    "yes",
    "fraud",
    "toxic",
    "malicious",
    "anomaly",
    "attack",
    "fake",
    "abusive",
    "hate",
    "scam",
    "bad",
)
MISSING_LABEL = "(missing)"
OUTCOMES_BINARY = ("TP", "FP", "TN", "FN")
UNLABELLED = "unlabelled"
_TRUE_STRINGS = {"true", "t", "1", "yes", "y", "1.0"}
_FALSE_STRINGS = {"false", "f", "0", "no", "n", "0.0", ""}
_MAPPING_HINT = "Map your columns to roles in the column-mapping panel (EvalSchema.with_mapping)."


@dataclass(frozen=True, eq=False)
class PreparedTable:
    """An eval table ready for analysis.

    ``frame`` holds the original columns (labels as categoricals of canonical class
    names) plus any derived role columns, listed in ``derived``; ``schema`` names the
    column of each role in ``frame``. ``memo`` computes per-column work (codes, text
    lengths, text features, the threshold curve) once, for every session that shares
    this table; nothing ever writes into ``frame`` or a memoised value.
    """

    frame: pd.DataFrame
    schema: EvalSchema
    classes: tuple[str, ...]
    positive_class: str | None
    threshold: float | None
    derived: tuple[str, ...] = ()
    memo: Memo = field(default_factory=Memo, repr=False)
    notes: tuple[str, ...] = ()  # what prepare had to assume; show them next to the results

    @property
    def n_rows(self) -> int:
        return len(self.frame)

    @property
    def is_binary(self) -> bool:
        return len(self.classes) == 2

    def labelled(self) -> np.ndarray:
        """True where the row has a true label (rows without one are never errors)."""
        if self.schema.true_label is None:
            return np.ones(self.n_rows, dtype=bool)
        truth = self.frame[self.schema.true_label]
        if MISSING_LABEL not in truth.cat.categories:
            return np.ones(self.n_rows, dtype=bool)
        return truth.cat.codes.to_numpy() != list(truth.cat.categories).index(MISSING_LABEL)

    def is_error(self) -> np.ndarray:
        """Boolean array, True where the prediction is wrong."""
        return self.frame[self.schema.is_error].to_numpy(dtype=bool)

    def confidence(self) -> np.ndarray:
        return self.frame[self.schema.confidence].to_numpy(dtype=float, na_value=np.nan)

    def require(self, *roles: str, why: str) -> None:
        """Raise ``BadTable`` naming the roles this analysis needs and the table lacks."""
        missing = [r for r in roles if getattr(self.schema, r) is None]
        if missing:
            raise BadTable(f"{why} needs the role(s) {', '.join(missing)}, which this table lacks. {_MAPPING_HINT}")

    def require_column(self, role: str, why: str) -> str:
        """The one column that has ``role``; ``BadTable`` (as ``require``) when the table lacks it."""
        self.require(role, why=why)
        column = getattr(self.schema, role)
        if not isinstance(column, str):
            raise BadTable(f"{why} needs the role {role} as one column, not {column!r}. {_MAPPING_HINT}")
        return column

    def positive_scores(self, why: str = "This analysis") -> np.ndarray:
        """Probability of the positive class per row (binary tables with prob columns)."""
        column = self.prob_column(self.require_positive(why))
        if column is None:
            raise BadTable(
                f"{why} needs a probability column for class {self.positive_class!r} "
                f"(e.g. 'Prob ({self.positive_class})'); found prob columns for {list(self.schema.probs) or 'no class'}. "
                + _MAPPING_HINT
            )
        return self.frame[column].to_numpy(dtype=float, na_value=np.nan)

    def prob_column(self, class_name: str) -> str | None:
        """The probability column of ``class_name`` (matched case-insensitively)."""
        wanted = _key(class_name)
        return next((col for cls, col in self.schema.probs.items() if _key(cls) == wanted), None)

    def require_positive(self, why: str = "This analysis") -> str:
        self.require("true_label", why=why)
        if self.positive_class is None:
            raise UsageError(f"{why} needs a positive class; choose one of {list(self.classes)}.")
        return self.positive_class

    def truth_is_positive(self, why: str = "This analysis") -> np.ndarray:
        positive = self.require_positive(why)
        return (self.frame[self.schema.true_label] == positive).to_numpy(dtype=bool)

    def pred_is_positive(self, why: str = "This analysis") -> np.ndarray:
        positive = self.require_positive(why)
        self.require("predicted_label", why=why)
        return (self.frame[self.schema.predicted_label] == positive).to_numpy(dtype=bool)


def _key(value: Any) -> str:
    return str(value).strip().casefold()


def _label_strings(series: pd.Series) -> pd.Series:
    """Labels as strings; integer-valued floats lose their '.0' so 1.0 matches '1'."""
    if pd.api.types.is_bool_dtype(series):
        return series.map({True: "True", False: "False"}).astype(object)
    if pd.api.types.is_float_dtype(series):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        finite = values[np.isfinite(values)]
        if finite.size and np.all(finite == np.round(finite)):
            return series.astype("Int64").astype("string").astype(object)
    return series.astype("string").astype(object)


def _canonical_labels(columns: list[pd.Series], prob_classes: list[str]) -> tuple[list[pd.Series], list[str]]:
    """Categorical label columns sharing one category list; spelling from the data,
    prob-column classes matched to it case-insensitively, in the probability columns'
    order (the model's id2label order), other labels after them."""
    spelled: dict[str, str] = {}
    as_cats = []
    for series in columns:
        cat = series.astype("category") if not isinstance(series.dtype, pd.CategoricalDtype) else series
        strings = _label_strings(pd.Series(cat.cat.categories))
        as_cats.append((cat, list(strings)))
        for name in strings:
            if name is not None and name is not pd.NA:
                spelled.setdefault(_key(name), str(name).strip())
    for cls in prob_classes:
        spelled.setdefault(_key(cls), cls)
    categories = list(dict.fromkeys(spelled.values()))
    if prob_classes:  # the probability columns follow the model's id2label: keep its class order
        rank = {_key(c): i for i, c in enumerate(prob_classes)}
        categories.sort(key=lambda c: rank.get(_key(c), len(rank)))  # stable: other labels keep their order
    if any(True for cat, _ in as_cats if cat.isna().any()):
        categories.append(MISSING_LABEL)
    out = []
    for cat, strings in as_cats:
        mapping = np.array(
            [
                categories.index(spelled[_key(s)]) if s is not None and s is not pd.NA else categories.index(MISSING_LABEL)
                for s in strings
            ]
            + [-1],
            dtype=np.int64,
        )
        codes = cat.cat.codes.to_numpy()
        new_codes = mapping[codes]  # code -1 (NaN) picks the trailing -1 ...
        if (codes == -1).any():
            new_codes = np.where(codes == -1, categories.index(MISSING_LABEL), new_codes)
        out.append(pd.Series(pd.Categorical.from_codes(new_codes, categories=categories), index=cat.index, name=cat.name))
    return out, categories


def _choose_positive(classes: list[str], prob_classes: list[str], positive_class: str | None) -> str | None:
    if positive_class is not None:
        match = next((c for c in classes if _key(c) == _key(positive_class)), None)
        if match is None:
            raise UsageError(f"Positive class {positive_class!r} is not one of the table's classes {classes}.")
        return match
    real = [c for c in classes if c != MISSING_LABEL]
    if len(real) != 2:
        return None
    hinted = [c for c in real if _key(c) in _POSITIVE_HINTS]
    if len(hinted) == 1:
        return hinted[0]
    if len(prob_classes) == 2:  # by convention the last prob column is the positive class
        last = _key(prob_classes[-1])
        return next(c for c in real if _key(c) == last) if any(_key(c) == last for c in real) else real[1]
    return sorted(real)[1]


def _as_bool(series: pd.Series, column: str) -> np.ndarray:
    """Coerce an is-error column (bool, 0/1, 'True'/'yes') to a bool array."""
    if pd.api.types.is_bool_dtype(series) and not series.isna().any():
        return series.to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(series) and not series.isna().any():
        return series.to_numpy() != 0
    keys = series.astype("string").str.strip().str.lower()
    truthy = keys.isin(_TRUE_STRINGS).to_numpy(dtype=bool)
    falsy = keys.isin(_FALSE_STRINGS).to_numpy(dtype=bool)
    bad = ~(truthy | falsy)
    if bad.any():
        example = series[bad].iloc[0]
        raise BadTable(
            f"Column {column!r} (role is_error) holds {int(bad.sum())} value(s) that are not true/false, "
            f"e.g. {example!r}. Map another column to is_error, or unset it to derive errors from the labels."
        )
    return truthy


def _prob_matrix(frame: pd.DataFrame, schema: EvalSchema) -> np.ndarray:
    return np.column_stack([frame[col].to_numpy(dtype=float, na_value=np.nan) for col in schema.probs.values()])


def _derived_name(frame: pd.DataFrame, name: str) -> str:
    """``name``, or ``name (derived)`` (then numbered) when the table already has it."""
    candidate, number = name, 1
    while candidate in frame.columns:
        candidate = f"{name} (derived)" if number == 1 else f"{name} (derived {number})"
        number += 1
    return candidate


def _check_columns(df: pd.DataFrame, schema: EvalSchema) -> None:
    mapped = {
        role: getattr(schema, role)
        for role in ("id", "text", "true_label", "predicted_label", "confidence", "is_error", "outcome")
    }
    mapped.update({f"prob of {cls}": col for cls, col in schema.probs.items()})
    absent = {role: col for role, col in mapped.items() if col is not None and col not in df.columns}
    if absent:
        wrong = ", ".join(f"{role} -> {col!r}" for role, col in absent.items())
        raise BadTable(
            f"The column mapping names columns the table does not have ({wrong}). "
            f"Columns present: {list(map(str, df.columns))}. {_MAPPING_HINT}"
        )


def prepare(
    df: pd.DataFrame,
    schema: EvalSchema | None = None,
    positive_class: str | None = None,
    threshold: float | None = None,
) -> PreparedTable:
    """Validate an eval table and derive what it lacks.

    - labels become categoricals sharing one list of class names (spelled as in the
      data; "Prob (Ham)" matches label "ham");
    - a missing predicted label comes from the probabilities (binary: positive when
      its probability >= ``threshold``, default 0.5; multi-class: argmax);
    - ``threshold`` given: predictions, errors and outcomes are recomputed from the
      probabilities, ignoring the logged ones;
    - missing is-error comes from predicted != true; missing confidence is the
      probability of the predicted class; missing outcome is TP/FP/TN/FN for binary
      tables and correct/error otherwise.

    Raises ``BadTable`` when errors cannot be known (no is-error column and no labels
    to derive it from) or the mapping names absent columns. The input is not mutated.
    """
    if schema is None:
        schema = detect_schema(df.columns)
    _check_columns(df, schema)
    if len(df) == 0:
        raise BadTable("The table has no rows; choose another table or run.")
    frame = df.copy(deep=False)
    derived: list[str] = []
    prob_classes = list(schema.probs)
    classes: list[str] = list(prob_classes)

    notes: list[str] = []
    label_roles = [r for r in ("true_label", "predicted_label") if getattr(schema, r) is not None]
    if label_roles:
        label_columns = [frame[getattr(schema, r)] for r in label_roles]
        cats, classes = _canonical_labels(label_columns, prob_classes)
        label_keys = {_key(c) for c in cats[0].cat.categories[cats[0].cat.codes.unique()] if c != MISSING_LABEL}
        if prob_classes and label_keys and not label_keys & {_key(c) for c in prob_classes}:
            notes.append(
                f"The probability columns name classes {prob_classes}, but the labels are "
                f"{sorted(label_keys)[:10]}: none match, so the probabilities are not used. "
                "Rename the columns to 'Prob (<label>)' or map them to make them count."
            )
            schema, prob_classes = replace(schema, probs={}), []
            cats, classes = _canonical_labels(label_columns, [])
        for role, cat in zip(label_roles, cats, strict=False):
            frame[getattr(schema, role)] = cat
    classes = [c for c in classes if c != MISSING_LABEL]
    positive = _choose_positive(classes, prob_classes, positive_class)
    if threshold is not None and not (len(classes) == 2 and positive is not None):
        raise UsageError(f"A decision threshold applies to binary tables only; this table has classes {classes}.")
    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise UsageError(f"The threshold must lie between 0 and 1, got {threshold}.")

    recompute = threshold is not None
    if (schema.predicted_label is None or recompute) and prob_classes:
        schema, added = _derive_prediction(frame, schema, classes, positive, threshold)
        derived.append(added)
    if schema.is_error is not None and not recompute:
        frame[schema.is_error] = _logged_errors(frame, schema, schema.is_error)
    elif schema.has_labels:
        name = _derived_name(frame, "Is Error")
        frame[name] = _label_errors(frame, schema, notes)
        schema = replace(schema, is_error=name)
        derived.append(name)
    else:
        raise BadTable(
            "This table has no is_error column and errors cannot be derived: that needs a true_label column "
            "and either a predicted_label column or 'Prob (<class>)' columns. Columns present: "
            f"{list(map(str, df.columns))}. {_MAPPING_HINT}"
        )
    if (schema.confidence is None or recompute) and prob_classes:
        name = _derived_name(frame, "Confidence")
        frame[name] = _predicted_probability(frame, schema)
        schema = replace(schema, confidence=name)
        derived.append(name)
    if (schema.outcome is None or recompute) and schema.has_labels:
        name = _derived_name(frame, "Outcome")
        frame[name] = _outcomes(frame, schema, positive if len(classes) == 2 else None)
        schema = replace(schema, outcome=name)
        derived.append(name)
    return PreparedTable(
        frame=frame,
        schema=schema,
        classes=tuple(classes),
        positive_class=positive,
        threshold=threshold,
        derived=tuple(dict.fromkeys(derived)),
        notes=tuple(notes),
    )


def _label_errors(frame: pd.DataFrame, schema: EvalSchema, notes: list[str] | None = None) -> np.ndarray:
    """predicted != true; rows without a true label cannot be judged and count as not wrong."""
    truth = frame[schema.true_label]
    wrong = truth.cat.codes.to_numpy() != frame[schema.predicted_label].cat.codes.to_numpy()
    if MISSING_LABEL in truth.cat.categories:
        unlabelled = truth.cat.codes.to_numpy() == list(truth.cat.categories).index(MISSING_LABEL)
        wrong &= ~unlabelled
        if notes is not None and unlabelled.any():
            notes.append(
                f"{int(unlabelled.sum()):,} row(s) have no true label: they count as not wrong and are "
                "left out of threshold and calibration analysis."
            )
    return wrong


def _logged_errors(frame: pd.DataFrame, schema: EvalSchema, column: str) -> np.ndarray:
    """The logged is-error ``column`` (``schema.is_error``) as bools."""
    series = frame[column]
    if series.isna().any() and schema.has_labels:
        # Fill the gaps from the labels rather than guessing.
        derived = _label_errors(frame, schema)
        known = ~series.isna().to_numpy()
        out = derived.copy()
        out[known] = _as_bool(series[known], column)
        return out
    return _as_bool(series, column)


def _derive_prediction(frame, schema, classes, positive, threshold) -> tuple[EvalSchema, str]:
    probs = _prob_matrix(frame, schema)
    prob_names = list(schema.probs)
    by_key = {_key(c): c for c in classes}
    if len(classes) == 2 and positive is not None and _key(positive) in map(_key, prob_names):
        negative = next(c for c in classes if c != positive)
        pos_col = [_key(c) for c in prob_names].index(_key(positive))
        cut = 0.5 if threshold is None else threshold
        codes = np.where(probs[:, pos_col] >= cut, classes.index(positive), classes.index(negative))
    else:
        if np.isnan(probs).all(axis=1).any():
            raise BadTable(
                "Some rows have no probabilities, so their predicted label cannot be derived; map a predicted_label column."
            )
        best = np.nanargmax(probs, axis=1)
        to_class = np.array([classes.index(by_key[_key(c)]) for c in prob_names])
        codes = to_class[best]
    name = _derived_name(frame, "Predicted Label")
    categories = list(frame[schema.true_label].cat.categories) if schema.true_label is not None else classes
    frame[name] = pd.Categorical.from_codes(codes, categories=categories)
    return replace(schema, predicted_label=name), name


def _row_max(probs: np.ndarray) -> np.ndarray:
    """Each row's highest probability, NaN where the row has none (no column, or all missing:
    e.g. an evaluation whose scorer logged no probabilities), without numpy's all-NaN warning."""
    if probs.shape[1] == 0:
        return np.full(len(probs), np.nan)
    best = np.where(np.isnan(probs), -np.inf, probs).max(axis=1)
    return np.where(np.isneginf(best), np.nan, best)


def _predicted_probability(frame: pd.DataFrame, schema: EvalSchema) -> np.ndarray:
    probs = _prob_matrix(frame, schema)
    if schema.predicted_label is None:
        return _row_max(probs)
    pred = frame[schema.predicted_label]
    keys = [_key(c) for c in schema.probs]
    column_of_code = np.array([keys.index(_key(c)) if _key(c) in keys else -1 for c in pred.cat.categories] + [-1])
    cols = column_of_code[pred.cat.codes.to_numpy()]
    fallback = _row_max(probs)
    picked = probs[np.arange(len(frame)), np.maximum(cols, 0)]
    return np.where(cols >= 0, picked, fallback)


def _outcomes(frame: pd.DataFrame, schema: EvalSchema, positive: str | None) -> pd.Categorical:
    truth = frame[schema.true_label]
    pred = frame[schema.predicted_label]
    wrong = frame[schema.is_error].to_numpy(dtype=bool)
    if positive is None:
        codes, names = wrong.astype(np.int8), ["correct", "error"]
    else:
        pos_code = list(truth.cat.categories).index(positive)
        pred_pos = pred.cat.codes.to_numpy() == pos_code
        true_pos = truth.cat.codes.to_numpy() == pos_code
        # 0 TP, 1 FP, 2 TN, 3 FN
        codes = np.where(pred_pos, np.where(true_pos, 0, 1), np.where(true_pos, 3, 2)).astype(np.int8)
        names = list(OUTCOMES_BINARY)
    if MISSING_LABEL in truth.cat.categories:
        unlabelled = truth.cat.codes.to_numpy() == list(truth.cat.categories).index(MISSING_LABEL)
        codes = np.where(unlabelled, len(names), codes).astype(np.int8)
        names = names + [UNLABELLED]
    return pd.Categorical.from_codes(codes, categories=names)


# Cache entries that do not depend on the positive class (text work on unchanged columns).
_POSITIVE_FREE_CACHE = ("arrow", "text_features", "length")


def with_positive_class(table: PreparedTable, positive_class: str) -> PreparedTable:
    """``table`` with another positive class, as ``prepare(raw, schema, positive_class=...)``
    would build it, without preparing the raw table again: only the derived outcome
    changes, and text work cached on ``table`` is shared.

    Returns ``table`` itself when the class is already positive; raises ``UsageError``
    for an unknown class, or when the predictions depend on the positive class (derived
    from probabilities, or a threshold): ``can_switch_positive`` says when this applies.
    """
    positive = _choose_positive(list(table.classes), list(table.schema.probs), positive_class)
    if positive == table.positive_class:
        return table
    if not can_switch_positive(table):
        raise UsageError("This table's predictions depend on the positive class; prepare it again instead.")
    frame = table.frame.copy(deep=False)
    if table.schema.outcome in table.derived:
        frame[table.schema.outcome] = _outcomes(frame, table.schema, positive)
    memo = table.memo.subset(
        lambda k: isinstance(k, tuple) and bool(k) and k[0] in _POSITIVE_FREE_CACHE and k[-1] != table.schema.outcome
    )
    return replace(table, frame=frame, positive_class=positive, memo=memo)


def can_switch_positive(table: PreparedTable) -> bool:
    """True when ``with_positive_class`` can re-target ``table``: a binary table without a
    threshold whose predicted label was logged (a derived one depends on the positive class)."""
    return (
        table.is_binary
        and table.threshold is None
        and table.schema.predicted_label is not None
        and table.schema.predicted_label not in table.derived
    )


def one_vs_rest(table: PreparedTable, positive: str) -> PreparedTable:
    """A binary view of a multi-class table: ``positive`` against every other class ("not
    <positive>"), scored by its own probability column, for the binary analyses (threshold
    and cost). Text, id and other columns are kept; the label and output columns are
    rebuilt. Raises ``UsageError``/``BadTable`` when the class or its probability is missing."""
    schema = table.schema
    match = next((c for c in table.classes if _key(c) == _key(positive)), None)
    if match is None:
        raise UsageError(f"{positive!r} is not one of the table's classes {list(table.classes)}.")
    prob_column = next((col for cls, col in schema.probs.items() if _key(cls) == _key(match)), None)
    if prob_column is None or schema.true_label is None:
        raise BadTable(f"One class against the rest needs the true labels and the probability column of {match!r}.")
    rest = f"not {match}"
    truth = table.frame[schema.true_label].astype(str).map(_key).to_numpy() == _key(match)
    probability = pd.to_numeric(table.frame[prob_column], errors="coerce").to_numpy(dtype=float)
    roles = {
        schema.true_label,
        schema.predicted_label,
        schema.confidence,
        schema.is_error,
        schema.outcome,
        *schema.probs.values(),
    }
    kept = table.frame[[c for c in table.frame.columns if c not in roles]]
    columns: dict[str, Any] = {
        "True Label": np.where(truth, match, rest),
        f"Prob ({match})": probability,
        f"Prob ({rest})": 1 - probability,
    }
    if schema.predicted_label is not None:
        predicted = table.frame[schema.predicted_label].astype(str).map(_key).to_numpy() == _key(match)
        columns["Predicted Label"] = np.where(predicted, match, rest)
    frame = pd.concat([kept.reset_index(drop=True), pd.DataFrame(columns)], axis=1)
    binary_schema = detect_schema(frame.columns).with_mapping({"id": schema.id, "text": schema.text})
    return prepare(frame, binary_schema, positive_class=match)
