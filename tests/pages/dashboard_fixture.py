"""A small phishing project for the dashboard tests (AppTest and browser): runs with
params/meta config, histories, dataset/model/predictions artifacts with lineage, and an
eval table whose texts carry HTML/script payloads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from wbview.records import ArtifactFile, ArtifactVersion, Run, RunArtifacts, TableRef
from wbview.sources.memory import MemorySource, ProjectData

PROJECT = "acme/phish-dash"
ENTITY, NAME = PROJECT.split("/")
SCRIPT_PAYLOAD = "<script>window.__xss=1;alert('xss')</script> click here"
IMG_PAYLOAD = "<img src=x onerror=\"window.__xss=2;alert('img')\"> verify your account"
TABLE_ENTRY = "eval/predictions.table.json"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _run(
    run_id: str,
    name: str,
    job_type: str,
    group: str | None,
    minutes: int,
    config: dict,
    summary: dict,
    tables: tuple[TableRef, ...] = (),
    tags: tuple[str, ...] = (),
) -> Run:
    return Run(
        id=run_id,
        entity=ENTITY,
        project=NAME,
        name=name,
        group=group,
        job_type=job_type,
        tags=tags,
        state="finished",
        created_at=T0 + timedelta(minutes=minutes),
        config=config,
        summary=summary,
        tables=tables,
    )


def eval_table(n_rows: int = 240, seed: int = 0) -> pd.DataFrame:
    """Seed-style eval table: ham/phishing, a few confident false negatives, payload texts."""
    rng = np.random.default_rng(seed)
    true = rng.choice(["ham", "phishing"], size=n_rows, p=[0.6, 0.4])
    p_phish = np.where(true == "phishing", rng.beta(5, 2, n_rows), rng.beta(2, 6, n_rows))
    pred = np.where(p_phish >= 0.5, "phishing", "ham")
    texts = [f"message {i}: {'win a prize' if t == 'phishing' else 'meeting notes'}" for i, t in enumerate(true)]
    texts[0], texts[1] = SCRIPT_PAYLOAD, IMG_PAYLOAD
    return pd.DataFrame(
        {
            "Sample ID": np.arange(n_rows),
            "Decoded Text": texts,
            "True Label": true,
            "Predicted Label": pred,
            "Prob (Ham)": 1 - p_phish,
            "Prob (Phishing)": p_phish,
            "Is Error": true != pred,
            "Sender Domain": rng.choice(["corp.example", "mail.example", "free.example"], size=n_rows),
        }
    )


def build_project() -> ProjectData:
    data = ProjectData()
    ref = TableRef(
        run_id="ev1", key="eval/predictions", artifact="run-ev1-evalpredictions:v0", entry=TABLE_ENTRY, nrows=240, stored_rows=240
    )
    configs = [
        ("tr1", "exp-001", 1e-4, "head_tail", 0.91),
        ("tr2", "exp-001", 3e-4, "head_only", 0.88),
        ("tr3", "exp-002", 1e-3, "head_tail", 0.93),
    ]
    data.runs["prep"] = _run(
        "prep",
        "encode-head-tail-phishing-texts",
        "data-prep",
        None,
        0,
        {"params": {"encoder": "head_tail", "max_length": 256}, "meta": {"task": "phishing"}},
        {"num_samples": 2400},
    )
    for i, (rid, group, lr, enc, f1) in enumerate(configs):
        data.runs[rid] = _run(
            rid,
            f"exp-00{i + 1}-train",
            "train",
            group,
            10 + i,
            {"params": {"lr": lr, "encoder": enc, "epochs": 3}, "meta": {"task": "phishing"}},
            {"eval/f1": f1, "eval/accuracy": f1 + 0.03},
            tags=("baseline",) if i == 0 else ("sweep",),
        )
        steps = np.arange(5)
        data.histories[rid] = pd.DataFrame(
            {"_step": steps, "train/loss": 1.0 / (steps + 1 + i), "eval/f1": f1 - 0.1 / (steps + 1)}
        )
    data.runs["ev1"] = _run(
        "ev1",
        "exp-003-eval",
        "eval",
        "exp-002",
        20,
        {"params": {"threshold": 0.5}, "meta": {"task": "phishing"}},
        {"eval/f1": 0.9},
        tables=(ref,),
    )
    arts = [
        ArtifactVersion(ENTITY, NAME, "phishing-texts", "v0", "dataset", ("v0",), metadata={"num_samples": 2000, "source": "hf"}),
        ArtifactVersion(
            ENTITY,
            NAME,
            "phishing-texts",
            "v1",
            "dataset",
            ("latest",),
            metadata={
                "num_samples": {"train": 1920, "test": 480},
                "splits": {"train": 0.8, "test": 0.2},
                "class_distribution": {"ham": 0.6, "phishing": 0.4},
                "source_dataset": "David-Egea/phishing-texts",
                "schema": ["text", "label"],
                "preprocessing_applied": "head_tail",
            },
            logged_by="prep",
            used_by=("tr1", "tr2", "tr3"),
        ),
        ArtifactVersion(
            ENTITY,
            NAME,
            "phishing-classifier",
            "v0",
            "model",
            ("latest",),
            metadata={
                "base_model": "distilbert-base-uncased",
                "dataset": "phishing-texts:v1",
                "id2label": {"0": "ham", "1": "phishing"},
                "label2id": {"ham": 0, "phishing": 1},
                "framework": "transformers",
                "val_f1": 0.9312,
            },
            logged_by="tr3",
            used_by=("ev1",),
        ),
        ArtifactVersion(
            ENTITY,
            NAME,
            "eval-predictions",
            "v0",
            "predictions",
            ("latest",),
            metadata={"model": "phishing-classifier:v0", "dataset": "phishing-texts:v1", "threshold": 0.5},
            logged_by="ev1",
        ),
        ArtifactVersion(
            ENTITY,
            NAME,
            "run-ev1-evalpredictions",
            "v0",
            "run_table",
            ("v0",),
            files=(ArtifactFile(TABLE_ENTRY),),
            logged_by="ev1",
        ),
    ]
    data.artifacts = {a.id: a for a in arts}
    data.run_artifacts["prep"] = RunArtifacts("prep", logged=("phishing-texts:v1",))
    for rid, _, _, _, _ in configs:
        data.run_artifacts[rid] = RunArtifacts(
            rid, used=("phishing-texts:v1",), logged=("phishing-classifier:v0",) if rid == "tr3" else ()
        )
    data.run_artifacts["ev1"] = RunArtifacts(
        "ev1", used=("phishing-classifier:v0",), logged=("eval-predictions:v0", "run-ev1-evalpredictions:v0")
    )
    data.tables[(ref.artifact, ref.entry)] = eval_table()
    return data


def memory_source(is_demo: bool = False) -> MemorySource:
    return MemorySource({PROJECT: build_project()}, label="dashboard fixture", is_demo=is_demo)
