"""The values each recorded shape logs: deterministic builders shared by the recorder
(``record.py``) and the tests, which compare what wbview loads with these frames.

Nothing here imports wandb: the tests build the expected frames without it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BIG_INT = 2**53 + 1  # not representable as a float64
BIG_ROWS = 200_005  # logged through artifact.add; wandb keeps Table.MAX_ARTIFACT_ROWS (200,000)


def scalars() -> pd.DataFrame:
    """int, int beyond 2^53, float with NaN/inf, bool, None, str, categorical."""
    return pd.DataFrame(
        {
            "id": pd.Series([0, 1, 2, 3], dtype="int64"),
            "big": pd.Series([BIG_INT, -BIG_INT, 2**62, 7], dtype="int64"),
            "score": pd.Series([0.25, float("nan"), float("inf"), float("-inf")], dtype="float64"),
            "flag": pd.Series([True, False, True, False], dtype="bool"),
            "maybe": pd.Series([None, "x", None, "y"], dtype=object),
            "text": pd.Series(["alpha", 'beta, "quoted"', "ünïcode ✓", ""], dtype=object),
            "label": pd.Categorical(["cat", "dog", "cat", "bird"]),
        }
    )


def nested() -> pd.DataFrame:
    """List and dict cells."""
    return pd.DataFrame(
        {
            "id": [0, 1, 2],
            "tokens": [["a", "b"], ["c"], []],
            "numbers": [[1, 2, 3], [4, 5, 6], [7, 8, 9]],
            "meta": [{"lang": "en", "len": 3}, {"lang": "de", "len": 5}, {"lang": "fr", "len": 0}],
        }
    )


def datetimes() -> pd.DataFrame:
    """Naive (taken as UTC by wandb) and tz-aware timestamps, with a gap."""
    naive = pd.to_datetime(["2025-01-01 12:34:56.789", "2025-06-30 00:00:00.000", None])
    aware = pd.to_datetime(["2025-01-01 12:34:56.789", "2025-06-30 00:00:00.000", "2024-02-29 23:59:59.001"]).tz_localize(
        "Europe/Berlin"
    )
    return pd.DataFrame({"id": [0, 1, 2], "naive": naive, "aware": aware})


def arrays() -> pd.DataFrame:
    """ndarray cells: short 1-D (inlined as lists), long 1-D and 2-D (npz side files)."""
    rows = 3
    return pd.DataFrame(
        {
            "id": list(range(rows)),
            "short": [np.arange(8, dtype=np.float64) + r for r in range(rows)],
            "long": [np.linspace(0, 1, 200) * (r + 1) for r in range(rows)],
            "matrix": [np.arange(12, dtype=np.float64).reshape(3, 4) * (r + 1) for r in range(rows)],
        }
    )


def image_pixels(index: int) -> np.ndarray:
    """The 4x4 RGB image of row ``index`` of the media shape."""
    grid = np.arange(48, dtype=np.uint8).reshape(4, 4, 3)
    return (grid * (index + 1) * 5).astype(np.uint8)


def html_text(index: int) -> str:
    return f"<p>row <b>{index}</b></p>"


MEDIA_ROWS = 2


def mixed() -> pd.DataFrame:
    """A column of mixed types, logged with ``allow_mixed_types=True``."""
    return pd.DataFrame({"id": [0, 1, 2, 3], "value": pd.Series([1, "two", 3.5, None], dtype=object)})


def epoch_frame(epoch: int) -> pd.DataFrame:
    """The table logged at ``epoch`` by the IMMUTABLE-every-epoch and MUTABLE shapes."""
    return pd.DataFrame({"epoch": [epoch] * 2, "row": [0, 1], "loss": [1.0 / (epoch + 1), 2.0 / (epoch + 1)]})


def increment(index: int) -> pd.DataFrame:
    """Rows added before the ``index``-th log of the INCREMENTAL table."""
    return pd.DataFrame({"step": [index * 10 + k for k in range(2)], "text": [f"incr {index} row {k}" for k in range(2)]})


INCREMENTS = 3


def part(index: int) -> pd.DataFrame:
    """Part ``index`` of the PartitionedTable."""
    return pd.DataFrame({"id": [index * 2, index * 2 + 1], "text": [f"part {index} a", f"part {index} b"]})


PARTS = 3


def joined_left() -> pd.DataFrame:
    return pd.DataFrame({"id": [1, 2, 3], "prediction": ["spam", "ham", "spam"]})


def joined_right() -> pd.DataFrame:
    return pd.DataFrame({"id": [3, 1, 2], "label": ["spam", "spam", "ham"]})


def reference() -> pd.DataFrame:
    return pd.DataFrame({"id": [0, 1], "prediction": ["a", "b"], "score": [0.5, 0.75]})


def ambiguous(index: int) -> pd.DataFrame:
    """The ``eval/predictions`` table of artifact ``index`` of the ambiguous shape."""
    return pd.DataFrame({"id": [0, 1], "model": [f"model-{index}"] * 2})


AMBIGUOUS = 3


def big() -> pd.DataFrame:
    """More rows than wandb keeps in an artifact table."""
    return pd.DataFrame({"i": np.arange(BIG_ROWS, dtype=np.int64)})


def same_entry_logged() -> pd.DataFrame:
    """The table logged with run.log under "preds" (wandb's run_table entry preds.table.json)."""
    return pd.DataFrame({"id": [0, 1], "source": ["run.log", "run.log"]})


def same_entry_other() -> pd.DataFrame:
    """Another table, added to an artifact under the same entry name (not a reference)."""
    return pd.DataFrame({"id": [0, 1, 2], "source": ["artifact.add"] * 3})


def added_first() -> pd.DataFrame:
    """A table added to an artifact first and then logged with run.log."""
    return pd.DataFrame({"id": [7, 8], "label": ["x", "y"]})
