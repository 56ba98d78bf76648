"""CSV written by `wbview table --out x.csv` is safe to open in a spreadsheet: cells and
column names a spreadsheet would run as formulas are quoted (OWASP's CSV-injection advice),
and nested cells (dicts, lists) are written as JSON text, from a source and from a store."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest

from tests.sources.store.test_store import PROJECT, small_project
from wbview.cli import main
from wbview.sources.memory import MemorySource
from wbview.sources.store import Store

HOSTILE_HEADER = '=HYPERLINK("https://evil.example/login","open")'
FORMULAS = ["=1+1", "+41", "-2+3", "@SUM(A1:A2)", "\tcmd", "\rcmd"]


def hostile_project():
    data = small_project(run_ids=("r1", "r2", "r3", "r4", "r5", "r6"))
    key = next(iter(data.tables))
    data.tables[key] = pd.DataFrame(
        {
            HOSTILE_HEADER: FORMULAS,
            "meta": [{"lang": "en", "n": i} for i in range(6)],
            "tokens": [["a", "b"], [], ["=c"], ["d"], ["e"], ["f"]],
            "score": [0.1, -0.5, 0.3, 0.4, 0.5, 0.6],
        }
    )
    return data


def read_cells(path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


@pytest.mark.parametrize("via", ["source", "store"])
def test_table_csv_neutralises_formulas_and_writes_nested_cells_as_json(tmp_path, capsys, via):
    data = hostile_project()
    source, extra = MemorySource({PROJECT: data}), []
    if via == "store":
        store = Store(tmp_path / "s")
        store.write_project(PROJECT, data)
        source, extra = None, ["--store", str(store.root)]
    out = tmp_path / "x.csv"
    code = main(["table", f"{PROJECT}/r6", "--out", str(out), *extra], source=source)
    assert code == 0, capsys.readouterr().err
    header, *rows = read_cells(out)
    assert header == ["'" + HOSTILE_HEADER, "meta", "tokens", "score"]
    assert [row[0] for row in rows] == ["'" + cell for cell in FORMULAS]
    assert [json.loads(row[1]) for row in rows] == [{"lang": "en", "n": i} for i in range(6)]
    assert [json.loads(row[2]) for row in rows] == [["a", "b"], [], ["=c"], ["d"], ["e"], ["f"]]
    assert [float(row[3]) for row in rows] == [0.1, -0.5, 0.3, 0.4, 0.5, 0.6]  # numbers stay numbers
