"""The access policy (`engine.policy`) in Flask terms: the engine actor of the logged-in user, role gates
per area, and objects fetched or refused.

A route of an area the user's roles do not enter answers 403; a case, desk or document the user may not
see answers 404, as if it did not exist: nothing leaks. The rules themselves are the policy's.
"""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable, Sequence, TypeVar

from flask import abort
from flask_login import current_user, login_required

from engine import Actor, policy
from engine.models import Case, CaseDocument, Desk

from .services import db

F = TypeVar("F", bound=Callable)


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


def area_required(area: str) -> Callable[[F], F]:
    """Log in, then have a role that enters `area` (see `engine.policy.AREAS`; 403 otherwise)."""
    return roles_required(*policy.AREAS[area])


def may_enter(area: str) -> bool:
    return current_user.is_authenticated and policy.may_enter(actor(), area)


def is_manager_of(case: Case) -> bool:
    """May act as the case's operator (advance, hold, reopen...)."""
    return policy.is_manager(actor(), case)


def can_see_case(case: Case) -> bool:
    return policy.may_see_case(actor(), case)


def visible_case_or_404(case_id: int, options: Sequence[Any] = ()) -> Case:
    """A case of the staff's pages (`options`: loader options, e.g. its members read along with it)."""
    case = db().get(Case, case_id, options=options)
    if case is None or not policy.may_see_case(actor(), case):
        abort(404)
    return case


def managed_case_or_404(case_id: int) -> Case:
    case = db().get(Case, case_id)
    if case is None or not policy.is_manager(actor(), case):
        abort(404)
    return case


def followed_case_or_404(case_id: int) -> Case:
    """A case of the worker's portal: one they follow."""
    case = db().get(Case, case_id)
    if case is None or not policy.may_follow_case(actor(), case):
        abort(404)
    return case


def document_or_404(case: Case, document_id: int) -> CaseDocument:
    document = db().get(CaseDocument, document_id)
    if not policy.may_see_document(actor(), case, document):
        abort(404)
    return document


def visible_desk_ids() -> frozenset[str] | None:
    """The desks whose pages the user may open (None: all of them, for an admin)."""
    return policy.visible_desk_ids(actor())


def visible_desk_or_404(desk_id: str) -> Desk:
    if not policy.may_see_desk(actor(), desk_id):
        abort(404)
    desk = db().get(Desk, desk_id)
    if desk is None:
        abort(404)
    return desk
