"""A realistic fixture W&B project ("acme/phishing") for data-layer, store and page tests.

It follows the team's seed guide: runs named ``exp-003-train-2025-12-13T07-30-22Z`` in
groups ``exp-001``.., nested ``{"params", "meta"}`` configs plus one flat key with a dot
(``"model.type"``), namespaced metrics, and a dataset -> cleaned -> encoded -> model ->
predictions lineage with ``run_table`` eval tables named the way wandb names them.

Everything is deterministic for a given seed and cached: treat the returned
``ProjectData`` as read-only (copy it before changing anything).
"""

from __future__ import annotations

import functools
import json
import random
import re
from base64 import urlsafe_b64encode
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zlib import crc32

import numpy as np
import pandas as pd

from wbview.records import ArtifactFile, ArtifactVersion, Run, RunArtifacts, TableRef
from wbview.sources.memory import ProjectData

ENTITY = "acme"
PROJECT = "phishing"
PROJECT_PATH = f"{ENTITY}/{PROJECT}"
TABLE_KEY = "eval/predictions"
EVAL_TABLE_ROWS = 20_000  # the main eval table
SMALL_TABLE_ROWS = 200  # other eval runs' tables, to keep building and serving fast
TRUNCATED_STORED_ROWS = 300  # the "truncated at log time" table: rows actually stored
TRUNCATED_LOGGED_ROWS = 250_000  # ... and the row count the summary reports
CLASSES = ("ham", "phishing")
START = datetime(2025, 12, 1, 8, 0, 0, tzinfo=UTC)

_WORDS = (
    "verify your account now",
    "invoice attached for review",
    "meeting moved to 3pm",
    "your package could not be delivered",
    "reset your password immediately",
    "lunch on friday?",
    "quarterly report draft",
    "you have won a prize",
    "security alert: unusual sign-in",
    "team offsite agenda",
    "click here to claim",
    "updated roadmap slides",
    "bank account suspended",
    "please review the PR",
)


def sanitize_artifact_name(name: str) -> str:
    """wandb's rule for run_table artifact names (``run-<id>-<key>``): drop characters
    outside ``[A-Za-z0-9_.-]`` and, when any were dropped, add a CRC32 suffix."""
    sanitized = re.sub(r"[^a-zA-Z0-9_\-.]+", "", name)
    if sanitized == name:
        return name
    suffix = urlsafe_b64encode((crc32(name.encode()) & 0xFFFFFFFF).to_bytes(4, "big")).rstrip(b"=").decode()
    return f"{sanitized}-{suffix}"


def run_table_artifact_name(run_id: str, key: str) -> str:
    """The collection name wandb gives the table logged under ``key`` by ``run_id``."""
    return sanitize_artifact_name(f"run-{run_id}-{key}")


def build_eval_table(nrows: int, seed: int = 0, classes: tuple[str, ...] = CLASSES) -> pd.DataFrame:
    """An eval-predictions table with the seed-guide column names (see wbview.schema)."""
    rng = np.random.default_rng(seed)
    true_idx = rng.integers(0, len(classes), nrows)
    correct = rng.random(nrows) < 0.9
    shift = rng.integers(1, len(classes), nrows) if len(classes) > 1 else np.zeros(nrows, int)
    pred_idx = np.where(correct, true_idx, (true_idx + shift) % len(classes))
    confidence = np.round(0.5 + 0.5 * rng.random(nrows), 6)
    labels = np.array(classes, dtype=object)
    frame = pd.DataFrame(
        {
            "Sample ID": np.arange(nrows, dtype=np.int64),
            "Decoded Text": [f"{_WORDS[i % len(_WORDS)]} #{i}" for i in rng.integers(0, 10_000, nrows)],
            "True Label": labels[true_idx],
            "Predicted Label": labels[pred_idx],
        }
    )
    positive = classes[-1]
    prob_positive = np.where(pred_idx == len(classes) - 1, confidence, 1 - confidence)
    if len(classes) == 2:
        frame[f"Prob ({classes[0]})"] = np.round(1 - prob_positive, 6)
        frame[f"Prob ({positive})"] = np.round(prob_positive, 6)
    else:
        for index, name in enumerate(classes):
            frame[f"Prob ({name})"] = np.where(pred_idx == index, confidence, (1 - confidence) / (len(classes) - 1))
    frame["Confidence"] = confidence
    is_pos_true = frame["True Label"] == positive
    is_pos_pred = frame["Predicted Label"] == positive
    frame["Outcome"] = np.select(
        [is_pos_true & is_pos_pred, ~is_pos_true & ~is_pos_pred, ~is_pos_true & is_pos_pred],
        ["TP", "TN", "FP"],
        "FN",
    ).astype(object)
    frame["Is Error"] = frame["True Label"] != frame["Predicted Label"]
    return frame


