"""Everything a case's dossier shows, gathered in one place and in one language: who, which pathway and
revision, each stage with its dates and the requirements with who met them and when, sign-offs,
documents, assessment results and the timeline. The web UI turns it into a PDF."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from .assessment_library import AssessmentLibrary
from .i18n import localize, message
from .library import PathwayLibrary
from .models import (
    AssessmentResponse, Case, CaseDocument, CaseParty, ChecklistTick, Desk, Event, FormData, PathwayRevision, SignOff,
)
from .progress import case_progress
from .queries import TimelineEntry, timeline


@dataclass
class Done:
    """One requirement of a stage and what was done about it."""

    kind: str
    label: str
    entries: list[tuple[str, str, datetime | None]] = field(default_factory=list)  # (what, who, when)


@dataclass
class StageRecord:
    id: str
    title: str
    entered: datetime | None
    left: datetime | None
    current: bool
    requirements: list[Done] = field(default_factory=list)


@dataclass
class AssessmentRecord:
    person: str
    title: str
    submitted: datetime | None
    scores: list[tuple[str, float | None]]
    ranking: list[tuple[str, float, list[str]]]  # (pathway title, points, reasons)


@dataclass
class ProgressRecord:
    """One worker's progress in words: (title, intake score, follow-up score, change) per competence and area."""

    person: str
    before_title: str
    after_title: str
    before: datetime
    after: datetime
    competences: list[tuple[str, float, float, float]]
    areas: list[tuple[str, float, float, float]]
    not_compared: list[str] = field(default_factory=list)  # titles of competences scored on one side only
    person_id: str = ""


@dataclass
class Dossier:
    case_id: int
    title: str
    desk: str
    pathway: str
    version: str
    revision_id: int
    content_hash: str
    status: str
    outcome: str | None
    opened: datetime
    closed: datetime | None
    due: datetime | None
    workers: list[str]
    mentors: list[str]
    stages: list[StageRecord]
    assessments: list[AssessmentRecord]
    timeline: list[TimelineEntry]
    lang: str
    progress: list[ProgressRecord] = field(default_factory=list)
    parties: list[str] = field(default_factory=list)  # "role: organisation (person)", the case's parties now


def case_dossier(session: Session, library: PathwayLibrary, assessments: AssessmentLibrary, case_id: int,
                 lang: str, name_of: Callable[[str], str] | None = None) -> Dossier:
    name = name_of or (lambda person: person)
    case = session.get(Case, case_id)
    if case is None:
        raise LookupError(case_id)
    pathway = library.revision(case.revision_id, session).pathway
    revision = session.get(PathwayRevision, case.revision_id)
    desk = session.get(Desk, case.desk_id)
    members = {m.person_id: m.display_name or name(m.person_id) for m in case.members}
    all_parties = list(session.scalars(select(CaseParty).where(CaseParty.case_id == case_id).order_by(CaseParty.id)))
    members.update({p.actor_id: f"{p.organisation} ({p.name})" for p in all_parties})
    who = lambda person: members.get(person) or name(person)  # noqa: E731

    events = list(session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.seq)))
    entered: dict[str, datetime] = {}
    left: dict[str, datetime] = {}
    for e in events:
        to = e.stage_id if e.type == "case_opened" else (e.data or {}).get("to") or (e.data or {}).get("to_stage")
        if e.type in ("advanced", "reopened", "migrated", "closed", "switched") and e.stage_id:
            left[e.data.get("from") or e.stage_id] = e.at
        if to:
            entered.setdefault(to, e.at)

    ticks = list(session.scalars(select(ChecklistTick).where(ChecklistTick.case_id == case_id)))
    documents = list(session.scalars(select(CaseDocument).where(CaseDocument.case_id == case_id,
                                                                CaseDocument.removed_at.is_(None))))
    forms = {f.stage_id: f for f in session.scalars(select(FormData).where(FormData.case_id == case_id))}
    signoffs = list(session.scalars(select(SignOff).where(SignOff.case_id == case_id).order_by(SignOff.signed_at)))
    responses = list(session.scalars(select(AssessmentResponse).where(AssessmentResponse.case_id == case_id)))

    stages = []
    for stage in pathway.stages:
        if stage.id not in entered and stage.id != case.stage_id:
            continue  # not reached (yet)
        record = StageRecord(stage.id, localize(stage.title, lang), entered.get(stage.id),
                             left.get(stage.id) if stage.id != case.stage_id or case.status == "closed" else None,
                             stage.id == case.stage_id and case.status != "closed")
        for item in stage.checklist:
            done = Done("checklist", localize(item.label, lang))
            for t in ticks:
                if t.stage_id == stage.id and t.item_id == item.id:
                    what = who(t.member_id) if t.member_id else message("dossier.ticked", lang)
                    done.entries.append((what, who(t.ticked_by), t.ticked_at))
            record.requirements.append(done)
        for rule in stage.documents:
            done = Done("document", localize(rule.label, lang))
            for d in documents:
                if d.stage_id == stage.id and d.requirement_id == rule.id:
                    done.entries.append((f"{d.filename} ({d.size:,} B)", who(d.uploaded_by), d.uploaded_at))
            record.requirements.append(done)
        if stage.form:
            done = Done("form", localize(stage.form.label, lang))
            row = forms.get(stage.id)
            if row is not None:
                for f in stage.form.fields:
                    if f.id in row.data:
                        done.entries.append((f"{localize(f.label, lang)}: {_value(f, row.data[f.id], lang)}",
                                             who(row.submitted_by), row.submitted_at))
            record.requirements.append(done)
        if stage.assessment:
            done = Done("assessment", localize(stage.assessment.label, lang) or stage.assessment.assessment_id)
            for r in responses:
                if r.assessment_id == stage.assessment.assessment_id and r.submitted_at:
                    done.entries.append((who(r.person_id), who(r.submitted_by or r.person_id), r.submitted_at))
            record.requirements.append(done)
        for rule in stage.signoffs:
            done = Done("signoff", localize(rule.label, lang))
            for s in signoffs:
                if s.stage_id == stage.id and s.signoff_id == rule.id:
                    what = s.comment or "✓"
                    if s.decision != "approve":  # a request for changes or a refusal says so
                        what = f"{message('decision.' + s.decision, lang)}: {s.comment}"
                    done.entries.append((what, who(s.actor_id), s.signed_at))
            record.requirements.append(done)
        stages.append(record)

    assessment_records = assessment_results(session, library, assessments, responses, lang, who)

    return Dossier(
        case_id=case.id, title=case.title, desk=desk.name if desk else case.desk_id,
        pathway=localize(pathway.title, lang), version=pathway.version, revision_id=case.revision_id,
        content_hash=revision.content_hash if revision else "", status=message("status." + case.status, lang),
        outcome=message("outcome." + case.outcome, lang) if case.outcome else None, opened=case.opened_at,
        closed=case.closed_at, due=case.due_at,
        workers=[m.display_name or name(m.person_id) for m in case.members if m.kind == "worker"],
        mentors=[m.display_name or name(m.person_id) for m in case.members if m.kind == "mentor"],
        stages=stages, assessments=assessment_records, timeline=timeline(session, case_id, lang, who), lang=lang,
        progress=progress_results(session, assessments, case_id, lang, who),
        parties=[f"{localize(pathway.roles.get(p.role), lang) or p.role}: {p.organisation} ({p.name})"
                 for p in all_parties if p.removed_at is None],
    )


