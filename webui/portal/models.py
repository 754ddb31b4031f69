"""Tables of the worker portal: invitations and sign-in links, consents given, and the log of staff
looking at a worker's data."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.models import Base, utcnow


class AccessToken(Base):
    """A single-use link sent by e-mail: an invitation (set a password) or a sign-in link. Only the
    SHA-256 of the token is stored: a copy of the database does not let anyone in."""

    __tablename__ = "access_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # invitation / sign_in
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()


class ConsentRecord(Base):
    """The consent a worker gave, with the exact text version and its digest, when they gave it; or its
    withdrawal (`kind` "withdrawn"), from the portal or recorded by the operator from a signed paper."""

    __tablename__ = "consent_records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[str] = mapped_column(String(64), index=True)
    case_id: Mapped[int | None] = mapped_column(Integer)
    requirement_id: Mapped[str] = mapped_column(String(64))
    text_version: Mapped[str] = mapped_column(String(20))
    text_sha256: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(5))
    given_at: Mapped[datetime] = mapped_column(default=utcnow)  # when given or withdrawn
    kind: Mapped[str] = mapped_column(String(16), default="given", server_default="given")  # given / withdrawn
    channel: Mapped[str] = mapped_column(String(16), default="portal", server_default="portal")  # portal / paper
    recorded_by: Mapped[str | None] = mapped_column(String(64))  # the operator who recorded a paper one


class StaffAccessLog(Base):
    """Who of the staff looked at which worker's data, and when (read by the data protection officer)."""

    __tablename__ = "staff_access_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[str] = mapped_column(String(64), index=True)
    person_id: Mapped[str] = mapped_column(String(64), index=True)
    case_id: Mapped[int | None] = mapped_column(Integer)
    what: Mapped[str] = mapped_column(String(100))  # the page (endpoint) seen
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
