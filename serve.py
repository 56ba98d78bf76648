"""The dashboard's server: Streamlit's own server for app.py, with one addition in front of
it (wbview.ui.page_config: each HTML page tells Streamlit's frontend where its server is, so
a link to a page does not first probe the page's own path). `wbview app` and `make run`
start it with `streamlit run serve.py`; `streamlit run app.py` still works, without that."""

import streamlit as st
from starlette.middleware import Middleware

from wbview.ui.page_config import FrontendBaseUrl

app = st.App("app.py", middleware=[Middleware(FrontendBaseUrl, base_path=st.get_option("server.baseUrlPath") or "")])
