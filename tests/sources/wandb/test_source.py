"""WandbSource with the real wandb client against the loopback fake W&B server:
results, request counts, and every fault type."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from tests.fakewandb import FakeWandb, run_matches
from tests.fixtures import (
    PROJECT_PATH,
    TABLE_KEY,
    TRUNCATED_LOGGED_ROWS,
    TRUNCATED_STORED_ROWS,
    main_eval_run,
    run_table_artifact_name,
    small_eval_run,
    truncated_eval_run,
)
from wbview.errors import (
    ArtifactNotFound,
    AuthenticationFailed,
    NoCredentials,
    ProjectNotFound,
    QueryError,
    RateLimited,
    RequestTimeout,
    RunNotFound,
    ServerError,
    TableNotFound,
)
from wbview.filters import parse_filters
from wbview.records import TableRef
from wbview.settings import Settings
from wbview.sources.lineage import walk_lineage
from wbview.sources.memory import MemorySource
from wbview.sources.wandb import WandbSource
from wbview.sources.wandb.convert import parse_time, summary_table_ref


def make_source(fake, **kwargs) -> WandbSource:
    settings = Settings(api_key=fake.api_key, base_url=fake.base_url, entity="acme", project="phishing")
    return WandbSource(settings, **kwargs)


@pytest.fixture
def source(fake_wandb):
    """A fresh source (empty caches) whose client is already logged in; requests reset."""
    src = make_source(fake_wandb, timeout_s=10)
    src.api  # noqa: B018 - starts the client (Viewer) before counting
    fake_wandb.reset()
    yield src
    src.close()


def ids(runs) -> list[str]:
    return sorted(r.id for r in runs)


# --- runs ----------------------------------------------------------------------------


@pytest.mark.parametrize("entity", ["acme", None])
def test_projects_of_the_configured_or_default_entity(fake_wandb, entity):
    """WANDB_ENTITY's projects, else those of the viewer's default entity (the fake's: acme)."""
    settings = Settings(api_key=fake_wandb.api_key, base_url=fake_wandb.base_url, entity=entity)
    source = WandbSource(settings, timeout_s=10)
    assert source.projects() == [PROJECT_PATH]
    assert fake_wandb.unknown == []
    assert fake_wandb.count("GetProjects") == 1


def test_runs_come_in_one_request_with_config_and_summary(source, fake_wandb, fixture_project):
    runs = source.runs(PROJECT_PATH)
    assert fake_wandb.ops() == ["Runs"]
    assert fake_wandb.last("Runs").variables["perPage"] == 200
    assert ids(runs) == sorted(fixture_project.runs)
    assert [r.created_at for r in runs] == sorted((r.created_at for r in runs), reverse=True)
    for run in runs:
        expected = fixture_project.runs[run.id]
        assert (run.name, run.group, run.job_type, run.tags, run.state) == (
            expected.name,
            expected.group,
            expected.job_type,
            expected.tags,
            expected.state,
        )
        assert run.created_at == expected.created_at and run.created_at.tzinfo is not None
        assert dict(run.config) == dict(expected.config)  # nested, unwrapped, without _wandb
        # table-file entries removed; W&B's own "_step", "_runtime", ... kept
        assert {k: v for k, v in run.summary.items() if not k.startswith("_")} == dict(expected.summary)
        assert [(t.key, t.nrows) for t in run.tables] == [(t.key, t.nrows) for t in expected.tables]
        assert run.url and run.id in run.url


def test_run_lists_paginate_in_full_pages(fake_wandb, fixture_project):
    src = make_source(fake_wandb, per_page=10)
    src.api  # noqa: B018
    fake_wandb.reset()
    runs = src.runs(PROJECT_PATH)
    assert ids(runs) == sorted(fixture_project.runs)
    assert fake_wandb.count("Runs") == 4  # 32 runs: 10 + 10 + 10 + 2
    assert fake_wandb.count("Run") == 0  # never one request per run


FILTER_CASES = [
    ["params.encoder=head_tail"],
    ["params.lr>=1e-4"],
    ["eval/f1>0.9"],
    ["params.optimizer.name in adamw,sgd", "job_type=train"],
    ["params.optimizer.name not in adamw"],
    ['"model.type"=roberta'],  # a key with a dot: client-side only
    ['"model.type"=distilbert', "params.lr<1e-4", "state=finished"],
    ["group in exp-002,exp-004", "tags in sgd,eval"],
    ["tags=experiment", "tags=eval"],
    ["created_at>=2025-12-01T20:00:00Z", "created_at<2025-12-02T06:00:00Z"],
    ["meta.task=phishing-detection", "job_type=ingest"],
    ["eval/f1>2"],
]


@pytest.mark.parametrize("texts", FILTER_CASES)
def test_filters_give_the_client_side_result_in_one_request(source, fake_wandb, fixture_project, texts):
    run_filter = parse_filters(texts)
    expected = [r for r in fixture_project.runs.values() if run_filter.matches(r)]
    assert ids(source.runs(PROJECT_PATH, run_filter)) == ids(expected)
    assert fake_wandb.count("Runs") == 1
    sent = fake_wandb.last("Runs").variables.get("filters") or ""
    assert "model.type" not in sent  # never sent: the server would match nothing


@pytest.mark.parametrize("texts", FILTER_CASES)
def test_server_part_and_residual_agree_with_client_side_matching(fake_wandb, fixture_project, texts):
    """Pure check (no HTTP): the fake server's evaluation of to_server() plus the
    residual selects exactly what RunFilter.matches selects."""
    run_filter = parse_filters(texts)
    server, residual = run_filter.to_server()
    graph = fake_wandb.graph
    for run in fixture_project.runs.values():
        combined = run_matches(run, server, graph.summary(run)) and residual.matches(run)
        assert combined == run_filter.matches(run), run.id


def test_dotted_key_filter_would_match_nothing_server_side(source, fake_wandb):
    # Why the residual exists: the server splits the dotted key into nested segments.
    listing = list(source.api.runs(PROJECT_PATH, filters={"config.model.type.value": "roberta"}, lazy=False))
    assert listing == []
    assert len(source.runs(PROJECT_PATH, parse_filters(['"model.type"=roberta']))) > 0


def test_duplicate_runs_across_pages_are_dropped():
    class FakeRun:
        def __init__(self, run_id):
            self.id = self.name = run_id
            self.config, self.summary_metrics = {"params": {"lr": 1}}, {"loss": 0.5}
            self.group = self.job_type = None
            self.tags, self.state, self.created_at, self.url = [], "finished", "2025-01-01T00:00:00", None

    class FakeApi:
        def runs(self, path, **kwargs):
            return iter([FakeRun("a"), FakeRun("b"), FakeRun("a")])

        def flush(self):
            pass

    src = WandbSource(Settings(api_key="k" * 40), api=FakeApi())
    assert [r.id for r in src.runs("acme/phishing")] == ["a", "b"]


def test_one_run_and_unknown_run(source, fake_wandb, fixture_project):
    run_id = next(iter(fixture_project.runs))
    assert source.run(PROJECT_PATH, run_id).config == fixture_project.runs[run_id].config
    assert fake_wandb.ops() == ["Run"]
    source.run(PROJECT_PATH, run_id)
    assert fake_wandb.ops() == ["Run"]  # remembered for a few seconds
    with pytest.raises(RunNotFound, match="zzzzzzzz.*run id"):
        source.run(PROJECT_PATH, "zzzzzzzz")


def test_history(source, fixture_project):
    run_id, expected = next((k, v) for k, v in fixture_project.histories.items() if len(v) == 60)
    frame = source.history(PROJECT_PATH, run_id)
    assert list(frame["_step"]) == list(expected["_step"])
    assert frame["train/loss"].tolist() == pytest.approx(expected["train/loss"].tolist())
    only_loss = source.history(PROJECT_PATH, run_id, keys=["train/loss"])
    assert list(only_loss.columns) == ["_step", "train/loss"]


# --- artifacts -------------------------------------------------------------------------


def test_run_artifacts(source, fake_wandb, fixture_project):
    run_id, links = next((k, v) for k, v in fixture_project.run_artifacts.items() if v.used and v.logged)
    assert source.run_artifacts(PROJECT_PATH, run_id) == links
    assert sorted(op for op in fake_wandb.ops() if op != "ServerFeaturesQuery") == [
        "Run",
        "RunInputArtifacts",
        "RunOutputArtifacts",
    ]


def test_artifact_listing(source, fake_wandb, fixture_project):
    assert source.artifact_types(PROJECT_PATH) == sorted({a.type for a in fixture_project.artifacts.values()})
    names = [c.name for c in source.artifact_collections(PROJECT_PATH, "dataset")]
    assert names == sorted({a.name for a in fixture_project.artifacts.values() if a.type == "dataset"})
    versions = source.artifact_versions(PROJECT_PATH, "phishing-texts-encoded")
    assert [v.id for v in versions] == ["phishing-texts-encoded:v2", "phishing-texts-encoded:v1", "phishing-texts-encoded:v0"]
    assert versions[0].aliases == ("latest",)
    assert fake_wandb.count("*") <= 5


def test_one_artifact_version_is_complete(source, fake_wandb, fixture_project):
    expected = max(fixture_project.artifacts.values(), key=lambda a: len(a.used_by))
    art = source.artifact(PROJECT_PATH, expected.id)
    assert (art.id, art.type, art.aliases, art.description) == (
        expected.id,
        expected.type,
        expected.aliases,
        expected.description,
    )
    assert art.metadata == expected.metadata
    assert (art.size_bytes, art.digest) == (expected.size_bytes, expected.digest)
    assert [(f.path, f.size_bytes, f.digest) for f in art.files] == [(f.path, f.size_bytes, f.digest) for f in expected.files]
    assert art.logged_by == expected.logged_by
    assert sorted(art.used_by) == sorted(expected.used_by) and len(expected.used_by) >= 2
    assert art.created_at == expected.created_at
    # Through wandb's public API: membership + files + producer (its id, then the run) +
    # consumers (their ids, then one request per run: Artifact.used_by() loads each one).
    assert fake_wandb.count("*") - fake_wandb.count("ServerFeaturesQuery") == 5 + len(expected.used_by)


def test_artifact_by_alias_has_a_stable_id(source, fixture_project):
    latest = max(
        (a for a in fixture_project.artifacts.values() if a.name == "phishing-classifier"), key=lambda a: int(a.version[1:])
    )
    assert source.artifact(PROJECT_PATH, "phishing-classifier:latest").id == latest.id
    assert source.artifact(PROJECT_PATH, "phishing-classifier").id == latest.id


@pytest.mark.parametrize(
    "name, error",
    [("no-such-artifact:v0", ArtifactNotFound), ("phishing-classifier:v999", ArtifactNotFound)],
)
def test_unknown_artifact(source, name, error):
    with pytest.raises(error, match="NAME:VERSION"):
        source.artifact(PROJECT_PATH, name)


def test_artifact_in_unknown_project(source):
    with pytest.raises(ProjectNotFound, match="acme/nope"):
        source.artifact("acme/nope", "model:v0")


# --- lineage -------------------------------------------------------------------------------


def _graph_shape(graph):
    return {(n.id, n.kind, n.name, n.type) for n in graph.nodes}, {(e.source, e.target) for e in graph.edges}


def test_lineage_matches_the_memory_walk_through_the_public_api(fake_wandb, fixture_project):
    train_id = next(
        k
        for k, v in fixture_project.run_artifacts.items()
        if v.used
        and v.logged
        and fixture_project.runs[k].job_type == "train"
        and len(fixture_project.artifacts[v.logged[0]].used_by) >= 1
    )
    src = make_source(fake_wandb)
    src.api  # noqa: B018
    fake_wandb.reset()
    graph = src.lineage(PROJECT_PATH, train_id, depth=2)
    expected = walk_lineage(MemorySource({PROJECT_PATH: fixture_project}), PROJECT_PATH, train_id, depth=2)
    assert _graph_shape(graph) == _graph_shape(expected)
    consumers = len(fixture_project.artifacts[fixture_project.run_artifacts[train_id].logged[0]].used_by)
    requests = fake_wandb.count("*") - fake_wandb.count("ServerFeaturesQuery")
    # Through wandb's public API: run + inputs + outputs + producer (its id, then the run) +
    # consumers (their ids, then one request per run) + one Runs query to describe the level
    assert requests == 7 + consumers, " ".join(map(str, fake_wandb.ops()))


def test_lineage_from_an_artifact_alias(source, fixture_project):
    graph = source.lineage(PROJECT_PATH, "phishing-texts-raw:latest", depth=1, direction="down")
    expected = walk_lineage(
        MemorySource({PROJECT_PATH: fixture_project}), PROJECT_PATH, "phishing-texts-raw:latest", depth=1, direction="down"
    )
    assert graph.root == expected.root
    assert _graph_shape(graph) == _graph_shape(expected)


def test_lineage_fanout_cap(source, fixture_project):
    graph = source.lineage(PROJECT_PATH, "phishing-texts-encoded:v2", depth=1, direction="down", fanout_cap=2)
    consumers = fixture_project.artifacts["phishing-texts-encoded:v2"].used_by
    more = [n for n in graph.nodes if n.kind == "more"]
    assert len(consumers) > 2 and len(more) == 1 and more[0].hidden_count == len(consumers) - 2


# --- tables -----------------------------------------------------------------------------------


def test_tables_of_a_run_and_loading_them(source, fake_wandb, fixture_project, tmp_path, monkeypatch):
    # wandb's file cache is read from WANDB_CACHE_DIR at download time; a private one
    # keeps an entry another test already downloaded from hiding a request here.
    monkeypatch.setenv("WANDB_CACHE_DIR", str(tmp_path / "wandb-cache"))
    run = main_eval_run(fixture_project)
    refs = source.tables(PROJECT_PATH, run.id)
    by_artifact = {r.artifact: r for r in refs}
    run_table = by_artifact[run.tables[0].artifact]  # resolved from "latest" to the version the run logged
    assert (run_table.key, run_table.entry, run_table.nrows) == (TABLE_KEY, f"{TABLE_KEY}.table.json", 20_000)
    assert run_table.digest == fixture_project.artifacts[run_table.artifact].digest
    predictions = next(r for r in refs if r.artifact.startswith("phishing-predictions"))
    assert (predictions.entry, predictions.parquet_entry) == ("predictions.table.json", "predictions.parquet")
    expected = fixture_project.tables[(run_table.artifact, run_table.entry)]

    fake_wandb.reset()
    loaded = source.load_table(PROJECT_PATH, run_table)
    assert (loaded.source_format, loaded.total_rows, loaded.truncated) == ("table.json", 20_000, False)
    pd.testing.assert_frame_equal(loaded.frame, expected, check_dtype=False)
    assert loaded.frame["Is Error"].dtype == bool and loaded.frame["Confidence"].dtype == float
    assert fake_wandb.count("file") == 2  # the manifest and the one entry: never the media copy
    assert not any("media/table" in r.path for r in fake_wandb.requests)

    parquet = source.load_table(PROJECT_PATH, predictions)
    assert parquet.source_format == "parquet"
    pd.testing.assert_frame_equal(parquet.frame, expected)


def test_truncated_table_reports_the_true_row_count(source, fixture_project):
    run = truncated_eval_run(fixture_project)
    ref = next(r for r in source.tables(PROJECT_PATH, run.id) if r.key == TABLE_KEY)
    assert ref.nrows == TRUNCATED_LOGGED_ROWS
    loaded = source.load_table(PROJECT_PATH, ref)
    assert (len(loaded.frame), loaded.total_rows, loaded.truncated) == (TRUNCATED_STORED_ROWS, TRUNCATED_LOGGED_ROWS, True)
    assert "truncated" in loaded.note


def test_companion_table_prefers_the_parquet_copy(fake_wandb, fixture_project):
    """The companion convention: a predictions artifact with <key>.table.json (capped)
    and <key>.parquet (every row), described by metadata["wbview_table"]."""
    from dataclasses import replace

    from wbview.records import ArtifactFile, RunArtifacts
    from wbview.sources.memory import ProjectData

    run = replace(small_eval_run(fixture_project), tables=())
    frame = fixture_project.tables[
        (run_table_id := small_eval_run(fixture_project).tables[0].artifact, f"{TABLE_KEY}.table.json")
    ]
    art = replace(
        fixture_project.artifacts[run_table_id],
        name="eval-predictions-x",
        version="v0",
        type="predictions",
        files=(ArtifactFile(f"{TABLE_KEY}.table.json"), ArtifactFile(f"{TABLE_KEY}.parquet")),
        digest=None,
        size_bytes=None,
        metadata={
            "wbview_table": {
                "key": TABLE_KEY,
                "table_entry": f"{TABLE_KEY}.table.json",
                "parquet_entry": f"{TABLE_KEY}.parquet",
                "nrows": len(frame),
                "stored_rows": 150,
                "truncated": True,
            }
        },
    )
    data = ProjectData(
        runs={run.id: run},
        run_artifacts={run.id: RunArtifacts(run.id, logged=(art.id,))},
        artifacts={art.id: art},
        tables={(art.id, f"{TABLE_KEY}.table.json"): frame.head(150), (art.id, f"{TABLE_KEY}.parquet"): frame},
    )
    with FakeWandb({"acme/companion": data}, api_key=fake_wandb.api_key) as companion_server:
        src = make_source(companion_server)
        (ref,) = src.tables("acme/companion", run.id)
        assert (ref.key, ref.parquet_entry, ref.nrows, ref.stored_rows) == (TABLE_KEY, f"{TABLE_KEY}.parquet", len(frame), 150)
        companion_server.reset()
        loaded = src.load_table("acme/companion", ref)
        assert (loaded.source_format, len(loaded.frame), loaded.truncated) == ("parquet", len(frame), False)
        pd.testing.assert_frame_equal(loaded.frame, frame)
        assert companion_server.count("file") == 2  # the manifest and the Parquet entry, not the JSON
        src.close()


def test_missing_table_entry(source, fixture_project):
    run = small_eval_run(fixture_project)
    ref = TableRef(run_id=run.id, key="nope", artifact=run.tables[0].artifact, entry="nope.table.json")
    with pytest.raises(TableNotFound, match="nope.table.json"):
        source.load_table(PROJECT_PATH, ref)


@pytest.mark.parametrize(
    "entry, expected_entry, nrows, stored",
    [
        (
            {"_type": "table-file", "nrows": 5, "_latest_artifact_path": "wandb-client-artifact://x1y2:latest/eval/p.table.json"},
            "eval/p.table.json",
            5,
            None,
        ),
        (
            {"_type": "table-file", "nrows": 300_000, "artifact_path": "wandb-client-artifact://x1y2/other.table.json"},
            "other.table.json",
            300_000,
            200_000,
        ),  # wandb keeps at most 200,000 rows in the artifact
        ({"_type": "table-file"}, "eval/p.table.json", None, None),
    ],
)
def test_summary_table_ref(entry, expected_entry, nrows, stored):
    ref = summary_table_ref("ab", "eval/p", entry)
    # the collection name wandb derives from run id and key (fixture's independent implementation)
    assert ref.artifact == f"{run_table_artifact_name('ab', 'eval/p')}:latest"
    assert (ref.run_id, ref.key, ref.entry, ref.nrows, ref.stored_rows) == ("ab", "eval/p", expected_entry, nrows, stored)


@pytest.mark.parametrize(
    "text, iso",
    [
        ("2025-12-01T08:53:28", "2025-12-01T08:53:28+00:00"),
        ("2025-12-01T08:53:28Z", "2025-12-01T08:53:28+00:00"),
        ("2025-12-01T10:53:28+02:00", "2025-12-01T08:53:28+00:00"),
        ("", None),
        (None, None),
        ("garbage", None),
    ],
)
def test_parse_time(text, iso):
    parsed = parse_time(text)
    assert (parsed.isoformat() if parsed else None) == iso


# --- faults ---------------------------------------------------------------------------------------


def test_no_credentials_fails_before_any_request(fake_wandb):
    src = WandbSource(Settings(base_url=fake_wandb.base_url))
    with pytest.raises(NoCredentials, match="WANDB_API_KEY"):
        src.runs(PROJECT_PATH)
    assert fake_wandb.count() == 0


def test_bad_api_key(fake_wandb):
    fake_wandb.api_key = "b" * 40
    src = make_source(fake_wandb)
    src.settings = Settings(api_key="a" * 40, base_url=fake_wandb.base_url, origins={"api_key": "environment"})
    with pytest.raises(AuthenticationFailed, match="rejected the API key") as info:
        src.runs(PROJECT_PATH)
    assert "a" * 40 not in str(info.value) and "environment" in str(info.value)


def test_401_in_the_middle_of_a_session(source, fake_wandb):
    fake_wandb.fail("Runs", 401)
    with pytest.raises(AuthenticationFailed):
        source.runs(PROJECT_PATH)
    assert fake_wandb.count("Runs") == 1  # not retried


@pytest.mark.parametrize("status", [429, 500, 502])
def test_transient_errors_recover(source, fake_wandb, fixture_project, status):
    fake_wandb.fail("Runs", status, times=1, retry_after_s=0)
    assert ids(source.runs(PROJECT_PATH)) == sorted(fixture_project.runs)
    assert fake_wandb.count("Runs", status=status) == 1 and fake_wandb.count("Runs", status=200) == 1


@pytest.mark.parametrize("status, error, words", [(503, ServerError, "HTTP 503"), (429, RateLimited, "rate-limiting")])
def test_persistent_errors(source, fake_wandb, status, error, words):
    fake_wandb.fail("Runs", status, times=None, retry_after_s=0)
    with pytest.raises(error, match=words):
        source.runs(PROJECT_PATH)
    assert fake_wandb.count("Runs") >= 2  # retried, then given up


def test_slow_response_beyond_the_timeout(fake_wandb):
    src = make_source(fake_wandb, timeout_s=1)
    src.api  # noqa: B018
    fake_wandb.delay("Runs", seconds=4, times=1)
    started = time.monotonic()
    with pytest.raises(RequestTimeout, match="1 s|in time"):
        src.runs(PROJECT_PATH)
    assert time.monotonic() - started < 3


def test_slow_download_beyond_the_timeout(fake_wandb, fixture_project):
    src = make_source(fake_wandb, timeout_s=1)
    ref = small_eval_run(fixture_project).tables[0]
    src.artifact(PROJECT_PATH, ref.artifact)
    fake_wandb.delay("file", seconds=4, times=3)
    started = time.monotonic()
    with pytest.raises(RequestTimeout):
        src.load_table(PROJECT_PATH, ref)
    assert time.monotonic() - started < 3


def test_graphql_errors(source, fake_wandb):
    fake_wandb.graphql_error("Runs", "Cannot query field 'x'")
    with pytest.raises(QueryError, match="Cannot query field"):
        source.runs(PROJECT_PATH)


@pytest.mark.parametrize("project", ["acme/no-such-project", "nobody/phishing"])
def test_unknown_project(source, project):
    with pytest.raises(ProjectNotFound, match=project):
        source.runs(project)


@pytest.mark.parametrize(
    "make_error, expected, words",
    [
        # messages captured from wandb 0.31 against a closed port and the fake server
        (
            lambda: __import__("wandb").errors.AuthenticationError(
                "Failed to verify credentials with http://127.0.0.1:9: POST http://127.0.0.1:9/graphql giving up after 2 "
                'attempt(s): Post "http://127.0.0.1:9/graphql": dial tcp 127.0.0.1:9: connect: connection refused'
            ),
            ServerError,
            "Cannot reach W&B",
        ),
        (
            lambda: __import__("wandb").errors.AuthenticationError(
                "Failed to verify credentials with http://127.0.0.1:9: user is not logged in"
            ),
            AuthenticationFailed,
            "rejected the API key",
        ),
        (
            lambda: RuntimeError("POST http://h/graphql giving up after 3 attempt(s)\nwhile retrying: HTTP 503: busy"),
            ServerError,
            "HTTP 503",
        ),
        (
            lambda: RuntimeError("Failed to execute API request: the service process is busy and did not respond in time."),
            RequestTimeout,
            "did not answer in time",
        ),
        (lambda: ValueError("Could not find project nope"), ProjectNotFound, "acme/phishing"),
        (lambda: RuntimeError("input: Cannot query field"), QueryError, "Cannot query field"),
        (lambda: RuntimeError("HTTP 403: permission denied"), AuthenticationFailed, "not allowed"),
    ],
)
def test_error_translation(make_error, expected, words):
    from wbview.sources.wandb.calls import translate_error
    from wbview.sources.wandb.source import _project_not_found

    error = translate_error(
        make_error(), "listing runs", base_url="http://127.0.0.1:9", not_found=_project_not_found(PROJECT_PATH)
    )
    assert isinstance(error, expected) and words in str(error)


# --- faults while logging in (the client's first request, Viewer): never "bad key" -------

LOGIN_FAULTS = [
    pytest.param(lambda fake: fake.fail("*", 503, times=None), ServerError, "HTTP 503", id="all-503"),
    pytest.param(lambda fake: fake.fail("Viewer", 500, times=None), ServerError, "HTTP 500", id="viewer-500"),
    pytest.param(lambda fake: fake.rate_limit("*", times=None), RateLimited, "rate-limiting", id="all-429"),
]


@pytest.mark.parametrize("inject, error, words", LOGIN_FAULTS)
def test_faults_at_login_are_not_a_rejected_key(fake_wandb, inject, error, words):
    inject(fake_wandb)
    src = make_source(fake_wandb, timeout_s=10)
    with pytest.raises(error, match=words) as caught:
        src.runs(PROJECT_PATH)
    assert not isinstance(caught.value, AuthenticationFailed)
    assert "connecting to W&B" in str(caught.value)
    assert fake_wandb.count("Runs") == 0 and fake_wandb.count("Viewer") >= 2  # retried at login, then given up


def test_unknown_artifact_type_names_the_known_types(source, fixture_project):
    known = source.artifact_types(PROJECT_PATH)
    with pytest.raises(ArtifactNotFound, match="no artifacts of type 'nosuch'") as caught:
        source.artifact_collections(PROJECT_PATH, "nosuch")
    assert known and all(t in str(caught.value) for t in known)
