"""Operations on a stage's requirements: checklist ticks, documents, the form, sign-offs."""
from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update

from ..errors import (
    DocumentRefused,
    FormInvalid,
    InvalidOperation,
)
from .. import policy
from ..files import TYPES, detect_type, safe_filename
from ..i18n import megabytes
from ..models import party_actor_id
from ..driver import ReadAhead
from ..pathway import BUILTIN_ROLES, ChecklistItem, DocumentRule, SignOffRule, Stage
from .forms import form_errors
from .parties import give_decision
from .frame import (
    READ_FORM,
    READ_PARTIES,
    READ_SIGNOFFS_OF_VISIT,
    Together,
    _DELETE_SIGNOFF,
    _DELETE_TICK,
    form_of,
    _INSERT_FORM,
    _INSERT_TICK,
    _TICK,
    _UPDATE_FORM,
    DOCUMENTS,
    MANAGER_ROLES,
    OperationFrame,
    _Op,
    member_reads,
    raise_signoff_refusal,
    signoffs_of_visit,
)
from .values import Actor, Receipt


class RequirementOperations(OperationFrame):

    def _member_for(self, op: _Op, acting_role: str, per_member: bool, member: str | None, label: Any) -> str:
        if not per_member:
            return ""
        workers = {m.person_id for m in op.case.members if m.kind == "worker"}
        if acting_role == "worker":
            policy.raise_for_other_member(op.actor, acting_role, member)
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

    def tick(self, case_id: int, actor: Actor, version: int, item_id: str, member: str | None = None, *,
             together: Together | None = None) -> Receipt:
        with self._operation(case_id, actor, version, together=together, reads=member_reads(actor)) as op:
            item: ChecklistItem = self._requirement(op, item_id, ChecklistItem, "checklist item")
            role = self._acting_role(actor, op.case, item.roles)
            member_id = self._member_for(op, role, item.per_member, member, item.label)
            # The unique constraint answers "already ticked?" without a read first (whenever the row is sent).
            _INSERT_TICK.write(op.connection, {"case_id": case_id, "stage_id": op.stage.id, "item_id": item_id,
                                               "member_id": member_id, "ticked_by": actor.id, "ticked_at": op.now},
                               refused=InvalidOperation("already_ticked", item=item.label))
            op.record("item_ticked", item=item_id, label=dict(item.label), member=member_id or None)
            return self._receipt(op)

    def untick(self, case_id: int, actor: Actor, version: int, item_id: str, member: str | None = None) -> Receipt:
        with self._operation(case_id, actor, version, reads=member_reads(actor)) as op:
            item: ChecklistItem = self._requirement(op, item_id, ChecklistItem, "checklist item")
            role = self._acting_role(actor, op.case, item.roles)
            member_id = self._member_for(op, role, item.per_member, member, item.label)
            tick = _TICK.first(op.connection, _tick_key(case_id, op.stage.id, item_id, member_id))
            if tick is None:
                raise InvalidOperation("not_ticked", item=item.label)
            _DELETE_TICK.write(op.connection, {"tick_id": tick.id})
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
                raise DocumentRefused("document_too_big", size=megabytes(len(content)), max=megabytes(rule.max_bytes),
                                      requirement=rule.label)
            doc_type, found = detect_type(name, content, rule.types)
            if doc_type is None:
                raise DocumentRefused("document_type", requirement=rule.label, types=list(rule.types), found=found)
            # The bytes go in place (atomically) before the row that refers to them is written.
            digest = self.files.put(content)
            document_id = op.connection.execute(insert(DOCUMENTS).returning(DOCUMENTS.c.id), {
                "case_id": case_id, "stage_id": op.stage.id, "requirement_id": requirement_id,
                "member_id": member_id, "sha256": digest, "filename": name, "content_type": TYPES[doc_type],
                "size": len(content), "uploaded_by": actor.id, "uploaded_at": op.now}).scalar_one()
            lapsed = _lapse_signoffs(op)
            op.record("document_attached", requirement=requirement_id, label=dict(rule.label), filename=name,
                      document_id=document_id, sha256=digest, size=len(content), member=member_id or None,
                      **_lapsed_data(lapsed))
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
            policy.raise_for_other_member(actor, role, document.uploaded_by)
            op.connection.execute(update(DOCUMENTS).where(DOCUMENTS.c.id == document_id)
                                  .values(removed_at=op.now, removed_by=actor.id))
            lapsed = _lapse_signoffs(op) if document.stage_id == op.stage.id else []
            op.record("document_removed", document_id=document_id, filename=document.filename,
                      requirement=document.requirement_id, **_lapsed_data(lapsed))
            return self._receipt(op)

    def submit_form(self, case_id: int, actor: Actor, version: int, data: dict[str, Any]) -> Receipt:
        reads = (READ_FORM, READ_SIGNOFFS_OF_VISIT, *member_reads(actor))
        with self._operation(case_id, actor, version, reads=reads) as op:
            form = op.stage.form
            if form is None:
                raise InvalidOperation("stage_has_no_form", stage=op.stage.id)
            self._acting_role(actor, op.case, form.roles)
            clean = {k: v for k, v in (data or {}).items() if v is not None and v != "" and v != []}
            errors = {} if form.accepts(clean) else form_errors(form.json_schema(), clean, form.validator)
            if errors:
                raise FormInvalid(errors)
            row = form_of(op.connection, case_id, op.stage.id)
            previous = dict(row.data) if row else None
            changed = sorted(k for k in set(clean) | set(previous or {}) if (previous or {}).get(k) != clean.get(k))
            lapsed = _lapse_signoffs(op) if changed else []  # (read before anything is written)
            values = {"data": clean, "submitted_by": actor.id, "submitted_at": op.now}
            if row is None:
                _INSERT_FORM.write(op.connection, {"case_id": case_id, "stage_id": op.stage.id, **values})
            else:
                _UPDATE_FORM.write(op.connection, {"form_id": row.id, **values})
            op.record("form_submitted", label=dict(form.label or op.stage.title), data=clean, changed=changed,
                      **_lapsed_data(lapsed))
            return self._receipt(op)

    def sign_off(self, case_id: int, actor: Actor, version: int, signoff_id: str, comment: str = "",
                 decision: str = "approve") -> Receipt:
        def reads(stage: Stage | None) -> tuple[ReadAhead, ...]:
            rule = stage.requirement(signoff_id) if stage is not None else None
            known = isinstance(rule, SignOffRule)
            # The parties are read when the signer may be one (policy.party_of, signoff_refusals).
            party = not known or rule.role not in BUILTIN_ROLES or policy.is_party_link(actor.id)
            parties = (READ_PARTIES,) if party else ()
            form = (READ_FORM,) if not known or "form_submitter" in rule.distinct_from else ()
            return (*member_reads(actor), *parties, READ_SIGNOFFS_OF_VISIT, *form)

        with self._operation(case_id, actor, version, reads=reads) as op:
            rule = op.stage.requirement(signoff_id)
            if not isinstance(rule, SignOffRule):
                raise InvalidOperation("unknown_requirement", stage=op.stage.id, kind="sign-off",
                                       requirement=signoff_id)
            self._acting_role(actor, op.case, (rule.role,), op.pathway.account_roles)
            # A party signs as itself, whether by its account, its link or on paper.
            party = policy.party_of(actor, op.case, rule.role)
            signer = party_actor_id(party.id) if party is not None else actor.id
            give_decision(op, rule, signer, decision, comment, party_id=party.id if party is not None else None,
                          extra={"party": party.id} if party is not None else None)
            return self._receipt(op)


