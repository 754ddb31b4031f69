"""A worker's personal data in the engine's tables: everything about one person, and its erasure.

Erasure replaces the person's id by a random pseudonym everywhere (members, events, ticks, forms,
sign-offs), removes their name, sex and year of birth, their documents (and the files, when no one else's row uses the same
bytes), their answers to assessments and — on cases they followed alone — the form contents. What stays
is the anonymous structure: the cases, their stages, outcomes, dates, scores and the sequence of events,
so programme statistics keep counting. The event log is append-only except for this one legal duty (the
database refuses any other UPDATE or DELETE: `erasure_gate`); each erased case is re-chained
(engine/events.py) and gets a `person_erased` event saying what was rewritten and removed, without saying
who.
"""
from __future__ import annotations

import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterator

from sqlalchemy import Connection, delete, func, insert, or_, select, update
from sqlalchemy.exc import DBAPIError

from .events import append as append_event, rechain
from .models import (
    PARTIES, AppendOnlyGate, AssessmentResponse, Case, CaseDocument, CaseMember, ChecklistTick, Event, FormData,
    SignOff, party_actor_id, utcnow,
)

CASES, MEMBERS, EVENTS = Case.__table__, CaseMember.__table__, Event.__table__
TICKS, DOCUMENTS, FORMS = ChecklistTick.__table__, CaseDocument.__table__, FormData.__table__
SIGNOFFS, RESPONSES = SignOff.__table__, AssessmentResponse.__table__
GATE = AppendOnlyGate.__table__
ERASED_NAME = "—"
PERSONAL_EVENT_KEYS = ("data", "comment", "reason", "filename", "evidence_filename")  # free text that may name or describe someone


@dataclass
class PersonalData:
    """All the engine holds about one person, ready to be written out as JSON (plus the files)."""

    person_id: str
    cases: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    forms: list[dict[str, Any]] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)  # with sha256 to fetch the bytes
    assessments: list[dict[str, Any]] = field(default_factory=list)
    memberships: list[dict[str, Any]] = field(default_factory=list)  # as recorded on each case: name, sex, year

    def as_dict(self) -> dict[str, Any]:
        return {"person": self.person_id, "cases": self.cases, "memberships": self.memberships,
                "events": self.events, "forms": self.forms, "documents": self.documents,
                "assessments": self.assessments}


def _plain(row: Any) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row._mapping.items()}


def case_ids_of(connection: Connection, person_id: str) -> list[int]:
    return list(connection.execute(select(MEMBERS.c.case_id).where(
        MEMBERS.c.person_id == person_id).distinct().order_by(MEMBERS.c.case_id)).scalars())


def export_person(connection: Connection, person_id: str) -> PersonalData:
    out = PersonalData(person_id)
    case_ids = case_ids_of(connection, person_id)
    out.cases = [_plain(r) for r in connection.execute(select(CASES).where(CASES.c.id.in_(case_ids)))]
    out.memberships = [_plain(r) for r in connection.execute(select(
        MEMBERS.c.case_id, MEMBERS.c.kind, MEMBERS.c.display_name, MEMBERS.c.sex, MEMBERS.c.birth_year)
        .where(MEMBERS.c.person_id == person_id).order_by(MEMBERS.c.case_id, MEMBERS.c.kind))]
    out.events = [_plain(r) for r in connection.execute(select(EVENTS).where(
        EVENTS.c.case_id.in_(case_ids)).order_by(EVENTS.c.case_id, EVENTS.c.seq))]
    out.forms = [_plain(r) for r in connection.execute(select(FORMS).where(FORMS.c.case_id.in_(case_ids)))]
    out.documents = [_plain(r) for r in connection.execute(select(DOCUMENTS).where(
        DOCUMENTS.c.case_id.in_(case_ids), DOCUMENTS.c.removed_at.is_(None),
        or_(DOCUMENTS.c.member_id == person_id, DOCUMENTS.c.uploaded_by == person_id, DOCUMENTS.c.member_id == "")))]
    out.assessments = [_plain(r) for r in connection.execute(select(RESPONSES).where(
        RESPONSES.c.person_id == person_id))]
    return out