@functools.lru_cache(maxsize=4)
def build_large_table(nrows: int = 200_000, seed: int = 1) -> pd.DataFrame:
    """A large eval table for benchmarks (cached; do not mutate)."""
    return build_eval_table(nrows, seed=seed)


@dataclass
class _Builder:
    seed: int
    data: ProjectData = field(default_factory=ProjectData)
    clock: datetime = START

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.used_ids: set[str] = set()
        self.used_by: dict[str, list[str]] = {}
        self.logged_by: dict[str, str] = {}

    # ---- helpers ----------------------------------------------------------------
    def run_id(self) -> str:
        while True:
            rid = "".join(self.rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(8))
            if rid not in self.used_ids:
                self.used_ids.add(rid)
                return rid

    def tick(self, minutes: float) -> datetime:
        self.clock += timedelta(minutes=minutes * (0.8 + 0.4 * self.rng.random()))
        return self.clock

    def add_run(
        self,
        group: str,
        job_type: str,
        params: dict[str, Any],
        meta: dict[str, Any],
        *,
        state: str = "finished",
        tags: tuple[str, ...] = (),
        summary: dict[str, Any] | None = None,
        extra_config: dict[str, Any] | None = None,
        used: tuple[str, ...] = (),
    ) -> Run:
        created = self.tick(47)
        stamp = created.strftime("%Y-%m-%dT%H-%M-%SZ")
        rid = self.run_id()
        config = {"params": params, "meta": {"task": "phishing-detection", **meta}, **(extra_config or {})}
        run = Run(
            id=rid,
            entity=ENTITY,
            project=PROJECT,
            name=f"{group}-{job_type}-{stamp}",
            group=group,
            job_type=job_type,
            tags=tags,
            state=state,
            created_at=created,
            url=f"https://wandb.ai/{ENTITY}/{PROJECT}/runs/{rid}",
            config=config,
            summary=summary or {},
        )
        self.data.runs[rid] = run
        self.data.run_artifacts[rid] = RunArtifacts(rid, used=tuple(used))
        for art in used:
            self.used_by.setdefault(art, []).append(rid)
        return run

    def log_artifact(
        self,
        run: Run,
        name: str,
        type_: str,
        files: dict[str, pd.DataFrame | None],
        *,
        metadata: dict[str, Any],
        description: str | None = None,
        aliases: tuple[str, ...] = (),
    ) -> str:
        version = sum(1 for a in self.data.artifacts.values() if a.name == name)
        art_id = f"{name}:v{version}"
        for path, frame in files.items():
            if frame is not None:
                self.data.tables[(art_id, path)] = frame
        self.data.artifacts[art_id] = ArtifactVersion(
            entity=ENTITY,
            project=PROJECT,
            name=name,
            version=f"v{version}",
            type=type_,
            aliases=aliases,
            description=description,
            metadata=metadata,
            created_at=run.created_at + timedelta(minutes=20),
            files=tuple(ArtifactFile(p) for p in files),
        )
        links = self.data.run_artifacts[run.id]
        self.data.run_artifacts[run.id] = replace(links, logged=links.logged + (art_id,))
        self.logged_by[art_id] = run.id
        return art_id

    def log_table(self, run: Run, frame: pd.DataFrame, logged_rows: int | None = None) -> TableRef:
        """Log ``frame`` under TABLE_KEY the way ``run.log({key: wandb.Table})`` does."""
        name = run_table_artifact_name(run.id, TABLE_KEY)
        entry = f"{TABLE_KEY}.table.json"
        art_id = self.log_artifact(run, name, "run_table", {entry: frame}, metadata={}, aliases=("latest",))
        ref = TableRef(
            run_id=run.id,
            key=TABLE_KEY,
            artifact=art_id,
            entry=entry,
            nrows=logged_rows if logged_rows is not None else len(frame),
            stored_rows=len(frame),
        )
        self.data.runs[run.id] = replace(self.data.runs[run.id], tables=(ref,))
        return ref

    def finish(self) -> ProjectData:
        """Fill logged_by/used_by and the `latest` aliases consistently."""
        latest: dict[str, str] = {}
        for art_id, art in self.data.artifacts.items():
            if art.name not in latest or int(art.version[1:]) > int(latest[art.name].split(":v")[1]):
                latest[art.name] = art_id
        for art_id, art in list(self.data.artifacts.items()):
            aliases = tuple(a for a in art.aliases if a != "latest")
            if latest[art.name] == art_id:
                aliases = ("latest",) + aliases
            self.data.artifacts[art_id] = replace(
                art,
                aliases=aliases,
                logged_by=self.logged_by.get(art_id),
                used_by=tuple(self.used_by.get(art_id, ())),
            )
        return self.data


