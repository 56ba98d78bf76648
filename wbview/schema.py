"""Eval-table column conventions, shared by the companion (which writes them), the
analysis (which reads them) and the pages (which let a user map them).

Two naming styles are recognised: the seed guide's ("Decoded Text", "True Label",
"Predicted Label", "Prob (<class>)", "Is Error") and snake_case ("text",
"true_label", "predicted_label", "prob_<class>", "is_error").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal, TypedDict, cast

Style = Literal["seed", "snake"]

ROLES = ("id", "text", "true_label", "predicted_label", "confidence", "is_error", "outcome")


class _RoleOverrides(TypedDict, total=False):
    """Some of the ``ROLES``, each a column name or None (unset)."""

    id: str | None
    text: str | None
    true_label: str | None
    predicted_label: str | None
    confidence: str | None
    is_error: str | None
    outcome: str | None


SEED_NAMES: dict[str, str] = {
    "id": "Sample ID",
    "text": "Decoded Text",
    "true_label": "True Label",
    "predicted_label": "Predicted Label",
    "confidence": "Confidence",
    "is_error": "Is Error",
    "outcome": "Outcome",
}
SNAKE_NAMES: dict[str, str] = {role: role for role in ROLES}

# Other spellings seen in the wild, matched case- and punctuation-insensitively.
_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("sample id", "sample_id", "id", "idx", "index", "example id", "uid", "guid"),
    "text": ("decoded text", "text", "input", "input text", "message", "sentence", "content", "body"),
    "true_label": ("true label", "label", "labels", "target", "ground truth", "y true", "gold", "actual"),
    "predicted_label": ("predicted label", "prediction", "pred", "predicted", "y pred", "pred label"),
    "confidence": ("confidence", "score", "max prob"),
    "is_error": ("is error", "error", "wrong", "is wrong", "mistake", "incorrect"),
    "outcome": ("outcome", "result"),
}

_SEED_PROB = re.compile(r"^prob \((?P<cls>.+)\)$", re.IGNORECASE)
_SNAKE_PROB = re.compile(r"^(?:prob|proba|probability|p)_(?P<cls>.+)$", re.IGNORECASE)


def column_name(role: str, style: Style = "seed") -> str:
    return (SEED_NAMES if style == "seed" else SNAKE_NAMES)[role]


def prob_column(class_name: str, style: Style = "seed") -> str:
    return f"Prob ({class_name})" if style == "seed" else f"prob_{class_name}"


def _normalise(name: str) -> str:
    return re.sub(r"[\s_\-]+", " ", name.strip().lower())


@dataclass(frozen=True)
class EvalSchema:
    """Which column of a table plays which role; ``None`` where the table has none."""

    id: str | None = None
    text: str | None = None
    true_label: str | None = None
    predicted_label: str | None = None
    confidence: str | None = None
    is_error: str | None = None
    outcome: str | None = None
    probs: Mapping[str, str] = field(default_factory=dict)  # class name -> column

    @property
    def classes(self) -> list[str]:
        return list(self.probs)

    @property
    def has_labels(self) -> bool:
        return self.true_label is not None and self.predicted_label is not None

    def missing(self, roles: Iterable[str] = ("true_label", "predicted_label")) -> list[str]:
        return [role for role in roles if getattr(self, role) is None]

    def with_mapping(self, mapping: Mapping[str, str | None]) -> EvalSchema:
        """Override roles with a user's choices (role -> column, or None to unset)."""
        known = cast(_RoleOverrides, {k: v for k, v in mapping.items() if k in ROLES})  # keys checked against ROLES
        return replace(self, **known)

    def to_query(self) -> dict[str, str]:
        return {role: getattr(self, role) for role in ROLES if getattr(self, role)}


def detect_schema(columns: Iterable[str]) -> EvalSchema:
    """Recognise eval-table roles from column names (both styles, common aliases)."""
    columns = list(columns)
    by_norm: dict[str, str] = {}
    for col in columns:
        by_norm.setdefault(_normalise(str(col)), col)
    found: dict[str, str | None] = {}
    for role in ROLES:
        found[role] = next((by_norm[a] for a in _ALIASES[role] if a in by_norm), None)
    probs: dict[str, str] = {}
    for col in columns:
        text = str(col).strip()
        match = _SEED_PROB.match(text) or _SNAKE_PROB.match(text)
        if match:
            probs[match.group("cls")] = col
    return EvalSchema(**found, probs=probs)
