"""The common methodology on a case: questionnaire drafts and submissions, the recommendation, the
pathway chosen with the worker."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.orm import Session

from .. import policy
from ..assessment import answer_errors, clean_answers, evaluate
from ..db import writing
from ..errors import (
    EngineError,
    FormInvalid,
    InvalidOperation,
    NotFound,
)
from .frame import (
    _RESPONSE,
    CASES,
    FORMS,
    RESPONSES,
    CaseState,
    OperationFrame,
    _require_reason,
)
from .values import Actor, Receipt


class MethodologyOperations(OperationFrame):

    def save_assessment_answers(self, case_id: int, actor: Actor, answers: dict[str, Any],
                                person_id: str | None = None) -> dict[str, Any]:
        """Keep answers as they are given (a page at a time; leaving and coming back loses nothing).
        A draft is not a change of the case: no version, no event — submitting is the operation."""
        with writing(self.engine).begin() as connection:
            row = connection.execute(select(CASES).where(CASES.c.id == case_id)).first()
            if row is None:
                raise NotFound(case_id=case_id)
            case = CaseState(row._asdict(), connection)
            if case.status != "active":
                raise InvalidOperation("case_closed" if case.status == "closed" else "case_on_hold",
                                       outcome=case.outcome or "")
            stage = self.library.revision(case.revision_id).pathway.stage(case.stage_id)
            requirement = stage.assessment if stage else None
            if requirement is None:
                raise InvalidOperation("stage_has_no_assessment", stage=case.stage_id, assessment="")
            role = self._acting_role(actor, case, requirement.roles)
            person = self._person_for(case, actor, role, person_id, requirement.label)
            key = {"case_id": case_id, "person_id": person, "assessment_id": requirement.assessment_id}
            existing = _RESPONSE.first(connection, key)
            if existing is not None and existing.submitted_at is not None:
                raise InvalidOperation("already_submitted")
            with Session(bind=connection) as session:
                revision_id = existing.revision_id if existing else self.assessments.current_revision_id(
                    requirement.assessment_id, session)
                assessment = self.assessments.revision(revision_id, session)
            errors = answer_errors(assessment, clean_answers(answers), complete=False)
            if errors:
                raise FormInvalid(errors)
            merged = {**(existing.answers if existing else {}), **answers}
            merged = clean_answers(merged)
            now = self.clock()
            if existing is None:
                connection.execute(insert(RESPONSES), {**key, "revision_id": revision_id, "stage_id": case.stage_id,
                                                       "answers": merged, "updated_by": actor.id, "updated_at": now})
            else:
                connection.execute(update(RESPONSES).where(RESPONSES.c.id == existing.id).values(
                    answers=merged, updated_by=actor.id, updated_at=now))
            return merged

    def submit_assessment(self, case_id: int, actor: Actor, version: int, person_id: str | None = None,
                          answers: dict[str, Any] | None = None) -> Receipt:
        """Submit one person's answers (the saved ones, completed by `answers`): scored and recommended."""
        with self._operation(case_id, actor, version) as op:
            requirement = op.stage.assessment
            if requirement is None:
                raise InvalidOperation("stage_has_no_assessment", stage=op.stage.id, assessment="")
            role = self._acting_role(actor, op.case, requirement.roles)
            person = self._person_for(op.case, actor, role, person_id, requirement.label)
            key = {"case_id": case_id, "person_id": person, "assessment_id": requirement.assessment_id}
            existing = _RESPONSE.first(op.connection, key)
            if existing is not None and existing.submitted_at is not None:
                raise InvalidOperation("already_submitted")
            revision_id = existing.revision_id if existing else self.assessments.current_revision_id(
                requirement.assessment_id, op.session)
            assessment = self.assessments.revision(revision_id, op.session)
            merged = clean_answers({**(existing.answers if existing else {}), **(answers or {})})
            errors = answer_errors(assessment, merged, complete=True)
            if errors:
                raise FormInvalid(errors)
            result = evaluate(assessment, merged)
            values = {"answers": merged, "result": result.as_dict(), "updated_by": actor.id, "updated_at": op.now,
                      "submitted_by": actor.id, "submitted_at": op.now}
            if existing is None:
                op.connection.execute(insert(RESPONSES), {**key, "revision_id": revision_id,
                                                          "stage_id": op.stage.id, **values})
            else:
                op.connection.execute(update(RESPONSES).where(RESPONSES.c.id == existing.id).values(**values))
            op.record("assessment_submitted", assessment=assessment.id, revision_id=revision_id,
                      label=dict(requirement.label or assessment.title), member=person,
                      recommended_pathway=result.recommended_pathway,
                      recommended_supply_chain=result.recommended_supply_chain, scores=dict(result.scores))
            return self._receipt(op)

    def recommendation(self, case_id: int) -> list[tuple[str, float]]:
        """The pathways ranked over every submitted assessment of the case's workers (points added up)."""
        with self.engine.connect() as connection:
            return self._recommendation(connection, case_id)

    @staticmethod
    def _recommendation(connection: Connection, case_id: int) -> list[tuple[str, float]]:
        rows = connection.execute(select(RESPONSES.c.result).where(
            RESPONSES.c.case_id == case_id, RESPONSES.c.submitted_at.is_not(None))).scalars()
        totals: dict[str, float] = {}
        order: list[str] = []
        for result in rows:
            for ranked in (result or {}).get("pathways", []):
                if ranked["target"] not in totals:
                    order.append(ranked["target"])
                totals[ranked["target"]] = totals.get(ranked["target"], 0) + ranked["points"]
        return sorted(totals.items(), key=lambda item: (-item[1], order.index(item[0])))

    def record_pathway_choice(self, case_id: int, actor: Actor, version: int, pathway_id: str,
                              reason: str = "") -> Receipt:
        """The operator records the pathway chosen with the worker — agreeing with the recommendation or
        not (then with a reason). Choosing another pathway continues the case there, at the same stage of
        the shared intake, with everything filled in so far."""
        with self._operation(case_id, actor, version) as op:
            self._manage(op)
            # Read inside the operation: the recommendation is the one the choice is compared with.
            ranking = self._recommendation(op.connection, case_id)
            if not ranking:
                raise InvalidOperation("choice_without_assessment")
            recommended = ranking[0][0] if ranking[0][1] > 0 else None
            if pathway_id != op.pathway.id:
                target = self._target_revision(op, pathway_id)
                if target.pathway.stage(op.case.stage_id) is None:
                    raise InvalidOperation("choice_stage_missing", stage=op.case.stage_id, pathway=pathway_id)
            agrees = recommended == pathway_id
            if not agrees:
                _require_reason(reason)
            data: dict[str, Any] = {"pathway": pathway_id, "recommended": recommended, "agrees": agrees,
                                    "reason": reason, "ranking": ranking}
            new_case_id = None
            if pathway_id != op.pathway.id:
                carried = list(op.connection.execute(
                    select(FORMS.c.stage_id).where(FORMS.c.case_id == case_id)).scalars())
                new_case_id = self._continue_on(op, pathway_id, op.case.stage_id, carried, reason)
                data.update(new_case=new_case_id, outcome="referred")
            try:
                data["pathway_title"] = dict(self.library.current(pathway_id).pathway.title)
            except EngineError:
                pass
            op.record("pathway_chosen", **data)
            return self._receipt(op, new_case_id=new_case_id)

    def _person_for(self, case: Any, actor: Actor, role: str, person_id: str | None, label: Any) -> str:
        """Whose answers: a worker answers for themselves; staff name the worker."""
        workers = {m.person_id for m in case.members if m.kind == "worker"}
        if role == "worker":
            policy.raise_for_other_member(actor, role, person_id)
            return actor.id
        if person_id is None:
            if len(workers) == 1:
                return next(iter(workers))
            raise InvalidOperation("member_required", requirement=label or "")
        if person_id not in workers:
            raise InvalidOperation("not_a_member", member=person_id)
        return person_id
