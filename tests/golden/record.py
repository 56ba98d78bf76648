"""Golden outputs of wbview's public surfaces on the demo store, and the code that captures them.

What is captured (the same code writes the goldens and checks them, see test_golden.py):

- ``cli.json``: for each case, the exit code, stdout (parsed when it is JSON) and stderr of
  ``python -m wbview ...`` on a freshly built demo store, for every data command (runs,
  artifacts, artifact, lineage, table, table --out), the usage line of every command, and a few
  bad inputs. A file written by ``table --out`` is recorded as read back by pandas (shape,
  columns, dtypes, one digest per column): the bytes embed library versions.
- ``pages.json``: for each page of app.py, with its default choices and with explicit choices
  given as URL query parameters, everything it shows (in document order: headings, texts,
  metrics, tables as shape + columns + digests, plotly figures reduced to numbers, page links),
  the widgets' labels and values, and the URL it ends on.

Only public entry points are used, so the goldens keep working while modules move: the demo is
built with ``python -m wbview demo``, the CLI runs as a subprocess, and pages run through
``streamlit.testing.v1.AppTest`` on ``app.py`` (pages found by their titles in app.py).

Normalised before comparison (things that legitimately differ between two captures):
- the temporary store and work folders -> ``<STORE>`` and ``<WORK>`` (also where the text
  escapes them with backslashes for markdown, and URL-encoded in page links' query strings);
- floats -> 9 significant digits (a refactor may reorder a sum; the last bits may move),
  -0.0 -> 0.0, NaN -> null, +-inf -> "inf"/"-inf";
- lists and table columns longer than ``MAX_LISTED`` items -> their length, first items and a
  SHA-256 digest of their normalised values;
- exceptions -> their message only (the stack trace holds file paths and line numbers);
- Plotly figures: the theme template (a Plotly constant) and trace ``uid``s are left out;
  element ids, widget ids and the download buttons' media URLs are never read.
The demo itself has no wall-clock value in it (fixed timestamps, seeded ids), so there are no
timestamps to normalise.

Rewrite the goldens after an intended change: ``make golden`` (or ``python -m tests.golden.record``).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

GOLDEN_DIR = Path(__file__).resolve().parent
REPO = GOLDEN_DIR.parent.parent
APP = REPO / "app.py"
CLI_GOLDEN = GOLDEN_DIR / "cli.json"
PAGES_GOLDEN = GOLDEN_DIR / "pages.json"

PROJECT = "demo/phishing-demo"
SIGNIFICANT_DIGITS = 9
MAX_LISTED = 30  # lists and frames up to this long are recorded in full; longer ones as digests
PAGE_TIMEOUT_S = 120  # per AppTest run: generous, the machine is shared
CLI_WORKERS = min(4, os.cpu_count() or 1)  # CLI cases run in parallel subprocesses

# --- normalisation ---------------------------------------------------------------------------


@dataclass
class Normaliser:
    """Replaces the capture's temporary folders by placeholders and makes values JSON-plain."""

    replacements: list[tuple[re.Pattern[str], str]] = field(default_factory=list)

    def add_path(self, path: Path, placeholder: str) -> None:
        for text in dict.fromkeys([str(path), str(path.resolve())]):
            # Markdown text escapes punctuation with backslashes: allow one before every character.
            pattern = "".join(r"\\?" + re.escape(ch) for ch in text)
            self.replacements.append((re.compile(pattern), placeholder))
            # Page links carry it URL-encoded in their query string.
            self.replacements.append((re.compile(re.escape(quote(text, safe=""))), quote(placeholder, safe="")))

    def text(self, value: str) -> str:
        for pattern, placeholder in self.replacements:
            value = pattern.sub(placeholder, value)
        return value

    def plain(self, value: Any) -> Any:
        """A JSON value: floats rounded, NaN null, dates ISO text, paths replaced."""
        import numpy as np
        import pandas as pd

        if value is None or value is pd.NaT or value is pd.NA:
            return None
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        if isinstance(value, (int, np.integer)):
            return int(value)
        if isinstance(value, (float, np.floating)):
            return round_float(float(value))
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, (datetime, date, pd.Timestamp)):
            return value.isoformat()
        if isinstance(value, bytes):
            return {"bytes": len(value), "sha256": digest(value.hex())}
        if isinstance(value, dict):
            return {str(k): self.plain(v) for k, v in value.items()}
        if isinstance(value, np.ndarray):
            return self.plain(value.tolist())
        if isinstance(value, (list, tuple, set, frozenset)):
            return [self.plain(v) for v in value]
        return self.text(str(value))

    def summary(self, values: list[Any]) -> Any:
        """Short lists in full; long ones as length, first items and a digest."""
        plain = [self.plain(v) for v in values]
        if len(plain) <= MAX_LISTED:
            return plain
        return {"n": len(plain), "head": plain[:5], "sha256": digest(plain)}

    def frame(self, frame: Any) -> dict[str, Any]:
        """Shape, columns, dtypes, a digest per column (and of the index); the rows when few."""
        result: dict[str, Any] = {
            "shape": list(frame.shape),
            "columns": [self.plain(c) for c in frame.columns],
            "dtypes": [str(t) for t in frame.dtypes],
            "column_sha256": [digest([self.plain(v) for v in frame.iloc[:, i].tolist()]) for i in range(frame.shape[1])],
            "index_sha256": digest([self.plain(v) for v in frame.index.tolist()]),
        }
        if len(frame) <= MAX_LISTED:
            result["rows"] = [[self.plain(v) for v in row] for row in frame.itertuples(index=False, name=None)]
        return result


