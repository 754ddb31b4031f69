"""Cases and the operations on them: the only way a case changes.

Each operation is one database transaction that (1) claims the version the actor saw — a stale version is
refused with `ConflictError` and nothing changes —, (2) checks who may do it, (3) changes the state and
(4) appends one event. The actor is always an argument: the same operation runs from a view, the CLI, a
scenario or a script.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Iterator, Sequence

from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import Connection, Engine, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from .errors import (
    ConflictError, DocumentRefused, EngineError, FormInvalid, InvalidOperation, NotAllowed, NotFound,
    RequirementsNotMet, Unmet,
)
from .files import TYPES, FileStore, detect_type, safe_filename
from .assessment import answer_errors, clean_answers, evaluate
from .assessment_library import AssessmentLibrary
from .library import LoadedRevision, PathwayLibrary
from .machine import fire
from .models import (
    AssessmentResponse, Case, CaseDocument, CaseMember, ChecklistTick, Desk, Event, FormData, SignOff, utcnow,
)
from .pathway import ChecklistItem, DocumentRule, Pathway, Stage
from .requirements import StageState

MANAGER_ROLES = ("operator",)  # who advances, holds, reopens... (admins may too)

# The hot path of every operation runs prebuilt Core statements on the session's connection: the ORM's
# unit of work costs several times the database work for these one-row changes (see benchmarks/).
CASES = Case.__table__
MEMBERS = CaseMember.__table__
TICKS = ChecklistTick.__table__
DOCUMENTS = CaseDocument.__table__
FORMS = FormData.__table__
SIGNOFFS = SignOff.__table__
EVENTS = Event.__table__
_CLAIM = (update(CASES).where(CASES.c.id == bindparam("case_id"), CASES.c.version == bindparam("expected"))
          .values(version=bindparam("next")).returning(*CASES.c))
_INSERT_EVENT = insert(EVENTS)
_TICK = select(TICKS.c.id).where(TICKS.c.case_id == bindparam("case_id"), TICKS.c.stage_id == bindparam("stage_id"),
                                 TICKS.c.item_id == bindparam("item_id"), TICKS.c.member_id == bindparam("member_id"))
_INSERT_TICK = insert(TICKS)
_DELETE_TICK = delete(TICKS).where(TICKS.c.id == bindparam("tick_id"))
_FORM = select(FORMS).where(FORMS.c.case_id == bindparam("case_id"), FORMS.c.stage_id == bindparam("stage_id"))
_INSERT_FORM = insert(FORMS)
_UPDATE_FORM = update(FORMS).where(FORMS.c.id == bindparam("form_id")).values(
    data=bindparam("data"), submitted_by=bindparam("submitted_by"), submitted_at=bindparam("submitted_at"))
_SIGNOFFS_OF_VISIT = select(SIGNOFFS).where(
    SIGNOFFS.c.case_id == bindparam("case_id"), SIGNOFFS.c.stage_id == bindparam("stage_id"),
    SIGNOFFS.c.stage_visit == bindparam("stage_visit"))
_INSERT_SIGNOFF = insert(SIGNOFFS)
RESPONSES = AssessmentResponse.__table__
_RESPONSE = select(RESPONSES).where(RESPONSES.c.case_id == bindparam("case_id"),
                                    RESPONSES.c.person_id == bindparam("person_id"),
                                    RESPONSES.c.assessment_id == bindparam("assessment_id"))
_MEMBERS_OF = select(MEMBERS).where(MEMBERS.c.case_id == bindparam("case_id")).order_by(
    MEMBERS.c.kind, MEMBERS.c.position)


class CaseState:
    """The case row as an operation claimed it: its values, the changes the operation makes (written in one
    UPDATE at the end) and its members, read only if a rule needs them."""

    def __init__(self, row: Any, connection: Connection):
        object.__setattr__(self, "_values", dict(row._mapping))
        object.__setattr__(self, "_changes", {})
        object.__setattr__(self, "_connection", connection)
        object.__setattr__(self, "_members", None)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["_values"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self._values:
            raise AttributeError(name)
        self._values[name] = value
        self._changes[name] = value

    @property
    def members(self) -> list[Any]:
        if self._members is None:
            object.__setattr__(self, "_members", list(self._connection.execute(_MEMBERS_OF, {"case_id": self.id})))
        return self._members

    def forget_members(self) -> None:
        object.__setattr__(self, "_members", None)


@dataclass(frozen=True)
class Actor:
    """Who acts: an id, roles, and the help desks an operator belongs to."""

    id: str
    roles: frozenset[str]
    desks: frozenset[str] = frozenset()

    @classmethod
    def of(cls, id: str, roles: Iterable[str], desks: Iterable[str] = ()) -> "Actor":  # noqa: A002
        return cls(id, frozenset(roles), frozenset(desks))

    def has(self, role: str) -> bool:
        return role in self.roles


SEXES = ("female", "male", "other")
OLDEST_BIRTH_YEAR = 1920
YOUNGEST_AGE = 14  # the youngest age a worker may have when recorded


@dataclass(frozen=True)
class Member:
    """A person on a case. Sex and year of birth are optional (for the programme's breakdowns only)."""

    person_id: str
    display_name: str = ""
    sex: str | None = None
    birth_year: int | None = None


@dataclass(frozen=True)
class Receipt:
    """What an operation did: the case's new version (pass it to the next operation) and its event."""

    case_id: int
    version: int
    event_type: str
    new_case_id: int | None = None
    document_id: int | None = None


@dataclass
class _Op:
    connection: Connection
    case: CaseState
    revision: LoadedRevision  # set right after the claim
    actor: Actor
    now: datetime
    event_type: str = ""
    event_data: dict[str, Any] = field(default_factory=dict)
    event_stage: str | None = None

    @property
    def pathway(self) -> Pathway:
        return self.revision.pathway

    @property
    def stage(self) -> Stage:
        stage = self.pathway.stage(self.case.stage_id)
        assert stage is not None
        return stage

    @cached_property
    def session(self) -> Session:
        """An ORM session in the operation's transaction, for the rarer operations that create cases."""
        return Session(bind=self.connection, expire_on_commit=False)

    def record(self, event_type: str, **data: Any) -> None:
        self.event_type = event_type
        self.event_data = data


class CaseService:
    def __init__(self, session_factory: sessionmaker[Session], library: PathwayLibrary, files: FileStore,
                 clock: Callable[[], datetime] = utcnow, assessments: AssessmentLibrary | None = None):
        self.session_factory = session_factory
        self.library = library
        self.files = files
        self.clock = clock
        self.assessments = assessments or AssessmentLibrary(session_factory)

    # --- the frame of every operation ---------------------------------------------------------------

    @contextmanager
    def _operation(self, case_id: int, actor: Actor, expected_version: int, *,
                   allow_closed: bool = False, allow_on_hold: bool = False) -> Iterator[_Op]:
        with self.engine.begin() as connection:
            # Claim the version first: this write takes the row lock (PostgreSQL) or the database write
            # lock (SQLite) before anything is read, so two actors on the same version cannot both pass.
            row = connection.execute(_CLAIM, {"case_id": case_id, "expected": expected_version,
                                              "next": expected_version + 1}).first()
            if row is None:
                raise self._conflict(connection, case_id, expected_version)
            case = CaseState(row, connection)
            if case.status == "closed" and not allow_closed:
                raise InvalidOperation("case_closed", outcome=case.outcome or "")
            if case.status == "on_hold" and not allow_on_hold:
                raise InvalidOperation("case_on_hold")
            op = _Op(connection, case, None, actor, self.clock())  # type: ignore[arg-type]
            op.revision = self._revision(op, case.revision_id)
            op.event_stage = case.stage_id
            try:
                yield op
                if not op.event_type:
                    raise RuntimeError("an operation must record its event")
                if "session" in op.__dict__:
                    op.session.flush()  # rows an operation wrote through the ORM (new cases) come first
                if case._changes:
                    connection.execute(update(CASES).where(CASES.c.id == case_id).values(**case._changes))
                connection.execute(_INSERT_EVENT, {
                    "case_id": case_id, "seq": expected_version + 1, "type": op.event_type, "actor_id": actor.id,
                    "actor_roles": sorted(actor.roles), "at": op.now, "stage_id": op.event_stage,
                    "data": op.event_data})
            finally:
                if "session" in op.__dict__:
                    op.session.close()

    @property
    def engine(self) -> Engine:
        return self.session_factory.kw["bind"]

    def _revision(self, op: _Op, revision_id: int) -> LoadedRevision:
        if self.library.is_cached(revision_id):
            return self.library.revision(revision_id)
        return self.library.revision(revision_id, op.session)

    @staticmethod
    def _conflict(connection: Connection, case_id: int, expected_version: int) -> EngineError:
        actual = connection.execute(select(CASES.c.version).where(CASES.c.id == case_id)).scalar()
        if actual is None:
            return NotFound(case_id=case_id)
        changes = [
            {"seq": e.seq, "type": e.type, "actor": e.actor_id, "at": e.at.isoformat(), "stage": e.stage_id}
            for e in connection.execute(select(EVENTS).where(
                EVENTS.c.case_id == case_id, EVENTS.c.seq > expected_version).order_by(EVENTS.c.seq))]
        return ConflictError(expected_version, actual, changes)

    def _receipt(self, op: _Op, **extra: Any) -> Receipt:
        return Receipt(op.case.id, op.case.version, op.event_type, **extra)

    # --- who may do what -----------------------------------------------------------------------------

    @staticmethod
    def refusal(actor: Actor, case: Case, role: str) -> NotAllowed | None:
        """Why `actor`, acting in `role`, may not act on `case` (None if they may)."""
        if actor.has("admin") and role in ("operator", "admin"):
            return None
        if not actor.has(role):
            return NotAllowed("not_allowed.role", roles=[role])
        if role == "operator" and case.desk_id not in actor.desks:
            return NotAllowed("not_allowed.desk")
        if role == "mentor" and not any(m.kind == "mentor" and m.person_id == actor.id for m in case.members):
            return NotAllowed("not_allowed.not_assigned")
        if role == "worker" and not any(m.kind == "worker" and m.person_id == actor.id for m in case.members):
            return NotAllowed("not_allowed.not_member")
        if role in ("designer",):
            return NotAllowed("not_allowed.role", roles=["operator"])
        return None

    def _acting_role(self, actor: Actor, case: Case, roles: Sequence[str]) -> str:
        """The first of `roles` in which the actor may act on the case, or the most telling refusal."""
        relationship_refusal: NotAllowed | None = None
        for role in roles:
            refusal = self.refusal(actor, case, role)
            if refusal is None:
                return role
            if refusal.reason_code != "not_allowed.role" and relationship_refusal is None:
                relationship_refusal = refusal
        raise relationship_refusal or NotAllowed("not_allowed.role", roles=list(roles))

    def _manage(self, op: _Op) -> None:
        self._acting_role(op.actor, op.case, MANAGER_ROLES)

    # --- opening -----------------------------------------------------------------------------------

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

    # --- requirements ------------------------------------------------------------------------------

    def _member_for(self, op: _Op, acting_role: str, per_member: bool, member: str | None, label: Any) -> str:
        if not per_member:
            return ""
        workers = {m.person_id for m in op.case.members if m.kind == "worker"}
        if acting_role == "worker":
            if member not in (None, op.actor.id):
                raise NotAllowed("not_allowed.other_member")
            return op.actor.id
        if member is None:
            raise InvalidOperation("member_required", requirement=label)
        if member not in workers:
            raise InvalidOperation("not_a_member", member=member)
        return member

    def _requirement(self, op: _Op, requirement_id: str, kind: type, kind_name: str) -> Any:
        requirement = op.stage.requirement(requirement_id)
        if not isinstance(requirement, kind):
            raise InvalidOperation("unknown_requirement", stage=op.stage.id, kind=kind_name, requirement=requirement_id)
        return requirement

    def tick(self, case_id: int, actor: Actor, version: int, item_id: str, member: str | None = None) -> Receipt:
        with self._operation(case_id, actor, version) as op:
            item: ChecklistItem = self._requirement(op, item_id, ChecklistItem, "checklist item")
            role = self._acting_role(actor, op.case, item.roles)
            member_id = self._member_for(op, role, item.per_member, member, item.label)
            try:
                # The unique constraint answers "already ticked?" without a read first.
                op.connection.execute(_INSERT_TICK, {"case_id": case_id, "stage_id": op.stage.id, "item_id": item_id,
                                                     "member_id": member_id, "ticked_by": actor.id,
                                                     "ticked_at": op.now})
            except IntegrityError:
                raise InvalidOperation("already_ticked", item=item.label) from None
            op.record("item_ticked", item=item_id, label=dict(item.label), member=member_id or None)
            return self._receipt(op)

    def untick(self, case_id: int, actor: Actor, version: int, item_id: str, member: str | None = None) -> Receipt:
        with self._operation(case_id, actor, version) as op:
            item: ChecklistItem = self._requirement(op, item_id, ChecklistItem, "checklist item")
            role = self._acting_role(actor, op.case, item.roles)
            member_id = self._member_for(op, role, item.per_member, member, item.label)
            tick = op.connection.execute(_TICK, _tick_key(case_id, op.stage.id, item_id, member_id)).first()
            if tick is None:
                raise InvalidOperation("not_ticked", item=item.label)
            op.connection.execute(_DELETE_TICK, {"tick_id": tick.id})
            op.record("item_unticked", item=item_id, label=dict(item.label), member=member_id or None)
            return self._receipt(op)

    def attach_document(self, case_id: int, actor: Actor, version: int, requirement_id: str, filename: str,
                        content: bytes, member: str | None = None) -> Receipt:
        with self._operation(case_id, actor, version) as op:
            rule: DocumentRule = self._requirement(op, requirement_id, DocumentRule, "document")
            role = self._acting_role(actor, op.case, rule.uploaded_by)
            member_id = self._member_for(op, role, rule.per_member, member, rule.label)
            name = safe_filename(filename)
            if name is None or name != filename.strip():
                raise DocumentRefused("document_name")
            if not content:
                raise DocumentRefused("document_empty")
            if len(content) > rule.max_bytes:
                raise DocumentRefused("document_too_big", size=len(content), max=rule.max_bytes, requirement=rule.label)
            doc_type, found = detect_type(name, content, rule.types)
            if doc_type is None:
                raise DocumentRefused("document_type", requirement=rule.label, types=list(rule.types), found=found)
            # The bytes go in place (atomically) before the row that refers to them is written.
            digest = self.files.put(content)
            document_id = op.connection.execute(insert(DOCUMENTS).returning(DOCUMENTS.c.id), {
                "case_id": case_id, "stage_id": op.stage.id, "requirement_id": requirement_id,
                "member_id": member_id, "sha256": digest, "filename": name, "content_type": TYPES[doc_type],
                "size": len(content), "uploaded_by": actor.id, "uploaded_at": op.now}).scalar_one()
            op.record("document_attached", requirement=requirement_id, label=dict(rule.label), filename=name,
                      document_id=document_id, sha256=digest, size=len(content), member=member_id or None)
            return self._receipt(op, document_id=document_id)

    def remove_document(self, case_id: int, actor: Actor, version: int, document_id: int) -> Receipt:
        with self._operation(case_id, actor, version) as op:
            document = op.connection.execute(select(DOCUMENTS).where(DOCUMENTS.c.id == document_id)).first()
            if document is None or document.case_id != case_id or document.removed_at is not None:
                raise InvalidOperation("document_not_found", document=document_id)
            stage = op.pathway.stage(document.stage_id)
            rule = stage.requirement(document.requirement_id) if stage else None
            roles = rule.uploaded_by if isinstance(rule, DocumentRule) else MANAGER_ROLES
            role = self._acting_role(actor, op.case, roles)
            if role == "worker" and document.uploaded_by != actor.id:
                raise NotAllowed("not_allowed.other_member")
            op.connection.execute(update(DOCUMENTS).where(DOCUMENTS.c.id == document_id)
                                  .values(removed_at=op.now, removed_by=actor.id))
            op.record("document_removed", document_id=document_id, filename=document.filename,
                      requirement=document.requirement_id)
            return self._receipt(op)

    def submit_form(self, case_id: int, actor: Actor, version: int, data: dict[str, Any]) -> Receipt:
        with self._operation(case_id, actor, version) as op:
            form = op.stage.form
            if form is None:
                raise InvalidOperation("stage_has_no_form", stage=op.stage.id)
            self._acting_role(actor, op.case, form.roles)
            clean = {k: v for k, v in (data or {}).items() if v is not None and v != "" and v != []}
            errors = form_errors(form.json_schema(), clean, form.validator)
            if errors:
                raise FormInvalid(errors)
            row = op.connection.execute(_FORM, {"case_id": case_id, "stage_id": op.stage.id}).first()
            previous = dict(row.data) if row else None
            values = {"data": clean, "submitted_by": actor.id, "submitted_at": op.now}
            if row is None:
                op.connection.execute(_INSERT_FORM, {"case_id": case_id, "stage_id": op.stage.id, **values})
            else:
                op.connection.execute(_UPDATE_FORM, {"form_id": row.id, **values})
            changed = sorted(k for k in set(clean) | set(previous or {}) if (previous or {}).get(k) != clean.get(k))
            op.record("form_submitted", label=dict(form.label or op.stage.title), data=clean, changed=changed)
            return self._receipt(op)

    def sign_off(self, case_id: int, actor: Actor, version: int, signoff_id: str, comment: str = "") -> Receipt:
        with self._operation(case_id, actor, version) as op:
            rule = op.stage.requirement(signoff_id)
            from .pathway import SignOffRule

            if not isinstance(rule, SignOffRule):
                raise InvalidOperation("unknown_requirement", stage=op.stage.id, kind="sign-off",
                                       requirement=signoff_id)
            self._acting_role(actor, op.case, (rule.role,))
            given = list(op.connection.execute(_SIGNOFFS_OF_VISIT, {
                "case_id": case_id, "stage_id": op.stage.id, "stage_visit": op.case.stage_visit}))
            if any(s.signoff_id == signoff_id and s.actor_id == actor.id for s in given):
                raise InvalidOperation("already_signed", signoff=rule.label)
            if sum(1 for s in given if s.signoff_id == signoff_id) >= rule.count:
                raise InvalidOperation("signoff_complete", signoff=rule.label)
            for other in rule.distinct_from:
                if self._same_person(op, other, given, actor.id):
                    raise InvalidOperation("signoff_distinct", signoff=rule.label,
                                           other=_distinct_label(other))
            op.connection.execute(_INSERT_SIGNOFF, {
                "case_id": case_id, "stage_id": op.stage.id, "stage_visit": op.case.stage_visit,
                "signoff_id": signoff_id, "actor_id": actor.id, "role": rule.role, "comment": comment or "",
                "signed_at": op.now})
            op.record("signed_off", signoff=signoff_id, label=dict(rule.label), role=rule.role,
                      comment=comment or "")
            return self._receipt(op)

    @staticmethod
    def _same_person(op: _Op, other: str, given: list[Any], actor_id: str) -> bool:
        if other == "case_opener":
            return op.case.opened_by == actor_id
        if other == "form_submitter":
            row = op.connection.execute(_FORM, {"case_id": op.case.id, "stage_id": op.stage.id}).first()
            return row is not None and row.submitted_by == actor_id
        ref = other.split(":", 1)[1]
        return any(s.signoff_id == ref and s.actor_id == actor_id for s in given)

    # --- moving ------------------------------------------------------------------------------------

    def advance(self, case_id: int, actor: Actor, version: int, exit_id: str, *,
                jobs_created: int | None = None, jobs_kept: int | None = None) -> Receipt:
        """Leave the stage through an exit; an exit to an outcome may record the jobs created or kept."""
        with self._operation(case_id, actor, version) as op:
            self._manage(op)
            stage = op.stage
            exit_ = stage.exit(exit_id)
            if exit_ is None:
                raise InvalidOperation("unknown_exit", stage=stage.id, exit=exit_id)
            state = StageState.load(op.connection, op.case, op.pathway, op.now)
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
        new = self._new_case(op.session, revision, op.case.desk_id, members, mentors, op.case.supply_chains,
                             op.case.title, op.actor, op.now, start)
        new.previous_case_id = op.case.id
        op.session.flush()
        for row in op.connection.execute(select(FORMS).where(FORMS.c.case_id == op.case.id,
                                                             FORMS.c.stage_id.in_(list(carry)))):
            op.session.add(FormData(case_id=new.id, stage_id=row.stage_id, data=dict(row.data),
                                    submitted_by=row.submitted_by, submitted_at=row.submitted_at))
        for row in op.connection.execute(select(RESPONSES).where(RESPONSES.c.case_id == op.case.id)):
            # Assessments are about the person: they follow the person to the new pathway.
            values = {k: v for k, v in row._mapping.items() if k != "id"}
            op.session.add(AssessmentResponse(**{**values, "case_id": new.id}))
        op.session.add(Event(case_id=new.id, seq=1, type="case_opened", actor_id=op.actor.id,
                             actor_roles=sorted(op.actor.roles), at=op.now, stage_id=start,
                             data={"pathway": pathway_id, "pathway_title": dict(revision.pathway.title),
                                   "revision_id": revision.revision_id, "version": revision.pathway.version,
                                   "previous_case": op.case.id, "carried": list(carry), "reason": reason,
                                   "members": [m.person_id for m in members]}))
        self._close(op, "referred")
        op.case.next_case_id = new.id
        return new.id

    def reopen(self, case_id: int, actor: Actor, version: int, stage_id: str, reason: str) -> Receipt:
        with self._operation(case_id, actor, version) as op:
            self._manage(op)
            _require_reason(reason)
            visited = set(op.connection.execute(select(EVENTS.c.stage_id).where(EVENTS.c.case_id == case_id)).scalars())
            if stage_id not in visited or op.pathway.stage(stage_id) is None:
                raise InvalidOperation("reopen_not_visited", stage=stage_id)
            from_stage = op.stage
            self._enter(op, stage_id)
            op.event_stage = stage_id
            op.record("reopened", **{"from": from_stage.id, "from_label": dict(from_stage.title), "to": stage_id,
                                     "to_label": dict(op.stage.title), "reason": reason})
            return self._receipt(op)

    def hold(self, case_id: int, actor: Actor, version: int, reason: str) -> Receipt:
        with self._operation(case_id, actor, version) as op:
            self._manage(op)
            _require_reason(reason)
            op.case.status = "on_hold"
            op.case.held_at = op.now
            op.record("put_on_hold", reason=reason)
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
                       remove: Sequence[str] = ()) -> Receipt:
        """Add or remove workers of a group case (e.g. while a WBO group is being formed)."""
        with self._operation(case_id, actor, version, allow_on_hold=True) as op:
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

    def migrate(self, case_id: int, actor: Actor, version: int, target_revision_id: int,
                stage_map: dict[str, str] | None = None) -> Receipt:
        """Move a running case to another revision of its pathway (designers and admins)."""
        from .migration import plan_migration

        with self._operation(case_id, actor, version, allow_on_hold=True) as op:
            if not (actor.has("designer") or actor.has("admin")):
                raise NotAllowed("not_allowed.designer")
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
        if op.connection.execute(_FORM, {"case_id": op.case.id, "stage_id": to_stage}).first() is None:
            op.connection.execute(update(FORMS).where(FORMS.c.case_id == op.case.id, FORMS.c.stage_id == from_stage)
                                  .values(stage_id=to_stage))

    # --- the common methodology ----------------------------------------------------------------------

    def save_assessment_answers(self, case_id: int, actor: Actor, answers: dict[str, Any],
                                person_id: str | None = None) -> dict[str, Any]:
        """Keep answers as they are given (a page at a time; leaving and coming back loses nothing).
        A draft is not a change of the case: no version, no event — submitting is the operation."""
        with self.engine.begin() as connection:
            row = connection.execute(select(CASES).where(CASES.c.id == case_id)).first()
            if row is None:
                raise NotFound(case_id=case_id)
            case = CaseState(row, connection)
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
            existing = connection.execute(_RESPONSE, key).first()
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
            existing = op.connection.execute(_RESPONSE, key).first()
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
            if person_id not in (None, actor.id):
                raise NotAllowed("not_allowed.other_member")
            return actor.id
        if person_id is None:
            if len(workers) == 1:
                return next(iter(workers))
            raise InvalidOperation("member_required", requirement=label or "")
        if person_id not in workers:
            raise InvalidOperation("not_a_member", member=person_id)
        return person_id

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
                label = together(op.connection) or label
            op.record("reference_linked" if linked else "reference_unlinked", kind=kind, ref=ref, label=label)
            return self._receipt(op)

    # --- reading -----------------------------------------------------------------------------------

    def get(self, session: Session, case_id: int) -> Case:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound(case_id=case_id)
        return case

    def stage_state(self, session: Session, case: Case) -> StageState:
        return StageState.load(session, case, self.library.revision(case.revision_id).pathway, self.clock())

    def missing(self, case_id: int) -> dict[str, list[Unmet]]:
        """For each exit of the current stage, what is missing to take it (empty list: it can be taken)."""
        with self.session_factory() as session:
            case = self.get(session, case_id)
            state = self.stage_state(session, case)
            return {e.id: state.unmet_for(e) for e in state.stage.exits}


