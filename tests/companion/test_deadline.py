"""A W&B that stops answering can never stall an evaluation: every companion call on
W&B has a deadline, results stay local with the upload command, a run starts offline
when W&B does not answer, and finishing a run whose connection died does not hang.

The real ``wandb`` client talks to ``StallingWandb``, a loopback server that answers
what ``wandb.init`` needs and then, on request, accepts connections and never replies."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.paths import REPO
from wbview.companion import EvalTableBuilder, WandbTimeout, log_eval_table, start_run
from wbview.companion.deadline import (
    Deadline,
    call_with_deadline,
    stalled_reason,
    wandb_timeout,
)
from wbview.errors import UsageError

API_KEY = "f" * 40


class StallingWandb:
    """Answers ``wandb.init``'s requests (UpsertBucket, CreateRunFiles, file stream,
    uploads) until ``stop_answering()``; from then on every request is accepted and
    left without a reply until ``close()``. ``POST /_control/stop`` stops it too."""

    def __init__(self, answering: bool = True) -> None:
        self.answering = answering
        self.release = threading.Event()
        self.requests: list[tuple[str, str | None, bool]] = []  # (path, GraphQL op, answered)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                fake._handle(self)

            def do_PUT(self) -> None:
                fake._handle(self)

            def do_GET(self) -> None:
                fake._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def settings(self) -> dict[str, str]:
        """``wandb.init`` settings for this server (the process-wide wandb settings may
        already hold another base URL)."""
        return {"base_url": self.base_url, "api_key": API_KEY}

    def stop_answering(self) -> None:
        self.answering = False

    def __enter__(self) -> StallingWandb:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def stalled(self) -> int:
        return sum(1 for *_, answered in self.requests if not answered)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        if handler.path == "/_control/stop":
            self.stop_answering()
            return self._send(handler, {})
        op = None
        if handler.path.startswith("/graphql"):
            query = json.loads(body or b"{}")
            match = re.search(r"(?:query|mutation)\s+(\w+)", query.get("query", ""))
            op, variables = (match.group(1) if match else None), query.get("variables") or {}
        self.requests.append((handler.path, op, self.answering))
        if not self.answering:
            self.release.wait()  # accepted, never answered
            return
        if op == "UpsertBucket":
            bucket = {
                "id": "UnVuOjE=",
                "name": variables.get("name") or "run1",
                "displayName": "r",
                "description": None,
                "config": "{}",
                "sweepName": None,
                "historyLineCount": 0,
                "project": {
                    "id": "p1",
                    "name": variables.get("project") or "evals",
                    "entity": {"id": "e1", "name": variables.get("entity") or "me"},
                },
            }
            return self._send(handler, {"data": {"upsertBucket": {"bucket": bucket, "inserted": True}}})
        if op == "CreateRunFiles":
            files = [{"name": name, "uploadUrl": f"{self.base_url}/upload/{name}"} for name in variables.get("files", [])]
            return self._send(handler, {"data": {"createRunFiles": {"runID": "UnVuOjE=", "uploadHeaders": [], "files": files}}})
        if op == "ServerFeaturesQuery":
            return self._send(handler, {"data": {"serverInfo": {"features": []}}})
        if op == "Viewer":
            return self._send(
                handler,
                {"data": {"viewer": {"id": "u1", "entity": "me", "username": "me", "flags": "{}", "teams": {"edges": []}}}},
            )
        self._send(handler, {"data": {}} if op else {})

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


def _builder(n: int = 300, seed: int = 0) -> EvalTableBuilder:
    rng = np.random.default_rng(seed)
    builder = EvalTableBuilder(["ham", "phishing"], positive_class="phishing")
    builder.add_batch(logits=rng.normal(size=(n, 2)), labels=rng.integers(0, 2, n), texts=[f"t{i}" for i in range(n)])
    return builder


# --- the deadline itself ------------------------------------------------------------------


def test_call_with_deadline_returns_raises_or_times_out():
    assert call_with_deadline(lambda: 7, timeout=1, what="x") == 7
    with pytest.raises(KeyError, match="boom"):
        call_with_deadline(lambda: {}["boom"], timeout=1, what="x")
    never = threading.Event()
    started = time.monotonic()
    with pytest.raises(WandbTimeout, match=r"W&B did not answer within 0\.3 s \(a stuck call\)"):
        call_with_deadline(never.wait, timeout=0.3, what="a stuck call")
    assert time.monotonic() - started < 1.0
    never.set()


@pytest.mark.parametrize("given, env, expected", [(None, None, 5.0), (2, None, 2.0), (None, "1.5", 1.5), (3, "9", 3.0)])
def test_timeout_default_env_and_argument(given, env, expected, monkeypatch):
    if env is None:
        monkeypatch.delenv("WBVIEW_COMPANION_TIMEOUT_S", raising=False)
    else:
        monkeypatch.setenv("WBVIEW_COMPANION_TIMEOUT_S", env)
    assert wandb_timeout(given) == expected
    assert wandb_timeout(None, 60.0, from_env=False) == 60.0  # the finish bound is not the env's


@pytest.mark.parametrize("given, env", [(0, None), (-1, None), (None, "soon")])
def test_bad_timeouts_are_refused(given, env, monkeypatch):
    if env is not None:
        monkeypatch.setenv("WBVIEW_COMPANION_TIMEOUT_S", env)
    with pytest.raises(UsageError, match="seconds"):
        wandb_timeout(given)


class StuckRun:
    """A run whose summary answers but whose network calls never return (W&B gone
    after wandb.init)."""

    disabled = False
    config: dict = {}
    name = "exp-001-eval-x"
    project = "evals"
    entity = "me"

    def __init__(self, run_id: str) -> None:
        self.id = run_id
        self.summary: dict = {}
        self.never = threading.Event()

    def use_artifact(self, *args: Any) -> None:
        self.never.wait()

    def log_artifact(self, *args: Any) -> None:
        self.never.wait()

    def log(self, *args: Any) -> None:
        self.never.wait()


def test_log_eval_table_stops_waiting_at_the_deadline_and_keeps_everything_locally(tmp_path):
    run = StuckRun("stuck1")
    started = time.monotonic()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = log_eval_table(_builder(), run=run, model="clf:v1", local_dir=tmp_path, timeout=0.5)
    first = time.monotonic() - started
    assert first < 0.5 + 1.5  # the deadline plus local writing
    messages = " ".join(str(w.message) for w in caught)
    assert "W&B did not answer within 0.5 s (declaring the model 'clf:v1' with run.use_artifact)" in messages
    assert f"upload them later with `wbview upload {result.local_dir}` (wbview.companion.upload_local)" in messages
    assert not result.logged_to_wandb and len(pd.read_parquet(result.parquet_path)) == 300
    metadata = json.loads(result.metadata_path.read_text())
    assert (metadata["run_id"], metadata["run_project"], metadata["run_entity"]) == ("stuck1", "evals", "me")
    assert json.loads(result.metrics_path.read_text())["num_predictions"] == 300
    assert stalled_reason(run) == "declaring the model 'clf:v1' with run.use_artifact"
    # Later calls in that run do not wait on W&B again.
    started = time.monotonic()
    with pytest.warns(UserWarning, match="earlier in this run"):
        second = log_eval_table(_builder(seed=1), run=run, key="eval/ood", local_dir=tmp_path, timeout=0.5)
    assert time.monotonic() - started < 0.5 and not second.logged_to_wandb
    run.never.set()


def test_deadline_is_shared_by_the_calls_of_one_log():
    deadline = Deadline(object(), timeout=3.0)
    deadline.call("quick", lambda: time.sleep(1.0))
    started = time.monotonic()
    with pytest.raises(WandbTimeout, match=r"within 3 s \(slow\)"):
        deadline.call("slow", lambda: time.sleep(10))
    assert time.monotonic() - started < 2.7  # what was left of the 3 s, not 3 s more


# --- real wandb against a server that stops answering -------------------------------------

SCRIPT = r"""
import json, sys, time, urllib.request, warnings
import numpy as np
from wbview.companion import EvalTableBuilder, finish_run, log_eval_table, start_run

