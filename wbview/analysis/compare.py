"""Run against run: join two eval tables sample by sample and sort every sample into
fixed / newly broken / still wrong / still right; warn when the two runs were not
scored on the same dataset version."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wbview.analysis.prepare import PreparedTable
from wbview.errors import BadTable, UsageError

STATUSES = ("fixed", "newly broken", "still wrong", "still right")
_VERSION = re.compile(r"^v\d+$")


@dataclass(frozen=True)
class RunDiff:
    """``joined``: one row per matched sample with both runs' predictions and a
    ``Status``; ``counts``: rows per status. ``only_in_a``/``only_in_b``: unmatched
    samples; ``duplicate_keys``: keys seen more than once (matched by occurrence);
    ``label_mismatches``: matched samples whose true labels differ."""

    joined: pd.DataFrame
    counts: pd.DataFrame
    key: str
    only_in_a: int
    only_in_b: int
    duplicate_keys: int
    label_mismatches: int

    def rows(self, status: str) -> pd.DataFrame:
        if status not in STATUSES:
            raise UsageError(f"Unknown status {status!r}; use one of {list(STATUSES)}.")
        return self.joined[self.joined["Status"] == status]


def join_columns(a: PreparedTable, b: PreparedTable, on: str | None) -> tuple[str, str]:
    """The column of A and of B that identifies a sample: ``on`` when given, else the
    sample id (role id), else the text; ``BadTable`` when neither table pair has one."""
    if on is not None:
        missing = [side for side, t in (("A", a), ("B", b)) if on not in t.frame.columns]
        if missing:
            raise BadTable(f"Cannot join on {on!r}: table {' and '.join(missing)} has no such column.")
        return on, on
    for role in ("id", "text"):
        col_a, col_b = getattr(a.schema, role), getattr(b.schema, role)
        if col_a is not None and col_b is not None:
            return col_a, col_b
    raise BadTable(
        "Comparing runs needs a sample id (role id) or the text (role text) in both tables to "
        "match samples. Map those columns in the column-mapping panel."
    )


def _key_codes(key_a: pd.Series, key_b: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """One integer code per distinct key across both tables (equal keys, equal codes).

    Integer ids stay integers; anything else compares as text, hashed once in Arrow.
    """
    both_int = all(pd.api.types.is_integer_dtype(k) and not k.isna().any() for k in (key_a, key_b))
    if both_int:
        codes, _ = pd.factorize(np.concatenate([key_a.to_numpy(np.int64), key_b.to_numpy(np.int64)]))
    else:
        import pyarrow as pa
        import pyarrow.compute as pc

        text = pa.chunked_array([pa.array(k.astype("string[pyarrow]")).cast(pa.large_string()) for k in (key_a, key_b)])
        encoded = pc.dictionary_encode(text.fill_null("\x00(missing)")).combine_chunks()
        codes = encoded.indices.to_numpy()
    codes = np.asarray(codes, dtype=np.int64)
    return codes[: len(key_a)], codes[len(key_a) :]


def match_rows(key_a: pd.Series, key_b: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows of A, matching rows of B, occurrence number of each A row's key): equal keys
    match, integer ids match their text spelling, repeated keys match by occurrence."""
    codes_a, codes_b = _key_codes(key_a, key_b)
    width = int(max(np.bincount(codes_a).max(initial=1), np.bincount(codes_b).max(initial=1)))
    if width == 1:
        occurrence_a = occurrence_b = 0
    else:
        # Repeated keys (duplicate texts) match by occurrence: 1st "hi" in A with 1st "hi" in B.
        occurrence_a = pd.Series(codes_a).groupby(codes_a).cumcount().to_numpy()
        occurrence_b = pd.Series(codes_b).groupby(codes_b).cumcount().to_numpy()
    position_in_b = pd.Index(codes_b * width + occurrence_b).get_indexer(codes_a * width + occurrence_a)
    rows_a = np.flatnonzero(position_in_b >= 0)
    return rows_a, position_in_b[rows_a], np.broadcast_to(occurrence_a, codes_a.shape)


