"""Where wbview finds its W&B connection: API key, base URL, entity and project.

Each value is taken from the first place that has it, in this order:

1. ``.streamlit/secrets.toml``, table ``[wandb]``: ``api_key``, ``base_url``,
   ``entity``, ``project``;
2. the environment: ``WANDB_API_KEY``, ``WANDB_BASE_URL``, ``WANDB_ENTITY``,
   ``WANDB_PROJECT``;
3. wandb's own login: the API key ``wandb login`` stored in ``~/.netrc`` (or
   ``$NETRC``) for the base URL's host, and ``base_url``/``entity``/``project`` from
   wandb's settings file (``$WANDB_CONFIG_DIR/settings`` or ``~/.config/wandb/settings``).

The API key is never printed, logged or written anywhere by wbview: ``repr`` masks
it and ``describe()`` only says where it came from.

wbview's own settings are the ``WBVIEW_*`` environment variables declared once in
``WBVIEW_ENV`` below (each with its help text, listed in the README); every module reads
them through :func:`wbview_env`, and each policy has one owner here: the bound on a W&B
call (``call_timeout_s``) and how long mutable W&B data is reused (``cache_ttl_s``).
"""

from __future__ import annotations

import configparser
import netrc
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from wbview.errors import UsageError

DEFAULT_SECRETS_PATH = Path(".streamlit") / "secrets.toml"
DEFAULT_BASE_URL = "https://api.wandb.ai"
FIELDS = ("api_key", "base_url", "entity", "project")
CALL_TIMEOUT_S = 20.0  # default bound on one W&B call
CACHE_TTL_S = 300.0  # default age after which mutable W&B data is fetched again
TABLE_CACHE_MB = 1024.0  # default memory budget of the dashboard's shared table cache
ENV_VARS = {"api_key": "WANDB_API_KEY", "base_url": "WANDB_BASE_URL", "entity": "WANDB_ENTITY", "project": "WANDB_PROJECT"}


@dataclass(frozen=True)
class EnvVar:
    name: str
    help: str


WBVIEW_ENV: dict[str, EnvVar] = {
    var.name: var
    for var in (
        EnvVar("WBVIEW_STORE", "a local store the dashboard opens when the link names no source"),
        EnvVar("WBVIEW_CACHE_DIR", "the folder of the cache of immutable W&B content (default: the user cache folder)"),
        EnvVar(
            "WBVIEW_CACHE_TTL_S", f"seconds mutable W&B data (run lists, summaries, aliases) is reused (default {CACHE_TTL_S:g})"
        ),
        EnvVar(
            "WBVIEW_CALL_TIMEOUT_S", f"bound in seconds on each W&B call (default {CALL_TIMEOUT_S:g}; the CLI's --timeout wins)"
        ),
        EnvVar(
            "WBVIEW_TABLE_CACHE_MB",
            f"megabytes of loaded and prepared eval tables the dashboard keeps in memory, shared by every "
            f"session; beyond it the least recently used tables are dropped (default {TABLE_CACHE_MB:g})",
        ),
        EnvVar("WBVIEW_DEMO_DIR", "where `wbview app` builds the demo store (default: the user data folder)"),
        EnvVar("WBVIEW_EVAL_DIR", "where the companion keeps its local copy of each eval table (default ./wbview-eval)"),
        EnvVar("WBVIEW_COMPANION_TIMEOUT_S", "seconds the companion waits for W&B in log_eval_table and start_run (default 5)"),
        EnvVar("WBVIEW_DEBUG", "set to 1 to see a traceback after an unexpected CLI error"),
        EnvVar(
            "WBVIEW_ALLOWED_PROJECTS",
            "comma-separated W&B projects the dashboard may open (ENTITY/PROJECT, or ENTITY/* for all of an "
            "entity); unset: any the API key can read. [wbview] allowed_projects in secrets.toml wins",
        ),
        EnvVar(
            "WBVIEW_STORE_ROOTS",
            "comma-separated folders under which the dashboard may open local stores; unset: any. "
            "[wbview] store_roots in secrets.toml wins",
        ),
        EnvVar(
            "WBVIEW_ALLOWED_USERS",
            "comma-separated e-mail addresses (or @domain) who may use the dashboard once a login is configured "
            "([auth] in secrets.toml); unset: anyone who logs in. [wbview] allowed_users in secrets.toml wins",
        ),
        EnvVar(
            "WBVIEW_ALLOWED_HOSTS",
            "comma-separated host names `wbview app` accepts in a browser's Host header besides localhost "
            "(e.g. wbview.example.com; anything else is refused, against DNS rebinding)",
        ),
    )
}


