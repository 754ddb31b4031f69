"""What every databank operation starts from: the sessions, the file store, the case service, the clock, and
the one transaction a change runs in; `Saved`, what a create or update gives back.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterator

from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from engine.cases import CaseService
from engine.db import writing
from engine.files import FileStore
from engine.models import utcnow

from ..errors import StaleEntry


@dataclass(frozen=True)
class Saved:
    """What a create or update did: the entry's id and its new version (pass it to the next update)."""

    id: int
    version: int


class DatabankBase:
    """The databank's sessions, files, cases and clock, and the transaction every change runs in."""

    def __init__(self, sessions: sessionmaker[Session], files: FileStore | None = None,
                 cases: CaseService | None = None, clock: Callable[[], datetime] = utcnow):
        self.sessions = sessions
        self.files = files
        self.cases = cases
        self.clock = clock

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        try:
            with writing(self.sessions).begin() as session:
                yield session
        except StaleDataError as exc:  # two saves of the same version at once: the second one loses
            raise StaleEntry(0, 0) from exc
