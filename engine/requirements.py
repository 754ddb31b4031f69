"""What a case has done in its current stage, and what is still missing to leave it.

`StageState.load()` reads the requirement rows of one case and stage; `unmet_for(exit)` answers
"why can't this stage be left through this exit yet" with machine-readable codes and localized messages.
The same answer serves the service's guards, the operator page, the worker portal and the API.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from . import conditions
from .driver import DriverStatement
from .errors import Unmet
from .i18n import LANGUAGES, localize, message
from .models import DESKS, DOCUMENTS, FORMS, RESPONSES, SIGNOFFS, TICKS, utcnow
from .policy import approvals
from .pathway import AssessmentRequirement, ChecklistItem, DocumentRule, Exit, Form, Pathway, SignOffRule, Stage
_SUBMITTED_RESPONSES = DriverStatement(select(RESPONSES).where(
    RESPONSES.c.case_id == bindparam("case_id"), RESPONSES.c.assessment_id == bindparam("assessment_id"),
    RESPONSES.c.submitted_at.is_not(None)))
_TICKS_OF = DriverStatement(select(TICKS).where(TICKS.c.case_id == bindparam("case_id"), TICKS.c.stage_id == bindparam("stage_id")))
_DOCUMENTS_OF = DriverStatement(select(DOCUMENTS).where(
    DOCUMENTS.c.case_id == bindparam("case_id"), DOCUMENTS.c.stage_id == bindparam("stage_id"),
    DOCUMENTS.c.removed_at.is_(None)).order_by(DOCUMENTS.c.id))
_FORMS_OF = DriverStatement(select(FORMS).where(FORMS.c.case_id == bindparam("case_id")))
_SIGNOFFS_OF = DriverStatement(select(SIGNOFFS).where(
    SIGNOFFS.c.case_id == bindparam("case_id"), SIGNOFFS.c.stage_id == bindparam("stage_id"),
    SIGNOFFS.c.stage_visit == bindparam("stage_visit")).order_by(SIGNOFFS.c.id))


@dataclass
class RequirementState:
    """The state of one requirement of the current stage, for display."""

    requirement: Any  # ChecklistItem | DocumentRule | Form | SignOffRule
    met: bool
    unmet: Unmet | None
    done_by: dict[str, Any] = field(default_factory=dict)  # member id ("" for all) -> tick/document rows
    rows: list[Any] = field(default_factory=list)
    members: list[tuple[str, str]] = field(default_factory=list)  # (person id, name) of the workers, if per member

    @property
    def id(self) -> str:
        return self.requirement.id

    @property
    def kind(self) -> str:
        return self.requirement.kind

    @property
    def per_member(self) -> bool:
        """Each worker does their own part (a document, a tick, the answers), rather than one for the group."""
        return bool(getattr(self.requirement, "per_member", False))

    @property
    def by_member(self) -> list[tuple[str, str, Any]]:
        """(person id, name, their row or None) for each worker who does their part."""
        return [(person, name, self.done_by.get(person)) for person, name in self.members]

    @property
    def still_to_act(self) -> list[str]:
        """The names of the workers whose part is still missing."""
        return [name for person, name, row in self.by_member if row is None]

    def done_for(self, person_id: str) -> bool:
        """Whether nothing is left for this person: their own part where each worker does one, their sign-off
        (or enough given by others), else the requirement met."""
        if self.per_member:
            return person_id in self.done_by
        if isinstance(self.requirement, SignOffRule):
            return self.met or any(r.actor_id == person_id for r in self.rows)
        return self.met

    def rows_of(self, person_id: str) -> list[Any]:
        """The rows this person sees as theirs: their own where each worker acts or signs, else the group's."""
        if isinstance(self.requirement, AssessmentRequirement):
            return [r for r in self.rows if r.person_id == person_id]
        if self.per_member:
            return [r for r in self.rows if r.member_id == person_id]
        if isinstance(self.requirement, SignOffRule):
            return [r for r in self.rows if r.actor_id == person_id]
        return list(self.rows)


def rows_judged(stage: Stage) -> tuple[bool, bool, bool, bool]:
    """Which rows a stage's state is judged on (`StageState.load` reads only those): its ticks, its
    documents, the case's forms (its own, or one an exit's condition may read), its sign-offs."""
    return (bool(stage.checklist), bool(stage.documents), stage.form is not None or any(e.when for e in stage.exits),
            bool(stage.signoffs))


def needs_members(stage: Stage) -> bool:
    """Whether judging the stage reads the case's members: a requirement each worker meets."""
    return any(getattr(r, "per_member", False) for r in stage.requirements)


