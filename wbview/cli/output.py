"""How commands print: plain JSON and aligned text tables."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any


def to_jsonable(value: Any) -> Any:
    """Plain JSON: NaN/inf become null, dates ISO text, tuples lists, unknown objects str."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def print_json(data: Any) -> None:
    print(json.dumps(to_jsonable(data), indent=2, ensure_ascii=False))


def format_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], max_width: int = 40) -> str:
    """A plain aligned text table; long cells are cut with an ellipsis."""

    def cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, float):
            text = f"{value:.4g}"
        elif isinstance(value, (list, tuple)):
            text = ",".join(str(v) for v in value)
        else:
            text = str(value)
        text = " ".join(text.split())
        return text if len(text) <= max_width else text[: max_width - 1] + "…"

    body = [[cell(v) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in body)]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=False)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)).rstrip() for r in body)
    return "\n".join(lines)
