"""Moving running cases from one revision of a pathway to another.

A case keeps its revision until someone migrates it. The plan maps the case's stage to a stage of the
target revision — automatically where the stage id still exists, by choice where it does not (the stage's
recorded ticks, documents and form then move to the chosen stage) — and lists the requirements that
become unmet. An unsafe plan is refused with its reason; `CaseService.migrate`
applies a safe one in one operation with its event.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from sqlalchemy.orm import Session

from .errors import Unmet
from .i18n import DEFAULT_LANGUAGE, message
from .library import PathwayLibrary
from .models import Case
from .requirements import StageState


@dataclass
class MigrationPlan:
    case_id: int
    from_revision: int
    to_revision: int
    from_stage: str
    to_stage: str | None
    automatic: bool  # the stage id exists in the target revision
    refusal: str | None = None  # a migration.* code
    refusal_params: dict = field(default_factory=dict)
    newly_unmet: list[Unmet] = field(default_factory=list)

    @property
    def safe(self) -> bool:
        return self.refusal is None

    def reason(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return message(self.refusal, lang, **self.refusal_params) if self.refusal else ""


def plan_migration(session: Session, library: PathwayLibrary, case: Case, target_revision_id: int,
                   stage_map: Mapping[str, str] | None = None) -> MigrationPlan:
    stage_map = stage_map or {}
    source = library.revision(case.revision_id, session).pathway
    target = library.revision(target_revision_id, session).pathway
    chosen = stage_map.get(case.stage_id)
    automatic = chosen is None and target.stage(case.stage_id) is not None
    to_stage = chosen or (case.stage_id if automatic else None)
    plan = MigrationPlan(case.id, case.revision_id, target_revision_id, case.stage_id, to_stage, automatic)

    def refuse(code: str, **params: str) -> MigrationPlan:
        plan.refusal, plan.refusal_params = code, params
        return plan

    if case.status == "closed":
        return refuse("migration.closed")
    if target.id != source.id:
        return refuse("migration.other_pathway")
    if target_revision_id == case.revision_id:
        return refuse("migration.same_revision")
    if to_stage is None:
        return refuse("migration.unmapped", stage=case.stage_id)
    if target.stage(to_stage) is None:
        return refuse("migration.unknown_target", stage=to_stage)

    before = {(u.requirement, u.code) for u in _all_unmet(StageState.load(session, case, source))}
    # The same rows, read against the target revision's stage; the case itself is not touched. A chosen
    # mapping means "this stage became that one": its ticks, documents and form go along.
    after_state = StageState.load(session, case, target, stage_id=to_stage,
                                  rows_of=case.stage_id if not automatic else None)
    if to_stage != case.stage_id:
        after_state.signoffs = []  # entering another stage asks for its sign-offs afresh
    plan.newly_unmet = [u for u in _all_unmet(after_state) if (u.requirement, u.code) not in before]
    return plan


def _all_unmet(state: StageState) -> list[Unmet]:
    return [r.unmet for r in state.requirement_states() if r.unmet is not None and r.requirement.required]
