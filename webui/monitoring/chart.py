"""A small SVG horizontal bar chart, readable in black and white (dark bars on white, the value written
after each bar) and with a text alternative (<title>/<desc>, and the same numbers in a table on the page).
Pure Python, no script and no inline style: it passes the page's Content Security Policy."""
from __future__ import annotations

import textwrap
from typing import Sequence

from flask_babel import format_decimal
from markupsafe import Markup, escape

ROW, GAP, LABEL_WIDTH, BAR_WIDTH, VALUE_WIDTH = 22, 6, 220, 300, 60
LABEL_CHARS, LINE_HEIGHT = 32, 15  # a label wraps at about this many characters of 13 px text


def label_lines(label: str) -> list[str]:
    """A label on as many lines as it needs, whole (never cut short)."""
    return textwrap.wrap(label, LABEL_CHARS, break_long_words=True) or [""]


def label_text(lines: list[str], right: float, middle: float) -> str:
    """A right-aligned label of one or more lines, centred on `middle`."""
    first = middle + 4 - (len(lines) - 1) * LINE_HEIGHT / 2
    spans = "".join(f'<tspan x="{right}" y="{first + i * LINE_HEIGHT:.1f}">{escape(line)}</tspan>'
                    for i, line in enumerate(lines))
    return f'<text text-anchor="end" font-size="13" fill="#000000">{spans}</text>'


def bar_chart(rows: Sequence[tuple[str, float]], title: str, chart_id: str, value_text=format_decimal,  # noqa: ANN001
              top: float | None = None) -> Markup:
    """rows: (label, value); `top` fixes the scale (e.g. 5 for scores), else the largest value. Returns an
    inline <svg> element (role="img") whose description lists every label and value."""
    rows = list(rows)
    top = top or max([n for _, n in rows] + [1])
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    labels = [label_lines(label) for label, _n in rows]
    heights = [max(ROW, len(lines) * LINE_HEIGHT + 4) for lines in labels]
    height = sum(h + GAP for h in heights) + GAP if rows else ROW + 2 * GAP
    desc = "; ".join(f"{label}: {value_text(n)}" for label, n in rows)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="bar-chart" '
        f'viewBox="0 0 {width} {height}" width="100%" aria-labelledby="{escape(chart_id)}-t {escape(chart_id)}-d">',
        f'<title id="{escape(chart_id)}-t">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-d">{escape(desc)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    top_of_row = GAP
    for (label, n), lines, row_height in zip(rows, labels, heights):
        y = top_of_row + (row_height - ROW) / 2
        bar = round(BAR_WIDTH * n / top) if n else 0
        parts.append(label_text(lines, LABEL_WIDTH - 6, y + ROW / 2))
        if bar:
            parts.append(f'<rect x="{LABEL_WIDTH}" y="{y:.1f}" width="{bar}" height="{ROW}" fill="#1f1f1f" '
                         f'stroke="#000000"/>')
        else:
            parts.append(f'<line x1="{LABEL_WIDTH}" y1="{y:.1f}" x2="{LABEL_WIDTH}" y2="{y + ROW:.1f}" stroke="#000000"/>')
        parts.append(f'<text x="{LABEL_WIDTH + bar + 6}" y="{y + ROW * 0.7:.1f}" font-size="13" '
                     f'fill="#000000">{escape(value_text(n))}</text>')
        top_of_row += row_height + GAP
    parts.append("</svg>")
    return Markup("".join(parts))
