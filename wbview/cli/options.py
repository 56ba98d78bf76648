"""Options and argument helpers shared by the commands: project and item paths, the
source a command reads (--store, --timeout, --no-cache) and the run filters."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

from wbview.errors import BadPath, MissingDependency
from wbview.settings import CALL_TIMEOUT_S

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


def positive_int(text: str) -> int:
    """argparse type for counts such as --limit: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is less than 1 (leave the option out to show everything)")
    return value


def demo_store_hint() -> str:
    """Where to find data without W&B credentials: the demo store that `make run` builds."""
    from wbview.cli.app import default_demo_dir

    return (
        f"Without W&B credentials, read a local store with --store DIR: `make run` (`wbview app`) builds the "
        f"demo project demo/phishing-demo in {default_demo_dir()}, e.g. "
        f"`wbview runs demo/phishing-demo --store {default_demo_dir()}`; `wbview demo --store DIR` builds it "
        "anywhere."
    )


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


def open_source(args: argparse.Namespace) -> Source:
    """The source a command reads: ``--store DIR``, or W&B via the usual settings behind
    the local cache (``CachedSource``) unless ``--no-cache``."""
    injected = getattr(args, "_source", None)
    if injected is not None:
        return injected
    if getattr(args, "store", None):
        try:
            from wbview.sources.store.local import LocalSource
        except ImportError as exc:
            raise MissingDependency(f"--store needs wbview.sources.store.store, which could not be imported ({exc}).") from None
        return LocalSource(args.store)
    from wbview.settings import load_settings
    from wbview.sources.wandb import WandbSource

    wandb_source = WandbSource(load_settings(), timeout_s=getattr(args, "timeout", None))
    if getattr(args, "no_cache", False):
        return wandb_source
    from wbview.sources.cached import CachedSource

    # Same cache as the dashboard: a table or version already downloaded costs no request.
    return CachedSource(wandb_source)


def add_timeout_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help=f"bound on each W&B call (default: $WBVIEW_CALL_TIMEOUT_S or {CALL_TIMEOUT_S:g})",
    )


def add_source_options(parser: argparse.ArgumentParser) -> None:
    """--store, --timeout and --no-cache: every data command takes them."""
    parser.add_argument("--store", metavar="DIR", help="read a local store (wbview pull/demo) instead of W&B")
    add_timeout_option(parser)
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="read W&B directly, without the local cache of tables and artifact versions ($WBVIEW_CACHE_DIR)",
    )


def run_filter_from_args(args: argparse.Namespace) -> RunFilter:
    from wbview.filters import RunFilter, parse_filters

    attributes = RunFilter(
        job_types=tuple(args.job_type or ()),
        groups=tuple(args.group or ()),
        tags_any=tuple(args.tag or ()),
        tags_all=tuple(args.all_tags or ()),
        states=tuple(args.state or ()),
    )
    return parse_filters(args.filter or ()).merge(attributes)


def warn_unknown_states(states: Iterable[str]) -> None:
    """A state W&B never reports is allowed (new ones may appear) but said out loud."""
    from wbview.filters import KNOWN_RUN_STATES

    unknown = [s for s in states if s not in KNOWN_RUN_STATES]
    if unknown:
        print(
            f"wbview: warning: unknown run state {', '.join(map(repr, unknown))}; W&B's states are "
            f"{', '.join(KNOWN_RUN_STATES)}.",
            file=sys.stderr,
        )


def add_run_filter_options(parser: argparse.ArgumentParser) -> None:
    """The run filters of `wbview runs` (shared with `wbview pull`); read them with run_filter_from_args."""
    parser.add_argument("--filter", action="append", metavar="COND", help="a condition, e.g. 'eval/f1>0.9' (repeatable)")
    parser.add_argument("--job-type", action="append", metavar="TYPE", help="job type (repeat: any of)")
    parser.add_argument("--group", action="append", metavar="GROUP", help="run group (repeat: any of)")
    parser.add_argument("--tag", action="append", metavar="TAG", help="has this tag (repeat: any of)")
    parser.add_argument("--all-tags", action="append", metavar="TAG", help="has this tag (repeat: all of)")
    parser.add_argument(
        "--state", action="append", metavar="STATE", help="finished, running, crashed, failed, killed, ... (repeat: any of)"
    )