def _tick_key(case_id: int, stage_id: str, item_id: str, member_id: str) -> dict[str, Any]:
    return {"case_id": case_id, "stage_id": stage_id, "item_id": item_id, "member_id": member_id}


_FORMAT_CHECKER = FormatChecker()


def form_errors(schema: dict[str, Any], data: dict[str, Any],
                validator: Draft202012Validator | None = None) -> dict[str, list[Unmet]]:
    errors: dict[str, list[Unmet]] = {}
    validator = validator or Draft202012Validator(schema, format_checker=_FORMAT_CHECKER)
    for error in validator.iter_errors(data):
        if error.validator == "required":
            missing = [m for m in error.validator_value if m not in data]
            for name in missing:
                errors.setdefault(name, []).append(Unmet("form.required", name))
            continue
        if error.validator == "additionalProperties":
            for name in sorted(set(data) - set(schema["properties"])):
                errors.setdefault(name, []).append(Unmet("form.unknown_field", name))
            continue
        name = str(error.absolute_path[0]) if error.absolute_path else "_"
        code = error.validator
        params: dict[str, Any] = {}
        if code == "type":
            expected = error.validator_value
            params["expected"] = {lang: _type_word(expected, lang) for lang in ("it", "fr", "en")}
        elif code in ("minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems"):
            params["limit"] = error.validator_value
        elif code == "format":
            params["format"] = error.validator_value
        elif code in ("enum", "uniqueItems"):
            code = "enum"
        elif code != "pattern":
            code = "invalid"
        errors.setdefault(name, []).append(Unmet("form." + code, name, params))
    return errors


