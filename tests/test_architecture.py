"""The architecture, checked: data sources -> pure analysis -> thin pages, one direction only."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "wbview"

# Modules allowed to import wandb: the reading data source, and the companion (it logs).
WANDB_ALLOWED = ("wbview/sources/wandb_api.py", "wbview/companion/")
STREAMLIT_ALLOWED = ("wbview/ui/",)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _package_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _rel(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def _top(names: set[str]) -> set[str]:
    return {n.split(".")[0] for n in names}


@pytest.mark.parametrize("path", _package_files(), ids=_rel)
def test_only_allowed_modules_import_wandb_or_streamlit(path):
    rel = _rel(path)
    top = _top(_imports(path))
    if "wandb" in top:
        assert rel.startswith(WANDB_ALLOWED), f"{rel} imports wandb; only {WANDB_ALLOWED} may"
    if "streamlit" in top:
        assert rel.startswith(STREAMLIT_ALLOWED), f"{rel} imports streamlit; only {STREAMLIT_ALLOWED} may"


@pytest.mark.parametrize("path", sorted((PACKAGE / "analysis").glob("*.py")), ids=_rel)
def test_analysis_depends_on_no_source_or_ui(path):
    wbview_imports = {n for n in _imports(path) if n.startswith("wbview.")}
    bad = {n for n in wbview_imports if n.startswith(("wbview.sources", "wbview.ui", "wbview.cli", "wbview.companion"))}
    assert not bad, f"{_rel(path)} imports {bad}: analysis takes plain DataFrames and records only"


@pytest.mark.parametrize("path", sorted((REPO / "pages").glob("*.py")) + [REPO / "app.py"], ids=_rel)
def test_pages_never_import_wandb(path):
    assert "wandb" not in _top(_imports(path)), f"{_rel(path)} imports wandb: pages go through wbview.sources"


@pytest.mark.parametrize(
    "module, forbidden",
    [
        ("wbview.analysis", ("wandb", "streamlit")),
        # wbview.companion.hf subclasses transformers' TrainerCallback, so it is skipped below.
        ("wbview.companion", ("streamlit", "wandb", "torch", "transformers")),
        ("wbview.sources.store", ("wandb", "streamlit")),
        ("wbview.cli", ("wandb", "streamlit")),
        ("wbview.records", ("wandb", "streamlit", "pandas")),
    ],
)
def test_importing_loads_no_heavy_dependency(module, forbidden):
    """Library modules import neither streamlit nor wandb at import time."""
    code = (
        "import importlib, pkgutil, sys\n"
        f"mod = importlib.import_module({module!r})\n"
        "if hasattr(mod, '__path__'):\n"
        "    for info in pkgutil.walk_packages(mod.__path__, mod.__name__ + '.'):\n"
        "        if info.name != 'wbview.companion.hf':\n"
        "            importlib.import_module(info.name)\n"
        f"print(','.join(sorted(n for n in {forbidden!r} if n in sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    loaded = result.stdout.strip()
    assert loaded == "", f"importing {module} loaded {loaded}"