def wbview_env(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The value of a declared ``WBVIEW_*`` variable (None when unset or empty)."""
    if name not in WBVIEW_ENV:
        raise KeyError(f"{name} is not a declared wbview setting (see wbview.settings.WBVIEW_ENV)")
    value = (os.environ if environ is None else environ).get(name, "").strip()
    return value or None


def _positive(name: str, default: float, unit: str, environ: Mapping[str, str] | None) -> float:
    raw = wbview_env(name, environ)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(f"{name}={raw!r} is not a number of {unit}.") from None
    if not value > 0:
        raise UsageError(f"{name}={raw!r}: give a positive number of {unit}.")
    return value


def _seconds(name: str, default: float, environ: Mapping[str, str] | None) -> float:
    return _positive(name, default, "seconds", environ)


def call_timeout_s(environ: Mapping[str, str] | None = None) -> float:
    """The bound on each W&B call: ``$WBVIEW_CALL_TIMEOUT_S`` or CALL_TIMEOUT_S."""
    return _seconds("WBVIEW_CALL_TIMEOUT_S", CALL_TIMEOUT_S, environ)


def table_cache_bytes(environ: Mapping[str, str] | None = None) -> int:
    """The dashboard's memory budget for tables: ``$WBVIEW_TABLE_CACHE_MB`` or TABLE_CACHE_MB."""
    return int(_positive("WBVIEW_TABLE_CACHE_MB", TABLE_CACHE_MB, "megabytes", environ) * 2**20)


def cache_ttl_s(environ: Mapping[str, str] | None = None) -> float:
    """How long mutable W&B data is reused: ``$WBVIEW_CACHE_TTL_S`` or CACHE_TTL_S."""
    return _seconds("WBVIEW_CACHE_TTL_S", CACHE_TTL_S, environ)


@dataclass(frozen=True)
class Settings:
    """A W&B connection. ``origins`` says where each value came from (for display)."""

    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    entity: str | None = None
    project: str | None = None
    origins: Mapping[str, str] = field(default_factory=dict, compare=False)

    def __repr__(self) -> str:
        key = "None" if self.api_key is None else "'***'"
        return f"Settings(api_key={key}, base_url={self.base_url!r}, entity={self.entity!r}, project={self.project!r})"

    __str__ = __repr__

    def has_credentials(self) -> bool:
        """True when an API key was found (whether W&B accepts it is another matter)."""
        return bool(self.api_key)

    @property
    def effective_base_url(self) -> str:
        return (self.base_url or DEFAULT_BASE_URL).rstrip("/")

    @property
    def default_project(self) -> str | None:
        """ "ENTITY/PROJECT" when both are known, else None."""
        return f"{self.entity}/{self.project}" if self.entity and self.project else None

    def describe(self) -> str:
        """One line for people: where the connection points, never the key itself."""
        key = f"API key from {self.origins.get('api_key', 'unknown')}" if self.api_key else "no API key"
        target = self.default_project or "no default project"
        return f"{self.effective_base_url} ({key}; {target})"


def load_settings(
    secrets_path: str | os.PathLike | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Read the connection from secrets.toml, then the environment, then wandb's login."""
    environ = os.environ if environ is None else environ
    layers: list[tuple[str, Mapping[str, str | None]]] = [
        ("secrets.toml", _from_secrets(Path(secrets_path) if secrets_path else DEFAULT_SECRETS_PATH)),
        ("environment", {name: environ.get(var) for name, var in ENV_VARS.items()}),
        ("wandb settings", _from_wandb_settings(environ)),
    ]
    values: dict[str, str] = {}
    origins: dict[str, str] = {}
    for origin, layer in layers:
        for name in FIELDS:
            value = layer.get(name)
            if name not in values and isinstance(value, str) and value.strip():
                values[name] = value.strip()
                origins[name] = origin
    if "api_key" not in values:
        key = _from_netrc(values.get("base_url") or DEFAULT_BASE_URL, environ)
        if key:
            values["api_key"] = key
            origins["api_key"] = "~/.netrc (wandb login)"
    return Settings(**values, origins=origins)


def secrets_table(path: Path, name: str, fields: str) -> dict[str, object]:
    """Table ``[name]`` of a secrets.toml (empty when the file or the table is absent);
    ``fields`` names what the table holds, for the message when it is not a table."""
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        # Say which file and where, but never echo its content (it holds the key).
        raise UsageError(f"Cannot read {path}: {_toml_problem(exc)}. Fix the file or remove it.") from None
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise UsageError(f"{path}: [{name}] must be a table with {fields}.")
    return table


def _from_secrets(path: Path) -> dict[str, str]:
    table = secrets_table(path, "wandb", "api_key, base_url, entity, project")
    found: dict[str, str] = {}
    for name in FIELDS:
        value = table.get(name)
        if isinstance(value, str):
            found[name] = value
    return found


def _toml_problem(exc: Exception) -> str:
    text = str(exc)
    # tomllib messages end with "(at line N, column M)"; keep only that part.
    return text[text.rfind("(at line") + 1 :].rstrip(")") if "(at line" in text else type(exc).__name__


def _from_wandb_settings(environ: Mapping[str, str]) -> dict[str, str]:
    config_dir = environ.get("WANDB_CONFIG_DIR") or str(Path("~/.config/wandb").expanduser())
    path = Path(config_dir) / "settings"
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (OSError, configparser.Error):
        return {}
    if not parser.has_section("default"):
        return {}
    return {name: parser.get("default", name) for name in ("base_url", "entity", "project") if parser.has_option("default", name)}


def _from_netrc(base_url: str, environ: Mapping[str, str]) -> str | None:
    path = Path(environ.get("NETRC") or Path("~/.netrc").expanduser()).expanduser()
    host = urlsplit(base_url if "//" in base_url else f"https://{base_url}").netloc
    if not host or not path.is_file():
        return None
    try:
        auth = netrc.netrc(str(path)).authenticators(host)
    except (OSError, netrc.NetrcParseError):
        return None
    return auth[2] if auth and auth[2] else None
