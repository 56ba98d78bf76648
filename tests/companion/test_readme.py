"""The README's "log eval tables" PyTorch example runs as written (offline W&B)."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("torch")
pytest.importorskip("wandb")

from tests.paths import README


def _companion_examples() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("<!-- section: companion -->") : text.index("<!-- /section: companion -->")]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_pytorch_loop_example_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    example = _companion_examples()[0]
    with pytest.warns(UserWarning, match="offline mode"):
        exec(compile(example, "README.md companion example", "exec"), {})
    f1, artifact_name, parquet_path = capsys.readouterr().out.split()
    assert 0.0 <= float(f1) <= 1.0
    assert artifact_name.startswith("eval-predictions-")
    assert (tmp_path / parquet_path).exists()
