"""`wbview upload FOLDER`: upload eval tables that the companion kept locally because
W&B was off, unreachable or stopped answering (the engine is
``wbview.companion.upload_local``; this is its command line)."""

from __future__ import annotations

import argparse
import sys

from wbview.errors import WbviewError


def _command(args: argparse.Namespace) -> int:
    from wbview.companion.upload import upload_local  # loads pandas; wandb only when it uploads

    results = upload_local(args.folder, project=args.project, entity=args.entity, timeout=args.timeout)
    for result in results:
        if result.uploaded:
            print(f"upload: {result.folder}: {result.key} -> run {result.run_id}, artifact {result.artifact_name}", flush=True)
        else:
            print(f"upload: {result.folder}: not uploaded ({'; '.join(result.warnings)})", file=sys.stderr, flush=True)
    failed = [result for result in results if not result.uploaded]
    if failed:
        raise WbviewError(
            f"{len(failed)} of {len(results)} table folder(s) were not uploaded (listed above); their files are unchanged. "
            "Run the same command again later."
        )
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Add ``wbview upload FOLDER [--project P] [--entity E] [--timeout S]`` to the command line."""
    parser = subparsers.add_parser(
        "upload",
        help="upload eval tables the companion kept locally (W&B was off or did not answer)",
        description="Upload every eval table that log_eval_table kept in FOLDER (one table's folder, a run's "
        "folder or the whole local directory): each goes to its original run again (resumed), with its "
        "summary metrics, predictions artifact and workspace table. The local files are never changed.",
    )
    parser.add_argument("folder", metavar="FOLDER", help="the folder the companion's warning named (or a folder above it)")
    parser.add_argument("--project", help="W&B project (default: the one recorded with each table)")
    parser.add_argument("--entity", help="W&B entity (default: the one recorded with each table)")
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="S",
        help="seconds to wait for W&B at each step (default 5, or $WBVIEW_COMPANION_TIMEOUT_S)",
    )
    parser.set_defaults(handler=_command)
    return parser
