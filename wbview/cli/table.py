"""`wbview table`: list a run's eval tables, or save one to Parquet or CSV."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

from wbview.cli.options import add_source_options, open_source, split_item
from wbview.cli.output import format_table, print_json
from wbview.errors import UsageError, WbviewError


def cmd_table(args: argparse.Namespace) -> int:
    project, run_id = split_item(args.run, "RUN_ID")
    if args.out and Path(args.out).suffix.lower() not in (".parquet", ".csv"):
        raise UsageError(f"--out {args.out!r}: the file name must end in .parquet or .csv.")
    source = open_source(args)
    refs = source.tables(project, run_id)
    if not args.out:
        if not refs:  # an answer, not a failure (like `wbview runs` matching nothing): exit 0, said on stderr
            if args.json:
                print_json([])
            print(f"Run {run_id} in {project} logged no tables.", file=sys.stderr)
            return 0
        if args.json:
            print_json([dataclasses.asdict(ref) | {"truncated": ref.truncated} for ref in refs])
        else:
            rows = [[r.key, r.artifact, r.entry, r.nrows, "yes" if r.truncated else ""] for r in refs]
            print(format_table(["key", "artifact", "entry", "rows", "truncated"], rows, max_width=60))
        return 0
    out = Path(args.out)
    ref = _choose_table(refs, args.key, run_id)
    loaded = source.load_table(project, ref)
    _write_frame(loaded.frame, out)
    result = {"out": str(out), "key": ref.key, "rows": len(loaded.frame), "total_rows": loaded.total_rows,
              "truncated": loaded.truncated, "source_format": loaded.source_format}
    if args.json:
        print_json(result)
    else:
        print(f"Wrote {len(loaded.frame):,} rows of {ref.key!r} to {out}. {loaded.note if loaded.truncated else ''}".rstrip())
    return 0


def _choose_table(refs: list, key: str | None, run_id: str):
    from wbview.errors import TableNotFound

    keys = ", ".join(sorted({r.key for r in refs})) or "none"
    if key is None:
        if len(refs) == 1:
            return refs[0]
        if not refs:
            raise TableNotFound(f"Run {run_id} logged no tables.")
        raise UsageError(f"Run {run_id} logged several tables; name one as KEY: {keys}.")
    matching = [r for r in refs if r.key == key] or [r for r in refs if r.key.endswith("/" + key) or r.artifact.split(":")[0] == key]
    if not matching:
        raise TableNotFound(f"Run {run_id} logged no table {key!r}. Tables it logged: {keys}.")
    # Prefer a companion copy (it has every row) over the run_table copy of the same key.
    return sorted(matching, key=lambda r: (r.parquet_entry is None, r.truncated))[0]


def _write_frame(frame: Any, out: Path) -> None:
    from wbview.errors import BadTable

    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WbviewError(
            f"Could not create the folder {out.parent} for --out: {exc.strerror or exc}. Choose a folder you can write to."
        ) from None
    try:
        if out.suffix.lower() == ".csv":
            frame.to_csv(out, index=False)
        else:
            frame.to_parquet(out, index=False)
    except (ValueError, TypeError, ImportError) as exc:
        raise BadTable(f"Could not write {out}: {exc}. Try --out with a .csv name (media columns are written as text).") from None
    except OSError as exc:
        raise WbviewError(f"Could not write {out}: {exc.strerror or exc}.") from None


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "table", help="list a run's eval tables, or save one to Parquet/CSV",
        description=(
            "Without --out: list the tables RUN_ID logged. With --out: load table KEY (optional when the run "
            "logged one table) and write it to FILE.parquet or FILE.csv. The true row count is reported, and "
            "whether the table was truncated at log time."
        ),
    )
    parser.add_argument("run", metavar="ENTITY/PROJECT/RUN_ID")
    parser.add_argument("key", nargs="?", metavar="KEY", help="the key the table was logged under, e.g. eval/predictions")
    parser.add_argument("--out", metavar="FILE", help="FILE.parquet or FILE.csv")
    parser.add_argument("--json", action="store_true", help="print JSON")
    add_source_options(parser)
    parser.set_defaults(handler=cmd_table)