# (group, [(job_type, options)]) — the project's history, oldest first.
_PLAN: list[tuple[str, list[tuple[str, dict[str, Any]]]]] = [
    (
        "exp-001",
        [
            ("ingest", {"revision": "v3"}),
            ("clean", {}),
            ("encode", {"encoder": "standard"}),
            ("encode", {"encoder": "head_tail"}),
            ("train", {"encoded": 0, "lr": 5e-5}),
            ("eval", {"rows": EVAL_TABLE_ROWS}),
        ],
    ),
    (
        "exp-002",
        [
            ("train", {"encoded": 1, "lr": 3e-5}),
            ("eval", {}),
            ("eval", {"threshold": 0.7}),
            ("train", {"encoded": 1, "lr": 1e-2, "optimizer": "sgd", "state": "failed"}),
        ],
    ),
    (
        "exp-003",
        [
            ("ingest", {"revision": "v4"}),
            ("clean", {}),
            ("encode", {"encoder": "head_tail"}),
            ("train", {"encoded": 2, "lr": 2e-5, "alias": "production"}),
            ("eval", {}),
        ],
    ),
    (
        "exp-004",
        [
            ("train", {"encoded": 2, "lr": 1e-4}),
            ("eval", {"truncated": True}),
            ("train", {"encoded": 2, "lr": 5e-4}),
            ("eval", {}),
        ],
    ),
    (
        "exp-005",
        [
            ("train", {"encoded": 2, "lr": 3e-5, "state": "crashed"}),
            ("train", {"encoded": 2, "lr": 3e-5, "model_type": "roberta", "alias": "staging"}),
            ("eval", {}),
        ],
    ),
    ("exp-006", [("train", {"encoded": 2, "lr": 1e-2, "optimizer": "sgd"}), ("eval", {}), ("eval", {"state": "failed"})]),
    (
        "exp-007",
        [
            ("train", {"encoded": 0, "lr": 2e-5, "model_type": "roberta"}),
            ("eval", {}),
            ("train", {"encoded": 2, "lr": 1e-5, "state": "running"}),
        ],
    ),
    (
        "exp-008",
        [
            ("train", {"encoded": 1, "lr": 4e-5}),
            ("eval", {}),
            ("train", {"encoded": 2, "lr": 6e-5, "optimizer": "sgd"}),
            ("eval", {}),
        ],
    ),
]

_ENCODED_NAME = "phishing-texts-encoded"
_MODEL_NAME = "phishing-classifier"


def _history(rng: random.Random, steps: int, final_loss: float, final_f1: float, lr: float) -> pd.DataFrame:
    step = np.arange(steps)
    loss = final_loss + (0.7 - final_loss) * np.exp(-step / (steps / 4)) + np.array([rng.uniform(-0.01, 0.01) for _ in step])
    f1 = np.where(step % 10 == 9, final_f1 - 0.2 * np.exp(-step / (steps / 3)), np.nan)
    return pd.DataFrame(
        {"_step": step, "train/loss": np.round(loss, 6), "train/lr": lr * (1 - step / steps), "eval/f1": np.round(f1, 6)}
    )


