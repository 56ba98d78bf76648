"""Companion benchmarks (CPU):

1. Building an eval table: ``EvalTableBuilder.add_batch`` + ``finalize`` against the
   common per-sample loop (``.item()`` per value + ``wandb.Table.add_data``), in seconds
   per 1,000,000 rows for both sides (the baseline runs on fewer rows, ~100x slower, and
   is scaled linearly); a ``#`` comment line repeats both as rows per second.
2. Logging a 200,000-row table to an offline run: ``log_eval_table`` (column-wise
   ``.table.json`` + Parquet + artifact + workspace table) against
   ``wandb.Table(dataframe=df)`` + ``run.log``, seconds.
3. What a 50,000-row table puts where (``#`` lines, bytes by location), logged to an
   offline run with and without the workspace table (``show_in_workspace``): the local
   copy, wandb's artifact staging copy, and the run's media copy of the first 10,000 rows.
"""

from __future__ import annotations

import os
import tempfile
import time
import warnings

from bench.common import report, timeit

CLASSES = ["ham", "phishing"]
BUILD_ROWS = 1_000_000
BASELINE_BUILD_ROWS = 20_000
BATCH_ROWS = 1024
LOG_ROWS = 200_000


def _batches(n: int, seed: int = 0):
    import torch

    generator = torch.Generator().manual_seed(seed)
    logits = torch.randn((n, 2), generator=generator)
    labels = torch.randint(0, 2, (n,), generator=generator)
    texts = [f"message number {i}" for i in range(n)]
    return [
        (logits[start : start + BATCH_ROWS], labels[start : start + BATCH_ROWS], texts[start : start + BATCH_ROWS])
        for start in range(0, n, BATCH_ROWS)
    ]


def build_with_builder(batches) -> int:
    from wbview.companion import EvalTableBuilder

    builder = EvalTableBuilder(CLASSES, positive_class="phishing")
    for logits, labels, texts in batches:
        builder.add_batch(logits=logits, labels=labels, texts=texts)
    return len(builder.finalize())


def build_per_sample(batches) -> int:
    """What teams write today: one .item() per value, one add_data per sample."""
    import torch
    import wandb

    table = wandb.Table(
        columns=[
            "Sample ID",
            "Decoded Text",
            "True Label",
            "Predicted Label",
            "Prob (ham)",
            "Prob (phishing)",
            "Confidence",
            "Is Error",
        ]
    )
    row_id = 0
    for logits, labels, texts in batches:
        probs = torch.softmax(logits, dim=1)
        for i in range(len(labels)):
            p_ham, p_phish = probs[i, 0].item(), probs[i, 1].item()
            true, pred = labels[i].item(), int(p_phish >= 0.5)
            table.add_data(row_id, texts[i], CLASSES[true], CLASSES[pred], p_ham, p_phish, max(p_ham, p_phish), true != pred)
            row_id += 1
    return len(table.data)


def bench_build() -> None:
    """Seconds per 1,000,000 rows for both sides (lower is better, so ratio = baseline/ours)."""
    batches = _batches(BUILD_ROWS)
    ours_s = timeit(lambda: build_with_builder(batches), repeat=3)
    baseline_batches = _batches(BASELINE_BUILD_ROWS)
    started = time.perf_counter()
    rows = build_per_sample(baseline_batches)
    baseline_s = time.perf_counter() - started
    ours_s_per_million = ours_s * 1_000_000 / BUILD_ROWS
    baseline_s_per_million = baseline_s * 1_000_000 / rows
    report(
        f"eval table build, {BUILD_ROWS:,} rows (baseline .item()+add_data on {rows:,}, scaled)",
        ours_s_per_million,
        baseline_s_per_million,
        "s/1M rows",
    )
    print(f"# companion build: ours={BUILD_ROWS / ours_s:,.0f} rows/s baseline={rows / baseline_s:,.0f} rows/s", flush=True)


def bench_log() -> None:
    import wandb

    from wbview.companion import EvalTableBuilder, log_eval_table

    builder = EvalTableBuilder(CLASSES, positive_class="phishing")
    for logits, labels, texts in _batches(LOG_ROWS, seed=1):
        builder.add_batch(logits=logits, labels=labels, texts=texts)
    frame = builder.finalize()
    metrics = builder.metrics()
    plain = frame.astype({c: object for c in frame.columns if str(frame[c].dtype) == "category"})
    with tempfile.TemporaryDirectory() as scratch:
        run = wandb.init(mode="offline", project="wbview-bench", dir=scratch, settings=wandb.Settings(silent=True))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                started = time.perf_counter()
                log_eval_table(frame, run=run, key="eval/ours", metrics=metrics, local_dir=scratch)
                ours_s = time.perf_counter() - started
                started = time.perf_counter()
                run.log({"eval/baseline": wandb.Table(dataframe=plain)})
                baseline_s = time.perf_counter() - started
        finally:
            run.finish()
    report(f"log a {LOG_ROWS:,}-row eval table to an offline run", ours_s, baseline_s, "s")


WRITTEN_ROWS = 50_000


def _bytes_under(root: str) -> int:
    return sum(os.path.getsize(os.path.join(folder, name)) for folder, _, names in os.walk(root) for name in names)


def bench_written() -> None:
    import wandb

    from wbview.companion import EvalTableBuilder, log_eval_table

    for show in (True, False):
        builder = EvalTableBuilder(CLASSES, positive_class="phishing")
        for logits, labels, texts in _batches(WRITTEN_ROWS, seed=2):
            builder.add_batch(logits=logits, labels=labels, texts=texts)
        with tempfile.TemporaryDirectory() as scratch:
            staging = os.path.join(scratch, "data")
            os.environ["WANDB_DATA_DIR"] = staging  # wandb reads it when staging artifact files
            run = wandb.init(mode="offline", project="wbview-bench", dir=scratch, settings=wandb.Settings(silent=True))
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    result = log_eval_table(builder, run=run, local_dir=os.path.join(scratch, "local"), show_in_workspace=show)
                media = os.path.join(run.dir, "media")
                media_bytes = _bytes_under(media) if os.path.isdir(media) else 0
            finally:
                run.finish()
            local_bytes = _bytes_under(str(result.local_dir))
            staged_bytes = _bytes_under(os.path.join(staging, "artifacts", "staging"))
        print(
            f"# companion written, {WRITTEN_ROWS:,} rows, show_in_workspace={show}: local copy={local_bytes:,} B "
            f"(Parquet {result.parquet_path.name}, .table.json, metrics, metadata); artifact staging={staged_bytes:,} B; "
            f"run media copy={media_bytes:,} B",
            flush=True,
        )


def main() -> None:
    scratch = tempfile.mkdtemp(prefix="wbview-bench-wandb-")
    for var in ("WANDB_DIR", "WANDB_DATA_DIR", "WANDB_CACHE_DIR", "WANDB_CONFIG_DIR", "WANDB_ARTIFACT_DIR"):
        os.environ.setdefault(var, os.path.join(scratch, var.lower()))
    os.environ.setdefault("WANDB_SILENT", "true")
    bench_build()
    bench_log()
    bench_written()


if __name__ == "__main__":
    main()