def round_float(value: float) -> float | str | None:
    if math.isnan(value):
        return None
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    rounded = float(f"{value:.{SIGNIFICANT_DIGITS}g}")
    return 0.0 if rounded == 0 else rounded


def digest(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# --- environment and the demo store ------------------------------------------------------------


def child_env(work: Path) -> dict[str, str]:
    """The environment of every command: no W&B credentials or wbview settings from outside,
    caches and HOME inside ``work``, this checkout's wbview first on the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_", "WBVIEW_"))}
    env.update(
        WBVIEW_CACHE_DIR=str(work / "wbview-cache"),
        HOME=str(work / "home"),
        WANDB_SILENT="true",
        WANDB_DIR=str(work / "wandb"),
        WANDB_CONFIG_DIR=str(work / "wandb-config"),
        COLUMNS="100",  # argparse wraps usage lines to the terminal width
        PYTHONPATH=os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]),
        PYTHONIOENCODING="utf-8",
    )
    return env


def build_demo_store(work: Path) -> Path:
    """``wbview demo --store <work>/store``: the full demo, as `make run` shows it."""
    store = work / "store"
    done = subprocess.run(
        [sys.executable, "-m", "wbview", "demo", "--store", str(store)],
        env=child_env(work),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"wbview demo failed ({done.returncode}):\n{done.stderr}")
    return store


def wbview(work: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wbview", *args],
        env=child_env(work),
        cwd=cwd or REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@dataclass(frozen=True)
class DemoRuns:
    """Run ids of the demo by (unique) name prefix, e.g. ``demo_runs.id("exp-002-eval")``."""

    by_name: dict[str, str]

    def id(self, prefix: str) -> str:
        found = [i for name, i in self.by_name.items() if name.startswith(prefix)]
        if len(found) != 1:
            raise LookupError(f"{len(found)} demo runs are named {prefix}...: {sorted(self.by_name)}")
        return found[0]

    def label(self, prefix: str) -> str:
        """The run as "name (id)": how the Runs page's curve picker names it, in its URL too."""
        run_id = self.id(prefix)
        return next(f"{name} ({i})" for name, i in self.by_name.items() if i == run_id)


def demo_runs(work: Path, store: Path) -> DemoRuns:
    done = wbview(work, "runs", PROJECT, "--json", "--store", str(store))
    if done.returncode != 0:
        raise RuntimeError(f"wbview runs failed ({done.returncode}):\n{done.stderr}")
    return DemoRuns({run["name"]: run["id"] for run in json.loads(done.stdout)})


# --- the command line ----------------------------------------------------------------------------


def cli_cases(runs: DemoRuns) -> dict[str, list[str]]:
    """Case name -> arguments of ``wbview`` (``--store`` is appended to the data commands).

    Not run: ``pull`` (it copies from W&B; a store cannot be its source), ``demo`` (it builds
    the store every case reads) and ``app`` (it starts a server; the pages are in pages.json).
    """
    p = PROJECT
    eval_6, eval_2, train_4 = runs.id("exp-006-eval"), runs.id("exp-002-eval"), runs.id("exp-004-train")
    return {
        # runs
        "runs": ["runs", p, "--json"],
        "runs --limit 3": ["runs", p, "--json", "--limit", "3"],
        "runs params.learning_rate>=0.05": ["runs", p, "--json", "--filter", "params.learning_rate>=0.05"],
        "runs params.encoder=head_tail + job type train": [
            "runs",
            p,
            "--json",
            "--filter",
            "params.encoder=head_tail",
            "--job-type",
            "train",
        ],
        "runs params.encoder not in head_tail": ["runs", p, "--json", "--filter", "params.encoder not in head_tail"],
        "runs params.threshold in 0.3,0.5": ["runs", p, "--json", "--filter", "params.threshold in 0.3,0.5"],
        "runs meta.framework=scikit-learn": ["runs", p, "--json", "--filter", "meta.framework=scikit-learn"],
        "runs eval/f1>0.96": ["runs", p, "--json", "--filter", "eval/f1>0.96"],
        "runs summary.best_f1>=0.95": ["runs", p, "--json", "--filter", "summary.best_f1>=0.95"],
        "runs created_at<2025-11-03 (none)": ["runs", p, "--json", "--filter", "created_at<2025-11-03"],
        "runs --job-type eval": ["runs", p, "--json", "--job-type", "eval"],
        "runs --job-type clean --job-type encode": ["runs", p, "--json", "--job-type", "clean", "--job-type", "encode"],
        "runs --group phishing-pipeline-v2": ["runs", p, "--json", "--group", "phishing-pipeline-v2"],
        "runs --tag baseline --tag ablation": ["runs", p, "--json", "--tag", "baseline", "--tag", "ablation"],
        "runs --all-tags nlp --all-tags sklearn": ["runs", p, "--json", "--all-tags", "nlp", "--all-tags", "sklearn"],
        "runs --state finished": ["runs", p, "--json", "--state", "finished", "--limit", "2"],
        "runs text table": ["runs", p, "--filter", "eval/f1>0.9"],
        # artifacts
        "artifacts": ["artifacts", p, "--json"],
        "artifacts --type dataset": ["artifacts", p, "--json", "--type", "dataset"],
        "artifacts --type model": ["artifacts", p, "--json", "--type", "model"],
        "artifacts --type predictions": ["artifacts", p, "--json", "--type", "predictions"],
        "artifacts text table": ["artifacts", p],
        "artifact dataset phishing-texts-clean:v1": ["artifact", f"{p}/phishing-texts-clean:v1", "--json"],
        "artifact dataset phishing-texts-raw:v0": ["artifact", f"{p}/phishing-texts-raw:v0", "--json"],
        "artifact model phishing-classifier-head-tail:latest": [
            "artifact",
            f"{p}/phishing-classifier-head-tail:latest",
            "--json",
        ],
        "artifact predictions phishing-test-predictions:v5": ["artifact", f"{p}/phishing-test-predictions:v5", "--json"],
        "artifact text": ["artifact", f"{p}/phishing-classifier-standard:v1"],
        # lineage
        "lineage run (eval exp-006) --format json": ["lineage", f"{p}/{eval_6}", "--format", "json"],
        "lineage run (eval exp-006) --depth 1": ["lineage", f"{p}/{eval_6}", "--json", "--depth", "1"],
        "lineage run (eval exp-002) --direction up --depth 4": [
            "lineage",
            f"{p}/{eval_2}",
            "--json",
            "--direction",
            "up",
            "--depth",
            "4",
        ],
        "lineage run (train exp-004) --direction down --depth 3": [
            "lineage",
            f"{p}/{train_4}",
            "--json",
            "--direction",
            "down",
            "--depth",
            "3",
        ],
        "lineage artifact phishing-texts-raw:v0 --direction down --depth 6": [
            "lineage",
            f"{p}/phishing-texts-raw:v0",
            "--format",
            "json",
            "--direction",
            "down",
            "--depth",
            "6",
        ],
        "lineage artifact phishing-texts-raw:v1 --fanout-cap 2 --depth 4": [
            "lineage",
            f"{p}/phishing-texts-raw:v1",
            "--json",
            "--fanout-cap",
            "2",
            "--depth",
            "4",
        ],
        "lineage artifact phishing-classifier-standard:v0 --format dot": [
            "lineage",
            f"{p}/phishing-classifier-standard:v0",
            "--format",
            "dot",
        ],
        "lineage run (eval exp-006) text": ["lineage", f"{p}/{eval_6}"],
        # table
        "table list (eval exp-006)": ["table", f"{p}/{eval_6}", "--json"],
        "table list (train exp-004, none)": ["table", f"{p}/{train_4}", "--json"],
        "table list text (eval exp-002)": ["table", f"{p}/{eval_2}"],
        "table --out csv (eval exp-006, key eval/predictions)": [
            "table",
            f"{p}/{eval_6}",
            "eval/predictions",
            "--out",
            "predictions.csv",
            "--json",
        ],
        "table --out parquet (eval exp-002)": ["table", f"{p}/{eval_2}", "--out", "predictions.parquet", "--json"],
        "table --out parquet text (eval exp-002)": ["table", f"{p}/{eval_2}", "--out", "out/p.parquet"],
        # bad input
        "bad: unknown run (table)": ["table", f"{p}/nosuchrun"],
        "bad: unknown run (lineage)": ["lineage", f"{p}/nosuchrun"],
        "bad: filter without operator": ["runs", p, "--filter", "params.learning_rate"],
        "bad: filter comparing text": ["runs", p, "--filter", "params.lr>abc def"],
        "bad: project path": ["runs", "phishing-demo"],
        "bad: unknown project": ["runs", "demo/nosuchproject"],
        "bad: unknown artifact type": ["artifacts", p, "--type", "nosuchtype"],
        "bad: artifact without version": ["artifact", f"{p}/phishing-texts-raw"],
        "bad: unknown artifact version": ["artifact", f"{p}/phishing-texts-raw:v9"],
        "bad: table --out suffix": ["table", f"{p}/{eval_6}", "--out", "x.txt"],
        "bad: table unknown key": ["table", f"{p}/{eval_6}", "nosuchkey", "--out", "x.csv"],
        "bad: unknown run state (a warning)": ["runs", p, "--json", "--state", "sleeping"],
        "bad: lineage direction": ["lineage", f"{p}/{eval_6}", "--direction", "sideways"],
    }


NO_STORE_CASES = {
    "bad: no command": [],
    "bad: unknown command": ["nosuchcommand"],
    "bad: store folder missing": ["runs", PROJECT, "--store", "<WORK>/nosuchstore"],
}
USAGE_COMMANDS = ["runs", "artifacts", "artifact", "lineage", "table", "app", "demo", "pull"]


def _usage(text: str) -> str:
    """The usage block of a --help text (up to the first blank line): the options a command takes."""
    return text.split("\n\n", 1)[0]


def _read_back(path: Path, norm: Normaliser) -> dict[str, Any]:
    import pandas as pd

    if not path.exists():
        return {"exists": False}
    frame = pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)
    return {"exists": True, **norm.frame(frame)}


