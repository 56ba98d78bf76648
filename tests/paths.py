"""Where things are, for tests that run the project as a user would."""

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
APP = REPO / "app.py"
README = REPO / "README.md"
