"""`wbview demo`: build the demo project into a local store."""

from __future__ import annotations

import argparse
import sys
import time

from wbview.demo import DEMO_PROJECT, build_demo


def _print_progress(message: str, done: int, total: int | None) -> None:
    print(f"[{done}/{total}] {message}" if total else message, file=sys.stderr, flush=True)


def _command(args: argparse.Namespace) -> int:
    started_s = time.perf_counter()
    path = build_demo(args.store, seed=args.seed, progress=_print_progress, force=args.force)
    elapsed_s = time.perf_counter() - started_s
    print(f"Demo project {DEMO_PROJECT} is in {path} ({elapsed_s:.1f} s). Open it with: wbview app --store {path}")
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Add ``wbview demo --store DIR [--seed N] [--force]`` to the command line."""
    parser = subparsers.add_parser(
        "demo",
        help="build the demo project (a real small phishing-detection pipeline) into a local store",
        description="Build a local store holding a complete demo project, made by running a small "
        "phishing-detection pipeline (ingest, clean, encode, train, eval) on this CPU. Deterministic "
        "for a seed; downloads nothing.",
    )
    parser.add_argument(
        "--store", required=True, metavar="DIR", help="folder to write the store to (new, empty, or an earlier demo)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the corpus, splits and models (default: 0)")
    parser.add_argument("--force", action="store_true", help="rebuild even if DIR already holds this demo")
    parser.set_defaults(handler=_command)
    return parser
