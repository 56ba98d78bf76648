"""Deferred downloads hold their table weakly: a session's button never keeps a table alive
that the shared cache dropped, and the file then says what happened."""

from __future__ import annotations

import gc

import pandas as pd

from wbview.ui.analysis_page import UNLOADED, held_weakly


def test_the_file_is_built_from_the_value_while_it_lives():
    frame = pd.DataFrame({"x": [1, 2]})
    make = held_weakly(frame, lambda f: f.to_csv(index=False).encode())
    assert make() == b"x\n1\n2\n"


def test_a_dropped_value_is_not_kept_alive_and_the_file_says_so():
    frame = pd.DataFrame({"x": range(1000)})
    make = held_weakly(frame, lambda f: f.to_csv(index=False).encode())
    del frame
    gc.collect()
    assert make() == UNLOADED.encode()
    assert b"Reload the page" in make()
