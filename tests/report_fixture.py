"""An eval table whose texts, class labels, column names and values are HTML/script
payloads: every report test renders it and checks that nothing from it stays markup."""

from __future__ import annotations

import numpy as np
import pandas as pd

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
PAYLOADS = (
    SCRIPT,
    IMG,
    "</table></section><script>alert(2)</script>",
    '"><svg onload=alert(3)>',
    "javascript:alert(4)",
    "<a href=http://evil.example/>x</a>",
)

# Every section of a review of two runs, in order (one run: all but "compare").
SECTIONS = ("headline", "confusion", "groups", "false-negatives", "slices", "threshold", "calibration", "compare",
            "metadata", "live")  # fmt: skip


def hostile_frame(n_rows: int = 400, seed: int = 0) -> pd.DataFrame:
    """A binary table: positive class SCRIPT, negative IMG; a hostile column name and values."""
    rng = np.random.default_rng(seed)
    truth = np.where(rng.random(n_rows) < 0.4, SCRIPT, IMG)
    p_pos = np.clip(np.where(truth == SCRIPT, 0.7, 0.3) + rng.normal(0, 0.25, n_rows), 0.001, 0.999)
    texts = [f"{PAYLOADS[i % len(PAYLOADS)]} message {i}" for i in range(n_rows)]
    return pd.DataFrame(
        {
            "Sample ID": [f"{IMG}{i}" for i in range(n_rows)],
            "Text": texts,
            "True Label": truth,
            "Predicted Label": np.where(p_pos >= 0.5, SCRIPT, IMG),
            f"Prob ({SCRIPT})": p_pos,
            f"Prob ({IMG})": 1 - p_pos,
            SCRIPT: np.array(PAYLOADS, dtype=object)[rng.integers(0, len(PAYLOADS), n_rows)],
        }
    )
