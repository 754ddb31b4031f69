"""A worker's consent: the tick of a consent item and the record of the exact words agreed to, one operation;
and its withdrawal, at any time.

The consent record is written inside the engine's tick (its `together` write), so the tick's event and the
record land in one transaction or not at all; the event names the record. The tick's event is the one entry
of this operation (a consent belongs to a case).

A withdrawal (from the portal, or recorded by the operator from the worker's signed paper) stops the
processing: each case of the worker that is not closed is put on hold with the withdrawal as its cause (the
engine's `hold_for_withdrawn_consent`, whose `together` writes a `ConsentRecord` of kind "withdrawn"), and
their databank profiles are hidden from other desks and from the catalogue (`databank.personal_data`).
"""
from __future__ import annotations

import hashlib
from typing import Any, Callable

from dataclasses import dataclass, field

from sqlalchemy import Connection, insert, select

from databank.personal_data import resume_processing, stop_processing
from engine import Actor, ConflictError, EngineError, Receipt, audit
from engine.db import writing
from engine.i18n import localize
from engine.models import Case, CaseMember
from engine.pathway import ChecklistItem

from ..services import db, services
from .models import ConsentRecord

CONSENT_PREFIX = "consent"
CONSENTS = ConsentRecord.__table__
WITHDRAWAL = "withdrawal"  # the requirement_id of a withdrawal's record (it belongs to no requirement)
RENEWAL = "renewal"  # and of consent given again after a withdrawal
CONSENT_SUBJECT = "consent"  # the audit log's subject of a withdrawal outside any case
PORTAL, PAPER = "portal", "paper"


def write_record(connection: Connection, *, person_id: str, case_id: int | None, requirement_id: str, text: str,
                 text_version: str, language: str, kind: str = "given", recorded_by: str | None = None) -> int:
    """One consent record: the words (their digest) given or withdrawn, in which language, online or — when
    an operator records it — on paper."""
    return connection.execute(insert(CONSENTS).values(
        person_id=person_id, case_id=case_id, requirement_id=requirement_id, text_version=text_version[:20],
        text_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(), language=language, kind=kind,
        channel=PORTAL if recorded_by is None else PAPER, recorded_by=recorded_by)).inserted_primary_key[0]


def is_consent(item_id: str) -> bool:
    return item_id.startswith(CONSENT_PREFIX)


def tick_consent(actor: Actor, case_id: int, version: int, item_id: str, language: str,
                 text_version: str) -> Receipt:
    """Tick the consent item as the worker, recording the words they agreed to, in their language, with the
    version of the privacy notice."""
    case_row = db().get(Case, case_id)
    stage = services().library.revision(case_row.revision_id, db()).pathway.stage(case_row.stage_id) \
        if case_row is not None else None
    spec = stage.requirement(item_id) if stage is not None else None
    if not isinstance(spec, ChecklistItem):  # the engine refuses it with its own words
        return services().cases.tick(case_id, actor, version, item_id)
    text = localize(spec.label, language) + ("\n" + localize(spec.help, language) if spec.help else "")

    def record_consent(connection: Connection) -> dict[str, Any]:
        return {"consent_record": write_record(connection, person_id=actor.id, case_id=case_id,
                                               requirement_id=item_id, text=text, text_version=text_version,
                                               language=language)}

    return services().cases.tick(case_id, actor, version, item_id, together=record_consent)


@dataclass
class Withdrawal:
    held: list[int] = field(default_factory=list)  # cases put on hold
    refused: list[int] = field(default_factory=list)  # cases the actor may not act on (another desk's)
    profiles: list[int] = field(default_factory=list)  # databank profiles no longer shared


def withdraw_consent(actor: Actor, person_id: str, language: str, text_version: str, text: str) -> Withdrawal:
    """The worker `person_id` withdraws their consent (`actor` is the worker, or the operator recording their
    paper): every case of theirs the actor may act on and that is not closed goes on hold, each with its
    record of the words of the withdrawal; then their profiles stop being shared. Without any such case the
    record is written with an audit entry of its own."""
    recorded_by = None if actor.id == person_id else actor.id
    out = Withdrawal()

    def record(case_id: int | None) -> Callable[[Connection], dict[str, Any]]:
        def write(connection: Connection) -> dict[str, Any]:
            return {"consent_record": write_record(
                connection, person_id=person_id, case_id=case_id, requirement_id=WITHDRAWAL, text=text,
                text_version=text_version, language=language, kind="withdrawn", recorded_by=recorded_by)}
        return write

    session = db()
    session.rollback()
    open_cases = list(session.execute(select(Case.id, Case.version).join(CaseMember, CaseMember.case_id == Case.id)
                                      .where(CaseMember.person_id == person_id, CaseMember.kind == "worker",
                                             Case.status != "closed").order_by(Case.id)))
    session.rollback()
    for case_id, version in open_cases:
        for _attempt in range(3):
            try:
                services().cases.hold_for_withdrawn_consent(case_id, actor, version, person_id,
                                                            together=record(case_id))
                out.held.append(case_id)
                break
            except ConflictError as conflict:  # changed meanwhile: the withdrawal applies to the new version
                version = conflict.params["actual"]
            except EngineError:
                out.refused.append(case_id)
                break
    with writing(services().engine).begin() as connection:
        out.profiles = stop_processing(connection, person_id, actor.id, list(actor.roles))
        if not out.held:
            consent_id = record(None)(connection)["consent_record"]
            audit.record(connection, subject_type=CONSENT_SUBJECT, subject_id=consent_id, type="consent_withdrawn",
                         actor_id=actor.id, actor_roles=actor.roles,
                         data={"channel": PORTAL if recorded_by is None else PAPER})
    return out


def renew_consent(actor: Actor, language: str, text_version: str, text: str) -> int:
    """The worker gives their consent again after withdrawing it: the record, and their profiles listed again.
    Their cases stay on hold until their desk resumes them (the operator's decision, with a reason)."""
    with writing(services().engine).begin() as connection:
        consent_id = write_record(connection, person_id=actor.id, case_id=None, requirement_id=RENEWAL, text=text,
                                  text_version=text_version, language=language)
        resume_processing(connection, actor.id, actor.id, list(actor.roles))
        audit.record(connection, subject_type=CONSENT_SUBJECT, subject_id=consent_id, type="consent_given",
                     actor_id=actor.id, actor_roles=actor.roles, data={"channel": PORTAL})
    return consent_id
