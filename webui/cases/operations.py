"""The case page's changes that are not engine operations alone: workers registered while a case is opened or
its group changes, notes and meetings; from the desk list, reminders to the workers and saved filters.

Each is one transaction. A worker's new account is written inside the engine's operation (its `together`
write), so the account and the case land together or not at all, and the case's event lists the accounts it
created. A note or a meeting changes no state of the case: it is a `case_notes` row and one audit entry whose
subject is the case (not a case event, which would claim the case's version and make every page open on the
case out of date for a remark). The entry names the note, never its text: the audit log is append-only, and
notes are personal data that erasure rewrites.
"""
from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from engine import Actor, Member, Receipt
from engine.audit import record
from engine.db import writing
from engine.i18n import localize
from engine.models import Case, utcnow

from ..models import CaseNote, SavedFilter, User, UserRole
from ..services import services

USERS = User.__table__
ROLES = UserRole.__table__


class AccountTaken(Exception):
    """A worker's e-mail was given to another account meanwhile: neither the account nor the case change."""

    def __init__(self, emails: Sequence[str]):
        super().__init__(", ".join(emails))
        self.emails = list(emails)

    def message(self) -> str:
        return _("The e-mail %(email)s was just given to another account: nothing is saved. "
                 "Check the workers and try again.", email=", ".join(self.emails))


@dataclass
class TypedWorker:
    """A worker as typed in a form: a known worker's e-mail reuses that person, anyone else is registered."""

    name: str
    email: str
    sex: str | None
    birth_year_text: str


def worker_from(session: Session, typed: TypedWorker) -> tuple[Member | None, User | None, str | None]:
    """(the member, the account to create or None, None) or (None, None, the localized refusal)."""
    name, email = typed.name.strip(), typed.email.strip().lower()
    year_text = typed.birth_year_text.strip()
    birth_year = int(year_text) if year_text.isdigit() and len(year_text) <= 6 else None
    if year_text and birth_year is None:
        return None, None, _("Write the year of birth of %(name)s with digits (for example 1975), or leave it empty.",
                             name=name or email)
    if email:
        existing = session.scalar(select(User).where(User.email == email))
        if existing is not None:
            if not existing.has("worker"):
                return None, None, _("%(email)s belongs to a staff account, not to a worker.", email=email)
            return Member(existing.id, existing.display_name, typed.sex, birth_year), None, None
    if not name:
        return None, None, _("Give the name of the worker with the e-mail %(email)s.", email=email) if email \
            else _("Give the name of the worker.")
    account = User(id=f"w-{_slug(name)}-{secrets.token_hex(3)}", email=email or None, display_name=name,
                   password_hash=None, roles=["worker"], language=None, disabled=False, failed_logins=0)
    return Member(account.id, name, typed.sex, birth_year), account, None


def set_worker_contact(sessions: sessionmaker[Session], actor: Actor, person_id: str, email: str,
                       phone: str) -> str | None:
    """The e-mail and phone of a worker, noted by their help desk (an offline worker gets an e-mail address
    later, or is reached by phone): one transaction with its audit entry, which names the fields changed,
    never their values. None, or the localized reason it is refused."""
    email, phone = email.strip().lower(), " ".join(phone.split())
    if email and ("@" not in email or any(c.isspace() for c in email) or len(email) > 254):
        return _("Write a valid e-mail address, or leave it empty.")
    if len(phone) > 40 or any(c.isalpha() for c in phone):
        return _("Write the phone number with digits (at most 40 characters), or leave it empty.")
    with writing(sessions).begin() as session:
        user = session.get(User, person_id)
        if email and email != (user.email or "") and session.scalar(select(User.id).where(User.email == email)):
            return _("%(email)s is the e-mail of another account.", email=email)
        changed = [name for name, old, new in (("email", user.email or "", email), ("phone", user.phone, phone))
                   if old != new]
        if changed:
            user.email, user.phone = email or None, phone
            session.flush()
            record(session.connection(), subject_type="user", subject_id=person_id, type="contact_changed",
                   actor_id=actor.id, actor_roles=actor.roles, data={"fields": changed})
    return None


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:30] or "worker"


def accounts_together(accounts: Sequence[User]):  # noqa: ANN201
    """The engine operation's `together` write that creates the new workers' accounts."""
    if not accounts:
        return None

    def write(connection: Connection) -> dict[str, Any]:
        try:
            connection.execute(insert(USERS), [
                {"id": a.id, "email": a.email, "display_name": a.display_name, "password_hash": None,
                 "language": a.language, "disabled": False, "failed_logins": 0, "created_at": utcnow()}
                for a in accounts])
        except IntegrityError:
            raise AccountTaken([a.email for a in accounts if a.email] or [a.id for a in accounts]) from None
        connection.execute(insert(ROLES), [{"user_id": a.id, "role": role} for a in accounts for role in a.roles])
        return {"accounts_created": [a.id for a in accounts]}

    return write


def open_case(actor: Actor, *, new_accounts: Sequence[User] = (), **case: Any) -> Receipt:
    """Open a case and create the accounts of its new workers, in one transaction."""
    return services().cases.open_case(actor, together=accounts_together(new_accounts), **case)


def add_worker(actor: Actor, case_id: int, version: int, member: Member, new_account: User | None) -> Receipt:
    """Add a worker to a group case, creating their account if they have none, in one transaction."""
    return services().cases.change_members(case_id, actor, version, add=[member],
                                           together=accounts_together([new_account] if new_account else []))


