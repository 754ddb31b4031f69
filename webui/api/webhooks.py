"""Webhooks: case events delivered to the partners' URLs, from the log, at least once and in event order per
case, signed with HMAC-SHA256, retried with a growing wait; every delivery is a row of the delivery log.

`queue_events` turns the events after the "webhooks" cursor into deliveries (one per endpoint that asked for
the event's type and desk; unique, so a second run queues nothing twice); `deliver_due` posts what is due.
A partner checks `X-Opera-Signature: t=<unix time>,v1=<hex>`, where hex is HMAC-SHA256 of "<t>.<body>" with
its secret (`verify_signature` does it).
The queued deliveries, their attempts and the cursor are the sending's bookkeeping, not changes of record: they
keep no audit entry. An admin's changes (an endpoint registered, changed, a delivery replayed) are operations
with their entry (webui/api/operations.py); `register_endpoint`, `change_endpoint` and `replay` are their steps.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from engine.db import writing
from engine.models import Case, Event, utcnow

from ..notifications.models import NotificationCursor
from ..notifications.rules import held_cursor
from ..notifications.sender import wait_after
from .models import WebhookDelivery, WebhookEndpoint

CURSOR = "webhooks"
TIMEOUT_SECONDS = 10
SIGNATURE_HEADER = "X-Opera-Signature"


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(secret: str, body: bytes, header: str, now: float | None = None,
                     tolerance: int = 300) -> bool:
    """What a partner does with a delivery: the signature matches and is recent (no replayed old message)."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now or time.time()) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, body, timestamp), f"t={timestamp},v1={parts.get('v1', '')}")


def _wants(endpoint: WebhookEndpoint, event: Event, desk_id: str) -> bool:
    types = endpoint.event_types or []
    return ("*" in types or event.type in types) and (not endpoint.desk_ids or desk_id in endpoint.desk_ids)


def payload(event: Event, case: Case) -> str:
    """What a partner receives: the event (its `seq` is the case version it made) and which case, never
    personal data; the partner reads the rest through the API."""
    return json.dumps({
        "event": {"id": event.id, "type": event.type, "seq": event.seq, "at": event.at.isoformat(),
                  "stage_id": event.stage_id, "actor_id": event.actor_id},
        "case": {"id": case.id, "desk_id": case.desk_id, "pathway_id": case.pathway_id},
    }, sort_keys=True, separators=(",", ":"))


def _held_cursor(session: Session) -> NotificationCursor:
    """The webhooks cursor, held (see held_cursor). Webhooks start with the events after the first endpoint:
    the past is not replayed to partners."""
    return held_cursor(session, CURSOR, start=lambda: session.scalar(select(func.max(Event.id))) or 0)


def register_endpoint(session: Session, url: str, event_types: list[str], created_by: str,
                      desk_ids: list[str] | None = None, secret: str | None = None) -> WebhookEndpoint:
    """A partner's endpoint (the caller commits); it receives the events that happen from now on."""
    if not url.startswith(("https://", "http://")) or len(url) > 500:
        raise ValueError(url)
    if session.get(NotificationCursor, CURSOR) is None:
        _held_cursor(session)
    endpoint = WebhookEndpoint(url=url, secret=secret or new_secret(), event_types=sorted(set(event_types)),
                               desk_ids=sorted(set(desk_ids or [])), active=True, created_by=created_by,
                               created_at=utcnow())
    session.add(endpoint)
    session.flush()
    return endpoint


