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


def test_masked_rows_show_the_first_and_export_all(monkeypatch):
    """Only the rows shown are taken from the table; the caption counts every masked row
    and the CSV has them all."""
    import numpy as np
    from streamlit.testing.v1 import AppTest

    from wbview.analysis import selection as views
    from wbview.ui.analysis_page import masked_csv

    monkeypatch.setattr(views, "MAX_SHOWN_ROWS", 3)

    def script():
        import numpy as np
        import pandas as pd

        from wbview.ui.analysis_page import show_masked_rows

        frame = pd.DataFrame({"x": range(20), "text": [f"row {i}" for i in range(20)]})
        show_masked_rows(frame, np.arange(20) % 2 == 1, "odd", "odd")

    at = AppTest.from_function(script).run()
    assert not at.exception
    (shown,) = at.dataframe
    assert shown.value["x"].tolist() == [1, 3, 5]
    assert [c.value for c in at.caption] == ["10 rows (showing the first 3)."]
    frame = pd.DataFrame({"x": range(20)})
    csv = masked_csv(frame, np.flatnonzero(np.arange(20) % 2 == 1))()
    assert csv.decode().splitlines() == ['"x"', *[str(i) for i in range(1, 20, 2)]]  # headers quoted
