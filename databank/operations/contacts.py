"""Contact requests from the public catalogue, routed to the responsible desk."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine import policy
from engine.cases import Actor
from engine.i18n import DEFAULT_LANGUAGE, LANGUAGES
from engine.models import Desk

from ..errors import DatabankError, DatabankNotAllowed, EntryInvalid, EntryNotFound
from ..fields import Fields
from ..models import ContactRequest, Resource
from ..territory import gazetteer
from ..text import normalized
from .base import DatabankBase
from .recording import PUBLIC_ACTOR, record_change


class ContactOperations(DatabankBase):
    """Contact requests from the public catalogue."""

    def submit_contact_request(self, data: dict[str, Any]) -> int:
        """A message from the public catalogue, routed to the desk of the resource it is about, else to a
        desk of the region it names, else to the first desk."""
        with self._transaction() as session:
            f = Fields(data, ("name", "email", "organisation", "message", "language", "resource_id", "region"))
            values = {
                "name": f.line("name", 200, required=True), "email": f.email("email", required=True),
                "organisation": f.line("organisation", 200), "message": f.text("message", 5000, required=True),
                "language": f.raw("language") if f.raw("language") in LANGUAGES else DEFAULT_LANGUAGE,
            }
            resource_id = f.integer("resource_id", 1, 2**31 - 1)
            region = gazetteer().find(f.line("region", 100), "region") if f.raw("region") else None
            if f.problems:
                raise EntryInvalid(f.problems)
            desk_id = None
            if resource_id is not None:
                resource = session.get(Resource, resource_id)
                if resource is None or not resource.published:
                    raise EntryNotFound("databank.resource_not_found", id=resource_id)
                desk_id = resource.desk_id
                region = gazetteer().get(resource.region) or region
            desks = list(session.scalars(select(Desk).order_by(Desk.id)))
            if desk_id is None and region is not None:
                names = {normalized(n) for n in region.names.values()} | {normalized(region.code)}
                desk_id = next((d.id for d in desks if normalized(d.region) in names), None)
            if desk_id is None and desks:
                desk_id = desks[0].id
            if desk_id is None:
                raise DatabankError("databank.no_desk")
            row = ContactRequest(desk_id=desk_id, resource_id=resource_id, region=region.code if region else "",
                                 created_at=self.clock(), **values)
            session.add(row)
            session.flush()
            record_change(session, PUBLIC_ACTOR, "databank.contact_request", row.id, "contact_request_received",
                    {"desk": desk_id, "resource": resource_id})
            return row.id

    def contact_requests(self, actor: Actor, desk_id: str | None = None) -> list[dict[str, Any]]:
        with self.sessions() as session:
            stmt = select(ContactRequest).order_by(ContactRequest.created_at.desc(), ContactRequest.id.desc())
            reason = policy.contact_requests_refusal(actor)
            if reason is not None:
                raise DatabankNotAllowed(reason)
            desks = policy.visible_desk_ids(actor)
            if desks is not None:
                stmt = stmt.where(ContactRequest.desk_id.in_(sorted(desks)))
            if desk_id:
                stmt = stmt.where(ContactRequest.desk_id == desk_id)
            return [{"id": r.id, "desk_id": r.desk_id, "resource_id": r.resource_id, "region": r.region,
                     "name": r.name, "email": r.email, "organisation": r.organisation, "message": r.message,
                     "language": r.language, "created_at": r.created_at, "handled_at": r.handled_at}
                    for r in session.scalars(stmt)]
