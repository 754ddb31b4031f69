"""How many enquiries one address may send through the public contact form: a counter per address and
window, kept in the database so that every server process sees the same counts."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from databank.models import ContactThrottle
from engine.db import writing
from engine.models import utcnow

from ..services import services

CONTACT_LIMIT = 5  # enquiries per sender and window
CONTACT_WINDOW = timedelta(hours=1)


def admit_enquiry(address: str, now: datetime | None = None) -> bool:
    """Count one message from this address; False when it is over the limit for the current window."""
    now = now or utcnow()
    limit = int(current_app.config.get("PUBLIC_CONTACT_LIMIT", CONTACT_LIMIT))
    key = hashlib.sha256(f"{current_app.secret_key}:{address}".encode()).hexdigest()
    for _attempt in range(2):
        try:
            with writing(services().sessions).begin() as session:
                session.execute(delete(ContactThrottle).where(ContactThrottle.window_start < now - CONTACT_WINDOW))
                row = session.get(ContactThrottle, key, with_for_update=True)
                if row is None:
                    session.add(ContactThrottle(key=key, requests=1, window_start=now))
                    return True
                if row.requests >= limit:
                    return False
                row.requests += 1
                return True
        except IntegrityError:  # another request from the same address created the row first
            continue
    return False
