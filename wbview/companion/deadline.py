"""Deadlines for the W&B calls the companion makes, so that W&B can never stall an
evaluation.

wandb calls cannot be cancelled. Each one the companion makes runs in a daemon worker
thread; the caller stops waiting at the deadline and goes on (the abandoned call may
still finish or fail later, in the background; a daemon thread never keeps the process
alive). Defaults (override per call; the first also for the process, with
``$WBVIEW_COMPANION_TIMEOUT_S``):

- ``DEFAULT_TIMEOUT_S`` (5 s): how long ``log_eval_table`` waits for W&B in all (its
  summary update, lineage, artifact and workspace-table calls share one deadline), and
  how long ``start_run`` waits for ``wandb.init`` (wandb's ``init_timeout``).
- ``DEFAULT_FINISH_TIMEOUT_S`` (60 s): how long ``finish_run`` waits for
  ``run.finish()``, which uploads whatever is still queued, and the ``finish_timeout``
  that ``start_run`` gives wandb itself (so a plain ``run.finish()``, the ``with`` block's
  end and wandb's exit hook are bounded too).

Once a call in a run has missed its deadline, later companion calls for that run do not
wait on W&B again: they keep their results locally and say how to upload them.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import warnings
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from wbview.errors import MissingDependency, UsageError
from wbview.settings import wbview_env

T = TypeVar("T")

DEFAULT_TIMEOUT_S = 5.0
DEFAULT_FINISH_TIMEOUT_S = 60.0
TIMEOUT_ENV = "WBVIEW_COMPANION_TIMEOUT_S"

# id(run) -> (a reference to the run, the call that missed its deadline). Keyed by the
# run object, not its W&B id: the same run resumed later (e.g. by upload_local) starts fresh.
_stalled: dict[int, tuple[Callable[[], Any], str]] = {}
_stalled_lock = threading.Lock()


class WandbTimeout(TimeoutError):
    """A W&B call did not return within its deadline (it goes on in the background)."""

    def __init__(self, what: str, timeout: float) -> None:
        super().__init__(f"W&B did not answer within {timeout:g} s ({what})")
        self.what = what
        self.timeout = timeout


def wandb_timeout(timeout: float | None = None, default: float = DEFAULT_TIMEOUT_S, *, from_env: bool = True) -> float:
    """``timeout`` if given, else ``$WBVIEW_COMPANION_TIMEOUT_S`` (when ``from_env``),
    else ``default`` (seconds)."""
    if timeout is None:
        text = (wbview_env(TIMEOUT_ENV) or "") if from_env else ""
        try:
            timeout = float(text) if text else default
        except ValueError:
            raise UsageError(f"${TIMEOUT_ENV} must be a number of seconds, got {text!r}.") from None
    if not timeout > 0:
        raise UsageError(f"a W&B timeout must be a positive number of seconds, got {timeout!r}.")
    return float(timeout)


def call_with_deadline(fn: Callable[[], T], *, timeout: float, what: str) -> T:
    """``fn()`` run in a daemon worker thread: its value, its exception re-raised, or
    ``WandbTimeout`` once ``timeout`` seconds have passed (the worker is abandoned)."""
    box: dict[str, Any] = {}
    done = threading.Event()

    def work() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 (handed to the caller, never left to the thread)
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, name=f"wbview-wandb: {what}"[:60], daemon=True).start()
    if not done.wait(max(timeout, 0.0)):
        raise WandbTimeout(what, timeout)
    if "error" in box:
        raise box["error"]
    return box["value"]


class Deadline:
    """One deadline shared by a sequence of W&B calls for one run."""

    def __init__(self, run: Any, timeout: float) -> None:
        self.run = run
        self.timeout = timeout
        self.end = time.monotonic() + timeout

    def call(self, what: str, fn: Callable[[], T]) -> T:
        reason = stalled_reason(self.run)
        if reason is not None:
            raise WandbTimeout(f"earlier in this run: {reason}", self.timeout)
        try:
            return call_with_deadline(fn, timeout=self.end - time.monotonic(), what=what)
        except WandbTimeout:
            mark_stalled(self.run, what)
            raise WandbTimeout(what, self.timeout) from None


def mark_stalled(run: Any, what: str) -> None:
    """Remember that W&B stopped answering in ``run`` (later calls go local at once)."""
    try:
        ref: Callable[[], Any] = weakref.ref(run)
    except TypeError:  # not weak-referenceable: keep the run itself

        def ref() -> Any:
            return run

    with _stalled_lock:
        if _stalled_reason_locked(run) is None:
            _stalled[id(run)] = (ref, what)


def _stalled_reason_locked(run: Any) -> str | None:
    entry = _stalled.get(id(run))
    if entry is None:
        return None
    if entry[0]() is not run:  # a dead run whose id() was reused
        del _stalled[id(run)]
        return None
    return entry[1]


def stalled_reason(run: Any) -> str | None:
    """The call that missed its deadline in ``run``, or None while W&B has answered."""
    with _stalled_lock:
        return _stalled_reason_locked(run)


def require_wandb() -> Any:
    """Import wandb or raise ``MissingDependency`` with the install command."""
    try:
        import wandb
    except ImportError as exc:  # pragma: no cover - wandb is installed in dev
        raise MissingDependency("Logging to W&B needs wandb: pip install 'wbview[wandb]' (or pip install wandb).") from exc
    return wandb


def active_run() -> Any:
    """``wandb.run`` if wandb is already imported and a run is active, else None."""
    wandb = sys.modules.get("wandb")
    return getattr(wandb, "run", None) if wandb is not None else None


def _with_timeouts(settings: Any, init_timeout: float, finish_timeout: float) -> Any:
    """The caller's settings plus ``init_timeout``/``finish_timeout`` unless they set them."""
    wandb = require_wandb()
    wanted = {"init_timeout": init_timeout, "finish_timeout": finish_timeout}
    if settings is None:
        return wandb.Settings(**wanted)
    if isinstance(settings, dict):
        return {**wanted, **settings}
    explicit: set[str] = set(getattr(settings, "model_fields_set", ()))
    return settings.model_copy(update={k: v for k, v in wanted.items() if k not in explicit})