def capture_cli(work: Path, store: Path, norm: Normaliser, runs: DemoRuns) -> dict[str, Any]:
    """Run every case (a few at a time: each is a separate process) and return case -> result."""
    cases = {name: [*args, "--store", str(store)] for name, args in cli_cases(runs).items()}
    cases |= {name: [a.replace("<WORK>", str(work)) for a in args] for name, args in NO_STORE_CASES.items()}
    with ThreadPoolExecutor(max_workers=CLI_WORKERS) as pool:
        futures = {name: pool.submit(_cli_result, work, norm, name, args) for name, args in cases.items()}
        futures["--version"] = pool.submit(_usage_result, work, norm, ["--version"])
        for command in USAGE_COMMANDS:
            futures[f"usage: {command}"] = pool.submit(_usage_result, work, norm, [command, "--help"])
        return {name: future.result() for name, future in futures.items()}


def _cli_result(work: Path, norm: Normaliser, name: str, args: list[str]) -> dict[str, Any]:
    out_dir = work / "out" / digest(name)  # the working folder: `table --out` writes here
    out_dir.mkdir(parents=True)
    done = wbview(work, *args, cwd=out_dir)
    try:
        stdout: Any = json.loads(done.stdout)
    except ValueError:
        stdout = done.stdout
    result = {
        "argv": norm.plain(args),
        "exit_code": done.returncode,
        "stdout": norm.plain(stdout),
        "stderr": norm.text(done.stderr),
    }
    if "--out" in args:
        result["written"] = _read_back(out_dir / args[args.index("--out") + 1], norm)
    return result


