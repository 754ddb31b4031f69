"""A pathway revision drawn as SVG by the server, in pure Python (no graphviz: it must work anywhere).

Layout: the stages in one column, in file order; inside each stage box, its title, its requirements in
short, and one row per exit (label, target, condition). An exit to another stage leaves its row on the
right and runs in a vertical lane of its own to the target's entry: orthogonal arrows that never cross a
box. Exits to an outcome or to another pathway end in a pill on the row itself. Hovering a stage shows its
requirements (an SVG <title>); the page also lists them beside the diagram.

    render_pathway_svg(pathway, "it")                               # the designer's full diagram
    render_pathway_svg(pathway, "it", current="diagnosis", compact=True)  # on the case page
"""
from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any, Mapping

from flask_babel import force_locale
from flask_babel import lazy_pgettext

from engine.conditions import describe
from engine.i18n import localize, message
from engine.pathway import Exit, Pathway, Stage

WORDS = {  # in the web UI's catalogue: a diagram is drawn in the language asked for, not always the page's
    "outcome": lazy_pgettext("diagram", "outcome"),
    "pathway": lazy_pgettext("diagram", "pathway"),
    "at": lazy_pgettext("diagram", "at"),
    "when": lazy_pgettext("diagram", "when"),
    "checklist": lazy_pgettext("diagram", "checklist"),
    "documents": lazy_pgettext("diagram", "documents"),
    "form": lazy_pgettext("diagram", "form fields"),
    "signoffs": lazy_pgettext("diagram", "sign-offs"),
    "assessment": lazy_pgettext("diagram", "assessment"),
    "start": lazy_pgettext("diagram", "start"),
    "current": lazy_pgettext("diagram", "current stage"),
    "requirements": lazy_pgettext("diagram", "Requirements"),
    "none": lazy_pgettext("diagram", "no requirement"),
}


@dataclass(frozen=True)
class _Metrics:
    font: float
    small: float
    box_width: float
    margin: float
    lane_gap: float
    row_gap: float

    @property
    def char(self) -> float:
        return self.font * 0.56

    @property
    def line(self) -> float:
        return self.font * 1.35

    @property
    def small_line(self) -> float:
        return self.small * 1.35


FULL = _Metrics(font=14, small=11.5, box_width=520, margin=16, lane_gap=14, row_gap=28)
COMPACT = _Metrics(font=12, small=10, box_width=330, margin=10, lane_gap=10, row_gap=18)


def word(key: str, lang: str) -> str:
    with force_locale(lang):
        return str(WORDS[key])


def wrap(text: str, width_chars: int, max_lines: int = 3) -> list[str]:
    """Greedy word wrap by an estimated character width; the last line is cut with an ellipsis."""
    words, lines, line = text.split(), [], ""
    for w in words:
        candidate = f"{line} {w}".strip()
        if len(candidate) <= width_chars or not line:
            line = candidate
        else:
            lines.append(line)
            line = w
    if line:
        lines.append(line)
    lines = [ln if len(ln) <= width_chars else ln[: width_chars - 1] + "…" for ln in lines]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: max(width_chars - 1, 1)].rstrip() + "…"
    return lines or [""]


def outcome_text(pathway: Pathway, outcome: str, lang: str) -> str:
    declared = pathway.outcomes.get(outcome)
    if declared:
        return localize(declared, lang)
    text = message("outcome." + outcome, lang)
    return outcome if text.startswith("outcome.") else text


def exit_target_text(pathway: Pathway, exit_: Exit, lang: str, others: Mapping[str, Pathway] | None = None) -> str:
    """Where an exit leads, in titles: the stage, the other pathway (and its stage), or the outcome."""
    if exit_.to:
        stage = pathway.stage(exit_.to)
        return "→ " + (localize(stage.title, lang) if stage else exit_.to)
    if exit_.pathway:
        target = (others or {}).get(exit_.pathway)
        name = localize(target.title, lang) if target is not None else exit_.pathway
        at_stage = target.stage(exit_.at) if target is not None and exit_.at else None
        at_name = localize(at_stage.title, lang) if at_stage is not None else exit_.at
        at = f" ({word('at', lang)} {at_name})" if exit_.at else ""
        return f"→ {word('pathway', lang)} {name}{at}"
    return f"→ {word('outcome', lang)}: {outcome_text(pathway, str(exit_.outcome), lang)}"


def condition_text(pathway: Pathway, exit_: Exit, lang: str) -> str:
    if not exit_.when:
        return ""

    def label_of(ref: str) -> str:
        f = pathway.field(ref)
        return localize(f.label, lang) if f else ref

    return f"{word('when', lang)} {describe(exit_.when, lang, label_of)}"


def role_text(pathway: Pathway, role: str, lang: str) -> str:
    """Who signs off, by the pathway's own title of the role or the engine's word for it."""
    declared = pathway.roles.get(role)
    return localize(declared, lang) if declared else message("role." + role, lang)


