"""The one change the "My work" page makes: the moment the user last looked, a receipt of their own (like
a message marked read), not a change of anyone's data the audit log keeps."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from engine.db import writing
from engine.models import utcnow

from ..models import WorkSeen


def mark_seen(sessions: sessionmaker[Session], user_id: str, at: datetime | None = None) -> None:
    with writing(sessions).begin() as session:
        row = session.get(WorkSeen, user_id)
        if row is None:
            session.add(WorkSeen(user_id=user_id, seen_at=at or utcnow()))
        else:
            row.seen_at = at or utcnow()
