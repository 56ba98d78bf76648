"""The dashboard on the recorded real-wandb project (tests/realwandb) through AppTest:
the table chooser offers every version with its step (the latest by default), table
notes are shown, and a link's unknown filter column gets a notice."""

from __future__ import annotations

import pytest

from tests.fakewandb.recorded import RecordedWandb
from tests.pages.pagetest import clear_streamlit_caches, open_page, problems, texts
from tests.realwandb.project import load_recorded
from wbview.settings import Settings
from wbview.sources.wandb import WandbSource
from wbview.ui.source import register_source

PROJECT = "recorder/realwandb"


@pytest.fixture(scope="module")
def spec():
    with RecordedWandb(load_recorded()) as fake:
        settings = Settings(api_key=fake.api_key, base_url=fake.base_url, entity="recorder", project="realwandb")
        source = WandbSource(settings, timeout_s=20)
        yield register_source("realwandb-pages", source)
        source.close()


@pytest.fixture(autouse=True)
def _fresh_caches():
    clear_streamlit_caches()
    yield
    clear_streamlit_caches()


def test_table_chooser_offers_each_version_with_its_step_latest_first(spec):
    at = open_page("pages/error_analysis.py", source=spec, project=PROJECT, run="rw-immutable-epochs")
    assert not at.exception  # (the page then says the table has no error columns: it is not an eval table)
    chooser = next(box for box in at.selectbox if box.label == "Table")
    labels = list(chooser.options)  # as shown: key · artifact:version · step · remark
    assert len(labels) == 3 and all("eval/predictions" in label for label in labels)
    assert [("step 0" in label, "step 1" in label, "step 2" in label) for label in labels].count((False, False, True)) == 1
    assert sum("older version" in label for label in labels) == 2
    assert chooser.value.split("/")[0].endswith(":v2")  # the latest version is the default


def test_joined_table_note_is_shown(spec):
    at = open_page("pages/error_analysis.py", source=spec, project=PROJECT, run="rw-joined")
    assert not at.exception
    assert "inner join" in texts(at)


def test_link_filter_on_a_column_no_run_has_names_the_closest(spec):
    at = open_page("pages/runs.py", source=spec, project=PROJECT, filter_cols="params.encodr")
    assert not problems(at), problems(at)
    assert "params.encodr, which none of these runs has" in texts(at) and "params.encoder" in texts(at)
