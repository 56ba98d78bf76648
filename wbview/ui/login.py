"""Optional login through Streamlit's own ``st.login`` (OpenID Connect), configured by an
``[auth]`` table in ``.streamlit/secrets.toml``; without one the dashboard is open (a
person's own machine). Logged-in people are checked against ``allowed_users``
(``wbview.access``)."""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from wbview.access import policy_from
from wbview.ui.text import md_escape


def _secrets_section(name: str) -> Mapping[str, object] | None:
    try:
        section = st.secrets.get(name)
    except FileNotFoundError:  # no secrets.toml at all
        return None
    return section if isinstance(section, Mapping) else None


def login_configured() -> bool:
    return _secrets_section("auth") is not None


def _email() -> str | None:
    email = st.user.get("email")
    return str(email) if email else None


def allowed() -> bool:
    """Whether this session may see the dashboard: no login configured, or logged in and allowed."""
    if not login_configured():
        return True
    return bool(st.user.is_logged_in) and policy_from(dict(_secrets_section("wbview") or {})).allows_user(_email())


def _login_view() -> None:
    st.title("wbview")
    if not st.user.is_logged_in:
        st.info("This dashboard is for its team only: log in to open it.")
        st.button("Log in", on_click=st.login, type="primary")
        return
    st.error(
        f"{md_escape(_email() or 'This account')} is not allowed to use this dashboard. Ask whoever runs it "
        "to add you to [wbview] allowed_users, or log in with another account.",
        icon="⚠️",
    )
    st.button("Log out", on_click=st.logout)


def require_login() -> None:
    """In app.py, before the menu: until the person has logged in and is on the allow-list
    (when a login is configured), the only page is the login page (no menu, no page of
    the pages folder), and the script stops there."""
    if allowed():
        if login_configured():
            st.sidebar.caption(f"Logged in as {md_escape(_email() or 'you')}")
            st.sidebar.button("Log out", on_click=st.logout, key="_wbview_logout")
        return
    st.navigation([st.Page(_login_view, title="Log in", url_path="login", default=True)], position="hidden").run()
    st.stop()
