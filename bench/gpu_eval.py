"""The builder's share of a GPU evaluation loop's time (needs CUDA).

Runs the same evaluation loop (a small transformer encoder classifier on synthetic
token ids, all on the GPU) three ways and prints bench lines:
  1. with ``EvalTableBuilder.add_batch`` + ``finalize`` against the bare loop
     (ratio = bare / with-builder: 1.0 means the builder costs nothing);
  2. with the builder against the per-sample ``.item()`` + ``wandb.Table.add_data``
     loop teams write today (on a slice of the batches; times scaled per row);
  3. on CUDA, the host-device synchronisations inside ``add_batch`` (counted with
     ``torch.cuda.set_sync_debug_mode("warn")``, one pass): the goal is none per batch
     and a builder share of at most 2% of the loop time.

    python bench/gpu_eval.py              # exits 2 with a message when CUDA is absent
    python bench/gpu_eval.py --allow-cpu  # smoke-run the same code on the CPU
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import report

CLASSES = ["ham", "phishing"]


def _model(torch, vocab: int, width: int, device: str):
    layer = torch.nn.TransformerEncoderLayer(d_model=width, nhead=4, dim_feedforward=4 * width, batch_first=True)
    model = torch.nn.ModuleDict(
        {
            "embed": torch.nn.Embedding(vocab, width),
            "encoder": torch.nn.TransformerEncoder(layer, num_layers=2),
            "head": torch.nn.Linear(width, len(CLASSES)),
        }
    )
    return model.to(device).eval()


def _forward(model, token_ids):
    hidden = model["encoder"](model["embed"](token_ids))
    return model["head"](hidden[:, 0])


def _loop(torch, model, batches, device: str, mode: str) -> tuple[float, int]:
    """One evaluation pass; returns (seconds, rows). mode: bare | builder | per-sample."""
    from wbview.companion import EvalTableBuilder

    builder = EvalTableBuilder(CLASSES, positive_class="phishing", decode=lambda rows: [str(len(r)) for r in rows])
    table = None
    if mode == "per-sample":
        import wandb

        table = wandb.Table(columns=["Sample ID", "True Label", "Predicted Label", "Prob (ham)", "Prob (phishing)", "Is Error"])
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    sync()
    started = time.perf_counter()
    rows = 0
    with torch.inference_mode():
        for token_ids, labels in batches:
            logits = _forward(model, token_ids)
            rows += len(labels)
            if mode == "builder":
                builder.add_batch(logits=logits, labels=labels, token_ids=token_ids)
            elif mode == "per-sample":
                probs = torch.softmax(logits, 1)
                for i in range(len(labels)):
                    p0, p1, y = probs[i, 0].item(), probs[i, 1].item(), int(labels[i].item())
                    pred = int(p1 >= 0.5)
                    table.add_data(rows - len(labels) + i, CLASSES[y], CLASSES[pred], p0, p1, pred != y)
    if mode == "builder":
        builder.finalize()
    sync()
    return time.perf_counter() - started, rows


def count_add_batch_syncs(torch, model, batches) -> int:
    """Synchronising CUDA operations that ``add_batch`` itself triggers, over ``batches``."""
    import warnings

    from wbview.companion import EvalTableBuilder

    builder = EvalTableBuilder(CLASSES, positive_class="phishing", decode=lambda rows: [str(len(r)) for r in rows])
    syncs = 0
    with torch.inference_mode():
        for token_ids, labels in batches:
            logits = _forward(model, token_ids)
            torch.cuda.set_sync_debug_mode("warn")
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    builder.add_batch(logits=logits, labels=labels, token_ids=token_ids)
            finally:
                torch.cuda.set_sync_debug_mode("default")
            syncs += sum("synchroniz" in str(w.message) for w in caught)
    builder.finalize()
    return syncs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--allow-cpu", action="store_true", help="run on the CPU when CUDA is absent (smoke test)")
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--seq-len", type=int, default=128)
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("gpu_eval: torch is not installed (pip install torch); nothing measured.", file=sys.stderr)
        return 2
    if not torch.cuda.is_available() and not args.allow_cpu:
        print(
            "gpu_eval: no CUDA device here; nothing measured. Run it on a GPU machine (or pass --allow-cpu for a smoke run).",
            file=sys.stderr,
        )
        return 2
    device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cpu":
        args.batches, args.batch_size, args.seq_len = min(args.batches, 8), min(args.batch_size, 32), min(args.seq_len, 16)
    torch.manual_seed(0)
    vocab, width = 1000, 256 if device == "cuda" else 32
    model = _model(torch, vocab, width, device)
    batches = [
        (
            torch.randint(1, vocab, (args.batch_size, args.seq_len), device=device),
            torch.randint(0, 2, (args.batch_size,), device=device),
        )
        for _ in range(args.batches)
    ]
    _loop(torch, model, batches[:5], device, "builder")  # warm-up: kernels, allocator, imports
    bare_s, rows = min(_loop(torch, model, batches, device, "bare") for _ in range(3))
    builder_s, _ = min(_loop(torch, model, batches, device, "builder") for _ in range(3))
    where = torch.cuda.get_device_name(0) if device == "cuda" else "CPU smoke run"
    print(
        f"# gpu_eval on {where}: {rows:,} rows; builder share of the loop: {100 * (builder_s - bare_s) / builder_s:.1f}% "
        "(goal: at most 2%)"
    )
    if device == "cuda":
        syncs = count_add_batch_syncs(torch, model, batches)
        print(
            f"# gpu_eval: synchronisations inside add_batch: {syncs} over {len(batches)} batches "
            f"({syncs / len(batches):.2f} per batch; goal: 0)"
        )
    report(f"eval loop {rows:,} rows on {device}: with builder vs without", builder_s, bare_s, "s")
    few = batches[: max(1, len(batches) // 10)]
    per_sample_s, few_rows = _loop(torch, model, few, device, "per-sample")
    # Seconds per 1M rows on both sides, so ratio = baseline/ours as everywhere else.
    report(
        f"eval loop on {device}: builder vs per-sample .item()+add_data ({few_rows:,} rows)",
        1e6 * builder_s / rows,
        1e6 * per_sample_s / few_rows,
        "s/1M rows",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