def sync_dir(run: Any) -> Path | None:
    """The run's local folder that ``wandb sync`` uploads (None when unknown)."""
    try:
        return Path(run.settings.sync_dir)
    except Exception:  # noqa: BLE001 (a run object without wandb's settings: tests, disabled runs)
        return None


def start_run(
    *, timeout: float | None = None, finish_timeout: float | None = None, fallback: str | None = "offline", **init_kwargs: Any
) -> Any:
    """``wandb.init(**init_kwargs)`` that cannot stall the job: W&B gets ``timeout``
    seconds (wandb's ``init_timeout``; default 5 s) to start the run; if it does not
    answer, the run starts again in ``fallback`` mode (``"offline"``: the run's data stays
    on disk for ``wandb sync``; ``"disabled"``; None: raise) with a warning. The run gets
    wandb's ``finish_timeout`` (default 60 s) so that finishing it is bounded too."""
    wandb = require_wandb()
    if fallback not in ("offline", "disabled", None):
        raise UsageError(f"fallback must be 'offline', 'disabled' or None, got {fallback!r}.")
    init_timeout = wandb_timeout(timeout)
    finish_after = wandb_timeout(finish_timeout, DEFAULT_FINISH_TIMEOUT_S, from_env=False)
    settings = _with_timeouts(init_kwargs.pop("settings", None), init_timeout, finish_after)
    mode = init_kwargs.get("mode") or os.environ.get("WANDB_MODE")
    if mode:  # passed on: wandb may have read its settings (and WANDB_MODE) earlier in the process
        init_kwargs["mode"] = mode
    if mode in ("offline", "disabled", "dryrun"):
        return wandb.init(settings=settings, **init_kwargs)
    try:
        return wandb.init(settings=settings, **init_kwargs)
    except Exception as exc:  # wandb raises CommError on timeout, others on odd failures
        if fallback is None:
            raise
        cause = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
        run = wandb.init(settings=settings, **{**init_kwargs, "mode": fallback})
        where = sync_dir(run)
        upload = f"; upload it later with `wandb sync {where}`" if fallback == "offline" and where else ""
        warnings.warn(
            f"W&B did not start the run within {init_timeout:g} s ({cause}); the run goes on in {fallback} mode{upload}.",
            UserWarning,
            stacklevel=2,
        )
        return run


def finish_run(run: Any = None, *, timeout: float | None = None, exit_code: int | None = None) -> bool:
    """Finish ``run`` (default: the active run) without hanging the job.

    Waits up to ``timeout`` seconds (default 60 s) for ``run.finish(exit_code)``. True
    when it returned. When it did not (W&B stopped answering), it warns with the
    ``wandb sync`` command for the run's data, lets wandb's background service go
    (``wandb.teardown`` with its own bound, so no exit hook waits on it again) and
    returns False (at the deadline: nothing more is waited for); eval tables logged
    with ``log_eval_table`` also have local copies.
    """
    run = run if run is not None else active_run()
    if run is None:
        return True
    limit = wandb_timeout(timeout, DEFAULT_FINISH_TIMEOUT_S, from_env=False)
    try:
        call_with_deadline(lambda: run.finish(exit_code=exit_code), timeout=limit, what="finishing the run")
        return True
    except WandbTimeout:
        mark_stalled(run, "finishing the run")
    where = sync_dir(run)
    upload = f"upload it later with `wandb sync {where}`" if where else "upload it later with `wandb sync`"
    warnings.warn(
        f"run.finish() did not return within {limit:g} s (W&B is not answering); the job goes on. The run's data "
        f"stays on disk: {upload}.",
        UserWarning,
        stacklevel=2,
    )
    wandb = require_wandb()

    def teardown() -> None:
        try:
            wandb.teardown()
        except (Exception, SystemExit):  # noqa: BLE001 (best effort; wandb's teardown may sys.exit)
            pass

    # Not waited for: teardown first unregisters wandb's exit hook, then asks its service
    # to stop; the job goes on at once and its exit never waits on W&B.
    threading.Thread(target=teardown, name="wbview-wandb: teardown", daemon=True).start()
    return False
