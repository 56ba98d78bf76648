"""Calls to W&B with a deadline, and the translation of every wandb failure into
one ``wbview.errors`` type whose message says what to do."""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from wbview.errors import (
    AuthenticationFailed,
    EntityNotFound,
    NotFound,
    QueryError,
    RateLimited,
    RequestTimeout,
    ServerError,
    WbviewError,
)

T = TypeVar("T")

# wandb-core retries 429/5xx up to 20 times with up to 60 s waits; keep a persistent
# failure inside the time bound so it surfaces as what it is, not as a timeout. Set only
# while wandb.Api starts (it reads them then), and only where the user has not set them.
RETRY_ENV_DEFAULTS = {
    "WANDB__GRAPHQL_RETRY_MAX": "3",
    "WANDB__GRAPHQL_RETRY_WAIT_MIN_SECONDS": "1",
    "WANDB__GRAPHQL_RETRY_WAIT_MAX_SECONDS": "4",
}
# Nothing leaves the machine unasked: wandb-core, started with the first wandb.Api, would
# otherwise send its own usage and error telemetry (to the W&B server's /sdk/otel/); this
# starts it with --no-observability. Same rules: only while wandb.Api starts, only unset.
TELEMETRY_ENV_DEFAULTS = {"WANDB_ERROR_REPORTING": "false"}
API_ENV_DEFAULTS = RETRY_ENV_DEFAULTS | TELEMETRY_ENV_DEFAULTS
_ENV_LOCK = threading.Lock()


@contextlib.contextmanager
def env_defaults(defaults: Mapping[str, str]) -> Iterator[None]:
    """``defaults`` (those the user has not set) in the environment for the duration of
    the block only."""
    with _ENV_LOCK:
        added = {k: v for k, v in defaults.items() if k not in os.environ}
        os.environ.update(added)
        try:
            yield
        finally:
            for name in added:
                os.environ.pop(name, None)


def bounded_call(what: str, fn: Callable[..., T], *args: Any, timeout_s: float, base_url: str) -> T:
    """``fn(*args)`` in a worker thread, waited for at most ``timeout_s``; its own
    exception is re-raised untranslated, a missed deadline is RequestTimeout."""
    outcome: dict[str, Any] = {}
    finished = threading.Event()

    def work() -> None:
        try:
            outcome["value"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller below
            outcome["error"] = exc
        finally:
            finished.set()

    # A daemon thread: a call abandoned at its deadline never holds the process open.
    threading.Thread(target=work, name="wbview-wandb-call", daemon=True).start()
    if not finished.wait(timeout_s):
        raise RequestTimeout(
            f"W&B did not answer within {timeout_s:g} s while {what} ({base_url}). The server may be slow or "
            "unreachable: try again, or allow more time (--timeout SECONDS)."
        )
    error = outcome.get("error")
    if error is not None:
        raise error
    return outcome["value"]


def translate_error(
    exc: BaseException,
    what: str,
    *,
    base_url: str,
    key_origin: str = "your settings",
    not_found: Callable[[str], NotFound] | None = None,
) -> WbviewError:
    """The wbview error for a failure of wandb while ``what`` (pure: reads only the
    exception's text, status and type). wandb reports one failure in several ways
    (CommError, WandbApiFailedError, ValueError, "service process is busy"), so it is
    matched on what it says."""
    text = _error_text(exc)
    lowered = text.lower()
    status = _error_status(exc, text)
    detail = _first_line(text)
    if "did not respond in time" in lowered or "timed out" in lowered or "deadline exceeded" in lowered or status in (408, 504):
        return RequestTimeout(
            f"W&B did not answer in time while {what} ({base_url}). Try again, or allow more time (--timeout SECONDS)."
        )
    if status == 429 or "rate limit" in lowered or "too many requests" in lowered:
        return RateLimited(
            f"W&B is rate-limiting this API key while {what}. Wait a minute and try again, or ask for less "
            "(narrower filters, fewer runs)."
        )
    # Before the key checks: wandb reports an unreachable server as an AuthenticationError.
    if status is None and any(word in lowered for word in _UNREACHABLE):
        return ServerError(
            f"Cannot reach W&B at {base_url} while {what}: the connection failed. Check WANDB_BASE_URL / "
            "[wandb] base_url and your network."
        )
    if status is not None and status >= 500:
        return ServerError(
            f"W&B answered with a server error (HTTP {status}) while {what}, even after retries. "
            f"Try again in a few minutes; check the status of {base_url}."
        )
    if (
        status == 401
        or type(exc).__name__ == "AuthenticationError"
        or any(
            word in lowered for word in ("not logged in", "unauthorized", "invalid api key", "unauthenticated", "login required")
        )
    ):
        return AuthenticationFailed(
            f"W&B rejected the API key (from {key_origin}) for {base_url}. Create or copy a valid key at "
            f"{app_url(base_url)}/authorize and set WANDB_API_KEY or [wandb] api_key in .streamlit/secrets.toml."
        )
    if status == 403 or "permission" in lowered or "forbidden" in lowered:
        return AuthenticationFailed(
            f"Your API key is not allowed to read this while {what} ({detail}). Ask the entity's admin for "
            "access, or use a key of a member of that team."
        )
    if status == 404 or any(word in lowered for word in ("not found", "could not find", "does not exist")):
        if "entity" in lowered and "project" not in lowered:
            return EntityNotFound(f"The W&B entity was not found while {what} ({detail}). Check the ENTITY part of the path.")
        if not_found is not None:
            return not_found(detail)
        return NotFound(f"Not found while {what}: {detail}.")
    return QueryError(
        f"W&B could not answer while {what}: {detail}. Check the path and filters; if it persists, "
        "run again with WBVIEW_DEBUG=1 and report it."
    )


_UNREACHABLE = (
    "connection refused",
    "no such host",
    "dial tcp",
    "connection reset",
    "name or service not known",
    "network is unreachable",
    "no route to host",
)


_HTTP_STATUS = re.compile(r"\b(?:HTTP|status(?: code)?)[ :]*(?P<status>[1-5]\d\d)\b", re.IGNORECASE)


def app_url(base_url: str) -> str:
    # api.wandb.ai -> wandb.ai; self-hosted servers serve the app on the same host.
    return base_url.replace("://api.wandb.ai", "://wandb.ai")


def _error_text(exc: BaseException) -> str:
    """Messages of an exception and everything it wraps (wandb nests them)."""
    parts: list[str] = []
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        message = str(current).strip()
        if message:
            parts.append(message)
        wrapped = getattr(current, "exc", None)
        todo.extend([current.__cause__, current.__context__, wrapped if isinstance(wrapped, BaseException) else None])
    return "\n".join(parts) or type(exc).__name__


def _error_status(exc: BaseException, text: str) -> int | None:
    response = getattr(exc, "response", None)
    status = getattr(response, "http_status", None) or getattr(response, "status_code", None)
    if isinstance(status, int) and status >= 100:
        return status
    match = _HTTP_STATUS.search(text)
    return int(match["status"]) if match else None


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    line = re.sub(r"^(input|Failed to execute API request):\s*", "", line)
    return line[:200]
