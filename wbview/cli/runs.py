"""`wbview runs`: the runs of a project that match every filter."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from wbview.cli.options import (
    FILTER_HELP,
    add_run_filter_options,
    add_source_options,
    open_source,
    positive_int,
    run_filter_from_args,
    split_project,
    warn_unknown_states,
)
from wbview.cli.output import format_table, print_json

if TYPE_CHECKING:
    from wbview.filters import RunFilter
    from wbview.sources.base import Source


def cmd_runs(args: argparse.Namespace) -> int:
    project = split_project(args.project)
    run_filter = run_filter_from_args(args)
    warn_unknown_states(run_filter.states)
    runs, run_filter = _query_runs(open_source(args), project, run_filter)
    if args.limit:
        runs = runs[: args.limit]
    if args.json:
        print_json([run.to_json() for run in runs])
        return 0
    extra = [(c.field, c.keys, c.path_text) for c in run_filter.conditions]
    headers = ["id", "name", "job_type", "group", "state", "created_at", "tags", *dict.fromkeys(e[2] for e in extra)]
    rows = []
    for run in runs:
        values = []
        for field, keys, _label in dict.fromkeys(extra):
            node: Any = run.config if field == "config" else run.summary
            for key in keys:
                node = node.get(key) if isinstance(node, dict) else None
            values.append(node)
        created = run.created_at.strftime("%Y-%m-%d %H:%M") if run.created_at else None
        rows.append([run.id, run.name, run.job_type, run.group, run.state, created, run.tags, *values])
    print(format_table(headers, rows))
    print(f"{len(runs)} run(s)", file=sys.stderr)
    return 0


def _query_runs(source: Source, project: str, run_filter: RunFilter) -> tuple[list, RunFilter]:
    """The runs ``run_filter`` matches and the filter as applied; a key no run has is
    resolved (a flat key with dots) or named with the closest keys on stderr, never an
    unexplained empty list."""
    from wbview.filters import KEY_SAMPLE_RUNS, query_runs

    def sample() -> tuple[list, int | None]:
        latest = source.runs_page(project, limit=KEY_SAMPLE_RUNS)  # never every run of a big project
        return list(latest.runs), latest.total

    runs, check = query_runs(lambda f: source.runs(project, f), run_filter, sample)
    for note in check.notes:
        print(f"wbview: note: {note}", file=sys.stderr)
    return runs, check.run_filter


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "runs",
        help="list the runs of a project, filtered",
        description="List the runs of ENTITY/PROJECT that match every filter, newest first.",
        epilog=FILTER_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("project", metavar="ENTITY/PROJECT")
    add_run_filter_options(parser)
    parser.add_argument("--limit", type=positive_int, metavar="N", help="show at most N runs (N >= 1; leave it out for all)")
    parser.add_argument("--json", action="store_true", help="print a JSON array of runs")
    add_source_options(parser)
    parser.set_defaults(handler=cmd_runs)
