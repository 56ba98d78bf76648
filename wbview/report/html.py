"""Render a ``Review`` as ONE self-contained HTML file: inline CSS, charts as inline SVG,
no script, no external reference (no CDN, font or image), so it opens from disk with no
connection. Every string that comes from data goes through ``html.escape``; the only
link (to the live dashboard) is an http(s) URL, escaped too. Pure: no streamlit, no wandb.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime

from wbview.analysis.review import BarChart, Block, Figures, LineChart, Link, Review, Section, TableBlock, Text

PALETTE = ("#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#eeca3b", "#9d755d")
CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2430;background:#fafafa}
header{background:#1f2430;color:#fff;padding:16px 28px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#c9ccd6;font-size:13px}
nav{padding:8px 28px;background:#eef0f4;font-size:13px}nav a{margin-right:14px;color:#1f4e8c}
main{padding:8px 28px 40px;max-width:1400px}
section{background:#fff;border:1px solid #e1e4ea;border-radius:6px;margin:16px 0;padding:8px 18px 16px}
h2{font-size:18px;margin:10px 0}h3{font-size:14px;margin:14px 0 6px;color:#333}
.figures{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0}
.figure{border:1px solid #e1e4ea;border-radius:4px;padding:6px 12px;min-width:90px}
.figure .v{font-size:18px;font-weight:600}.figure .k{font-size:12px;color:#666}
.warning{background:#fff4e5;border-left:4px solid #f0a030;padding:6px 10px}
.note{background:#eef5ff;border-left:4px solid #4c78a8;padding:6px 10px}
.scroll{max-height:420px;overflow:auto;border:1px solid #e1e4ea}
table{border-collapse:collapse;font-size:12px}th,td{border-bottom:1px solid #eee;padding:3px 8px;text-align:left;
vertical-align:top;max-width:520px;overflow-wrap:anywhere}th{background:#f3f4f7;position:sticky;top:0}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.charts{display:flex;flex-wrap:wrap;gap:14px}.chart{border:1px solid #eee;padding:4px}
.caption{font-size:12px;color:#666}svg text{font-size:10px;fill:#333}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True


def _table(block: TableBlock) -> str:
    frame = block.frame
    shown = len(frame)
    caption = block.caption
    if block.total_rows is not None:
        caption += f" ({shown:,} of {block.total_rows:,} rows shown)" if block.total_rows > shown else f" ({shown:,} rows)"
    parts = [f"<h3>{_e(caption)}</h3>"]
    if frame.empty:
        parts.append('<p class="caption">No rows.</p>')
        return "".join(parts)
    heat_max = 0.0
    if block.heat:
        values = [float(v.replace(",", "")) for c in frame.columns[1:] for v in frame[c] if v and _is_number(v)]
        heat_max = max(values, default=0.0)
    head = "".join(f"<th>{_e(c)}</th>" for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for i, value in enumerate(row):
            text = str(value)
            numeric = bool(text) and _is_number(text)
            style = ""
            if block.heat and i > 0 and numeric and heat_max > 0:
                alpha = float(text.replace(",", "")) / heat_max
                style = f' style="background:rgba(76,120,168,{alpha * 0.8:.2f})"'
            cells.append(f'<td class="num"{style}>{_e(text)}</td>' if numeric else f"<td>{_e(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    parts.append(f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>')
    return "".join(parts)


def _legend(names: Sequence[str], x: float, y: float) -> str:
    items = []
    for i, name in enumerate(names):
        color = PALETTE[i % len(PALETTE)]
        items.append(
            f'<rect x="{x}" y="{y + i * 14 - 8}" width="10" height="10" fill="{color}"/>'
            f'<text x="{x + 14}" y="{y + i * 14}">{_e(name)}</text>'
        )
    return "".join(items)


def _bar_chart(chart: BarChart, width: int = 460, height: int = 230) -> str:
    left, right, top, bottom = 44, 110, 22, 60
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((v for _, values in chart.series for v in values if v == v), default=0.0) or 1.0
    n_cat, n_series = max(len(chart.categories), 1), max(len(chart.series), 1)
    slot = plot_w / n_cat
    bar = slot * 0.8 / n_series
    parts = [
        f'<text x="{left}" y="14" font-weight="600">{_e(chart.title)}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#999"/>',
        f'<text x="4" y="{top + 8}">{_e(f"{peak:.3g}")}</text>',
        f'<text x="4" y="{top + plot_h}">0</text>',
    ]
    for s, (name, values) in enumerate(chart.series):
        color = PALETTE[s % len(PALETTE)]
        for c, value in enumerate(values):
            h = 0.0 if value != value else plot_h * value / peak
            x = left + c * slot + slot * 0.1 + s * bar
            parts.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{max(bar - 1, 1):.1f}" height="{h:.1f}" '
                f'fill="{color}"><title>{_e(name)} · {_e(chart.categories[c])}: {value:.4g}</title></rect>'
            )
    step = max(1, -(-n_cat // 7))  # at most 7 axis labels; every bar has its value on hover
    for c in range(0, len(chart.categories), step):
        label = chart.categories[c]
        label = label if len(label) <= 14 else label[:13] + "…"
        x = left + c * slot + slot / 2
        parts.append(
            f'<text x="{x:.1f}" y="{top + plot_h + 12}" transform="rotate(35 {x:.1f} {top + plot_h + 12})">{_e(label)}</text>'
        )
    parts.append(_legend([name for name, _ in chart.series], left + plot_w + 10, top + 10))
    return (
        f'<div class="chart"><svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{_e(chart.title)}">{"".join(parts)}</svg></div>'
    )


def _line_chart(chart: LineChart, width: int = 460, height: int = 260) -> str:
    left, right, top, bottom = 44, 110, 22, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    xs = [x for _, xv, _ in chart.series for x in xv if x == x]
    ys = [y for _, _, yv in chart.series for y in yv if y == y]
    x_min, x_max = min(xs, default=0.0), max(xs, default=1.0)
    y_min, y_max = min(ys + [0.0]), max(ys + [1.0 if chart.diagonal else 0.0], default=1.0)
    if chart.diagonal:
        x_min, x_max = 0.0, 1.0
    if chart.marker is not None:
        x_min, x_max = min(x_min, chart.marker[1]), max(x_max, chart.marker[1])
    x_span, y_span = (x_max - x_min) or 1.0, (y_max - y_min) or 1.0

    def px(x: float) -> float:
        return left + plot_w * (x - x_min) / x_span

    def py(y: float) -> float:
        return top + plot_h * (1 - (y - y_min) / y_span)

    parts = [
        f'<text x="{left}" y="14" font-weight="600">{_e(chart.title)}</text>',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#ccc"/>',
        f'<text x="{left}" y="{top + plot_h + 14}">{x_min:.3g}</text>',
        f'<text x="{left + plot_w - 20}" y="{top + plot_h + 14}">{x_max:.3g}</text>',
        f'<text x="{left + plot_w / 2 - 30}" y="{top + plot_h + 30}">{_e(chart.x_label)}</text>',
        f'<text x="4" y="{top + 8}">{y_max:.3g}</text><text x="4" y="{top + plot_h}">{y_min:.3g}</text>',
        f'<text x="4" y="{top + plot_h / 2}" transform="rotate(-90 10 {top + plot_h / 2})">{_e(chart.y_label)}</text>',
    ]
    if chart.diagonal:
        parts.append(f'<line x1="{px(0)}" y1="{py(0)}" x2="{px(1)}" y2="{py(1)}" stroke="#aaa" stroke-dasharray="4 3"/>')
    for s, (name, xv, yv) in enumerate(chart.series):
        color = PALETTE[s % len(PALETTE)]
        points = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(xv, yv, strict=False) if x == x and y == y)
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="1.6"><title>{_e(name)}</title></polyline>'
        )
        if chart.diagonal:
            parts.extend(
                f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="2.5" fill="{color}"><title>{_e(name)}: '
                f"{x:.3f} → {y:.3f}</title></circle>"
                for x, y in zip(xv, yv, strict=False)
                if x == x and y == y
            )
    if chart.marker is not None:
        label, at = chart.marker
        parts.append(
            f'<line x1="{px(at):.1f}" y1="{top}" x2="{px(at):.1f}" y2="{top + plot_h}" stroke="#e45756" '
            f'stroke-dasharray="3 2"/><text x="{px(at) + 3:.1f}" y="{top + 10}">{_e(label)} {at:.3g}</text>'
        )
    parts.append(_legend([name for name, _, _ in chart.series], left + plot_w + 10, top + 10))
    return (
        f'<div class="chart"><svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{_e(chart.title)}">{"".join(parts)}</svg></div>'
    )


def _safe_url(url: str) -> str | None:
    return url if url.startswith(("http://", "https://")) else None


def _block(block: Block) -> str:
    if isinstance(block, Text):
        css = f' class="{block.kind}"' if block.kind in ("warning", "note") else ""
        return f"<p{css}>{_e(block.text)}</p>"
    if isinstance(block, Figures):
        cells = "".join(
            f'<div class="figure"><div class="v">{_e(v)}</div><div class="k">{_e(k)}</div></div>' for k, v in block.items
        )
        return f'<div class="figures">{cells}</div>'
    if isinstance(block, TableBlock):
        return _table(block)
    if isinstance(block, BarChart):
        return _bar_chart(block)
    if isinstance(block, LineChart):
        return _line_chart(block)
    if isinstance(block, Link):
        url = _safe_url(block.url)
        if url is None:  # not a web address: shown as text, never a link
            return f"<p>{_e(block.label)}: <code>{_e(block.url)}</code></p>"
        return (
            f'<p>{_e(block.label)}: <a href="{_e(url)}" rel="noopener noreferrer">{_e(url)}</a></p>'
            f'<p class="caption">Needs the dashboard running (wbview app) and the same data source; '
            f"this file itself needs no connection.</p>"
        )
    raise TypeError(f"Unknown review block {type(block).__name__}")


def _charts_grouped(blocks: Sequence[Block]) -> list[str]:
    """Consecutive charts side by side."""
    out: list[str] = []
    run: list[str] = []
    for block in blocks:
        if isinstance(block, (BarChart, LineChart)):
            run.append(_block(block))
            continue
        if run:
            out.append(f'<div class="charts">{"".join(run)}</div>')
            run = []
        out.append(_block(block))
    if run:
        out.append(f'<div class="charts">{"".join(run)}</div>')
    return out


def _section(section: Section) -> str:
    return (
        f'<section id="{_e(section.id)}"><h2>{_e(section.title)}</h2>' + "".join(_charts_grouped(section.blocks)) + "</section>"
    )


def render_html(review: Review, generated_at: datetime | None = None) -> str:
    """The whole review as one HTML document (a string)."""
    when = (generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    nav = "".join(f'<a href="#{_e(s.id)}">{_e(s.title)}</a>' for s in review.sections)
    notes = "".join(f'<p class="note">{_e(n)}</p>' for n in review.notes)
    body = "".join(_section(s) for s in review.sections)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        'img-src data:">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{_e(review.title)}</title>'
        f"<style>{CSS}</style></head><body><header><h1>{_e(review.title)}</h1>"
        f"<p>wbview review, generated {_e(when)}. Self-contained: opens with no connection.</p></header>"
        f"<nav>{nav}</nav><main>{notes}{body}</main></body></html>\n"
    )
