"""The outbox: every message to a person is one row, written before anything is sent.

A row is unique per `key` (recipient + event + kind, or case + stage visit + kind for reminders), so running
`opera notify` twice queues nothing twice. E-mail is sent from these rows, and retried with a growing wait
while the SMTP server is down; the in-app list of notifications reads the same rows.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.models import Base, utcnow


class NotificationCursor(Base):
    """How far the event log has been turned into messages (the id of the last event read)."""

    __tablename__ = "notification_cursors"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_status_next", "status", "next_attempt_at"),
        Index("ix_outbox_messages_recipient_created", "recipient_id", "created_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    recipient_id: Mapped[str] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(254))  # None: in-app only
    kind: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    event_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    language: Mapped[str] = mapped_column(String(5), default="en")
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(500), default="")
    # pending: to send; sending: claimed by a sender; sent; in_app: no e-mail address (shown in the app only)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    read_at: Mapped[datetime | None] = mapped_column()
