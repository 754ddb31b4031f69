"""Who is on a case: mentors and the workers of a group; links to things outside the engine."""
from __future__ import annotations

from typing import Callable, Sequence

from sqlalchemy import Connection, delete, insert

from ..errors import (
    InvalidOperation,
)
from .frame import (
    MEMBERS,
    OperationFrame,
    Together,
    _check_group_size,
    _check_personal_details,
)
from .values import Actor, Member, Receipt


class PeopleOperations(OperationFrame):
    def assign_mentor(self, case_id: int, actor: Actor, version: int, mentor: Member) -> Receipt:
        with self._operation(case_id, actor, version, allow_on_hold=True) as op:
            self._manage(op)
            if not any(m.kind == "mentor" and m.person_id == mentor.person_id for m in op.case.members):
                op.connection.execute(insert(MEMBERS), {
                    "case_id": case_id, "person_id": mentor.person_id, "kind": "mentor",
                    "display_name": mentor.display_name, "position": len(op.case.members)})
            op.record("members_changed", added_mentor=mentor.person_id)
            return self._receipt(op)

    def change_members(self, case_id: int, actor: Actor, version: int, add: Sequence[Member] = (),
                       remove: Sequence[str] = (), *, together: Together | None = None) -> Receipt:
        """Add or remove workers of a group case (e.g. while a WBO group is being formed)."""
        with self._operation(case_id, actor, version, allow_on_hold=True, together=together) as op:
            self._manage(op)
            workers = [m for m in op.case.members if m.kind == "worker"]
            keep = [m for m in workers if m.person_id not in set(remove)]
            for m in add:
                if any(w.person_id == m.person_id for w in keep):
                    raise InvalidOperation("duplicate_members")
            if not keep and not add:
                raise InvalidOperation("no_members")
            _check_group_size(op.pathway, len(keep) + len(add))
            _check_personal_details(add, op.now)
            if remove:
                op.connection.execute(delete(MEMBERS).where(MEMBERS.c.case_id == case_id, MEMBERS.c.kind == "worker",
                                                            MEMBERS.c.person_id.in_(list(remove))))
            position = max((m.position for m in op.case.members), default=-1) + 1
            for offset, m in enumerate(add):
                op.connection.execute(insert(MEMBERS), {
                    "case_id": case_id, "person_id": m.person_id, "kind": "worker", "display_name": m.display_name,
                    "position": position + offset, "sex": m.sex, "birth_year": m.birth_year})
            op.case.forget_members()
            op.record("members_changed", added=[m.person_id for m in add], removed=list(remove))
            return self._receipt(op)

    def link_reference(self, case_id: int, actor: Actor, version: int, kind: str, ref: str, label: str,
                       linked: bool = True, together: Callable[[Connection], str | None] | None = None) -> Receipt:
        """Record that something outside the engine (a databank resource, a profile...) is linked to the
        case, or no longer is. The engine keeps only the event; the other side keeps its own link.

        `together` is the other side's own write (e.g. the databank reserving a resource), run on the
        operation's connection once the case is claimed and the actor allowed: the two land in one
        transaction, and its refusal (an exception) leaves nothing written. It may return the label to record."""
        with self._operation(case_id, actor, version, allow_on_hold=True) as op:
            self._manage(op)
            if together is not None:
                label = together(op.connection.core) or label
            op.record("reference_linked" if linked else "reference_unlinked", kind=kind, ref=ref, label=label)
            return self._receipt(op)