class SignOffRequests(OperationFrame):
    """Asking someone for a sign-off of the current stage: an event the notifications turn into a message."""

    def request_signoff(self, case_id: int, actor: Actor, version: int, signoff_id: str, person_id: str,
                        note: str = "") -> Receipt:
        with self._operation(case_id, actor, version) as op:
            self._manage(op)
            rule = op.stage.requirement(signoff_id)
            if not isinstance(rule, SignOffRule):
                raise InvalidOperation("unknown_requirement", stage=op.stage.id, kind="sign-off",
                                       requirement=signoff_id)
            kind = self._signoff_request_target(op, rule, person_id)
            raise_signoff_refusal(op, rule, person_id)  # asking someone who could not sign wastes their time
            op.record("signoff_requested", signoff=signoff_id, label=dict(rule.label), role=rule.role,
                      person=person_id, person_kind=kind, note=(note or "").strip())
            return self._receipt(op)

    def _signoff_request_target(self, op: _Op, rule: SignOffRule, person_id: str) -> str:
        """What the person asked is to the case ("mentor"), or a refusal if they cannot give this sign-off.
        Parties of the case (per-case roles) are recognised here too, as their own kind."""
        mentors = {m.person_id for m in op.case.members if m.kind == "mentor"}
        if rule.role == "mentor" and person_id in mentors:
            return "mentor"
        raise InvalidOperation("signoff_request_not_signer", person=person_id, signoff=rule.label)


def _lapse_signoffs(op: _Op) -> list[dict[str, Any]]:
    """A sign-off covers the stage's form and documents as its signer saw them: when they change, the
    sign-offs given in this visit of the stage stop counting (unless the pathway says `lapses_on_change:
    false`). Their rows go; the event that changed the stage names them, for the log and to tell the signers."""
    rules = {r.id: r for r in op.stage.signoffs if r.lapses_on_change}
    if not rules:
        return []
    given = [s for s in signoffs_of_visit(op) if s.signoff_id in rules]
    if not given:
        return []
    for signoff in given:
        _DELETE_SIGNOFF.write(op.connection, {"signoff_id": signoff.id})
    return [{"signoff": s.signoff_id, "label": dict(rules[s.signoff_id].label), "actor": s.actor_id,
             "signed_at": s.signed_at.isoformat(), "decision": s.decision} for s in given]


def _lapsed_data(lapsed: list[dict[str, Any]]) -> dict[str, Any]:
    return {"lapsed_signoffs": lapsed} if lapsed else {}


def _tick_key(case_id: int, stage_id: str, item_id: str, member_id: str) -> dict[str, Any]:
    return {"case_id": case_id, "stage_id": stage_id, "item_id": item_id, "member_id": member_id}


