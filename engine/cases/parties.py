"""The parties of a case and the decisions they give: adding and removing a party in a role its pathway
declares, a single-use signing link sent to a party, a decision given through it, and a decision given on
paper that the operator records with the scan as evidence."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update

from .. import policy
from ..errors import DocumentRefused, InvalidOperation, NotAllowed
from ..files import TYPES, detect_type, safe_filename
from ..models import DOCUMENTS, PARTIES, SIGNING_LINKS, SIGNOFFS, party_actor_id
from ..pathway import ChecklistItem, SignOffRule
from .frame import (
    _INSERT_SIGNOFF,
    _INSERT_TICK,
    OperationFrame,
    Together,
    _Op,
    raise_signoff_refusal,
    signoffs_of_visit,
)
from .values import Actor, Receipt

SIGNING_LINK_LIFETIME = timedelta(days=14)
EVIDENCE_TYPES = ("pdf", "jpg", "png")
EVIDENCE_MAX_BYTES = 20 * 1024 * 1024
PARTY_TEXT_LIMITS = {"organisation": 200, "name": 200, "email": 254, "phone": 40}


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SigningRequest:
    """What a valid signing link asks: the case, the party, the stage visit and the sign-off."""

    link_id: int
    case_id: int
    party: Any
    stage_id: str
    stage_visit: int
    signoff_id: str
    expires_at: datetime

    @property
    def actor(self) -> Actor:
        """The party acting through the link: no account, only its role on this case."""
        return Actor.of(party_actor_id(self.party.id), [self.party.role])


class PartyOperations(OperationFrame):

    # --- parties ------------------------------------------------------------------------------------

    def add_party(self, case_id: int, actor: Actor, version: int, role: str, organisation: str, name: str,
                  email: str = "", phone: str = "", language: str = "en", account_id: str | None = None) -> Receipt:
        with self._operation(case_id, actor, version, allow_on_hold=True) as op:
            self._manage(op)
            if role not in op.pathway.party_roles:
                raise InvalidOperation("party_role_unknown", role=role, roles=", ".join(op.pathway.party_roles))
            values = {"organisation": organisation, "name": name, "email": email, "phone": phone}
            values = {k: " ".join((v or "").split()) for k, v in values.items()}
            if not values["organisation"] or not values["name"]:
                raise InvalidOperation("party_name_required")
            for key, limit in PARTY_TEXT_LIMITS.items():
                if len(values[key]) > limit:
                    raise InvalidOperation("party_text_too_long", limit=limit)
            if values["email"] and ("@" not in values["email"] or " " in values["email"]):
                raise InvalidOperation("party_email_invalid")
            party_id = op.connection.execute(insert(PARTIES).returning(PARTIES.c.id), {
                "case_id": case_id, "role": role, **values, "language": language if language in ("it", "fr", "en")
                else "en", "account_id": account_id or None, "added_by": actor.id, "added_at": op.now}).scalar_one()
            op.record("party_added", party=party_id, role=role, role_label=dict(op.pathway.roles[role]),
                      organisation=values["organisation"], name=values["name"])
            return self._receipt(op)

    def remove_party(self, case_id: int, actor: Actor, version: int, party_id: int) -> Receipt:
        with self._operation(case_id, actor, version, allow_on_hold=True) as op:
            self._manage(op)
            party = _party_of(op, party_id)
            op.connection.execute(update(PARTIES).where(PARTIES.c.id == party.id)
                                  .values(removed_at=op.now, removed_by=actor.id))
            # The links it was sent die with it.
            op.connection.execute(update(SIGNING_LINKS).where(SIGNING_LINKS.c.party_id == party.id,
                                                              SIGNING_LINKS.c.used_at.is_(None))
                                  .values(used_at=op.now))
            op.record("party_removed", party=party.id, role=party.role, organisation=party.organisation,
                      name=party.name)
            return self._receipt(op)

    # --- signing links ------------------------------------------------------------------------------

    def send_signing_link(self, case_id: int, actor: Actor, version: int, party_id: int, signoff_id: str, *,
                          lifetime: timedelta = SIGNING_LINK_LIFETIME,
                          together: Any = None) -> tuple[Receipt, str]:
        """A single-use link for the party to decide the sign-off of the current stage visit; the raw token
        is returned once (only its digest is kept). `together(connection, token, party)` queues the e-mail
        in the same transaction."""
        token = secrets.token_urlsafe(32)
        with self._operation(case_id, actor, version) as op:
            self._manage(op)
            party = _party_of(op, party_id)
            rule = _signoff_rule(op, signoff_id)
            if rule.role != party.role:
                raise InvalidOperation("party_wrong_role", role=rule.role)
            if not party.email:
                raise InvalidOperation("party_email_missing")
            link_id = op.connection.execute(insert(SIGNING_LINKS).returning(SIGNING_LINKS.c.id), {
                "token_hash": token_digest(token), "case_id": case_id, "party_id": party.id,
                "stage_id": op.stage.id, "stage_visit": op.case.stage_visit, "signoff_id": signoff_id,
                "created_by": actor.id, "created_at": op.now, "expires_at": op.now + lifetime}).scalar_one()
            if together is not None:
                together(op.connection.core, token, party)
            op.record("signing_link_sent", party=party.id, signoff=signoff_id, label=dict(rule.label), link=link_id,
                      organisation=party.organisation, name=party.name)
            return self._receipt(op), token

    def signing_request(self, token: str) -> SigningRequest:
        """What a signing link asks, if it may still be used: not used, not expired, its party still on the
        case and the case still at the stage visit it was sent for. One refusal for every other link, so
        that a guessed token learns nothing."""
        with self.engine.connect() as connection:
            link = connection.execute(select(SIGNING_LINKS).where(
                SIGNING_LINKS.c.token_hash == token_digest(token or ""))).first()
            if link is None:
                raise NotAllowed("not_allowed.signing_link")
            if link.used_at is not None:
                raise InvalidOperation("signing_link_used")
            if link.expires_at <= self.clock():
                raise InvalidOperation("signing_link_expired")
            party = connection.execute(select(PARTIES).where(PARTIES.c.id == link.party_id)).first()
            from ..models import CASES

            case = connection.execute(select(CASES.c.stage_id, CASES.c.stage_visit, CASES.c.status)
                                      .where(CASES.c.id == link.case_id)).first()
            if (party is None or party.removed_at is not None or case is None or case.status != "active"
                    or (case.stage_id, case.stage_visit) != (link.stage_id, link.stage_visit)):
                raise InvalidOperation("signing_link_stale")
            return SigningRequest(link.id, link.case_id, party, link.stage_id, link.stage_visit, link.signoff_id,
                                  link.expires_at)

    def decide_by_link(self, token: str, version: int, decision: str, comment: str = "") -> Receipt:
        """The party's decision through its link; the link is spent in the same transaction."""
        request = self.signing_request(token)
        actor = request.actor
        with self._operation(request.case_id, actor, version) as op:
            if (op.case.stage_id, op.case.stage_visit) != (request.stage_id, request.stage_visit):
                raise InvalidOperation("signing_link_stale")
            spent = op.connection.execute(update(SIGNING_LINKS).where(
                SIGNING_LINKS.c.id == request.link_id, SIGNING_LINKS.c.used_at.is_(None))
                .values(used_at=op.now)).rowcount
            if not spent:
                raise InvalidOperation("signing_link_used")
            rule = _signoff_rule(op, request.signoff_id)
            give_decision(op, rule, actor.id, decision, comment, party_id=request.party.id,
                             extra={"link": request.link_id, "party": request.party.id})
            return self._receipt(op)

    # --- decisions ----------------------------------------------------------------------------------

    def record_on_paper(self, case_id: int, actor: Actor, version: int, requirement_id: str, *, filename: str,
                        content: bytes, decision: str = policy.APPROVE, comment: str = "",
                        party_id: int | None = None, member: str | None = None) -> Receipt:
        """A decision given on paper — a party's sign-off, or an offline worker's checklist item (a consent) —
        recorded by the case's operator with the scanned document as evidence, where the pathway allows it."""
        with self._operation(case_id, actor, version) as op:
            requirement = op.stage.requirement(requirement_id)
            if not isinstance(requirement, (SignOffRule, ChecklistItem)):
                raise InvalidOperation("unknown_requirement", stage=op.stage.id, kind="sign-off",
                                       requirement=requirement_id)
            refusal = policy.paper_refusal(actor, op.case, requirement, content)
            if refusal is not None:
                raise refusal
            if isinstance(requirement, SignOffRule):
                signer, signer_party = self._paper_signer(op, requirement, party_id)
                evidence = self._store_evidence(op, requirement_id, requirement.label, "", filename, content)
                give_decision(op, requirement, signer, decision, comment, party_id=signer_party,
                              recorded_by=actor.id, evidence_document_id=evidence["evidence"],
                              extra={"party": signer_party, **evidence})
            else:
                if "worker" not in requirement.roles:
                    raise InvalidOperation("paper_not_allowed", requirement=requirement.label)
                workers = {m.person_id for m in op.case.members if m.kind == "worker"}
                if member not in workers:
                    raise InvalidOperation("member_required", requirement=requirement.label)
                member_id = member if requirement.per_member else ""
                evidence = self._store_evidence(op, requirement_id, requirement.label, member, filename, content)
                _INSERT_TICK.write(op.connection, {"case_id": case_id, "stage_id": op.stage.id,
                                                   "item_id": requirement_id, "member_id": member_id,
                                                   "ticked_by": actor.id, "ticked_at": op.now})
                op.record("item_ticked", item=requirement_id, label=dict(requirement.label), member=member_id or None,
                          recorded_by=actor.id, on_behalf_of=member, **evidence)
            return self._receipt(op)

    def _paper_signer(self, op: _Op, rule: SignOffRule, party_id: int | None) -> tuple[str, int | None]:
        if policy.held_per_case(rule.role, op.pathway.account_roles):
            party = _party_of(op, party_id)
            if party.role != rule.role:
                raise InvalidOperation("party_wrong_role", role=rule.role)
            return party_actor_id(party.id), party.id
        raise InvalidOperation("paper_not_allowed", requirement=rule.label)

    def _store_evidence(self, op: _Op, requirement_id: str, label: Any, member: str | None, filename: str,
                        content: bytes) -> dict[str, Any]:
        name = safe_filename(filename or "")
        if name is None or name != (filename or "").strip():
            raise DocumentRefused("document_name")
        if len(content) > EVIDENCE_MAX_BYTES:
            raise DocumentRefused("document_too_big", size=len(content), max=EVIDENCE_MAX_BYTES, requirement=label)
        doc_type, found = detect_type(name, content, EVIDENCE_TYPES)
        if doc_type is None:
            raise DocumentRefused("document_type", requirement=label, types=list(EVIDENCE_TYPES), found=found)
        digest = self.files.put(content)
        document_id = op.connection.execute(insert(DOCUMENTS).returning(DOCUMENTS.c.id), {
            "case_id": op.case.id, "stage_id": op.stage.id, "requirement_id": requirement_id,
            "member_id": member or "", "sha256": digest, "filename": name, "content_type": TYPES[doc_type],
            "size": len(content), "uploaded_by": op.actor.id, "uploaded_at": op.now}).scalar_one()
        # The event names the evidence like an uploaded document, so that a replay finds its row.
        return {"evidence": document_id, "evidence_filename": name, "evidence_sha256": digest,
                "evidence_member": member or ""}