def requirement_lines(pathway: Pathway, stage: Stage, lang: str,
                      assessment_titles: Mapping[str, Any] | None = None) -> list[str]:
    """One line per requirement, for the hover text and the side panel; `assessment_titles`: id -> title of
    the questionnaires (the id stands in for one that is not stored)."""
    lines = []
    for item in stage.checklist:
        lines.append(f"☐ {localize(item.label, lang)}")
    for doc in stage.documents:
        lines.append(f"📄 {localize(doc.label, lang)} ({', '.join(doc.types)})")
    if stage.form:
        for f in stage.form.fields:
            lines.append(f"✎ {localize(f.label, lang)}{' *' if f.required else ''}")
    if stage.assessment:
        assessment_id = stage.assessment.assessment_id
        title = (assessment_titles or {}).get(assessment_id)
        lines.append(f"◈ {word('assessment', lang)}: {localize(title, lang) if title else assessment_id}")
    for signoff in stage.signoffs:
        who = role_text(pathway, signoff.role, lang)
        lines.append(f"✍ {localize(signoff.label, lang)} ({who if signoff.count == 1 else f'{signoff.count} × {who}'})")
    return lines


def requirement_summary(stage: Stage, lang: str) -> str:
    parts = []
    if stage.checklist:
        parts.append(f"{len(stage.checklist)} {word('checklist', lang)}")
    if stage.documents:
        parts.append(f"{len(stage.documents)} {word('documents', lang)}")
    if stage.form:
        parts.append(f"{len(stage.form.fields)} {word('form', lang)}")
    if stage.assessment:
        parts.append(word("assessment", lang))
    if stage.signoffs:
        parts.append(f"{len(stage.signoffs)} {word('signoffs', lang)}")
    return " · ".join(parts) or word("none", lang)


@dataclass
class _Row:
    exit: Exit
    label_lines: list[str]
    detail_lines: list[str]
    y: float = 0.0  # the row's middle, where its arrow leaves
    height: float = 0.0


@dataclass
class _Box:
    stage: Stage
    number: int
    title_lines: list[str]
    summary: str
    rows: list[_Row]
    y: float = 0.0
    height: float = 0.0


def _assign_lanes(edges: list[tuple[float, float, int]]) -> dict[int, int]:
    """Give each vertical run [top, bottom] the lowest lane free along it (interval colouring)."""
    lanes: list[list[tuple[float, float]]] = []
    out: dict[int, int] = {}
    for top, bottom, key in sorted(edges, key=lambda e: (e[1] - e[0], e[0])):
        for index, taken in enumerate(lanes):
            if all(bottom + 4 < t or top - 4 > b for t, b in taken):
                taken.append((top, bottom))
                out[key] = index
                break
        else:
            lanes.append([(top, bottom)])
            out[key] = len(lanes) - 1
    return out


