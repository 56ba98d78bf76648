"""Run every benchmark module in this folder (bench_*.py), each through its main() in a
process of its own (no state leaks from one benchmark into the next).

Lines printed:
  bench: <name>: ours=<value> <unit> baseline=<value> <unit> ratio=<baseline/ours>
  target: <name>: ours=<value> s limit=<value> s met|MISSED     (a budget, not a baseline)
Pass module names to run a subset: python -m bench store companion
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_"))
    if argv:
        names = [n for n in names if n.removeprefix("bench_") in argv or n in argv]
    failed = []
    for name in names:
        started = time.perf_counter()
        print(f"# {name}", flush=True)
        code = f"import bench.{name} as m; m.main()"
        result = subprocess.run([sys.executable, "-c", code], cwd=ROOT)
        if result.returncode:
            failed.append(name)
            print(f"# {name} FAILED (exit {result.returncode})", flush=True)
        print(f"# {name} took {time.perf_counter() - started:.1f} s", flush=True)
    if failed:
        print(f"# failed: {', '.join(failed)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