def assessment_results(session: Session, library: PathwayLibrary, assessments: AssessmentLibrary,
                       responses: list[AssessmentResponse], lang: str,
                       who: Callable[[str], str]) -> list[AssessmentRecord]:
    """The submitted assessments of a case, in words: scores per competence, pathways ranked with reasons."""
    out = []
    for r in responses:
        if not r.submitted_at or not r.result:
            continue
        spec = assessments.revision(r.revision_id, session)
        scores = [(localize(d.title, lang), r.result["scores"].get(d.id)) for d in spec.dimensions]
        ranking = []
        for ranked in r.result.get("pathways", []):
            try:
                title = localize(library.current(ranked["target"]).pathway.title, lang)
            except Exception:  # noqa: BLE001 - a pathway that no longer exists keeps its id
                title = ranked["target"]
            ranking.append((title, ranked["points"], [localize(x["reason"], lang) for x in ranked["reasons"]]))
        out.append(AssessmentRecord(who(r.person_id), localize(spec.title, lang), r.submitted_at, scores, ranking))
    return out


def progress_results(session: Session, assessments: AssessmentLibrary, case_id: int, lang: str,
                     who: Callable[[str], str]) -> list[ProgressRecord]:
    """Each worker's follow-up compared with their intake, in words (see engine.progress)."""
    out = []
    for p in case_progress(session, assessments, case_id):
        titles = {}
        for answered in (p.before, p.after):
            spec = assessments.revision(answered.revision_id, session)
            titles.update({d.id: localize(d.title, lang) for d in spec.dimensions})
        out.append(ProgressRecord(
            who(p.person_id), localize(p.before.title, lang), localize(p.after.title, lang),
            p.before.submitted_at, p.after.submitted_at,
            [(localize(c.title, lang), c.before, c.after, c.change) for c in p.competences],
            [(localize(a.title, lang), a.before, a.after, a.change) for a in p.areas],
            [titles.get(d, d) for d in p.not_compared], p.person_id))
    return out


def _value(field_: Any, value: Any, lang: str) -> str:
    if isinstance(value, bool):
        return message("dossier.yes" if value else "dossier.no", lang)
    if isinstance(value, list):
        return ", ".join(field_.option_label(v, lang) for v in value)
    if field_.options:
        return field_.option_label(value, lang)
    return str(value)
