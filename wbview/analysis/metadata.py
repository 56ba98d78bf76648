"""Artifact metadata for reading: formatted values, label maps, completeness against
the team's essential metadata per artifact type, and a diff of two versions. Pure."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Number
from typing import Any, Literal

import pandas as pd

from wbview.records import flatten

# The seed guide's "Essential Metadata" table, per artifact type.
ESSENTIAL_METADATA: dict[str, tuple[str, ...]] = {
    "dataset": ("num_samples", "splits", "class_distribution", "schema", "source", "preprocessing_applied"),
    "model": ("base_model", "dataset", "id2label", "label2id", "best_metric", "framework"),
    "predictions": ("model", "dataset", "threshold", "num_predictions"),
}

# Other spellings accepted for an essential key (reported as "found as ...").
ESSENTIAL_ALIASES: dict[str, tuple[str, ...]] = {
    "source": ("source_dataset", "hf_dataset_path", "data_source"),
    "schema": ("columns", "features"),
    "preprocessing_applied": ("preprocessing",),
    "num_predictions": ("num_rows", "nrows"),
    "best_metric": ("best_f1", "best_val_f1", "best_accuracy"),
}

BlockKind = Literal["value", "label_map", "mapping", "list"]


def format_value(value: Any) -> str:
    """A number formatted for reading (1,234,567; 0.9412; 1.2e-05); anything else as text."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, Number):
        number = float(value)  # type: ignore[arg-type]  # typeshed Number has no __float__; a Real check would change complex
        if math.isnan(number) or math.isinf(number):
            return str(number)
        if number == int(number) and abs(number) < 1e15:
            return f"{int(number):,}"
        if abs(number) >= 1e-3:
            return f"{number:,.4f}".rstrip("0").rstrip(".")
        return f"{number:.3g}"
    return str(value)


def _int_like(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, str) and value.strip().lstrip("-").isdigit()


def _ids(items: list[Any]) -> bool:
    """Integers (or their text) numbering 0..n-1, as class ids do."""
    return all(_int_like(i) for i in items) and sorted(int(str(i)) for i in items) == list(range(len(items)))


def is_label_map(value: Any) -> bool:
    """True for {0: "ham", 1: "phishing"} or {"ham": 0, "phishing": 1} (JSON turns int keys
    into text); ids must number the classes 0..n-1, so {"train": 16240} is not one."""
    if not isinstance(value, Mapping) or not value:
        return False
    keys, values = list(value.keys()), list(value.values())
    if any(isinstance(v, (Mapping, list, tuple)) for v in values):
        return False
    return (_ids(keys) and all(isinstance(v, str) for v in values)) or (_ids(values) and all(isinstance(k, str) for k in keys))


@dataclass(frozen=True)
class Block:
    """One top-level metadata entry and how to show it."""

    key: str
    kind: BlockKind
    value: Any


def metadata_blocks(metadata: Mapping[str, Any]) -> list[Block]:
    """Top-level entries in reading order: plain values first, then label maps, lists, nested sections."""
    order = {"value": 0, "label_map": 1, "list": 2, "mapping": 3}
    blocks = []
    for key, value in metadata.items():
        if is_label_map(value):
            kind: BlockKind = "label_map"
        elif isinstance(value, Mapping) and value:
            kind = "mapping"
        elif isinstance(value, (list, tuple)) and value:
            kind = "list"
        else:
            kind = "value"
        blocks.append(Block(str(key), kind, value))
    return sorted(blocks, key=lambda b: order[b.kind])


def label_map_frame(value: Mapping[Any, Any]) -> pd.DataFrame:
    """A label map as a two-column table, id first: id | label."""
    pairs = [(k, v) for k, v in value.items()]
    if not all(_int_like(k) for k, _ in pairs):
        pairs = [(v, k) for k, v in pairs]  # label2id: put the id first
    rows = sorted(((int(str(i)), str(label)) for i, label in pairs), key=lambda r: r[0])
    return pd.DataFrame(rows, columns=["id", "label"])


