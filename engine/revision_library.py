"""What the pathway and assessment libraries share: files on disk whose valid distinct contents are stored as
revisions, and what is built from a revision, kept in memory once read (a revision never changes)."""
from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from .errors import InvalidOperation
from .models import RevisionMixin

Built = TypeVar("Built")


class RevisionLibrary(ABC, Generic[Built]):
    revision_model: type[RevisionMixin]
    unknown: tuple[str, str]  # the refusal's code and parameter for a revision that is not stored

    def __init__(self, session_factory: sessionmaker[Session], directory: Path | str | None = None):
        self.session_factory = session_factory
        self.directory = Path(directory) if directory else None
        self._cache: dict[int, Built] = {}
        self._hashes: dict[int, str] = {}  # revision id -> the content hash stored with it
        self._lock = threading.Lock()
        self.last_report: list[Any] = []  # the last check of the directory's files

    @abstractmethod
    def _build(self, revision_id: int, document: dict[str, Any]) -> Built:
        """What a library makes of one stored revision's document (a pathway, an assessment)."""

    def _document(self, session: Session, revision_id: int) -> dict[str, Any] | None:
        row = session.get(self.revision_model, revision_id)
        return row.document if row else None

    def content_hash(self, revision_id: int, session: Session) -> str:
        """The content hash stored with a revision ("" for no such revision), read once."""
        found = self._hashes.get(revision_id)
        if found is None:
            found = session.scalar(select(self.revision_model.content_hash)
                                   .where(self.revision_model.id == revision_id))
            if found is None:
                return ""
            self._hashes[revision_id] = found
        return found

    def is_cached(self, revision_id: int) -> bool:
        return revision_id in self._cache

    def revision(self, revision_id: int, session: Session | None = None) -> Built:
        """What the revision builds (read once, then cached), read in `session` or in a session of its own."""
        built = self._cache.get(revision_id)
        if built is not None:
            return built
        if session is not None:
            document = self._document(session, revision_id)
        else:
            with self.session_factory() as own:
                document = self._document(own, revision_id)
        if document is None:
            code, parameter = self.unknown
            raise InvalidOperation(code, **{parameter: f"#{revision_id}"})
        built = self._build(revision_id, document)
        with self._lock:
            return self._cache.setdefault(revision_id, built)