class _Pipeline(_Builder):
    """Turns _PLAN into runs, artifacts, tables and histories."""

    def run_plan(self) -> ProjectData:
        self.raw: str | None = None
        self.cleaned: str | None = None
        self.encoded: list[str] = []
        self.model: str | None = None
        self.table_seed = self.seed
        for group, steps in _PLAN:
            for job_type, opts in steps:
                getattr(self, f"job_{job_type}")(group, opts)
        self.clock = self.clock.replace(microsecond=0)
        return self.finish()

    def add_run(self, *args: Any, **kwargs: Any) -> Run:  # seconds resolution, as W&B stores it
        self.clock = self.clock.replace(microsecond=0)
        run = super().add_run(*args, **kwargs)
        fixed = replace(run, created_at=run.created_at.replace(microsecond=0))
        self.data.runs[run.id] = fixed
        return fixed

    def tags(self, group: str, *extra: str) -> tuple[str, ...]:
        return ("baseline",) + extra if group == "exp-001" else ("experiment",) + extra

    def job_ingest(self, group: str, opts: dict[str, Any]) -> None:
        params = {
            "hf_dataset_path": "David-Egea/phishing-texts",
            "hf_config_name": None,
            "hf_revision": opts["revision"],
            "seed": 42,
        }
        n = 20_301 if opts["revision"] == "v3" else 21_544
        run = self.add_run(
            group,
            "ingest",
            params,
            {"owner": "data-team"},
            tags=self.tags(group, "data"),
            summary={"data/num_samples": n, "data/num_duplicates": 113},
        )
        self.raw = self.log_artifact(
            run,
            "phishing-texts-raw",
            "dataset",
            {"texts.jsonl": None},
            description="Raw phishing/ham texts from Hugging Face",
            metadata={
                "num_samples": n,
                "source": "David-Egea/phishing-texts",
                "hf_revision": opts["revision"],
                "class_distribution": {"ham": 0.62, "phishing": 0.38},
                "schema": {"text": "string", "label": "int"},
                "preprocessing_applied": [],
            },
        )

    def job_clean(self, group: str, opts: dict[str, Any]) -> None:
        params = {"dedupe": True, "strip_html": True, "min_chars": 10, "seed": 42}
        run = self.add_run(
            group,
            "clean",
            params,
            {"owner": "data-team"},
            tags=self.tags(group, "data"),
            summary={"data/num_samples": 20_188, "data/removed": 113},
            used=(self.raw,),
        )
        self.cleaned = self.log_artifact(
            run,
            "phishing-texts-cleaned",
            "dataset",
            {"texts.jsonl": None, "stats.json": None},
            description="Deduplicated, HTML-stripped texts",
            metadata={
                "num_samples": 20_188,
                "source_dataset": self.raw,
                "splits": {"train": 0.8, "val": 0.1, "test": 0.1},
                "class_distribution": {"ham": 0.62, "phishing": 0.38},
                "preprocessing_applied": ["dedupe", "strip_html"],
            },
        )

    def job_encode(self, group: str, opts: dict[str, Any]) -> None:
        params = {
            "encoder": opts["encoder"],
            "max_length": 256,
            "tokenizer": "distilbert-base-uncased",
            "splits": {"train": 0.8, "val": 0.1, "test": 0.1},
            "seed": 42,
        }
        run = self.add_run(
            group,
            "encode",
            params,
            {"owner": "data-team"},
            tags=self.tags(group, "data"),
            summary={"data/num_samples": 20_188, "data/truncated_pct": 0.137},
            used=(self.cleaned,),
        )
        self.encoded.append(
            self.log_artifact(
                run,
                _ENCODED_NAME,
                "dataset",
                {"dataset_dict.json": None, "train/data-00000-of-00001.arrow": None, "test/data-00000-of-00001.arrow": None},
                description=f"Tokenized phishing detection dataset ({opts['encoder']} truncation)",
                metadata={
                    "num_samples": {"train": 16150, "val": 2019, "test": 2019},
                    "class_distribution": {"ham": 0.62, "phishing": 0.38},
                    "max_length": 256,
                    "source_dataset": self.cleaned,
                    "encoding_strategy": opts["encoder"],
                    "tokenizer": "distilbert-base-uncased",
                    "format": "hf_arrow",
                    "loader": "datasets.load_from_disk",
                    "columns": ["input_ids", "attention_mask", "label"],
                },
            )
        )

    def job_train(self, group: str, opts: dict[str, Any]) -> None:
        encoded = self.encoded[opts["encoded"]]
        encoder = self.data.artifacts[encoded].metadata["encoding_strategy"]
        optimizer = opts.get("optimizer", "adamw")
        state = opts.get("state", "finished")
        model_type = opts.get("model_type", "distilbert")
        params = {
            "lr": opts["lr"],
            "batch_size": 32,
            "epochs": 3,
            "encoder": encoder,
            "max_length": 256,
            "optimizer": {"name": optimizer, "weight_decay": 0.01 if optimizer == "adamw" else 0.0},
            "seed": 42,
        }
        quality = (
            0.93
            - abs(np.log10(opts["lr"]) + 4.5) * 0.03
            + (0.015 if encoder == "head_tail" else 0)
            - (0.05 if optimizer == "sgd" else 0)
        )
        f1 = round(quality + self.rng.uniform(-0.01, 0.01), 4)
        loss = round(0.45 - quality * 0.4, 4)
        done = state == "finished"
        summary = {"train/loss": loss, "train/epoch": 3 if done else 1}
        if done:
            summary |= {"eval/f1": f1, "eval/accuracy": round(f1 + 0.02, 4), "train/runtime_s": 1800 + self.rng.randint(0, 900)}
        run = self.add_run(
            group,
            "train",
            params,
            {"dataset": encoded, "base_model": f"{model_type}-base-uncased"},
            state=state,
            tags=self.tags(group, *(["sgd"] if optimizer == "sgd" else [])),
            summary=summary,
            extra_config={"model.type": model_type},
            used=(encoded,),
        )
        self.data.histories[run.id] = _history(self.rng, 60 if done else 25, loss, f1, opts["lr"])
        if not done:
            return
        self.model = self.log_artifact(
            run,
            _MODEL_NAME,
            "model",
            {"model.safetensors": None, "config.json": None, "tokenizer.json": None},
            description=f"Fine-tuned {model_type} for phishing detection",
            aliases=(opts["alias"],) if "alias" in opts else (),
            metadata={
                "base_model": f"{model_type}-base-uncased",
                "dataset": encoded,
                "run_id": run.id,
                "num_labels": 2,
                "id2label": {"0": "ham", "1": "phishing"},
                "label2id": {"ham": 0, "phishing": 1},
                "val_f1": f1,
                "val_accuracy": round(f1 + 0.02, 4),
                "best_metric": f1,
                "framework": "transformers",
                "transformers_version": "4.36.0",
            },
        )

    def job_eval(self, group: str, opts: dict[str, Any]) -> None:
        model = self.data.artifacts[self.model]
        dataset = model.metadata["dataset"]
        state = opts.get("state", "finished")
        threshold = opts.get("threshold", 0.5)
        params = {"threshold": threshold, "batch_size": 64, "encoder": self.data.artifacts[dataset].metadata["encoding_strategy"]}
        model_type = model.metadata["base_model"].split("-")[0]
        f1 = round(float(model.metadata["val_f1"]) - 0.01 + self.rng.uniform(-0.005, 0.005), 4)
        summary = (
            {
                "eval/f1": f1,
                "eval/accuracy": round(f1 + 0.015, 4),
                "eval/precision": round(f1 + 0.01, 4),
                "eval/recall": round(f1 - 0.01, 4),
            }
            if state == "finished"
            else {}
        )
        run = self.add_run(
            group,
            "eval",
            params,
            {"model": self.model, "dataset": dataset},
            state=state,
            tags=self.tags(group, "eval"),
            summary=summary,
            extra_config={"model.type": model_type},
            used=(self.model, dataset),
        )
        if state != "finished":
            return
        self.table_seed += 1
        rows = opts.get("rows", TRUNCATED_STORED_ROWS if opts.get("truncated") else SMALL_TABLE_ROWS)
        frame = build_eval_table(rows, seed=self.table_seed)
        self.log_table(run, frame, logged_rows=TRUNCATED_LOGGED_ROWS if opts.get("truncated") else None)
        files: dict[str, pd.DataFrame | None] = {"predictions.parquet": frame}
        if rows == EVAL_TABLE_ROWS:  # the main eval also keeps a .table.json copy in its predictions artifact
            files["predictions.table.json"] = frame
        self.log_artifact(
            run,
            "phishing-predictions",
            "predictions",
            files,
            description="Per-sample predictions on the test split",
            metadata={"model": self.model, "dataset": dataset, "threshold": threshold, "num_predictions": rows},
        )


