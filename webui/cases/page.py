"""What the case page shows, gathered from the engine: who, which pathway and revision, where the case
stands, the current stage's requirements with "what is missing", the exits, the timeline."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Actor, CaseService, policy
from engine.errors import Unmet
from engine.i18n import localize
from engine.library import LoadedRevision
from engine.models import AssessmentResponse, Case, CaseDocument, CaseParty, Desk, Event, utcnow
from engine.pathway import DocumentRule, Exit, Form, Pathway, Stage
from engine.queries import describe_event
from engine.requirements import RequirementState, StageState

from ..models import CaseNote, User


@dataclass
class StageStep:
    stage: Stage
    number: int
    current: bool
    visited: bool


@dataclass
class ExitChoice:
    exit: Exit
    target: str
    unmet: list[str]

    @property
    def allowed(self) -> bool:
        return not self.unmet

    @property
    def final(self) -> bool:
        """Taking it closes the case (with an outcome, or to go on along another pathway): asked first."""
        return not self.exit.to


@dataclass
class Requirement:
    state: RequirementState
    can_act: bool
    missing: str | None  # the engine's "what is missing" message, localized

    @property
    def spec(self) -> Any:
        return self.state.requirement

    @property
    def per_member(self) -> list[tuple[str, str, Any]]:
        """(person id, name, their row or None) for each worker, where each does their part."""
        return self.state.by_member


@dataclass
class TimelineItem:
    at: Any
    kind: str  # event / note / meeting
    text: str
    actor: str
    body: str = ""
    place: str = ""
    meeting_at: Any = None
    seq: int | None = None


@dataclass
class CaseView:
    case: Case
    desk: Desk | None
    revision: LoadedRevision
    revision_hash: str  # of the pathway text the case follows
    state: StageState
    steps: list[StageStep]
    requirements: list[Requirement]
    exits: list[ExitChoice]
    timeline: list[TimelineItem]
    names: dict[str, str]
    manager: bool
    mentor: bool
    visited_stage_ids: list[str]
    overdue: bool
    form_spec: Form | None
    can_fill_form: bool
    saved_form: dict[str, Any] | None
    documents_by_requirement: dict[str, list[Any]]
    drafts: dict[str, Any] = field(default_factory=dict)  # person id -> saved, not yet submitted answers
    recommendation: list[tuple[str, float]] = field(default_factory=list)  # pathways ranked by the answers
    hold_reason: str = ""  # while on hold: the event that put it on hold, in words (e.g. a withdrawn consent)
    documents: list[Any] = field(default_factory=list)  # every document of the case the actor may see, newest first
    parties: list[Any] = field(default_factory=list)  # the parties now on the case, in the order they came
    submitted: list[Any] = field(default_factory=list)  # the questionnaires answered on this case (submitted)

    @property
    def pathway(self) -> Pathway:
        return self.revision.pathway

    @property
    def stage(self) -> Stage:
        return self.state.stage

    @property
    def workers(self) -> list[Any]:
        return [m for m in self.case.members if m.kind == "worker"]

    @property
    def mentors(self) -> list[Any]:
        return [m for m in self.case.members if m.kind == "mentor"]

    @property
    def active(self) -> bool:
        return self.case.status == "active"

    @property
    def closed(self) -> bool:
        return self.case.status == "closed"


# What the page reads of an event: what the timeline says of it (engine.queries.describe_event) and where it was.
TIMELINE_COLUMNS = (Event.id, Event.seq, Event.type, Event.actor_id, Event.at, Event.stage_id, Event.data)


def every_party(session: Session, case: Case) -> list[CaseParty]:
    """Every party the case had, removed ones included (the timeline names them), in the order they came."""
    return list(session.scalars(select(CaseParty).where(CaseParty.case_id == case.id).order_by(CaseParty.id)))


def names_for(session: Session, ids: set[str], case: Case, parties: list[CaseParty] | None = None,
              known: dict[str, str] | None = None) -> dict[str, str]:
    """The names of people for a page: the case's members and parties, else their accounts' (`known`: account
    names the page has already read, e.g. the viewer's own)."""
    names = {m.person_id: m.display_name or m.person_id for m in case.members}
    for party in every_party(session, case) if parties is None else parties:
        names[party.actor_id] = f"{party.organisation} ({party.name})"
    wanted = [i for i in ids if i and i not in names]
    for user_id, name in (known or {}).items():
        if user_id in wanted:
            names[user_id] = name
            wanted.remove(user_id)
    if wanted:
        for user_id, name in session.execute(select(User.id, User.display_name).where(User.id.in_(wanted))):
            names[user_id] = name
    return names


def build(session: Session, service: CaseService, case: Case, actor: Actor, lang: str,
          viewer_name: str | None = None) -> CaseView:
    """`viewer_name`: the display name of the actor's account, when the caller has it."""
    revision = service.library.revision(case.revision_id, session)
    pathway = revision.pathway
    now = utcnow()
    state = StageState.load(session, case, pathway, now, library=service.library)
    # Plain rows (the page only reads them): no ORM object per event of a long history, note or document.
    events = list(session.execute(select(*TIMELINE_COLUMNS).where(Event.case_id == case.id).order_by(Event.seq)))
    notes = list(session.execute(select(*CaseNote.__table__.c).where(CaseNote.case_id == case.id)
                                 .order_by(CaseNote.created_at)))
    documents = [d for d in session.execute(select(*CaseDocument.__table__.c).where(
        CaseDocument.case_id == case.id, CaseDocument.removed_at.is_(None)).order_by(
        CaseDocument.uploaded_at.desc(), CaseDocument.id.desc())) if policy.may_see_document(actor, case, d)]
    people = {e.actor_id for e in events} | {n.author_id for n in notes} | {s.actor_id for s in state.signoffs}
    people |= {d.uploaded_by for d in [*documents, *state.documents]} | {t.ticked_by for t in state.ticks}
    people |= {e.data.get("member") for e in events if isinstance(e.data, dict) and e.data.get("member")}
    people |= {case.opened_by}
    parties = every_party(session, case)
    names = names_for(session, people, case, parties, {actor.id: viewer_name} if viewer_name is not None else None)

    def name_of(person_id: str) -> str:
        return names.get(person_id, person_id)

    visited = []
    for e in events:
        if e.stage_id and e.stage_id not in visited:
            visited.append(e.stage_id)
    steps = [StageStep(s, n, s.id == case.stage_id, s.id in visited) for n, s in enumerate(pathway.stages, 1)]

    editable = case.status == "active"
    requirements = []
    documents_by_requirement: dict[str, list[Any]] = {}
    for rs in state.requirement_states():
        spec = rs.requirement
        if isinstance(spec, DocumentRule):
            documents_by_requirement[spec.id] = list(rs.rows)
        requirements.append(Requirement(rs, editable and policy.may_act(actor, case, policy.requirement_roles(spec)),
                                        rs.unmet.message(lang) if rs.unmet else None))

    exits = [ExitChoice(e, _exit_target(service, pathway, e, lang), [u.message(lang) for u in state.unmet_for(e)])
             for e in state.stage.exits]
    timeline = [TimelineItem(e.at, "event", describe_event(e, lang, name_of), name_of(e.actor_id), seq=e.seq)
                for e in events]
    for n in notes:
        timeline.append(TimelineItem(n.created_at, n.kind, "", name_of(n.author_id), body=n.body, place=n.place,
                                     meeting_at=n.meeting_at))
    timeline.sort(key=lambda item: (item.at, item.seq or 0), reverse=True)
    held_by = next((e for e in reversed(events) if e.type == "put_on_hold"), None) \
        if case.status == "on_hold" else None
    form_spec = state.stage.form
    saved = state.forms.get(state.stage.id)
    drafts: dict[str, Any] = {}
    if state.stage.assessment is not None:
        drafts = {r.person_id: r for r in session.scalars(select(AssessmentResponse).where(
            AssessmentResponse.case_id == case.id, AssessmentResponse.submitted_at.is_(None)))}
    submitted = list(session.scalars(select(AssessmentResponse).where(
        AssessmentResponse.case_id == case.id, AssessmentResponse.submitted_at.is_not(None))))
    # The ranking adds up the submitted answers' points: none without any.
    recommendation = service.recommendation(case.id) if case.status == "active" and submitted else []
    return CaseView(
        case=case, desk=state.desk, revision=revision,
        revision_hash=service.library.content_hash(case.revision_id, session),
        state=state, steps=steps, requirements=requirements, exits=exits, timeline=timeline, names=names,
        hold_reason=describe_event(held_by, lang, name_of) if held_by is not None else "",
        manager=policy.is_manager(actor, case), mentor=policy.is_assigned_mentor(actor, case),
        visited_stage_ids=[s for s in visited if s != case.stage_id and pathway.stage(s) is not None],
        overdue=bool(case.status == "active" and case.due_at and case.due_at < now),
        form_spec=form_spec, can_fill_form=bool(form_spec and editable and policy.may_act(actor, case, form_spec.roles)),
        saved_form=dict(saved.data) if saved else None, documents_by_requirement=documents_by_requirement,
        drafts=drafts, recommendation=recommendation, documents=documents, submitted=submitted,
        parties=[p for p in parties if p.removed_at is None],
    )


# The content hash of each pathway revision read so far, per library (per application): a revision never changes.
def _exit_target(service: CaseService, pathway: Pathway, exit_: Exit, lang: str) -> str:
    if exit_.to:
        stage = pathway.stage(exit_.to)
        return _("Next stage: %(stage)s", stage=localize(stage.title, lang) if stage else exit_.to)
    if exit_.pathway:
        from ..services import current_pathways

        target = dict(current_pathways()).get(exit_.pathway)
        title = localize(target.title, lang) if target is not None else exit_.pathway
        return _("The case continues on the pathway: %(pathway)s", pathway=title)
    from ..templating import outcome_label

    return _("The case closes: %(outcome)s", outcome=outcome_label(exit_.outcome, pathway))


def changes_since(session: Session, case: Case, seen_version: int, lang: str) -> list[str]:
    """The events that happened after the version the user saw, in words."""
    events = list(session.scalars(select(Event).where(Event.case_id == case.id, Event.seq > seen_version)
                                  .order_by(Event.seq).limit(50)))
    names = names_for(session, {e.actor_id for e in events}, case)
    return [describe_event(e, lang, lambda pid: names.get(pid, pid)) for e in events]


def unmet_messages(unmet: list[Unmet], lang: str) -> list[str]:
    return [u.message(lang) for u in unmet]
