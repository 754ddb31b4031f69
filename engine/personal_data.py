"""A worker's personal data in the engine's tables: everything about one person, and its erasure.

Erasure replaces the person's id by a random pseudonym everywhere (members, events, ticks, forms,
sign-offs), removes their name, sex and year of birth, their documents (and the files, when no one else's row uses the same
bytes), their answers to assessments and — on cases they followed alone — the form contents. What stays
is the anonymous structure: the cases, their stages, outcomes, dates, scores and the sequence of events,
so programme statistics keep counting. The event log is append-only except for this one legal duty (the
database refuses any other UPDATE or DELETE: `erasure_gate`); each erased case is re-chained
(engine/events.py) and gets a `person_erased` event saying what was rewritten and removed, without saying
who. A case the person followed alone is closed (outcome `withdrawn`, a `closed` event whose reason is
`person_erased`): left active it would run its deadlines for nobody.

Names are scrubbed from free text with `NameScrubber`: whole words, longest name first, ignoring case and
accents. Other kinds of personal data (the databank's profile, the web UI's notes, ...) join through
`PERSONAL_DATA_KINDS` (`register_kind`): an exporter and an eraser each, run by the web UI's export and
erasure in the same transaction as the engine's part.
"""
from __future__ import annotations

import re
import unicodedata
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable, Iterator

from sqlalchemy import Connection, Text, cast, delete, func, insert, or_, select, update
from sqlalchemy.exc import DBAPIError

from . import audit
from .events import append as append_event, rechain
from .models import (
    PARTIES, AppendOnlyGate, AssessmentResponse, Case, CaseDocument, CaseMember, ChecklistTick, Event, FormData,
    SignOff, party_actor_id, utcnow,
)

CASES, MEMBERS, EVENTS = Case.__table__, CaseMember.__table__, Event.__table__
TICKS, DOCUMENTS, FORMS = ChecklistTick.__table__, CaseDocument.__table__, FormData.__table__
SIGNOFFS, RESPONSES = SignOff.__table__, AssessmentResponse.__table__
GATE = AppendOnlyGate.__table__
AUDIT = audit.AUDIT
ERASED_NAME = "—"
PERSONAL_EVENT_KEYS = ("data", "comment", "reason", "filename", "evidence_filename")  # free text naming someone
DOCUMENT_EVENTS = ("document_attached", "document_removed")
ERASURE_REASON = "person_erased"  # the reason of the `closed` event of a case left without its only worker
ERASURE_OUTCOME = "withdrawn"


class NameScrubber:
    """Replaces a person's names (and contacts) in free text: whole words only, the longest name first (so
    "Anna Rossi" goes whole, not as "— Rossi"), ignoring case and accents ("ANNA RÒSSI" too)."""

    def __init__(self, names: Iterable[str]):
        folded = sorted({_fold(n).strip() for n in names if n and n.strip() and n != ERASED_NAME},
                        key=len, reverse=True)
        folded = [f for f in folded if f]
        self.pattern = re.compile(r"(?<!\w)(?:" + "|".join(
            r"\s+".join(re.escape(part) for part in f.split()) for f in folded) + r")(?!\w)") if folded else None

    def __call__(self, text: str | None) -> str:
        text = text or ""
        if self.pattern is None or not text:
            return text
        folded, origin = _fold_with_origin(text)
        spans = [(origin[m.start()], origin[m.end() - 1] + 1) for m in self.pattern.finditer(folded)]
        for start, end in reversed(spans):
            text = text[:start] + ERASED_NAME + text[end:]
        return text

    def names_in(self, text: str | None) -> bool:
        return bool(self.pattern and text and self.pattern.search(_fold_with_origin(text)[0]))


def _fold_char(char: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)).casefold()


def _fold(text: str) -> str:
    return "".join(_fold_char(c) for c in text)


def _fold_with_origin(text: str) -> tuple[str, list[int]]:
    """The text without accents and case, with the index in `text` of each of its characters."""
    out: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        folded = _fold_char(char)
        out.append(folded)
        origin.extend([index] * len(folded))
    return "".join(out), origin


@dataclass
class Erasure:
    """One person's erasure, as the erasers of each kind of personal data see it (one transaction)."""

    connection: Connection
    person_id: str
    pseudonym: str
    actor_id: str
    now: datetime
    case_ids: list[int]
    alone: set[int]  # the cases the person followed as the only worker
    scrub: NameScrubber
    released: set[str]  # file hashes to delete once the transaction committed


