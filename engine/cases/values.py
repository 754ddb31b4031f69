"""The values operations take and give: who acts, who is on a case, what an operation did."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class Actor:
    """Who acts: an id, roles, and the help desks an operator belongs to."""

    id: str
    roles: frozenset[str]
    desks: frozenset[str] = frozenset()

    @classmethod
    def of(cls, id: str, roles: Iterable[str], desks: Iterable[str] = ()) -> "Actor":  # noqa: A002
        return cls(id, frozenset(roles), frozenset(desks))

    def has(self, role: str) -> bool:
        return role in self.roles


SEXES = ("female", "male", "other")
OLDEST_BIRTH_YEAR = 1920
YOUNGEST_AGE = 14  # the youngest age a worker may have when recorded


@dataclass(frozen=True)
class Member:
    """A person on a case. Sex and year of birth are optional (for the programme's breakdowns only)."""

    person_id: str
    display_name: str = ""
    sex: str | None = None
    birth_year: int | None = None


@dataclass(frozen=True)
class Receipt:
    """What an operation did: the case's new version (pass it to the next operation) and its event."""

    case_id: int
    version: int
    event_type: str
    new_case_id: int | None = None
    document_id: int | None = None

