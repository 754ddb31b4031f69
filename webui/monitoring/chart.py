"""A small SVG horizontal bar chart, readable in black and white (dark bars on white, the value written
after each bar) and with a text alternative (<title>/<desc>, and the same numbers in a table on the page).
Pure Python, no script and no inline style: it passes the page's Content Security Policy."""
from __future__ import annotations

from typing import Sequence

from markupsafe import Markup, escape

ROW, GAP, LABEL_WIDTH, BAR_WIDTH, VALUE_WIDTH = 22, 6, 220, 300, 60


def bar_chart(rows: Sequence[tuple[str, float]], title: str, chart_id: str, value_text=str,  # noqa: ANN001
              top: float | None = None) -> Markup:
    """rows: (label, value); `top` fixes the scale (e.g. 5 for scores), else the largest value. Returns an
    inline <svg> element (role="img") whose description lists every label and value."""
    rows = list(rows)
    top = top or max([n for _, n in rows] + [1])
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    height = max(1, len(rows)) * (ROW + GAP) + GAP
    desc = "; ".join(f"{label}: {value_text(n)}" for label, n in rows)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="bar-chart" '
        f'viewBox="0 0 {width} {height}" width="100%" aria-labelledby="{escape(chart_id)}-t {escape(chart_id)}-d">',
        f'<title id="{escape(chart_id)}-t">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-d">{escape(desc)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    for i, (label, n) in enumerate(rows):
        y = GAP + i * (ROW + GAP)
        bar = round(BAR_WIDTH * n / top) if n else 0
        short = label if len(label) <= 34 else label[:33] + "…"
        parts.append(f'<text x="{LABEL_WIDTH - 6}" y="{y + ROW * 0.7:.1f}" text-anchor="end" font-size="13" '
                     f'fill="#000000">{escape(short)}</text>')
        if bar:
            parts.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="{bar}" height="{ROW}" fill="#1f1f1f" '
                         f'stroke="#000000"/>')
        else:
            parts.append(f'<line x1="{LABEL_WIDTH}" y1="{y}" x2="{LABEL_WIDTH}" y2="{y + ROW}" stroke="#000000"/>')
        parts.append(f'<text x="{LABEL_WIDTH + bar + 6}" y="{y + ROW * 0.7:.1f}" font-size="13" '
                     f'fill="#000000">{escape(value_text(n))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
