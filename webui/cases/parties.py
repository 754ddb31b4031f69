"""The parties part of the case page: the case's parties, and for each sign-off held by a party or each
item a worker may give on paper, what the operator can do — send a signing link, record on paper — and the
decisions given that are not approvals (requests for changes, refusals), which the operators must see."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from engine import policy
from engine.models import Case
from engine.pathway import ChecklistItem, SignOffRule

from .page import CaseView


@dataclass
class PartySignOff:
    rule: SignOffRule
    parties: list[Any]  # the case's parties in its role
    decisions: list[Any]  # the decisions of this visit that are not approvals
    held_by_party: bool = True  # else a mentor's: only its decisions are shown here


@dataclass
class PartiesView:
    parties: list[Any]
    roles: list[tuple[str, Any]]  # (role id, title) a party may hold on this pathway
    signoffs: list[PartySignOff] = field(default_factory=list)
    paper_items: list[ChecklistItem] = field(default_factory=list)
    manager: bool = False

    @property
    def waiting_decisions(self) -> list[tuple[SignOffRule, Any]]:
        return [(s.rule, d) for s in self.signoffs for d in s.decisions]


def build(session: Session, case: Case, view: CaseView) -> PartiesView:
    pathway, stage = view.pathway, view.stage
    parties = list(view.parties)
    out = PartiesView(parties, [(r, pathway.roles[r]) for r in pathway.party_roles], manager=view.manager)
    if case.status == "closed":
        return out
    for rule in stage.signoffs:
        held = policy.held_per_case(rule.role, pathway.account_roles)
        decisions = [s for s in view.state.signoffs if s.signoff_id == rule.id and s.decision != policy.APPROVE]
        if held or decisions:
            out.signoffs.append(PartySignOff(rule, [p for p in parties if p.role == rule.role], decisions, held))
    out.paper_items = [c for c in stage.checklist if c.on_paper and "worker" in c.roles]
    return out
