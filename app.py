"""wbview dashboard entry point: `streamlit run app.py` (or `make run`)."""

import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException

from wbview.ui.login import require_login
from wbview.ui.long_lived import settle_after_run
from wbview.ui.page import app_navigation
from wbview.ui.url_state import send_link

# An emoji favicon is drawn locally; a ":material/...:" favicon is fetched from fonts.gstatic.com.
# The menu's ":material/...:" icons below come from the font Streamlit serves itself.
st.set_page_config(page_title="wbview", page_icon="🔎", layout="wide")

require_login()  # only when .streamlit/secrets.toml configures one ([auth])

PAGES = [
    st.Page("pages/runs.py", title="Runs", icon=":material/table_rows:", default=True),
    st.Page("pages/run.py", title="Run", icon=":material/description:"),
    st.Page("pages/artifacts.py", title="Artifacts", icon=":material/inventory_2:"),
    st.Page("pages/lineage.py", title="Lineage", icon=":material/account_tree:"),
    st.Page("pages/error_analysis.py", title="Error analysis", icon=":material/troubleshoot:"),
    st.Page("pages/threshold.py", title="Threshold & cost", icon=":material/tune:"),
    st.Page("pages/calibration.py", title="Calibration", icon=":material/straighten:"),
    st.Page("pages/slices.py", title="Where errors concentrate", icon=":material/target:"),
    st.Page("pages/run_diff.py", title="Run vs run", icon=":material/compare_arrows:"),
    st.Page("pages/stacked.py", title="Stacked tables", icon=":material/stacks:"),
]

rerun = False
try:
    with app_navigation():  # a page run from here is a page of the app (see wbview.ui.page)
        st.navigation(PAGES).run()
except RerunException:  # st.rerun, st.switch_page, or a person's next click: the next run tells
    rerun = True
    raise
finally:
    try:
        if not rerun:
            send_link()  # the link this run left, told to the browser once (see wbview.ui.url_state)
    finally:  # (a rerun requested meanwhile stops send_link, not this)
        # Streamlit's collection after each run then skips the code imported so far (about 60 ms
        # a run on a small server; see wbview.ui.long_lived)
        settle_after_run()
