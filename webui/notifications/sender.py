"""Sending the outbox by e-mail (smtplib): at least once, never lost.

A row is claimed (pending -> sending) before it is sent and marked sent after; when the SMTP server is
down or refuses, the row goes back to pending with a growing wait (1, 2, 4… minutes, at most 6 hours) and
is tried again by the next run. A run that died while sending leaves rows in `sending`; after
`STALE_CLAIM` they are pending again. The Message-ID is derived from the row, so a rare resend after such
a crash can be recognised as the same message.
"""
from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, Mapping

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from engine.db import writing
from engine.models import utcnow

from .models import OutboxMessage

STALE_CLAIM = timedelta(minutes=15)
MAX_WAIT = timedelta(hours=6)
SECRET_LINKS = ("invitation", "sign_in")


@dataclass(frozen=True)
class SmtpSettings:
    host: str | None
    port: int = 25
    user: str | None = None
    password: str | None = None
    sender: str = "OPERA Pathways <no-reply@localhost>"
    starttls: bool = False
    timeout: float = 10.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "SmtpSettings":
        """SMTP_* in the app's configuration, else OPERA_SMTP_* in the environment."""

        def get(name: str) -> Any:
            value = config.get("SMTP_" + name)
            return value if value not in (None, "") else os.environ.get("OPERA_SMTP_" + name) or None

        port = get("PORT")
        starttls = str(get("STARTTLS") or "").lower() in ("1", "true", "yes", "on")
        return cls(host=get("HOST"), port=int(port) if port else 25, user=get("USER"), password=get("PASSWORD"),
                   sender=get("FROM") or cls.sender, starttls=starttls, timeout=float(get("TIMEOUT") or 10))


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.failed} to retry"


def wait_after(attempts: int) -> timedelta:
    return min(timedelta(minutes=2 ** max(0, attempts - 1)), MAX_WAIT)


def build_message(row: OutboxMessage, settings: SmtpSettings) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = row.email
    message["Subject"] = row.subject
    message["Date"] = formatdate(localtime=False)
    domain = settings.sender.rsplit("@", 1)[-1].strip(">") or "localhost"
    message["Message-ID"] = f"<opera-outbox-{row.id}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message["Content-Language"] = row.language
    message["X-Opera-Kind"] = row.kind
    text = row.body + (f"\n\n{row.link}\n" if row.link else "\n")
    message.set_content(text)
    return message


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    client = smtplib.SMTP(settings.host or "localhost", settings.port, timeout=settings.timeout)
    if settings.starttls:
        client.starttls(context=ssl.create_default_context())
    if settings.user:
        client.login(settings.user, settings.password or "")
    return client


def send_due(sessions: sessionmaker[Session], settings: SmtpSettings, now: datetime | None = None,
             limit: int = 200, only_ids: list[int] | None = None) -> SendReport:
    """Send the pending rows whose time has come; what fails waits for a later run."""
    report = SendReport()
    if not settings.host:
        return report  # no SMTP server configured: the rows wait (and show in the app)
    now = now or utcnow()
    writes = writing(sessions)
    with writes.begin() as session:
        session.execute(update(OutboxMessage).where(
            OutboxMessage.status == "sending", OutboxMessage.next_attempt_at < now - STALE_CLAIM)
            .values(status="pending"))
    with sessions() as session:
        query = select(OutboxMessage.id).where(OutboxMessage.status == "pending", OutboxMessage.email.is_not(None),
                                               OutboxMessage.next_attempt_at <= now)
        if only_ids is not None:
            query = query.where(OutboxMessage.id.in_(only_ids))
        ids = list(session.scalars(query.order_by(OutboxMessage.id).limit(limit)))
    if not ids:
        return report
    try:
        client = _connect(settings)
    except (OSError, smtplib.SMTPException) as exc:
        _postpone(sessions, ids, now, f"connection: {exc}")
        report.failed = len(ids)
        return report
    try:
        for message_id in ids:
            with writes.begin() as session:
                claimed = session.execute(update(OutboxMessage).where(
                    OutboxMessage.id == message_id, OutboxMessage.status == "pending")
                    .values(status="sending", next_attempt_at=now)).rowcount
            if not claimed:
                continue  # another sender took it
            with sessions() as session:
                row = session.get(OutboxMessage, message_id)
                message = build_message(row, settings)
            try:
                client.send_message(message)
            except (OSError, smtplib.SMTPException) as exc:
                _postpone(sessions, [message_id], now, str(exc), from_status="sending")
                report.failed += 1
                if isinstance(exc, smtplib.SMTPServerDisconnected) or not isinstance(exc, smtplib.SMTPException):
                    try:
                        client = _connect(settings)
                    except (OSError, smtplib.SMTPException):
                        rest = ids[ids.index(message_id) + 1:]
                        _postpone(sessions, rest, now, f"connection: {exc}")
                        report.failed += len(rest)
                        return report
                continue
            with writes.begin() as session:
                done = {"status": "sent", "sent_at": utcnow(), "attempts": OutboxMessage.attempts + 1, "last_error": ""}
                if message.get("X-Opera-Kind") in SECRET_LINKS:
                    done["link"] = ""  # a sign-in link is kept only until it is sent
                session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**done))
            report.sent += 1
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            pass
    return report


def _postpone(sessions: sessionmaker[Session], ids: list[int], now: datetime, error: str,
              from_status: str = "pending") -> None:
    with writing(sessions).begin() as session:
        for row in session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids),
                                                               OutboxMessage.status == from_status)):
            row.attempts += 1
            row.status = "pending"
            row.next_attempt_at = now + wait_after(row.attempts)
            row.last_error = error[:500]
