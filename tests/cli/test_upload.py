"""`wbview upload FOLDER`: uploads the tables the companion kept locally, says where
each went, and refuses a folder without tables with a message (exit code 2)."""

from __future__ import annotations

import pytest

from tests.companion.test_upload import _kept_locally
from wbview.cli import main

pytest.importorskip("wandb")


def test_upload_command_logs_every_kept_table_to_its_run(tmp_path, capsys, monkeypatch):
    local, _ = _kept_locally(tmp_path, "gone4")
    monkeypatch.setenv("WANDB_MODE", "offline")
    with pytest.warns(UserWarning, match="Cannot use artifact when in offline mode"):  # lineage needs W&B online
        code = main(["upload", str(local), "--timeout", "20"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Traceback" not in err
    lines = out.splitlines()
    assert len(lines) == 2
    assert any(line.endswith("eval/ood -> run gone4, artifact eval-ood-gone4") for line in lines)
    assert any(line.endswith("eval/predictions -> run gone4, artifact eval-predictions-gone4") for line in lines)


@pytest.mark.parametrize("make", [False, True], ids=["missing", "empty"])
def test_upload_command_refuses_a_folder_without_tables(make, tmp_path, capsys):
    folder = tmp_path / "kept"
    if make:
        folder.mkdir()
    code = main(["upload", str(folder)])
    _, err = capsys.readouterr()
    assert code == 2 and "Traceback" not in err
    assert ("does not exist" if not make else "holds no eval table written by log_eval_table") in err
