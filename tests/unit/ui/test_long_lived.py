"""The server's collection after each run skips what it has imported: a refreeze after new
imports or an interval, and garbage frozen while alive is freed at the next refreeze."""

from __future__ import annotations

import gc
import sys
import types
import weakref

import pytest

from wbview.ui import long_lived
from wbview.ui.long_lived import Freezer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Node:
    """An object in a reference cycle: only the cycle collector frees it."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture(autouse=True)
def _unfrozen():
    yield
    gc.unfreeze()  # the test process's objects go back to the collector
    gc.collect()


@pytest.fixture
def new_module():
    name = "wbview_test_long_lived_new_module"
    yield lambda: sys.modules.setdefault(name, types.ModuleType(name))
    sys.modules.pop(name, None)


def test_after_a_settle_the_collector_walks_only_what_came_after():
    before = len(gc.get_objects())
    assert Freezer(clock=Clock()).settle()
    made_after = [object() for _ in range(3)]  # a list: tracked by the collector
    walked = gc.get_objects()
    assert len(walked) < before / 10, (len(walked), before)
    assert any(obj is made_after for obj in walked)
    assert not any(obj is gc.get_objects for obj in walked)  # imported code is frozen


def test_a_refreeze_comes_after_new_imports_or_the_interval_and_not_before(new_module):
    clock = Clock()
    freezer = Freezer(interval_s=30, clock=clock)
    assert freezer.settle()
    assert not freezer.settle()
    clock.now += 29
    assert not freezer.settle()
    new_module()
    assert freezer.settle()
    clock.now += 29
    assert not freezer.settle()
    clock.now += 1
    assert freezer.settle()


def test_garbage_frozen_while_alive_is_freed_at_the_next_refreeze():
    clock = Clock()
    freezer = Freezer(interval_s=30, clock=clock)
    node = Node()
    gone = weakref.ref(node)
    assert freezer.settle()  # the cycle is alive: it is frozen with everything else
    del node
    gc.collect()
    assert gone() is not None  # frozen: the collector after each run does not free it
    clock.now += 30
    assert freezer.settle()
    assert gone() is None


def test_a_test_process_never_freezes(monkeypatch):
    """AppTest's runtime is a mock: app.py's call must not freeze the test process."""
    from streamlit.testing.v1 import AppTest

    def script():
        import streamlit as st

        from wbview.ui.long_lived import in_server

        st.write(f"in server: {in_server()}")

    at = AppTest.from_function(script).run()
    assert [m.value for m in at.markdown] == ["in server: False"]
    assert not long_lived.in_server()


def test_app_py_settles_after_every_run(monkeypatch):
    from tests.pages.pagetest import open_page

    calls = []
    monkeypatch.setattr(long_lived, "in_server", lambda: True)
    monkeypatch.setattr(long_lived._FREEZER, "settle", lambda: calls.append(1) or False)
    open_page(None)
    assert calls == [1]
