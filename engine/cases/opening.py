"""Opening a case for one worker or a group."""
from __future__ import annotations

from datetime import datetime
from typing import Sequence

from sqlalchemy.orm import Session

from ..errors import (
    InvalidOperation,
    NotAllowed,
)
from ..library import LoadedRevision
from ..models import (
    Case,
    CaseMember,
    Desk,
    Event,
)
from ..pathway import Pathway
from .frame import (
    OperationFrame,
    _check_group_size,
    _check_personal_details,
    _due,
)
from .values import Actor, Member, Receipt


class OpeningOperations(OperationFrame):

    def open_case(self, actor: Actor, *, pathway_id: str, desk_id: str, members: Sequence[Member],
                  mentors: Sequence[Member] = (), supply_chains: Sequence[str] = (), title: str = "",
                  revision_id: int | None = None) -> Receipt:
        with self.session_factory.begin() as session:
            desk = session.get(Desk, desk_id)
            if desk is None:
                raise InvalidOperation("unknown_desk", desk=desk_id)
            if not actor.has("admin") and not (actor.has("operator") and desk_id in actor.desks):
                raise NotAllowed("not_allowed.desk" if actor.has("operator") else "not_allowed.role",
                                 roles=["operator"])
            revision = self.library.revision(revision_id or self.library.active_revision_id(pathway_id, session), session)
            if revision.pathway.id != pathway_id:
                raise InvalidOperation("unknown_pathway", pathway=pathway_id)
            self._check_members(revision.pathway, members)
            now = self.clock()
            _check_personal_details(members, now)
            case = self._new_case(session, revision, desk_id, members, mentors, supply_chains, title, actor, now,
                                  revision.pathway.start)
            session.flush()
            session.add(Event(case_id=case.id, seq=1, type="case_opened", actor_id=actor.id,
                              actor_roles=sorted(actor.roles), at=now, stage_id=case.stage_id,
                              data={"pathway": revision.pathway.id, "pathway_title": dict(revision.pathway.title),
                                    "revision_id": revision.revision_id, "version": revision.pathway.version,
                                    "members": [m.person_id for m in members]}))
            return Receipt(case.id, 1, "case_opened")

    @staticmethod
    def _check_members(pathway: Pathway, members: Sequence[Member]) -> None:
        if not members:
            raise InvalidOperation("no_members")
        if len({m.person_id for m in members}) != len(members):
            raise InvalidOperation("duplicate_members")
        _check_group_size(pathway, len(members))

    def _new_case(self, session: Session, revision: LoadedRevision, desk_id: str, members: Sequence[Member],
                  mentors: Sequence[Member], supply_chains: Sequence[str], title: str, actor: Actor,
                  now: datetime, stage_id: str) -> Case:
        stage = revision.pathway.stage(stage_id)
        assert stage is not None
        case = Case(
            pathway_id=revision.pathway.id, revision_id=revision.revision_id, desk_id=desk_id,
            title=title or ", ".join(m.display_name or m.person_id for m in members)[:300],
            status="active", stage_id=stage_id, stage_visit=1, version=1, supply_chains=list(supply_chains),
            opened_by=actor.id, opened_at=now, stage_entered_at=now, due_at=_due(stage, now),
        )
        for position, m in enumerate(members):
            case.members.append(CaseMember(person_id=m.person_id, kind="worker", display_name=m.display_name,
                                           position=position, sex=m.sex, birth_year=m.birth_year))
        for position, m in enumerate(mentors):
            case.members.append(CaseMember(person_id=m.person_id, kind="mentor", display_name=m.display_name,
                                           position=position))
        session.add(case)
        return case
