"""`wbview artifacts` (collections per type) and `wbview artifact` (one version)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from wbview.cli.options import add_source_options, open_source, split_item, split_project
from wbview.cli.output import format_table, print_json, to_jsonable
from wbview.errors import BadPath

if TYPE_CHECKING:
    from wbview.sources.base import Source


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


def _check_artifact_type(source: Source, project: str, artifact_type: str) -> None:
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
        ("name", art.id),
        ("type", art.type),
        ("aliases", ", ".join(art.aliases)),
        ("description", art.description),
        ("size", f"{art.size_bytes:,} bytes" if art.size_bytes is not None else None),
        ("digest", art.digest),
        ("created_at", art.created_at.isoformat() if art.created_at else None),
        ("logged_by", art.logged_by),
        ("used_by", ", ".join(art.used_by) or None),
        ("metadata", json.dumps(to_jsonable(dict(art.metadata)), ensure_ascii=False) if art.metadata else None),
    ]
    width = max(len(k) for k, _ in fields)
    for key, value in fields:
        print(f"{key.ljust(width)}  {'' if value is None else value}")
    print()
    print(format_table(["file", "size_bytes", "digest"], [[f.path, f.size_bytes, f.digest] for f in art.files], max_width=70))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "artifacts", help="list artifact collections", description="List the artifact collections of ENTITY/PROJECT, by type."
    )
    parser.add_argument("project", metavar="ENTITY/PROJECT")
    parser.add_argument("--type", metavar="TYPE", help="only this artifact type (e.g. model, dataset)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    add_source_options(parser)
    parser.set_defaults(handler=cmd_artifacts)

    parser = subparsers.add_parser(
        "artifact",
        help="show one artifact version",
        description="Show one artifact version: metadata, files, producing run and consuming runs.",
    )
    parser.add_argument("artifact", metavar="ENTITY/PROJECT/NAME:VERSION", help="a version (v3) or an alias (latest)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    add_source_options(parser)
    parser.set_defaults(handler=cmd_artifact)
