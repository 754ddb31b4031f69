"""The audit log: one append-only entry for every change to something that is not a case.

Accounts, roles, desks, databank profiles and resources, notes and meetings, consent records, designer
saves: each change is one operation, in one transaction, that writes its row(s) *and* calls `record` on
the same connection. Case changes write case events instead (engine/cases/); the two logs have the same
shape (who, when, what, with which data) and each entry is chained to the previous one of its subject by
a SHA-256 hash, so that `opera check` can prove nothing was rewritten.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import Connection, func, insert, select, update

from .models import AuditEntry, utcnow

AUDIT = AuditEntry.__table__


def _plain_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


# The canonical encoding the hashes cover: keys sorted, no spaces, text as it is.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain_value)
# The same for stored JSON: a value JSON cannot hold fails, as the column's own encoding would.
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    """The hash of one log entry: the previous entry's hash and the entry's content, canonically encoded."""
    return body_hash(prev_hash, _CANONICAL.encode(payload))


def body_hash(prev_hash: str, body: str) -> str:
    """`chain_hash` of a payload already encoded canonically (see `canonical_json`)."""
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def canonical_json(value: Any) -> str:
    """`value` as `chain_hash` encodes it; also valid text for a JSON column (TypeError if JSON cannot hold it)."""
    return _CANONICAL_JSON.encode(value)


# A text, as `canonical_json` encodes it (without its dispatch, for the hot path's many short texts).
canonical_text = json.encoder.encode_basestring


def entry_payload(subject_type: str, subject_id: str, seq: int, type_: str, actor_id: str,
                  actor_roles: Iterable[str], data: dict[str, Any]) -> dict[str, Any]:
    """What an audit entry's hash covers (its time is left out: databases round timestamps differently)."""
    return {"subject_type": subject_type, "subject_id": str(subject_id), "seq": seq, "type": type_,
            "actor_id": actor_id, "actor_roles": sorted(actor_roles), "data": data}


def record(connection: Connection, *, subject_type: str, subject_id: Any, type: str,  # noqa: A002
           actor_id: str, actor_roles: Iterable[str] = (), data: dict[str, Any] | None = None,
           at: datetime | None = None) -> int:
    """Append one entry for `subject_type`/`subject_id` on the caller's connection (its transaction).

    Two writers of the same subject at once take turns: on SQLite the writing transaction holds the database's
    write lock, on PostgreSQL an advisory lock on the subject, held until the transaction ends. Should one
    still collide, the (subject, seq) unique key makes its transaction fail: never a fork of the chain."""
    subject_id = str(subject_id)
    roles = sorted(actor_roles)
    data = data or {}
    if connection.dialect.name == "postgresql":
        connection.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"audit:{subject_type}:{subject_id}"))))
    last = connection.execute(
        select(AUDIT.c.seq, AUDIT.c.hash).where(AUDIT.c.subject_type == subject_type,
                                                AUDIT.c.subject_id == subject_id)
        .order_by(AUDIT.c.seq.desc()).limit(1)).first()
    seq, prev_hash = (last.seq + 1, last.hash) if last else (1, "")
    digest = chain_hash(prev_hash, entry_payload(subject_type, subject_id, seq, type, actor_id, roles, data))
    result = connection.execute(insert(AUDIT).values(
        subject_type=subject_type, subject_id=subject_id, seq=seq, type=type, actor_id=actor_id,
        actor_roles=roles, at=at or utcnow(), data=data, prev_hash=prev_hash, hash=digest))
    return int(result.inserted_primary_key[0])


def entries(connection: Connection, subject_type: str, subject_id: Any) -> list[Any]:
    """The entries of one subject, oldest first."""
    return list(connection.execute(select(AUDIT).where(
        AUDIT.c.subject_type == subject_type, AUDIT.c.subject_id == str(subject_id)).order_by(AUDIT.c.seq)))


def count(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(AUDIT)).scalar_one())


def rechain(connection: Connection, subject_type: str, subject_id: str) -> None:
    """Recompute the chain of one subject from its stored entries: only the erasure does it, inside its gate
    (engine/personal_data.py), after putting a pseudonym in place of the erased person."""
    prev = ""
    for entry in connection.execute(select(AUDIT).where(AUDIT.c.subject_type == subject_type,
                                                        AUDIT.c.subject_id == subject_id).order_by(AUDIT.c.seq)):
        digest = chain_hash(prev, entry_payload(entry.subject_type, entry.subject_id, entry.seq, entry.type,
                                                entry.actor_id, entry.actor_roles or [], entry.data or {}))
        if (entry.prev_hash, entry.hash) != (prev, digest):
            connection.execute(update(AUDIT).where(AUDIT.c.id == entry.id).values(prev_hash=prev, hash=digest))
        prev = digest
