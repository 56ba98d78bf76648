"""wandb-core, started by the W&B source's wandb.Api, sends no telemetry of its own
(--no-observability), unless the user asked for it; the process environment is left as
it was. Run in a fresh process: wandb-core lives as long as the process that started it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.fakewandb import FakeWandb
from tests.paths import REPO
from tests.sources.store.test_store import PROJECT, small_project

CHILD = r"""
import json, os, sys
from wbview.settings import load_settings
from wbview.sources.wandb import WandbSource

before = os.environ.get("WANDB_ERROR_REPORTING")
source = WandbSource(load_settings(), timeout_s=20)
runs = source.runs(sys.argv[1])
children = []
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        if parent == os.getpid():
            with open(f"/proc/{pid}/cmdline") as cmdline:
                children.append(cmdline.read().split("\0"))
    except OSError:
        pass
after = os.environ.get("WANDB_ERROR_REPORTING")
import wandb
wandb.teardown()  # wandb-core flushes what it has to send
print(json.dumps({"runs": len(runs), "children": children, "before": before, "after": after}))
"""


@pytest.mark.parametrize(("user_setting", "observability"), [(None, False), ("true", True)])
def test_wandb_core_sends_no_telemetry_unless_the_user_asks(tmp_path, user_setting, observability):
    with FakeWandb({PROJECT: small_project()}) as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")} | fake.env()
        env |= {
            "HOME": str(tmp_path),
            "WANDB_CONFIG_DIR": str(tmp_path / "wandb"),
            "WANDB_CACHE_DIR": str(tmp_path / "c"),
            "PYTHONPATH": str(REPO),
        }
        if user_setting is not None:
            env["WANDB_ERROR_REPORTING"] = user_setting
        done = subprocess.run(
            [sys.executable, "-c", CHILD, PROJECT], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180
        )
        assert done.returncode == 0, done.stderr[-2000:]
        report = json.loads(done.stdout.strip().splitlines()[-1])
        telemetry = fake.telemetry_count
    assert report["runs"] == 3
    [core] = [c for c in report["children"] if c and c[0].endswith("wandb-core")]
    assert ("--no-observability" not in core) is observability
    assert report["before"] == report["after"] == user_setting  # only wandb.Api's start saw the default
    assert (telemetry > 0) is observability
