"""Plain, frozen records: the only vocabulary shared by every layer of wbview.

Sources convert W&B objects into these the moment they arrive, so nothing
downstream can trigger a network call by touching an attribute, and every record
can be cached, pickled and written to a store.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Direction = Literal["up", "down", "both"]
# "table": one .table.json; "incremental": every increment entry of the artifact, in
# order; "partitioned": the part tables of a .partitioned-table.json; "joined": the two
# tables of a .joined-table.json matched on their join key; "eval-table": a W&B
# EvalTable (wandb.EvalTable), whose rows live in W&B Weave (loaded with the extra
# wbview[weave]; not in an artifact, so never cached or pulled).
TableKind = Literal["table", "incremental", "partitioned", "joined", "eval-table"]
EVAL_TABLE_ARTIFACT = "weave-eval"  # TableRef.artifact of an EvalTable: "weave-eval:<evaluate call id>"
CES_EVAL_TABLE_ARTIFACT = "ces-eval"  # ... written with backend="ces": "ces-eval:<evaluation version id>"
UNKNOWN_TOTAL_NOTE = "at most 200,000 rows were kept by wandb; the logged total is unknown"
NodeKind = Literal["run", "artifact", "more"]
SourceFormat = Literal["parquet", "table.json", "wandb"]


def flatten(mapping: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten nested dicts into dotted keys: {"params": {"lr": 1}} -> {"params.lr": 1}."""
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, path + "."))
        else:
            flat[path] = value
    return flat


@dataclass(frozen=True)
class TableRef:
    """Where an evaluation table lives: an entry of a (run_table or other) artifact."""

    run_id: str
    key: str  # the key it was logged under, e.g. "eval/predictions"
    artifact: str  # collection name and version, e.g. "run-h3irzh4b-evalpredictions:v0"
    entry: str  # path of the .table.json entry inside the artifact
    nrows: int | None = None  # true row count (summary nrows or companion metadata)
    stored_rows: int | None = None  # rows actually present in the JSON entry, when known
    parquet_entry: str | None = None  # full-fidelity Parquet copy written by the companion
    digest: str | None = None  # artifact digest: the cache key of immutable content
    step: int | None = None  # history step the artifact version was logged at, when known
    latest: bool = True  # False for an older version of the same artifact logged by the run
    kind: TableKind = "table"  # how the entry holds its rows (see TableKind)

    @property
    def eval_backend(self) -> Literal["weave", "ces"] | None:
        """Where a W&B EvalTable's rows live (W&B Weave, or the CoreWeave Evaluation
        Service, which wbview cannot read); None for other tables."""
        if self.kind != "eval-table":
            return None
        return "ces" if self.artifact.startswith(f"{CES_EVAL_TABLE_ARTIFACT}:") else "weave"

    @property
    def truncated(self) -> bool:
        return (
            self.nrows is not None
            and self.stored_rows is not None
            and self.stored_rows < self.nrows
            and self.parquet_entry is None
        )


@dataclass(frozen=True)
class Run:
    id: str
    entity: str
    project: str
    name: str
    group: str | None = None
    job_type: str | None = None
    tags: tuple[str, ...] = ()
    state: str | None = None
    created_at: datetime | None = None  # timezone-aware UTC
    url: str | None = None
    config: Mapping[str, Any] = field(default_factory=dict)  # nested, without "_wandb"
    summary: Mapping[str, Any] = field(default_factory=dict)  # table-file entries removed
    tables: tuple[TableRef, ...] = ()  # tables found in the summary

    @property
    def path(self) -> str:
        return f"{self.entity}/{self.project}/{self.id}"

    def flat_config(self) -> dict[str, Any]:
        return flatten(self.config)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "entity": self.entity,
            "project": self.project,
            "name": self.name,
            "group": self.group,
            "job_type": self.job_type,
            "tags": list(self.tags),
            "state": self.state,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "url": self.url,
            "config": dict(self.config),
            "summary": dict(self.summary),
            "tables": [dataclasses.asdict(t) for t in self.tables],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Run:
        created = data.get("created_at")
        return cls(
            id=data["id"],
            entity=data["entity"],
            project=data["project"],
            name=data.get("name") or data["id"],
            group=data.get("group"),
            job_type=data.get("job_type"),
            tags=tuple(data.get("tags") or ()),
            state=data.get("state"),
            created_at=datetime.fromisoformat(created) if created else None,
            url=data.get("url"),
            config=dict(data.get("config") or {}),
            summary=dict(data.get("summary") or {}),
            tables=tuple(TableRef(**t) for t in data.get("tables") or ()),
        )


@dataclass(frozen=True)
class ArtifactFile:
    path: str
    size_bytes: int | None = None
    digest: str | None = None


@dataclass(frozen=True)
class ArtifactCollection:
    name: str
    type: str
    version_count: int | None = None


