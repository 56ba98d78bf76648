"""`wbview app`: open the dashboard on the right data with no other step.

Order: an explicit ``--store DIR`` (or ``WBVIEW_STORE``), else the user's W&B project
when credentials are configured, else the demo project (built once, with progress).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from wbview.settings import wbview_env

DEMO_SEED = 0


def default_demo_dir() -> Path:
    from platformdirs import user_data_dir

    from wbview import __version__

    return Path(wbview_env("WBVIEW_DEMO_DIR") or Path(user_data_dir("wbview")) / f"demo-{__version__}")


def app_script() -> Path:
    script = Path(__file__).resolve().parents[2] / "app.py"
    if not script.exists():
        raise SystemExit(
            "wbview app: app.py was not found next to the wbview package. Run it from a clone of the "
            "repository (`make run`), or `streamlit run app.py` inside the clone."
        )
    return script


def _print_progress(message: str, done: int, total: int | None) -> None:
    suffix = f" ({done}/{total})" if total else ""
    print(f"  demo: {message}{suffix}", file=sys.stderr, flush=True)


def ensure_demo(store_dir: Path) -> Path:
    """Build the demo store once; later launches reuse it."""
    from wbview.demo import build_demo, demo_is_built

    if demo_is_built(store_dir):
        return store_dir
    print(f"Building the demo project in {store_dir} (once, in well under a minute) ...", file=sys.stderr, flush=True)
    build_demo(store_dir, seed=DEMO_SEED, progress=_print_progress)
    return store_dir


def choose_data(store: str | None) -> dict[str, str]:
    """Environment for the app process: WBVIEW_STORE for a store, nothing extra for W&B."""
    store = store or wbview_env("WBVIEW_STORE")
    if store:
        return {"WBVIEW_STORE": str(Path(store).expanduser().resolve())}
    from wbview.settings import load_settings

    if load_settings().has_credentials():
        print("Opening wbview on your W&B account (credentials found).", file=sys.stderr)
        return {}
    demo_dir = ensure_demo(default_demo_dir())
    print(
        "No W&B credentials found: opening the demo project. To use your own project, set WANDB_API_KEY "
        "(and WANDB_ENTITY/WANDB_PROJECT) or copy .streamlit/secrets.toml.example to .streamlit/secrets.toml.",
        file=sys.stderr,
    )
    return {"WBVIEW_STORE": str(demo_dir)}


def run_app(args: argparse.Namespace) -> int:
    env = dict(os.environ) | choose_data(args.store)
    script = app_script()
    command = [
        sys.executable, "-m", "streamlit", "run", str(script),
        "--server.port", str(args.port), "--server.address", args.address,
    ]
    print(f"wbview: http://{args.address}:{args.port}", file=sys.stderr, flush=True)
    return subprocess.call(command, cwd=script.parent, env=env)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "app",
        help="open the dashboard (on the demo project when no W&B credentials are set)",
        description=(
            "Open the dashboard on the right data with no other step: a local store given with --store DIR "
            "(or $WBVIEW_STORE), else your W&B project when credentials are configured, else the demo project "
            f"(built once in {default_demo_dir()}, with progress)."
        ),
    )
    parser.add_argument("--store", metavar="DIR", help="open a local store instead of W&B (default: $WBVIEW_STORE)")
    parser.add_argument("--port", type=int, default=8501, help="port the dashboard serves on (default: 8501)")
    parser.add_argument("--address", default="localhost", help="address to listen on (default: localhost)")
    parser.set_defaults(handler=run_app)
