"""What waits for one staff user, gathered for their "My work" page and the count in the navigation.

Every list is scoped by the access policy (`engine.policy.visible_cases_clause`, `visible_desk_ids`): only the
cases the user sees, never another desk's. What workers and parties sent, and the decisions given, are read
from the case events, so a new kind of event by someone outside the staff (a party's decision) shows here as
soon as it is written.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import bindparam, false, func, select
from sqlalchemy.sql.elements import True_
from sqlalchemy.orm import Session

from databank.models import ContactRequest
from engine import Actor, policy
from engine.library import PathwayLibrary
from engine.models import Case, CaseMember, Event, utcnow
from engine.pathway import Pathway, SignOffRule, Stage
from engine.queries import describe_event, news_event, selective
from engine.requirements import StageState

from ..models import User, WorkSeen
from ..portal.page import unread_messages

SOON = timedelta(days=7)  # "due this week"
FIRST_LOOK = timedelta(days=7)  # what counts as new for someone who never marked the page as seen
LIMIT = 50  # rows per list: the page is a to-do list, the desk pages have the rest


@dataclass
class SignOffWaiting:
    """A sign-off of a case's current stage: one the user may give, or one asked of someone else."""

    case: Case
    pathway: Pathway
    stage: Stage
    rule: SignOffRule
    given: int  # sign-offs given so far in this visit of the stage
    blockers: list[str] = field(default_factory=list)  # why the user may not give it yet (localized)
    role_label: dict[str, str] = field(default_factory=dict)  # who gives it, in each language


@dataclass
class Arrival:
    """Something a worker or a party sent, or a decision given, since the user last looked."""

    case: Case
    at: datetime
    text: str


@dataclass
class MyWork:
    mine: list[SignOffWaiting]  # sign-offs waiting for me
    others: list[SignOffWaiting]  # sign-offs and decisions asked of others on cases I manage, still open
    overdue: list[Case]
    due_soon: list[Case]
    arrivals: list[Arrival]
    enquiries: list[ContactRequest]
    unread: list[Any]
    seen_at: datetime

    @property
    def empty(self) -> bool:
        return not (self.mine or self.others or self.overdue or self.due_soon or self.arrivals or self.enquiries
                    or self.unread)


def seen_at(session: Session, user_id: str, now: datetime) -> datetime:
    return session.scalar(select(WorkSeen.seen_at).where(WorkSeen.user_id == user_id)) or now - FIRST_LOOK


def build(session: Session, library: PathwayLibrary, actor: Actor, lang: str, now: datetime | None = None) -> MyWork:
    now = now or utcnow()
    since = seen_at(session, actor.id, now)
    mine, others = signoffs_waiting(session, library, actor, _active_cases(session, actor), lang, now)
    due = list(session.scalars(_due_query(actor, now).order_by(Case.due_at, Case.id).limit(2 * LIMIT)))
    return MyWork(
        mine=mine[:LIMIT], others=others[:LIMIT],
        overdue=[c for c in due if c.due_at < now][:LIMIT], due_soon=[c for c in due if c.due_at >= now][:LIMIT],
        arrivals=_arrivals(session, actor, since, lang), enquiries=list(session.scalars(
            _enquiries_query(actor).order_by(ContactRequest.created_at.desc()).limit(LIMIT))),
        unread=list(session.scalars(unread_messages(actor.id).limit(LIMIT))), seen_at=since)


_UNREAD = object()


def count(session: Session, actor: Actor, now: datetime | None = None, seen: Any = _UNREAD) -> int:
    """The number shown in the navigation: overdue cases, what arrived since the last look, open enquiries and
    unread messages — what plain counts answer (sign-offs need each case's stage state: the page lists them)."""
    now = now or utcnow()
    # `seen`: when the actor last marked the page as seen (None: never), if the caller has read it already.
    since = seen_at(session, actor.id, now) if seen is _UNREAD else seen or now - FIRST_LOOK
    return sum(session.execute(_count_statement(actor), {"now": now, "since": since}).one())


@functools.lru_cache(maxsize=256)
def _count_statement(actor: Actor):  # noqa: ANN202
    """`count`'s one statement for an actor (a page asks for this number every time): built once per actor
    (the access policy's conditions depend on the actor alone), with the moments bound at each run."""
    now, since = bindparam("now"), bindparam("since")
    counted = (
        select(func.count()).select_from(Case).where(
            policy.visible_cases_clause(actor), Case.status == "active", Case.due_at < now),
        select(func.count()).select_from(_arrivals_query(actor, since).subquery()),
        select(func.count()).select_from(unread_messages(actor.id).order_by(None).subquery()),
        select(func.count()).select_from(_enquiries_query(actor).subquery()),  # none for who may not read them
    )
    return select(*(c.scalar_subquery() for c in counted))