def _with_file_facts(data: ProjectData) -> ProjectData:
    """Fill sizes and digests from the exact bytes the fake server will serve."""
    from tests.fakewandb import (  # local: keeps fixtures importable alone
        b64_md5,
        entry_bytes,
    )

    for art_id, art in list(data.artifacts.items()):
        files = []
        for f in art.files:
            content = entry_bytes(data, art_id, f.path)
            files.append(ArtifactFile(f.path, size_bytes=len(content), digest=b64_md5(content)))
        digest = _manifest_digest({f.path: f.digest for f in files})
        data.artifacts[art_id] = replace(art, files=tuple(files), size_bytes=sum(f.size_bytes for f in files), digest=digest)
    for run_id, run in list(data.runs.items()):
        if run.tables:
            tables = tuple(replace(t, digest=data.artifacts[t.artifact].digest) for t in run.tables)
            data.runs[run_id] = replace(run, tables=tables)
    return data


def _manifest_digest(digests: dict[str, str]) -> str:
    import hashlib

    return hashlib.md5("".join(f"{p}:{d}\n" for p, d in sorted(digests.items())).encode()).hexdigest()


@functools.lru_cache(maxsize=4)
def _build(seed: int) -> ProjectData:
    return _with_file_facts(_Pipeline(seed).run_plan())


