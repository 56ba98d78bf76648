"""The architecture, checked where import-linter cannot: no import cycles between
modules, and importing a library module loads no heavy dependency. The layering itself
is the import-linter contract in pyproject.toml (`make lint`)."""

from __future__ import annotations

import subprocess
import sys

import grimp
import pytest

from tests.paths import REPO


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in sorted(graph.find_modules_directly_imported_by(module)):
            if not other.startswith("wbview"):
                continue
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph.modules):
        if module.startswith("wbview") and module not in index:
            visit(module)
    return found


def test_no_import_cycles():
    sys.setrecursionlimit(10_000)
    graph = grimp.build_graph("wbview", exclude_type_checking_imports=True, cache_dir=None)
    # A package's __init__ re-exporting its own modules is not a cycle of design.
    cycles = [c for c in _cycles(graph) if not all(m.startswith(c[0]) for m in c)]
    assert cycles == []


@pytest.mark.parametrize(
    "module, forbidden",
    [
        ("wbview.analysis", ("wandb", "streamlit")),
        # wbview.companion.hf subclasses transformers' TrainerCallback, so it is skipped below.
        ("wbview.companion", ("streamlit", "wandb", "torch", "transformers")),
        ("wbview.formats", ("wandb", "streamlit")),
        ("wbview.sources", ("wandb", "streamlit")),
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
