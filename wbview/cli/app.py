"""`wbview app`: open the dashboard on the right data with no other step.

Order: an explicit ``--store DIR`` (or ``WBVIEW_STORE``), else the user's W&B project
when credentials are configured, else the demo project (built once, with progress).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from wbview.settings import wbview_env

DEMO_SEED = 0
# Host names a browser may use to reach a local server; a foreign Host header on the
# websocket is refused (Streamlit's ``server.allowedHosts``), which defeats DNS rebinding.
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
_WILDCARD_ADDRESSES = ("", "0.0.0.0", "::")


def default_demo_dir() -> Path:
    from platformdirs import user_data_dir

    from wbview import __version__

    return Path(wbview_env("WBVIEW_DEMO_DIR") or Path(user_data_dir("wbview")) / f"demo-{__version__}")


def app_script() -> Path:
    """serve.py next to app.py: Streamlit's server for app.py with wbview's page config in front."""
    script = Path(__file__).resolve().parents[2] / "serve.py"
    if not script.exists() or not script.with_name("app.py").exists():
        raise SystemExit(
            "wbview app: app.py and serve.py were not found next to the wbview package. Run it from a clone of the "
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


def allowed_hosts(address: str, extra: list[str] | None = None, environ: Mapping[str, str] | None = None) -> list[str]:
    """The Host names the server accepts: localhost, the address it listens on (unless it is
    a wildcard), ``$WBVIEW_ALLOWED_HOSTS`` and each ``--allowed-host``, in that order."""
    names = list(LOCAL_HOSTS)
    if address not in _WILDCARD_ADDRESSES and not address.startswith("unix://"):
        names.append(address)
    names += (wbview_env("WBVIEW_ALLOWED_HOSTS", environ) or "").split(",")
    names += extra or []
    return list(dict.fromkeys(name.strip().lower() for name in names if name.strip()))


def login_configured(secrets_path: Path) -> bool:
    """Whether ``secrets_path`` configures Streamlit's login (an ``[auth]`` table for st.login)."""
    import tomllib

    try:
        with secrets_path.open("rb") as handle:
            return isinstance(tomllib.load(handle).get("auth"), dict)
    except (OSError, tomllib.TOMLDecodeError):
        return False


def exposure_warning(address: str, has_login: bool) -> str | None:
    """A loud warning when the server listens beyond this machine with no login in front."""
    if address.lower() in LOCAL_HOSTS or address.startswith("127.") or has_login:
        return None
    return (
        f"WARNING: wbview listens on {address or 'every interface'} with no login configured: anyone who can reach "
        "this port can read everything the server's W&B key and stores can. Configure a login ([auth] in "
        ".streamlit/secrets.toml), limit projects and stores (WBVIEW_ALLOWED_PROJECTS, WBVIEW_STORE_ROOTS), or "
        "listen on localhost behind a reverse proxy."
    )


def run_app(args: argparse.Namespace) -> int:
    env = dict(os.environ) | choose_data(args.store)
    script = app_script()
    warning = exposure_warning(args.address, login_configured(script.parent / ".streamlit" / "secrets.toml"))
    if warning:
        print(f"\n{'!' * 78}\n{warning}\n{'!' * 78}\n", file=sys.stderr, flush=True)
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.port",
        str(args.port),
        "--server.address",
        args.address,
    ]
    for host in allowed_hosts(args.address, args.allowed_host):
        command += ["--server.allowedHosts", host]
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
    parser.add_argument("--address", default="localhost", help="the address to listen on (default: localhost only)")
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a host name people use to reach this server (repeatable; also $WBVIEW_ALLOWED_HOSTS, comma-separated); "
        "requests naming any other host are refused",
    )
    parser.set_defaults(handler=run_app)
