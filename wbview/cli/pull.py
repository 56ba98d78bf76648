"""`wbview pull`: copy a project (or the runs a filter selects) into a local store
(the engine is ``wbview.sources.store.sync``; this is its command line)."""

from __future__ import annotations

import argparse
import sys

from wbview.cli.options import (
    FILTER_HELP,
    add_run_filter_options,
    add_timeout_option,
    open_source,
    run_filter_from_args,
    split_project,
)
from wbview.errors import WbviewError
from wbview.sources.base import Progress
from wbview.sources.store.store import Store
from wbview.sources.store.sync import TABLES_ALL, pull


def stderr_progress(prefix: str) -> Progress:
    """A Progress callback printing one line per step to stderr."""

    def show(message: str, done: int, total: int | None) -> None:
        count = f"{done}/{total} " if total else ""
        print(f"{prefix}: {count}{message}", file=sys.stderr, flush=True)

    return show


def cmd_pull(args: argparse.Namespace) -> int:
    """`wbview pull ENTITY/PROJECT --store DIR [filters] [--tables ...]`."""
    project = split_project(args.project)
    run_filter = run_filter_from_args(args)
    store = Store(args.store)
    # the W&B source (or the one a test injected), never the store being written, and
    # not through the user cache: the store itself keeps what is pulled (no second copy)
    source = open_source(
        argparse.Namespace(_source=getattr(args, "_source", None), store=None, timeout=args.timeout, no_cache=True)
    )
    try:
        report = pull(
            source,
            store,
            project,
            run_filter,
            tables=args.tables,
            history=args.history,
            progress=stderr_progress(f"pull {project}"),
        )
    except KeyboardInterrupt:
        print(f"pull {project}: interrupted; run the same command again to resume.", file=sys.stderr, flush=True)
        raise
    print(f"pull {project}: done: {report.summary()} -> {store.root}", file=sys.stderr, flush=True)
    if report.failures:
        for failure in report.failures:
            print(f"pull {project}: not copied: {failure}", file=sys.stderr, flush=True)
        raise WbviewError(
            f"some items failed: {len(report.failures)} table(s) could not be copied (listed above); everything "
            "else is in the store. Run the same command again to retry them, or leave them out with --tables."
        )
    return 0


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``pull`` command to the wbview command line."""
    parser = subparsers.add_parser(
        "pull",
        help="copy a W&B project (runs, artifacts, lineage, eval tables) into a local store",
        description=(
            "Copy runs, their artifact versions (lineage), histories and eval tables into a local store for "
            "offline review. Interrupted, it resumes; run again, it fetches only what changed. Then read the "
            "store with any command's --store DIR, or open the dashboard on it."
        ),
        epilog=FILTER_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("project", metavar="ENTITY/PROJECT")
    parser.add_argument("--store", required=True, metavar="DIR", help="the store to write (created if missing)")
    add_run_filter_options(parser)
    parser.add_argument(
        "--tables",
        nargs="+",
        default=[TABLES_ALL],
        metavar="all|none|KEY",
        help="eval tables to copy: all (default), none, or the keys they were logged under (e.g. eval/predictions)",
    )
    parser.add_argument("--no-history", dest="history", action="store_false", help="do not copy metric histories")
    add_timeout_option(parser)
    parser.set_defaults(handler=cmd_pull)
    return parser
