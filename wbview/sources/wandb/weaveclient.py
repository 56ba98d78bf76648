"""The rows of a W&B EvalTable, read from W&B Weave with weave's own client (the
optional extra ``pip install 'wbview[weave]'``). The only module that imports weave,
and only when an EvalTable is loaded.

What is read (weave 0.54): the evaluation's own call
(``WeaveClient.get_call(evaluate_call_id)``) and its child calls
(``WeaveClient.get_calls(filter={"parent_ids": [evaluate_call_id]})``), both through
weave's binding of the trace server (``POST /calls/stream_query``), from the trace
server weave itself would use: ``WF_TRACE_SERVER_URL``, else ``https://trace.wandb.ai``
for W&B's cloud and ``<base_url>/traces`` for any other W&B server. Values are decoded
by weave (datetimes and other data-only types); types that would run stored code are
not decoded. The rows are then flattened by ``evalrows`` (pure).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from wbview.errors import (
    AuthenticationFailed,
    MissingDependency,
    NoCredentials,
    RequestTimeout,
    ServerError,
    TableNotFound,
    WbviewError,
)
from wbview.records import LoadedTable, TableRef
from wbview.settings import Settings
from wbview.sources.wandb.calls import TELEMETRY_ENV_DEFAULTS, bounded_call, env_defaults
from wbview.sources.wandb.evalrows import CALL_ID_COLUMN, eval_rows, is_row_call

WEAVE_INSTALL_HINT = "pip install 'wbview[weave]'"
CLOUD_BASE_URL = "https://api.wandb.ai"
CLOUD_TRACE_URL = "https://trace.wandb.ai"
PAGE_SIZE = 1000  # calls per request (weave's default page size)
_COLUMNS = ["inputs", "output", "exception", "op_name", "started_at"]  # as in get_calls' docstring; no sub-paths


def trace_server_url(base_url: str, environ: Mapping[str, str] | None = None) -> str:
    """The Weave trace server of a W&B server, by weave's own rule (weave.trace.env)."""
    env = os.environ if environ is None else environ
    if env.get("WF_TRACE_SERVER_URL"):
        return env["WF_TRACE_SERVER_URL"].rstrip("/")
    base = base_url.rstrip("/")
    return CLOUD_TRACE_URL if base == CLOUD_BASE_URL else f"{base}/traces"


def evaluation_id(ref: TableRef) -> str:
    return ref.artifact.partition(":")[2]


def load_eval_table(settings: Settings, timeout_s: float, project: str, ref: TableRef, media_dir: Path) -> LoadedTable:
    """Every row of the EvalTable ``ref`` points at, read from W&B Weave; images (weave
    decodes them to PIL images) are written as PNG files under ``media_dir``, each cell
    the local path of its file, as for the media columns of other tables."""
    call_id = evaluation_id(ref)
    what = f"EvalTable {ref.key!r} (Weave evaluation {call_id})"
    if ref.eval_backend == "ces":
        raise TableNotFound(
            f"EvalTable {ref.key!r} (evaluation version {call_id}) was written to the CoreWeave Evaluation Service (wandb.EvalTable backend='ces'), "
            "which wbview cannot read: open it in the W&B UI."
        )
    if not settings.has_credentials():
        raise NoCredentials(f"Reading {what} needs a W&B API key: set WANDB_API_KEY or run `wandb login`.")
    url = trace_server_url(settings.effective_base_url)
    try:
        name, calls = bounded_call(
            f"reading {what}", _fetch, url, str(settings.api_key), project, call_id, timeout_s, timeout_s=timeout_s, base_url=url
        )
    except RequestTimeout:
        raise RequestTimeout(
            f"W&B Weave ({url}) did not answer within {timeout_s:g} s while reading {what}. Try again, or allow "
            "more time (--timeout SECONDS)."
        ) from None
    except WbviewError:
        raise
    except Exception as exc:
        raise _translate(exc, what, url) from exc
    frame, notes = eval_rows(calls)
    frame, saved = _save_images(frame, media_dir / call_id)
    if saved:
        notes += (f"Image columns ({', '.join(saved)}): each cell is the local path of the image's PNG file.",)
    if ref.nrows is not None and len(frame) != ref.nrows:
        notes += (f"The run's history says {ref.nrows:,} rows were logged; Weave returned {len(frame):,}.",)
    if name:
        notes = (f"Weave evaluation {name!r} ({call_id}).", *notes)
    total = max(len(frame), ref.nrows or 0)
    return LoadedTable(ref=ref, frame=frame, total_rows=total, truncated=len(frame) < total, source_format="wandb", notes=notes)


