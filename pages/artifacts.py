"""Artifacts: browse by type, collection and version; metadata for reading,
completeness against the essentials, and a diff between two versions."""

import streamlit as st

from wbview.analysis import selection as views
from wbview.analysis.metadata import completeness, format_value, version_diff, version_label
from wbview.ui import loaders, page, url_state
from wbview.ui.errors import guard
from wbview.ui.metadata_view import render_completeness, render_metadata
from wbview.ui.text import md_escape, show_text

ctx = page.start("Artifacts")
with guard():
    types = loaders.artifact_types(ctx.spec, ctx.project)
if not types:
    st.info(
        f"The project {md_escape(ctx.project)} has no artifacts. Log datasets, models and predictions with "
        "`run.log_artifact(...)` to see them here."
    )
    st.stop()

pick_type, pick_collection, pick_version = st.columns(3)
# Each choice is written into the URL and resets when the one above it changes.
artifact_type = url_state.choice("Type", types, "type", container=pick_type)
with guard():
    collections = loaders.artifact_collections(ctx.spec, ctx.project, artifact_type)
if not collections:
    st.info(f"No collections of type {md_escape(artifact_type)}.")
    st.stop()
collection = url_state.choice(
    "Collection", [c.name for c in collections], "collection", parent=artifact_type, container=pick_collection
)
with guard():
    versions = loaders.artifact_versions(ctx.spec, ctx.project, collection)
by_version = {v.version: v for v in versions}
version = url_state.choice(
    "Version",
    list(by_version),
    "version",
    parent=collection,
    container=pick_version,
    format_func=lambda v: version_label(v, by_version[v].aliases) if v in by_version else v,
)
with guard():
    art = loaders.artifact(ctx.spec, ctx.project, f"{collection}:{version}")

st.subheader(md_escape(art.id))
facts = {
    "type": art.type,
    "aliases": ", ".join(art.aliases) or "-",
    "size": format_value(art.size_bytes) + " bytes" if art.size_bytes else "-",
    "created": art.created_at.strftime("%Y-%m-%d %H:%M UTC") if art.created_at else "-",
    "logged by run": art.logged_by or "-",
    "used by runs": ", ".join(art.used_by) or "-",
}
st.dataframe({"field": list(facts), "value": list(facts.values())}, hide_index=True)
with guard(stop=False):
    run_names = {r.id: views.run_choice_label(r) for r in loaders.runs(ctx.spec, ctx.project)}
    for title, run_ids in (("Logged by", (art.logged_by,) if art.logged_by else ()), ("Used by", art.used_by)):
        if run_ids:
            st.markdown(f"**{title}**")
            for cols, run_id in zip(st.columns(min(len(run_ids), 4)) * ((len(run_ids) + 3) // 4), run_ids, strict=False):
                with cols:
                    page.link(ctx, "run", run_names.get(run_id, run_id), run=run_id)
if art.description:
    show_text(art.description)
page.link(ctx, "lineage", "Lineage of this artifact", root=art.id)

render_completeness(completeness(art.type, art.metadata))
tab_meta, tab_diff, tab_files = st.tabs(["Metadata", "Diff", "Files"], key="tab", bind="query-params")
if tab_meta.open:  # only the open tab runs
    with tab_meta:
        render_metadata(art.metadata)
if tab_diff.open:  # only the open tab runs
    with tab_diff:
        others = [v for v in by_version if v != version]
        if not others:
            st.info("This collection has only one version: nothing to compare with.")
        else:
            other = st.selectbox("Compare with", others, key="diff_with", bind="query-params")
            with guard():
                other_art = loaders.artifact(ctx.spec, ctx.project, f"{collection}:{other}")
            older, newer, diff = version_diff(str(other), other_art.metadata, str(version), art.metadata)
            if diff.empty:
                st.success(f"The metadata of {md_escape(other)} and {md_escape(version)} is identical.")
            else:
                st.caption(
                    f"From {md_escape(older)} to {md_escape(newer)}: 'added' is a key {md_escape(newer)} has and "
                    f"{md_escape(older)} had not, 'removed' the other way round."
                )
                st.dataframe(diff, hide_index=True, width="stretch")
if tab_files.open:  # only the open tab runs
    with tab_files:
        if art.files:
            st.dataframe(
                {"path": [f.path for f in art.files], "size (bytes)": [f.size_bytes for f in art.files]}, hide_index=True
            )
        else:
            st.caption("No file list recorded for this version.")
