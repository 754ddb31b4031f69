"""What the worker's pathway page shows: where the case stands, what is asked of me, what the help desk
is doing, who follows me, upcoming meetings and a plain history — only what concerns me."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from engine import Actor, policy
from engine.db import writing
from engine.i18n import localize
from engine.models import Case, Desk, Event, utcnow
from engine.pathway import Form, Pathway, Stage
from engine.queries import describe_event
from engine.requirements import RequirementState, StageState

from ..models import CaseNote, User
from ..notifications.models import OutboxMessage
from .tasks import for_workers


@dataclass
class Task:
    """A requirement the pathway gives to workers, as the engine says it stands for me (and, in a group, for
    the others)."""

    spec: Any
    done_by_me: bool
    required: bool
    my_rows: list[Any]
    still_to_act: list[str]  # names of the members who have not done it yet
    per_member: bool

    @classmethod
    def of(cls, state: RequirementState, me: str) -> "Task":
        spec = state.requirement
        return cls(spec, state.done_for(me), isinstance(spec, Form) or spec.required,  # the form is always asked
                   state.rows_of(me), state.still_to_act, state.per_member)

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def id(self) -> str:
        return self.spec.id


@dataclass
class Contact:
    role: str
    name: str
    email: str | None


@dataclass
class PathwayPage:
    case: Case
    pathway: Pathway
    stage: Stage
    number: int
    steps: list[tuple[int, Stage, str]]  # (n, stage, done / current / next)
    tasks: list[Task]
    desk_work: list[tuple[str, bool]]  # (label, done)
    contacts: list[Contact]
    desk: Desk | None
    meetings: list[CaseNote]
    history: list[tuple[Any, str]]
    group: list[str]
    form_row: Any

    @property
    def total(self) -> int:
        return len(self.pathway.stages)

    @property
    def active(self) -> bool:
        return self.case.status == "active"

    @property
    def open_tasks(self) -> list[Task]:
        return [t for t in self.tasks if not t.done_by_me]


def build(session: Session, library: Any, case: Case, reader: Actor, lang: str) -> PathwayPage:
    me = reader.id
    pathway = library.revision(case.revision_id, session).pathway
    state = StageState.load(session, case, pathway, utcnow(), library=library)
    stage = state.stage
    visited: list[str] = []
    events = list(session.scalars(select(Event).where(Event.case_id == case.id).order_by(Event.seq)))
    for e in events:
        if e.stage_id and e.stage_id not in visited:
            visited.append(e.stage_id)
    steps = []
    number = 1
    for n, s in enumerate(pathway.stages, 1):
        if s.id == case.stage_id:
            number = n
            steps.append((n, s, "done" if case.status == "closed" else "current"))
        else:
            steps.append((n, s, "done" if s.id in visited else "next"))
    tasks: list[Task] = []
    desk_work: list[tuple[str, bool]] = []
    for rs in state.requirement_states():
        if for_workers(rs.requirement):
            tasks.append(Task.of(rs, me))
        else:
            desk_work.append((localize(getattr(rs.requirement, "label", None) or stage.title, lang), rs.met))
    contacts = _contacts(session, case)
    now = utcnow()
    meetings = list(session.scalars(select(CaseNote).where(
        CaseNote.case_id == case.id, CaseNote.kind == "meeting", CaseNote.meeting_at >= now)
        .order_by(CaseNote.meeting_at)))
    names = {m.person_id: m.display_name or m.person_id for m in case.members}
    staff_ids = {e.actor_id for e in events} - set(names)
    if staff_ids:
        names.update(dict(session.execute(select(User.id, User.display_name).where(User.id.in_(staff_ids))).all()))
    mine_or_shared = [e for e in events if policy.may_see_event_in_portal(reader, e)]
    history = [(e.at, describe_event(e, lang, lambda pid: names.get(pid, pid))) for e in reversed(mine_or_shared)]
    return PathwayPage(
        case=case, pathway=pathway, stage=stage, number=number, steps=steps, tasks=tasks, desk_work=desk_work,
        contacts=contacts, desk=session.get(Desk, case.desk_id), meetings=meetings, history=history,
        group=[name for _pid, name in state.workers], form_row=state.forms.get(stage.id))


def _contacts(session: Session, case: Case) -> list[Contact]:
    mentor_ids = [m.person_id for m in case.members if m.kind == "mentor"]
    ids = [case.opened_by, *mentor_ids]
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))}
    out = []
    operator = users.get(case.opened_by)
    if operator is not None and not operator.has("worker"):
        out.append(Contact("operator", operator.display_name, operator.email))
    for mid in mentor_ids:
        mentor = users.get(mid)
        if mentor is not None:
            out.append(Contact("mentor", mentor.display_name, mentor.email))
    return out


NOT_IN_APP = ("invitation", "sign_in")  # messages that only make sense by e-mail


def unread_messages(person_id: str):  # noqa: ANN201 - a select of outbox rows
    """The person's in-app messages not read yet, newest first."""
    return (select(OutboxMessage).where(OutboxMessage.recipient_id == person_id, OutboxMessage.read_at.is_(None),
                                        OutboxMessage.kind.not_in(NOT_IN_APP))
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()))


def mark_messages_read(sessions: sessionmaker[Session], person_id: str) -> None:
    """Every message of the person's list is read (a receipt, not a change the audit log keeps)."""
    with writing(sessions).begin() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.recipient_id == person_id,
                                                    OutboxMessage.read_at.is_(None)).values(read_at=utcnow()))