def build_fixture_project(seed: int = 0) -> tuple[str, ProjectData]:
    """The realistic fixture project: ("acme/phishing", ProjectData). Cached per seed;
    treat the data as read-only."""
    return PROJECT_PATH, _build(seed)


def main_eval_run(data: ProjectData) -> Run:
    """The eval run whose table has EVAL_TABLE_ROWS rows."""
    return next(r for r in data.runs.values() if r.tables and r.tables[0].stored_rows == EVAL_TABLE_ROWS)


def truncated_eval_run(data: ProjectData) -> Run:
    """The eval run whose table was truncated at log time (summary nrows > stored rows)."""
    return next(r for r in data.runs.values() if r.tables and r.tables[0].truncated)


def small_eval_run(data: ProjectData) -> Run:
    """An eval run with a small (SMALL_TABLE_ROWS) table: quick to download in tests."""
    return next(r for r in data.runs.values() if r.tables and r.tables[0].stored_rows == SMALL_TABLE_ROWS)


def copy_project(base: ProjectData) -> ProjectData:
    """A ProjectData whose mappings can be changed without touching ``base`` (the records
    and frames are shared: replace them, never mutate them)."""
    return ProjectData(
        runs=dict(base.runs),
        run_artifacts=dict(base.run_artifacts),
        histories=dict(base.histories),
        artifacts=dict(base.artifacts),
        tables=dict(base.tables),
    )


def build_many_runs(nruns: int = 1_000, seed: int = 0) -> tuple[str, ProjectData]:
    """The fixture project padded with synthetic train/eval runs up to ``nruns`` runs
    (for listing benchmarks). Extra runs have configs and summaries but no artifacts."""
    path, base = build_fixture_project(seed)
    data = copy_project(base)
    rng = random.Random(seed + 1)
    clock = max(r.created_at for r in data.runs.values())
    template = next(r for r in base.runs.values() if r.job_type == "train" and r.state == "finished")
    index = 0
    while len(data.runs) < nruns:
        index += 1
        clock += timedelta(minutes=7 + rng.randint(0, 30))
        group = f"exp-{9 + index // 4:03d}"
        job_type = "train" if index % 2 else "eval"
        rid = f"b{index:07d}"
        params = dict(
            template.config["params"],
            lr=round(10 ** rng.uniform(-5.5, -3), 8),
            encoder=rng.choice(("standard", "head_tail")),
            optimizer={"name": rng.choice(("adamw", "sgd")), "weight_decay": 0.01},
        )
        f1 = round(rng.uniform(0.82, 0.96), 4)
        data.runs[rid] = replace(
            template,
            id=rid,
            name=f"{group}-{job_type}-{clock.strftime('%Y-%m-%dT%H-%M-%SZ')}",
            group=group,
            job_type=job_type,
            tags=("experiment", "sweep"),
            created_at=clock,
            url=f"https://wandb.ai/{ENTITY}/{PROJECT}/runs/{rid}",
            config={**template.config, "params": params},
            summary={"eval/f1": f1, "eval/accuracy": round(f1 + 0.02, 4), "train/loss": round(0.5 - f1 * 0.4, 4)},
        )
    return path, data


