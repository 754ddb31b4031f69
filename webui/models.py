"""Tables of the web UI: people who log in, their help desks, login throttling, notes and meetings.

All on `engine.models.Base`, so one Alembic history covers them (migrations/env.py lists this module).
A user's `id` is the actor id the engine records in events, case members and sign-offs.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.models import Base, utcnow

ROLES = ("admin", "operator", "mentor", "designer", "worker")


class User(UserMixin, Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)  # lower-case; workers may have none
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))  # None: cannot log in (yet)
    roles: Mapped[list[Any]] = mapped_column(default=list)
    language: Mapped[str | None] = mapped_column(String(5))  # it / fr / en; None: the browser's
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column()
    last_login_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    desk_links: Mapped[list[DeskMembership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin")

    # --- Flask-Login ------------------------------------------------------------------------------
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return not self.disabled and self.password_hash is not None

    def has(self, role: str) -> bool:
        return role in (self.roles or [])

    @property
    def desk_ids(self) -> list[str]:
        return sorted(link.desk_id for link in self.desk_links)


class DeskMembership(Base):
    """An operator works at one or more help desks."""

    __tablename__ = "desk_memberships"
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    desk_id: Mapped[str] = mapped_column(ForeignKey("desks.id", ondelete="CASCADE"), primary_key=True, index=True)
    user: Mapped[User] = relationship(back_populates="desk_links")


class LoginThrottle(Base):
    """Failed logins counted per key ("email:<sha256>" or "ip:<address>"), kept in the database so that
    every server process sees the same counts."""

    __tablename__ = "login_throttles"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column()


class CaseNote(Base):
    """A note on a case, or a meeting with the worker(s). Notes do not change the case's state: they sit
    beside it, and the case page shows them among the events of the timeline."""

    __tablename__ = "case_notes"
    __table_args__ = (Index("ix_case_notes_case_created", "case_id", "created_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # note / meeting
    author_id: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text, default="")
    meeting_at: Mapped[datetime | None] = mapped_column()
    place: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
