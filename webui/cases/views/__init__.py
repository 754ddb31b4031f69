"""The `cases` blueprint, for operators and mentors: one module per page or group of actions.

- `desks.py`: the desks and one desk's cases; `opening.py`: opening a case;
- `case.py`: the case page and `act`, the frame of its actions; `actions.py`: the actions themselves;
  `parties.py`: the case's parties, their signing links and what is recorded on paper;
- `questionnaire.py`: a worker's questionnaire answered at the desk; `mentor.py`: the mentor's view.

Every change to a case is one operation (the engine's, or webui/cases/operations.py for what goes with it),
given the case version the page showed.
"""
from __future__ import annotations

from flask import Blueprint

from engine import policy

bp = Blueprint("cases", __name__, template_folder="../templates")
DESK_ROLES = policy.AREAS["desks"]
CASE_ROLES = policy.AREAS["cases"]
MENTOR_ROLES = policy.AREAS["mentor"]

from . import actions, case, desks, mentor, opening, parties, questionnaire  # noqa: E402,F401 - the routes
from .desks import users_with_role  # noqa: E402 - used by the admin pages

__all__ = ["CASE_ROLES", "DESK_ROLES", "MENTOR_ROLES", "bp", "users_with_role"]
