"""Tables of the web UI: people who log in, their help desks, login throttling, notes and meetings.

All on `engine.models.Base`, so one Alembic history covers them (migrations/env.py lists this module).
A user's `id` is the actor id the engine records in events, case members and sign-offs.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.files import refer_to_files
from engine.models import Base, Case, Event, utcnow
from engine.queries import news_event

ROLES = ("admin", "operator", "mentor", "designer", "worker")


class User(UserMixin, Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)  # lower-case; workers may have none
    phone: Mapped[str] = mapped_column(String(40), default="", server_default="")  # a worker's, noted by the desk
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))  # None: cannot log in (yet)
    language: Mapped[str | None] = mapped_column(String(5))  # it / fr / en; None: the browser's
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column()
    last_login_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Every login session carries the epoch it began in; raising it ends all of them at once (on every server).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    desk_links: Mapped[list[DeskMembership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin")
    role_links: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def roles(self) -> list[str]:
        return sorted(link.role for link in self.role_links)

    @roles.setter
    def roles(self, values: Any) -> None:
        wanted = list(dict.fromkeys(values or []))
        self.role_links = [link for link in self.role_links if link.role in wanted] + [
            UserRole(role=r) for r in wanted if r not in {link.role for link in self.role_links}]

    # --- Flask-Login ------------------------------------------------------------------------------
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return not self.disabled and self.password_hash is not None

    def has(self, role: str) -> bool:
        return any(link.role == role for link in self.role_links)

    @property
    def desk_ids(self) -> list[str]:
        return sorted(link.desk_id for link in self.desk_links)


class UserRole(Base):
    """A role of an account (a table of its own: "every mentor" is an indexed question among 100k workers)."""

    __tablename__ = "user_roles"
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)


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


class KnownAddress(Base):
    """An address (hashed) from which the account signed in successfully: failures from elsewhere do not
    lock its owner out from here."""

    __tablename__ = "login_known_addresses"
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    address_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


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


class SavedFilter(Base):
    """A user's named set of desk-list filters and sort order. The name search is never kept: no worker's
    name lands in this table."""

    __tablename__ = "saved_filters"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_saved_filters_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    query: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# Indexes the desk page needs on the engine's cases table (declared here, created by the web UI's migrations):
# the overdue count and the due-date ordering of one desk (its page of ids read from the index alone), and the
# counts per pathway and stage read from the index alone. (SQLite's indexes hold the row id without being told.)
Index("ix_cases_desk_status_due", Case.desk_id, Case.status, Case.due_at, postgresql_include=["id"])
Index("ix_cases_desk_status_pathway_stage", Case.desk_id, Case.status, Case.pathway_id, Case.stage_id)
# What arrived lately on a user's cases (My work, and its count in every page's navigation): the recent events
# that are news, each with its case, read from the index alone until one is on a case the user sees. Only news
# is in it (most events are the staff's own steps), so a region's week of events is not read to find a desk's.
Index("ix_events_news", Event.at, Event.case_id, postgresql_include=["id"],
      postgresql_where=news_event(), sqlite_where=news_event())
# The same news by desk (an event carries its case's desk): an operator's count reads its desks' recent news,
# and who acted, from the index alone.
Index("ix_events_desk_news", Event.desk_id, Event.at, Event.actor_id,
      postgresql_where=news_event(), sqlite_where=news_event())


class PendingImportFile(Base):
    """A databank import file checked and waiting for its uploader's confirmation (webui/databank/pending.py):
    the bytes in the file store, so that the confirmation may reach any app server."""

    __tablename__ = "pending_imports"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    desk_id: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


refer_to_files(PendingImportFile.__table__.c.sha256)


class WorkSeen(Base):
    """When a staff user last marked their "My work" page as seen: what workers and parties sent after it is new.
    A receipt, like a message marked read, not a change the audit log keeps."""

    __tablename__ = "work_seen"
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
