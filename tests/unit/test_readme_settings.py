"""Every WBVIEW_* setting is documented in the README, and nothing reads an undeclared one."""

from __future__ import annotations

import re

import pytest

from tests.paths import README, REPO
from wbview.settings import WBVIEW_ENV, wbview_env


def test_every_declared_setting_is_in_the_readme():
    text = README.read_text("utf-8")
    missing = [name for name in WBVIEW_ENV if f"`{name}`" not in text]
    assert missing == []


def test_the_package_reads_only_declared_settings():
    used = set()
    for path in (REPO / "wbview").rglob("*.py"):
        used |= set(re.findall(r"\bWBVIEW_[A-Z_]*[A-Z]\b", path.read_text("utf-8")))
    assert used - set(WBVIEW_ENV) - {"WBVIEW_ENV"} == set()  # WBVIEW_ENV is the declaration itself


def test_an_undeclared_setting_cannot_be_read():
    with pytest.raises(KeyError, match="not a declared wbview setting"):
        wbview_env("WBVIEW_NOPE", {})
