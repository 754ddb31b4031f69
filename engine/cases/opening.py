"""Opening a case for one worker or a group."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping, Sequence

from sqlalchemy import Connection, bindparam, insert, select
from sqlalchemy.orm import Session

from .. import policy
from ..library import _ACTIVE_REVISION
from ..driver import DriverStatement, ReadAhead
from ..assessment import answer_errors, clean_answers, evaluate
from ..errors import (
    EngineError,
    FormInvalid,
    InvalidOperation,
)
from ..models import (
    Desk,
)
from ..pathway import Pathway
from .forms import form_errors
from .frame import (
    _INSERT_FORM,
    RESPONSES,
    OperationFrame,
    Together,
    _check_group_size,
    _check_personal_details,
    append_event,
    insert_case,
)
from .values import Actor, Member, Receipt
from ..db import DriverTransaction

_DESK = DriverStatement(select(Desk.__table__.c.id).where(Desk.__table__.c.id == bindparam("desk_id")))
_READ_ACTIVE_REVISION = ReadAhead(_ACTIVE_REVISION)


class OpeningOperations(OperationFrame):

    def open_case(self, actor: Actor, *, pathway_id: str, desk_id: str, members: Sequence[Member],
                  mentors: Sequence[Member] = (), supply_chains: Sequence[str] = (), title: str = "",
                  revision_id: int | None = None, together: Together | None = None, at: str | None = None,
                  forms: Mapping[str, Mapping[str, Any]] | None = None,
                  assessments: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None) -> Receipt:
        """Open a case at the pathway's start, or `at` a later stage with the `forms` already filled in and
        the `assessments` already answered ({stage: {member: answers}}): a case taken over mid-way, a
        scenario that starts where it matters."""
        with DriverTransaction(self.engine) as connection:
            if revision_id is None:  # read with the desk, in one round trip on PostgreSQL
                connection.read_ahead([(_READ_ACTIVE_REVISION, {"pathway_id": pathway_id})])
            if _DESK.first(connection, {"desk_id": desk_id}) is None:
                raise InvalidOperation("unknown_desk", desk=desk_id)
            refusal = policy.open_case_refusal(actor, desk_id)
            if refusal is not None:
                raise refusal
            revision_id = revision_id or self.library.active_revision_id(pathway_id, connection)
            if self.library.is_cached(revision_id):
                revision = self.library.revision(revision_id)
            else:
                with Session(bind=connection.core) as session:
                    revision = self.library.revision(revision_id, session)
            if revision.pathway.id != pathway_id:
                raise InvalidOperation("unknown_pathway", pathway=pathway_id)
            self._check_members(revision.pathway, members)
            now = self.clock()
            _check_personal_details(members, now)
            start = at or revision.pathway.start
            if revision.pathway.stage(start) is None:
                raise InvalidOperation("unknown_start_stage", stage=start, pathway=pathway_id)
            given = _given_forms(revision.pathway, forms or {})
            case_id = insert_case(connection, revision, desk_id, members, mentors, supply_chains, title, actor,
                                  now, start)
            for stage_id, form_data in given.items():
                _INSERT_FORM.write(connection, {"case_id": case_id, "stage_id": stage_id, "data": form_data,
                                                "submitted_by": actor.id, "submitted_at": now})
            answered = self._given_assessments(connection.core, case_id, revision.pathway, members, assessments,
                                               actor, now) if assessments else []
            data = {"pathway": revision.pathway.id, "pathway_title": dict(revision.pathway.title),
                    "revision_id": revision.revision_id, "version": revision.pathway.version,
                    "members": [m.person_id for m in members]}
            if at or given or answered:
                data.update(given_forms=sorted(given), given_assessments=answered)
            if together is not None:
                data.update(together(connection.core) or {})
            append_event(connection, case_id, 1, "case_opened", actor, now, start, data)
            return Receipt(case_id, 1, "case_opened")

    def _given_assessments(self, connection: Connection, case_id: int, pathway: Pathway, members: Sequence[Member],
                           given: Mapping[str, Mapping[str, Mapping[str, Any]]], actor: Actor,
                           now: datetime) -> list[str]:
        """Record answers a case is opened with, scored like submitted ones; returns '<stage>:<member>'."""
        answered = []
        workers = {m.person_id for m in members}
        for stage_id, by_member in given.items():
            stage = pathway.stage(stage_id)
            if stage is None or stage.assessment is None:
                raise InvalidOperation("stage_has_no_assessment", stage=stage_id, assessment="")
            assessment_id = stage.assessment.assessment_id
            for person, answers in by_member.items():
                if person not in workers:
                    raise InvalidOperation("not_a_member", member=person)
                with Session(bind=connection) as session:
                    try:
                        revision_id = self.assessments.current_revision_id(assessment_id, session)
                    except EngineError:
                        raise InvalidOperation("unknown_assessment", assessment=assessment_id) from None
                    assessment = self.assessments.revision(revision_id, session)
                merged = clean_answers(dict(answers or {}))
                errors = answer_errors(assessment, merged, complete=True)
                if errors:
                    raise FormInvalid(errors)
                connection.execute(insert(RESPONSES), {
                    "case_id": case_id, "person_id": person, "assessment_id": assessment_id,
                    "revision_id": revision_id, "stage_id": stage_id, "answers": merged,
                    "result": evaluate(assessment, merged).as_dict(), "updated_by": actor.id, "updated_at": now,
                    "submitted_by": actor.id, "submitted_at": now})
                answered.append(f"{stage_id}:{person}")
        return answered

    @staticmethod
    def _check_members(pathway: Pathway, members: Sequence[Member]) -> None:
        if not members:
            raise InvalidOperation("no_members")
        if len({m.person_id for m in members}) != len(members):
            raise InvalidOperation("duplicate_members")
        _check_group_size(pathway, len(members))


def _given_forms(pathway: Pathway, forms: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Form data a case is opened with, checked like a submitted form of its stage."""
    given = {}
    for stage_id, data in forms.items():
        stage = pathway.stage(stage_id)
        if stage is None or stage.form is None:
            raise InvalidOperation("stage_has_no_form", stage=stage_id)
        clean = {k: v for k, v in (data or {}).items() if v is not None and v != "" and v != []}
        errors = form_errors(stage.form.json_schema(), clean, stage.form.validator)
        if errors:
            raise FormInvalid(errors)
        given[stage_id] = clean
    return given