@dataclass(frozen=True)
class PersonalDataKind:
    """A kind of personal data kept outside the engine's case tables: `export(connection, person_id, lang)`
    gives its part of the person's download (JSON-ready), `erase(erasure)` erases or anonymises it, and
    `words(connection, person_id)` says how it names or reaches the person (scrubbed from free text
    everywhere before anything is erased)."""

    name: str
    export: Callable[[Connection, str, str], Any]
    erase: Callable[[Erasure], None]
    words: Callable[[Connection, str], Iterable[str]] = lambda _connection, _person_id: ()


PERSONAL_DATA_KINDS: list[PersonalDataKind] = []


def register_kind(kind: PersonalDataKind) -> PersonalDataKind:
    """Adds (or replaces, by name) a kind of personal data to every export and erasure."""
    PERSONAL_DATA_KINDS[:] = [k for k in PERSONAL_DATA_KINDS if k.name != kind.name] + [kind]
    return kind


def export_kinds(connection: Connection, person_id: str, lang: str = "en") -> dict[str, Any]:
    return {kind.name: kind.export(connection, person_id, lang) for kind in PERSONAL_DATA_KINDS}


def words_of_kinds(connection: Connection, person_id: str) -> set[str]:
    return {word for kind in PERSONAL_DATA_KINDS for word in kind.words(connection, person_id) if word}


def erase_kinds(erasure: Erasure) -> None:
    for kind in PERSONAL_DATA_KINDS:
        kind.erase(erasure)


def alone_cases(connection: Connection, case_ids: list[int]) -> set[int]:
    """The cases among `case_ids` with one worker."""
    return set(connection.execute(
        select(MEMBERS.c.case_id).where(MEMBERS.c.case_id.in_(case_ids), MEMBERS.c.kind == "worker")
        .group_by(MEMBERS.c.case_id).having(func.count() == 1)).scalars())


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
    decisions: list[dict[str, Any]] = field(default_factory=list)  # the sign-offs given on their cases, parties' too

    def as_dict(self) -> dict[str, Any]:
        return {"person": self.person_id, "cases": self.cases, "memberships": self.memberships,
                "events": self.events, "forms": self.forms, "documents": self.documents,
                "assessments": self.assessments, "decisions": self.decisions}


def _plain(row: Any) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row._mapping.items()}


def case_ids_of(connection: Connection, person_id: str) -> list[int]:
    return list(connection.execute(select(MEMBERS.c.case_id).where(
        MEMBERS.c.person_id == person_id).distinct().order_by(MEMBERS.c.case_id)).scalars())


def export_person(connection: Connection, person_id: str) -> PersonalData:
    out = PersonalData(person_id)
    case_ids = case_ids_of(connection, person_id)
    out.cases = [_plain(r) for r in connection.execute(
        select(CASES).where(CASES.c.id.in_(case_ids)).order_by(CASES.c.id))]
    out.memberships = [_plain(r) for r in connection.execute(select(
        MEMBERS.c.case_id, MEMBERS.c.kind, MEMBERS.c.display_name, MEMBERS.c.sex, MEMBERS.c.birth_year)
        .where(MEMBERS.c.person_id == person_id).order_by(MEMBERS.c.case_id, MEMBERS.c.kind))]
    out.events = [_plain(r) for r in connection.execute(select(EVENTS).where(
        EVENTS.c.case_id.in_(case_ids)).order_by(EVENTS.c.case_id, EVENTS.c.seq))]
    out.forms = [_plain(r) for r in connection.execute(select(FORMS).where(FORMS.c.case_id.in_(case_ids))
        .order_by(FORMS.c.case_id, FORMS.c.id))]
    out.documents = [_plain(r) for r in connection.execute(select(DOCUMENTS).where(
        DOCUMENTS.c.case_id.in_(case_ids), DOCUMENTS.c.removed_at.is_(None),
        or_(DOCUMENTS.c.member_id == person_id, DOCUMENTS.c.uploaded_by == person_id, DOCUMENTS.c.member_id == ""))
        .order_by(DOCUMENTS.c.case_id, DOCUMENTS.c.id))]
    out.assessments = [_plain(r) for r in connection.execute(select(RESPONSES).where(
        RESPONSES.c.person_id == person_id).order_by(RESPONSES.c.id))]
    out.decisions = [_plain(r) for r in connection.execute(
        select(SIGNOFFS.c.case_id, SIGNOFFS.c.stage_id, SIGNOFFS.c.signoff_id, SIGNOFFS.c.role, SIGNOFFS.c.decision,
               SIGNOFFS.c.comment, SIGNOFFS.c.signed_at, PARTIES.c.organisation.label("party_organisation"))
        .outerjoin(PARTIES, PARTIES.c.id == SIGNOFFS.c.party_id)
        .where(SIGNOFFS.c.case_id.in_(case_ids)).order_by(SIGNOFFS.c.case_id, SIGNOFFS.c.id))]
    return out


