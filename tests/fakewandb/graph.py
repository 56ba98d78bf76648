"""The object graph: ProjectData seen through W&B's GraphQL types."""

from __future__ import annotations

import hashlib
import json
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from tests.fakewandb.files import (
    MEDIA_TABLE_MAX_ROWS,
    b64_id,
    b64_md5,
    client_id,
    connection,
    iso,
    plain_value,
)
from tests.fakewandb.filters import run_matches, sort_runs, wrap_config
from tests.fakewandb.graphql import GraphQLError, Node
from wbview.records import ArtifactVersion, Run

if TYPE_CHECKING:
    from tests.fakewandb.server import FakeWandb


@dataclass
class _ArtifactRef:
    project_path: str
    artifact: ArtifactVersion
    gql_id: str


class ObjectGraph:
    """Builds GraphQL nodes for runs, artifacts and projects on demand."""

    def __init__(self, fake: FakeWandb):
        self.fake = fake
        self.artifacts_by_gql_id: dict[str, _ArtifactRef] = {}
        self.gql_id_by_key: dict[tuple[str, str], str] = {}
        self.collection_ids: dict[tuple[str, str], str] = {}
        # see FakeWandb.memo_listings
        self._matches: dict[tuple[str, str], list[Run]] = {}
        self._listings: dict[tuple[str, str, str], list[Run]] = {}
        self._summaries: dict[tuple[str, str], dict[str, Any]] = {}
        counter = 0
        for project_path, data in fake.projects.items():
            for art_id, art in data.artifacts.items():
                counter += 1
                gql_id = b64_id(f"Artifact:{counter}")
                self.artifacts_by_gql_id[gql_id] = _ArtifactRef(project_path, art, gql_id)
                self.gql_id_by_key[(project_path, art_id)] = gql_id
                self.collection_ids.setdefault(
                    (project_path, art.name), b64_id(f"ArtifactSequence:{len(self.collection_ids) + 1}")
                )
        # versions that clients created are also found by the id CreateArtifact gave them
        for pending in getattr(fake, "writes", None) and fake.writes.pending.values() or ():
            if pending.committed is not None:
                self.artifacts_by_gql_id[pending.gql_id] = self.artifacts_by_gql_id[
                    self.gql_id_by_key[(pending.project_path, pending.committed.id)]
                ]

    # ---- root -------------------------------------------------------------------
    def root(self) -> Node:
        return Node(
            "Query",
            viewer=lambda args: self.viewer(),
            project=lambda args: self.project(args.get("entityName") or self.fake.default_entity, args.get("name")),
            artifact=lambda args: self.artifact_by_gql_id(args.get("id")),
            serverInfo=lambda args: self.server_info(),
            entity=lambda args: self.entity(args.get("name")),
            models=lambda args: connection(
                "Project",
                [
                    self.project(*p.split("/", 1))
                    for p in self.fake.projects
                    if p.split("/")[0] == (args.get("entityName") or self.fake.default_entity)
                ],
                args,
            ),
        )

    def viewer(self) -> Node:
        """The user the API key belongs to; a member of every entity in the fake."""
        entity = self.fake.default_entity
        teams = sorted({p.split("/")[0] for p in self.fake.projects} | {entity})
        return Node(
            "User",
            id=b64_id("User:1"),
            name="Fake User",
            username="fake-user",
            email="fake-user@example.com",
            entity=entity,
            admin=False,
            deletedAt=None,
            flags="{}",
            userInfo=None,
            defaultEntity=self.entity(entity),
            teams=Node("EntityConnection", edges=[Node("EntityEdge", node=self.entity(t)) for t in teams]),
            apiKeys=Node("ApiKeyConnection", edges=[]),
            organizations=[],
            defaultFramework=None,
            photoUrl=None,
        )

    def server_info(self) -> Node:
        return Node(
            "ServerInfo",
            features=[],
            cliVersionInfo="{}",
            latestLocalVersionInfo=None,
            availableBucketProviders=[],
            frontendHost=self.fake.base_url,
        )

    def entity(self, name: str | None) -> Node | None:
        if name is None:
            return None
        return Node(
            "Entity",
            id=b64_id(f"Entity:{name}"),
            name=name,
            isTeam=True,
            organization=None,
            defaultAccess="PRIVATE",
            readOnly=False,
            claimingEntity=None,
        )

    # ---- projects -----------------------------------------------------------------
    def project(self, entity: str | None, name: str | None) -> Node | None:
        path = f"{entity}/{name}"
        data = self.fake.projects.get(path)
        if data is None:
            return None
        return Node(
            "Project",
            id=b64_id(f"Project:v1:{name}:{entity}"),
            internalId=str(1 + list(self.fake.projects).index(path)),
            name=name,
            entityName=entity,
            entity=self.entity(entity),
            readOnly=False,
            createdAt="2025-11-01T00:00:00",
            isBenchmark=False,
            runCount=lambda args: len(self.filtered_runs(path, args)),
            runs=lambda args: connection("Run", self.filtered_runs(path, args), args, make=lambda r: self.run(path, r)),
            run=lambda args: self.run(path, data.runs.get(args.get("name"))),
            artifactTypes=lambda args: connection("ArtifactType", [self.artifact_type(path, t) for t in self.types(path)], args),
            artifactType=lambda args: (
                self.artifact_type(path, args.get("name")) if args.get("name") in self.types(path) else None
            ),
            artifactCollection=lambda args: self.collection(path, args.get("name")),
            artifactCollections=lambda args: connection(
                "ArtifactCollection", [self.collection(path, c) for c in self.collection_names(path)], args
            ),
            artifactCollectionMembership=lambda args: self.membership_by_name(path, args.get("name")),
            artifact=lambda args: self.artifact_by_name(path, args.get("name")),
            user=self.viewer(),
        )

    def filtered_runs(self, path: str, args: Mapping[str, Any]) -> list[Run]:
        filters = args.get("filters")
        if isinstance(filters, str):
            try:
                filters = json.loads(filters) if filters else {}
            except json.JSONDecodeError as exc:
                raise GraphQLError(f"invalid filters JSON: {exc}") from None
        if not self.fake.memo_listings:
            return self._sorted(path, self._matched(path, filters), args.get("order"))
        matched_key = (path, json.dumps(filters, sort_keys=True))
        matched = self._matches.get(matched_key)
        if matched is None:
            matched = self._matches[matched_key] = self._matched(path, filters)
        key = (*matched_key, str(args.get("order")))
        found = self._listings.get(key)
        if found is None:
            found = self._listings[key] = self._sorted(path, matched, args.get("order"))
        return found

    def _matched(self, path: str, filters: Any) -> list[Run]:
        runs = self.fake.projects[path].runs.values()
        return [r for r in runs if run_matches(r, filters, self._summary_of(r, path))]

    def _sorted(self, path: str, runs: list[Run], order: str | None) -> list[Run]:
        return sort_runs(runs, order, {r.id: self._summary_of(r, path) for r in runs})

    def _summary_of(self, run: Run, path: str) -> dict[str, Any]:
        if not self.fake.memo_listings:
            return self.summary(run, path)
        key = (path, run.id)
        found = self._summaries.get(key)
        if found is None:
            found = self._summaries[key] = self.summary(run, path)
        return found

    def types(self, path: str) -> list[str]:
        return sorted({a.type for a in self.fake.projects[path].artifacts.values()})

    def collection_names(self, path: str, artifact_type: str | None = None) -> list[str]:
        arts = self.fake.projects[path].artifacts.values()
        return sorted({a.name for a in arts if artifact_type is None or a.type == artifact_type})

    def versions(self, path: str, collection: str) -> list[ArtifactVersion]:
        arts = [a for a in self.fake.projects[path].artifacts.values() if a.name == collection]
        return sorted(arts, key=lambda a: int(a.version.lstrip("v")), reverse=True)

    def artifact_type(self, path: str, type_name: str | None) -> Node | None:
        if type_name is None:
            return None

        def collection_in_type(args: Mapping[str, Any]) -> Node | None:
            node = self.collection(path, args.get("name"))
            return node if node is not None and node["defaultArtifactType"]["name"] == type_name else None

        return Node(
            "ArtifactType",
            id=b64_id(f"ArtifactType:{path}:{type_name}"),
            name=type_name,
            description=None,
            createdAt="2025-11-01T00:00:00",
            artifactCollections=lambda args: connection(
                "ArtifactCollection", [self.collection(path, c) for c in self.collection_names(path, type_name)], args
            ),
            artifactSequences=lambda args: connection(
                "ArtifactSequence", [self.collection(path, c) for c in self.collection_names(path, type_name)], args
            ),
            artifactCollection=collection_in_type,
            artifactSequence=collection_in_type,
        )

    # ---- runs ---------------------------------------------------------------------
    def summary(self, run: Run, path: str | None = None) -> dict[str, Any]:
        """The run's summary as the server stores it: table-file entries included, with
        the client-side artifact ids wandb writes (which name no artifact on the server,
        so a reader must find the run_table artifact among the run's logged artifacts)."""
        summary = dict(run.summary)
        for ref in run.tables:
            nrows = ref.nrows if ref.nrows is not None else ref.stored_rows
            sha256 = hashlib.sha256(f"{ref.artifact}/{ref.entry}".encode()).hexdigest()
            step = 0
            summary[ref.key] = {
                "_type": "table-file",
                "path": f"media/table/{ref.key}_{step}_{sha256[:20]}.table.json",
                "sha256": sha256,
                "size": 100 * min(nrows or 0, MEDIA_TABLE_MAX_ROWS),
                "ncols": 9,
                "nrows": nrows,
                "log_mode": "IMMUTABLE",
                "artifact_path": f"wandb-client-artifact://{client_id(ref.artifact)}/{ref.entry}",
                "_latest_artifact_path": f"wandb-client-artifact://{client_id(ref.artifact.split(':')[0])}:latest/{ref.entry}",
            }
        history = self.fake.projects[path].histories.get(run.id) if path in self.fake.projects else None
        if history is not None and len(history):
            summary.setdefault("_step", int(history["_step"].max()))
        # W&B's own bookkeeping keys, present in every real summary.
        runtime_s = 600 + int(hashlib.md5(run.id.encode()).hexdigest()[:4], 16) % 3000
        started = run.created_at.timestamp() if run.created_at else 0.0
        summary.setdefault("_runtime", runtime_s)
        summary.setdefault("_timestamp", round(started + runtime_s, 3))
        summary.setdefault("_wandb", {"runtime": runtime_s})
        return summary

    def run(self, path: str, run: Run | None) -> Node | None:
        if run is None:
            return None
        entity, project = path.split("/", 1)
        data = self.fake.projects[path]
        history = data.histories.get(run.id)
        summary = self.summary(run, path)
        config = wrap_config(run.config)
        config["_wandb"] = {"value": {"cli_version": "0.31.0", "python_version": "3.11.2"}, "desc": None}
        links = data.run_artifacts.get(run.id)
        return Node(
            "Run",
            id=b64_id(f"Run:v1:{run.id}:{project}:{entity}"),
            name=run.id,
            displayName=run.name,
            tags=list(run.tags),
            state=run.state or "finished",
            group=run.group,
            jobType=run.job_type,
            config=json.dumps(config),
            summaryMetrics=json.dumps(summary),
            systemMetrics="{}",
            createdAt=iso(run.created_at),
            heartbeatAt=iso(run.created_at),
            updatedAt=iso(run.created_at),
            description=None,
            notes=None,
            commit=None,
            readOnly=False,
            sweepName=None,
            host="fake-host",
            projectId=int(self.project(entity, project)["internalId"]),
            project=self.project(entity, project),
            user=self.viewer(),
            historyLineCount=0 if history is None else len(history),
            historyKeys=self.history_keys(history),
            sampledHistory=lambda args: [self.sampled_history(history, json.loads(spec)) for spec in args.get("specs") or []],
            history=lambda args: [json.dumps(row) for row in self.history_rows(history, None, args.get("samples"))],
            events=lambda args: [],
            fileCount=len(self.fake.run_file_names(path, run)),
            files=lambda args: self.run_files(path, run, args),
            parquetHistory=lambda args: Node("ParquetHistory", parquetUrls=[], liveData=self.history_rows(history, None, None)),
            outputArtifacts=lambda args: connection(
                "Artifact", [self.artifact_node(path, a) for a in (links.logged if links else ())], args
            ),
            inputArtifacts=lambda args: connection(
                "Artifact", [self.artifact_node(path, a) for a in (links.used if links else ())], args
            ),
        )

    @staticmethod
    def history_keys(history: pd.DataFrame | None) -> dict[str, Any]:
        if history is None or not len(history):
            return {"lastStep": -1, "keys": {}}
        keys = {
            str(col): {"typeCounts": [{"type": "number", "count": int(history[col].notna().sum())}]} for col in history.columns
        }
        return {"lastStep": int(history["_step"].max()), "keys": keys}

    @staticmethod
    def history_rows(history: pd.DataFrame | None, keys: list[str] | None, samples: int | None) -> list[dict[str, Any]]:
        if history is None or not len(history):
            return []
        if keys is not None:
            keys = list(dict.fromkeys(keys))
        frame = history if keys is None else history[[k for k in keys if k in history.columns]]
        if keys is not None:
            if len(frame.columns) < len(keys):
                return []
            frame = frame.dropna()
        records = [{k: plain_value(v) for k, v in row.items() if plain_value(v) is not None} for row in frame.to_dict("records")]
        if samples and len(records) > samples:
            stride = len(records) / samples
            records = [records[int(i * stride)] for i in range(samples)]
        return records

    def sampled_history(self, history: pd.DataFrame | None, spec: Mapping[str, Any]) -> list[dict[str, Any]]:
        rows = self.history_rows(history, list(spec.get("keys") or []), spec.get("samples"))
        max_step = spec.get("maxStep")
        min_step = spec.get("minStep")
        return [
            r
            for r in rows
            if (max_step is None or r.get("_step", 0) <= max_step) and (min_step is None or r.get("_step", 0) >= min_step)
        ]

    def run_files(self, path: str, run: Run, args: Mapping[str, Any]) -> Node:
        names = args.get("names") or []
        pattern = args.get("pattern")
        regex = re.compile("^" + ".*".join(re.escape(p) for p in pattern.split("%")).replace("_", ".") + "$") if pattern else None
        nodes = []
        for name in self.fake.run_file_names(path, run):
            if (names and name not in names) or (regex and not regex.match(name)):
                continue
            content = self.fake.run_file_content(path, run, name)
            url = f"{self.fake.base_url}/storage/runs/{path}/{run.id}/{urllib.parse.quote(name)}"
            nodes.append(
                Node(
                    "File",
                    id=b64_id(f"File:{path}:{run.id}:{name}"),
                    name=name,
                    url=url,
                    directUrl=url,
                    sizeBytes=len(content),
                    mimetype="application/octet-stream",
                    updatedAt=iso(run.created_at),
                    md5=b64_md5(content),
                    digest=b64_md5(content),
                )
            )
        return connection("File", nodes, args)

    # ---- artifacts ----------------------------------------------------------------
    def collection(self, path: str, name: str | None) -> Node | None:
        versions = self.versions(path, name) if name else []
        if not versions:
            return None
        entity, project = path.split("/", 1)
        first = versions[-1]

        def artifacts(args: Mapping[str, Any]) -> Node:
            return connection(
                "VersionedArtifact",
                [self.artifact_node(path, a.id) for a in versions],
                args,
                edge_extra=lambda node: {"version": f"v{node['versionIndex']}"},
            )

        def membership(args: Mapping[str, Any]) -> Node | None:
            return self.membership(path, name, args.get("aliasName") or "latest")

        return Node(
            "ArtifactSequence",
            ("ArtifactCollection",),
            id=self.collection_ids[(path, name)],
            name=name,
            description=first.description,
            createdAt=iso(first.created_at),
            updatedAt=iso(versions[0].created_at),
            project=self.project(entity, project),
            defaultArtifactType=Node("ArtifactType", name=first.type, id=b64_id(f"ArtifactType:{path}:{first.type}")),
            tags=Node("TagConnection", edges=[]),
            artifacts=artifacts,
            artifactMembership=membership,
            artifactMemberships=lambda args: connection(
                "ArtifactCollectionMembership", [self.membership(path, name, a.version) for a in versions], args
            ),
            aliases=lambda args: connection(
                "ArtifactAlias", [self.alias(path, a.name, al) for a in versions for al in a.aliases], args
            ),
        )

    def find_version(self, path: str, name: str, alias: str) -> ArtifactVersion | None:
        arts = self.fake.projects[path].artifacts
        if f"{name}:{alias}" in arts:
            return arts[f"{name}:{alias}"]
        for art in arts.values():
            if art.name == name and alias in art.aliases:
                return art
        if alias == "latest":
            versions = self.versions(path, name)
            return versions[0] if versions else None
        return None

    def membership_by_name(self, path: str, name_alias: str | None) -> Node | None:
        name, _, alias = (name_alias or "").partition(":")
        return self.membership(path, name, alias or "latest")

    def membership(self, path: str, name: str | None, alias: str) -> Node | None:
        art = self.find_version(path, name, alias) if name else None
        if art is None:
            return None
        node = self.artifact_node(path, art.id)
        return Node(
            "ArtifactCollectionMembership",
            id=b64_id(f"ArtifactCollectionMembership:{node['id']}"),
            versionIndex=node["versionIndex"],
            createdAt=node["createdAt"],
            aliases=node["aliases"],
            artifactCollection=self.collection(path, art.name),
            artifact=node,
            files=lambda args: self.files(path, art, args),
        )

    def artifact_by_name(self, path: str, name_alias: str | None) -> Node | None:
        membership = self.membership_by_name(path, name_alias)
        return membership["artifact"] if membership else None

    def artifact_by_gql_id(self, gql_id: str | None) -> Node | None:
        ref = self.artifacts_by_gql_id.get(gql_id or "")
        return self.artifact_node(ref.project_path, ref.artifact.id) if ref else None

    def alias(self, path: str, collection: str, alias: str) -> Node:
        entity, project = path.split("/", 1)
        return Node(
            "ArtifactAlias",
            id=b64_id(f"ArtifactAlias:{path}:{collection}:{alias}"),
            alias=alias,
            artifactCollectionName=collection,
            artifactCollection=Node(
                "ArtifactSequence",
                ("ArtifactCollection",),
                name=collection,
                id=self.collection_ids[(path, collection)],
                project=self.project(entity, project),
            ),
        )

    def artifact_node(self, path: str, art_id: str) -> Node | None:
        data = self.fake.projects[path]
        art = data.artifacts.get(art_id)
        if art is None:
            return None
        entity, project = path.split("/", 1)
        gql_id = self.gql_id_by_key[(path, art_id)]
        manifest_url = f"{self.fake.base_url}/storage/manifests/{gql_id}.json"
        sizes = self.fake.entry_sizes(path, art)
        version_index = int(art.version.lstrip("v"))
        return Node(
            "Artifact",
            id=gql_id,
            artifactSequence=Node(
                "ArtifactSequence",
                ("ArtifactCollection",),
                name=art.name,
                id=self.collection_ids[(path, art.name)],
                project=self.project(entity, project),
            ),
            versionIndex=version_index,
            artifactType=Node("ArtifactType", name=art.type, id=b64_id(f"ArtifactType:{path}:{art.type}")),
            description=art.description,
            metadata=json.dumps(dict(art.metadata)),
            ttlDurationSeconds=-1,
            ttlIsInherited=True,
            tags=[],
            historyStep=None,
            state="COMMITTED",
            size=art.size_bytes if art.size_bytes is not None else sum(sizes.values()),
            digest=art.digest or self.fake.artifact_digest(path, art),
            digestAlgorithm="MANIFEST_MD5",
            commitHash=hashlib.sha1(art.id.encode()).hexdigest()[:12],
            fileCount=len(art.files),
            createdAt=iso(art.created_at),
            updatedAt=iso(art.created_at),
            aliases=[self.alias(path, art.name, a) for a in art.aliases],
            currentManifest=Node(
                "ArtifactManifest",
                id=b64_id(f"ArtifactManifest:{gql_id}"),
                file=Node("File", directUrl=manifest_url, url=manifest_url),
            ),
            createdBy=lambda args: self.run(path, data.runs.get(art.logged_by or "")),
            usedBy=lambda args: connection(
                "Run", [self.run(path, data.runs.get(r)) for r in art.used_by if r in data.runs], args, default_first=10_000
            ),
            artifactMemberships=lambda args: connection(
                "ArtifactCollectionMembership", [self.membership(path, art.name, art.version)], args
            ),
            files=lambda args: self.files(path, art, args),
        )

    def files(self, path: str, art: ArtifactVersion, args: Mapping[str, Any]) -> Node:
        names = args.get("names")
        wanted = [f for f in art.files if not names or f.path in names]
        gql_id = self.gql_id_by_key[(path, art.id)]
        sizes = self.fake.entry_sizes(path, art)
        digests = self.fake.entry_digests(path, art)
        nodes = []
        for file in wanted:
            url = f"{self.fake.base_url}/storage/entries/{gql_id}/{urllib.parse.quote(file.path)}"
            nodes.append(
                Node(
                    "File",
                    id=b64_id(f"File:{gql_id}:{file.path}"),
                    name=file.path,
                    displayName=file.path,
                    url=url,
                    directUrl=url,
                    sizeBytes=sizes[file.path],
                    storagePath=f"wandb_artifacts/{gql_id}/{file.path}",
                    mimetype="application/json" if file.path.endswith(".json") else "application/octet-stream",
                    updatedAt=iso(art.created_at),
                    digest=digests[file.path],
                    md5=digests[file.path],
                )
            )
        return connection("File", nodes, args)
