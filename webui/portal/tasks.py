"""Which requirements a pathway gives to whom: a worker sees and acts on those whose roles include "worker"."""
from __future__ import annotations

from typing import Any

from engine.pathway import AssessmentRequirement, ChecklistItem, DocumentRule, Form, SignOffRule, Stage

WORKER = "worker"


def roles_of(requirement: Any) -> tuple[str, ...]:
    if isinstance(requirement, DocumentRule):
        return tuple(requirement.uploaded_by)
    if isinstance(requirement, SignOffRule):
        return (requirement.role,)
    if isinstance(requirement, (ChecklistItem, Form, AssessmentRequirement)):
        return tuple(requirement.roles)
    return ()


def for_workers(requirement: Any) -> bool:
    return WORKER in roles_of(requirement)


def asked_of_workers(stage: Stage | None) -> list[Any]:
    """The stage's requirements a worker can meet themselves."""
    return [r for r in (stage.requirements if stage else ()) if for_workers(r)]


def signoffs_for(stage: Stage | None, role: str) -> list[SignOffRule]:
    return [r for r in (stage.signoffs if stage else ()) if r.role == role]
