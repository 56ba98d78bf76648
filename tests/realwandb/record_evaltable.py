"""Record what a real ``wandb.EvalTable`` writes to W&B Weave (``make fixtures``).

wandb 0.31 refuses EvalTable in offline mode (``bind_to_run`` raises), so no run is
started: each table is built with the real ``wandb.EvalTable`` and written by its own
``_write_to_backend`` (wandb's row partitioning and value normalisation, then weave's
``EvaluationLogger`` via wandb's ``WeaveWriter``), with a weave client pointed at the
loopback fake trace server (tests/fakewandb/traces.py), which keeps every call weave
sends. Skipped: ``bind_to_run`` (the offline check and ``weave.init``, which needs a
W&B login), so the run id/step fields of the calls are empty.

Writes ``tests/realwandb/recorded/evaltable/``:
    tables.json   per history key: the history value wandb returned (the pointer), the
                  columns and rows that were logged (datetimes as ISO strings)
    calls.json    every call the fake stored (start merged with end), as served back
    files/<digest>  every file weave stored (the images' PNGs, objects' code), by weave's digest
What varies between recordings: call ids, trace ids, timestamps and the client's
system attributes. Usage: python -m tests.realwandb.record_evaltable [--out DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.fakewandb.files import DEFAULT_API_KEY
from tests.fakewandb.traces import FakeTraceServer

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "recorded" / "evaltable"
ENTITY, PROJECT = "recorder", "realwandb"
WANDB_VERSION, WEAVE_VERSION = "0.31.0", "0.54.0"
T0 = dt.datetime(2025, 1, 2, 3, 4, 5, 678000)

# "eval/qa": roles named (inputs text/label, outputs pred and class probabilities and a
# datetime, scores correct/margin), with a missing probability and a missing margin.
# "eval/plain": no roles, so wandb adds a 1-based "row" input and every column is an output.
# "eval/media": a wandb.Image input (weave stores it as a PNG file) and a wandb.Html output
# (wandb 0.31 stubs it: "[wandb.Html not yet supported]").
MEDIA_ROWS = 2


def image_pixels(index: int) -> Any:
    import numpy as np

    return (np.arange(4 * 5 * 3, dtype=np.uint16).reshape(4, 5, 3) * (index + 3) % 256).astype(np.uint8)


TABLES: dict[str, dict[str, Any]] = {
    "eval/qa": {
        "columns": ["text", "label", "pred", "prob_ham", "prob_spam", "logged_at", "correct", "margin"],
        "data": [
            ["win a prize now", "spam", "spam", 0.1, 0.9, T0, True, 0.8],
            ["lunch at noon?", "ham", "ham", 0.95, 0.05, T0 + dt.timedelta(seconds=1), True, 0.9],
            ["cheap meds", "spam", "ham", 0.6, 0.4, T0 + dt.timedelta(seconds=2), False, -0.2],
            ["see you tomorrow", "ham", "ham", None, None, T0 + dt.timedelta(seconds=3), True, None],
            ["URGENT: verify account", "spam", "spam", 0.3, 0.7, None, True, 0.4],
        ],
        "input_columns": ["text", "label"],
        "output_columns": ["pred", "prob_ham", "prob_spam", "logged_at"],
        "score_columns": ["correct", "margin"],
    },
    "eval/plain": {
        "columns": ["question", "answer", "tokens"],
        "data": [["2+2?", "4", 3], ["capital of France?", "Paris", 5], ["empty?", "", 0]],
    },
}


def media_table() -> dict[str, Any]:
    import wandb

    rows = [[wandb.Image(image_pixels(i)), wandb.Html(f"<b>page {i}</b>"), f"cat{i}"] for i in range(MEDIA_ROWS)]
    logged = [[{"image_pixels": i}, {"html": f"<b>page {i}</b>"}, f"cat{i}"] for i in range(MEDIA_ROWS)]
    return {
        "columns": ["image", "page", "pred"],
        "data": rows,
        "logged": logged,
        "input_columns": ["image"],
        "output_columns": ["page", "pred"],
    }


def record(out: Path) -> None:
    import wandb
    import weave
    from weave.trace.context import weave_client_context
    from weave.trace.weave_client import WeaveClient
    from weave.trace_server_bindings.remote_http_trace_server import RemoteHTTPTraceServer
    from weave.wandb_interface.auth import ApiKeyCredentials

    assert wandb.__version__ == WANDB_VERSION and weave.__version__ == WEAVE_VERSION, (wandb.__version__, weave.__version__)
    os.environ["WANDB_API_KEY"] = DEFAULT_API_KEY
    written: dict[str, Any] = {}
    with FakeTraceServer() as fake:
        server = RemoteHTTPTraceServer(fake.url, should_batch=False)
        server.set_auth(ApiKeyCredentials(DEFAULT_API_KEY))
        client = WeaveClient(ENTITY, PROJECT, server, ensure_project_exists=False)
        weave_client_context.set_weave_client_global(client)
        try:
            for key, spec in {**TABLES, "eval/media": media_table()}.items():
                table = wandb.EvalTable(
                    columns=spec["columns"],
                    data=spec["data"],
                    input_columns=spec.get("input_columns"),
                    output_columns=spec.get("output_columns"),
                    score_columns=spec.get("score_columns"),
                )
                table._run_log_key = key  # what run.log({key: table}) sets in bind_to_run
                result = table._write_to_backend()
                written[key] = {
                    "history_value": dict(result.history_value),
                    "columns": spec["columns"],
                    "data": spec.get("logged")
                    or [[v.isoformat() if isinstance(v, dt.datetime) else v for v in row] for row in spec["data"]],
                    "roles": {r: spec.get(f"{r}_columns") for r in ("input", "output", "score")},
                }
            client.flush()
        finally:
            weave_client_context.set_weave_client_global(None)
        assert not fake.unknown, fake.unknown
        calls, files = fake.calls, fake.files
    out.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(out / "files", ignore_errors=True)
    (out / "files").mkdir()
    for digest, content in files.items():
        (out / "files" / digest).write_bytes(content)
    (out / "tables.json").write_text(json.dumps(written, indent=1) + "\n")
    (out / "calls.json").write_text(json.dumps(calls, indent=1) + "\n")
    print(f"recorded {len(written)} EvalTables, {len(calls)} Weave calls, {len(files)} files -> {out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    record(parser.parse_args(argv).out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
