"""A person's own account: the one way a login session starts and ends, and the changes people make to
their own account (name, language, password, accepting an invitation).

Each change is one transaction with one audit entry about the account (subject "user"), like the
administrator's changes (webui/admin/operations.py); the entry names the fields, never their values.
"""
from __future__ import annotations

from typing import Any

from flask import session
from flask_login import login_user, logout_user
from sqlalchemy.orm import Session, sessionmaker

from engine.audit import record
from engine.db import writing

from ..models import User
from ..portal import tokens
from ..portal.models import AccessToken

SIGNED_IN_BY_LINK = "signed_in_by_link"
SESSION_EPOCH = "epoch"


def start_session(user: User, *, by_link: bool = False) -> None:
    """A fresh login session for `user` (nothing of the session before it survives but the language), so a
    session id planted before the login is worthless. It carries the account's session epoch: raising the
    epoch in the database ends it, wherever its cookie was copied to."""
    _fresh_session()
    login_user(user)
    session.permanent = True
    session[SESSION_EPOCH] = user.session_epoch or 0
    if by_link:
        session[SIGNED_IN_BY_LINK] = True


def session_is_current(user: User) -> bool:
    """Whether the request's session began in the account's present epoch."""
    return session.get(SESSION_EPOCH) == (user.session_epoch or 0)


def keep_session(user: User) -> None:
    """After one's own change ended every session of the account, this one goes on in the new epoch."""
    session[SESSION_EPOCH] = user.session_epoch or 0


def end_session(sessions: sessionmaker[Session] | None = None, user_id: str | None = None) -> None:
    """Log out; with the account given, every other session of it (a copied cookie too) ends as well."""
    if sessions is not None and user_id is not None:
        end_all_sessions(sessions, user_id, actor_id=user_id, actor_roles=None, reason="logout")
    logout_user()
    _fresh_session()


def end_all_sessions(sessions: sessionmaker[Session], user_id: str, *, actor_id: str,
                     actor_roles: list[str] | None, reason: str) -> None:
    """Every login session of the account ends (its next request finds the epoch moved on)."""
    with writing(sessions).begin() as db_session:
        user = _user(db_session, user_id)
        raise_epoch(user)
        db_session.flush()
        record(db_session.connection(), subject_type="user", subject_id=user.id, type="sessions_ended",
               actor_id=actor_id, actor_roles=actor_roles if actor_roles is not None else user.roles,
               data={"reason": reason})


def raise_epoch(user: User) -> None:
    user.session_epoch = (user.session_epoch or 0) + 1


def _fresh_session() -> None:
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


def change_settings(sessions: sessionmaker[Session], user_id: str, **values: Any) -> None:
    """Change the person's own name and/or language."""
    with writing(sessions).begin() as db_session:
        user = _user(db_session, user_id)
        changed = sorted(name for name, value in values.items() if getattr(user, name) != value)
        for name in changed:
            setattr(user, name, values[name])
        if changed:
            _record(db_session, user, "settings_changed", {"fields": changed})


def change_password(sessions: sessionmaker[Session], user_id: str, password_hash: str) -> None:
    with writing(sessions).begin() as db_session:
        user = _user(db_session, user_id)
        user.password_hash = password_hash
        raise_epoch(user)
        tokens.withdraw_invitations(db_session, user.id)
        _record(db_session, user, "password_changed", {})


def accept_invitation(sessions: sessionmaker[Session], token: AccessToken, password_hash: str, *,
                      by_link: bool) -> bool:
    """Spend the invitation and set the first password, in one transaction; False if the link was used first."""
    with writing(sessions).begin() as db_session:
        if not tokens.use(db_session, token):
            return False
        user = _user(db_session, token.user_id)
        user.password_hash = password_hash  # with `by_link`, a password nobody knows
        user.failed_logins = 0
        raise_epoch(user)
        tokens.withdraw_invitations(db_session, user.id)  # the account is set up: older links are worthless
        _record(db_session, user, "invitation_accepted", {"invitation": token.id, "by_link": by_link})
        return True


def _user(db_session: Session, user_id: str) -> User:
    user = db_session.get(User, user_id)
    if user is None:
        raise LookupError(user_id)
    return user


def _record(db_session: Session, user: User, entry_type: str, data: dict[str, Any]) -> None:
    db_session.flush()
    record(db_session.connection(), subject_type="user", subject_id=user.id, type=entry_type, actor_id=user.id,
           actor_roles=user.roles, data=data)
