"""A worker's personal data across the engine and the web UI: export (JSON + documents, as a zip),
erasure, and the retention sweep.

The engine's tables are covered by `engine.personal_data`; this module adds the web UI's own: the account,
notes and meetings, notifications, sign-in links, consents and the staff access log. Erasure runs in one
transaction: either all of it happens, or nothing.
"""
from __future__ import annotations

import hashlib
import io
import json
import time
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, TypeVar

from sqlalchemy import Connection, Engine, delete, or_, select, update

import databank.personal_data  # noqa: F401 - the databank's profiles join the export and the erasure
from engine.db import checkpoint_after_erasure, writing
from engine.files import FileStore
from engine.models import Case, CaseMember, utcnow
from engine.personal_data import (
    ERASED_NAME, Erasure, alone_cases, case_ids_of, erase_kinds, erase_person, export_kinds,
    export_person, names_of, words_of_kinds,
)

from ..dossier.cache import forget_pdfs
from ..models import CaseNote, DeskMembership, LoginThrottle, User, UserRole
from ..notifications.models import OutboxMessage
from .models import AccessToken, ConsentRecord, StaffAccessLog

USERS, ROLES, DESK_LINKS = User.__table__, UserRole.__table__, DeskMembership.__table__
NOTES, OUTBOX, TOKENS = CaseNote.__table__, OutboxMessage.__table__, AccessToken.__table__
CONSENTS, ACCESS_LOG, THROTTLES = ConsentRecord.__table__, StaffAccessLog.__table__, LoginThrottle.__table__
CASES, MEMBERS = Case.__table__, CaseMember.__table__


def _plain(row: Any) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row._mapping.items()}


def notes_about(connection: Connection, person_id: str, case_ids: list[int]) -> list[dict[str, Any]]:
    """The notes and meetings about the person: all those of the cases they follow alone, and those of group
    cases that name them (the others are about the group, and may be about other people)."""
    alone = alone_cases(connection, case_ids)
    user = connection.execute(select(USERS.c.display_name, USERS.c.email, USERS.c.phone).where(
        USERS.c.id == person_id)).first()
    names = names_of(connection, person_id, [*(user or ()), *words_of_kinds(connection, person_id)])
    return [_plain(r) for r in connection.execute(select(
        NOTES.c.id, NOTES.c.case_id, NOTES.c.kind, NOTES.c.body, NOTES.c.meeting_at, NOTES.c.place,
        NOTES.c.created_at).where(NOTES.c.case_id.in_(case_ids)).order_by(NOTES.c.case_id, NOTES.c.created_at))
        if r.case_id in alone or names.names_in(r.body) or names.names_in(r.place)]


def export_data(connection: Connection, person_id: str, lang: str = "en") -> dict[str, Any]:
    """Everything held about the person, JSON-ready (the documents' bytes apart)."""
    user = connection.execute(select(USERS).where(USERS.c.id == person_id)).first()
    engine_part = export_person(connection, person_id).as_dict()
    case_ids = case_ids_of(connection, person_id)
    account = None
    if user is not None:
        account = {k: v for k, v in _plain(user).items() if k != "password_hash"}
    notes = notes_about(connection, person_id, case_ids)
    return {
        "exported_at": utcnow().isoformat(),
        "account": account,
        **engine_part,
        "notes": [n for n in notes if n["kind"] != "meeting"],
        "meetings": [n for n in notes if n["kind"] == "meeting"],
        "consents": [_plain(r) for r in connection.execute(select(CONSENTS).where(
            CONSENTS.c.person_id == person_id).order_by(CONSENTS.c.given_at, CONSENTS.c.id))],
        **export_kinds(connection, person_id, lang),
        "notifications": [_plain(r) for r in connection.execute(select(
            OUTBOX.c.id, OUTBOX.c.kind, OUTBOX.c.case_id, OUTBOX.c.subject, OUTBOX.c.body, OUTBOX.c.created_at,
            OUTBOX.c.sent_at, OUTBOX.c.status).where(OUTBOX.c.recipient_id == person_id))],
        "staff_views": [_plain(r) for r in connection.execute(select(ACCESS_LOG).where(
            ACCESS_LOG.c.person_id == person_id))],
    }


def export_zip(connection: Connection, files: FileStore, person_id: str, lang: str = "en",
               summary: Callable[[dict[str, Any]], str] | None = None) -> bytes:
    """Everything held about the person: data.json, a readable summary.html (`summary` renders it, in the
    person's language), and their documents under documents/."""
    data = export_data(connection, person_id, lang)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, indent=2, ensure_ascii=False, default=str))
        if summary is not None:
            archive.writestr("summary.html", summary(data))
        for document in data["documents"]:
            if files.exists(document["sha256"]):
                archive.writestr(f"documents/{document['id']}-{document['filename']}", files.read(document["sha256"]))
    return buffer.getvalue()