def cases_acted_on(connection: Connection, person_id: str) -> set[int]:
    """The cases whose rows name the person as the one who acted (opened the case, ticked, uploaded, signed,
    submitted a form or answers), whether or not they are one of its people: the erasure rewrites those rows,
    so each of these cases takes its next version, with an event, like every change of a case."""
    acted = set(connection.execute(select(CASES.c.id).where(CASES.c.opened_by == person_id)).scalars())
    for table, columns in ((DOCUMENTS, ("member_id", "uploaded_by", "removed_by")), (TICKS, ("member_id", "ticked_by")),
                           (SIGNOFFS, ("actor_id",)), (FORMS, ("submitted_by",)),
                           (RESPONSES, ("person_id", "updated_by", "submitted_by"))):
        acted |= set(connection.execute(select(table.c.case_id).where(
            or_(*(table.c[column] == person_id for column in columns))).distinct()).scalars())
    return acted


def names_of(connection: Connection, person_id: str, more: Iterable[str] = ()) -> NameScrubber:
    """What stands for the person in free text: their names on every case, and `more` (account name,
    e-mail, phone...)."""
    names = set(connection.execute(select(MEMBERS.c.display_name).where(
        MEMBERS.c.person_id == person_id)).scalars()) | set(more)
    return NameScrubber(n for n in names if n)


def erase_person(connection: Connection, person_id: str, actor_id: str, now: datetime | None = None,
                 released: set[str] | None = None, words: Iterable[str] = ()) -> str:
    """Erase one person from every case (in the caller's transaction); returns the pseudonym used.
    `words`: more strings that stand for the person in free text (their e-mail, phone...).

    The hashes of the files whose documents were erased are added to `released`: once the transaction
    committed, the caller passes them to `FileStore.delete_unused` (never before: a rollback keeps the rows)."""
    now = now or utcnow()
    pseudonym = "erased-" + uuid.uuid4().hex[:12]
    case_ids = case_ids_of(connection, person_id)
    alone = alone_cases(connection, case_ids)
    names = names_of(connection, person_id, words)

    acted = cases_acted_on(connection, person_id) - set(case_ids)

    # Documents: about or by the person, or named after them (and every document of a case they followed alone).
    doomed = [d for d in connection.execute(select(
        DOCUMENTS.c.id, DOCUMENTS.c.case_id, DOCUMENTS.c.sha256, DOCUMENTS.c.filename, DOCUMENTS.c.member_id,
        DOCUMENTS.c.uploaded_by).where(DOCUMENTS.c.case_id.in_(case_ids)))
        if person_id in (d.member_id, d.uploaded_by) or d.case_id in alone or names.names_in(d.filename)]
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
        comment = ERASED_NAME if signoff.case_id in alone else names(signoff.comment)
        if comment != signoff.comment:
            connection.execute(update(SIGNOFFS).where(SIGNOFFS.c.id == signoff.id).values(comment=comment))

    rewritten: dict[int, list[int]] = {case_id: [] for case_id in case_ids}
    doomed_ids = {d.id for d in doomed}
    with erasure_gate(connection):
        _pseudonymise_audit(connection, person_id, pseudonym, names)
        for event in list(connection.execute(select(EVENTS).where(EVENTS.c.case_id.in_(case_ids)))):
            data = _scrub(dict(event.data or {}), person_id, pseudonym, names, event.case_id in alone)
            if event.type in DOCUMENT_EVENTS and data.get("document_id") in doomed_ids:
                data["filename"] = ERASED_NAME  # a document about the person names them in its file name
            actor = pseudonym if event.actor_id == person_id else event.actor_id
            if data != event.data or actor != event.actor_id:
                connection.execute(update(EVENTS).where(EVENTS.c.id == event.id).values(data=data, actor_id=actor))
                rewritten[event.case_id].append(event.seq)
        for case in list(connection.execute(select(CASES.c.id, CASES.c.title, CASES.c.status, CASES.c.stage_id, EVENTS.c.hash).join(
                EVENTS, (EVENTS.c.case_id == CASES.c.id) & (EVENTS.c.seq == CASES.c.version)).where(
                CASES.c.id.in_(case_ids)))):
            connection.execute(update(CASES).where(CASES.c.id == case.id).values(
                title=names(case.title)))
            head = rechain(connection, case.id) if rewritten[case.id] else case.hash
            if case.id in alone and case.status != "closed":
                head = _close_without_worker(connection, case.id, case.stage_id, actor_id, now, head)
            _append_erasure_event(connection, case.id, actor_id, now, head, {
                "rewritten": sorted(rewritten[case.id]), "replaced_hash": case.hash,
                "removed_documents": sorted(d.id for d in doomed if d.case_id == case.id),
                "forms_erased": case.id in alone})
        for case_id, head in sorted(connection.execute(select(CASES.c.id, EVENTS.c.hash).join(
                EVENTS, (EVENTS.c.case_id == CASES.c.id) & (EVENTS.c.seq == CASES.c.version)).where(
                CASES.c.id.in_(acted)))):
            _append_erasure_event(connection, case_id, actor_id, now, head, {
                "rewritten": [], "replaced_hash": head, "removed_documents": [], "forms_erased": False})

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


