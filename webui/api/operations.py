"""The changes made around the API: tokens, the partner systems' service accounts, webhook endpoints, replayed
deliveries.

Each is one operation in one transaction that writes its rows and one audit entry (engine/audit.py), as the
admin's operations do (webui/admin/operations.py); the pages read the form and show the result. A new service
account and its first token are one transaction: either both exist, with their entries, or neither.
The call counter of a token and the delivery log's attempts are bookkeeping, not changes of record: they are
written where they happen (webui/api/tokens.py, webui/api/webhooks.py) and keep no audit entry.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from engine import Actor
from engine.audit import record
from engine.db import writing

from ..admin.operations import AdminRefused
from ..models import DeskMembership, User
from .models import ServiceAccount, WebhookDelivery, WebhookEndpoint
from .tokens import create_token, revoke
from .webhooks import change_endpoint, register_endpoint, replay


@dataclass(frozen=True)
class TokenValues:
    name: str
    scope: str
    days: int


@dataclass(frozen=True)
class WebhookValues:
    url: str
    event_types: Sequence[str]
    desks: Sequence[str]


def issue_token(sessions: sessionmaker[Session], actor: Actor, user_id: str, values: TokenValues,
                kind: str) -> str:
    """A new token of `user_id` (`kind`: "personal" or "service"); the plain token, shown once."""
    with writing(sessions).begin() as session:
        return _issue_token(session, actor, user_id, values, kind)


def _issue_token(session: Session, actor: Actor, user_id: str, values: TokenValues, kind: str) -> str:
    row, plain = create_token(session, user_id, name=values.name, scope=values.scope, days=values.days,
                              created_by=actor.id)
    _record(session, actor, "api_token", row.id, "token_created", user=user_id, name=values.name,
            scope=values.scope, kind=kind)
    return plain


def revoke_token(sessions: sessionmaker[Session], actor: Actor, token_id: int, owner_id: str | None) -> bool:
    """Revoke a token of `owner_id` (None: any account's, an admin's revocation); False if there is none."""
    with writing(sessions).begin() as session:
        if not revoke(session, token_id, owner_id):
            return False
        _record(session, actor, "api_token", token_id, "token_revoked")
    return True


def create_service_account(sessions: sessionmaker[Session], actor: Actor, account_id: str, display_name: str,
                           desks: Sequence[str], token: TokenValues) -> str:
    """A partner system's account (an operator of `desks`, without password) with its first token; the plain
    token."""
    taken = AdminRefused("account_id", _l("An account %(id)s exists already.", id=account_id))
    try:
        with writing(sessions).begin() as session:
            if session.get(User, account_id) is not None:
                raise taken
            user = User(id=account_id, email=None, display_name=display_name, password_hash=None,
                        roles=["operator"], disabled=False, failed_logins=0)
            user.desk_links = [DeskMembership(desk_id=d) for d in dict.fromkeys(desks)]
            session.add(user)
            session.flush()  # the account before the row that names it
            session.add(ServiceAccount(user_id=account_id, created_by=actor.id))
            session.flush()
            _record(session, actor, "user", account_id, "service_account_created", desks=sorted(set(desks)))
            return _issue_token(session, actor, account_id, token, "service")
    except IntegrityError:  # the same id given by another admin at the same moment
        raise taken from None


def register_webhook(sessions: sessionmaker[Session], actor: Actor, values: WebhookValues) -> str:
    """A partner's endpoint, receiving the events from now on; its signing secret, shown once."""
    with writing(sessions).begin() as session:
        endpoint = register_endpoint(session, values.url, list(values.event_types), actor.id, list(values.desks))
        _record(session, actor, "webhook", endpoint.id, "webhook_registered", url=values.url,
                event_types=list(values.event_types), desks=list(values.desks))
        return endpoint.secret


def change_webhook(sessions: sessionmaker[Session], actor: Actor, endpoint_id: int, values: WebhookValues,
                   active: bool) -> bool:
    """Change an endpoint's address, event types, desks, or switch it off and on; False if there is none.
    The entry names what changed; a save that changes nothing writes none."""
    with writing(sessions).begin() as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        if endpoint is None:
            return False
        changes = change_endpoint(endpoint, values.url, list(values.event_types), list(values.desks), active)
        if changes:
            _record(session, actor, "webhook", endpoint_id, "webhook_changed", changes=changes)
    return True


def replay_delivery(sessions: sessionmaker[Session], actor: Actor, delivery_id: int) -> int | None:
    """Send a delivery again at the next run of the notifications; its endpoint's id, None if there is none."""
    with writing(sessions).begin() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None or not replay(session, delivery_id):
            return None
        _record(session, actor, "webhook", delivery.endpoint_id, "delivery_replayed", delivery=delivery_id)
        return delivery.endpoint_id


def _record(session: Session, actor: Actor, subject_type: str, subject_id: Any, entry_type: str,
            **data: Any) -> None:
    record(session.connection(), subject_type=subject_type, subject_id=subject_id, type=entry_type,
           actor_id=actor.id, actor_roles=actor.roles, data=data)