def values_frame(mapping: Mapping[str, Any]) -> pd.DataFrame:
    """Scalar entries of a (flattened) mapping as a key | value table of text."""
    flat = flatten(mapping)
    return pd.DataFrame({"key": list(flat), "value": [format_value(v) for v in flat.values()]})


@dataclass(frozen=True)
class Completeness:
    artifact_type: str
    expected: tuple[str, ...]
    present: tuple[str, ...]
    missing: tuple[str, ...]
    aliases_used: Mapping[str, str]  # essential key -> the key that stood in for it

    @property
    def checked(self) -> bool:
        return bool(self.expected)

    @property
    def complete(self) -> bool:
        return not self.missing

    def message(self) -> str:
        """One sentence for the page."""
        if not self.checked:
            known = ", ".join(ESSENTIAL_METADATA)
            return f"No essential metadata is defined for type {self.artifact_type!r} (defined for: {known})."
        if self.complete:
            return f"All {len(self.expected)} essential metadata keys for a {self.artifact_type} are present."
        return (
            f"Missing {len(self.missing)} of {len(self.expected)} essential metadata keys for a "
            f"{self.artifact_type}: {', '.join(self.missing)}."
        )


def essential_type(artifact_type: str) -> str | None:
    """The essentials table row for an artifact type ("eval-predictions" -> "predictions")."""
    lowered = artifact_type.lower()
    if lowered in ESSENTIAL_METADATA:
        return lowered
    return next((t for t in ESSENTIAL_METADATA if lowered.endswith(t) or lowered.startswith(t)), None)


def completeness(artifact_type: str, metadata: Mapping[str, Any]) -> Completeness:
    """Which of the seed guide's essential keys the metadata has, at the top level or nested."""
    row = essential_type(artifact_type)
    expected = ESSENTIAL_METADATA.get(row or "", ())
    leaves = {path.rsplit(".", 1)[-1] for path in flatten(metadata)} | set(map(str, metadata))
    present, missing, used = [], [], {}
    for key in expected:
        if key in leaves:
            present.append(key)
            continue
        alias = next((a for a in ESSENTIAL_ALIASES.get(key, ()) if a in leaves), None)
        if alias:
            present.append(key)
            used[key] = alias
        else:
            missing.append(key)
    return Completeness(artifact_type, expected, tuple(present), tuple(missing), used)


def metadata_diff(left: Mapping[str, Any], right: Mapping[str, Any], include_same: bool = False) -> pd.DataFrame:
    """Flattened key-by-key comparison: key | left | right | change (added/removed/changed/same)."""
    a, b = flatten(left), flatten(right)
    rows = []
    for key in sorted(set(a) | set(b)):
        if key not in a:
            change = "added"
        elif key not in b:
            change = "removed"
        elif a[key] != b[key]:
            change = "changed"
        else:
            change = "same"
        if change != "same" or include_same:
            rows.append((key, format_value(a[key]) if key in a else "", format_value(b[key]) if key in b else "", change))
    return pd.DataFrame(rows, columns=["key", "left", "right", "change"])


def version_order(version: str) -> tuple[int, str]:
    """Sort key of a version name: v2 before v10; names that are not vN after them."""
    digits = version[1:] if version[:1] in ("v", "V") else ""
    return (int(digits), version) if digits.isdigit() else (1 << 62, version)


def version_label(version: str, aliases: tuple[str, ...] | list[str]) -> str:
    """A version as the picker shows it: ``v3 (best, latest)``; the version alone without aliases."""
    extra = [a for a in aliases if a != version]
    return f"{version} ({', '.join(extra)})" if extra else version


def version_diff(
    version_a: str, metadata_a: Mapping[str, Any], version_b: str, metadata_b: Mapping[str, Any]
) -> tuple[str, str, pd.DataFrame]:
    """``metadata_diff`` from the older version to the newer, whichever was picked first:
    "added" means the newer version has a key the older had not. Returns (older, newer,
    diff) with the value columns named after the versions."""
    (old, old_meta), (new, new_meta) = sorted(
        ((version_a, metadata_a), (version_b, metadata_b)), key=lambda item: version_order(item[0])
    )
    diff = metadata_diff(old_meta, new_meta)
    return old, new, diff.rename(columns={"left": old, "right": new})
