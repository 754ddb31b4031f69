"""Resources and cases. The resource's status and the case's event are one transaction: the engine claims
the case (its version), checks the actor, then the databank's write runs on the same connection (a
conditional UPDATE, so two operators cannot both get a resource) before the event is written. A refusal on
either side, or a crash, leaves neither.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from sqlalchemy import Connection, select, update
from sqlalchemy.orm import Session, selectinload

from engine import policy
from engine.cases import Actor, CaseService, Receipt
from engine.i18n import DEFAULT_LANGUAGE, LANGUAGES
from engine.models import Case

from ..errors import DatabankError, EntryInvalid, EntryNotFound, Problem
from ..models import Resource, ResourceLink
from ..vocabulary import label
from .access import require_reader
from .base import DatabankBase
from .records import resource_record


RESOURCE_KIND = "databank.resource"


RESOURCE_TAKEN_KIND = "databank.resource.taken"


class ReservationOperations(DatabankBase):
    """Reserving, releasing and taking a resource for a case."""

    def reserve_resource(self, actor: Actor, resource_id: int, case_id: int, case_version: int,
                         reason: str = "") -> Receipt:
        """Reserve an available resource for a case: the resource becomes `reserved` and the case records a
        `reference_linked` event. Returns the case's receipt (its new version)."""
        cases = self._case_service()
        self._refuse_case(actor, case_id)
        now = self.clock()

        def claim(connection: Connection) -> str:
            with self._joined(connection) as session:
                claimed = session.execute(
                    update(Resource).where(Resource.id == resource_id, Resource.status == "available")
                    .values(status="reserved", reserved_case_id=case_id, version=Resource.version + 1,
                            updated_at=now, updated_by=actor.id)
                    .execution_options(synchronize_session=False)).rowcount
                resource = self._resource_fresh(session, resource_id)
                if claimed != 1:
                    raise DatabankError("databank.resource_not_available",
                                        status={lang: label("status", resource.status, lang) for lang in LANGUAGES})
                session.add(ResourceLink(resource_id=resource_id, case_id=case_id, reserved_by=actor.id,
                                         reserved_at=now, reason=reason))
                return resource.title

        return cases.link_reference(case_id, actor, case_version, RESOURCE_KIND, str(resource_id), "",
                                    together=claim)

    def release_resource(self, actor: Actor, resource_id: int, case_id: int, case_version: int,
                         reason: str = "") -> Receipt:
        """Give back a resource reserved (or taken) by a case: available again, `reference_unlinked`."""
        cases = self._case_service()
        self._refuse_case(actor, case_id)
        now = self.clock()

        def give_back(connection: Connection) -> str:
            with self._joined(connection) as session:
                before = self._held_by(session, resource_id, case_id, ("reserved", "taken"))
                self._set_status(session, resource_id, case_id, before, status="available", reserved_case_id=None,
                                 updated_at=now, updated_by=actor.id)
                for link in self._open_links(session, resource_id, case_id):
                    link.released_at, link.released_by, link.reason = now, actor.id, reason or link.reason
                return self._resource_fresh(session, resource_id).title

        return cases.link_reference(case_id, actor, case_version, RESOURCE_KIND, str(resource_id), "",
                                    linked=False, together=give_back)

    def mark_resource_taken(self, actor: Actor, resource_id: int, case_id: int, case_version: int) -> Receipt:
        """The case has taken the resource it reserved (bought, rented, borrowed): `taken`."""
        cases = self._case_service()
        self._refuse_case(actor, case_id)
        now = self.clock()

        def take(connection: Connection) -> str:
            with self._joined(connection) as session:
                self._held_by(session, resource_id, case_id, ("reserved",))
                self._set_status(session, resource_id, case_id, "reserved", status="taken", updated_at=now,
                                 updated_by=actor.id)
                for link in self._open_links(session, resource_id, case_id):
                    link.taken_at = now
                return self._resource_fresh(session, resource_id).title

        return cases.link_reference(case_id, actor, case_version, RESOURCE_TAKEN_KIND, str(resource_id), "",
                                    together=take)

    @staticmethod
    @contextmanager
    def _joined(connection: Connection) -> Iterator[Session]:
        """A session inside the engine operation's transaction: it writes there, the engine commits."""
        session = Session(bind=connection, expire_on_commit=False)
        try:
            yield session
            session.flush()
        finally:
            session.close()

    def _refuse_case(self, actor: Actor, case_id: int) -> None:
        """Refuse early, before claiming anything, when the actor may not act on the case."""
        with self.sessions() as session:
            case = session.get(Case, case_id)
            if case is None:
                raise EntryInvalid([Problem("case_id", "value.unknown_case", {"value": case_id})])
            refusal = policy.manage_refusal(actor, case)
            if refusal is not None:
                raise refusal

    def _held_by(self, session: Session, resource_id: int, case_id: int, statuses: tuple[str, ...]) -> str:
        resource = self._resource_fresh(session, resource_id)
        if resource.status not in statuses or resource.reserved_case_id != case_id:
            raise DatabankError("databank.not_reserved_for_case", case_id=case_id)
        return resource.status

    @staticmethod
    def _set_status(session: Session, resource_id: int, case_id: int, expected: str, **values: Any) -> None:
        changed = session.execute(
            update(Resource).where(Resource.id == resource_id, Resource.status == expected,
                                   Resource.reserved_case_id == case_id)
            .values(version=Resource.version + 1, **values)
            .execution_options(synchronize_session=False)).rowcount
        if changed != 1:
            raise DatabankError("databank.not_reserved_for_case", case_id=case_id)

    def _resource_fresh(self, session: Session, resource_id: int) -> Resource:
        resource = session.get(Resource, resource_id, populate_existing=True)
        if resource is None:
            raise EntryNotFound("databank.resource_not_found", id=resource_id)
        return resource

    @staticmethod
    def _open_links(session: Session, resource_id: int, case_id: int) -> list[ResourceLink]:
        return list(session.scalars(select(ResourceLink).where(
            ResourceLink.resource_id == resource_id, ResourceLink.case_id == case_id,
            ResourceLink.released_at.is_(None))))

    def _case_service(self) -> CaseService:
        if self.cases is None:
            raise RuntimeError("the databank was built without a CaseService")
        return self.cases

    def resources_of_case(self, actor: Actor, case_id: int, lang: str = DEFAULT_LANGUAGE) -> list[dict[str, Any]]:
        """The resources reserved for (or taken by) a case, for the case page."""
        require_reader(actor)
        with self.sessions() as session:
            rows = session.scalars(select(Resource).where(Resource.reserved_case_id == case_id)
                                   .options(selectinload(Resource.files), selectinload(Resource.links))
                                   .order_by(Resource.id))
            return [resource_record(r, lang) for r in rows]