@dataclass(frozen=True)
class ArtifactVersion:
    entity: str
    project: str
    name: str  # collection name, without version
    version: str  # "v3"
    type: str
    aliases: tuple[str, ...] = ()
    description: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    size_bytes: int | None = None
    digest: str | None = None
    created_at: datetime | None = None
    files: tuple[ArtifactFile, ...] = ()
    logged_by: str | None = None  # id of the producing run
    used_by: tuple[str, ...] = ()  # ids of the consuming runs

    @property
    def id(self) -> str:
        """Stable node id: "name:v3" (never an alias)."""
        return f"{self.name}:{self.version}"

    @property
    def qualified_name(self) -> str:
        return f"{self.entity}/{self.project}/{self.name}:{self.version}"

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["aliases"] = list(self.aliases)
        data["used_by"] = list(self.used_by)
        data["metadata"] = dict(self.metadata)
        data["created_at"] = self.created_at.isoformat() if self.created_at else None
        data["files"] = [dataclasses.asdict(f) for f in self.files]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ArtifactVersion:
        created = data.get("created_at")
        return cls(
            entity=data["entity"],
            project=data["project"],
            name=data["name"],
            version=data["version"],
            type=data["type"],
            aliases=tuple(data.get("aliases") or ()),
            description=data.get("description"),
            metadata=dict(data.get("metadata") or {}),
            size_bytes=data.get("size_bytes"),
            digest=data.get("digest"),
            created_at=datetime.fromisoformat(created) if created else None,
            files=tuple(ArtifactFile(**f) for f in data.get("files") or ()),
            logged_by=data.get("logged_by"),
            used_by=tuple(data.get("used_by") or ()),
        )


@dataclass(frozen=True)
class RunPage:
    """One page of a run listing: ``runs`` are those at ``offset`` (0-based) of the
    matching runs in the listing's order, at most ``limit`` of them; ``total`` is how many
    runs match in all (None when the source cannot say)."""

    runs: tuple[Run, ...]
    total: int | None
    offset: int = 0
    limit: int = 50

    @property
    def pages(self) -> int:
        """How many pages of ``limit`` runs the matching runs fill (at least 1)."""
        if self.total is None:
            return max(1, self.offset // max(1, self.limit) + 1 + (len(self.runs) >= self.limit))
        return max(1, -(-self.total // max(1, self.limit)))


@dataclass(frozen=True)
class RunArtifacts:
    """The artifacts a run used (inputs) and logged (outputs), as "name:vN" ids."""

    run_id: str
    used: tuple[str, ...] = ()
    logged: tuple[str, ...] = ()


@dataclass(frozen=True)
class LineageNode:
    id: str  # run id, "name:vN" for an artifact, "more:<parent>:<direction>" for a cluster
    kind: NodeKind
    name: str
    type: str | None = None  # artifact type, or job_type for a run
    group: str | None = None
    hidden_count: int = 0  # for kind == "more": how many nodes it stands for
    hidden_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class LineageEdge:
    source: str  # edges point the way data flows: artifact -> consuming run, run -> logged artifact
    target: str


@dataclass(frozen=True)
class LineageGraph:
    root: str
    nodes: tuple[LineageNode, ...]
    edges: tuple[LineageEdge, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "nodes": [dataclasses.asdict(n) | {"hidden_ids": list(n.hidden_ids)} for n in self.nodes],
            "edges": [dataclasses.asdict(e) for e in self.edges],
        }

    def to_dot(self) -> str:
        def escape(text: str) -> str:
            return text.replace("\\", "\\\\").replace('"', '\\"')

        def quote(text: str) -> str:
            return f'"{escape(text)}"'

        lines = ["digraph lineage {", "  rankdir=LR;"]
        for node in self.nodes:
            shape = {"run": "box", "artifact": "ellipse", "more": "note"}[node.kind]
            # "\\n" is DOT's line break inside a label; the parts are escaped first.
            label = escape(node.name) if not node.type else f"{escape(node.name)}\\n({escape(node.type)})"
            lines.append(f'  {quote(node.id)} [shape={shape}, label="{label}"];')
        for edge in self.edges:
            lines.append(f"  {quote(edge.source)} -> {quote(edge.target)};")
        lines.append("}")
        return "\n".join(lines) + "\n"


@dataclass(frozen=True, eq=False)
class LoadedTable:
    """An evaluation table read into pandas, with what is known about its completeness."""

    ref: TableRef
    frame: Any  # pandas.DataFrame
    total_rows: int  # the true row count at log time
    truncated: bool  # True when frame holds fewer rows than were logged
    source_format: SourceFormat = "table.json"
    notes: tuple[str, ...] = ()  # how the rows were read: columns decoded, tables combined, ...
    total_known: bool = True  # False when wandb dropped rows without recording how many were logged

    @property
    def note(self) -> str:
        """Row counts, then every note."""
        return " ".join((self.row_note, *self.notes))

    @property
    def row_note(self) -> str:
        """How many rows were stored and logged."""
        if not self.total_known:
            head = f"{len(self.frame):,} rows were stored: {UNKNOWN_TOTAL_NOTE}."
        elif self.truncated:
            head = f"This table was truncated at log time: {len(self.frame):,} of {self.total_rows:,} rows were stored."
        else:
            head = f"{len(self.frame):,} rows."
        return head
