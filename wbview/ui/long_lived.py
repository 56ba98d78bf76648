"""Keep the server's garbage collection off the code it has imported.

After every script run Streamlit calls ``gc.collect()`` (``runner.postScriptGC``), which walks
every container object the process holds. In a wbview server most of those are the imported
modules' functions, classes and dicts (about 140,000 objects once Error analysis has run),
and walking them took about 60 ms per run on the 2-core machine of the benchmarks: on every
rerun of every session, holding the interpreter lock, so three people at once waited for three
of them in turn.

So :class:`Freezer` moves what is alive to the collector's permanent generation
(``gc.freeze()``) after a full collection, and the collection after each run walks only what
was made since. Frozen objects are still freed by reference counting, but not by the cycle
collector, and a freeze also catches what the sessions of that moment hold (a session's state
is a cycle, and a page's widgets can keep its table alive). So the freeze is undone and redone
(``gc.unfreeze()``, a full collection, ``gc.freeze()``) whenever a run imported new modules,
and otherwise at most every ``interval_s`` seconds: garbage that was frozen is freed at the
next refreeze, and the full walk costs once per interval instead of once per run.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
from collections.abc import Callable

REFREEZE_S = 30.0  # the longest a cycle frozen while alive outlives its last use


class Freezer:
    """Refreeze the process's objects after runs that imported modules, or every ``interval_s``."""

    def __init__(self, interval_s: float = REFREEZE_S, clock: Callable[[], float] = time.monotonic):
        self.interval_s = interval_s
        self._clock = clock
        self._modules = 0  # len(sys.modules) at the last freeze
        self._frozen_at: float | None = None
        self._lock = threading.Lock()

    def _due(self) -> bool:
        if len(sys.modules) > self._modules or self._frozen_at is None:
            return True
        return self._clock() - self._frozen_at >= self.interval_s

    def settle(self) -> bool:
        """Unfreeze, collect everything, freeze again, when due. Returns whether it did.
        Safe from any thread: one refreeze at a time, the others return at once."""
        if not self._due():
            return False
        with self._lock:
            if not self._due():
                return False
            gc.unfreeze()  # what was frozen and has become garbage since is collected now
            gc.collect()  # nothing that is garbage now gets frozen
            gc.freeze()
            self._modules = len(sys.modules)
            self._frozen_at = self._clock()
            return True


_FREEZER = Freezer()


def in_server() -> bool:
    """Whether this runs in a real Streamlit server. AppTest installs a mock runtime: a test
    process must not freeze, or its own garbage from other tests would stay."""
    from streamlit.runtime import Runtime

    return Runtime.exists() and type(Runtime.instance()) is Runtime


def settle_after_run() -> bool:
    """Call at the end of every script run (app.py does). Returns whether it refroze."""
    return in_server() and _FREEZER.settle()
