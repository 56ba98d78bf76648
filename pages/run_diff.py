"""Run vs run: join two eval tables sample by sample (on the sample id, else the text)
and show what was fixed, newly broken and still wrong; check through lineage that
both runs were scored on the same dataset version."""

import streamlit as st

from wbview.analysis import selection as views
from wbview.analysis.compare import STATUSES, dataset_lineage_warning
from wbview.charts.compare import run_diff_figure
from wbview.ui import analysis_page, page
from wbview.ui.errors import guard
from wbview.ui.text import md_escape

AUTO_KEY = "(sample id, else text)"

ctx = page.start("Run vs run")
runs = analysis_page.eval_runs(ctx)
before, after = views.default_comparison(runs)  # A: the baseline or the run before B; B: the newest
left, right = st.columns(2)
with left:
    run_a, ref_a = page.pick_eval_table(ctx, "run", "table", "Run A (before)", default_run=before)
with right:  # by default B is another run than A
    if after == run_a.id:
        after = next((r.id for r in runs if r.id != run_a.id), after)
    run_b, ref_b = page.pick_eval_table(ctx, "run_b", "table_b", "Run B (after)", default_run=after)
_, mapping = page.mapped_table(ctx, ref_a)
table_a = analysis_page.prepared(ctx, ref_a, mapping)
table_b = analysis_page.prepared(ctx, ref_b, mapping)
analysis_page.download_review(ctx, [(run_a, ref_a, table_a), (run_b, ref_b, table_b)])
if ref_a == ref_b:
    st.info("Run A and run B show the same table: choose two different runs (or tables) to compare.")

with guard():
    dataset_a, dataset_b = analysis_page.scored_dataset(ctx, run_a), analysis_page.scored_dataset(ctx, run_b)
    warning = dataset_lineage_warning(dataset_a, dataset_b)
if warning:
    st.warning("**Dataset check (lineage).** " + md_escape(warning), icon="⚠️")
else:
    st.success(f"Both runs were scored on the same dataset version: {md_escape(dataset_a)}.", icon="✅")

common = [c for c in table_a.frame.columns if c in set(table_b.frame.columns)]
on = st.selectbox("Match samples on", [AUTO_KEY, *map(str, common)], key="on", bind="query-params")
with guard():
    diff = analysis_page.run_diff(ctx.spec, ctx.project, ref_a, ref_b, mapping, None if on == AUTO_KEY else on)
st.caption(
    f"Matched {len(diff.joined):,} samples on {md_escape(repr(diff.key))} · only in A: {diff.only_in_a:,} · only in B: "
    f"{diff.only_in_b:,}" + (f" · repeated keys matched by occurrence: {diff.duplicate_keys:,}" if diff.duplicate_keys else "")
)
if diff.label_mismatches:
    st.warning(
        f"{diff.label_mismatches:,} matched samples have different true labels in A and B: the tables may "
        "not describe the same samples."
    )
if diff.joined.empty:
    st.info("No sample matches between the two tables. Choose the column that identifies a sample under 'Match samples on'.")
    st.stop()

counts = dict(zip(diff.counts["status"], diff.counts["rows"], strict=False))
for column, status in zip(st.columns(len(STATUSES)), STATUSES, strict=False):
    column.metric(status.capitalize(), f"{int(counts[status]):,}")
st.plotly_chart(run_diff_figure(diff.counts, (run_a.name, run_b.name)), key="diff_chart")

status = st.segmented_control("Show", list(STATUSES), default="newly broken", required=True, key="status", bind="query-params")
analysis_page.show_rows(
    diff.rows(status), analysis_page.file_stem(run_a.id, "vs", run_b.id, status), "diff_rows", caption=f"{status.capitalize()}: "
)