def render_pathway_svg(pathway: Pathway, lang: str, current: str | None = None, compact: bool = False,
                       others: Mapping[str, Pathway] | None = None,
                       assessment_titles: Mapping[str, Any] | None = None) -> str:
    """The SVG (a string, safe to embed in HTML) of a pathway revision's stages and exits."""
    m = COMPACT if compact else FULL
    inner = m.box_width - 24
    chars = int(inner / m.char)
    small_chars = int(inner / (m.small * 0.56))
    boxes: list[_Box] = []
    y = m.margin
    for number, stage in enumerate(pathway.stages, 1):
        title = f"{number}. {localize(stage.title, lang)}"
        box = _Box(stage, number, wrap(title, chars, 2 if compact else 3), requirement_summary(stage, lang), [])
        height = 10 + len(box.title_lines) * m.line + m.small_line + 6
        for exit_ in stage.exits:
            label = f"⇒ {localize(exit_.label, lang)} {exit_target_text(pathway, exit_, lang, others)}"
            details = [] if compact else wrap(condition_text(pathway, exit_, lang), small_chars, 3)
            row = _Row(exit_, wrap(label, small_chars, 2), [d for d in details if d])
            row.height = (len(row.label_lines) + len(row.detail_lines)) * m.small_line + 6
            row.y = y + height + m.small_line * 0.7
            height += row.height
            box.rows.append(row)
        box.y, box.height = y, height + 8
        boxes.append(box)
        y += box.height + m.row_gap
    by_id = {b.stage.id: b for b in boxes}
    box_left = m.margin
    box_right = box_left + m.box_width

    # Vertical runs of stage-to-stage exits, to place each one in its own lane.
    edges: list[tuple[float, float, int]] = []
    wires: dict[int, tuple[_Row, _Box]] = {}
    for box in boxes:
        for row in box.rows:
            target = by_id.get(row.exit.to or "")
            if target is None:
                continue
            entry = target.y + 14
            key = len(wires)
            wires[key] = (row, target)
            edges.append((min(row.y, entry), max(row.y, entry), key))
    lanes = _assign_lanes(edges)
    lane_count = (max(lanes.values()) + 1) if lanes else 0
    width = box_right + 18 + lane_count * m.lane_gap + m.margin
    height = y - m.row_gap + m.margin

    title = escape(f"{localize(pathway.title, lang)} — {pathway.id} v{pathway.version}")
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="pathway-diagram{" compact" if compact else ""}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" role="img" '
        f'aria-labelledby="pd-title-{escape(pathway.id)}" font-family="system-ui, sans-serif" font-size="{m.font}">',
        f'<title id="pd-title-{escape(pathway.id)}">{title}</title>',
        '<defs><marker id="pd-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#44546a"/></marker></defs>',
    ]
    for key, (row, target) in wires.items():
        x = box_right + 18 + lanes[key] * m.lane_gap
        entry = target.y + 14
        out.append(
            f'<path class="pd-wire" data-exit="{escape(row.exit.id)}" data-to="{escape(target.stage.id)}" '
            f'd="M{box_right:.1f},{row.y:.1f} H{x:.1f} V{entry:.1f} H{box_right + 1:.1f}" fill="none" '
            f'stroke="#44546a" stroke-width="1.4" marker-end="url(#pd-arrow)"/>')
    for box in boxes:
        stage = box.stage
        is_current = stage.id == current
        is_start = stage.id == pathway.start
        hover = "\n".join([localize(stage.title, lang), f"{word('requirements', lang)}:"]
                          + (requirement_lines(pathway, stage, lang, assessment_titles) or [word("none", lang)]))
        out.append(f'<g class="pd-stage{" pd-current" if is_current else ""}" id="pd-stage-{escape(stage.id)}" '
                   f'data-stage="{escape(stage.id)}" tabindex="0">')
        out.append(f'<title>{escape(hover)}</title>')
        fill, stroke, stroke_width = ("#fff4d6", "#b26b00", 3) if is_current else ("#f5f8fc", "#5b6f8a", 1.4)
        out.append(f'<rect x="{box_left}" y="{box.y:.1f}" width="{m.box_width}" height="{box.height:.1f}" rx="8" '
                   f'fill="{fill}" stroke="{stroke}" stroke-width="{stroke_width}"/>')
        ty = box.y + 6 + m.line * 0.8
        for line in box.title_lines:
            out.append(f'<text x="{box_left + 12}" y="{ty:.1f}" font-weight="600" fill="#1b2733">{escape(line)}</text>')
            ty += m.line
        badges = box.summary
        if is_start:
            badges = f"▶ {word('start', lang)} · {badges}"
        if is_current:
            badges = f"● {word('current', lang)} · {badges}"
        out.append(f'<text x="{box_left + 12}" y="{ty - 2:.1f}" font-size="{m.small}" fill="#44546a">'
                   f'{escape(badges)}</text>')
        for row in box.rows:
            top = row.y - m.small_line * 0.7
            terminal = row.exit.to is None
            colour = "#1f6f43" if row.exit.outcome else ("#6b3fa0" if row.exit.pathway else "#1b2733")
            out.append(f'<g class="pd-exit{" pd-terminal" if terminal else ""}" data-exit="{escape(row.exit.id)}">')
            if terminal:
                out.append(f'<rect x="{box_left + 8}" y="{top - 2:.1f}" width="{m.box_width - 16}" '
                           f'height="{row.height - 2:.1f}" rx="{row.height / 2:.1f}" fill="none" '
                           f'stroke="{colour}" stroke-dasharray="4 3"/>')
            ly = top + m.small_line * 0.8
            for line in row.label_lines:
                out.append(f'<text x="{box_left + 16}" y="{ly:.1f}" font-size="{m.small}" fill="{colour}">'
                           f'{escape(line)}</text>')
                ly += m.small_line
            for line in row.detail_lines:
                out.append(f'<text x="{box_left + 28}" y="{ly:.1f}" font-size="{m.small}" fill="#5a6570" '
                           f'font-style="italic">{escape(line)}</text>')
                ly += m.small_line
            out.append('</g>')
        out.append('</g>')
    out.append('</svg>')
    return "\n".join(out)


def stage_panel(pathway: Pathway, lang: str, others: Mapping[str, Pathway] | None = None,
                assessment_titles: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """What the side panel beside the diagram lists: each stage with its requirements and exits."""
    return [{
        "id": s.id, "title": localize(s.title, lang), "requirements": requirement_lines(pathway, s, lang, assessment_titles),
        "exits": [{"id": e.id, "label": localize(e.label, lang), "target": exit_target_text(pathway, e, lang, others),
                   "condition": condition_text(pathway, e, lang)} for e in s.exits],
    } for s in pathway.stages]
