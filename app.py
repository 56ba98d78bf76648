import streamlit as st

st.set_page_config(page_title="wbview", layout="wide")
st.title("wbview")
st.write("The dashboard is being built.")
