"""Tables of the JSON API: personal access tokens (and the tokens of service accounts) and the rate-limit
windows, kept in the database so that every app server counts the same calls."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.models import Base, utcnow

SCOPES = ("read", "write")


class ApiToken(Base):
    """A bearer token of an account. Only its SHA-256 is stored; `prefix` (its first characters) tells
    tokens apart in the list. A service account is an account that cannot log in, limited to its desks,
    whose tokens an admin creates."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(String(8))  # read / write
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()


class ApiRateWindow(Base):
    """Calls counted per token in the current one-minute window."""

    __tablename__ = "api_rate_windows"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    window_start: Mapped[datetime] = mapped_column()
    calls: Mapped[int] = mapped_column(Integer, default=0)
