"""Behaviour did not change: the CLI's outputs and the numbers every page shows on the demo
store equal the goldens recorded before the modules moved (tests/golden/cli.json, pages.json).

The capture runs only public entry points (``python -m wbview`` in a subprocess, AppTest on
app.py), so it keeps working whatever module holds the code. After an intended change,
rewrite the goldens with ``make golden`` and review their diff.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

import pytest

from tests.golden import record

pytestmark = pytest.mark.slow  # one demo build, ~70 CLI calls and ~30 page runs: about a minute

CLI = json.loads(record.CLI_GOLDEN.read_text("utf-8"))
PAGES = json.loads(record.PAGES_GOLDEN.read_text("utf-8"))
MAX_DIFF_LINES = 150


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory) -> record.Capture:
    return record.capture_all(tmp_path_factory.mktemp("golden"))


def _check(kind: str, case: str, expected: Any, actual: Any) -> None:
    if actual == expected:
        return
    lines = list(
        difflib.unified_diff(
            record.dumps(expected).splitlines(),
            record.dumps(actual).splitlines(),
            f"golden {kind}: {case}",
            f"now {kind}: {case}",
            lineterm="",
            n=4,
        )
    )
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"... {len(lines) - MAX_DIFF_LINES} more diff lines"]
    pytest.fail(
        f"{kind} output changed for {case!r} (if intended: `make golden`, then review the diff):\n" + "\n".join(lines),
        pytrace=False,
    )


def test_the_same_cli_cases_and_page_views_are_captured(captured: record.Capture) -> None:
    _check("cli", "case names", sorted(CLI), sorted(captured.cli))
    _check("pages", "page views", sorted(PAGES), sorted(captured.pages))


@pytest.mark.parametrize("case", sorted(CLI))
def test_cli_output_is_unchanged(captured: record.Capture, case: str) -> None:
    _check("cli", case, CLI[case], captured.cli.get(case))


@pytest.mark.parametrize("case", sorted(PAGES))
def test_page_shows_the_same(captured: record.Capture, case: str) -> None:
    _check("pages", case, PAGES[case], captured.pages.get(case))
