"""Import files waiting for the operator's confirmation: under a random token (never in the session cookie),
with who uploaded them, for which desk and what they hold; a row in the database and the bytes in the file
store, so that any app server can confirm what another one checked. Removed once imported, and after a day
in any case."""
from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from engine.db import writing
from engine.files import FileStore
from engine.models import utcnow

from ..models import PendingImportFile

MAX_AGE_SECONDS = 24 * 3600
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


@dataclass(frozen=True)
class PendingImport:
    token: str
    user_id: str
    kind: str
    desk_id: str
    filename: str
    content: bytes


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()  # a copy of the table lets no one confirm an import


class PendingImports:
    def __init__(self, engine: Engine, sessions: sessionmaker[Session], files: FileStore):
        self.engine, self.sessions, self.files = engine, sessions, files

    def put(self, user_id: str, kind: str, desk_id: str, filename: str, content: bytes) -> str:
        self.clean()
        token = secrets.token_urlsafe(32)
        digest = self.files.put(content)  # the bytes first: the row only ever refers to a stored file
        with writing(self.sessions).begin() as session:
            session.add(PendingImportFile(token_hash=_hash(token), user_id=user_id, kind=kind, desk_id=desk_id,
                                          filename=filename[:255], sha256=digest, created_at=utcnow()))
        return token

    def get(self, token: str, user_id: str) -> PendingImport | None:
        """The file of this token if this user uploaded it (someone else's token is as good as none)."""
        if not TOKEN.match(token or ""):
            return None
        with self.sessions() as session:
            row = session.get(PendingImportFile, _hash(token))
        if row is None or row.user_id != user_id or row.created_at < utcnow() - timedelta(seconds=MAX_AGE_SECONDS):
            return None
        try:
            content = self.files.read(row.sha256)
        except FileNotFoundError:
            return None
        return PendingImport(token, row.user_id, row.kind, row.desk_id, row.filename, content)

    def drop(self, token: str) -> None:
        if TOKEN.match(token or ""):
            self._forget(PendingImportFile.token_hash == _hash(token))

    def clean(self) -> None:
        self._forget(PendingImportFile.created_at < utcnow() - timedelta(seconds=MAX_AGE_SECONDS))

    def _forget(self, condition) -> None:  # noqa: ANN001
        began = time.time()
        with writing(self.sessions).begin() as session:
            released = set(session.scalars(select(PendingImportFile.sha256).where(condition)))
            if released:
                session.execute(delete(PendingImportFile).where(condition))
        if released:
            self.files.delete_unused(self.engine, released, since=began)
