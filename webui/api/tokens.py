"""Bearer tokens of the JSON API: created once (the plain token is shown to its owner only then), stored as
their SHA-256, expiring, revocable; each call counts in a one-minute window kept in the database."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.models import utcnow

from ..models import User
from .models import SCOPES, ApiRateWindow, ApiToken

TOKEN_PREFIX = "opera_"
MAX_DAYS = 366
RATE_WINDOW = timedelta(minutes=1)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user_id: str, *, name: str, scope: str, days: int,
                 created_by: str) -> tuple[ApiToken, str]:
    """A new token of `user_id`: the row and the plain token, which is never stored."""
    if scope not in SCOPES:
        raise ValueError(scope)
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    row = ApiToken(user_id=user_id, name=name.strip()[:100], token_hash=digest(plain), prefix=plain[:12],
                   scope=scope, created_by=created_by, created_at=now,
                   expires_at=now + timedelta(days=max(1, min(days, MAX_DAYS))))
    session.add(row)
    session.flush()
    return row, plain


@dataclass(frozen=True)
class Bearer:
    token_id: int
    scope: str
    user: User


def authenticate(session: Session, plain: str, now: datetime | None = None) -> Bearer | None:
    """The token's holder, if the token exists, has not expired nor been revoked and its account is active."""
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > 200:
        return None
    now = now or utcnow()
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == digest(plain))).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        return None
    return Bearer(row.id, row.scope, user)


def revoke(session: Session, token_id: int, owner_id: str | None) -> bool:
    """Revoke a token (of `owner_id`, unless None: an admin's revocation); False if there is none."""
    query = update(ApiToken).where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
    if owner_id is not None:
        query = query.where(ApiToken.user_id == owner_id)
    return session.execute(query.values(revoked_at=utcnow())).rowcount > 0


def count_call(session: Session, token_id: int, now: datetime | None = None) -> int:
    """Count one call of the token in its current window, and note its last use; the calls so far."""
    now = now or utcnow()
    key = f"token:{token_id}"
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
    for _attempt in range(2):
        row = session.get(ApiRateWindow, key, with_for_update=True)
        if row is None:
            try:
                with session.begin_nested():
                    session.add(ApiRateWindow(key=key, window_start=now, calls=1))
                return 1
            except IntegrityError:  # another server counted the first call of this token at the same time
                continue
        if row.window_start + RATE_WINDOW <= now:
            row.window_start, row.calls = now, 1
        else:
            row.calls += 1
        return row.calls
    raise RuntimeError("rate window")
