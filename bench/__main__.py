"""Run every benchmark module in this folder (bench_*.py), each through its main().

Each comparison prints one line:
  bench: <name>: ours=<value> <unit> baseline=<value> <unit> ratio=<baseline/ours>
Pass module names to run a subset: python -m bench store companion
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_"))
    if argv:
        names = [n for n in names if n.removeprefix("bench_") in argv or n in argv]
    failed = 0
    for name in names:
        started = time.perf_counter()
        print(f"# {name}", flush=True)
        try:
            importlib.import_module(f"bench.{name}").main()
        except Exception as exc:  # report and go on with the other benchmarks
            failed += 1
            print(f"# {name} FAILED: {type(exc).__name__}: {exc}", flush=True)
        print(f"# {name} took {time.perf_counter() - started:.1f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
