"""Optional login, end to end: Streamlit's st.login against a loopback OpenID Connect
provider (oidc-provider-mock), in Chromium. Without logging in nothing is shown; a person
on the allow-list gets the dashboard; one outside it is refused."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import Session, serve_app
from tests.browser.harness import RENDER_TIMEOUT_MS, free_port

pytestmark = pytest.mark.browser

ALLOWED = "alice@acme.example"
REFUSED = "mallory@elsewhere.example"


@pytest.fixture
def login_server(store_dir, tmp_path_factory, monkeypatch):
    oidc = pytest.importorskip("oidc_provider_mock")
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # the provider runs over loopback http
    with oidc.run_server_in_thread() as provider:
        port = free_port()
        home = tmp_path_factory.mktemp("login-home")
        (home / ".streamlit").mkdir()
        (home / ".streamlit" / "secrets.toml").write_text(
            "[auth]\n"
            f'redirect_uri = "http://localhost:{port}/oauth2callback"\n'
            f'cookie_secret = "{"c" * 32}"\n'
            'client_id = "wbview"\n'
            'client_secret = "wbview-secret"\n'
            f'server_metadata_url = "http://localhost:{provider.server_port}/.well-known/openid-configuration"\n'
            "[wbview]\n"
            'allowed_users = ["@acme.example"]\n'
        )
        env = {"HOME": str(home), "AUTHLIB_INSECURE_TRANSPORT": "1"}
        yield from serve_app(store_dir, tmp_path_factory, "login-server", extra_env=env, host="localhost", port=port)


def _log_in(browser, url: str, email: str) -> Session:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    session = Session(context.new_page())
    page = session.page
    page.goto(url)
    page.get_by_role("button", name="Log in").click(timeout=RENDER_TIMEOUT_MS)
    page.locator("input[name=sub]").fill(email, timeout=RENDER_TIMEOUT_MS)
    page.get_by_role("button", name="Authorize").click()
    return session


def test_login_gate_and_allow_list(login_server, browser):
    url = login_server
    anonymous = browser.new_context().new_page()
    for path in ("", "/error_analysis?run=ev1", "/runs"):  # the front page and deep links alike
        anonymous.goto(url + path)
        anonymous.get_by_role("button", name="Log in").wait_for(timeout=RENDER_TIMEOUT_MS)
        assert anonymous.get_by_test_id("stSidebarNav").count() == 0  # nothing before the login
        assert "runs match" not in anonymous.content() and "rows selected" not in anonymous.content()

    alice = _log_in(browser, url, ALLOWED)
    alice.page.get_by_text("5 of 5 runs match").wait_for(timeout=RENDER_TIMEOUT_MS)
    alice.ready()
    # md_escape puts an invisible word joiner before "@" (no auto-link of an address)
    shown = re.compile("Logged in as " + re.escape(ALLOWED).replace("@", "\u2060?@"))
    assert alice.page.get_by_text(shown).count() == 1

    mallory = _log_in(browser, url, REFUSED)
    mallory.page.get_by_text("is not allowed to use this dashboard").wait_for(timeout=RENDER_TIMEOUT_MS)
    assert mallory.page.get_by_test_id("stSidebarNav").count() == 0
    assert "5 of 5 runs" not in mallory.page.content()
