"""`wbview lineage`: the graph around a run or an artifact version."""

from __future__ import annotations

import argparse
import sys

from wbview.cli.options import add_source_options, open_source, split_item
from wbview.cli.output import format_table, print_json


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


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "lineage",
        help="the graph around a run or an artifact version",
        description=(
            "Runs and artifact versions around a run or an artifact version, DEPTH hops away. Edges point the "
            "way data flows: artifact -> consuming run, run -> logged artifact."
        ),
    )
    parser.add_argument("root", metavar="ENTITY/PROJECT/NAME:VERSION|ENTITY/PROJECT/RUN_ID")
    parser.add_argument("--depth", type=int, default=2, help="hops from the root (default 2)")
    parser.add_argument(
        "--direction", choices=["up", "down", "both"], default="both", help="up: inputs, down: outputs (default both)"
    )
    parser.add_argument(
        "--fanout-cap",
        type=int,
        default=8,
        metavar="N",
        help="neighbours shown per node; the rest become one '+k more' node (default 8)",
    )
    parser.add_argument("--format", choices=["text", "json", "dot"], default="text", help="output format (default text)")
    parser.add_argument("--json", action="store_true", help="same as --format json")
    add_source_options(parser)
    parser.set_defaults(handler=cmd_lineage)
