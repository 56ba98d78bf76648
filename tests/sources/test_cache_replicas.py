"""Two dashboard replicas (processes) sharing one cache folder: they download an immutable
table once between them, and both read it back whole (real wandb client, fake server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from tests.fixtures import PROJECT_PATH, main_eval_run
from tests.paths import REPO

REPLICA = """
import json, sys, time
from pathlib import Path
from wbview.sources.cached import CachedSource
from wbview.sources.wandb import WandbSource

cache, run_id, go, out = sys.argv[1:5]
source = CachedSource(WandbSource(timeout_s=60), cache)
ref = next(r for r in source.tables({project!r}, run_id) if r.key == "eval/predictions")
while not Path(go).exists():  # start both downloads at the same moment
    time.sleep(0.01)
loaded = source.load_table({project!r}, ref)
Path(out).write_text(json.dumps({{"rows": len(loaded.frame), "total": loaded.total_rows,
                                  "checksum": int(loaded.frame["Confidence"].sum() * 1e6)}}))
"""


def test_two_replicas_download_a_table_once_and_both_read_it_whole(fake_wandb, fixture_project, tmp_path):
    run = main_eval_run(fixture_project)
    cache, go = tmp_path / "shared-cache", tmp_path / "go"
    code = REPLICA.format(project=PROJECT_PATH)
    outs = [tmp_path / f"replica-{i}.json" for i in range(2)]
    replicas = []
    for i, out in enumerate(outs):
        # wandb's own file cache per replica (as on two hosts): only wbview's cache is shared
        own = {
            var: str(tmp_path / f"replica-{i}" / var.lower())
            for var in ("WANDB_CACHE_DIR", "WANDB_DATA_DIR", "WANDB_ARTIFACT_DIR", "WANDB_DIR", "WANDB_CONFIG_DIR")
        }
        env = dict(os.environ, PYTHONPATH=str(REPO), **own)
        replicas.append(subprocess.Popen([sys.executable, "-c", code, str(cache), run.id, str(go), str(out)], env=env, cwd=REPO))
    time.sleep(0.5)
    fake_wandb.reset()  # count only what happens once both are ready to download
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and fake_wandb.count("*") < 2:
        time.sleep(0.05)  # each replica has listed the run's tables (its last GraphQL before the wait)
    fake_wandb.reset()
    go.touch()
    assert [r.wait(timeout=120) for r in replicas] == [0, 0]
    results = [json.loads(out.read_text()) for out in outs]
    assert results[0] == results[1] and results[0]["rows"] == 20_000
    entry_downloads = [r.path for r in fake_wandb.requests if r.op == "file" and r.path.startswith("/artifacts/")]
    assert len(entry_downloads) == 1, entry_downloads
