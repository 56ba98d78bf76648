"""Streamlit helpers shared by the pages: the only package modules that import streamlit."""