def erase_person(connection: Connection, person_id: str, actor_id: str, now: datetime | None = None,
                 released: set[str] | None = None) -> str:
    """Erase one person from every case (in the caller's transaction); returns the pseudonym used.

    The hashes of the files whose documents were erased are added to `released`: once the transaction
    committed, the caller passes them to `FileStore.delete_unused` (never before: a rollback keeps the rows)."""
    now = now or utcnow()
    pseudonym = "erased-" + uuid.uuid4().hex[:12]
    case_ids = case_ids_of(connection, person_id)
    alone = set(connection.execute(
        select(MEMBERS.c.case_id).where(MEMBERS.c.case_id.in_(case_ids), MEMBERS.c.kind == "worker")
        .group_by(MEMBERS.c.case_id).having(func.count() == 1)).scalars())
    names = set(connection.execute(select(MEMBERS.c.display_name).where(
        MEMBERS.c.person_id == person_id)).scalars()) - {""}

    # Documents: about or by the person (and every document of a case they followed alone).
    doomed = list(connection.execute(select(DOCUMENTS.c.id, DOCUMENTS.c.case_id, DOCUMENTS.c.sha256).where(
        DOCUMENTS.c.case_id.in_(case_ids),
        or_(DOCUMENTS.c.member_id == person_id, DOCUMENTS.c.uploaded_by == person_id,
            DOCUMENTS.c.case_id.in_(alone)))))
    if doomed:
        connection.execute(update(DOCUMENTS).where(DOCUMENTS.c.id.in_([d.id for d in doomed])).values(
            filename=ERASED_NAME, removed_at=func.coalesce(DOCUMENTS.c.removed_at, now), removed_by=actor_id))
    connection.execute(update(DOCUMENTS).where(DOCUMENTS.c.member_id == person_id).values(member_id=pseudonym))
    connection.execute(update(DOCUMENTS).where(DOCUMENTS.c.uploaded_by == person_id).values(uploaded_by=pseudonym))
    connection.execute(update(DOCUMENTS).where(DOCUMENTS.c.removed_by == person_id).values(removed_by=pseudonym))

    # Who did what: the pseudonym instead of the person.
    connection.execute(update(MEMBERS).where(MEMBERS.c.person_id == person_id).values(
        person_id=pseudonym, display_name=ERASED_NAME, sex=None, birth_year=None))
    connection.execute(update(TICKS).where(TICKS.c.member_id == person_id).values(member_id=pseudonym))
    connection.execute(update(TICKS).where(TICKS.c.ticked_by == person_id).values(ticked_by=pseudonym))
    connection.execute(update(SIGNOFFS).where(SIGNOFFS.c.actor_id == person_id).values(actor_id=pseudonym))
    connection.execute(update(FORMS).where(FORMS.c.submitted_by == person_id).values(submitted_by=pseudonym))
    connection.execute(update(CASES).where(CASES.c.opened_by == person_id).values(opened_by=pseudonym))
    # What the person wrote or was asked: answers go, the anonymous scores stay.
    connection.execute(update(RESPONSES).where(RESPONSES.c.person_id == person_id).values(
        person_id=pseudonym, answers={}))
    connection.execute(update(RESPONSES).where(RESPONSES.c.updated_by == person_id).values(updated_by=pseudonym))
    connection.execute(update(RESPONSES).where(RESPONSES.c.submitted_by == person_id).values(submitted_by=pseudonym))
    if alone:
        connection.execute(delete(FORMS).where(FORMS.c.case_id.in_(alone)))
    for signoff in list(connection.execute(select(SIGNOFFS.c.id, SIGNOFFS.c.case_id, SIGNOFFS.c.comment).where(
            SIGNOFFS.c.case_id.in_(case_ids), SIGNOFFS.c.comment != ""))):
        comment = ERASED_NAME if signoff.case_id in alone else _without_names(signoff.comment, names)
        if comment != signoff.comment:
            connection.execute(update(SIGNOFFS).where(SIGNOFFS.c.id == signoff.id).values(comment=comment))

    rewritten: dict[int, list[int]] = {case_id: [] for case_id in case_ids}
    with erasure_gate(connection):
        for event in list(connection.execute(select(EVENTS).where(EVENTS.c.case_id.in_(case_ids)))):
            data = _scrub(dict(event.data or {}), person_id, pseudonym, names, event.case_id in alone)
            actor = pseudonym if event.actor_id == person_id else event.actor_id
            if data != event.data or actor != event.actor_id:
                connection.execute(update(EVENTS).where(EVENTS.c.id == event.id).values(data=data, actor_id=actor))
                rewritten[event.case_id].append(event.seq)
        for case in list(connection.execute(select(CASES.c.id, CASES.c.title, EVENTS.c.hash).join(
                EVENTS, (EVENTS.c.case_id == CASES.c.id) & (EVENTS.c.seq == CASES.c.version)).where(
                CASES.c.id.in_(case_ids)))):
            connection.execute(update(CASES).where(CASES.c.id == case.id).values(
                title=_without_names(case.title, names)))
            head = rechain(connection, case.id) if rewritten[case.id] else case.hash
            _append_erasure_event(connection, case.id, actor_id, now, head, {
                "rewritten": sorted(rewritten[case.id]), "replaced_hash": case.hash,
                "removed_documents": sorted(d.id for d in doomed if d.case_id == case.id),
                "forms_erased": case.id in alone})

    # The bytes go once this transaction committed, if no document uses them any more (the caller deletes
    # them: content-addressed files are shared, and a rolled-back erasure must find its files).
    if released is not None:
        released.update(d.sha256 for d in doomed)
    return pseudonym


