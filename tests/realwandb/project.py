"""The recorded real-wandb output (``recorded/``) as a project the fake W&B server serves.

Each shape's offline run becomes one run of the project ``recorder/realwandb``, with
the config, summary and history wandb wrote, and its artifacts with the entries and
manifests wandb staged. What ``wandb sync`` / the W&B server add is modelled here and
in :class:`tests.fakewandb.recorded.RecordedWandb`, and said where it is done:
- versions are numbered per artifact name in logging order, "latest" on the last;
- an INCREMENTAL artifact version holds its own entries plus those of the previous
  version (the server merges an incremental manifest into the previous one);
- a ``wandb-client-artifact://<client id>/<path>`` reference entry is rewritten to
  ``wandb-artifact://<hex of the target's id>/<path>`` (done by the fake, which
  knows the ids);
- ``historyStep`` of an artifact is the step being built when it was logged.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from wbview.records import ArtifactFile, ArtifactVersion, Run, RunArtifacts
from wbview.sources.memory import ProjectData

RECORDED = Path(__file__).resolve().parent / "recorded"
CREATED_AT = datetime(2025, 12, 1, 8, 0, tzinfo=UTC)


@dataclass
class RecordedProject:
    path: str  # "entity/project"
    data: ProjectData
    files: dict[tuple[str, str], bytes] = field(default_factory=dict)  # (artifact id, entry) -> bytes
    manifests: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # artifact id -> contents
    history_steps: dict[str, int] = field(default_factory=dict)  # artifact id -> step
    client_ids: dict[str, str] = field(default_factory=dict)  # client id (or "seq:latest") -> artifact id
    index: dict[str, Any] = field(default_factory=dict)

    def run_id(self, shape: str) -> str:
        return str(self.index["shapes"][shape]["run_id"])


def _entry_bytes(shape_dir: Path, name: str, version: str, entry: str) -> bytes:
    plain = shape_dir / "files" / name / version / entry
    if plain.exists():
        return plain.read_bytes()
    return gzip.decompress((plain.parent / (plain.name + ".gz")).read_bytes())


def load_recorded(root: Path = RECORDED, shapes: list[str] | None = None) -> RecordedProject:
    """The recorded shapes (all, or ``shapes``) as one project."""
    index = json.loads((root / "index.json").read_text(encoding="utf-8"))
    entity, project = index["entity"], index["project"]
    recorded = RecordedProject(path=f"{entity}/{project}", data=ProjectData(), index=index)
    data = recorded.data
    names = shapes or sorted(index["shapes"])
    for number, shape in enumerate(names):
        shape_dir = root / shape
        doc = json.loads((shape_dir / "run.json").read_text(encoding="utf-8"))
        run_id = doc["run"]["id"]
        created = CREATED_AT + timedelta(minutes=number)
        logged = []
        previous: dict[str, dict[str, Any]] = {}  # per name: the last version's contents
        for art in doc["artifacts"]:
            art_id = f"{art['name']}:{art['version']}"
            contents = {path: dict(item) for path, item in art["manifest"]["contents"].items()}
            if art.get("incremental"):
                contents = {**previous.get(art["name"], {}), **contents}
            previous[art["name"]] = contents
            for path, item in contents.items():
                if "ref" not in item:
                    owner = art["version"] if path in art["manifest"]["contents"] else _owner(doc, art, path)
                    recorded.files[(art_id, path)] = _entry_bytes(shape_dir, art["name"], owner, path)
            recorded.manifests[art_id] = contents
            recorded.history_steps[art_id] = int(art["history_step"])
            recorded.client_ids[art["client_id"]] = art_id
            recorded.client_ids[f"{art['sequence_client_id']}:latest"] = f"{art['name']}:latest"
            data.artifacts[art_id] = ArtifactVersion(
                entity=entity,
                project=project,
                name=art["name"],
                version=art["version"],
                type=art["type"],
                aliases=tuple(art["aliases"]),
                description=art.get("description"),
                metadata=art.get("metadata") or {},
                digest=art["digest"],
                created_at=created,
                files=tuple(ArtifactFile(path, item.get("size"), item.get("digest")) for path, item in sorted(contents.items())),
                logged_by=run_id,
            )
            logged.append(art_id)
        history = doc["history"]
        if history:
            data.histories[run_id] = pd.DataFrame(history)
        data.runs[run_id] = Run(
            id=run_id,
            entity=entity,
            project=project,
            name=run_id,
            job_type="record",
            state="finished",
            created_at=created,
            config=doc["config"],
            summary=doc["summary"],  # table entries as wandb wrote them
        )
        data.run_artifacts[run_id] = RunArtifacts(run_id, logged=tuple(logged))
    return recorded


def _owner(doc: dict[str, Any], art: dict[str, Any], path: str) -> str:
    """The earlier version of an incremental artifact whose own entries include ``path``."""
    for other in doc["artifacts"]:
        if other["name"] == art["name"] and path in other["manifest"]["contents"]:
            return str(other["version"])
    raise KeyError(f"{art['name']}: no version holds {path}")
