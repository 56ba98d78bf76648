"""wbview's command line: the same data sources as the dashboard, for scripts.

Exit codes: 0 ok, 2 bad usage (bad filter, bad path, bad option), 1 any other
failure. Errors are one message on stderr, never a traceback (set WBVIEW_DEBUG=1
to see one).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import re
import sys
import traceback
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from wbview.errors import BadPath, MissingDependency, UsageError, WbviewError

if TYPE_CHECKING:
    from wbview.filters import RunFilter
    from wbview.sources.base import Source

FILTER_HELP = """\
filter syntax (one condition per --filter, all must hold):
  PATH OP VALUE        OP is one of = != > >= < <=
  PATH in A,B,C        any of the values
  PATH not in A,B      none of the values
PATH:
  params.lr, params.optimizer.name, meta.task   nested run config (also: config.KEY)
  eval/f1, loss, summary.KEY                      summary metric (anything else)
  "model.type", config."model.type"              a key that contains a dot: quote it
VALUE: a number (1e-4), true, false, null, a quoted string ('42'), or bare text
  without spaces. Quote text that has spaces or starts with < > = !; after
  > >= < <= give a number, a date (2024-05-01) or a quoted string ('b').
Run attributes: job_type=train, group in a,b, state=finished, tags in a,b (any),
tags=a (has a), created_at>=2024-05-01, created_at<2024-06-01.
Semantics are W&B's: =, in and comparisons never match a missing key, != and
not in always do; numbers compare with numbers and text with text.
Conditions on keys containing a dot are applied client-side (W&B cannot filter
them); everything else is sent to W&B as a server-side filter.
examples:
  wbview runs acme/phishing --filter 'params.encoder=head_tail' --filter 'params.lr>=1e-4'
  wbview runs acme/phishing --filter 'eval/f1>0.9' --filter 'params.optimizer.name in adamw,sgd'
"""

_PROJECT_PATH = re.compile(r"^(?P<entity>[^/\s]+)/(?P<project>[^/\s]+)$")
_ITEM_PATH = re.compile(r"^(?P<entity>[^/\s]+)/(?P<project>[^/\s]+)/(?P<item>[^/\s]+)$")


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so main() owns exit codes and stderr."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message}\n{self.format_usage().strip()}")


# --- helpers shared by commands (other modules may import these) --------------------


def split_project(text: str) -> str:
    """Validate "ENTITY/PROJECT"."""
    if not _PROJECT_PATH.match(text or ""):
        raise BadPath(f"{text!r} is not ENTITY/PROJECT (e.g. acme/phishing).")
    return text


def split_item(text: str, what: str = "NAME:VERSION") -> tuple[str, str]:
    """Split "ENTITY/PROJECT/ITEM" into ("ENTITY/PROJECT", ITEM)."""
    match = _ITEM_PATH.match(text or "")
    if not match:
        raise BadPath(f"{text!r} is not ENTITY/PROJECT/{what} (e.g. acme/phishing/{'model:v3' if ':' in what else 'h3irzh4b'}).")
    return f"{match['entity']}/{match['project']}", match["item"]


def open_source(args: argparse.Namespace) -> "Source":
    """The source a command reads: ``--store DIR``, or W&B via the usual settings behind
    the local cache (``CachedSource``) unless ``--no-cache``."""
    injected = getattr(args, "_source", None)
    if injected is not None:
        return injected
    if getattr(args, "store", None):
        try:
            from wbview.sources.store import LocalSource
        except ImportError as exc:
            raise MissingDependency(f"--store needs wbview.sources.store, which could not be imported ({exc}).") from None
        return LocalSource(args.store)
    from wbview.settings import load_settings
    from wbview.sources.wandb_api import WandbSource

    wandb_source = WandbSource(load_settings(), timeout_s=getattr(args, "timeout", None) or 20)
    if getattr(args, "no_cache", False):
        return wandb_source
    from wbview.sources.cached import CachedSource

    # Same cache as the dashboard: a table or version already downloaded costs no request.
    return CachedSource(wandb_source)


def add_source_options(parser: argparse.ArgumentParser) -> None:
    """--store, --timeout and --no-cache: every data command takes them."""
    parser.add_argument("--store", metavar="DIR", help="read a local store (wbview pull/demo) instead of W&B")
    parser.add_argument("--timeout", type=float, default=20, metavar="SECONDS", help="bound on each W&B call (default 20)")
    parser.add_argument(
        "--no-cache", action="store_true",
        help="read W&B directly, without the local cache of tables and artifact versions ($WBVIEW_CACHE_DIR)",
    )


def to_jsonable(value: Any) -> Any:
    """Plain JSON: NaN/inf become null, dates ISO text, tuples lists, unknown objects str."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def print_json(data: Any) -> None:
    print(json.dumps(to_jsonable(data), indent=2, ensure_ascii=False))


