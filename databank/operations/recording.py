"""The databank's entries in the audit log. Every change writes one entry in its own transaction. It names
the entry, its desk and the fields that were given, never their values: profiles are personal data that
erasure removes, the log is append-only.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engine import audit
from engine.cases import Actor


PROFILE_SUBJECT = "databank.profile"  # the audit log's subject types of the databank


RESOURCE_SUBJECT = "databank.resource"


IMPORT_SUBJECT = "databank.import"


PUBLIC_ACTOR = Actor.of("public", [])  # who writes through the public catalogue's contact form


def record_change(session: Session, actor: Actor, subject_type: str, subject_id: Any, entry_type: str,
            data: dict[str, Any]) -> None:
    audit.record(session.connection(), subject_type=subject_type, subject_id=subject_id, type=entry_type,
                 actor_id=actor.id, actor_roles=actor.roles, data=data)


def given_fields(changes: dict[str, Any], known: tuple[str, ...]) -> list[str]:
    return sorted(name for name in changes if name in known)