def _usage_result(work: Path, norm: Normaliser, args: list[str]) -> dict[str, Any]:
    done = wbview(work, *args)
    return {
        "argv": args,
        "exit_code": done.returncode,
        "stdout": norm.text(_usage(done.stdout)),
        "stderr": norm.text(done.stderr),
    }


# --- the pages -----------------------------------------------------------------------------------


def app_pages() -> dict[str, str]:
    """Page title -> page path, read from app.py's st.Page(...) calls."""
    source = APP.read_text("utf-8")
    pages = {title: path for path, title in re.findall(r'st\.Page\(\s*"([^"]+)"[^)]*?title="([^"]+)"', source)}
    if not pages:
        raise RuntimeError(f'no st.Page("...", title="...") found in {APP}')
    return pages


@dataclass(frozen=True)
class PageCase:
    title: str  # the page's title in app.py
    params: dict[str, str | list[str]]  # URL query parameters


def page_cases(runs: DemoRuns) -> dict[str, PageCase]:
    """Every page of app.py with its defaults, and with explicit choices in the URL."""
    eval_1, eval_2, eval_4, eval_6 = (runs.id(f"exp-00{n}-eval") for n in (1, 2, 4, 6))
    cases: dict[str, PageCase] = {}

    def add(name: str, title: str, **params: str | list[str]) -> None:
        cases[f"{title} | {name}"] = PageCase(title, params)

    add("defaults", "Runs")
    add(
        "group by job type, colour by eval/f1, two curves",
        "Runs",
        group_by="job_type",
        metric="summary.eval/f1",
        compare=[runs.label("exp-002-train"), runs.label("exp-003-train")],
        curves="true",
        curve="eval/loss",
    )
    add("open the exp-002 eval run", "Runs", run=eval_2, group_by="group")
    add("defaults", "Artifacts")
    add(
        "model v0 against v2",
        "Artifacts",
        type="model",
        collection="phishing-classifier-head-tail",
        version="v0",
        diff_with="v2",
        tab="Diff",
    )
    add("dataset phishing-texts-clean v1", "Artifacts", type="dataset", collection="phishing-texts-clean", version="v1")
    add(
        "dataset phishing-texts-clean v1, files",
        "Artifacts",
        type="dataset",
        collection="phishing-texts-clean",
        version="v1",
        tab="Files",
    )
    add("predictions v1 (of exp-002)", "Artifacts", type="predictions", collection="phishing-test-predictions", version="v1")
    add("defaults", "Lineage")
    add("from phishing-texts-raw:v0, down, depth 5", "Lineage", root="phishing-texts-raw:v0", depth="5", direction="down")
    add(
        "from the exp-002 eval run, up, depth 3, open its model",
        "Lineage",
        root=eval_2,
        depth="3",
        direction="up",
        node="phishing-classifier-standard:v1",
    )
    add("defaults", "Error analysis")
    add("exp-002 eval, missed phishing", "Error analysis", run=eval_2, cell="true phishing → predicted ham")
    for tab in ("False negatives", "High-confidence errors", "Confusion matrix", "Rows"):  # only the open tab runs
        add(f"exp-002 eval, missed phishing, {tab}", "Error analysis", run=eval_2, cell="true phishing → predicted ham", tab=tab)
    add(
        "exp-006 eval, search 'password', false alarms",
        "Error analysis",
        run=eval_6,
        q="password",
        cell="true ham → predicted phishing",
    )
    add("defaults", "Threshold & cost")
    add(
        "exp-004 eval, FN cost 5, target recall 0.99",
        "Threshold & cost",
        run=eval_4,
        fn_cost="5",
        fp_cost="1",
        recall="0.99",
        point="target recall",
    )
    add("exp-002 eval, logged threshold", "Threshold & cost", run=eval_2, point="logged")
    add("exp-006 eval, custom threshold 0.42", "Threshold & cost", run=eval_6, point="custom", t="0.42")
    add("defaults", "Calibration")
    add("exp-001 and exp-006, 15 quantile bins", "Calibration", runs=[eval_1, eval_6], bins="15", strategy="quantile")
    add("defaults", "Where errors concentrate")
    add(
        "exp-002 eval, FN rate, slices of 50+, with outputs",
        "Where errors concentrate",
        run=eval_2,
        target="FN rate",
        min_rows="50",
        outputs="true",
    )
    add("exp-006 eval, n-grams", "Where errors concentrate", run=eval_6, view="n-grams")
    add("exp-004 eval, error tree of depth 2", "Where errors concentrate", run=eval_4, view="error tree", depth="2")
    add("defaults", "Run vs run")
    add("exp-001 against exp-006, fixed", "Run vs run", run=eval_1, run_b=eval_6, status="fixed")
    add("exp-002 against exp-004, still wrong", "Run vs run", run=eval_2, run_b=eval_4, status="still wrong")
    add("defaults", "Stacked tables")
    add("by run", "Stacked tables", by="run")
    return cases