def signoffs_waiting(session: Session, library: PathwayLibrary, actor: Actor, cases: Iterable[Case], lang: str,
                     now: datetime | None = None) -> tuple[list[SignOffWaiting], list[SignOffWaiting]]:
    """(the current stages' sign-offs the actor may give and has not given, those still open that others give
    on the cases the actor manages). A sign-off the actor may not give yet for a reason other than its role
    (someone it must be distinct from...) is in the first list with its reasons."""
    now = now or utcnow()
    mine: list[SignOffWaiting] = []
    others: list[SignOffWaiting] = []
    for row in cases:
        if row.status != "active":
            continue
        pathway = library.revision(row.revision_id, session).pathway
        stage = pathway.stage(row.stage_id)
        if stage is None or not stage.signoffs:
            continue
        own = [r for r in stage.signoffs if policy.case_refusal(actor, row, r.role) is None]
        asked = [r for r in stage.signoffs if r not in own] if policy.is_manager(actor, row) else []
        if not own and not asked:
            continue
        state = StageState.load(session, row, pathway, now)
        for rule in own:
            blockers = policy.sign_refusals(actor, state, rule)
            if any(b.code in policy.SIGNOFF_DONE for b in blockers):
                continue  # given, by me or by enough people
            mine.append(SignOffWaiting(row, pathway, stage, rule, _given(state, rule),
                                       [b.message(lang) for b in blockers]))
        for rule in asked:
            given = _given(state, rule)
            if given < rule.count:
                others.append(SignOffWaiting(row, pathway, stage, rule, given, role_label=state.role_label(rule.role)))
    return mine, others


def _given(state: StageState, rule: SignOffRule) -> int:
    return sum(1 for s in state.signoffs if s.signoff_id == rule.id)


def _active_cases(session: Session, actor: Actor) -> list[Case]:
    return list(session.scalars(select(Case).where(policy.visible_cases_clause(actor), Case.status == "active")
                                .order_by(Case.due_at.is_(None), Case.due_at, Case.id)))


def _due_query(actor: Actor, now: datetime):  # noqa: ANN202
    return select(Case).where(policy.visible_cases_clause(actor), Case.status == "active",
                              Case.due_at.is_not(None), Case.due_at < now + SOON)


def _arrivals_query(actor: Actor, since: datetime):  # noqa: ANN202
    """Events on the actor's cases after `since` that are news (`news_event`: a sign-off, a decision recorded
    for someone, or a step of someone outside the staff — a worker, a party) by someone else.

    Read from the partial indexes of such events: an operator's by desk and time (an event carries its case's
    desk: the desks' recent news and who acted, from the index alone); anyone else's by time, the recent news
    on the cases the actor sees found in the index alone, and only its rows read and checked."""
    desks = policy.visible_cases_desks(actor)
    if desks is not None:
        return select(Event).where(Event.desk_id.in_(sorted(desks)), Event.at > since, news_event(),
                                   Event.actor_id != actor.id)
    visible = policy.visible_cases_clause(actor)
    if isinstance(visible, True_):  # every case: the recent rows themselves
        return select(Event).where(selective(Event.at > since), news_event(), Event.actor_id != actor.id)
    recent = select(Event.id).where(selective(Event.at > since), news_event(),
                                    Event.case_id.in_(select(Case.id).where(visible)))
    return select(Event).where(Event.id.in_(recent), Event.actor_id != actor.id)


def _arrivals(session: Session, actor: Actor, since: datetime, lang: str) -> list[Arrival]:
    events = list(session.scalars(_arrivals_query(actor, since).order_by(Event.at.desc(), Event.id.desc())
                                  .limit(LIMIT)))
    if not events:
        return []
    cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_({e.case_id for e in events})))}
    people = {e.actor_id for e in events} | {e.data.get("member") for e in events
                                              if isinstance(e.data, dict) and e.data.get("member")}
    names = dict(session.execute(select(CaseMember.person_id, CaseMember.display_name).where(
        CaseMember.case_id.in_(list(cases)), CaseMember.person_id.in_(people))).all())
    names.update(session.execute(select(User.id, User.display_name).where(
        User.id.in_([p for p in people if not names.get(p)]))).all())
    return [Arrival(cases[e.case_id], e.at, describe_event(e, lang, lambda pid: names.get(pid) or pid))
            for e in events]


def _enquiries_query(actor: Actor):  # noqa: ANN202
    """The public catalogue's enquiries to the actor's desks not handled yet (none for who may not read them)."""
    query = select(ContactRequest).where(ContactRequest.handled_at.is_(None))
    if policy.contact_requests_refusal(actor) is not None:
        return query.where(false())
    desks = policy.visible_desk_ids(actor)
    return query if desks is None else query.where(ContactRequest.desk_id.in_(sorted(desks)))
