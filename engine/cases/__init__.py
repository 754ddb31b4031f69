"""Cases and the operations on them: the only way a case changes.

Each operation is one database transaction that (1) claims the version the actor saw — a stale version is
refused with `ConflictError` and nothing changes —, (2) checks who may do it, (3) changes the state and
(4) appends one event. The actor is always an argument: the same operation runs from a view, the CLI, a
scenario or a script.

Where things are:
- `frame.py`: the frame every operation runs in (claim, who may act, the state and its one event) and the
  checks several operations share;
- `opening.py`, `requirements.py` (ticks, documents, forms, sign-offs and asking for them), `moving.py`
  (exits, hold, reopen, close, switch, migrate), `people.py` (mentors, group members, links), `parties.py`
  (the case's parties, signing links, decisions, what is recorded on paper), `methodology.py`
  (questionnaires and the pathway chosen): the operations, one subject a module;
- `queries.py`: reading a case and what is missing; `forms.py`: a form's answers checked against its schema;
- `values.py`: `Actor`, `Member`, `Receipt`.
"""
from __future__ import annotations

from .forms import form_errors
from .frame import MANAGER_ROLES, CaseState, OperationFrame
from .methodology import MethodologyOperations
from .moving import MovingOperations
from .opening import OpeningOperations
from .parties import PartyOperations, SigningRequest
from .people import PeopleOperations
from .queries import CaseQueries
from .requirements import RequirementOperations, SignOffRequests
from .values import OLDEST_BIRTH_YEAR, SEXES, YOUNGEST_AGE, Actor, Member, Receipt


class CaseService(OpeningOperations, RequirementOperations, SignOffRequests, MovingOperations,
                  PeopleOperations, PartyOperations, MethodologyOperations, CaseQueries, OperationFrame):
    """Every operation on cases, and the queries that read them (see the modules of this package)."""


__all__ = [
    "MANAGER_ROLES", "OLDEST_BIRTH_YEAR", "SEXES", "YOUNGEST_AGE", "Actor", "CaseQueries", "CaseService",
    "CaseState", "Member", "OperationFrame", "PartyOperations", "Receipt", "SigningRequest", "form_errors",
]