def format_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], max_width: int = 40) -> str:
    """A plain aligned text table; long cells are cut with an ellipsis."""

    def cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, float):
            text = f"{value:.4g}"
        elif isinstance(value, (list, tuple)):
            text = ",".join(str(v) for v in value)
        else:
            text = str(value)
        text = " ".join(text.split())
        return text if len(text) <= max_width else text[: max_width - 1] + "…"

    body = [[cell(v) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in body)]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in body)
    return "\n".join(lines)


# --- runs -----------------------------------------------------------------------------


def _run_filter(args: argparse.Namespace) -> "RunFilter":
    from wbview.filters import RunFilter, parse_filters

    attributes = RunFilter(
        job_types=tuple(args.job_type or ()),
        groups=tuple(args.group or ()),
        tags_any=tuple(args.tag or ()),
        tags_all=tuple(args.all_tags or ()),
        states=tuple(args.state or ()),
    )
    return parse_filters(args.filter or ()).merge(attributes)


def cmd_runs(args: argparse.Namespace) -> int:
    project = split_project(args.project)
    run_filter = _run_filter(args)
    _warn_unknown_states(run_filter.states)
    runs = open_source(args).runs(project, run_filter)
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


def _warn_unknown_states(states: Iterable[str]) -> None:
    """A state W&B never reports is allowed (new ones may appear) but said out loud."""
    from wbview.filters import KNOWN_RUN_STATES

    unknown = [s for s in states if s not in KNOWN_RUN_STATES]
    if unknown:
        print(f"wbview: warning: unknown run state {', '.join(map(repr, unknown))}; W&B's states are "
              f"{', '.join(KNOWN_RUN_STATES)}.", file=sys.stderr)


def add_run_filter_options(parser: argparse.ArgumentParser) -> None:
    """The run filters of `wbview runs` (shared with `wbview pull`); read them with run_filter_from_args."""
    parser.add_argument("--filter", action="append", metavar="COND", help="a condition, e.g. 'eval/f1>0.9' (repeatable)")
    parser.add_argument("--job-type", action="append", metavar="TYPE", help="job type (repeat: any of)")
    parser.add_argument("--group", action="append", metavar="GROUP", help="run group (repeat: any of)")
    parser.add_argument("--tag", action="append", metavar="TAG", help="has this tag (repeat: any of)")
    parser.add_argument("--all-tags", action="append", metavar="TAG", help="has this tag (repeat: all of)")
    parser.add_argument("--state", action="append", metavar="STATE", help="finished, running, crashed, failed, killed, ... (repeat: any of)")


run_filter_from_args = _run_filter