def _fetch(url: str, api_key: str, project: str, call_id: str, timeout_s: float) -> tuple[str | None, list[dict[str, Any]]]:
    """(evaluation display name, its row calls as plain dicts), with weave's client.
    Runs in ``bounded_call``'s worker thread: weave's settings are scoped here."""
    try:
        # weave sets up its Sentry error reporting when first imported, from
        # WANDB_ERROR_REPORTING: off unless the user asked for it (as for wandb-core).
        with env_defaults(TELEMETRY_ENV_DEFAULTS):
            from weave.trace.settings import override_settings
            from weave.trace.weave_client import WeaveClient
            from weave.trace_server_bindings.remote_http_trace_server import RemoteHTTPTraceServer
            from weave.wandb_interface.auth import ApiKeyCredentials
    except ImportError as exc:
        raise MissingDependency(
            f"Loading the rows of a W&B EvalTable needs the weave package ({exc.name or 'weave'} is missing): "
            f"{WEAVE_INSTALL_HINT}"
        ) from None
    entity, _, name = project.partition("/")
    with override_settings(http_timeout=timeout_s, allow_unsafe_custom_obj_decode=False, print_call_link=False):
        server = RemoteHTTPTraceServer(url, should_batch=False)
        server.set_auth(ApiKeyCredentials(api_key))
        client = WeaveClient(entity, name, server, ensure_project_exists=False)
        try:
            evaluation = client.get_call(call_id, columns=["display_name", "op_name"])
        except ValueError as exc:
            if not str(exc).startswith("Call not found"):  # weave 0.54's words for an empty answer
                raise
            raise TableNotFound(
                f"W&B Weave ({url}) has no evaluation {call_id} in {project}: it may have been deleted, or the "
                "trace server is another one (set WF_TRACE_SERVER_URL)."
            ) from None
        rows = []
        # Iterated, not list()-ed: len() of weave's iterator asks the server for a count first.
        for call in client.get_calls(filter={"parent_ids": [call_id]}, columns=_COLUMNS, page_size=PAGE_SIZE):
            plain = {"id": call.id, "op_name": call.op_name, "exception": call.exception}
            if not is_row_call(plain):
                continue
            plain["inputs"] = {"example": _plain(call.inputs.get("example"))}
            plain["output"] = _plain(call.output)
            plain["started_at"] = call.started_at
            rows.append(plain)
    rows.sort(key=lambda c: (c["started_at"] is None, c["started_at"] or 0))
    display = evaluation.display_name
    return (display if isinstance(display, str) else None), rows


def _plain(value: Any) -> Any:
    """weave's boxed containers (WeaveDict, WeaveList) as plain dicts and lists."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _is_image(value: Any) -> bool:
    return type(value).__module__.startswith("PIL.") and callable(getattr(value, "save", None))


def _save_images(frame: pd.DataFrame, folder: Path) -> tuple[pd.DataFrame, list[str]]:
    """Image cells as the paths of PNG files (``<row call id>-<column number>.png``)."""
    saved: list[str] = []
    for number, column in enumerate(frame.columns):
        if frame[column].dtype != object or not any(_is_image(v) for v in frame[column]):
            continue
        folder.mkdir(parents=True, exist_ok=True)
        cells = []
        for call_id, value in zip(frame[CALL_ID_COLUMN], frame[column], strict=True):
            if _is_image(value):
                path = folder / f"{call_id}-{number}.png"
                value.save(path, format="PNG")
                value = str(path)
            cells.append(value)
        frame[column] = pd.Series(cells, index=frame.index, dtype=object)
        saved.append(str(column))
    return frame, saved


def _translate(exc: BaseException, what: str, url: str) -> WbviewError:
    status = getattr(exc, "status_code", None)
    kind = type(exc).__name__
    if kind == "APITimeoutError":
        return RequestTimeout(f"W&B Weave ({url}) did not answer in time while reading {what}. Try again, or allow more time.")
    if kind == "APIConnectionError":
        return ServerError(f"Cannot reach W&B Weave at {url} while reading {what}. Check WF_TRACE_SERVER_URL and your network.")
    if status in (401, 403):
        return AuthenticationFailed(f"W&B Weave ({url}) rejected the API key (HTTP {status}) while reading {what}.")
    if status == 404:
        return TableNotFound(f"W&B Weave ({url}) answered 404 while reading {what}: is this the trace server of the run's W&B?")
    if isinstance(status, int) and status >= 500:
        return ServerError(
            f"W&B Weave ({url}) answered with a server error (HTTP {status}) while reading {what}, even after "
            "retries. Try again in a few minutes."
        )
    return ServerError(f"W&B Weave ({url}) could not answer while reading {what}: {kind}: {str(exc).splitlines()[0][:200]}")
