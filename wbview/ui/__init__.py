"""Streamlit helpers shared by the pages: the only package modules that import streamlit.

- ``page``: ``start(title)`` (source + project from the URL, sidebar pickers, demo notice)
  -> ``PageContext``; ``require_runs``, ``pick_run``, ``pick_table``, ``pick_eval_table``,
  ``mapped_table`` (column-mapping panel), ``link`` (to another page, keeping the source).
- ``source``: source specs (``wandb``, ``store:<path>``, ``memory:<name>`` for tests via
  ``register_source``), ``open_source`` (cached), the source and project pickers.
- ``loaders``: cached reads from the current source (records via ``st.cache_data``,
  tables and prepared tables via ``st.cache_resource``); ``clear()``.
- ``errors``: ``guard()`` turns any failure into one clear message, never a traceback.
- ``text``: ``md_escape`` for data shown where markdown renders; ``show_text``.
- ``widgets``: filter widgets chosen from the values present; the column-mapping panel.
- ``metadata_view``, ``lineage_view``, ``error_view``: the renderers of those pages.

- ``url_state``: ``choice`` (a picker whose shown value, default included, is always written
  into the URL; resets with its parent; a linked value that does not fit gets a notice) and
  ``checked`` (a bound widget that says when the link's value was out of range).

Every widget that holds a choice is in the URL (its key is the parameter name), so a copied
link reopens the same view: data-dependent pickers (run, table, artifact, lineage root) via
``url_state.choice``, the rest with ``bind="query-params"`` (constant defaults only).
"""