def give_decision(op: _Op, rule: SignOffRule, signer: str, decision: str, comment: str, *,
                  party_id: int | None = None, recorded_by: str | None = None,
                  evidence_document_id: int | None = None, extra: dict[str, Any] | None = None) -> None:
    """A signer's decision on a sign-off of the current visit (the signer may act in its role: asked
    before). An approval is refused when it does not count (`policy.signoff_refusals`); a request for
    changes or a refusal says why. A signer has one decision per visit: a new one replaces theirs."""
    refusal = policy.decision_refusal(decision, comment)
    if refusal is not None:
        raise refusal
    given = signoffs_of_visit(op)
    if decision == policy.APPROVE:
        raise_signoff_refusal(op, rule, signer, given)
    elif any(s.signoff_id == rule.id and s.actor_id == signer for s in policy.approvals(given)):
        raise InvalidOperation("already_signed", signoff=rule.label)
    values = {"role": rule.role, "comment": (comment or "").strip(), "signed_at": op.now, "decision": decision,
              "party_id": party_id, "recorded_by": recorded_by, "evidence_document_id": evidence_document_id}
    previous = next((s for s in given if s.signoff_id == rule.id and s.actor_id == signer), None)
    if previous is None:
        _INSERT_SIGNOFF.write(op.connection, {
            "case_id": op.case.id, "stage_id": op.stage.id, "stage_visit": op.case.stage_visit,
            "signoff_id": rule.id, "actor_id": signer, **values})
    else:
        op.connection.execute(update(SIGNOFFS).where(SIGNOFFS.c.id == previous.id).values(**values))
    data: dict[str, Any] = {"signoff": rule.id, "label": dict(rule.label), "role": rule.role,
                            "comment": values["comment"], "decision": decision}
    if signer != op.actor.id:
        data["signer"] = signer
    if recorded_by is not None:
        data.update(recorded_by=recorded_by, on_behalf_of=signer)
    data.update(extra or {})
    op.record("signed_off" if decision == policy.APPROVE else "signoff_decided", **data)


def _party_of(op: _Op, party_id: int | None) -> Any:
    party = next((p for p in op.case.parties if p.id == party_id), None)
    if party is None:
        raise InvalidOperation("party_not_found", party=party_id)
    return party


def _signoff_rule(op: _Op, signoff_id: str) -> SignOffRule:
    rule = op.stage.requirement(signoff_id)
    if not isinstance(rule, SignOffRule):
        raise InvalidOperation("unknown_requirement", stage=op.stage.id, kind="sign-off", requirement=signoff_id)
    return rule