def _scrub(data: dict[str, Any], person_id: str, pseudonym: str, names: NameScrubber,
           alone: bool) -> dict[str, Any]:
    def swap(value: Any) -> Any:
        if value == person_id:
            return pseudonym
        if isinstance(value, list):
            return [swap(v) for v in value]
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        if isinstance(value, str):
            return names(value)
        return value

    out = {key: swap(value) for key, value in data.items()}
    if alone:
        for key in PERSONAL_EVENT_KEYS:
            if key in out:
                out[key] = {} if isinstance(out[key], dict) else ERASED_NAME
        if "changed" in out:
            out["changed"] = []
    return out


def _pseudonymise_audit(connection: Connection, person_id: str, pseudonym: str, names: NameScrubber) -> None:
    """The audit log names people by id (an account's id may be made from its name): where the person acted,
    is the subject, or is mentioned, the pseudonym takes their place and the subjects touched are re-chained
    (inside the erasure's gate)."""
    touched: set[tuple[str, str]] = set()
    for entry in list(connection.execute(select(AUDIT).where(or_(
            AUDIT.c.actor_id == person_id, AUDIT.c.subject_id == person_id,
            cast(AUDIT.c.data, Text).contains(person_id))))):
        subject_id = pseudonym if entry.subject_id == person_id else entry.subject_id
        connection.execute(update(AUDIT).where(AUDIT.c.id == entry.id).values(
            subject_id=subject_id, actor_id=pseudonym if entry.actor_id == person_id else entry.actor_id,
            data=_scrub(dict(entry.data or {}), person_id, pseudonym, names, False)))
        touched.add((entry.subject_type, subject_id))
    for subject_type, subject_id in sorted(touched):
        audit.rechain(connection, subject_type, subject_id)


def _close_without_worker(connection: Connection, case_id: int, stage_id: str | None, actor_id: str, now: datetime,
                          head: str) -> str:
    """The case loses its only worker: it is closed as withdrawn, with the erasure as its reason, like the
    operator's withdrawal (the same `closed` event, which `opera check` replays)."""
    version = connection.execute(update(CASES).where(CASES.c.id == case_id).values(
        version=CASES.c.version + 1, status="closed", outcome=ERASURE_OUTCOME, closed_at=now, due_at=None,
        held_at=None).returning(CASES.c.version)).scalar_one()
    return append_event(connection, case_id=case_id, seq=version, type="closed", actor_id=actor_id,
                        actor_roles=["admin"], at=now, stage_id=stage_id, prev_hash=head,
                        data={"outcome": ERASURE_OUTCOME, "reason": ERASURE_REASON})


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
    scrub = NameScrubber({row.name, row.email, row.phone} - {"", ERASED_NAME})
    connection.execute(update(PARTIES).where(PARTIES.c.id == party_id).values(
        name=ERASED_NAME, email="", phone="", account_id=None))
    for signoff in list(connection.execute(select(SIGNOFFS.c.id, SIGNOFFS.c.comment).where(
            SIGNOFFS.c.party_id == party_id, SIGNOFFS.c.comment != ""))):
        comment = scrub(signoff.comment)
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
            scrubbed = {k: (ERASED_NAME if k == "name" else scrub(v) if isinstance(v, str) else v)
                        for k, v in data.items()}
            if scrubbed != data:
                connection.execute(update(EVENTS).where(EVENTS.c.id == event.id).values(data=scrubbed))
                rewritten.append(event.seq)
        if rewritten:
            head = rechain(connection, row.case_id)
        _append_erasure_event(connection, row.case_id, actor_id, now, head, {
            "rewritten": sorted(rewritten), "replaced_hash": replaced, "removed_documents": [], "forms_erased": False})
    return True
