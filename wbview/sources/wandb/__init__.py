"""The W&B public API as a Source: the only reader in wbview that imports ``wandb``
(lazily, on first use)."""

from wbview.sources.wandb.source import WandbSource

__all__ = ["WandbSource"]
