"""Which requirements a pathway gives to workers: those whose roles include "worker" (the access policy
says who meets what)."""
from __future__ import annotations

from typing import Any

from engine.pathway import SignOffRule, Stage
from engine.policy import requirement_roles

WORKER = "worker"


def for_workers(requirement: Any) -> bool:
    return WORKER in requirement_roles(requirement)


def asked_of_workers(stage: Stage | None) -> list[Any]:
    """The stage's requirements a worker can meet themselves."""
    return [r for r in (stage.requirements if stage else ()) if for_workers(r)]


def signoffs_for(stage: Stage | None, role: str) -> list[SignOffRule]:
    return [r for r in (stage.signoffs if stage else ()) if r.role == role]
