"""Connection settings: precedence secrets.toml > environment > wandb's login; the key never shows."""

from __future__ import annotations

import pytest

from wbview.errors import UsageError
from wbview.settings import Settings, load_settings

KEY_SECRETS = "s" * 40
KEY_ENV = "e" * 40
KEY_NETRC = "n" * 40


def write_secrets(tmp_path, body: str):
    path = tmp_path / "secrets.toml"
    path.write_text(body)
    return path


def write_netrc(tmp_path, host: str, key: str):
    path = tmp_path / "netrc"
    path.write_text(f"machine {host}\n  login user\n  password {key}\n")
    path.chmod(0o600)
    return path


FULL_SECRETS = f"""
[wandb]
api_key = "{KEY_SECRETS}"
base_url = "https://wandb.example.com"
entity = "acme"
project = "phishing"
"""
FULL_ENV = {
    "WANDB_API_KEY": KEY_ENV,
    "WANDB_BASE_URL": "http://env.example:8080",
    "WANDB_ENTITY": "env-team",
    "WANDB_PROJECT": "env-project",
}


@pytest.mark.parametrize(
    "secrets, env, expected",
    [
        (FULL_SECRETS, FULL_ENV, (KEY_SECRETS, "https://wandb.example.com", "acme", "phishing")),
        (None, FULL_ENV, (KEY_ENV, "http://env.example:8080", "env-team", "env-project")),
        # Per value: what secrets.toml lacks comes from the environment.
        ('[wandb]\nentity = "acme"\n', FULL_ENV, (KEY_ENV, "http://env.example:8080", "acme", "env-project")),
        ('[wandb]\napi_key = ""\n', {"WANDB_API_KEY": KEY_ENV}, (KEY_ENV, None, None, None)),
        ("[other]\nx = 1\n", {}, (None, None, None, None)),
        (None, {}, (None, None, None, None)),
    ],
)
def test_precedence(tmp_path, secrets, env, expected):
    path = write_secrets(tmp_path, secrets) if secrets else tmp_path / "absent.toml"
    settings = load_settings(path, environ=env | {"WANDB_CONFIG_DIR": str(tmp_path / "cfg"), "NETRC": str(tmp_path / "none")})
    assert (settings.api_key, settings.base_url, settings.entity, settings.project) == expected
    assert settings.has_credentials() is (expected[0] is not None)


def test_wandb_login_is_the_last_resort(tmp_path):
    config_dir = tmp_path / "cfg"
    config_dir.mkdir()
    (config_dir / "settings").write_text("[default]\nbase_url = https://wandb.corp.example\nentity = corp\n")
    netrc_path = write_netrc(tmp_path, "wandb.corp.example", KEY_NETRC)
    env = {"WANDB_CONFIG_DIR": str(config_dir), "NETRC": str(netrc_path), "WANDB_PROJECT": "p"}
    settings = load_settings(tmp_path / "absent.toml", environ=env)
    assert settings.api_key == KEY_NETRC
    assert settings.base_url == "https://wandb.corp.example"
    assert (settings.entity, settings.project) == ("corp", "p")
    assert settings.default_project == "corp/p"
    assert settings.origins["api_key"].startswith("~/.netrc")
    assert settings.origins["project"] == "environment"


def test_netrc_key_is_looked_up_for_the_configured_host(tmp_path):
    netrc_path = write_netrc(tmp_path, "api.wandb.ai", KEY_NETRC)
    env = {"NETRC": str(netrc_path), "WANDB_CONFIG_DIR": str(tmp_path)}
    assert load_settings(tmp_path / "absent.toml", environ=env).api_key == KEY_NETRC
    other_host = env | {"WANDB_BASE_URL": "https://self-hosted.example"}
    assert load_settings(tmp_path / "absent.toml", environ=other_host).api_key is None


def test_default_netrc_is_read_from_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    write_netrc(tmp_path, "api.wandb.ai", KEY_NETRC).rename(tmp_path / ".netrc")
    assert load_settings(tmp_path / "absent.toml", environ={}).api_key == KEY_NETRC


def test_default_secrets_path_is_relative_to_cwd(tmp_path, monkeypatch):
    (tmp_path / ".streamlit").mkdir()
    write_secrets(tmp_path / ".streamlit", FULL_SECRETS)
    monkeypatch.chdir(tmp_path)
    assert load_settings(environ={}).entity == "acme"


def test_key_never_shows(tmp_path):
    settings = load_settings(write_secrets(tmp_path, FULL_SECRETS), environ={})
    for text in (repr(settings), str(settings), settings.describe(), f"{settings}"):
        assert KEY_SECRETS not in text
    assert "***" in repr(settings)
    assert "secrets.toml" in settings.describe()
    assert "api_key=None" in repr(Settings())


def test_broken_secrets_file_names_the_file_not_the_key(tmp_path):
    path = write_secrets(tmp_path, f'[wandb]\napi_key = "{KEY_SECRETS}\n')
    with pytest.raises(UsageError) as info:
        load_settings(path, environ={})
    assert str(path) in str(info.value) and "line" in str(info.value)
    assert KEY_SECRETS not in str(info.value)


def test_settings_equal_regardless_of_origin():
    assert Settings(api_key="k", origins={"api_key": "a"}) == Settings(api_key="k", origins={"api_key": "b"})
    assert Settings(base_url="http://h/").effective_base_url == "http://h"
    assert Settings().effective_base_url == "https://api.wandb.ai"
