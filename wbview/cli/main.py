"""wbview's command line: the same data sources as the dashboard, for scripts.

Exit codes: 0 ok, 2 bad usage (bad filter, bad path, bad option), 1 any other
failure. Errors are one message on stderr, never a traceback (set WBVIEW_DEBUG=1
to see one).
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NoReturn

from wbview.cli import app, artifacts, demo, gate, lineage, marks, pull, report, runs, table, upload
from wbview.cli.options import demo_store_hint
from wbview.errors import NoCredentials, UsageError, WbviewError
from wbview.settings import wbview_env

if TYPE_CHECKING:
    from wbview.sources.base import Source

COMMANDS = (runs, artifacts, lineage, table, marks, gate, report, app, demo, pull, upload)


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so main() owns exit codes and stderr."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}\n{self.format_usage().strip()}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="wbview",
        description="Review Weights & Biases runs, artifacts, lineage and eval tables.",
        epilog="Connection: .streamlit/secrets.toml [wandb], then WANDB_API_KEY/WANDB_BASE_URL, then `wandb login`.",
    )
    from wbview import __version__

    parser.add_argument("--version", action="version", version=f"wbview {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    # Each command module's register(subparsers) adds a parser with set_defaults(handler=fn),
    # fn(args) -> exit code.
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None, source: Source | None = None) -> int:
    """Run one command; returns the exit code. ``source`` replaces W&B/--store (tests)."""
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as exit_:  # --help and --version
            return int(exit_.code or 0)
        handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
        if handler is None:
            parser.print_help(sys.stderr)
            return 2
        args._source = source
        return int(handler(args) or 0)
    except WbviewError as exc:
        print(f"wbview: error: {exc}", file=sys.stderr)
        if isinstance(exc, NoCredentials):
            print(f"wbview: {demo_store_hint()}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("wbview: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away: not an error of ours.
        sys.stderr.close()
        return 0
    except Exception as exc:  # noqa: BLE001 - last line of defence: a message, not a traceback
        if wbview_env("WBVIEW_DEBUG"):
            traceback.print_exc()
        print(f"wbview: unexpected error: {type(exc).__name__}: {exc} (set WBVIEW_DEBUG=1 for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
