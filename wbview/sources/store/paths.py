"""Safe file names for names a W&B user controls (run ids, artifact names, table keys).

A name is never used as a path directly: it becomes a readable ASCII slug plus a hash
of the exact name, so ``../``, absolute paths, NUL, very long and unicode names all map
to one short, unique file name that stays inside its directory.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from wbview.errors import StoreError

MAX_SLUG_CHARS = 48  # keeps every file name well under the 255-byte limit of common filesystems
HASH_CHARS = 16
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")  # dots excluded too: no "..", no hidden files


def safe_name(name: str) -> str:
    """Map any string to a file name: ``<ascii slug>-<sha256 prefix of the exact name>``.

    Distinct names give distinct file names (the hash covers the exact name, so
    case-insensitive filesystems and slug collisions do not merge two names).
    """
    raw = str(name).encode("utf-8", "surrogatepass")
    digest = hashlib.sha256(raw).hexdigest()[:HASH_CHARS]
    slug = _UNSAFE.sub("_", str(name))[:MAX_SLUG_CHARS].strip("_") or "_"
    return f"{slug}-{digest}"


def inside(root: Path, *safe_parts: str) -> Path:
    """Join ``safe_parts`` under ``root`` and refuse any result outside ``root``, also
    after following symbolic links.

    Parts should already come from :func:`safe_name` (or be fixed literals); this is
    the second line of defence.
    """
    root_abs = os.path.abspath(root)
    path = os.path.abspath(os.path.join(root_abs, *safe_parts))
    if os.path.commonpath([root_abs, path]) != root_abs or "\x00" in path:
        raise StoreError(f"Refusing a store path outside {root_abs}: {path!r}.")
    # Symbolic links are followed before the check: a link (to a file or a folder) that
    # leads out of the store is refused, so a store never reads or writes elsewhere.
    root_real = os.path.realpath(root_abs)
    real = os.path.realpath(path)
    if os.path.commonpath([root_real, real]) != root_real:
        raise StoreError(
            f"Store file {path} is a link to {real}, outside the store at {root_abs}; wbview reads and writes "
            "only inside its store. Remove the link, or copy the file into the store."
        )
    return Path(path)
