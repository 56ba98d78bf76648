"""The deployment's allow-lists: projects (with ENTITY/* patterns) and store folders
(checked after following links), read from secrets.toml [wbview], else the environment."""

from __future__ import annotations

import pytest

from wbview.access import AccessPolicy, load_policy
from wbview.errors import AccessDenied, UsageError


@pytest.mark.parametrize(
    ("allowed", "project", "ok"),
    [
        (None, "anyone/anything", True),
        ((), "acme/phishing", False),
        (("acme/phishing",), "acme/phishing", True),
        (("acme/phishing",), "ACME/Phishing", True),
        (("acme/phishing",), "acme/phishing-2", False),
        (("acme/*",), "acme/payroll", True),
        (("acme/*",), "otherteam/payroll-model", False),
        (("acme/eval-*", "ml/x"), "acme/eval-7", True),
    ],
)
def test_project_allow_list(allowed, project, ok):
    policy = AccessPolicy(projects=allowed)
    assert policy.allows_project(project) is ok  # what the sidebar's project list offers
    if ok:
        policy.check_project(project)
    else:
        with pytest.raises(AccessDenied, match=project):
            policy.check_project(project)


def test_store_roots_follow_links(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "team").mkdir(parents=True)
    outside.mkdir()
    (root / "link").symlink_to(outside, target_is_directory=True)
    policy = AccessPolicy(store_roots=(str(root),))
    policy.check_store(root / "team")
    policy.check_store(root)
    for path in (outside, root / "link", root / ".." / "outside", tmp_path / "root-sibling"):
        with pytest.raises(AccessDenied, match="allowed store folders"):
            policy.check_store(path)
    AccessPolicy().check_store(outside)  # no list: a person's own machine


@pytest.mark.parametrize(
    ("secrets", "environ", "projects", "roots"),
    [
        (None, {}, None, None),
        (None, {"WBVIEW_ALLOWED_PROJECTS": "a/b, c/*,", "WBVIEW_STORE_ROOTS": "/srv/stores"}, ("a/b", "c/*"), ("/srv/stores",)),
        ('[wbview]\nallowed_projects = ["x/y"]\n', {"WBVIEW_ALLOWED_PROJECTS": "a/b"}, ("x/y",), None),
        ("[wbview]\nstore_roots = []\n", {}, None, ()),
        ('[wandb]\nproject = "p"\n', {"WBVIEW_STORE_ROOTS": "/a,/b"}, None, ("/a", "/b")),
    ],
)
def test_load_policy(tmp_path, secrets, environ, projects, roots):
    path = tmp_path / "secrets.toml"
    if secrets is not None:
        path.write_text(secrets)
    assert load_policy(path, environ) == AccessPolicy(projects=projects, store_roots=roots)


@pytest.mark.parametrize("text", ['[wbview]\nallowed_projects = "a/b"\n', "[wbview]\nstore_roots = [1]\n", "wbview = 3\n"])
def test_load_policy_rejects_malformed_secrets(tmp_path, text):
    path = tmp_path / "secrets.toml"
    path.write_text(text)
    with pytest.raises(UsageError):
        load_policy(path, {})


@pytest.mark.parametrize(
    ("users", "email", "ok"),
    [
        (None, None, True),
        (None, "anyone@anywhere.example", True),
        (("@acme.example",), "alice@acme.example", True),
        (("@acme.example",), "Alice@ACME.example", True),
        (("@acme.example",), "mallory@acme.example.evil", False),
        (("@acme.example",), "mallory@sub.acme.example", False),
        (("bob@partner.example",), "bob@partner.example", True),
        (("bob@partner.example",), "eve@partner.example", False),
        (("@acme.example",), None, False),
        (("@acme.example",), "acme.example", False),
        ((), "alice@acme.example", False),
    ],
)
def test_user_allow_list(users, email, ok):
    assert AccessPolicy(users=users).allows_user(email) is ok


def test_allowed_users_from_secrets_or_environment(tmp_path):
    path = tmp_path / "secrets.toml"
    path.write_text('[wbview]\nallowed_users = ["@acme.example", "bob@partner.example"]\n')
    assert load_policy(path, {"WBVIEW_ALLOWED_USERS": "x@y.z"}).users == ("@acme.example", "bob@partner.example")
    assert load_policy(tmp_path / "none.toml", {"WBVIEW_ALLOWED_USERS": "x@y.z, @q.example"}).users == ("x@y.z", "@q.example")
