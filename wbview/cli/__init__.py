"""wbview's command line: one module per command, shared options in ``options``,
printing in ``output``, the parser and exit codes in ``main``."""

from wbview.cli.main import main

__all__ = ["main"]
