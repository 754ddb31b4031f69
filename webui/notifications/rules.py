"""What to tell whom: new events of the log and approaching or passed due dates become outbox rows.

`queue_from_events` reads the events after the cursor (a row of `notification_cursors`) and writes one
outbox row per recipient and message; `queue_reminders` writes one row per case, stage visit and kind.
Both are idempotent: each row has a unique key, and a row that exists already is skipped.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.i18n import localize
from engine.library import PathwayLibrary
from engine.models import Case, CaseParty, Event, utcnow
from engine.queries import due_between, overdue

from ..models import DeskMembership, User, UserRole
from ..routing import base_url
from ..portal.tasks import asked_of_workers, signoffs_for
from .models import NotificationCursor, OutboxMessage

CURSOR = "events"
STAGE_ENTRY = ("advanced", "reopened")


@dataclass(frozen=True)
class Draft:
    """One message to one person, before it is written to the outbox."""

    key: str
    recipient: str
    kind: str
    case_id: int | None
    event_id: int | None
    subject: str
    body: str
    link: str


def language_of(user: User | None) -> str:
    languages = current_app.config["LANGUAGES"]
    if user is not None and user.language in languages:
        return user.language
    return current_app.config.get("NOTIFY_DEFAULT_LANGUAGE") or current_app.config["BABEL_DEFAULT_LOCALE"]


def write(session: Session, drafts: Iterable[tuple[Draft, User | None]]) -> int:
    """Add the drafts whose key is new; returns how many were added."""
    added = 0
    for draft, user in drafts:
        email = user.email if user is not None and not user.disabled and user.email else None
        if add_message(session, draft, email, language_of(user)) is not None:
            added += 1
    return added


def add_message(session: Session, draft: Draft, email: str | None, language: str,
                read_at: datetime | None = None) -> int | None:
    """One outbox row for a draft, unless its key is there already; returns the new row's id (or None).
    With no e-mail address the message is only shown in the application."""
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == draft.key)) is not None:
        return None
    row = OutboxMessage(
        key=draft.key[:200], recipient_id=draft.recipient[:64], email=email, kind=draft.kind,
        case_id=draft.case_id, event_id=draft.event_id, language=language, subject=draft.subject[:300],
        body=draft.body, link=draft.link[:500], status="pending" if email else "in_app",
        next_attempt_at=utcnow(), read_at=read_at)
    try:
        with session.begin_nested():  # another `opera notify` (or a request) may be writing the same key
            session.add(row)
    except IntegrityError:
        return None
    return row.id


def case_link(case_id: int) -> str:
    return f"{base_url()}/me/cases/{case_id}"


def staff_link(case_id: int) -> str:
    return f"{base_url()}/cases/{case_id}"


def _users(session: Session, ids: Iterable[str]) -> dict[str, User]:
    wanted = list(set(ids))
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(wanted)))} if wanted else {}


def _tasks_text(stage: Any, lang: str) -> str:
    tasks = asked_of_workers(stage)
    if not tasks:
        return _("There is nothing you need to do for now: the help desk takes care of this step.")
    lines = [_("What we need from you:")]
    for requirement in tasks:
        label = requirement.label or stage.title
        lines.append("- " + localize(label, lang))
    return "\n".join(lines)


def messages_for_event(session: Session, library: PathwayLibrary, event: Event) -> list[tuple[Draft, User | None]]:
    case = session.get(Case, event.case_id)
    if case is None:
        return []
    data = event.data or {}
    pathway = library.revision(case.revision_id, session).pathway
    workers = [m.person_id for m in case.members if m.kind == "worker"]
    mentors = [m.person_id for m in case.members if m.kind == "mentor"]
    users = _users(session, workers + mentors)
    out: list[tuple[Draft, User | None]] = []

    def draft(person: str, kind: str, subject: Any, body: Any, link: str) -> None:
        user = users.get(person)
        with force_locale(language_of(user)):
            out.append((Draft(f"{kind}:{event.id}:{person}", person, kind, case.id, event.id, subject(),
                              body(), link), user))

    entered = None
    if event.type in STAGE_ENTRY and data.get("to"):
        entered = data["to"]
    elif event.type == "reopened":
        entered = event.stage_id
    if event.type == "case_opened":
        stage = pathway.stage(event.stage_id) if event.stage_id else None
        for person in workers:
            lang = language_of(users.get(person))
            draft(person, "requested",
                  lambda: _("Your pathway has started: %(pathway)s", pathway=localize(pathway.title, lang)),
                  lambda: "\n\n".join([
                      _("The help desk has opened your pathway. The first step is: %(stage)s.",
                        stage=localize(stage.title, lang) if stage else ""),
                      _tasks_text(stage, lang)]),
                  case_link(case.id))
        entered = event.stage_id
        if entered:
            _signoff_waiting(pathway, entered, mentors, draft)
        return out
    if entered:
        stage = pathway.stage(entered)
        for person in workers:
            lang = language_of(users.get(person))
            draft(person, "stage_changed",
                  lambda: _("Your pathway has moved on: %(stage)s", stage=localize(stage.title, lang) if stage else ""),
                  lambda: "\n\n".join([
                      _("You are now at the step: %(stage)s.", stage=localize(stage.title, lang) if stage else ""),
                      localize(stage.guidance, lang) if stage and stage.guidance else "",
                      _tasks_text(stage, lang)]).replace("\n\n\n\n", "\n\n"),
                  case_link(case.id))
        _signoff_waiting(pathway, entered, mentors, draft)
    elif event.type in ("advanced", "closed", "switched") and case.status == "closed":
        for person in workers:
            draft(person, "case_closed", lambda: _("Your pathway is complete"),
                  lambda: _("The help desk has closed your pathway. Thank you for taking part."),
                  case_link(case.id))
    elif event.type == "members_changed" and data.get("added_mentor") and case.status == "active":
        _signoff_waiting(pathway, case.stage_id, [data["added_mentor"]], draft)
    elif event.type == "signoff_decided":
        _decision_not_approved(session, case, event, users, draft)
    elif event.type == "signoff_requested":
        out += signoff_request_messages(session, event, case)
    if data.get("lapsed_signoffs"):
        out += lapsed_signoff_messages(session, event, case)
    return out


def signoff_request_messages(session: Session, event: Event, case: Case) -> list[tuple[Draft, User | None]]:
    """The person asked for a sign-off is told what and where. A mentor gets the case page; a party without
    an account (`person_kind` other than "mentor") would get its signing link here instead."""
    data = event.data or {}
    person = data["person"]
    user = _users(session, [person]).get(person)
    lang = language_of(user)
    with force_locale(lang):
        label = localize(data.get("label"), lang)
        subject = _("Your sign-off is asked: %(signoff)s", signoff=label)
        body = _("The help desk asks you for the sign-off '%(signoff)s' on the case '%(case)s'.",
                 signoff=label, case=case.title)
        if data.get("note"):
            body += "\n\n" + data["note"]
    return [(Draft(f"signoff_requested:{event.id}:{person}", person, "signoff_requested", case.id, event.id,
                   subject, body, "__staff__"), user)]


def lapsed_signoff_messages(session: Session, event: Event, case: Case) -> list[tuple[Draft, User | None]]:
    """Each signer whose approval lapsed because the stage changed after it is told to look again (a request
    for changes or a refusal that the change answers is not an approval lost)."""
    lapsed = [s for s in (event.data or {})["lapsed_signoffs"] if s.get("decision", "approve") == "approve"]
    users = _users(session, [s["actor"] for s in lapsed])
    out = []
    for signed in lapsed:
        person = signed["actor"]
        user = users.get(person)
        party = _party_signer(session, person)
        if party is not None:  # a party without an account: its e-mail, in its language; no page to open
            user = SimpleNamespace(email=party.email or None, disabled=False, language=party.language)
        lang = language_of(user)
        with force_locale(lang):
            label = localize(signed.get("label"), lang)
            subject = _("Your sign-off no longer counts: %(signoff)s", signoff=label)
            body = _("The case '%(case)s' changed after you gave the sign-off '%(signoff)s' (its form or a "
                     "document): the sign-off no longer counts. Please look at the case again and give it anew "
                     "if you still agree.", case=case.title, signoff=label) if party is None else _(
                "Case #%(case)d changed after your decision on '%(signoff)s' (its form or a document): the "
                "decision no longer counts. The help desk will send you a new link to decide again.",
                case=case.id, signoff=label)
        out.append((Draft(f"signoff_lapsed:{event.id}:{signed['signoff']}:{person}", person, "signoff_lapsed",
                          case.id, event.id, subject, body, "" if party is not None else "__staff__"), user))
    return out


def _party_signer(session: Session, signer: str) -> CaseParty | None:
    """The party behind a signer id `party:<id>` (one that signed through its link or on paper)."""
    kind, _sep, number = signer.partition(":")
    if kind != "party" or not number.isdigit():
        return None
    party = session.get(CaseParty, int(number))
    return party if party is not None and party.removed_at is None else None


def _decision_not_approved(session: Session, case: Case, event: Event, users: dict[str, User], draft: Any) -> None:
    """A request for changes or a refusal of a sign-off: the case's operators (its desk's) are told."""
    data = event.data or {}
    operators = list(session.scalars(select(User).join(UserRole).join(DeskMembership, DeskMembership.user_id == User.id)
                                     .where(UserRole.role == "operator", DeskMembership.desk_id == case.desk_id,
                                            User.disabled.is_(False))))
    users.update({u.id: u for u in operators})
    for operator in operators:
        lang = language_of(operator)
        label = localize(data.get("label"), lang)
        declined = data.get("decision") == "decline"
        draft(operator.id, "signoff_decision",
              (lambda: _("Sign-off declined: %(label)s", label=label)) if declined else
              (lambda: _("Changes requested: %(label)s", label=label)),
              lambda: "\n\n".join([
                  _("Case #%(case)d: %(label)s was declined, with this comment:", case=case.id, label=label)
                  if declined else
                  _("Case #%(case)d: changes were requested to %(label)s, with this comment:", case=case.id,
                    label=label),
                  data.get("comment", "")]),
              "__staff__")


def _signoff_waiting(pathway: Any, stage_id: str, mentors: list[str], draft: Any) -> None:
    stage = pathway.stage(stage_id)
    if not signoffs_for(stage, "mentor"):
        return
    for person in mentors:
        draft(person, "signoff_waiting", lambda: _("A sign-off waits for you"),
              lambda: _("A case you follow has reached a stage that needs your sign-off."),
              "__staff__")


def queue_from_events(session: Session, library: PathwayLibrary, batch: int = 500) -> int:
    """Turn the events after the cursor into outbox rows; the cursor moves in the same transaction."""
    added = 0
    while True:
        cursor = held_cursor(session, CURSOR)
        events = list(session.scalars(select(Event).where(Event.id > cursor.last_event_id)
                                      .order_by(Event.id).limit(batch)))
        if not events:
            break
        for event in events:
            drafts = messages_for_event(session, library, event)
            added += write(session, [(_fix_link(d, event.case_id), u) for d, u in drafts])
            cursor.last_event_id = event.id
        cursor.updated_at = utcnow()
        session.commit()
    session.commit()
    return added


def held_cursor(session: Session, name: str, start: Callable[[], int] = lambda: 0) -> NotificationCursor:
    """The cursor `name`, read afresh and held until the transaction ends (the row lock on PostgreSQL;
    SQLite's write lock is held already): two runs at once take turns, each batch starting where the other
    stopped. Made at `start()` the first time, once even when two runs start together."""
    cursor = session.get(NotificationCursor, name, with_for_update=True, populate_existing=True)
    if cursor is None:
        try:
            with session.begin_nested():
                session.add(NotificationCursor(name=name, last_event_id=start()))
        except IntegrityError:
            pass  # another run created it meanwhile
        cursor = session.get(NotificationCursor, name, with_for_update=True, populate_existing=True)
    return cursor


def _fix_link(draft: Draft, case_id: int) -> Draft:
    if draft.link != "__staff__":
        return draft
    return Draft(draft.key, draft.recipient, draft.kind, draft.case_id, draft.event_id, draft.subject,
                 draft.body, staff_link(case_id))


def queue_reminders(session: Session, library: PathwayLibrary, now: datetime | None = None,
                    days_before: int = 3) -> int:
    """A reminder to the workers a few days before the stage's due date, and another once it has passed."""
    now = now or utcnow()
    added = 0
    for kind, cases in (("due_soon", due_between(session, now, now + timedelta(days=days_before))),
                        ("overdue", overdue(session, now))):
        for case in cases:
            added += write(session, reminder_drafts(session, library, case, kind,
                                                    f"{kind}:{case.id}:{case.stage_id}:{case.stage_visit}"))
    session.commit()
    return added


def reminder_drafts(session: Session, library: PathwayLibrary, case: Case, kind: str,
                    key: str) -> list[tuple[Draft, User | None]]:
    """The reminder of the case's current step to each of its workers, in their language: `due_soon`,
    `overdue`, or `desk_reminder` (sent by an operator from the desk page)."""
    pathway = library.revision(case.revision_id, session).pathway
    stage = pathway.stage(case.stage_id)
    workers = [m.person_id for m in case.members if m.kind == "worker"]
    users = _users(session, workers)
    drafts = []
    for person in workers:
        user = users.get(person)
        lang = language_of(user)
        with force_locale(lang):
            title = localize(stage.title, lang) if stage else case.stage_id
            if kind == "due_soon":
                subject = _("Reminder: the step %(stage)s is due soon", stage=title)
                body = _("The step %(stage)s of your pathway should be completed within a few days.",
                         stage=title)
            elif kind == "overdue":
                subject = _("The step %(stage)s is late", stage=title)
                body = _("The step %(stage)s of your pathway is past its due date. "
                         "Please contact your help desk.", stage=title)
            else:
                subject = _("Your help desk reminds you of the step %(stage)s", stage=title)
                body = _("Your help desk reminds you of what the step %(stage)s of your pathway still asks.",
                         stage=title)
            body = "\n\n".join([body, _tasks_text(stage, lang)])
        drafts.append((Draft(f"{key}:{person}", person, kind, case.id, None, subject, body, case_link(case.id)),
                       user))
    return drafts

