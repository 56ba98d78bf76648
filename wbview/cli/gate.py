"""``wbview gate BASELINE CANDIDATE``: a regression gate for CI on two runs' eval tables
(``wbview.analysis.gate``), with the dataset-version check through lineage.

Exit codes, made for CI (unlike the other commands): 0 pass, 1 regression found, 2 cannot
compare (different dataset versions, no shared samples, missing columns, a run or table
that cannot be read, bad options). Only a regression exits 1.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from wbview.cli.options import add_source_options, open_source, split_item
from wbview.cli.output import format_table, print_json
from wbview.cli.table import choose_table
from wbview.errors import UsageError, WbviewError

if TYPE_CHECKING:
    from wbview.analysis.gate import GateResult
    from wbview.analysis.prepare import PreparedTable
    from wbview.sources.base import Source

HELP_EXIT = "exit codes: 0 pass, 1 regression found, 2 cannot compare (the reason is printed and in the JSON)"


def parse_max_drop(values: list[str] | None) -> tuple[float | None, dict[str, float]]:
    """``--max-drop 0.02`` (every gated metric) and ``--max-drop recall=0.05`` (one metric)."""
    default: float | None = None
    per_metric: dict[str, float] = {}
    for value in values or ():
        name, sep, number = value.rpartition("=")
        try:
            limit = float(number)
        except ValueError:
            raise UsageError(f"--max-drop {value!r}: give a number (0.01) or METRIC=NUMBER (recall=0.02).") from None
        if sep:
            per_metric[name.strip()] = limit
        else:
            default = limit
    return default, per_metric


def scored_dataset(source: Source, project: str, run_id: str) -> str | None:
    """The dataset version a run scored (its input artifacts of type dataset, through
    lineage), named with its project so runs of two projects compare correctly."""
    from wbview.analysis.selection import input_datasets

    used = source.run_artifacts(project, run_id).used
    types = {}
    for name in used:
        try:
            types[name] = source.artifact(project, name).type
        except WbviewError:  # an unreadable input artifact does not count as a dataset
            types[name] = ""
    datasets = input_datasets(used, types)
    if not datasets:
        return None
    return " + ".join(sorted(name if name.count("/") >= 2 else f"{project}/{name}" for name in datasets))


def _load_side(source: Source, run_path: str, key: str | None) -> tuple[PreparedTable, dict[str, Any], str | None]:
    """(prepared table, what the JSON says about this side, dataset version it scored)."""
    from wbview.analysis.prepare import prepare

    project, run_id = split_item(run_path, "RUN_ID")
    ref = choose_table(source.tables(project, run_id), key, run_id)
    loaded = source.load_table(project, ref)
    facts = {
        "run": run_path,
        "table": ref.key,
        "artifact": ref.artifact,
        "rows": len(loaded.frame),
        "total_rows": loaded.total_rows,
        "truncated": loaded.truncated,
    }
    return prepare(loaded.frame), facts, scored_dataset(source, project, run_id)


def run_gate(args: argparse.Namespace) -> tuple[GateResult, dict[str, Any]]:
    """The verdict and both sides' facts; anything that stops the comparison is a
    "cannot compare" result, never an exception (bad options aside)."""
    from wbview.analysis.gate import cannot_compare, regression_gate

    max_drop, metric_max_drop = parse_max_drop(args.max_drop)
    sides: dict[str, Any] = {}
    try:
        source = open_source(args)
        baseline, sides["baseline"], dataset_a = _load_side(source, args.baseline, args.table)
        candidate, sides["candidate"], dataset_b = _load_side(source, args.candidate, args.table)
        result = regression_gate(
            baseline,
            candidate,
            on=args.on,
            metrics=args.metric,
            max_drop=max_drop,
            metric_max_drop=metric_max_drop,
            alpha=args.alpha,
            correction=args.correction,
            min_rows=args.min_rows,
            datasets=(dataset_a, dataset_b),
            allow_different_data=args.allow_different_data,
            max_ids=args.max_ids,
        )
    except UsageError:
        raise
    except WbviewError as exc:  # a run, table or artifact that cannot be read: no verdict either way
        return cannot_compare(f"Cannot compare: {exc}", args.alpha, args.correction), sides
    except Exception as exc:  # noqa: BLE001 - exit 1 means "regression" here: a crash must not say that
        return cannot_compare(f"Cannot compare: unexpected error {type(exc).__name__}: {exc}", args.alpha, args.correction), sides
    truncated = [
        f"the {role} table was truncated when logged ({side['rows']:,} of {side['total_rows']:,} rows compared)"
        for role, side in sides.items()
        if side["truncated"]
    ]
    if truncated:
        from dataclasses import replace

        result = replace(result, notes=(*result.notes, "; ".join(truncated).capitalize() + "."))
    return result, sides


def _print_text(result: GateResult, sides: dict[str, Any]) -> None:
    print(result.reason)
    for role, side in sides.items():
        print(f"{role}: {side['run']}, table {side['table']!r}, {side['rows']:,} rows")
    if result.datasets is not None:
        print(f"datasets (lineage): baseline {result.datasets[0] or 'unknown'}, candidate {result.datasets[1] or 'unknown'}")
    overall = result.overall
    if overall is not None:
        print(
            f"paired samples: {overall.rows:,} on {result.key!r}; error rate {overall.baseline_error_rate:.4f} -> "
            f"{overall.candidate_error_rate:.4f}; newly broken {overall.newly_broken:,}, fixed {overall.fixed:,}; "
            f"McNemar exact p (candidate worse) = {overall.p_worse:.3g}, two-sided = {overall.p_two_sided:.3g}"
        )
    if result.metrics:
        rows = [
            [
                m.metric,
                m.baseline,
                m.candidate,
                m.drop,
                "" if m.max_drop is None else m.max_drop,
                "FAIL" if m.failed else ("ok" if m.max_drop is not None else ""),
            ]
            for m in result.metrics
        ]
        print(format_table(["metric", "baseline", "candidate", "drop", "max drop", "gate"], rows))
    if result.failing_slices:
        method = "Holm" if result.correction == "holm" else "Benjamini-Hochberg"
        print(f"failing slices: {len(result.failing_slices)} of {result.slices_tested} tested ({method}):")
        rows = [
            [
                s.feature,
                s.slice,
                s.test.rows,
                s.test.newly_broken,
                s.test.fixed,
                s.test.baseline_error_rate,
                s.test.candidate_error_rate,
                s.p_adjusted,
                " ".join(map(str, s.broken_ids[:3])),
            ]
            for s in result.failing_slices
        ]
        print(
            format_table(
                [
                    "feature",
                    "slice",
                    "rows",
                    "broken",
                    "fixed",
                    "error before",
                    "error after",
                    "p adjusted",
                    "broken ids (first 3)",
                ],
                rows,
            )
        )
    for note in result.notes:
        print(f"note: {note}")


def cmd_gate(args: argparse.Namespace) -> int:
    result, sides = run_gate(args)
    if args.json:
        print_json({**result.to_dict(), "runs": sides})
    else:
        _print_text(result, sides)
    if result.status == "cannot compare":
        print(f"wbview gate: {result.reason}", file=sys.stderr)
    return result.exit_code


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Add ``wbview gate BASELINE CANDIDATE ...`` to the command line."""
    parser = subparsers.add_parser(
        "gate",
        help="regression gate for CI: is the candidate run worse than the baseline run?",
        description=(
            "Compare two runs' eval tables sample by sample (joined on the sample id, else the text): McNemar's "
            "exact test on the rows both runs scored (one-sided: is the candidate worse?), metric drops against "
            "--max-drop, and every input slice tested with Holm (default) or Benjamini-Hochberg control. "
            "Both runs must have scored the same dataset version (through lineage) unless "
            "--allow-different-data."
        ),
        epilog=HELP_EXIT,
    )
    parser.add_argument("baseline", metavar="BASELINE", help="ENTITY/PROJECT/RUN_ID of the reference run")
    parser.add_argument("candidate", metavar="CANDIDATE", help="ENTITY/PROJECT/RUN_ID of the run to check")
    parser.add_argument(
        "--table", metavar="KEY", help="the table key, e.g. eval/predictions (optional when each run logged one table)"
    )
    parser.add_argument(
        "--metric",
        action="append",
        metavar="NAME",
        help="a gated metric (repeatable; default: "
        "accuracy, and recall for binary tables): accuracy error_rate precision recall f1 fn_rate "
        "fp_rate (binary) or macro_precision macro_recall macro_f1",
    )
    parser.add_argument(
        "--max-drop",
        action="append",
        metavar="X|METRIC=X",
        help="how much worse a gated metric may "
        "get (absolute, default 0.01); METRIC=X for one metric (also gates it); repeatable",
    )
    parser.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    parser.add_argument(
        "--correction",
        choices=("holm", "bh"),
        default="holm",
        help="multiple-comparison control over slices: holm (family-wise, default) or bh "
        "(Benjamini-Hochberg false discovery rate)",
    )
    parser.add_argument(
        "--min-rows", type=int, default=30, metavar="N", help="test slices with at least N paired rows (default 30)"
    )
    parser.add_argument("--on", metavar="COLUMN", help="join on this column instead of the sample id / text")
    parser.add_argument(
        "--max-ids",
        type=int,
        default=20,
        metavar="N",
        help="sample ids listed per failing slice (default 20; the total is always given)",
    )
    parser.add_argument(
        "--allow-different-data",
        action="store_true",
        help="compare even when lineage says the runs scored different (or unknown) dataset "
        "versions, or paired samples have different true labels",
    )
    parser.add_argument("--json", action="store_true", help="print the verdict and evidence as JSON")
    add_source_options(parser)
    parser.set_defaults(handler=cmd_gate)
    return parser
