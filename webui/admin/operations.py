"""The administrator's changes: help desks, accounts with their roles and desks.

Each is one operation in one transaction that writes the rows and one audit entry (engine/audit.py), used by
the admin pages and the `opera users create` / `opera desks create` commands alike. An account's entry names
what changed (the fields, the roles, the desks), never a personal value or a password: the audit log is
append-only, and names and e-mails are erasable.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from engine import Actor
from engine.audit import record
from engine.db import writing
from engine.models import Desk

from ..auth.accounts import end_all_sessions, raise_epoch
from ..models import DeskMembership, User
from ..portal import tokens
from ..security import unlock


class AdminRefused(Exception):
    """A change the administrator must correct: `field` is the form field it is about."""

    def __init__(self, field: str, message: Any):
        super().__init__(field)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class DeskValues:
    name: str
    country: str
    region: str = ""


@dataclass(frozen=True)
class AccountValues:
    email: str
    display_name: str
    roles: Sequence[str]
    desks: Sequence[str] = ()
    language: str | None = None
    disabled: bool = False


def create_desk(sessions: sessionmaker[Session], actor: Actor, desk_id: str, values: DeskValues) -> None:
    with writing(sessions).begin() as session:
        if session.get(Desk, desk_id) is not None:
            raise AdminRefused("id", _l("This identifier is taken."))
        session.add(Desk(id=desk_id, name=values.name.strip(), country=values.country, region=values.region.strip()))
        session.flush()
        _record(session, actor, "desk", desk_id, "desk_created", _desk_data(values))


def change_desk(sessions: sessionmaker[Session], actor: Actor, desk_id: str, values: DeskValues) -> None:
    with writing(sessions).begin() as session:
        desk = session.get(Desk, desk_id)
        if desk is None:
            raise AdminRefused("id", _l("There is no help desk %(id)s.", id=desk_id))
        desk.name, desk.country, desk.region = values.name.strip(), values.country, values.region.strip()
        session.flush()
        _record(session, actor, "desk", desk_id, "desk_changed", _desk_data(values))


def _desk_data(values: DeskValues) -> dict[str, Any]:
    return {"name": values.name.strip(), "country": values.country, "region": values.region.strip()}


def create_user(sessions: sessionmaker[Session], actor: Actor, user_id: str, values: AccountValues,
                password_hash: str) -> None:
    """A new account with its first password."""
    email = values.email.strip().lower()
    try:
        with writing(sessions).begin() as session:
            if session.get(User, user_id) is not None:
                raise AdminRefused("id", _l("This identifier is taken."))
            _refuse_taken_email(session, email)
            _refuse_unknown_desks(session, values.desks)
            user = User(id=user_id, email=email, display_name=values.display_name.strip(),
                        password_hash=password_hash, roles=list(values.roles), language=values.language or None,
                        disabled=values.disabled, failed_logins=0)
            user.desk_links = [DeskMembership(desk_id=d) for d in dict.fromkeys(values.desks)]
            session.add(user)
            session.flush()
            _record(session, actor, "user", user_id, "user_created", {
                "roles": user.roles, "desks": user.desk_ids, "language": user.language, "disabled": user.disabled})
    except IntegrityError:  # the same e-mail given by someone else at the same moment
        raise AdminRefused("email", _l("This e-mail belongs to another account.")) from None


def change_user(sessions: sessionmaker[Session], actor: Actor, user_id: str, values: AccountValues, *,
                password_hash: str | None = None, clear_failed_logins: bool = False) -> None:
    """Change an account: its details, roles, desks, password (when given), lock."""
    email = values.email.strip().lower()
    try:
        with writing(sessions).begin() as session:
            user = session.get(User, user_id)
            if user is None:
                raise AdminRefused("id", _l("There is no account %(id)s.", id=user_id))
            _refuse_taken_email(session, email, user_id)
            _refuse_unknown_desks(session, values.desks)
            if user.id == actor.id and ("admin" not in values.roles or values.disabled):
                raise AdminRefused("roles", _l("You cannot remove your own administrator role or disable yourself."))
            before = {"email": user.email, "display_name": user.display_name, "language": user.language}
            access_before = (user.roles, user.desk_ids, user.disabled)
            user.email, user.display_name = email, values.display_name.strip()
            user.language, user.disabled = values.language or None, values.disabled
            user.roles = list(values.roles)
            wanted = set(values.desks)
            user.desk_links = [link for link in user.desk_links if link.desk_id in wanted] + [
                DeskMembership(desk_id=d) for d in sorted(wanted - set(user.desk_ids))]
            changed = [name for name, value in before.items() if getattr(user, name) != value]
            if password_hash:
                user.password_hash = password_hash
                tokens.withdraw_invitations(session, user.id)
                changed.append("password")
            if password_hash or (user.roles, user.desk_ids, user.disabled) != access_before:
                raise_epoch(user)  # sessions opened with the old rights or password end
            if clear_failed_logins:
                unlock(session, user)
            session.flush()
            _record(session, actor, "user", user_id, "user_changed", {
                "changed": changed, "roles": user.roles, "desks": user.desk_ids, "disabled": user.disabled,
                "unlocked": clear_failed_logins})
    except IntegrityError:
        raise AdminRefused("email", _l("This e-mail belongs to another account.")) from None


def end_sessions(sessions: sessionmaker[Session], actor: Actor, user_id: str) -> None:
    """Sign the account out everywhere (a lost laptop, a copied cookie)."""
    try:
        end_all_sessions(sessions, user_id, actor_id=actor.id, actor_roles=list(actor.roles), reason="admin")
    except LookupError:
        raise AdminRefused("id", _l("There is no account %(id)s.", id=user_id)) from None


def _refuse_taken_email(session: Session, email: str, user_id: str | None = None) -> None:
    query = select(User.id).where(User.email == email)
    if user_id is not None:
        query = query.where(User.id != user_id)
    if session.scalar(query) is not None:
        raise AdminRefused("email", _l("This e-mail belongs to another account."))


def _refuse_unknown_desks(session: Session, desk_ids: Sequence[str]) -> None:
    known = set(session.scalars(select(Desk.id).where(Desk.id.in_(list(desk_ids)))))
    for desk_id in desk_ids:
        if desk_id not in known:
            raise AdminRefused("desks", _l("There is no help desk %(id)s.", id=desk_id))


def _record(session: Session, actor: Actor, subject_type: str, subject_id: str, entry_type: str,
            data: dict[str, Any]) -> None:
    record(session.connection(), subject_type=subject_type, subject_id=subject_id, type=entry_type,
           actor_id=actor.id, actor_roles=actor.roles, data=data)
