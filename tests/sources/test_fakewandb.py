"""The fake W&B server, driven by the real wandb client (and checked against the
fixture records directly): listings, filters, request counts, artifacts, tables, faults."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime

import pandas as pd
import pytest

from tests.fakewandb import DEFAULT_API_KEY, run_matches
from tests.fixtures import (
    EVAL_TABLE_ROWS,
    PROJECT_PATH,
    TABLE_KEY,
    TRUNCATED_LOGGED_ROWS,
    TRUNCATED_STORED_ROWS,
    main_eval_run,
    run_table_artifact_name,
    small_eval_run,
    truncated_eval_run,
)

wandb = pytest.importorskip("wandb")


@pytest.fixture
def api(fake_wandb):
    """A fresh wandb.Api against the fake; its Viewer request is not counted."""
    client = wandb.Api(overrides={"entity": "acme"}, timeout=15)
    fake_wandb.reset()
    return client


def _ids(runs) -> set[str]:
    return {r.id for r in runs}


# ---- runs ---------------------------------------------------------------------------


def test_non_lazy_listing_inlines_config_and_summary_in_one_request(api, fake_wandb, fixture_project):
    runs = list(api.runs(PROJECT_PATH, per_page=100, lazy=False))
    assert _ids(runs) == set(fixture_project.runs)
    for run in runs:
        record = fixture_project.runs[run.id]
        assert run.config == record.config  # nested, with the flat "model.type" key intact
        assert run.name == record.name and run.group == record.group and run.job_type == record.job_type
        assert run.tags == list(record.tags) and run.state == record.state
        assert datetime.fromisoformat(run.created_at).replace(tzinfo=UTC) == record.created_at
        for key, value in record.summary.items():
            assert run.summary[key] == value
    assert fake_wandb.count("Runs") == 1
    assert fake_wandb.count("Run") == 0
    assert fake_wandb.unknown == []


def test_lazy_listing_costs_one_request_per_touched_config(api, fake_wandb, fixture_project):
    runs = list(api.runs(PROJECT_PATH))  # wandb's defaults: lazy, 50 per page
    assert fake_wandb.count("Runs") == 1
    configs = {run.id: run.config for run in runs}
    assert configs == {rid: dict(r.config) for rid, r in fixture_project.runs.items()}
    assert fake_wandb.count("Run") == len(fixture_project.runs)


def test_cursor_pagination_returns_every_run_once_in_created_order(api, fake_wandb, fixture_project):
    runs = list(api.runs(PROJECT_PATH, per_page=10, lazy=False))
    assert [r.id for r in runs] == [r.id for r in sorted(fixture_project.runs.values(), key=lambda r: r.created_at)]
    assert fake_wandb.count("Runs") == 4  # 32 runs in pages of 10
    assert [r.variables["cursor"] is None for r in fake_wandb.requests] == [True, False, False, False]


def test_descending_order_by_summary_metric(api, fixture_project):
    runs = list(api.runs(PROJECT_PATH, order="-summary_metrics.eval/f1", per_page=100, lazy=False))
    scored = [r.summary["eval/f1"] for r in runs if "eval/f1" in r.summary]
    assert scored == sorted(scored, reverse=True) and len(scored) >= 20
    assert len(runs) == len(fixture_project.runs)  # runs without the metric are not dropped


FILTER_CASES = [
    ("nested config", {"config.params.encoder": "head_tail"}, lambda r: r.config["params"].get("encoder") == "head_tail"),
    (
        "explicit .value segment",
        {"config.params.value.encoder": "head_tail"},
        lambda r: r.config["params"].get("encoder") == "head_tail",
    ),
    (
        "deep config $in",
        {"config.params.optimizer.name": {"$in": ["sgd"]}},
        lambda r: r.config["params"].get("optimizer", {}).get("name") == "sgd",
    ),
    (
        "config range",
        {"config.params.lr": {"$gte": 1e-4, "$lt": 1e-2}},
        lambda r: 1e-4 <= r.config["params"].get("lr", -1) < 1e-2,
    ),
    ("summary metric", {"summary_metrics.eval/f1": {"$gt": 0.93}}, lambda r: r.summary.get("eval/f1", 0) > 0.93),
    ("tags $in", {"tags": {"$in": ["baseline"]}}, lambda r: "baseline" in r.tags),
    ("tags $nin", {"tags": {"$nin": ["baseline", "data"]}}, lambda r: not {"baseline", "data"} & set(r.tags)),
    ("job type and state", {"jobType": "train", "state": "finished"}, lambda r: r.job_type == "train" and r.state == "finished"),
    ("$or states", {"$or": [{"state": "failed"}, {"state": "crashed"}]}, lambda r: r.state in ("failed", "crashed")),
    ("$nor", {"$nor": [{"jobType": "eval"}, {"jobType": "train"}]}, lambda r: r.job_type not in ("eval", "train")),
    ("group $nin", {"group": {"$nin": ["exp-001", "exp-002"]}}, lambda r: r.group not in ("exp-001", "exp-002")),
    (
        "created range",
        {"$and": [{"createdAt": {"$gte": "2025-12-02T00:00:00"}}, {"createdAt": {"$lt": "2025-12-03T00:00:00"}}]},
        lambda r: datetime(2025, 12, 2, tzinfo=UTC) <= r.created_at < datetime(2025, 12, 3, tzinfo=UTC),
    ),
    ("display name regex", {"displayName": {"$regex": "^exp-003-"}}, lambda r: r.name.startswith("exp-003-")),
    ("$exists", {"summary_metrics.eval/precision": {"$exists": True}}, lambda r: "eval/precision" in r.summary),
    ("$ne", {"state": {"$ne": "finished"}}, lambda r: r.state != "finished"),
    (
        "W&B's own summary keys",
        {"summary_metrics._step": {"$gte": 59}},
        lambda r: r.job_type == "train" and r.state == "finished",
    ),
]


@pytest.mark.parametrize("filters,expected", [c[1:] for c in FILTER_CASES], ids=[c[0] for c in FILTER_CASES])
def test_server_side_filters_match_the_records(api, fake_wandb, fixture_project, filters, expected):
    want = {rid for rid, r in fixture_project.runs.items() if expected(r)}
    assert want, "each case must select something"
    assert want != set(fixture_project.runs), "each case must exclude something"
    got = api.runs(PROJECT_PATH, filters=filters, per_page=100, lazy=False)
    assert _ids(got) == want
    assert len(got) == len(want)  # runCount honours the filter too
    assert json.loads(fake_wandb.last("Runs").variables["filters"]) == filters


def test_dotted_config_key_matches_nothing_server_side(api, fixture_project):
    assert any("model.type" in r.config for r in fixture_project.runs.values())
    assert list(api.runs(PROJECT_PATH, filters={"config.model.type": "distilbert"}, lazy=False)) == []
    assert list(api.runs(PROJECT_PATH, filters={"config.model.type.value": "distilbert"}, lazy=False)) == []


def test_unsupported_filter_operator_is_a_graphql_error(api):
    with pytest.raises(Exception, match=r"\$all"):
        list(api.runs(PROJECT_PATH, filters={"tags": {"$all": ["a"]}}))


FILTER_UNIT_CASES = [
    ({"config.params.lr": 0.001}, True),
    ({"config.params.lr": {"$gt": 0.001}}, False),
    ({"config.params.lr": {"$gt": "x"}}, False),  # type mismatch never matches
    ({"config.params.optimizer.name": {"$regex": "^ad"}}, True),
    ({"config.missing": {"$exists": False}}, True),
    ({"config.missing": {"$ne": 1}}, True),  # Mongo: $ne matches a missing field
    ({"config.missing": {"$in": [1]}}, False),
    ({"config.model.type": {"$exists": False}}, True),  # dotted key unreachable
    ({"tags": "b"}, True),
    ({"tags": {"$ne": "b"}}, False),
    ({"summary_metrics.eval/f1": {"$gte": 0.5, "$lte": 0.5}}, True),
    ({"$or": [{"group": "g1"}, {"group": "g2"}], "state": "finished"}, True),
    ({"createdAt": {"$gt": "2025-12-01T08:00:00Z"}}, False),
]


@pytest.mark.parametrize("filters,matches", FILTER_UNIT_CASES, ids=[json.dumps(c[0]) for c in FILTER_UNIT_CASES])
def test_filter_evaluator_cases(filters, matches):
    from wbview.records import Run

    run = Run(
        id="r1",
        entity="e",
        project="p",
        name="n",
        group="g1",
        state="finished",
        tags=("a", "b"),
        created_at=datetime(2025, 12, 1, 8, tzinfo=UTC),
        config={"params": {"lr": 0.001, "optimizer": {"name": "adamw"}}, "model.type": "x"},
        summary={"eval/f1": 0.5},
    )
    assert run_matches(run, filters) is matches


# ---- artifacts and lineage ---------------------------------------------------------


def test_artifact_by_alias_carries_the_fixture_facts(api, fake_wandb, fixture_project):
    record = next(a for a in fixture_project.artifacts.values() if "production" in a.aliases)
    art = api.artifact(f"{PROJECT_PATH}/{record.name}:production")
    assert art.source_name == record.id and art.version == record.version and art.type == record.type
    assert art.metadata == dict(record.metadata) and art.description == record.description
    assert art.digest == record.digest and art.size == record.size_bytes
    assert "production" in art.aliases
    assert fake_wandb.count("ArtifactMembershipByName") == 1


def test_logged_by_and_used_by_follow_the_lineage(api, fake_wandb, fixture_project):
    record = fixture_project.artifacts["phishing-texts-encoded:v0"]
    art = api.artifact(f"{PROJECT_PATH}/{record.id}")
    fake_wandb.reset()
    assert art.logged_by().id == record.logged_by
    assert fake_wandb.count("ArtifactCreatedBy") == 1
    assert {r.id for r in art.used_by()} == set(record.used_by) and len(record.used_by) >= 2
    assert fake_wandb.count("ArtifactUsedBy") == 1


def test_run_inputs_and_outputs(api, fake_wandb, fixture_project):
    run_id = small_eval_run(fixture_project).id
    links = fixture_project.run_artifacts[run_id]
    run = api.run(f"{PROJECT_PATH}/{run_id}")
    assert {a.source_name for a in run.logged_artifacts()} == set(links.logged)
    assert {a.source_name for a in run.used_artifacts()} == set(links.used)
    assert fake_wandb.count("RunOutputArtifacts") == 1 and fake_wandb.count("RunInputArtifacts") == 1


def test_listing_types_collections_and_versions(api, fixture_project):
    types = {t.name for t in api.artifact_types(PROJECT_PATH)}
    assert types == {a.type for a in fixture_project.artifacts.values()}
    models = [c.name for c in api.artifact_collections(PROJECT_PATH, "model")]
    assert models == ["phishing-classifier"]
    versions = [a.version for a in api.artifacts("model", f"{PROJECT_PATH}/phishing-classifier")]
    expected = sorted(
        (a.version for a in fixture_project.artifacts.values() if a.name == "phishing-classifier"),
        key=lambda v: int(v[1:]),
        reverse=True,
    )
    assert versions == expected


def test_run_table_artifact_follows_wandb_naming(fixture_project):
    run = main_eval_run(fixture_project)
    ref = run.tables[0]
    assert ref.artifact == f"{run_table_artifact_name(run.id, TABLE_KEY)}:v0"
    assert ref.artifact.startswith(f"run-{run.id}-evalpredictions-") and ref.entry == "eval/predictions.table.json"
    assert fixture_project.artifacts[ref.artifact].type == "run_table"
    assert len(fixture_project.tables[(ref.artifact, ref.entry)]) == EVAL_TABLE_ROWS


# ---- tables --------------------------------------------------------------------------


def test_table_round_trips_through_wandb_get_dataframe(api, fixture_project):
    ref = small_eval_run(fixture_project).tables[0]
    art = api.artifact(f"{PROJECT_PATH}/{ref.artifact}")
    frame = art.get(ref.key).get_dataframe()
    expected = fixture_project.tables[(ref.artifact, ref.entry)]
    pd.testing.assert_frame_equal(frame.astype(object), expected.astype(object), check_dtype=False)


def test_large_table_entry_is_wandb_table_json_with_manifest_digest(api, fake_wandb, fixture_project, tmp_path, monkeypatch):
    # a private wandb file cache (read at download time): an entry cached by another test would skip the download
    monkeypatch.setenv("WANDB_CACHE_DIR", str(tmp_path / "wandb-cache"))
    ref = main_eval_run(fixture_project).tables[0]
    art = api.artifact(f"{PROJECT_PATH}/{ref.artifact}")
    entry = art.get_entry(ref.entry)
    path = entry.download()
    content = open(path, "rb").read()
    assert base64.b64encode(hashlib.md5(content).digest()).decode() == entry.digest
    doc = json.loads(content)
    assert doc["_type"] == "table" and doc["nrows"] == EVAL_TABLE_ROWS == len(doc["data"])
    assert doc["columns"] == list(fixture_project.tables[(ref.artifact, ref.entry)].columns)
    assert fake_wandb.count("FetchArtifactManifest") == 1 and fake_wandb.count("file") >= 2


def test_media_table_needs_wandb_to_resolve_its_image_cells(fixture_project, monkeypatch):
    from tests.fakewandb import FakeWandb
    from tests.fixtures import add_media_table_run

    data, ref, files = add_media_table_run(fixture_project, nrows=5)
    with FakeWandb({PROJECT_PATH: data}, files=files) as fake:
        for name, value in fake.env().items():
            monkeypatch.setenv(name, value)
        client = wandb.Api(overrides={"entity": "acme"}, timeout=15)
        art = client.artifact(f"{PROJECT_PATH}/{ref.artifact}")
        table = art.get(ref.key)
        images = table.get_column("Image")
        assert len(images) == 5 and all(isinstance(image, wandb.Image) for image in images)
        assert fake.count("file") >= 6  # the table entry and its five images
        assert fake.unknown == []


def test_truncated_table_summary_reports_more_rows_than_stored(api, fixture_project):
    record = truncated_eval_run(fixture_project)
    run = api.run(f"{PROJECT_PATH}/{record.id}")
    entry = run.summary[TABLE_KEY]
    assert entry["_type"] == "table-file" and entry["nrows"] == TRUNCATED_LOGGED_ROWS
    # As on W&B: client-side ids that name no server artifact.
    assert entry["_latest_artifact_path"].startswith("wandb-client-artifact://")
    assert record.tables[0].artifact.split(":")[0] not in entry["_latest_artifact_path"]
    ref = record.tables[0]
    assert len(fixture_project.tables[(ref.artifact, ref.entry)]) == TRUNCATED_STORED_ROWS


def test_history_sampled_and_full(api, fixture_project):
    run_id = next(rid for rid, h in fixture_project.histories.items() if len(h) == 60)
    run = api.run(f"{PROJECT_PATH}/{run_id}")
    full = run.history()
    assert len(full) == 60 and {"_step", "train/loss", "train/lr"} <= set(full.columns)
    sampled = run.history(keys=["eval/f1"])
    assert list(sampled["_step"]) == [9, 19, 29, 39, 49, 59]


def test_scan_history_reads_every_row(api, fixture_project):
    run_id = next(rid for rid, h in fixture_project.histories.items() if len(h) == 60)
    rows = list(api.run(f"{PROJECT_PATH}/{run_id}").scan_history(keys=["train/loss"]))
    assert [row["_step"] for row in rows] == list(range(60))


def test_run_files_include_the_media_copy_cut_to_10000_rows(api, fake_wandb, fixture_project, tmp_path):
    record = main_eval_run(fixture_project)
    files = {f.name: f for f in api.run(f"{PROJECT_PATH}/{record.id}").files()}
    assert {"wandb-summary.json", "config.yaml", "wandb-metadata.json"} <= set(files)
    (media,) = [f for name, f in files.items() if name.startswith("media/table/") and name.endswith(".table.json")]
    doc = json.load(media.download(root=str(tmp_path)))
    assert len(doc["data"]) == 10_000 < EVAL_TABLE_ROWS
    assert fake_wandb.count("runfile") == 1 and fake_wandb.count("file") == 0


def test_projects_of_an_entity(api):
    assert [p.name for p in api.projects("acme")] == ["phishing"]


# ---- faults --------------------------------------------------------------------------


def test_429_recovers_after_retries(api, fake_wandb):
    fake_wandb.rate_limit("Runs", times=2)
    assert len(list(api.runs(PROJECT_PATH, per_page=100, lazy=False))) > 0
    assert [r.status for r in fake_wandb.requests if r.op == "Runs"] == [429, 429, 200]


def test_500_recovers_after_retries(api, fake_wandb):
    fake_wandb.fail("Run", 500, times=2)
    assert api.run(f"{PROJECT_PATH}/{next(iter(fake_wandb.projects[PROJECT_PATH].runs))}").id
    assert fake_wandb.count("Run", status=500) == 2 and fake_wandb.count("Run", status=200) == 1


def test_persistent_503_gives_up(api, fake_wandb):
    fake_wandb.fail("Runs", 503, times=None)
    with pytest.raises(Exception, match="503"):
        list(api.runs(PROJECT_PATH, per_page=100, lazy=False))
    assert fake_wandb.count("Runs", status=503) >= 2  # retried, then gave up


def test_slow_response_exceeds_client_timeout(fake_wandb):
    client = wandb.Api(overrides={"entity": "acme"}, timeout=1)
    fake_wandb.delay("Run", seconds=4)
    started = time.monotonic()
    with pytest.raises(Exception, match="did not respond in time"):
        client.run(f"{PROJECT_PATH}/{next(iter(fake_wandb.projects[PROJECT_PATH].runs))}")
    assert time.monotonic() - started < 3.5


def test_bad_api_key_is_rejected_with_401(fake_wandb, monkeypatch):
    monkeypatch.setenv("WANDB_API_KEY", "b" * 40)
    with pytest.raises(wandb.errors.AuthenticationError):
        wandb.Api(overrides={"entity": "acme"}, timeout=15)
    assert fake_wandb.count("Viewer", status=401) == 1


def test_injected_401_on_an_operation(api, fake_wandb):
    fake_wandb.fail("Run", 401)
    with pytest.raises(wandb.errors.CommError):
        api.run(f"{PROJECT_PATH}/{next(iter(fake_wandb.projects[PROJECT_PATH].runs))}")
    assert fake_wandb.count("Run", status=401) == 1  # 401 is not retried


def test_graphql_errors_payload(api, fake_wandb):
    fake_wandb.graphql_error("Runs", "permission denied for project")
    with pytest.raises(Exception, match="permission denied for project"):
        list(api.runs(PROJECT_PATH, lazy=False))


def test_unknown_project_run_and_artifact(api, fake_wandb):
    with pytest.raises(ValueError, match="Could not find project"):
        list(api.runs("acme/no-such-project"))
    with pytest.raises(wandb.errors.CommError, match="Could not find run"):
        api.run(f"{PROJECT_PATH}/nosuchrun")
    with pytest.raises(wandb.errors.CommError, match="not found"):
        api.artifact(f"{PROJECT_PATH}/phishing-classifier:v99")
    assert fake_wandb.unknown == []  # these are answers (nulls), not gaps


# ---- the HTTP surface ----------------------------------------------------------------


def _post(url: str, payload: dict, key: str = DEFAULT_API_KEY) -> tuple[int, dict]:
    token = base64.b64encode(f"api:{key}".encode()).decode()
    req = urllib.request.Request(
        url, json.dumps(payload).encode(), {"Authorization": f"Basic {token}", "Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def test_unknown_operations_and_fields_are_errors_and_logged(fake_wandb):
    status, body = _post(f"{fake_wandb.base_url}/graphql", {"query": "mutation UpsertBucket { upsertBucket { id } }"})
    assert status == 200 and body["errors"] and fake_wandb.unknown
    status, body = _post(f"{fake_wandb.base_url}/graphql", {"query": "query Odd { viewer { shoeSize } }"})
    assert "User.shoeSize" in body["errors"][0]["message"]
    assert fake_wandb.count("Odd") == 1 and fake_wandb.count("UpsertBucket") == 1


def test_telemetry_is_answered_and_not_counted(fake_wandb):
    status, _ = _post(f"{fake_wandb.base_url}/sdk/otel/v1/metrics", {})
    assert status == 200 and fake_wandb.count() == 0


def test_request_without_the_configured_key_gets_401(fake_wandb):
    status, _ = _post(f"{fake_wandb.base_url}/graphql", {"query": "query Viewer { viewer { id } }"}, key="c" * 40)
    assert status == 401 and fake_wandb.count("Viewer", status=401) == 1


def test_table_json_writes_datetimes_as_wandb_does():
    """wandb writes datetime cells as epoch milliseconds typed "timestamp" (recorded in
    tests/realwandb/recorded/datetimes), never as ISO text."""
    import json as _json

    from tests.fakewandb import wandb_table_json

    frame = pd.DataFrame(
        {
            "t": pd.to_datetime(["2025-01-01 12:34:56.789", None]),
            "u": pd.to_datetime(["2025-01-01"]).tz_localize("Europe/Berlin").repeat(2),
        }
    )
    doc = _json.loads(wandb_table_json(frame))
    assert doc["data"] == [[1735734896789, 1735686000000], [None, 1735686000000]]
    assert {t["wb_type"] for t in doc["column_types"]["params"]["type_map"]["t"]["params"]["allowed_types"]} == {
        "none",
        "timestamp",
    }
