"""Tables of the JSON API: personal access tokens (and the tokens of service accounts), the rate-limit
windows (in the database, so that every app server counts the same calls), and the webhooks: the partners'
endpoints and the log of deliveries."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
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


class WebhookEndpoint(Base):
    """A partner's URL that receives the case events of the types it asked for, signed with its secret
    (kept as given: signing needs it), optionally only for some desks."""

    __tablename__ = "webhook_endpoints"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(100))
    event_types: Mapped[list[Any]] = mapped_column(JSON, default=list)  # ["*"]: every type
    desk_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)  # []: every desk
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """One event for one endpoint: the delivery log. Delivered at least once, in event order per case."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_endpoint_event"),
                      Index("ix_webhook_deliveries_status_next", "status", "next_attempt_at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    case_id: Mapped[int] = mapped_column(Integer)
    event_type: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending / delivered
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column()


class ServiceAccount(Base):
    """An account of a partner system: it never logs in, works as an operator of its desks, and acts through
    the tokens an admin creates for it."""

    __tablename__ = "service_accounts"
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