base, local_dir, timeout, finish = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
out = {}
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    run = start_run(project="evals", entity="me", job_type="eval", timeout=30,
                    finish_timeout=timeout if finish == "plain" else 600)
    out["mode"] = run.settings.mode
    urllib.request.urlopen(urllib.request.Request(base + "/_control/stop", method="POST"), timeout=10).read()
    rng = np.random.default_rng(0)
    builder = EvalTableBuilder(["ham", "phishing"], positive_class="phishing")
    builder.add_batch(logits=rng.normal(size=(500, 2)), labels=rng.integers(0, 2, 500))
    started = time.monotonic()
    result = log_eval_table(builder, run=run, model="clf:v1", dataset="texts:v2", local_dir=local_dir, timeout=timeout)
    out["log_s"] = time.monotonic() - started
    out["logged"] = result.logged_to_wandb
    out["local_dir"] = str(result.local_dir)
    started = time.monotonic()
    if finish == "helper":
        out["finished"] = finish_run(run, timeout=timeout)
    else:
        run.finish()
        out["finished"] = True
    out["finish_s"] = time.monotonic() - started
out["warnings"] = [str(w.message) for w in caught]
print("RESULT " + json.dumps(out), flush=True)
"""


@pytest.mark.parametrize("finish", ["helper", "plain"])
def test_wandb_gone_mid_run_never_stalls_the_job(finish, tmp_path):
    timeout = 2.0
    with StallingWandb() as server:
        env = {
            **os.environ,
            "WANDB_BASE_URL": server.base_url,
            "WANDB_API_KEY": API_KEY,
            "WANDB_MODE": "online",
            "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
        }
        result_line, result_at = None, None
        with subprocess.Popen(
            [sys.executable, "-c", SCRIPT, server.base_url, str(tmp_path), str(timeout), finish],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        ) as proc:
            assert proc.stdout is not None and proc.stderr is not None
            for line in proc.stdout:
                if line.startswith("RESULT "):
                    result_line, result_at = line, time.monotonic()
                    break
            try:
                proc.wait(timeout=30)  # the job must be able to end: nothing waits on W&B at exit
            finally:
                proc.kill()
            exit_s = time.monotonic() - result_at if result_at else None
            stderr = proc.stderr.read()
        assert result_line is not None, stderr[-3000:]
        assert server.stalled() > 0  # W&B really was asked, and did not answer
    out = json.loads(result_line[len("RESULT ") :])
    assert out["mode"] == "online"
    assert out["log_s"] < timeout + 1.5, out
    assert out["logged"] is False
    messages = " ".join(out["warnings"])
    assert f"W&B did not answer within {timeout:g} s" in messages
    assert f"wbview upload {out['local_dir']}" in messages
    assert len(pd.read_parquet(next(Path(out["local_dir"]).glob("*.parquet")))) == 500
    assert out["finish_s"] < timeout + 1.5, out
    if finish == "helper":
        assert out["finished"] is False and "run.finish() did not return within 2 s" in messages and "wandb sync" in messages
    assert exit_s is not None and exit_s < 20, exit_s


def test_start_run_falls_back_to_offline_when_wandb_does_not_answer():
    with StallingWandb(answering=False) as server:
        started = time.monotonic()
        with pytest.warns(
            UserWarning,
            match=r"W&B did not start the run within 1\.5 s .*offline mode; upload it later with `wandb sync .*offline-run-",
        ):
            run = start_run(project="evals", entity="me", job_type="eval", timeout=1.5, mode="online", settings=server.settings())
        elapsed = time.monotonic() - started
        try:
            assert run.settings.mode == "offline"
            assert run.settings.finish_timeout == 60.0
            run.summary["eval/f1"] = 0.5
        finally:
            run.finish()
        assert server.stalled() > 0
    assert elapsed < 1.5 + 10  # the init deadline, plus starting wandb's service and the offline run
