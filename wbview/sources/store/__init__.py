"""A local store of W&B-shaped data: files (atomic writes, Parquet codec), the store
itself, ``LocalSource`` reading it, and ``sync`` (the pull engine) writing it."""

from wbview.sources.store.local import LocalSource
from wbview.sources.store.store import Store

__all__ = ["LocalSource", "Store"]