def _type_word(expected: Any, lang: str) -> str:
    from .i18n import message

    return message("type." + (expected if isinstance(expected, str) else expected[0]), lang)


def _distinct_label(other: str) -> dict[str, str]:
    from .i18n import LANGUAGES, message

    if other.startswith("signoff:"):
        return {lang: message("signoff_distinct.signoff", lang, other=other.split(":", 1)[1]) for lang in LANGUAGES}
    return {lang: message("signoff_distinct." + other, lang) for lang in LANGUAGES}


def _check_group_size(pathway: Pathway, count: int) -> None:
    if count < pathway.group_min:
        raise InvalidOperation("group_too_small", min=pathway.group_min)
    if pathway.group_max is not None and count > pathway.group_max:
        raise InvalidOperation("group_too_large", max=pathway.group_max)


def _check_personal_details(members: Sequence[Member], now: datetime) -> None:
    """Sex and year of birth, when given, must be one of the recorded values and a plausible year."""
    youngest = now.year - YOUNGEST_AGE
    for m in members:
        name = m.display_name or m.person_id
        if m.sex is not None and m.sex not in SEXES:
            raise InvalidOperation("member_sex_invalid", member=name, sex=m.sex)
        if m.birth_year is not None and (isinstance(m.birth_year, bool) or not isinstance(m.birth_year, int)
                                         or not OLDEST_BIRTH_YEAR <= m.birth_year <= youngest):
            raise InvalidOperation("member_birth_year_invalid", member=name, year=m.birth_year,
                                   min=OLDEST_BIRTH_YEAR, max=youngest)


def _jobs(created: int | None, kept: int | None) -> dict[str, int]:
    """Jobs recorded at an outcome, for monitoring: whole numbers, never negative."""
    out = {}
    for key, value in (("jobs_created", created), ("jobs_kept", kept)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidOperation("jobs_invalid")
        out[key] = value
    return out


def _require_reason(reason: str) -> None:
    if not reason or not reason.strip():
        raise InvalidOperation("reason_required")


def _due(stage: Stage, now: datetime) -> datetime | None:
    return now + timedelta(days=stage.due_days) if stage.due_days else None
