"""What a deployment lets a link open: an allow-list of W&B projects and of folders that
may hold local stores. A link is text anyone can edit (``?project=otherteam/payroll``,
``?source=store:/any/folder``); on a shared server these lists bound what it can reach.

Read from ``.streamlit/secrets.toml``, table ``[wbview]`` (``allowed_projects = [...]``,
``store_roots = [...]``, ``allowed_users = [...]``), else from ``WBVIEW_ALLOWED_PROJECTS`` /
``WBVIEW_STORE_ROOTS`` / ``WBVIEW_ALLOWED_USERS`` (comma-separated). A list that is not set
allows everything (a person's own machine). ``allowed_users`` applies when a login is
configured (``[auth]``, Streamlit's ``st.login``).
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from wbview.errors import AccessDenied, UsageError
from wbview.settings import DEFAULT_SECRETS_PATH, secrets_table, wbview_env

SECRETS_TABLE = "wbview"


@dataclass(frozen=True)
class AccessPolicy:
    """``None`` means "not restricted"; an empty tuple allows nothing."""

    projects: tuple[str, ...] | None = None
    store_roots: tuple[str, ...] | None = None
    users: tuple[str, ...] | None = None  # e-mail addresses, or "@domain" for everyone there

    def allows_user(self, email: str | None) -> bool:
        """Whether a logged-in person (by the e-mail their login provider vouches for) may use the dashboard."""
        if self.users is None:
            return True
        address = (email or "").strip().lower()
        if "@" not in address:
            return False
        domain = address[address.rindex("@") :]
        return any(entry.lower() in (address, domain) for entry in self.users)

    def allows_project(self, project: str) -> bool:
        """Whether ``project`` ("ENTITY/PROJECT") matches the allow-list (always, when unset)."""
        if self.projects is None:
            return True
        wanted = project.strip().lower()
        return any(fnmatch.fnmatchcase(wanted, pattern.lower()) for pattern in self.projects)

    def check_project(self, project: str) -> None:
        """Raise AccessDenied unless ``project`` ("ENTITY/PROJECT") matches the allow-list."""
        if self.projects is None:
            return
        if not self.allows_project(project):
            raise AccessDenied(
                f"This server does not open the project {project!r}: it is not in the allowed projects "
                f"({', '.join(self.projects) or 'none'}). Ask whoever runs the server to add it to "
                "[wbview] allowed_projects in .streamlit/secrets.toml or WBVIEW_ALLOWED_PROJECTS."
            )

    def check_store(self, path: str | os.PathLike[str]) -> None:
        """Raise AccessDenied unless ``path`` (after following links) lies under a store root."""
        if self.store_roots is None:
            return
        real = os.path.realpath(os.path.expanduser(str(path)))
        for root in self.store_roots:
            root_real = os.path.realpath(os.path.expanduser(root))
            if os.path.commonpath([root_real, real]) == root_real:
                return
        raise AccessDenied(
            f"This server does not open stores at {path}: it is not under the allowed store folders "
            f"({', '.join(self.store_roots) or 'none'}). Ask whoever runs the server to add it to "
            "[wbview] store_roots in .streamlit/secrets.toml or WBVIEW_STORE_ROOTS."
        )


def load_policy(secrets_path: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None) -> AccessPolicy:
    """The allow-lists from secrets.toml ``[wbview]``, else the environment."""
    table = secrets_table(
        Path(secrets_path) if secrets_path else DEFAULT_SECRETS_PATH,
        SECRETS_TABLE,
        "allowed_projects, store_roots, allowed_users",
    )
    return policy_from(table, environ)


def policy_from(table: Mapping[str, object], environ: Mapping[str, str] | None = None) -> AccessPolicy:
    """The allow-lists from a ``[wbview]`` table already read, else the environment."""
    return AccessPolicy(
        projects=_list(table, "allowed_projects", "WBVIEW_ALLOWED_PROJECTS", environ),
        store_roots=_list(table, "store_roots", "WBVIEW_STORE_ROOTS", environ),
        users=_list(table, "allowed_users", "WBVIEW_ALLOWED_USERS", environ),
    )


def _list(table: Mapping[str, object], key: str, env_name: str, environ: Mapping[str, str] | None) -> tuple[str, ...] | None:
    if key in table:
        value = table[key]
        if not isinstance(value, Sequence) or isinstance(value, str) or not all(isinstance(v, str) for v in value):
            raise UsageError(f".streamlit/secrets.toml: [{SECRETS_TABLE}] {key} must be a list of strings.")
        items: Sequence[str] = value
    else:
        raw = wbview_env(env_name, environ)
        if raw is None:
            return None
        items = raw.split(",")
    return tuple(dict.fromkeys(item.strip() for item in items if item.strip()))
