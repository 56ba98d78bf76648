"""The embedded demo: a complete W&B-shaped project built by really running a small
phishing-detection pipeline on this CPU, written to a local store.

``build_demo(store_dir)`` is what ``wbview demo --store DIR`` and ``make run`` call.
The build is deterministic for a seed (no wall-clock value enters the store) and
takes seconds; it downloads nothing.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from wbview.errors import StoreError

if TYPE_CHECKING:
    from wbview.demo.pipeline import DemoSize
    from wbview.sources.memory import ProjectData

Progress = Callable[[str, int, "int | None"], None]

DEMO_PROJECT = "demo/phishing-demo"
# Bump when the demo's content changes, so launchers rebuild an older demo store.
DEMO_BUILD_VERSION = 2
BUILD_INFO_FILE = "demo-build.json"
# Beside the store: the ids of the messages whose labels the corpus flipped (label noise),
# to measure label-error detection against. No record of the store changes.
LABEL_FLIPS_FILE = "demo-label-flips.json"
# Steps reported to ``progress``: 18 runs, then writing the store.
_TOTAL_STEPS = 19


def build_project(seed: int = 0, progress: Progress | None = None, *, size: DemoSize | None = None) -> ProjectData:
    """Run the pipeline and return the demo project in memory (nothing is written)."""
    from wbview.demo.build import DemoRecorder
    from wbview.demo.pipeline import FULL_SIZE, Pipeline

    done = 0

    def step(message: str) -> None:
        nonlocal done
        if progress is not None:
            progress(message, done, _TOTAL_STEPS)
        done += 1

    recorder = DemoRecorder(seed)
    Pipeline(recorder, seed, size or FULL_SIZE, step).run_all()
    return recorder.project_data()


def _write_label_flips(path: Path, seed: int, size: DemoSize | None) -> None:
    from wbview.demo.corpus import flipped_label_ids, generate_corpus
    from wbview.demo.pipeline import FULL_SIZE

    n_messages = (size or FULL_SIZE).n_messages
    flipped = flipped_label_ids(generate_corpus(n_messages, seed))
    record = {
        "seed": seed,
        "n_messages": n_messages,
        "flipped_ids": flipped,
        "note": "messages whose label in the data is not what they are (synthetic label noise)",
    }
    path.write_text(json.dumps(record, sort_keys=True) + "\n", "utf-8")


def demo_label_flips(store_dir: str | Path) -> set[str] | None:
    """Ids of the demo messages with flipped labels, from a built demo store (None when
    the store holds no such record, e.g. an older demo)."""
    try:
        record = json.loads((Path(store_dir) / LABEL_FLIPS_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return set(record.get("flipped_ids", ()))


def demo_is_built(store_dir: str | Path, seed: int | None = None) -> bool:
    """True when ``store_dir`` holds a complete demo of this version (and seed, if given)."""
    try:
        info = json.loads((Path(store_dir) / BUILD_INFO_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return False
    full_size = info.get("size") is None
    return info.get("version") == DEMO_BUILD_VERSION and full_size and (seed is None or info.get("seed") == seed)


def _replaceable(path: Path) -> bool:
    """Only an empty folder or a wbview demo store may be replaced: never user data."""
    if not path.exists():
        return True
    if not path.is_dir():
        return False
    if not any(path.iterdir()):
        return True
    return (path / BUILD_INFO_FILE).exists() or _is_demo_store(path)


def _is_demo_store(path: Path) -> bool:
    from wbview.sources.store.store import Store

    try:
        return Store(path, create=False).is_demo
    except StoreError:
        return False


def build_demo(
    store_dir: str | Path,
    seed: int = 0,
    progress: Progress | None = None,
    *,
    force: bool = False,
    size: DemoSize | None = None,
) -> Path:
    """Build the demo store at ``store_dir`` and return its path.

    An existing complete demo for ``seed`` is kept unless ``force``. The store is built
    in a temporary sibling folder and moved into place, so an interrupted build never
    leaves a half-built demo behind. A folder that is neither empty nor a demo store is
    never touched (``StoreError``).
    """
    from wbview.sources.store.store import Store

    target = Path(store_dir).expanduser().absolute()
    if not force and size is None and demo_is_built(target, seed):
        return target
    if not _replaceable(target):
        raise StoreError(f"{target} exists and is not a wbview demo store; choose a new folder for `wbview demo --store`.")
    data = build_project(seed, progress, size=size)
    if progress is not None:
        progress(f"writing the store to {target}", _TOTAL_STEPS - 1, _TOTAL_STEPS)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.building-", dir=target.parent))
    try:
        store = Store(staging)
        store.write_project(DEMO_PROJECT, data)
        store.set_default_project(DEMO_PROJECT)
        store.mark_demo()
        info = {
            "version": DEMO_BUILD_VERSION,
            "seed": seed,
            "project": DEMO_PROJECT,
            "size": None if size is None else vars(size),
        }
        (staging / BUILD_INFO_FILE).write_text(json.dumps(info, sort_keys=True) + "\n", "utf-8")
        _write_label_flips(staging / LABEL_FLIPS_FILE, seed, size)
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if progress is not None:
        progress("demo ready", _TOTAL_STEPS, _TOTAL_STEPS)
    return target
