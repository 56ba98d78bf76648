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
            rows = [[r.key, r.artifact, r.entry, r.step, r.nrows, _table_remark(r)] for r in refs]
            print(format_table(["key", "artifact", "entry", "step", "rows", "remark"], rows, max_width=60))
        return 0
    out = Path(args.out)
    ref = choose_table(refs, args.key, run_id, getattr(args, "artifact", None))
    loaded = source.load_table(project, ref)
    notes = _write_frame(loaded.frame, out)
    notes = [*loaded.notes, *notes]
    result = {
        "out": str(out),
        "key": ref.key,
        "artifact": ref.artifact,
        "step": ref.step,
        "rows": len(loaded.frame),
        "total_rows": loaded.total_rows if loaded.total_known else None,
        "truncated": loaded.truncated,
        "source_format": loaded.source_format,
        "notes": notes,
    }
    if args.json:
        print_json(result)
    else:
        head = loaded.row_note if (loaded.truncated or not loaded.total_known) else ""
        print(f"Wrote {len(loaded.frame):,} rows of {ref.key!r} ({ref.artifact}) to {out}. {head}".rstrip())
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
    return 0


def _table_remark(ref: Any) -> str:
    remarks = [] if ref.latest else ["older version"]
    if ref.eval_backend == "weave":
        remarks.append("W&B EvalTable: rows in Weave, loaded with wbview[weave]")
    elif ref.eval_backend == "ces":
        remarks.append("W&B EvalTable: rows in CES, not readable")
    elif ref.kind != "table":
        remarks.append(ref.kind)
    if ref.truncated:
        remarks.append("truncated")
    return ", ".join(remarks)


def choose_table(refs: list, key: str | None, run_id: str, artifact: str | None = None):
    """The table KEY names (optional when the run logged one); ``artifact`` ("NAME" or
    "NAME:VERSION") picks among several. Versions of one artifact: the latest by default;
    tables in different artifacts under one key: a UsageError (exit 2) listing each."""
    from wbview.errors import TableNotFound

    keys = ", ".join(sorted({r.key for r in refs})) or "none"
    if artifact:
        name, _, version = artifact.partition(":")
        refs = [r for r in refs if r.artifact.split(":")[0] == name and (not version or r.artifact.split(":")[1] == version)]
        if not refs:
            raise TableNotFound(f"Run {run_id} logged no table in artifact {artifact!r}. Tables it logged: {keys}.")
    if key is None:
        matching = refs
        if not refs:
            raise TableNotFound(f"Run {run_id} logged no tables.")
        if len({r.key for r in refs}) > 1:
            raise UsageError(f"Run {run_id} logged several tables; name one as KEY: {keys}.")
    else:
        matching = [r for r in refs if r.key == key] or [
            r for r in refs if r.key.endswith("/" + key) or r.artifact.split(":")[0] == key
        ]
        if not matching:
            raise TableNotFound(f"Run {run_id} logged no table {key!r}. Tables it logged: {keys}.")
    if artifact and ":" in artifact:
        return matching[0]
    collections = {r.artifact.split(":")[0] for r in matching}
    if len(collections) > 1:
        # A companion copy (every row, in Parquet) of wandb's run_table copy is the same table.
        companions = {r.artifact.split(":")[0] for r in matching if r.parquet_entry}
        if len(companions) != 1:
            listing = "; ".join(
                f"{r.artifact} (step {r.step if r.step is not None else 'unknown'}, entry {r.entry})" for r in matching
            )
            raise UsageError(
                f"Run {run_id} logged several tables under {matching[0].key!r}: {listing}. Pick one with "
                f"--artifact NAME[:VERSION], e.g. --artifact {matching[0].artifact}."
            )
        matching = [r for r in matching if r.artifact.split(":")[0] in companions]
    # Versions of one artifact: the latest the run logged.
    return max(matching, key=lambda r: (r.latest, _version_index(r.artifact)))


def _version_index(artifact_id: str) -> int:
    digits = artifact_id.rpartition(":")[2].lstrip("v")
    return int(digits) if digits.isdigit() else -1


def _write_frame(frame: Any, out: Path) -> list[str]:
    """Write ``frame`` to ``out`` (.csv or .parquet); returns notes on what had to change
    (columns of mixed types are written to Parquet as text)."""
    from wbview.errors import BadTable

    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WbviewError(
            f"Could not create the folder {out.parent} for --out: {exc.strerror or exc}. Choose a folder you can write to."
        ) from None
    notes: list[str] = []
    try:
        if out.suffix.lower() == ".csv":
            from wbview.analysis.rows import to_csv_bytes

            # formula-like cells and headers neutralised, nested cells as JSON (as the dashboard does)
            out.write_bytes(to_csv_bytes(frame))
        else:
            from wbview.formats.tableshapes import parquet_ready

            ready = parquet_ready(frame)
            ready.frame.to_parquet(out, index=False)
            notes = ready.notes
    except (ValueError, TypeError, ImportError) as exc:
        raise BadTable(f"Could not write {out}: {exc}. Try --out with a .csv name (media columns are written as text).") from None
    except OSError as exc:
        raise WbviewError(f"Could not write {out}: {exc.strerror or exc}.") from None
    return notes


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "table",
        help="list a run's eval tables, or save one to Parquet/CSV",
        description=(
            "Without --out: list the tables RUN_ID logged. With --out: load table KEY (optional when the run "
            "logged one table) and write it to FILE.parquet or FILE.csv. The true row count is reported, and "
            "whether the table was truncated at log time."
        ),
    )
    parser.add_argument("run", metavar="ENTITY/PROJECT/RUN_ID")
    parser.add_argument("key", nargs="?", metavar="KEY", help="the key the table was logged under, e.g. eval/predictions")
    parser.add_argument("--out", metavar="FILE", help="FILE.parquet or FILE.csv")
    parser.add_argument(
        "--artifact",
        metavar="NAME[:VERSION]",
        help="the artifact (and version) holding the table, when several hold KEY; default: the latest version",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    add_source_options(parser)
    parser.set_defaults(handler=cmd_table)