def _register_runs(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "runs",
        help="list the runs of a project, filtered",
        description="List the runs of ENTITY/PROJECT that match every filter, newest first.",
        epilog=FILTER_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("project", metavar="ENTITY/PROJECT")
    add_run_filter_options(parser)
    parser.add_argument("--limit", type=int, metavar="N", help="show at most N runs")
    parser.add_argument("--json", action="store_true", help="print a JSON array of runs")
    add_source_options(parser)
    parser.set_defaults(handler=cmd_runs)


# --- artifacts ---------------------------------------------------------------------------


def cmd_artifacts(args: argparse.Namespace) -> int:
    project = split_project(args.project)
    source = open_source(args)
    types = [args.type] if args.type else source.artifact_types(project)
    collections = [c for t in types for c in source.artifact_collections(project, t)]
    if args.type and not collections:
        _check_artifact_type(source, project, args.type)
    if args.json:
        print_json([{"name": c.name, "type": c.type, "version_count": c.version_count} for c in collections])
        return 0
    print(format_table(["type", "name", "versions"], [[c.type, c.name, c.version_count] for c in collections], max_width=60))
    return 0


def _check_artifact_type(source: "Source", project: str, artifact_type: str) -> None:
    """An unknown --type is an error naming the known ones, not an empty table."""
    from wbview.errors import ArtifactNotFound

    known_types = source.artifact_types(project)
    if artifact_type not in known_types:
        raise ArtifactNotFound(
            f"{project} has no artifacts of type {artifact_type!r}. Its artifact types: {', '.join(known_types) or 'none'}."
        )


def cmd_artifact(args: argparse.Namespace) -> int:
    project, name_version = split_item(args.artifact, "NAME:VERSION")
    if ":" not in name_version:
        raise BadPath(f"{args.artifact!r}: give a version or alias, e.g. {args.artifact}:latest or {args.artifact}:v0.")
    art = open_source(args).artifact(project, name_version)
    if args.json:
        print_json(art.to_json())
        return 0
    fields = [
        ("name", art.id), ("type", art.type), ("aliases", ", ".join(art.aliases)),
        ("description", art.description), ("size", f"{art.size_bytes:,} bytes" if art.size_bytes is not None else None),
        ("digest", art.digest), ("created_at", art.created_at.isoformat() if art.created_at else None),
        ("logged_by", art.logged_by), ("used_by", ", ".join(art.used_by) or None),
        ("metadata", json.dumps(to_jsonable(dict(art.metadata)), ensure_ascii=False) if art.metadata else None),
    ]
    width = max(len(k) for k, _ in fields)
    for key, value in fields:
        print(f"{key.ljust(width)}  {'' if value is None else value}")
    print()
    print(format_table(["file", "size_bytes", "digest"], [[f.path, f.size_bytes, f.digest] for f in art.files], max_width=70))
    return 0


def _register_artifacts(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("artifacts", help="list artifact collections", description="List the artifact collections of ENTITY/PROJECT, by type.")
    parser.add_argument("project", metavar="ENTITY/PROJECT")
    parser.add_argument("--type", metavar="TYPE", help="only this artifact type (e.g. model, dataset)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    add_source_options(parser)
    parser.set_defaults(handler=cmd_artifacts)

    parser = subparsers.add_parser(
        "artifact", help="show one artifact version",
        description="Show one artifact version: metadata, files, producing run and consuming runs.",
    )
    parser.add_argument("artifact", metavar="ENTITY/PROJECT/NAME:VERSION", help="a version (v3) or an alias (latest)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    add_source_options(parser)
    parser.set_defaults(handler=cmd_artifact)


# --- lineage -------------------------------------------------------------------------------


def cmd_lineage(args: argparse.Namespace) -> int:
    project, root = split_item(args.root, "NAME:VERSION or RUN_ID")
    graph = open_source(args).lineage(project, root, depth=args.depth, direction=args.direction, fanout_cap=args.fanout_cap)
    fmt = "json" if args.json else args.format
    if fmt == "json":
        print_json(graph.to_json())
    elif fmt == "dot":
        sys.stdout.write(graph.to_dot())
    else:
        nodes = {n.id: n for n in graph.nodes}
        print(format_table(["id", "kind", "name", "type"], [[n.id, n.kind, n.name, n.type] for n in graph.nodes], max_width=60))
        print()
        for edge in graph.edges:
            print(f"{edge.source} -> {edge.target}" + ("" if edge.target in nodes else " (?)"))
    return 0


def _register_lineage(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "lineage", help="the graph around a run or an artifact version",
        description=(
            "Runs and artifact versions around a run or an artifact version, DEPTH hops away. Edges point the "
            "way data flows: artifact -> consuming run, run -> logged artifact."
        ),
    )
    parser.add_argument("root", metavar="ENTITY/PROJECT/NAME:VERSION|ENTITY/PROJECT/RUN_ID")
    parser.add_argument("--depth", type=int, default=2, help="hops from the root (default 2)")
    parser.add_argument("--direction", choices=["up", "down", "both"], default="both", help="up: inputs, down: outputs (default both)")
    parser.add_argument("--fanout-cap", type=int, default=8, metavar="N", help="neighbours shown per node; the rest become one '+k more' node (default 8)")
    parser.add_argument("--format", choices=["text", "json", "dot"], default="text", help="output format (default text)")
    parser.add_argument("--json", action="store_true", help="same as --format json")
    add_source_options(parser)
    parser.set_defaults(handler=cmd_lineage)


# --- table ------------------------------------------------------------------------------------


def cmd_table(args: argparse.Namespace) -> int:
    project, run_id = split_item(args.run, "RUN_ID")
    if args.out and Path(args.out).suffix.lower() not in (".parquet", ".csv"):
        raise UsageError(f"--out {args.out!r}: the file name must end in .parquet or .csv.")
    source = open_source(args)
    refs = source.tables(project, run_id)
    if not args.out:
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


def _register_table(subparsers: argparse._SubParsersAction) -> None:
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


# --- parser and entry point -------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="wbview",
        description="Review Weights & Biases runs, artifacts, lineage and eval tables.",
        epilog="Connection: .streamlit/secrets.toml [wandb], then WANDB_API_KEY/WANDB_BASE_URL, then `wandb login`.",
    )
    from wbview import __version__

    parser.add_argument("--version", action="version", version=f"wbview {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    _register_runs(subparsers)
    _register_artifacts(subparsers)
    _register_lineage(subparsers)
    _register_table(subparsers)
    # --- other commands: one line each, `register(subparsers)` adds a parser with
    # set_defaults(handler=fn), fn(args) -> exit code. Keep this block sorted. -------------
    __import__("wbview.launch").launch.register(subparsers)
    __import__("wbview.demo").demo.register(subparsers)
    __import__("wbview.pull").pull.register(subparsers)
    # -------------------------------------------------------------------------------------------
    return parser


def main(argv: Sequence[str] | None = None, source: "Source | None" = None) -> int:
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
        return exc.exit_code
    except KeyboardInterrupt:
        print("wbview: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away: not an error of ours.
        sys.stderr.close()
        return 0
    except Exception as exc:  # noqa: BLE001 - last line of defence: a message, not a traceback
        if os.environ.get("WBVIEW_DEBUG"):
            traceback.print_exc()
        print(f"wbview: unexpected error: {type(exc).__name__}: {exc} (set WBVIEW_DEBUG=1 for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