@contextmanager
def erasure_gate(connection: Connection) -> Iterator[None]:
    """Open the append-only logs to the statements run inside, in this transaction only: a row in
    `append_only_gate` lets the triggers of migration 0012 pass; no other transaction sees it (uncommitted),
    and it is gone before this one commits (PostgreSQL refuses the commit otherwise; `opera check` reports
    a gate left open on SQLite). Only the erasure uses it.

    It keeps mistakes and application code out of the logs, not someone who controls the database: the hash
    chains and `opera check` are there for that."""
    connection.execute(insert(GATE).values(id=1))
    try:
        yield
    except BaseException:
        try:
            connection.execute(delete(GATE).where(GATE.c.id == 1))
        except DBAPIError:
            pass  # the transaction is aborted (PostgreSQL): its rollback takes the row away
        raise
    connection.execute(delete(GATE).where(GATE.c.id == 1))


def _scrub(data: dict[str, Any], person_id: str, pseudonym: str, names: set[str], alone: bool) -> dict[str, Any]:
    def swap(value: Any) -> Any:
        if value == person_id:
            return pseudonym
        if isinstance(value, list):
            return [swap(v) for v in value]
        if isinstance(value, str):
            return _without_names(value, names)
        return value

    out = {key: swap(value) for key, value in data.items()}
    if alone:
        for key in PERSONAL_EVENT_KEYS:
            if key in out:
                out[key] = {} if isinstance(out[key], dict) else ERASED_NAME
        if "changed" in out:
            out["changed"] = []
    return out


def _without_names(text: str, names: set[str]) -> str:
    for name in names:
        text = text.replace(name, ERASED_NAME)
    return text


def _append_erasure_event(connection: Connection, case_id: int, actor_id: str, now: datetime, head: str,
                          data: dict[str, Any]) -> None:
    # Like every change, the erasure takes the next version of the case and leaves an event, chained to the
    # (re-chained) head. It says what it rewrote and what it removed, never who.
    version = connection.execute(update(CASES).where(CASES.c.id == case_id).values(version=CASES.c.version + 1)
                                 .returning(CASES.c.version)).scalar_one()
    append_event(connection, case_id=case_id, seq=version, type="person_erased", actor_id=actor_id,
                 actor_roles=["admin"], at=now, stage_id=None, data=data, prev_hash=head)


# --- the parties of a case (a bank's or a notary's person) ---------------------------------------------

PARTY_PERSONAL_COLUMNS = ("name", "email", "phone", "account_id")


def export_party(connection: Connection, party_id: int) -> dict[str, Any]:
    """What the engine holds about a party's person: its row, and the decisions it gave (with comments)."""
    row = connection.execute(select(PARTIES).where(PARTIES.c.id == party_id)).first()
    if row is None:
        return {}
    signoffs = connection.execute(select(SIGNOFFS).where(SIGNOFFS.c.party_id == party_id).order_by(SIGNOFFS.c.id))
    return {"party": _plain(row), "decisions": [_plain(s) for s in signoffs]}


def erase_party(connection: Connection, party_id: int, actor_id: str, now: datetime | None = None) -> bool:
    """Erase a party's person (in the caller's transaction): its name, e-mail, phone and account link go,
    the organisation and its decisions stay (anonymous: the role on the case is what counts); the events
    that named the person are rewritten, re-chained and followed by a `person_erased` event. False if there
    is no such party."""
    now = now or utcnow()
    row = connection.execute(select(PARTIES).where(PARTIES.c.id == party_id)).first()
    if row is None:
        return False
    names = {row.name} - {"", ERASED_NAME}
    connection.execute(update(PARTIES).where(PARTIES.c.id == party_id).values(
        name=ERASED_NAME, email="", phone="", account_id=None))
    for signoff in list(connection.execute(select(SIGNOFFS.c.id, SIGNOFFS.c.comment).where(
            SIGNOFFS.c.party_id == party_id, SIGNOFFS.c.comment != ""))):
        comment = _without_names(signoff.comment, names)
        if comment != signoff.comment:
            connection.execute(update(SIGNOFFS).where(SIGNOFFS.c.id == signoff.id).values(comment=comment))
    head = connection.execute(select(EVENTS.c.hash).join(CASES, (EVENTS.c.case_id == CASES.c.id)
                                                         & (EVENTS.c.seq == CASES.c.version))
                              .where(CASES.c.id == row.case_id)).scalar_one()
    rewritten, replaced = [], head
    with erasure_gate(connection):
        for event in list(connection.execute(select(EVENTS).where(EVENTS.c.case_id == row.case_id))):
            data = dict(event.data or {})
            if data.get("party") != party_id and data.get("signer") != party_actor_id(party_id):
                continue
            scrubbed = {k: (ERASED_NAME if k == "name" else _without_names(v, names) if isinstance(v, str) else v)
                        for k, v in data.items()}
            if scrubbed != data:
                connection.execute(update(EVENTS).where(EVENTS.c.id == event.id).values(data=scrubbed))
                rewritten.append(event.seq)
        if rewritten:
            head = rechain(connection, row.case_id)
        _append_erasure_event(connection, row.case_id, actor_id, now, head, {
            "rewritten": sorted(rewritten), "replaced_hash": replaced, "removed_documents": [], "forms_erased": False})
    return True
