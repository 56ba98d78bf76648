"""The dashboard on a run that logged W&B EvalTables (rows in W&B Weave, recorded from
real wandb 0.31 + weave 0.54: tests/realwandb/record_evaltable.py), through AppTest: the
error-analysis page loads the rows through weave's client from the fake trace server
and finds the label, prediction and probability columns by their logged names."""

from __future__ import annotations

import pytest

from tests.fakewandb.traces import FakeTraceServer
from tests.pages.pagetest import open_page, problems, texts, unescape
from tests.sources.wandb.test_evaltables import (
    CALLS,
    FILES,
    PROJECT,
    RUN,
    TABLES,
    eval_run_server,
    without_weave,  # noqa: F401 - a fixture, requested by name
)
from wbview.settings import Settings
from wbview.sources.wandb import WandbSource
from wbview.ui.source import register_source


@pytest.fixture(scope="module")
def spec():
    with eval_run_server() as fake, FakeTraceServer(CALLS, FILES) as traces, pytest.MonkeyPatch.context() as patch:
        patch.setenv("WF_TRACE_SERVER_URL", traces.url)
        settings = Settings(api_key=fake.api_key, base_url=fake.base_url, entity="recorder", project="realwandb")
        source = WandbSource(settings, timeout_s=20)
        yield register_source("evaltable-pages", source), traces
        source.close()


def test_error_analysis_reads_an_eval_table_from_weave(spec):
    name, traces = spec
    call_id = TABLES["eval/qa"]["history_value"]["evaluate_call_id"]
    at = open_page("pages/error_analysis.py", source=name, project=PROJECT, run=RUN, table=f"weave-eval:{call_id}/eval/qa")
    assert not problems(at), problems(at)
    shown = texts(at)
    # 5 logged rows, classes from prob_ham/prob_spam, one error ("cheap meds": spam predicted ham)
    assert "5 of 5 rows selected · classes: ham, spam" in shown
    assert "Rows per group: False: 4, True: 1" in shown
    assert "Rows read from W&B Weave" in shown and call_id in shown
    assert traces.count("/calls/stream_query") == 2  # the evaluation, then one page of its rows


def test_the_default_table_is_an_eval_table_wbview_can_read(spec):
    name, _traces = spec
    at = open_page("pages/error_analysis.py", source=name, project=PROJECT, run=RUN)
    chooser = next(box for box in at.selectbox if box.label == "Table")
    assert [o.split(" · ")[0] for o in chooser.options] == ["eval/ces", "eval/media", "eval/plain", "eval/qa"]
    assert chooser.value.endswith("/eval/media")  # the first readable one, not the CES table listed first
    # eval/media has no label columns: the page asks for a mapping, and says nothing of CES
    assert all("column-mapping panel" in unescape(p) for p in problems(at)) and "CoreWeave" not in texts(at)
    assert any("rows in CES, not readable" in label for label in chooser.options)


def test_without_weave_the_page_gives_the_install_hint(spec, without_weave):
    name, _traces = spec
    call_id = TABLES["eval/qa"]["history_value"]["evaluate_call_id"]
    at = open_page("pages/error_analysis.py", source=name, project=PROJECT, run=RUN, table=f"weave-eval:{call_id}/eval/qa")
    assert not at.exception
    assert any("pip install 'wbview[weave]'" in unescape(e.value) for e in at.error), problems(at)
