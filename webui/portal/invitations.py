"""Inviting a worker (or each worker of a group) by e-mail, and sending sign-in links.

The message goes through the outbox like every other one (so it survives an SMTP outage); the view then
tries to send it at once, and `opera notify` sends it later if that failed.
"""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session, sessionmaker

from engine.audit import record
from engine.db import writing
from engine.models import utcnow

from ..models import User
from ..notifications.models import OutboxMessage
from ..notifications.rules import base_url, language_of
from ..notifications.sender import SmtpSettings, send_due
from . import tokens


class CannotInvite(Exception):
    """The person has no e-mail, or is not an enabled worker account."""


def invite(session: Session, user: User, created_by: str, now: datetime | None = None) -> int:
    """A fresh invitation link for `user`, queued as an e-mail; returns the outbox row's id."""
    if not user.email or user.disabled or not user.has("worker"):
        raise CannotInvite(user.id)
    now = now or utcnow()
    token, row = tokens.issue(session, user, tokens.INVITATION, created_by, now)
    record(session.connection(), subject_type="user", subject_id=user.id, type="invitation_sent",
           actor_id=created_by, data={"invitation": row.id})
    link = f"{base_url()}/me/welcome/{token}"
    with force_locale(language_of(user)):
        subject = _("Your invitation to OPERA Pathways")
        body = "\n\n".join([
            _("Hello %(name)s,", name=user.display_name),
            _("Your help desk invites you to follow your pathway online. Open the link below and choose how "
              "you want to sign in. The link works once, for 14 days."),
        ])
    return _queue(session, user, f"invitation:{row.id}", "invitation", subject, body, link, now)


def invite_each(sessions: sessionmaker[Session], user_ids: Iterable[str], created_by: str) -> tuple[list[int], list[str]]:
    """Invite each of these accounts in one transaction (each invitation with its audit entry about the
    account): the outbox rows queued, and the ids of the accounts that cannot be invited."""
    queued, refused = [], []
    with writing(sessions).begin() as session:
        for user_id in dict.fromkeys(user_ids):
            user = session.get(User, user_id)
            try:
                if user is None:
                    raise CannotInvite(user_id)
                queued.append(invite(session, user, created_by))
            except CannotInvite:
                refused.append(user_id)
    return queued, refused


def request_sign_in_link(sessions: sessionmaker[Session], user_id: str) -> int:
    """A sign-in link the worker asked for, queued in its own transaction."""
    with writing(sessions).begin() as session:
        return sign_in_link(session, session.get(User, user_id))


def sign_in_link(session: Session, user: User, now: datetime | None = None) -> int:
    now = now or utcnow()
    token, row = tokens.issue(session, user, tokens.SIGN_IN, user.id, now)
    link = f"{base_url()}/me/sign-in/{token}"
    with force_locale(language_of(user)):
        subject = _("Your link to sign in to OPERA Pathways")
        body = _("Open the link below to sign in. It works once, for 30 minutes. If you did not ask for it, "
                 "you can ignore this message.")
    return _queue(session, user, f"sign_in:{row.id}", "sign_in", subject, body, link, now)


def _queue(session: Session, user: User, key: str, kind: str, subject: str, body: str, link: str,
           now: datetime) -> int:
    message = OutboxMessage(key=key, recipient_id=user.id, email=user.email, kind=kind, case_id=None,
                            language=language_of(user), subject=subject, body=body, link=link, status="pending",
                            next_attempt_at=now, created_at=now, read_at=now)  # not for the in-app list
    session.add(message)
    session.flush()
    return message.id


def send_now(message_ids: list[int]) -> None:
    """Try to send these rows right away (what fails stays in the outbox for `opera notify`)."""
    settings = SmtpSettings.from_config(current_app.config)
    send_due(current_app.extensions["opera"].sessions, settings, only_ids=message_ids)
