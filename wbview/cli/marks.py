"""`wbview marks`: the triage marks people saved on a run's eval table (in the
dashboard's Error analysis), as a text table or JSON."""

from __future__ import annotations

import argparse
import sys

from wbview.analysis import marks as mk
from wbview.cli.options import add_source_options, open_source, split_item
from wbview.cli.output import format_table, print_json
from wbview.cli.table import choose_table


def plain(text: object) -> str:
    """Data as one line of plain text: control characters (terminal escapes) become spaces."""
    return "".join(c if c.isprintable() else " " for c in str(text))


def cmd_marks(args: argparse.Namespace) -> int:
    project, run_id = split_item(args.run, "RUN_ID")
    source = open_source(args)
    ref = choose_table(source.tables(project, run_id), args.table, run_id)
    saved = mk.merge([source.load_marks(project, ref)])
    shown = saved if args.all else mk.current(saved)
    if args.json:
        print_json(
            {
                "run": run_id,
                "table": ref.key,
                "artifact": ref.artifact,
                "saved": len(saved),
                "tags": mk.tag_counts(saved),
                "marks": [m.to_dict() for m in shown],
            }
        )
        return 0
    if not shown:
        print(f"No marks on {ref.key!r} of run {run_id} ({ref.artifact}).", file=sys.stderr)
        return 0
    rows = [[plain(m.row), m.key_kind, m.tag, plain(m.author), m.created_at[:19].replace("T", " "), plain(m.note)] for m in shown]
    print(format_table(["row", "key", "tag", "author", "saved (UTC)", "note"], rows, max_width=60))
    counts = ", ".join(f"{tag}: {n:,}" for tag, n in mk.tag_counts(saved).items())
    what = "every saved mark" if args.all else "the latest mark of each author on each row"
    print(f"{len(shown):,} marks ({what}); {len(saved):,} saved in all. Rows per tag: {counts}.", file=sys.stderr)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "marks",
        help="list the triage marks saved on a run's eval table",
        description=(
            "List the marks (tag, note, author, time) people saved on rows of RUN_ID's eval table in the "
            "dashboard's Error analysis: by default the latest mark of each author on each row; --all lists "
            "every save (saves are append-only). Rows are sample ids, or row positions (key 'row') when the "
            "table has no id column."
        ),
    )
    parser.add_argument("run", metavar="ENTITY/PROJECT/RUN_ID")
    parser.add_argument(
        "--table", metavar="KEY", help="the table's key, e.g. eval/predictions (optional when the run logged one)"
    )
    parser.add_argument("--all", action="store_true", help="every saved mark, not only the latest per author and row")
    parser.add_argument("--json", action="store_true", help="print JSON")
    add_source_options(parser)
    parser.set_defaults(handler=cmd_marks)
