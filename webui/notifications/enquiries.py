"""Enquiries from the public catalogue, delivered to the help desk they are routed to.

Each contact request becomes an outbox row per recipient — the desk's contact address, else the desk's
operators — with the key `enquiry:<request id>:<recipient>`. The view queues and tries to send at once;
`opera notify` queues what a crash between storing the request and queueing left behind, so an enquiry is
never lost, and sends what the SMTP server refused.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from databank.models import ContactRequest, Resource
from databank.territory import gazetteer
from engine.models import Desk, utcnow

from ..models import DeskMembership, User, UserRole
from .models import OutboxMessage
from .rules import Draft, add_message, base_url

KIND = "public_enquiry"
CATCH_UP = timedelta(days=30)  # how far back `opera notify` looks for requests without their message
DESK_LANGUAGES = {"IT": "it", "FR": "fr"}


def recipients(session: Session, desk: Desk) -> list[tuple[str, str]]:
    """(recipient id, e-mail) of a desk: its contact address, else each of its operators with an address."""
    if desk.contact_email:
        return [(f"desk:{desk.id}", desk.contact_email)]
    rows = session.execute(
        select(User.id, User.email).join(DeskMembership, DeskMembership.user_id == User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(DeskMembership.desk_id == desk.id, UserRole.role == "operator", User.disabled.is_(False),
               User.email.is_not(None)).order_by(User.id))
    return [(user_id, email) for user_id, email in rows]


def queue_enquiry(session: Session, request_id: int, now: datetime | None = None) -> list[int]:
    """Outbox rows for one contact request (none twice); returns the ids of the rows added."""
    now = now or utcnow()
    enquiry = session.get(ContactRequest, request_id)
    desk = session.get(Desk, enquiry.desk_id) if enquiry is not None else None
    if enquiry is None or desk is None:
        return []
    language = DESK_LANGUAGES.get((desk.country or "").upper(), "en")
    resource = session.get(Resource, enquiry.resource_id) if enquiry.resource_id else None
    draft = _draft(enquiry, desk, resource, language)
    added = []
    for recipient, email in recipients(session, desk):
        one = replace(draft, key=f"enquiry:{enquiry.id}:{recipient}", recipient=recipient)
        # read_at: for a mailbox, not for anyone's in-app list
        row_id = add_message(session, one, email, language, read_at=now)
        if row_id is not None:
            added.append(row_id)
    return added


def _draft(enquiry: ContactRequest, desk: Desk, resource: Resource | None, language: str) -> Draft:
    with force_locale(language):
        about = (_("about the resource: %(title)s", title=resource.title) if resource is not None
                 else _("about the area: %(region)s", region=gazetteer().name(enquiry.region, language) or "—"))
        subject = _("Public catalogue: an enquiry %(about)s", about=about)
        lines = [
            _("Someone wrote to %(desk)s from the public catalogue, %(about)s.", desk=desk.name, about=about),
            "",
            _("Name: %(name)s", name=enquiry.name),
            _("E-mail: %(email)s", email=enquiry.email),
        ]
        if enquiry.organisation:
            lines.append(_("Organisation: %(organisation)s", organisation=enquiry.organisation))
        lines += ["", enquiry.message, "",
                  _("Answer the sender at the e-mail address above. Enquiry number: %(id)s.", id=enquiry.id)]
    link = ""
    if resource is not None:
        from databank.public import slug

        link = f"{base_url()}/catalogue/{language}/resources/{resource.id}-{slug(resource.title)}"
    return Draft(f"enquiry:{enquiry.id}", f"desk:{desk.id}", KIND, None, None, subject, "\n".join(lines), link)


def queue_missing(session: Session, now: datetime | None = None) -> int:
    """Queue the recent contact requests that have no message yet (after a crash); returns rows added."""
    now = now or utcnow()
    requests = list(session.scalars(select(ContactRequest.id).where(ContactRequest.created_at >= now - CATCH_UP)))
    if not requests:
        return 0
    queued = {key.split(":")[1] for key in session.scalars(
        select(OutboxMessage.key).where(OutboxMessage.kind == KIND, OutboxMessage.created_at >= now - CATCH_UP
                                        - timedelta(days=1)))}
    added = 0
    for request_id in requests:
        if str(request_id) not in queued:
            added += len(queue_enquiry(session, request_id, now))
    session.commit()
    return added