def mentor_member(session: Session, user_id: str) -> Member | None:
    """The case member for an account that may be a case's mentor (holds the role, not disabled)."""
    mentor = session.get(User, user_id) if user_id else None
    if mentor is None or not mentor.has("mentor") or mentor.disabled:
        return None
    return Member(mentor.id, mentor.display_name)


def add_note(sessions: sessionmaker[Session], actor: Actor, case_id: int, body: str) -> int:
    """A note on a case: its row and its audit entry, in one transaction."""
    return _note(sessions, actor, case_id, "note_added", CaseNote(kind="note", body=body))


def add_meeting(sessions: sessionmaker[Session], actor: Actor, case_id: int, when: datetime, place: str,
                body: str) -> int:
    """A meeting with the worker(s): its row and its audit entry, in one transaction."""
    return _note(sessions, actor, case_id, "meeting_recorded",
                 CaseNote(kind="meeting", body=body, place=place, meeting_at=when))


def _note(sessions: sessionmaker[Session], actor: Actor, case_id: int, entry_type: str, note: CaseNote) -> int:
    with writing(sessions).begin() as session:
        note.case_id, note.author_id = case_id, actor.id
        session.add(note)
        session.flush()
        record(session.connection(), subject_type="case", subject_id=case_id, type=entry_type, actor_id=actor.id,
               actor_roles=actor.roles, data={"note": note.id, "kind": note.kind})
        return note.id


class NotActive(Exception):
    """A reminder about a case that is on hold or closed: there is no step to remind of."""


def remind_workers(sessions: sessionmaker[Session], actor: Actor, case_id: int) -> int:
    """A reminder of the case's current step to each of its workers (outbox rows, at most one a day per step)
    and the case's audit entry, in one transaction; returns how many messages were queued."""
    from engine import policy

    from ..notifications.rules import reminder_drafts, write

    with writing(sessions).begin() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise LookupError(case_id)
        refusal = policy.manage_refusal(actor, case)
        if refusal is not None:
            raise refusal
        if case.status != "active":
            raise NotActive(case_id)
        today = utcnow().date().isoformat()
        key = f"desk_reminder:{case.id}:{case.stage_id}:{case.stage_visit}:{today}"
        added = write(session, reminder_drafts(session, services().library, case, "desk_reminder", key))
        record(session.connection(), subject_type="case", subject_id=case_id, type="reminder_sent",
               actor_id=actor.id, actor_roles=actor.roles, data={"stage": case.stage_id, "messages": added})
        return added


def save_filter(sessions: sessionmaker[Session], actor: Actor, name: str, query: dict[str, str]) -> int:
    """Keep the desk list's filters under a name (the same name replaces them) and the user's audit entry."""
    with writing(sessions).begin() as session:
        saved = session.scalar(select(SavedFilter).where(SavedFilter.user_id == actor.id, SavedFilter.name == name))
        if saved is None:
            saved = SavedFilter(user_id=actor.id, name=name)
            session.add(saved)
        saved.query = dict(query)
        session.flush()
        record(session.connection(), subject_type="user", subject_id=actor.id, type="filter_saved",
               actor_id=actor.id, actor_roles=actor.roles, data={"filter": saved.id})
        return saved.id


def delete_filter(sessions: sessionmaker[Session], actor: Actor, filter_id: int) -> bool:
    """Forget one of the user's own saved filters; False when it is not theirs (or gone)."""
    with writing(sessions).begin() as session:
        saved = session.get(SavedFilter, filter_id)
        if saved is None or saved.user_id != actor.id:
            return False
        session.delete(saved)
        record(session.connection(), subject_type="user", subject_id=actor.id, type="filter_deleted",
               actor_id=actor.id, actor_roles=actor.roles, data={"filter": filter_id})
        return True


def send_signing_link(actor: Actor, case_id: int, version: int, party_id: int, signoff_id: str) -> Receipt:
    """Send a party a signing link for a sign-off of the current stage: the operation and the e-mail in the
    outbox (in the party's language), in one transaction; the link itself is only in the e-mail."""
    from ..notifications.models import OutboxMessage  # the notifications read the cases' operations
    from ..notifications.rules import base_url

    with services().sessions() as session:
        case = session.get(Case, case_id)
        stage = services().library.revision(case.revision_id).pathway.stage(case.stage_id) if case else None
    rule = stage.requirement(signoff_id) if stage is not None else None

    def queue_email(connection: Connection, token: str, party: Any) -> None:
        link = f"{base_url()}/sign/{token}"
        label = localize(rule.label, party.language) if rule is not None else signoff_id
        with force_locale(party.language):
            subject = _("Your decision is asked for: %(label)s", label=label)
            body = "\n\n".join([
                _("Dear %(name)s,", name=party.name),
                _("the help desk following case #%(case)d asks %(organisation)s for a decision on: %(label)s.",
                  case=case_id, organisation=party.organisation, label=label),
                _("Open this link to read what you are asked to approve, then approve it, request changes or "
                  "decline. The link works once and expires in 14 days:"),
                link])
        connection.execute(insert(OutboxMessage.__table__), {
            "key": f"signing_link:{token[:16]}", "recipient_id": f"party:{party.id}", "email": party.email,
            "kind": "signing_link", "case_id": case_id, "event_id": None, "language": party.language,
            "subject": subject[:300], "body": body, "link": link[:500], "status": "pending", "attempts": 0,
            "next_attempt_at": utcnow(), "last_error": "", "created_at": utcnow()})

    receipt, _token = services().cases.send_signing_link(case_id, actor, version, party_id, signoff_id,
                                                         together=queue_email)
    return receipt
