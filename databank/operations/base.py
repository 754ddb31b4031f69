"""What every databank operation starts from: the sessions, the file store, the case service, the clock, and
the one transaction a change runs in; `Saved`, what a create or update gives back.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterator, TypeVar

from sqlalchemy.orm import Session, selectinload, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from engine.cases import CaseService
from engine.db import writing
from engine.files import FileStore
from engine.models import utcnow

from ..errors import EntryNotFound, StaleEntry
from ..models import EditedMixin

Record = TypeVar("Record", bound=EditedMixin)


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

    @staticmethod
    def _found(session: Session, model: type[Record], record_id: int, not_found: str, *loaded: Any) -> Record:
        """The record with its `loaded` relationships, or EntryNotFound (`not_found`: the message's key)."""
        record = session.get(model, record_id, options=[selectinload(r) for r in loaded])
        if record is None:
            raise EntryNotFound(not_found, id=record_id)
        return record

    @staticmethod
    def _created(session: Session, record: Record) -> Record:
        """A new record in the session, with its id."""
        session.add(record)
        session.flush()
        return record