@dataclass
class StageState:
    """Rows are read only for the kinds of requirement the stage has; members and the desk only when a
    rule asks for them (a per-member requirement, a condition on case facts)."""

    case: Any  # a Case, or the operation's CaseState
    pathway: Pathway
    stage: Stage
    ticks: list[Any]
    documents: list[Any]
    forms: dict[str, Any]  # submitted forms by stage id (all of them when a condition may read them)
    signoffs: list[Any]  # of the current visit of the stage
    responses: list[Any]  # submitted answers to the stage's assessment
    now: datetime
    connection: Connection | None = None
    # The pathways the stage's exits continue on (None: not a pathway the library knows). Without them
    # (no library given) an exit to another pathway is judged on this stage alone.
    targets: dict[str, Pathway | None] | None = None

    @classmethod
    def load(cls, session: Session | Connection, case: Any, pathway: Pathway, now: datetime | None = None,
             stage_id: str | None = None, rows_of: str | None = None, library: Any = None) -> "StageState":
        """The state of the case's current stage — or, to preview a migration, of `stage_id` of another
        revision, reading the rows recorded for stage `rows_of`."""
        stage = pathway.stage(stage_id or case.stage_id)
        assert stage is not None, f"case {case.id} is at unknown stage {case.stage_id}"
        rows_of = rows_of or stage.id
        connection = session.connection() if isinstance(session, Session) else session
        rows_key = {"case_id": case.id, "stage_id": rows_of}
        reads_ticks, reads_documents, reads_forms, reads_signoffs = rows_judged(stage)
        ticks = _TICKS_OF.all(connection, rows_key) if reads_ticks else []
        documents = _DOCUMENTS_OF.all(connection, rows_key) if reads_documents else []
        forms: dict[str, Any] = {}
        if reads_forms:
            forms = {f.stage_id: f for f in _FORMS_OF.all(connection, {"case_id": case.id})}
            if rows_of != stage.id and rows_of in forms:
                forms[stage.id] = forms[rows_of]
        signoffs = _SIGNOFFS_OF.all(connection, {
            "case_id": case.id, "stage_id": stage.id, "stage_visit": case.stage_visit}) if reads_signoffs else []
        responses = _SUBMITTED_RESPONSES.all(connection, {
            "case_id": case.id, "assessment_id": stage.assessment.assessment_id}) if stage.assessment else []
        targets = _target_pathways(library, session, stage) if library is not None else None
        return cls(case, pathway, stage, ticks, documents, forms, signoffs, responses, now or utcnow(), connection,
                   targets)

    @cached_property
    def workers(self) -> list[tuple[str, str]]:
        """(person id, display name) of the workers following the case."""
        return [(m.person_id, m.display_name or m.person_id) for m in self.case.members if m.kind == "worker"]

    @cached_property
    def desk(self) -> Any:
        """The help desk's row (country, region), read only when a condition asks for them."""
        if self.connection is None:
            return None
        return self.connection.execute(select(DESKS).where(DESKS.c.id == self.case.desk_id)).first()

    # --- per requirement ---------------------------------------------------------------------------

    def requirement_states(self) -> list[RequirementState]:
        return [self.requirement_state(r) for r in self.stage.requirements]

    def requirement_state(self, requirement: Any) -> RequirementState:
        if isinstance(requirement, ChecklistItem):
            rows = [t for t in self.ticks if t.item_id == requirement.id]
            return self._per_member_state(requirement, rows, "missing.checklist")
        if isinstance(requirement, DocumentRule):
            rows = [d for d in self.documents if d.requirement_id == requirement.id]
            return self._per_member_state(requirement, rows, "missing.document")
        if isinstance(requirement, AssessmentRequirement):
            state = RequirementState(requirement, True, None, {r.person_id: r for r in self.responses},
                                     list(self.responses), self.workers)
            if state.still_to_act:
                state.met, state.unmet = False, Unmet("missing.assessment", "assessment", {
                    "label": requirement.label or requirement.assessment_id, "members": state.still_to_act})
            return state
        if isinstance(requirement, Form):
            row = self.forms.get(self.stage.id)
            unmet = None if row else Unmet("missing.form", "form", {"label": requirement.label or self.stage.title})
            return RequirementState(requirement, row is not None, unmet, rows=[row] if row else [])
        assert isinstance(requirement, SignOffRule)
        rows = [s for s in approvals(self.signoffs) if s.signoff_id == requirement.id]
        met = len(rows) >= requirement.count
        unmet = None if met else Unmet("missing.signoff", requirement.id, {
            "label": requirement.label, "role": self.role_label(requirement.role),
            "have": len(rows), "need": requirement.count})
        return RequirementState(requirement, met, unmet, rows=rows)

    def _per_member_state(self, requirement: ChecklistItem | DocumentRule, rows: list[Any], code: str) -> RequirementState:
        done_by: dict[str, Any] = {}
        for row in rows:
            done_by.setdefault(row.member_id, row)
        state = RequirementState(requirement, True, None, done_by, rows,
                                 self.workers if requirement.per_member else [])
        if requirement.per_member and state.still_to_act:
            state.met, state.unmet = False, Unmet(code + "_member", requirement.id,
                                                  {"label": requirement.label, "members": state.still_to_act})
        elif not requirement.per_member and "" not in done_by:
            state.met, state.unmet = False, Unmet(code, requirement.id, {"label": requirement.label})
        return state

    def role_label(self, role: str) -> dict[str, str]:
        if role in self.pathway.roles:
            return dict(self.pathway.roles[role])
        return {lang: message("role." + role, lang) for lang in LANGUAGES}

    # --- per exit ----------------------------------------------------------------------------------

    def needed(self, exit_: Exit) -> list[Any]:
        if exit_.requires == "none":
            return []
        if exit_.requires == "all":
            return [r for r in self.stage.requirements if r.required]
        return [r for r in self.stage.requirements if r.id in exit_.requires]

    def unmet_for(self, exit_: Exit) -> list[Unmet]:
        out: list[Unmet] = []
        if self.case.status != "active":
            out.append(Unmet("missing.status", "status", {
                "status": {lang: message("status." + self.case.status, lang) for lang in LANGUAGES}}))
        for requirement in self.needed(exit_):
            state = self.requirement_state(requirement)
            if state.unmet:
                out.append(state.unmet)
        if exit_.when is not None and not conditions.evaluate(exit_.when, self.lookup):
            out.append(Unmet("missing.condition", "condition", {"condition": self.describe(exit_.when)}))
        if exit_.pathway and self.targets is not None:
            out += self.target_refusals(exit_.pathway)
        return out

    def target_refusals(self, pathway_id: str) -> list[Unmet]:
        """Why the pathway an exit continues on would not take this case (its group size...)."""
        target = self.targets.get(pathway_id) if self.targets is not None else None
        if target is None:
            return [Unmet("missing.pathway_unknown", "pathway", {"pathway": pathway_id})]
        refusal = target.group_refusal(len(self.workers))
        if refusal is None:
            return []
        code, params = refusal
        return [Unmet("missing.pathway_refuses", "pathway", {
            "pathway": dict(target.title), "reason": {lang: message(code, lang, **params) for lang in LANGUAGES}})]

    def allows(self, exit_id: str) -> bool:
        exit_ = self.stage.exit(exit_id)
        return exit_ is not None and not self.unmet_for(exit_)

    def describe(self, cond: Any) -> dict[str, str]:
        def label_of(lang: str):  # noqa: ANN202
            def inner(ref: str) -> str:
                field_ = self.pathway.field(ref)
                if field_ is not None:
                    return localize(field_.label, lang)
                return ref

            return inner

        def value_label(lang: str):  # noqa: ANN202
            def inner(ref: str, value: Any) -> str:
                field_ = self.pathway.field(ref)
                if field_ is not None and field_.options and isinstance(value, str):
                    return field_.option_label(value, lang)
                return conditions._show(value, lang)

            return inner

        return {lang: conditions.describe(cond, lang, label_of(lang), value_label(lang)) for lang in LANGUAGES}

    # --- facts for conditions ----------------------------------------------------------------------

    def lookup(self, ref: str) -> Any:
        owner, _, name = ref.partition(".")
        if owner == "case":
            return self.fact(name)
        row = self.forms.get(owner)
        if row is None or name not in row.data:
            return conditions.MISSING
        return row.data[name]

    def fact(self, name: str) -> Any:
        case = self.case
        if name == "members":
            return len(self.workers)
        if name == "supply_chains":
            return list(case.supply_chains or [])
        if name == "days_in_stage":
            return (self.now - case.stage_entered_at).days
        if name in ("country", "region") and self.desk is not None:
            return getattr(self.desk, name)
        if name == "desk":
            return case.desk_id
        if name == "today":
            return self.now.date().isoformat()
        return conditions.MISSING


def _target_pathways(library: Any, session: Session | Connection, stage: Stage) -> dict[str, Pathway | None]:
    from .errors import EngineError

    out: dict[str, Pathway | None] = {}
    reader = session if isinstance(session, Session) else None
    for exit_ in stage.exits:
        if exit_.pathway and exit_.pathway not in out:
            try:
                out[exit_.pathway] = library.revision(library.active_revision_id(exit_.pathway, session),
                                                      reader).pathway
            except EngineError:
                out[exit_.pathway] = None
    return out
