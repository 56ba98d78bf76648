"""A FakeWandb that serves what real wandb wrote in offline runs (tests/realwandb): the
recorded entries, manifests (reference entries included), summaries, histories and
artifact history steps, as ``tests/realwandb/project.py`` loads them."""

from __future__ import annotations

import base64
import re
from typing import Any

from tests.fakewandb.graph import ObjectGraph
from tests.fakewandb.server import FakeWandb
from tests.realwandb.project import RecordedProject, load_recorded
from wbview.records import ArtifactVersion

_CLIENT_REF = re.compile(r"^wandb-client-artifact://(?P<client>[^/]+)/(?P<path>.+)$")


class _RecordedGraph(ObjectGraph):
    def artifact_node(self, path: str, art_id: str) -> Any:
        node = super().artifact_node(path, art_id)
        if node is not None:
            step = self.fake.recorded.history_steps.get(art_id)  # type: ignore[attr-defined]
            # The public API's history_step is historyStep - 1 (wandb.Artifact.history_step).
            node["historyStep"] = None if step is None else step + 1
        return node


class RecordedWandb(FakeWandb):
    """Serves ``recorded`` (default: every recorded shape) as project ``recorder/realwandb``."""

    graph_class = _RecordedGraph

    def __init__(self, recorded: RecordedProject | None = None, **kwargs: Any):
        self.recorded = recorded if recorded is not None else load_recorded()
        super().__init__({self.recorded.path: self.recorded.data}, files=self.recorded.files, **kwargs)

    def _recorded_entry(self, art: ArtifactVersion, entry: str) -> dict[str, Any] | None:
        return self.recorded.manifests.get(art.id, {}).get(entry)

    def entry_sizes(self, path: str, art: ArtifactVersion) -> dict[str, int]:
        return {
            f.path: 0 if "ref" in (self._recorded_entry(art, f.path) or {}) else len(self.content(path, art, f.path))
            for f in art.files
        }

    def entry_digests(self, path: str, art: ArtifactVersion) -> dict[str, str]:
        digests = {}
        for file in art.files:
            item = self._recorded_entry(art, file.path) or {}
            digests[file.path] = (
                item["digest"] if "ref" in item else super().entry_digests(path, _only(art, file.path))[file.path]
            )
        return digests

    def manifest(self, path: str, art: ArtifactVersion) -> dict[str, Any]:
        manifest = super().manifest(path, art)
        for entry, item in manifest["contents"].items():
            recorded = self._recorded_entry(art, entry) or {}
            if "ref" in recorded:
                item["ref"] = self.server_ref(path, recorded["ref"])
        return manifest

    def server_ref(self, path: str, ref: str) -> str:
        """A client-id reference as the server stores it after sync: the target
        artifact by its id (hex of the base64 id), as wandb's WBArtifactHandler reads it."""
        match = _CLIENT_REF.match(ref)
        if not match:
            return ref
        target = self.recorded.client_ids[match["client"]]
        gql_id = self.graph.gql_id_by_key[(path, target)]
        return f"wandb-artifact://{base64.b64decode(gql_id).hex()}/{match['path']}"


def _only(art: ArtifactVersion, entry: str) -> ArtifactVersion:
    from dataclasses import replace

    return replace(art, files=tuple(f for f in art.files if f.path == entry))
