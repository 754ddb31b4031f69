"""Single-use links: an invitation to set a password, or a link to sign in without one.

The link carries a random token; only its SHA-256 is stored. Using it marks it used in the same
transaction that checks it (an UPDATE … WHERE used_at IS NULL), so two clicks cannot both succeed.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from engine.db import writing
from engine.models import utcnow

from ..models import User
from .models import AccessToken

INVITATION = "invitation"
SIGN_IN = "sign_in"
LIFETIME = {INVITATION: timedelta(days=14), SIGN_IN: timedelta(minutes=30)}


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(session: Session, user: User, purpose: str, created_by: str, now: datetime | None = None,
          lifetime: timedelta | None = None) -> tuple[str, AccessToken]:
    """A new token for `user` (the raw token goes in the e-mail and nowhere else)."""
    now = now or utcnow()
    if purpose == INVITATION:
        withdraw_invitations(session, user.id, now)  # only the newest invitation works
    token = secrets.token_urlsafe(32)
    row = AccessToken(token_hash=digest(token), user_id=user.id, purpose=purpose, created_by=created_by,
                      created_at=now, expires_at=now + (lifetime or LIFETIME[purpose]))
    session.add(row)
    session.flush()
    return token, row


def find(session: Session, token: str, purpose: str, now: datetime | None = None) -> AccessToken | None:
    """The token's row if it is valid (right purpose, not used, not expired, account enabled)."""
    now = now or utcnow()
    row = session.scalar(select(AccessToken).where(AccessToken.token_hash == digest(token),
                                                   AccessToken.purpose == purpose))
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        return None
    return row


def spend(sessions: sessionmaker[Session], row: AccessToken) -> bool:
    """Use a link in its own transaction; False when someone used it first."""
    with writing(sessions).begin() as session:
        return use(session, row)


def use(session: Session, row: AccessToken, now: datetime | None = None) -> bool:
    """Mark used; False when someone used it first."""
    now = now or utcnow()
    done = session.execute(update(AccessToken).where(AccessToken.id == row.id, AccessToken.used_at.is_(None))
                           .values(used_at=now)).rowcount
    return bool(done)


def withdraw_invitations(session: Session, user_id: str, now: datetime | None = None) -> None:
    """Every unused invitation of the account stops working (it was set up, or a newer one was sent)."""
    now = now or utcnow()
    session.execute(update(AccessToken).where(
        AccessToken.user_id == user_id, AccessToken.purpose == INVITATION, AccessToken.used_at.is_(None),
        AccessToken.expires_at > now).values(expires_at=now))