def _same_labels(a: PreparedTable, b: PreparedTable, rows_a: np.ndarray, rows_b: np.ndarray) -> np.ndarray:
    truth_a, truth_b = a.frame[a.schema.true_label], b.frame[b.schema.true_label]
    # Compare through the category lists, not row by row as strings.
    keys_a = {str(c).casefold(): i for i, c in enumerate(truth_a.cat.categories)}
    b_to_a = np.array([keys_a.get(str(c).casefold(), -2) for c in truth_b.cat.categories] + [-3])
    return truth_a.cat.codes.to_numpy()[rows_a] == b_to_a[truth_b.cat.codes.to_numpy()[rows_b]]


def diff_runs(a: PreparedTable, b: PreparedTable, on: str | None = None, names: tuple[str, str] = ("A", "B")) -> RunDiff:
    """Match samples of run A and run B (on ``on``, else sample id, else text) and
    classify each: fixed (wrong in A, right in B), newly broken, still wrong, still right."""
    col_a, col_b = join_columns(a, b, on)
    key_a, key_b = a.frame[col_a], b.frame[col_b]
    ia, ib, occurrence_a = match_rows(key_a, key_b)
    wrong_a, wrong_b = a.is_error()[ia], b.is_error()[ib]
    status_codes = np.where(wrong_a, np.where(wrong_b, 2, 0), np.where(wrong_b, 1, 3))
    columns = {"Key": a.frame[col_a].take(ia).reset_index(drop=True)}
    if a.schema.text is not None and a.schema.text != col_a:
        columns[a.schema.text] = a.frame[a.schema.text].take(ia).reset_index(drop=True)
    for table, rows, name in ((a, ia, names[0]), (b, ib, names[1])):
        for role in ("true_label", "predicted_label", "confidence", "is_error"):
            column = getattr(table.schema, role)
            if column is not None:
                columns[f"{column} ({name})"] = table.frame[column].take(rows).reset_index(drop=True)
    joined = pd.DataFrame(columns)
    joined["Status"] = pd.Categorical.from_codes(status_codes, categories=list(STATUSES))
    mismatches = 0
    if a.schema.true_label is not None and b.schema.true_label is not None:
        mismatches = int(np.count_nonzero(~_same_labels(a, b, ia, ib)))
    counts = pd.DataFrame({"status": list(STATUSES), "rows": np.bincount(status_codes, minlength=4)})
    counts["share"] = counts["rows"] / max(len(joined), 1)
    return RunDiff(
        joined=joined,
        counts=counts,
        key=col_a,
        only_in_a=int(len(key_a) - ia.size),
        only_in_b=int(len(key_b) - ia.size),
        duplicate_keys=int(np.count_nonzero(occurrence_a > 0)),
        label_mismatches=mismatches,
    )


def _split_artifact(ref: str) -> tuple[str, str | None]:
    """``entity/project/name:v3`` -> (``entity/project/name``, ``v3``); no colon -> (ref, None)."""
    head, sep, version = ref.rpartition(":")
    return (head, version) if sep and "/" not in version else (ref, None)


def dataset_lineage_warning(dataset_a: str | None, dataset_b: str | None, names: tuple[str, str] = ("A", "B")) -> str | None:
    """A warning when two runs were not provably scored on the same dataset version,
    else None. Arguments: each run's input dataset artifact (``name:vN`` or an id)."""
    name_a, name_b = names
    if dataset_a is None and dataset_b is None:
        return (
            f"Neither run {name_a} nor run {name_b} records its evaluation dataset (no input artifact of type "
            "dataset), so it is unknown whether they were scored on the same samples."
        )
    if dataset_a is None or dataset_b is None:
        missing = name_a if dataset_a is None else name_b
        return (
            f"Run {missing} records no evaluation dataset, so it is unknown whether both runs were scored on "
            "the same dataset version."
        )
    if dataset_a == dataset_b:
        collection, version = _split_artifact(dataset_a)
        if version is not None and not _VERSION.match(version):
            return (
                f"Both runs name {dataset_a!r}, but {version!r} is an alias that can move between versions; "
                "compare the resolved versions (vN) to be sure."
            )
        return None
    collection_a, version_a = _split_artifact(dataset_a)
    collection_b, version_b = _split_artifact(dataset_b)
    if collection_a == collection_b:
        return (
            f"The runs were scored on different versions of {collection_a}: {version_a} ({name_a}) vs "
            f"{version_b} ({name_b}); differences may come from the data, not the model."
        )
    return (
        f"The runs were scored on different datasets: {dataset_a} ({name_a}) vs {dataset_b} ({name_b}); "
        "per-sample comparison only covers samples present in both."
    )
