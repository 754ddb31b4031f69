"""The case event log: how an event is written, and the hash chain that proves none was rewritten.

Every event is chained to the previous event of its case: `hash = chain_hash(prev_hash, payload)` (the same
function as the audit log, engine/audit.py), where the payload is everything the event says except its time
(databases round timestamps differently). A new event's data and roles are encoded once, canonically, and
that text is both what the hash covers and what the row stores (`event_row`). An operation's version claim returns the hash of the case's last
event along with the row (engine/cases/frame.py), so chaining costs no statement of its own. Operations on
one case are serialised by that claim, so a chain never forks; a second writer of the same `seq` fails on
the unique key. The case's version is the `seq` of its last event, so a chain cut at its end shows too.

The database refuses UPDATE and DELETE on `events` and `audit_log` (triggers, migration 0012). The one
exception is GDPR erasure (engine/personal_data.py): it rewrites personal fields of some events, then
re-chains the case from the first rewritten event and appends a `person_erased` event that lists the
rewritten `seq`s and the head hash it replaced, so the chain verifies again from the stored content and the
erasure itself is on the record.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import Connection, bindparam, insert, select, update

from .audit import body_hash, canonical_json, canonical_text, chain_hash
from .driver import DriverStatement
from .models import CASES, EVENTS

# The event's desk is its case's, read by the insert itself: every writer of events gets it right.
_INSERT = DriverStatement(insert(EVENTS).values(desk_id=select(CASES.c.desk_id).where(
    CASES.c.id == bindparam("desk_of_case")).scalar_subquery()), encoded=("actor_roles", "data"))
_SET_HASHES = update(EVENTS).where(EVENTS.c.id == bindparam("event_id")).values(
    prev_hash=bindparam("new_prev_hash"), hash=bindparam("new_hash"))


def event_payload(case_id: int, seq: int, type_: str, actor_id: str, actor_roles: Iterable[str],
                  stage_id: str | None, data: dict[str, Any]) -> dict[str, Any]:
    """What an event's hash covers."""
    return {"case_id": case_id, "seq": seq, "type": type_, "actor_id": actor_id,
            "actor_roles": sorted(actor_roles), "stage_id": stage_id, "data": data}


def event_row(*, case_id: int, seq: int, type: str, actor_id: str, actor_roles: Iterable[str],  # noqa: A002
              at: datetime, stage_id: str | None, data: dict[str, Any], prev_hash: str) -> dict[str, Any]:
    """The values of a new event row, its hash included; its roles and data as JSON text, encoded once for
    both the hash and the row: the hash is `chain_hash` of `event_payload`, whose keys are spelled out here
    in their sorted order."""
    roles = canonical_json(sorted(actor_roles))
    encoded = canonical_json(data)
    stage = "null" if stage_id is None else canonical_text(stage_id)
    body = (f'{{"actor_id":{canonical_text(actor_id)},"actor_roles":{roles},"case_id":{case_id:d},'
            f'"data":{encoded},"seq":{seq:d},"stage_id":{stage},"type":{canonical_text(type)}}}')
    return {"case_id": case_id, "seq": seq, "type": type, "actor_id": actor_id, "actor_roles": roles, "at": at,
            "stage_id": stage_id, "data": encoded, "prev_hash": prev_hash, "hash": body_hash(prev_hash, body)}


def append(connection: Connection, **values: Any) -> str:
    """Insert one event (see `event_row`) on the caller's connection; returns its hash. The only place
    events are written (engine/cases/frame.py `append_event`, the erasure). In an operation's transaction
    on PostgreSQL the row goes with the COMMIT (engine/db.py `DriverTransaction`)."""
    row = event_row(**values)
    _INSERT.write(connection, {**row, "desk_of_case": row["case_id"]}, columns=row)  # the row's columns
    return row["hash"]


def row_hash(event: Any, prev_hash: str) -> str:
    """The hash a stored event row should have after `prev_hash`."""
    return chain_hash(prev_hash, event_payload(event.case_id, event.seq, event.type, event.actor_id,
                                               event.actor_roles or [], event.stage_id, event.data or {}))


def rechain(connection: Connection, case_id: int) -> str:
    """Recompute the chain of one case from its stored events (after the erasure rewrote some of them,
    inside its gate); returns the hash of its last event."""
    prev = ""
    for event in connection.execute(select(EVENTS).where(EVENTS.c.case_id == case_id).order_by(EVENTS.c.seq)):
        digest = row_hash(event, prev)
        if (event.prev_hash, event.hash) != (prev, digest):
            connection.execute(_SET_HASHES, {"event_id": event.id, "new_prev_hash": prev, "new_hash": digest})
        prev = digest
    return prev
