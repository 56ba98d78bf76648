"""wbview dashboard entry point: `streamlit run app.py` (or `make run`)."""

import streamlit as st

st.set_page_config(page_title="wbview", page_icon="🔎", layout="wide")

PAGES = [
    st.Page("pages/runs.py", title="Runs", icon="🏃", default=True),
    st.Page("pages/artifacts.py", title="Artifacts", icon="📦"),
    st.Page("pages/lineage.py", title="Lineage", icon="🕸️"),
    st.Page("pages/error_analysis.py", title="Error analysis", icon="🔬"),
]

st.navigation(PAGES).run()