def erase_worker(connection: Connection, person_id: str, actor_id: str, now: datetime | None = None,
                 released: set[str] | None = None) -> str:
    """Erase a person (in the caller's transaction): the engine's rows, then the web UI's; returns the
    pseudonym that now stands for them in the anonymous structure. The files of the erased documents are
    added to `released`, for the caller to pass to `FileStore.delete_unused` once the transaction committed."""
    now = now or utcnow()
    released = released if released is not None else set()
    user = connection.execute(select(USERS).where(USERS.c.id == person_id)).first()
    # Every way the person is named or reached, read before anything is erased.
    words = words_of_kinds(connection, person_id)
    if user is not None:
        words |= {user.display_name, user.email or "", user.phone or ""}
    words = {w for w in words if w and w != ERASED_NAME}
    scrub = names_of(connection, person_id, words)
    case_ids = case_ids_of(connection, person_id)
    alone = alone_cases(connection, case_ids)

    pseudonym = erase_person(connection, person_id, actor_id, now, released, words)
    erase_kinds(Erasure(connection, person_id, pseudonym, actor_id, now, case_ids, alone, scrub, released))
    forget_pdfs(connection, case_ids, released)  # their dossiers name the person

    # Notes and meetings: on a case the person followed alone they are about them; elsewhere, names go.
    for note in list(connection.execute(select(NOTES).where(NOTES.c.case_id.in_(case_ids)))):
        if note.case_id in alone:
            values = {"body": ERASED_NAME if note.body else "", "place": ""}
        else:
            values = {"body": scrub(note.body), "place": scrub(note.place)}
        if note.author_id == person_id:
            values["author_id"] = pseudonym
        connection.execute(update(NOTES).where(NOTES.c.id == note.id).values(**values))
    # Messages to the person go; messages to others about the same cases lose the names.
    connection.execute(delete(OUTBOX).where(OUTBOX.c.recipient_id == person_id))
    for message in list(connection.execute(select(OUTBOX.c.id, OUTBOX.c.subject, OUTBOX.c.body).where(
            OUTBOX.c.case_id.in_(case_ids)))):
        connection.execute(update(OUTBOX).where(OUTBOX.c.id == message.id).values(
            subject=scrub(message.subject), body=scrub(message.body)))
    connection.execute(update(CONSENTS).where(CONSENTS.c.person_id == person_id).values(person_id=pseudonym))
    connection.execute(update(ACCESS_LOG).where(ACCESS_LOG.c.person_id == person_id).values(person_id=pseudonym))
    connection.execute(delete(TOKENS).where(TOKENS.c.user_id == person_id))
    if user is not None and user.email:
        key = "email:" + hashlib.sha256(user.email.strip().lower().encode()).hexdigest()[:40]
        connection.execute(delete(THROTTLES).where(THROTTLES.c.key == key))
    connection.execute(delete(ROLES).where(ROLES.c.user_id == person_id))
    connection.execute(delete(DESK_LINKS).where(DESK_LINKS.c.user_id == person_id))
    connection.execute(delete(USERS).where(USERS.c.id == person_id))
    return pseudonym


T = TypeVar("T")


def erase_for_good(engine: Engine, files: FileStore, erase: Callable[[Connection, set[str]], T]) -> T:
    """Run an erasure (`erase(connection, released)`) in one writing transaction, then delete the files no row
    uses any more and, on SQLite, empty the write-ahead log: afterwards the erased values are neither in the
    tables nor anywhere in the database's files (`secure_delete` zeroed the space they used)."""
    released: set[str] = set()
    began = time.time()
    with writing(engine).begin() as connection:
        result = erase(connection, released)
    files.delete_unused(engine, released, since=began)
    checkpoint_after_erasure(engine)
    return result


@dataclass
class RetentionReport:
    erased: list[str]
    messages: int
    links: int
    log_entries: int
    released_files: set[str] = field(default_factory=set)  # to delete once the transaction committed

    def __str__(self) -> str:
        return (f"{len(self.erased)} people erased, {self.messages} old messages, {self.links} used or expired "
                f"links, {self.log_entries} old access-log entries removed")


def apply_retention(connection: Connection, actor_id: str, *, case_days: int,
                    message_days: int = 180, log_days: int = 730, now: datetime | None = None) -> RetentionReport:
    """Erase the workers whose every case closed more than `case_days` ago; drop old messages, spent links
    and access-log entries."""
    now = now or utcnow()
    cutoff = now - timedelta(days=case_days)
    # People with a case closed before the cutoff, and no case that is still open or closed since.
    old = select(MEMBERS.c.person_id).join(CASES, CASES.c.id == MEMBERS.c.case_id).where(
        MEMBERS.c.kind == "worker", CASES.c.status == "closed", CASES.c.closed_at < cutoff)
    recent = select(MEMBERS.c.person_id).join(CASES, CASES.c.id == MEMBERS.c.case_id).where(
        MEMBERS.c.kind == "worker", or_(CASES.c.status != "closed", CASES.c.closed_at >= cutoff))
    people = sorted(set(connection.execute(old).scalars()) - set(connection.execute(recent).scalars()))
    people = [p for p in people if not p.startswith("erased-")]
    released: set[str] = set()
    for person in people:
        erase_worker(connection, person, actor_id, now, released)
    messages = connection.execute(delete(OUTBOX).where(
        OUTBOX.c.status.in_(["sent", "in_app"]), OUTBOX.c.created_at < now - timedelta(days=message_days))).rowcount
    links = connection.execute(delete(TOKENS).where(or_(
        TOKENS.c.used_at.is_not(None), TOKENS.c.expires_at < now))).rowcount
    log_entries = connection.execute(delete(ACCESS_LOG).where(
        ACCESS_LOG.c.at < now - timedelta(days=log_days))).rowcount
    return RetentionReport(people, messages, links, log_entries, released)
