"""A loopback fake W&B server for tests and benchmarks.

The real ``wandb`` client (and its ``wandb-core`` process) talks to it over HTTP when
``WANDB_BASE_URL`` points here. It answers ``POST /graphql`` by executing the query
document against a small object graph built from :class:`ProjectData` (so each
response has exactly the shape the client asked for), serves artifact manifests and
entries, accepts what ``wandb.init``, ``use_artifact`` and ``log_artifact`` write, and
evaluates the Mongo-style ``$filters`` the real server accepts, independently of
``wbview.filters``. Every request is recorded; faults can be queued.

Quick reference (see the pytest fixtures ``fixture_project``, ``fake_wandb`` in conftest)::

    fake = FakeWandb({"acme/phishing": data}, api_key="f" * 40,
                     files={("name:v0", "path"): b"..."}, latency_s=0.0)
    with fake:                      # or fake.start() / fake.stop()
        fake.base_url; fake.env()   # {"WANDB_BASE_URL": ..., "WANDB_API_KEY": ...}
        fake.count("Runs")          # requests of one operation; "*" all GraphQL,
        fake.count("file")          # "file" downloads ("upload", "file_stream": a run's writes); None everything
        fake.count("Run", status=500); fake.ops(); fake.last("Runs").variables
        fake.requests               # [Request(method, path, op, variables, status, ...)]
        fake.reset()                # forget requests, faults, unknown notes
        fake.rate_limit("Runs", times=2)            # 429 + Retry-After: 0, then recovers
        fake.fail("Run", 500, times=2)              # 500 twice, then recovers
        fake.fail("*", 503, times=None)             # persistent outage
        fake.delay("Run", seconds=5)                # slower than a client timeout
        fake.graphql_error("Runs", "message")       # HTTP 200 + {"errors": [...]}
        fake.fail("Runs", 401); fake.api_key = "x" * 40   # rejected credentials
        fake.count("runfile")       # run-file downloads (incl. the 10,000-row media table copy)
        fake.unknown                # operations/fields it could not answer (gaps)
        fake.set_project(path, data)  # add/replace a project while running
        fake.writes                 # what clients wrote: wandb.init adds a run, log_artifact
                                    # a committed version (use_artifact: lineage); see writes.py

Unknown project/run/artifact need no fault: ask for one and the fake answers ``null``
as the real server does. Timestamps are UTC without offset (``2025-12-01T08:47:12``).
"""

from tests.fakewandb.files import b64_md5, entry_bytes, parquet_bytes, wandb_table_json
from tests.fakewandb.filters import run_matches
from tests.fakewandb.server import DEFAULT_API_KEY, FakeWandb

__all__ = ["DEFAULT_API_KEY", "FakeWandb", "b64_md5", "entry_bytes", "parquet_bytes", "run_matches", "wandb_table_json"]