@contextlib.contextmanager
def page_env(work: Path, store: Path) -> Iterator[None]:
    """os.environ as `make run` sets it for the demo (WBVIEW_STORE), restored afterwards."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(child_env(work), WBVIEW_STORE=str(store))
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _clear_streamlit_caches() -> None:
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    from wbview.ui import loaders

    loaders.TABLES.clear()  # the tables every session shares


def capture_pages(work: Path, store: Path, norm: Normaliser, runs: DemoRuns) -> dict[str, Any]:
    from streamlit.testing.v1 import AppTest

    paths = app_pages()
    results: dict[str, Any] = {"app.py pages": list(paths)}
    with page_env(work, store):
        _clear_streamlit_caches()
        try:
            for name, case in page_cases(runs).items():
                at = AppTest.from_file(str(APP), default_timeout=PAGE_TIMEOUT_S)
                for key, value in case.params.items():
                    at.query_params[key] = value
                at.switch_page(paths[case.title])  # a deep link: the first run is on this page
                at.run()
                results[name] = capture_page(at, case, norm)
        finally:
            _clear_streamlit_caches()
    return results


_BLOCKS_WITH_LABELS = {"expander", "tab", "popover"}
_TEXT_KINDS = {
    "title",
    "header",
    "subheader",
    "markdown",
    "caption",
    "divider",
    "latex",
    "text",
    "code",
    "info",
    "warning",
    "success",
    "error",
    "json",
}


def capture_page(at: Any, case: PageCase, norm: Normaliser) -> dict[str, Any]:
    shown: list[Any] = []
    for area in ("main", "sidebar"):
        block = getattr(at, area)
        _walk(block, area, shown, norm)
    return {"url_in": norm.plain(case.params), "url_out": norm.plain(dict(sorted(at.query_params.items()))), "shown": shown}


def _walk(node: Any, area: str, out: list[Any], norm: Normaliser) -> None:
    children = getattr(node, "children", None)
    if children is not None:  # a block
        kind = getattr(node, "type", None)
        if kind in _BLOCKS_WITH_LABELS:
            out.append({"kind": kind, "label": norm.text(str(node.label)), "area": area})
        for child in children.values():
            _walk(child, area, out, norm)
        return
    element = _element(node, norm)
    if element is not None:
        out.append({**element, "area": area})


def _element(node: Any, norm: Normaliser) -> dict[str, Any] | None:
    kind = getattr(node, "type", type(node).__name__)
    if kind in _TEXT_KINDS:
        return {"kind": kind, "text": norm.plain(node.value)}
    if kind == "exception":
        return {"kind": kind, "message": norm.text(node.proto.message)}
    if kind == "metric":
        return {
            "kind": kind,
            "label": norm.text(node.proto.label),
            "value": norm.text(node.proto.body),
            "delta": norm.text(node.proto.delta),
        }
    if kind in ("dataframe", "table", "arrow_data_frame"):
        return {"kind": kind, **norm.frame(node.value)}
    if kind == "plotly_chart":
        return {"kind": kind, "figure": plotly_numbers(json.loads(node.proto.spec), norm)}
    if kind == "vega_lite_chart":  # the numbers it draws (its table) and its spec
        import pyarrow as pa

        data = node.proto.data.data
        frame = pa.ipc.open_stream(data).read_all().to_pandas() if data else None
        chart: dict[str, Any] = {"kind": kind, "spec": _reduce(json.loads(node.proto.spec), norm)}
        return chart | ({"data": norm.frame(frame)} if frame is not None else {})
    if kind == "html":  # what it shows: its text and tooltips (the histograms' counts are in these)
        return {"kind": kind, **_html_text(node.proto.body, norm)}
    if kind == "page_link":
        return {
            "kind": kind,
            "label": norm.text(node.proto.label),
            "page": norm.text(node.proto.page),
            "query": norm.text(node.proto.query_string),
        }
    if kind == "link_button":
        return {"kind": kind, "label": norm.text(node.proto.label), "url": norm.text(node.proto.url)}
    if kind in ("button", "download_button"):
        return {"kind": kind, "label": norm.text(node.proto.label)}
    if hasattr(node, "value") and hasattr(node, "label"):  # any other widget: what it shows and holds
        return {"kind": kind, "label": norm.text(str(node.label)), "value": norm.plain(_widget_value(node))}
    return {"kind": kind}


def _html_text(body: str, norm: Normaliser) -> dict[str, list[str]]:
    from html.parser import HTMLParser

    class Reader(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.texts: list[str] = []
            self.titles: list[str] = []
            self.in_style = False

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.in_style = tag == "style"
            self.titles += [value or "" for name, value in attrs if name == "title"]

        def handle_endtag(self, tag: str) -> None:
            self.in_style = False

        def handle_data(self, data: str) -> None:
            if not self.in_style and data.strip():
                self.texts.append(data)

    reader = Reader()
    reader.feed(body)
    return {"text": [norm.text(t) for t in reader.texts], "titles": [norm.text(t) for t in reader.titles]}


def _widget_value(node: Any) -> Any:
    value = node.value
    return list(value) if isinstance(value, (list, tuple)) else value


def plotly_numbers(spec: dict[str, Any], norm: Normaliser) -> dict[str, Any]:
    """A Plotly figure as the numbers and texts it draws: the theme template left out, typed
    arrays decoded, floats rounded, long arrays digested."""
    layout = dict(spec.get("layout", {}))
    layout.pop("template", None)
    return {"data": [_reduce(trace, norm) for trace in spec.get("data", [])], "layout": _reduce(layout, norm)}


def _reduce(value: Any, norm: Normaliser) -> Any:
    if isinstance(value, dict):
        if "bdata" in value and "dtype" in value:  # Plotly's base64 typed array
            import numpy as np

            array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
            if "shape" in value:
                shape = [int(n) for n in str(value["shape"]).split(",")]
                array = array.reshape(shape)
            return _reduce(array.tolist(), norm)
        return {k: _reduce(v, norm) for k, v in sorted(value.items()) if k != "uid"}
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            return norm.summary(value)
        reduced = [_reduce(v, norm) for v in value]
        return reduced if len(reduced) <= MAX_LISTED else {"n": len(reduced), "head": reduced[:5], "sha256": digest(reduced)}
    return norm.plain(value)


# --- both ---------------------------------------------------------------------------------------


@dataclass
class Capture:
    cli: dict[str, Any]
    pages: dict[str, Any]


def capture_all(work: Path) -> Capture:
    """Build the demo in ``work`` and capture the CLI's and the pages' outputs on it."""
    work = Path(work)
    store = build_demo_store(work)
    norm = Normaliser()
    norm.add_path(store, "<STORE>")
    norm.add_path(work, "<WORK>")
    runs = demo_runs(work, store)
    return Capture(cli=capture_cli(work, store, norm, runs), pages=capture_pages(work, store, norm, runs))


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Record wbview's golden CLI and page outputs on the demo store.")
    parser.add_argument("--out", type=Path, default=GOLDEN_DIR, help="folder for cli.json and pages.json")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="wbview-golden-"))
    try:
        captured = capture_all(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / CLI_GOLDEN.name).write_text(dumps(captured.cli), "utf-8")
    (args.out / PAGES_GOLDEN.name).write_text(dumps(captured.pages), "utf-8")
    print(
        f"wrote {args.out / CLI_GOLDEN.name} ({len(captured.cli)} cases) and {args.out / PAGES_GOLDEN.name} "
        f"({len(captured.pages) - 1} page views)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