def add_table_run(data: ProjectData, frame: pd.DataFrame, seed: int = 0) -> tuple[ProjectData, TableRef]:
    """A copy of ``data`` with one more eval run that logged ``frame`` as its run_table
    (e.g. ``build_large_table(200_000)`` for table-loading benchmarks)."""
    builder = _Builder(seed)
    builder.data = ProjectData(
        runs=dict(data.runs),
        run_artifacts=dict(data.run_artifacts),
        histories=dict(data.histories),
        artifacts=dict(data.artifacts),
        tables=dict(data.tables),
    )
    builder.used_ids = set(data.runs)
    builder.clock = max(r.created_at for r in data.runs.values()).replace(microsecond=0)
    builder.rng.random()
    run = builder.add_run(
        "exp-bench",
        "eval",
        {"threshold": 0.5},
        {},
        tags=("eval",),
        summary={"eval/f1": 0.9},
        extra_config={"model.type": "distilbert"},
    )
    run = replace(run, created_at=run.created_at.replace(microsecond=0))
    builder.data.runs[run.id] = run
    ref = builder.log_table(run, frame)
    art = builder.data.artifacts[ref.artifact]
    builder.data.artifacts[ref.artifact] = replace(art, logged_by=run.id, aliases=("latest",))
    return builder.data, builder.data.runs[run.id].tables[0]


def add_media_table_run(
    data: ProjectData, nrows: int = 12, seed: int = 0
) -> tuple[ProjectData, TableRef, dict[tuple[str, str], bytes]]:
    """A copy of ``data`` with one more eval run whose run_table has an image column,
    serialized by wandb itself (cells point at ``media/images/*.png`` entries of the same
    artifact). Returns (data, ref, files): pass ``files`` to ``FakeWandb(files=...)``,
    which serves those exact bytes. Needs wandb and Pillow."""
    import tempfile

    import wandb  # the media format is wandb's own: let it write it

    frame = build_eval_table(nrows, seed=seed + 7)[["Sample ID", "True Label", "Predicted Label", "Confidence"]]
    rng = np.random.default_rng(seed)
    images = [wandb.Image(rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)) for _ in range(nrows)]
    table = wandb.Table(columns=["Sample ID", "Image", "True Label", "Predicted Label", "Confidence"])
    for (_, row), image in zip(frame.iterrows(), images, strict=False):
        table.add_data(int(row["Sample ID"]), image, row["True Label"], row["Predicted Label"], float(row["Confidence"]))
    with tempfile.TemporaryDirectory():
        staged = wandb.Artifact("staging", "run_table")
        staged.add(table, TABLE_KEY)
        contents = {path: open(entry.local_path, "rb").read() for path, entry in staged.manifest.entries.items()}
    data, ref = add_table_run(data, frame, seed=seed)
    entry = f"{TABLE_KEY}.table.json"
    doc = json.loads(contents[entry])
    media_frame = pd.DataFrame(doc["data"], columns=doc["columns"])
    art = data.artifacts[ref.artifact]
    data.artifacts[ref.artifact] = replace(art, files=tuple(ArtifactFile(p) for p in sorted(contents)))
    data.tables[(ref.artifact, entry)] = media_frame
    files = {(ref.artifact, path): content for path, content in contents.items()}
    return data, replace(ref, stored_rows=nrows, nrows=nrows), files
