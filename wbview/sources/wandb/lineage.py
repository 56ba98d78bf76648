"""Lineage over wandb, through its public API only: an artifact's producer
(``Artifact.logged_by()``) and consumers (``Artifact.used_by()``), a run's inputs and
outputs, and one filtered ``Runs`` query per level for runs not yet described."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from wbview.sources.lineage import LineageReader, Way, is_artifact_id
from wbview.sources.wandb.convert import artifact_record, run_record, split_project, stable_id

if TYPE_CHECKING:
    from wbview.sources.wandb.source import WandbSource


class WandbLineageReader(LineageReader):
    """The walker's reads, memoized, over wandb objects: an artifact's producer and
    consumers through ``Artifact.logged_by()`` / ``used_by()``, then one filtered Runs
    query per level to describe the runs found."""

    def __init__(self, source: WandbSource, project: str):
        super().__init__(source, project)
        self.wb = source
        self.entity, self.project_name = split_project(project)

    def resolve(self, node_id: str) -> str:
        if is_artifact_id(node_id):
            art = self.wb._wandb_artifact(self.project, node_id)
            self._describe_artifact(art)
            return stable_id(art)
        return super().resolve(node_id)

    def _describe_artifact(self, art: Any) -> None:
        record = artifact_record(art, self.entity, self.project_name)
        self.artifacts[record.id] = record

    @staticmethod
    def _ids(wandb_runs: Iterable[Any]) -> list[str]:
        # Only the ids: describing these objects would load each one's config and summary
        # with a request of its own; prefetch describes a whole level with one Runs query.
        return [wandb_run.id for wandb_run in wandb_runs]

    def prefetch(self, node_ids: list[str]) -> None:
        missing = [i for i in node_ids if not is_artifact_id(i) and i not in self.runs]
        if not missing:
            return
        found = {}
        api = self.wb.api
        for chunk in _chunks(missing, self.wb.per_page):
            listing = self.wb._call(
                f"describing {len(chunk)} runs of {self.project}",
                lambda chunk=chunk: list(
                    api.runs(self.project, filters={"name": {"$in": chunk}}, per_page=self.wb.per_page, lazy=False)
                ),
            )
            for wandb_run in listing:
                self.wb._remember_run(self.project, wandb_run)
                found[wandb_run.id] = run_record(wandb_run, self.entity, self.project_name)
        api.flush()
        for run_id in missing:
            self.runs[run_id] = found.get(run_id)  # None: another project, or deleted

    def neighbours(self, node_id: str, way: Way) -> list[str]:
        if is_artifact_id(node_id):
            art = self.wb._artifacts.get(f"{self.project}/{node_id}") or self.wb._wandb_artifact(self.project, node_id)
            if way == "up":
                producer = self.wb._producer(art)
                return self._ids([producer] if producer is not None else [])
            return self._ids(self.wb._consumers(art))
        ids = super().neighbours(node_id, way)
        for art_id in ids:  # run_artifacts() already holds these objects: no request to describe them
            art = self.wb._artifacts.get(f"{self.project}/{art_id}")
            if art is not None and art_id not in self.artifacts:
                self._describe_artifact(art)
        return ids


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
