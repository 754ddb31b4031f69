"""Progress over a pathway on a page: each worker's intake and follow-up scores as paired bars (SVG), for
the case page, the worker's portal and the dossier.

Readable in black and white: the intake bar is outlined (white inside), the follow-up bar is solid, each
pair is labelled and both numbers and the change are written after the bars; a legend says which is which.
The <desc> lists every number, and the page gives the same numbers in a table. No script, no inline style.
"""
from __future__ import annotations

from typing import Any, Sequence

from flask_babel import format_decimal, gettext as _
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from engine.dossier import ProgressRecord, progress_results

from ..monitoring.chart import BAR_WIDTH, LABEL_WIDTH, LINE_HEIGHT, label_lines, label_text

BAR, PAIR_GAP, ROW_GAP, LEGEND, VALUE_WIDTH = 11, 2, 10, 30, 150
SCALE_TOP = 5


def signed(value: float) -> str:
    """A change with its sign, written like the scores: +1.5, -0.5, 0.0."""
    return ("+" if value > 0 else "") + score_text(value)


def score_text(value: float) -> str:
    return format_decimal(value, format="0.0#")


def progress_chart(rows: Sequence[tuple[str, float, float, float]], title: str, chart_id: str) -> Markup:
    """rows: (label, intake, follow-up, change) on the 1-5 scale. An inline <svg role="img">."""
    before_label, after_label = _("Intake"), _("Follow-up")
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    pair = 2 * BAR + PAIR_GAP
    labels = [label_lines(row[0]) for row in rows]
    heights = [max(pair, len(lines) * LINE_HEIGHT) + ROW_GAP for lines in labels]
    height = LEGEND + (sum(heights) if rows else pair + ROW_GAP) + ROW_GAP
    desc = "; ".join(f"{label}: {before_label} {score_text(b)}, {after_label} {score_text(a)} ({signed(c)})"
                     for label, b, a, c in rows)
    cid = escape(chart_id)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="bar-chart progress-chart" '
        f'viewBox="0 0 {width} {height}" width="100%" aria-labelledby="{cid}-t {cid}-d">',
        f'<title id="{cid}-t">{escape(title)}</title>',
        f'<desc id="{cid}-d">{escape(desc)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        # Legend: an outlined box for the intake, a solid one for the follow-up.
        f'<rect x="{LABEL_WIDTH}" y="8" width="14" height="{BAR}" fill="#ffffff" stroke="#000000"/>',
        f'<text x="{LABEL_WIDTH + 20}" y="{8 + BAR - 1}" font-size="12" fill="#000000">{escape(before_label)}</text>',
        f'<rect x="{LABEL_WIDTH + 130}" y="8" width="14" height="{BAR}" fill="#1f1f1f" stroke="#000000"/>',
        f'<text x="{LABEL_WIDTH + 150}" y="{8 + BAR - 1}" font-size="12" fill="#000000">{escape(after_label)}</text>',
    ]
    top_of_row = LEGEND + ROW_GAP
    for (label, before, after, change), lines, row_height in zip(rows, labels, heights):
        y = top_of_row + (row_height - ROW_GAP - pair) / 2
        top_of_row += row_height
        parts.append(label_text(lines, LABEL_WIDTH - 6, y + pair / 2))
        for offset, value, fill in ((0, before, "#ffffff"), (BAR + PAIR_GAP, after, "#1f1f1f")):
            length = max(1, round(BAR_WIDTH * value / SCALE_TOP))
            parts.append(f'<rect x="{LABEL_WIDTH}" y="{y + offset}" width="{length}" height="{BAR}" '
                         f'fill="{fill}" stroke="#000000"/>')
        end = LABEL_WIDTH + round(BAR_WIDTH * max(before, after) / SCALE_TOP) + 6
        text = f"{score_text(before)} → {score_text(after)} ({signed(change)})"
        parts.append(f'<text x="{end}" y="{y + BAR + PAIR_GAP / 2 + 4:.1f}" font-size="13" '
                     f'fill="#000000">{escape(text)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def progress_with_charts(session: Session, assessments: Any, case_id: int, lang: str, names: dict[str, str],
                         only_person: str | None = None, prefix: str = "progress"
                         ) -> list[tuple[ProgressRecord, Markup]]:
    """Each worker's progress (or one worker's) with its chart of the competences."""
    records = progress_results(session, assessments, case_id, lang, lambda person: names.get(person) or person)
    out = []
    for index, record in enumerate(records):
        if only_person is not None and record.person_id != only_person:
            continue
        title = _("Progress of %(name)s: intake and follow-up scores (1-5)", name=record.person)
        out.append((record, progress_chart(record.competences, title, f"{prefix}-{index}")))
    return out
