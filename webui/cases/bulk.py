"""The desk list's bulk actions: assign a mentor, send a reminder to the workers.

The whole selection passes the access policy first: a case the user may not manage (another desk's, or one
that does not exist) refuses the request and nothing is done. Then each case is its own operation (the engine's
`assign_mentor`, or `operations.remind_workers`), which asks the policy again; what one case refuses is said
per case, the others are done."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from sqlalchemy.orm import Session, sessionmaker

from engine import Actor, Member, policy
from engine.errors import EngineError
from engine.models import Case

from . import operations

MAX_SELECTED = 200
ACTIONS = ("mentor", "remind")


@dataclass
class Selection:
    cases: list[Case] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)  # not found, of another desk, or not managed by the user


@dataclass
class Outcome:
    done: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)  # (case, why)


def case_ids(values: Iterable[str]) -> list[int]:
    """The selected case numbers, in order, without repeats or what is not a number."""
    seen: dict[int, None] = {}
    for value in values:
        if value.isascii() and value.isdigit() and len(seen) < MAX_SELECTED:
            seen.setdefault(int(value), None)
    return list(seen)


def select_cases(session: Session, actor: Actor, desk_id: str, ids: list[int]) -> Selection:
    selection = Selection()
    for case_id in ids:
        case = session.get(Case, case_id)
        if case is None or case.desk_id != desk_id or policy.manage_refusal(actor, case) is not None:
            selection.refused.append(case_id)
        else:
            selection.cases.append(case)
    return selection


def assign_mentor(service: Any, actor: Actor, cases: list[Case], mentor: Member, lang: str) -> Outcome:
    outcome = Outcome()
    for case in cases:
        try:
            service.assign_mentor(case.id, actor, case.version, mentor)
        except EngineError as exc:
            outcome.failed.append((case.id, exc.message(lang)))
        else:
            outcome.done.append(case.id)
    return outcome


def remind(sessions: sessionmaker[Session], actor: Actor, cases: list[Case], not_active: str) -> Outcome:
    outcome = Outcome()
    for case in cases:
        try:
            operations.remind_workers(sessions, actor, case.id)
        except operations.NotActive:
            outcome.failed.append((case.id, not_active))
        else:
            outcome.done.append(case.id)
    return outcome