def change_endpoint(endpoint: WebhookEndpoint, url: str, event_types: list[str], desk_ids: list[str],
                    active: bool) -> dict[str, Any]:
    """Change where an endpoint receives, what, and whether at all (the caller commits); what changed, for
    the audit entry. While inactive, no delivery is queued for it and its waiting ones wait."""
    if not url.startswith(("https://", "http://")) or len(url) > 500:
        raise ValueError(url)
    before = {"url": endpoint.url, "event_types": endpoint.event_types, "desk_ids": endpoint.desk_ids,
              "active": endpoint.active}
    endpoint.url, endpoint.event_types = url, sorted(set(event_types))
    endpoint.desk_ids, endpoint.active = sorted(set(desk_ids)), active
    after = {"url": endpoint.url, "event_types": endpoint.event_types, "desk_ids": endpoint.desk_ids,
             "active": endpoint.active}
    return {key: {"from": before[key], "to": value} for key, value in after.items() if before[key] != value}


def queue_events(session: Session, batch: int = 500) -> int:
    """Deliveries for the events after the cursor; the cursor moves in the same transaction."""
    cursor = _held_cursor(session)
    endpoints = list(session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.active.is_(True))))
    queued = 0
    while True:
        events = list(session.scalars(select(Event).where(Event.id > cursor.last_event_id)
                                      .order_by(Event.id).limit(batch)))
        if not events:
            break
        cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_({e.case_id for e in events})))}
        for event in events:
            case = cases[event.case_id]
            for endpoint in endpoints:
                if _wants(endpoint, event, case.desk_id):
                    try:
                        with session.begin_nested():
                            session.add(WebhookDelivery(endpoint_id=endpoint.id, event_id=event.id, case_id=case.id,
                                                        event_type=event.type, payload=payload(event, case)))
                        queued += 1
                    except IntegrityError:  # queued by another run already
                        pass
        cursor.last_event_id = events[-1].id
        cursor.updated_at = utcnow()
    session.commit()
    return queued


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"{self.delivered} delivered, {self.failed} to retry"


def _post(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> tuple[int | None, str]:
    body = delivery.payload.encode()
    request = urllib.request.Request(endpoint.url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "OPERA-Pathways-Webhooks/1",
        SIGNATURE_HEADER: sign(endpoint.secret, body, int(time.time())),
        "X-Opera-Delivery": str(delivery.id), "X-Opera-Event": delivery.event_type})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (admin's URL)
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return None, str(error)[:500]


def deliver_due(sessions: sessionmaker[Session], now: datetime | None = None) -> DeliveryReport:
    """Post the due deliveries, oldest first; a case whose earlier delivery waits or failed waits with it
    (in order per case and endpoint)."""
    now = now or utcnow()
    report = DeliveryReport()
    blocked: set[tuple[int, int]] = set()
    with sessions() as session:
        rows = list(session.scalars(select(WebhookDelivery).where(WebhookDelivery.status == "pending")
                                    .order_by(WebhookDelivery.event_id, WebhookDelivery.id)))
        endpoints = {e.id: e for e in session.scalars(select(WebhookEndpoint))}
    for row in rows:
        key = (row.endpoint_id, row.case_id)
        if key in blocked:
            continue
        endpoint = endpoints.get(row.endpoint_id)
        if row.next_attempt_at > now or endpoint is None or not endpoint.active:
            blocked.add(key)
            continue
        status, error = _post(endpoint, row)
        with writing(sessions).begin() as session:
            if status is not None and 200 <= status < 300:
                session.execute(update(WebhookDelivery).where(WebhookDelivery.id == row.id).values(
                    status="delivered", attempts=row.attempts + 1, last_status=status, last_error="",
                    delivered_at=utcnow()))
                report.delivered += 1
            else:
                session.execute(update(WebhookDelivery).where(WebhookDelivery.id == row.id).values(
                    attempts=row.attempts + 1, last_status=status, last_error=error or f"HTTP {status}",
                    next_attempt_at=now + wait_after(row.attempts + 1)))
                report.failed += 1
                blocked.add(key)
    return report


def replay(session: Session, delivery_id: int) -> bool:
    """Send a delivery again (delivered or not), as soon as `opera notify` runs."""
    return session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id).values(
        status="pending", next_attempt_at=utcnow())).rowcount > 0
