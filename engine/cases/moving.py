"""Moving a case: exits, reopening, hold and resume, withdrawal and closing, switching pathway,
migrating to another revision."""
from __future__ import annotations

from typing import Any, Sequence

from sqlalchemy import select, update

from .. import policy
from ..errors import (
    EngineError,
    InvalidOperation,
    RequirementsNotMet,
)
from ..library import LoadedRevision
from ..machine import fire
from ..models import (
    AssessmentResponse,
    FormData,
)
from ..requirements import StageState
from .frame import (
    form_of,
    DOCUMENTS,
    EVENTS,
    FORMS,
    RESPONSES,
    TICKS,
    OperationFrame,
    Together,
    _check_group_size,
    _due,
    _jobs,
    _Op,
    _require_reason,
    append_event,
    insert_case,
    stage_state_reads,
)
from .values import Actor, Member, Receipt

CONSENT_WITHDRAWN = "consent_withdrawn"  # the cause of a hold when a worker withdrew their consent


class MovingOperations(OperationFrame):

    def advance(self, case_id: int, actor: Actor, version: int, exit_id: str, *,
                jobs_created: int | None = None, jobs_kept: int | None = None) -> Receipt:
        """Leave the stage through an exit; an exit to an outcome may record the jobs created or kept."""
        with self._operation(case_id, actor, version, reads=stage_state_reads) as op:
            self._manage(op)
            stage = op.stage
            exit_ = stage.exit(exit_id)
            if exit_ is None:
                raise InvalidOperation("unknown_exit", stage=stage.id, exit=exit_id)
            # An exit to another pathway asks that pathway whether it would take the case.
            state = StageState.load(op.session if exit_.pathway else op.connection, op.case, op.pathway, op.now,
                                    library=self.library if exit_.pathway else None)
            target = fire(op.revision.machine, stage.id, exit_id, state)
            if target is None:
                raise RequirementsNotMet(exit_id, state.unmet_for(exit_))
            data: dict[str, Any] = {"exit": exit_id, "exit_label": dict(exit_.label), "from": stage.id,
                                    "from_label": dict(stage.title)}
            new_case_id = None
            if exit_.to:
                self._enter(op, exit_.to)
                data.update(to=exit_.to, to_label=dict(op.stage.title))
            elif exit_.outcome:
                self._close(op, exit_.outcome)
                data.update(outcome=exit_.outcome, **_jobs(jobs_created, jobs_kept))
            else:
                assert exit_.pathway
                new_case_id = self._continue_on(op, exit_.pathway, exit_.at, exit_.carry, reason="")
                data.update(pathway=exit_.pathway, new_case=new_case_id, outcome="referred")
            op.record("advanced", **data)
            return self._receipt(op, new_case_id=new_case_id)

    def _enter(self, op: _Op, stage_id: str) -> None:
        stage = op.pathway.stage(stage_id)
        assert stage is not None
        op.case.stage_id = stage_id
        op.case.stage_visit += 1
        op.case.stage_entered_at = op.now
        op.case.due_at = _due(stage, op.now)

    def _close(self, op: _Op, outcome: str) -> None:
        op.case.status = "closed"
        op.case.outcome = outcome
        op.case.closed_at = op.now
        op.case.due_at = None
        op.case.held_at = None

    def _target_revision(self, op: _Op, pathway_id: str) -> LoadedRevision:
        try:
            return self.library.revision(self.library.active_revision_id(pathway_id, op.session), op.session)
        except EngineError:
            raise InvalidOperation("unknown_pathway", pathway=pathway_id) from None

    def _continue_on(self, op: _Op, pathway_id: str, at: str | None, carry: Sequence[str], reason: str) -> int:
        """Close this case as referred and open its continuation on another pathway, in the same transaction."""
        revision = self._target_revision(op, pathway_id)
        start = at if at and revision.pathway.stage(at) else revision.pathway.start
        members = [Member(m.person_id, m.display_name, m.sex, m.birth_year)
                   for m in op.case.members if m.kind == "worker"]
        _check_group_size(revision.pathway, len(members))  # a group cannot move to a one-person pathway
        mentors = [Member(m.person_id, m.display_name) for m in op.case.members if m.kind == "mentor"]
        new_case_id = insert_case(op.connection, revision, op.case.desk_id, members, mentors,
                                  op.case.supply_chains, op.case.title, op.actor, op.now, start,
                                  previous_case_id=op.case.id)
        for row in op.connection.execute(select(FORMS).where(FORMS.c.case_id == op.case.id,
                                                             FORMS.c.stage_id.in_(list(carry)))):
            op.session.add(FormData(case_id=new_case_id, stage_id=row.stage_id, data=dict(row.data),
                                    submitted_by=row.submitted_by, submitted_at=row.submitted_at))
        for row in op.connection.execute(select(RESPONSES).where(RESPONSES.c.case_id == op.case.id)):
            # Assessments are about the person: they follow the person to the new pathway.
            values = {k: v for k, v in row._mapping.items() if k != "id"}
            op.session.add(AssessmentResponse(**{**values, "case_id": new_case_id}))
        append_event(op.connection, new_case_id, 1, "case_opened", op.actor, op.now, start, {
            "pathway": pathway_id, "pathway_title": dict(revision.pathway.title),
            "revision_id": revision.revision_id, "version": revision.pathway.version,
            "previous_case": op.case.id, "carried": list(carry), "reason": reason,
            "members": [m.person_id for m in members]})
        self._close(op, "referred")
        op.case.next_case_id = new_case_id
        return new_case_id

    def reopen(self, case_id: int, actor: Actor, version: int, stage_id: str | None, reason: str) -> Receipt:
        """Bring an active case back to a stage it visited, or a closed one (an outcome, withdrawn) back to life
        in its last stage. A referred case lives on in its continuation and stays closed."""
        with self._operation(case_id, actor, version, allow_closed=True) as op:
            self._manage(op)
            _require_reason(reason)
            if op.case.status == "closed":
                return self._reopen_closed(op, stage_id, reason)
            if stage_id is None:
                raise InvalidOperation("reopen_not_visited", stage="")
            visited = set(op.connection.execute(select(EVENTS.c.stage_id).where(EVENTS.c.case_id == case_id)).scalars())
            if stage_id not in visited or op.pathway.stage(stage_id) is None:
                raise InvalidOperation("reopen_not_visited", stage=stage_id)
            from_stage = op.stage
            self._enter(op, stage_id)
            op.event_stage = stage_id
            op.record("reopened", **{"from": from_stage.id, "from_label": dict(from_stage.title), "to": stage_id,
                                     "to_label": dict(op.stage.title), "reason": reason})
            return self._receipt(op)

    def _reopen_closed(self, op: _Op, stage_id: str | None, reason: str) -> Receipt:
        if op.case.next_case_id is not None or op.case.outcome == "referred":
            raise InvalidOperation("reopen_referred", case=op.case.next_case_id or "")
        last = op.stage
        if stage_id not in (None, last.id):
            raise InvalidOperation("reopen_closed_stage", stage=dict(last.title))
        outcome = op.case.outcome
        op.case.status = "active"
        op.case.outcome = None
        op.case.closed_at = None
        self._enter(op, last.id)  # a new visit: its due date runs again and its sign-offs are asked afresh
        op.record("reopened", **{"from": last.id, "from_label": dict(last.title), "to": last.id,
                                 "to_label": dict(last.title), "reason": reason, "closed_outcome": outcome})
        return self._receipt(op)

    def hold(self, case_id: int, actor: Actor, version: int, reason: str) -> Receipt:
        with self._operation(case_id, actor, version) as op:
            self._manage(op)
            _require_reason(reason)
            op.case.status = "on_hold"
            op.case.held_at = op.now
            op.record("put_on_hold", reason=reason)
            return self._receipt(op)

    def hold_for_withdrawn_consent(self, case_id: int, actor: Actor, version: int, person_id: str, *,
                                   together: Together | None = None) -> Receipt:
        """A worker withdrew their consent to the processing of their personal data (in the portal, or the
        operator records their signed paper): the processing of the case stops, it is put on hold, and the
        event says why (`cause`); a case already on hold stays so, with the new cause. `together` writes the
        consent record in the same transaction."""
        with self._operation(case_id, actor, version, allow_on_hold=True, together=together) as op:
            role = self._acting_role(op.actor, op.case, policy.CONSENT_WITHDRAWAL_ROLES)
            policy.raise_for_other_member(op.actor, role, person_id)
            if person_id not in {m.person_id for m in op.case.members if m.kind == "worker"}:
                raise InvalidOperation("not_a_member", member=person_id)
            if op.case.status != "on_hold":
                op.case.status = "on_hold"
                op.case.held_at = op.now
            op.record("put_on_hold", cause=CONSENT_WITHDRAWN, member=person_id, reason="")
            return self._receipt(op)

    def resume(self, case_id: int, actor: Actor, version: int, reason: str) -> Receipt:
        with self._operation(case_id, actor, version, allow_on_hold=True) as op:
            self._manage(op)
            _require_reason(reason)
            if op.case.status != "on_hold":
                raise InvalidOperation("case_not_on_hold")
            held_for = op.now - (op.case.held_at or op.now)
            if op.case.due_at is not None:
                op.case.due_at = op.case.due_at + held_for  # time on hold does not count against the due date
            op.case.status = "active"
            op.case.held_at = None
            op.record("resumed", reason=reason, held_days=held_for.days)
            return self._receipt(op)

    def withdraw(self, case_id: int, actor: Actor, version: int, reason: str) -> Receipt:
        with self._operation(case_id, actor, version, allow_on_hold=True) as op:
            self._manage(op)
            _require_reason(reason)
            self._close(op, "withdrawn")
            op.record("closed", outcome="withdrawn", reason=reason)
            return self._receipt(op)

    def close(self, case_id: int, actor: Actor, version: int, outcome: str, reason: str, *,
              jobs_created: int | None = None, jobs_kept: int | None = None) -> Receipt:
        with self._operation(case_id, actor, version, allow_on_hold=True) as op:
            self._manage(op)
            _require_reason(reason)
            if outcome not in op.pathway.outcomes:
                raise InvalidOperation("unknown_outcome", outcome=outcome)
            self._close(op, outcome)
            op.record("closed", outcome=outcome, reason=reason, **_jobs(jobs_created, jobs_kept))
            return self._receipt(op)

    def switch_pathway(self, case_id: int, actor: Actor, version: int, pathway_id: str, reason: str,
                       at: str | None = None, carry: Sequence[str] | None = None) -> Receipt:
        with self._operation(case_id, actor, version, allow_on_hold=True) as op:
            self._manage(op)
            _require_reason(reason)
            if pathway_id == op.pathway.id:
                raise InvalidOperation("switch_same_pathway")
            # By default everything filled in so far goes along (shared stages keep their ids).
            carried = list(carry) if carry is not None else list(op.connection.execute(
                select(FORMS.c.stage_id).where(FORMS.c.case_id == case_id)).scalars())
            new_case_id = self._continue_on(op, pathway_id, at, carried, reason)
            op.record("switched", pathway=pathway_id, new_case=new_case_id, reason=reason, outcome="referred")
            return self._receipt(op, new_case_id=new_case_id)

    def migrate(self, case_id: int, actor: Actor, version: int, target_revision_id: int,
                stage_map: dict[str, str] | None = None) -> Receipt:
        """Move a running case to another revision of its pathway (designers and admins)."""
        from ..migration import plan_migration

        with self._operation(case_id, actor, version, allow_on_hold=True) as op:
            refusal = policy.migrate_refusal(actor)
            if refusal is not None:
                raise refusal
            plan = plan_migration(op.session, self.library, op.case, target_revision_id, stage_map)
            if not plan.safe:
                raise InvalidOperation("migration_refused", reason={
                    lang: plan.reason(lang) for lang in ("it", "fr", "en")})
            assert plan.to_stage is not None
            target = self.library.revision(target_revision_id, op.session)
            from_revision = op.case.revision_id
            op.case.revision_id = target_revision_id
            op.revision = target
            if plan.to_stage != plan.from_stage:
                if not plan.automatic:
                    self._move_stage_rows(op, plan.from_stage, plan.to_stage)
                self._enter(op, plan.to_stage)
            op.event_stage = plan.to_stage
            op.record("migrated", from_revision=from_revision, to_revision=target_revision_id,
                      version=target.pathway.version, from_stage=plan.from_stage, to_stage=plan.to_stage,
                      automatic=plan.automatic, newly_unmet=[u.requirement for u in plan.newly_unmet])
            return self._receipt(op)

    @staticmethod
    def _move_stage_rows(op: _Op, from_stage: str, to_stage: str) -> None:
        """What was recorded for a stage now belongs to the stage it was mapped to."""
        for table in (TICKS, DOCUMENTS):
            op.connection.execute(update(table).where(table.c.case_id == op.case.id, table.c.stage_id == from_stage)
                                  .values(stage_id=to_stage))
        if form_of(op.connection, op.case.id, to_stage) is None:
            op.connection.execute(update(FORMS).where(FORMS.c.case_id == op.case.id, FORMS.c.stage_id == from_stage)
                                  .values(stage_id=to_stage))

