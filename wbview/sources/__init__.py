"""Data sources: W&B public API, local store, memory. One interface: ``base.Source``."""
