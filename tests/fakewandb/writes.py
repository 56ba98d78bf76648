"""What the fake answers when a client writes: ``wandb.init`` (UpsertBucket, run files,
the file stream), ``run.use_artifact`` (UseArtifact) and ``run.log_artifact``
(CreateArtifact, CreateArtifactManifest, CreateArtifactFiles, the uploads,
CommitArtifact).

A committed artifact becomes a new version in the project's ``ProjectData`` (its
entries' bytes in ``fake.files``; ``latest`` moves to it), logged by the run that wrote
it, so the read side serves it like any other version; UseArtifact adds the run to the
used artifact's consumers (lineage). Runs created here are added to the project too.
Nothing else of a run (history, summary, console) is kept.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tests.fakewandb.files import b64_id, b64_md5
from tests.fakewandb.graphql import Node
from wbview.records import ArtifactFile, ArtifactVersion, Run
from wbview.sources.memory import ProjectData

if TYPE_CHECKING:
    from tests.fakewandb.server import FakeWandb

UPLOAD_PREFIX = "/fakeupload/"


@dataclass
class _Pending:
    """An artifact between CreateArtifact and CommitArtifact."""

    gql_id: str
    project_path: str
    name: str
    type: str
    run_id: str | None
    description: str | None
    metadata: dict[str, Any]
    digest: str | None
    manifest: dict[str, Any] | None = None
    uploads: dict[str, bytes] = field(default_factory=dict)  # by upload token
    committed: ArtifactVersion | None = None


class Writes:
    """The mutations the fake accepts, and the uploads they lead to."""

    def __init__(self, fake: FakeWandb):
        self.fake = fake
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self.pending: dict[str, _Pending] = {}
        self.uploads: dict[str, bytes] = {}  # token -> bytes (run files, manifests, entries)
        self._upload_owner: dict[str, tuple[str, str]] = {}  # token -> (artifact gql id, entry or "")
        self.runs: dict[str, str] = {}  # run gql id -> "entity/project/run"

    # ---- GraphQL ---------------------------------------------------------------------
    def root(self) -> Node:
        return Node(
            "Mutation",
            upsertBucket=self.upsert_bucket,
            createRunFiles=self.create_run_files,
            useArtifact=self.use_artifact,
            createArtifact=self.create_artifact,
            createArtifactManifest=self.create_artifact_manifest,
            updateArtifactManifest=self.update_artifact_manifest,
            createArtifactFiles=self.create_artifact_files,
            commitArtifact=self.commit_artifact,
            updateArtifact=lambda args: Node("UpdateArtifactPayload", artifact=self._artifact_node(args["input"]["artifactID"])),
            markRunFilesUploaded=lambda args: Node("MarkRunFilesUploadedPayload", clientMutationId=None),
        )

    def _project(self, entity: str, project: str) -> ProjectData:
        path = f"{entity}/{project}"
        with self.fake._lock:
            if path not in self.fake.projects:
                self.fake.set_project(path, ProjectData())
            return self.fake.projects[path]

    def upsert_bucket(self, args: Mapping[str, Any]) -> Node:
        args = args.get("input") or args
        entity = args.get("entityName") or args.get("entity") or self.fake.default_entity
        project = args.get("modelName") or args.get("project") or "uncategorized"
        run_id = args.get("name") or f"run{next(self._ids)}"
        data = self._project(entity, project)
        with self.fake._lock:
            if run_id not in data.runs:
                data.runs[run_id] = Run(
                    id=run_id,
                    entity=entity,
                    project=project,
                    name=args.get("displayName") or run_id,
                    job_type=args.get("jobType"),
                    state="running",
                    created_at=datetime.now(UTC),
                )
                self.fake.set_project(f"{entity}/{project}", data)
        gql_id = b64_id(f"Run:{entity}/{project}/{run_id}")
        self.runs[gql_id] = f"{entity}/{project}/{run_id}"
        bucket = Node(
            "Run",
            id=gql_id,
            name=run_id,
            displayName=args.get("displayName") or run_id,
            description=None,
            config="{}",
            sweepName=None,
            historyLineCount=0,
            summaryMetrics="{}",
            eventsLineCount=0,
            project=Node(
                "Project", id=b64_id(f"Project:{entity}/{project}"), name=project, entity=Node("Entity", id="e", name=entity)
            ),
        )
        return Node("UpsertBucketPayload", bucket=bucket, inserted=True)

    def _upload_url(self, owner: str, entry: str) -> tuple[str, str]:
        token = f"u{next(self._ids)}"
        self._upload_owner[token] = (owner, entry)
        return token, f"{self.fake.base_url}{UPLOAD_PREFIX}{token}"

    def create_run_files(self, args: Mapping[str, Any]) -> Node:
        args = args.get("input") or args
        files = [Node("File", name=name, uploadUrl=self._upload_url("run", name)[1]) for name in args.get("files") or []]
        return Node("CreateRunFilesPayload", runID=b64_id("Run"), uploadHeaders=[], files=files)

    def use_artifact(self, args: Mapping[str, Any]) -> Node:
        data = args.get("input") or {}
        entity, project, run_id = data.get("entityName"), data.get("projectName"), data.get("runName")
        found = self.fake.graph.artifacts_by_gql_id.get(data.get("artifactID") or "")
        if found is not None and f"{entity}/{project}" == found.project_path:
            with self.fake._lock:
                project_data = self.fake.projects[found.project_path]
                art = project_data.artifacts[found.artifact.id]
                if run_id not in art.used_by:
                    project_data.artifacts[art.id] = replace(art, used_by=(*art.used_by, run_id))
                    self.fake.set_project(found.project_path, project_data)
        return Node("UseArtifactPayload", artifact=self.fake.graph.artifact_by_gql_id(data.get("artifactID")))

    def create_artifact(self, args: Mapping[str, Any]) -> Node:
        data = args.get("input") or {}
        entity = data.get("entityName") or self.fake.default_entity
        project = data.get("projectName") or "uncategorized"
        self._project(entity, project)
        gql_id = b64_id(f"PendingArtifact:{next(self._ids)}")
        metadata = data.get("metadata")
        with self._lock:
            self.pending[gql_id] = _Pending(
                gql_id=gql_id,
                project_path=f"{entity}/{project}",
                name=data.get("artifactCollectionName") or (data.get("artifactCollectionNames") or ["artifact"])[0],
                type=data.get("artifactTypeName") or "unspecified",
                run_id=data.get("runName"),
                description=data.get("description"),
                metadata=json.loads(metadata) if isinstance(metadata, str) else dict(metadata or {}),
                digest=data.get("digest"),
            )
        return Node("CreateArtifactPayload", artifact=self._artifact_node(gql_id))

    def _artifact_node(self, gql_id: str) -> Node:
        pending = self.pending.get(gql_id)
        index = self._next_index(pending) if pending is not None and pending.committed is None else None
        if pending is not None and pending.committed is not None:
            index = int(pending.committed.version.lstrip("v"))
        sequence = Node(
            "ArtifactSequence",
            id=b64_id(f"ArtifactSequence:{pending.project_path}/{pending.name}") if pending else "s",
            latestArtifact=None,
        )
        return Node(
            "Artifact",
            id=gql_id,
            state="COMMITTED" if pending is None or pending.committed is not None else "PENDING",
            digest=pending.digest if pending else None,
            versionIndex=index,
            artifactSequence=sequence,
        )

    def _next_index(self, pending: _Pending) -> int:
        data = self.fake.projects.get(pending.project_path, ProjectData())
        return sum(1 for a in data.artifacts.values() if a.name == pending.name)

    def _manifest_node(self, args: Mapping[str, Any]) -> Node:
        gql_id = args.get("artifactID") or ""
        token, url = self._upload_url(gql_id, "")
        return Node(
            "ArtifactManifest",
            id=b64_id(f"ArtifactManifest:{gql_id}"),
            file=Node(
                "File",
                id=b64_id(f"File:{token}"),
                name="wandb_manifest.json",
                displayName="wandb_manifest.json",
                uploadUrl=url,
                uploadHeaders=[],
                directUrl=url,
                url=url,
            ),
        )

    def create_artifact_manifest(self, args: Mapping[str, Any]) -> Node:
        args = args.get("input") or args
        return Node("CreateArtifactManifestPayload", artifactManifest=self._manifest_node(args))

    def update_artifact_manifest(self, args: Mapping[str, Any]) -> Node:
        args = args.get("input") or args
        manifest_id = args.get("artifactManifestID") or ""
        return Node("UpdateArtifactManifestPayload", artifactManifest=self._manifest_node({"artifactID": manifest_id}))

    def create_artifact_files(self, args: Mapping[str, Any]) -> Node:
        data = args.get("input") or {}
        edges = []
        for spec in data.get("artifactFiles") or []:
            gql_id = spec.get("artifactID") or ""
            name = spec.get("name") or ""
            token, url = self._upload_url(gql_id, name)
            node = Node(
                "File",
                id=b64_id(f"File:{token}"),
                name=name,
                displayName=name,
                uploadUrl=url,
                uploadHeaders=[],
                uploadMultipartUrls=None,
                storagePath=f"fake/{token}",
                artifact=Node("Artifact", id=gql_id),
            )
            edges.append(Node("FileEdge", node=node))
        return Node("CreateArtifactFilesPayload", files=Node("FileConnection", edges=edges))

    def commit_artifact(self, args: Mapping[str, Any]) -> Node:
        data = args.get("input") or args
        gql_id = data.get("artifactID") or ""
        with self._lock, self.fake._lock:
            pending = self.pending[gql_id]
            if pending.committed is None:
                pending.committed = self._commit(pending)
        return Node("CommitArtifactPayload", artifact=self._artifact_node(gql_id))

    def _commit(self, pending: _Pending) -> ArtifactVersion:
        entries: dict[str, bytes] = {}
        for token, (owner, entry) in self._upload_owner.items():
            if owner == pending.gql_id and entry and token in self.uploads:
                entries[entry] = self.uploads[token]
        manifest_entries = (pending.manifest or {}).get("contents") or {}
        for path in manifest_entries:
            entries.setdefault(path, b"")
        data = self.fake.projects[pending.project_path]
        entity, project = pending.project_path.split("/", 1)
        version = ArtifactVersion(
            entity=entity,
            project=project,
            name=pending.name,
            version=f"v{self._next_index(pending)}",
            type=pending.type,
            aliases=("latest",),
            description=pending.description,
            metadata=pending.metadata,
            size_bytes=sum(len(b) for b in entries.values()),
            digest=pending.digest,
            created_at=datetime.now(UTC).replace(microsecond=0),
            files=tuple(ArtifactFile(path, len(content), b64_md5(content)) for path, content in sorted(entries.items())),
            logged_by=pending.run_id,
        )
        for art_id, art in list(data.artifacts.items()):
            if art.name == pending.name and "latest" in art.aliases:
                data.artifacts[art_id] = replace(art, aliases=tuple(a for a in art.aliases if a != "latest"))
        data.artifacts[version.id] = version
        for path, content in entries.items():
            self.fake.files[(version.id, path)] = content
        pending.committed = version
        self.fake.set_project(pending.project_path, data)  # the graph maps the pending id to it
        return version

    # ---- uploads ---------------------------------------------------------------------
    def upload(self, token: str, body: bytes) -> bool:
        with self._lock:
            owner = self._upload_owner.get(token)
            if owner is None:
                return False
            self.uploads[token] = body
            gql_id, entry = owner
            if entry == "" and gql_id in self.pending:
                try:
                    self.pending[gql_id].manifest = json.loads(body)
                except ValueError:
                    self.pending[gql_id].manifest = None
        return True
