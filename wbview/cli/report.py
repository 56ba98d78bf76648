"""``wbview report RUN [RUN_B ...] --out review.html``: one self-contained HTML file with the
review of RUN's eval table (``wbview.analysis.review``, rendered by ``wbview.report.html``),
every further run compared against it, and the link that reopens the view live."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wbview.cli.gate import scored_dataset
from wbview.cli.options import add_source_options, open_source, split_item
from wbview.cli.table import choose_table
from wbview.errors import UsageError, WbviewError

if TYPE_CHECKING:
    from wbview.analysis.review import RunInput
    from wbview.sources.base import Source

DEFAULT_APP_URL = "http://localhost:8501"


def _artifacts(source: Source, project: str, run_id: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """The artifacts a run used and logged: id -> (type, metadata); unreadable ones left out."""
    lineage = source.run_artifacts(project, run_id)
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for name in (*lineage.used, *lineage.logged):
        try:
            version = source.artifact(project, name)
        except WbviewError:
            continue
        found[name] = (version.type, dict(version.metadata))
    return found


def load_run(source: Source, run_path: str, key: str | None) -> tuple[RunInput, str]:
    """One run's side of the review, and its table's picker value (``artifact/entry``)."""
    from wbview.analysis.prepare import prepare
    from wbview.analysis.review import RunInput

    project, run_id = split_item(run_path, "RUN_ID")
    ref = choose_table(source.tables(project, run_id), key, run_id)
    loaded = source.load_table(project, ref)
    run = RunInput(
        label=run_path,
        table=prepare(loaded.frame),
        table_key=ref.key,
        artifact=ref.artifact,
        total_rows=loaded.total_rows,
        truncated=loaded.truncated,
        dataset=scored_dataset(source, project, run_id),
        artifacts=_artifacts(source, project, run_id),
        marks=_marks(source, project, ref),
    )
    return run, f"{ref.artifact}/{ref.entry}"


def _marks(source: Source, project: str, ref: Any) -> tuple[Any, ...]:
    """The triage marks saved on the table (the review's marks section); a source that
    cannot read them gets a note, and the review goes on without them."""
    try:
        return tuple(source.load_marks(project, ref))
    except WbviewError as exc:
        print(f"note: the review leaves out the triage marks: {exc}", file=sys.stderr)
        return ()


def source_spec(args: argparse.Namespace) -> str:
    """The dashboard's ``?source=`` for the data this report read."""
    return f"store:{os.path.abspath(args.store)}" if getattr(args, "store", None) else "wandb"


def cmd_report(args: argparse.Namespace) -> int:
    from wbview.analysis.review import Link, build_review, live_link
    from wbview.report.html import render_html

    if args.fn_cost < 0 or args.fp_cost < 0:
        raise UsageError("--fn-cost and --fp-cost must be non-negative.")
    if args.threshold is not None and not 0.0 <= args.threshold <= 1.0:
        raise UsageError(f"--threshold must lie between 0 and 1, got {args.threshold:g}.")
    out = Path(args.out)
    if out.is_dir():
        raise UsageError(f"--out {args.out!r} is a directory; give a file name such as review.html.")
    if not out.parent.exists():
        raise UsageError(f"--out {args.out!r}: the folder {str(out.parent)!r} does not exist.")
    source = open_source(args)
    loaded = [load_run(source, path, args.table) for path in args.runs]
    runs = [run for run, _ in loaded]
    project, run_id = split_item(args.runs[0], "RUN_ID")
    spec = source_spec(args)
    links = [Link("Error analysis", live_link(args.app_url, spec, project, run_id, loaded[0][1]))]
    links.append(
        Link(
            "Threshold & cost",
            live_link(
                args.app_url,
                spec,
                project,
                run_id,
                loaded[0][1],
                threshold=args.threshold,
                fn_cost=args.fn_cost,
                page="threshold",
            ),
        )
    )
    for path, (_, table_b) in zip(args.runs[1:], loaded[1:], strict=False):
        project_b, run_b = split_item(path, "RUN_ID")
        if project_b == project:
            links.append(
                Link(
                    f"Run vs run ({path})",
                    live_link(args.app_url, spec, project, run_id, loaded[0][1], run_b=run_b, table_b=table_b, page="run_diff"),
                )
            )
    review = build_review(runs, threshold=args.threshold, fn_cost=args.fn_cost, fp_cost=args.fp_cost, links=links)
    document = render_html(review)
    out.write_text(document, encoding="utf-8")
    print(
        f"wrote {out} ({len(document.encode('utf-8')):,} bytes): review of {args.runs[0]}"
        + (f" against {', '.join(args.runs[1:])}" if len(args.runs) > 1 else ""),
        file=sys.stderr,
    )
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Add ``wbview report RUN [RUN_B ...] --out FILE`` to the command line."""
    parser = subparsers.add_parser(
        "report",
        help="write a self-contained HTML review of a run's eval table (opens with no connection)",
        description=(
            "Write ONE HTML file with the review of RUN's eval table: headline metrics per class, confusion matrix, "
            "errors against the rest column by column, false-negative focus (likely label errors apart), the top "
            "slices with their intervals, threshold and cost at the chosen point, calibration with ECE, each RUN_B "
            "against RUN with the lineage dataset check, metadata completeness of the artifacts involved, and the "
            "link that reopens the view in the dashboard. No script and no external file: it opens from disk "
            "offline."
        ),
    )
    parser.add_argument(
        "runs", nargs="+", metavar="RUN", help="ENTITY/PROJECT/RUN_ID of the reviewed run, then any runs to compare against it"
    )
    parser.add_argument("--out", required=True, metavar="FILE", help="the HTML file to write, e.g. review.html")
    parser.add_argument(
        "--table", metavar="KEY", help="the table key, e.g. eval/predictions (optional when each run logged one table)"
    )
    parser.add_argument(
        "--threshold",
        type=float,
        metavar="T",
        help="the operating point to report (default: the logged predictions' threshold, else 0.5)",
    )
    parser.add_argument("--fn-cost", type=float, default=1.0, metavar="C", help="cost of a missed positive (default 1)")
    parser.add_argument("--fp-cost", type=float, default=1.0, metavar="C", help="cost of a false alarm (default 1)")
    parser.add_argument(
        "--app-url",
        default=DEFAULT_APP_URL,
        metavar="URL",
        help=f"where the dashboard runs, for the live link (default {DEFAULT_APP_URL})",
    )
    add_source_options(parser)
    parser.set_defaults(handler=cmd_report)
    return parser
