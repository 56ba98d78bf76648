"""Media columns: the one case where WandbSource falls back to wandb's own loader, for
those columns alone, and turns each cell into a plain local file path."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakewandb import FakeWandb
from tests.fixtures import PROJECT_PATH, add_media_table_run
from wbview.settings import Settings
from wbview.sources.wandb import WandbSource

pytest.importorskip("PIL", reason="wandb.Image needs Pillow to write the fixture's images")


def test_media_columns_resolve_to_local_files_and_other_columns_stay_exact(fixture_project, monkeypatch):
    data, ref, files = add_media_table_run(fixture_project, nrows=5)
    with FakeWandb({PROJECT_PATH: data}, files=files) as fake:
        for name, value in fake.env().items():
            monkeypatch.setenv(name, value)
        settings = Settings(api_key=fake.api_key, base_url=fake.base_url, entity="acme", project="phishing")
        source = WandbSource(settings, timeout_s=15)
        try:
            (listed,) = [t for t in source.tables(PROJECT_PATH, ref.run_id) if t.artifact == ref.artifact]
            loaded = source.load_table(PROJECT_PATH, listed)
        finally:
            source.close()
        assert fake.count("file") >= 6  # the table entry and its five images, downloaded by wandb
    frame = loaded.frame
    assert loaded.source_format == "wandb" and len(frame) == 5 and not loaded.truncated
    assert list(frame.columns) == ["Sample ID", "Image", "True Label", "Predicted Label", "Confidence"]
    images = [Path(p) for p in frame["Image"]]
    assert all(isinstance(p, Path) and p.suffix == ".png" and p.is_file() for p in images)
    expected = data.tables[(ref.artifact, ref.entry)]
    assert frame["True Label"].tolist() == expected["True Label"].tolist()
    assert frame["Confidence"].tolist() == pytest.approx(expected["Confidence"].tolist())
    assert all(type(v).__module__.split(".")[0] != "wandb" for v in frame.iloc[0])
