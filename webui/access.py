"""Who may see what: the engine actor of the logged-in user, role gates and object-level checks.

- an admin sees every desk and case;
- an operator sees the desks it belongs to and their cases;
- a mentor sees the cases it is assigned to;
- designers and workers have nothing in this area (403).
A case or desk the user may not see answers 404, as if it did not exist: nothing leaks.
"""
from __future__ import annotations

from functools import wraps
from typing import Callable, TypeVar

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import exists, select

from engine import Actor
from engine.models import Case, CaseMember, Desk

from .services import db

F = TypeVar("F", bound=Callable)
CASE_ROLES = ("admin", "operator", "mentor")


def actor() -> Actor:
    user = current_user._get_current_object()  # noqa: SLF001
    return Actor.of(user.id, user.roles or [], user.desk_ids)


def roles_required(*roles: str) -> Callable[[F], F]:
    """Log in, then have one of `roles` (403 otherwise)."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            if not any(current_user.has(r) for r in roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def is_manager_of(case: Case) -> bool:
    """May act as the case's operator (advance, hold, reopen...)."""
    return current_user.has("admin") or (current_user.has("operator") and case.desk_id in current_user.desk_ids)


def is_mentor_of(case: Case) -> bool:
    return current_user.has("mentor") and any(
        m.kind == "mentor" and m.person_id == current_user.id for m in case.members)


def can_see_case(case: Case) -> bool:
    return is_manager_of(case) or is_mentor_of(case)


def visible_case_or_404(case_id: int) -> Case:
    case = db().get(Case, case_id)
    if case is None or not can_see_case(case):
        abort(404)
    return case


def visible_desk_ids() -> list[str] | None:
    """The desks whose pages the user may open (None: all of them, for an admin)."""
    if current_user.has("admin"):
        return None
    if current_user.has("operator"):
        return current_user.desk_ids
    return []


def visible_desk_or_404(desk_id: str) -> Desk:
    allowed = visible_desk_ids()
    if allowed is not None and desk_id not in allowed:
        abort(404)
    desk = db().get(Desk, desk_id)
    if desk is None:
        abort(404)
    return desk


def mentor_cases_clause(person_id: str):  # noqa: ANN201
    return exists(select(CaseMember.id).where(
        CaseMember.case_id == Case.id, CaseMember.kind == "mentor", CaseMember.person_id == person_id))
