"""A worker's consent: the tick of a consent item and the record of the exact words agreed to, one operation.

The consent record is written inside the engine's tick (its `together` write), so the tick's event and the
record land in one transaction or not at all; the event names the record. The tick's event is the one entry
of this operation (a consent belongs to a case).
"""
from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Connection, insert

from engine import Actor, Receipt
from engine.i18n import localize
from engine.models import Case
from engine.pathway import ChecklistItem

from ..services import db, services
from .models import ConsentRecord

CONSENT_PREFIX = "consent"
CONSENTS = ConsentRecord.__table__


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
        consent_id = connection.execute(insert(CONSENTS).values(
            person_id=actor.id, case_id=case_id, requirement_id=item_id, text_version=text_version[:20],
            text_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(), language=language,
        )).inserted_primary_key[0]
        return {"consent_record": consent_id}

    return services().cases.tick(case_id, actor, version, item_id, together=record_consent)
