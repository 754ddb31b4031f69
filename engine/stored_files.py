"""The file store in the database, shared by every app server, and the choice of store.

`OPERA_FILE_STORE` chooses where uploaded files are kept: `database` (the default on PostgreSQL: every app
server sees the same files, and one `pg_dump` saves the database and the files together) or `folder` (the
default and the only choice on SQLite: `files/` in the instance folder). Both stores share one interface (engine/files.py) and
the same content addressing, so `opera files migrate` copies a folder into the database without changing a
row that refers to a file.

A file is one `stored_files` row and its `stored_file_chunks` (1 MB each but the last), written in one
transaction: a reader never sees half a file, and no crash leaves a temporary file. Reading fetches a chunk at
a time, so a 20 MB download never sits whole in memory.
"""
from __future__ import annotations

import hashlib
import io
import os
import time
from pathlib import Path
from typing import Iterable, Iterator

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from .db import writing
from .files import FileStore, referenced
from .models import StoredFile, StoredFileChunk

CHUNK_SIZE = 1024 * 1024
STORES = ("database", "folder")
FILES = StoredFile.__table__
CHUNKS = StoredFileChunk.__table__


class DatabaseFileStore:
    """The FileStore's interface (put/open/read/exists/delete/delete_unused, and what `opera check` reads) on
    the tables `stored_files` and `stored_file_chunks`."""

    kind = "database"

    def __init__(self, engine: Engine):
        self.engine = engine

    def put(self, content: bytes) -> str:
        digest = hashlib.sha256(content).hexdigest()
        view = memoryview(content)
        for _attempt in range(3):
            if self._touch(digest):
                return digest
            try:
                with writing(self.engine).begin() as connection:
                    connection.execute(insert(FILES).values(sha256=digest, size=len(content), touched_at=time.time()))
                    for offset in range(0, len(content), CHUNK_SIZE) or [0]:
                        connection.execute(insert(CHUNKS).values(
                            sha256=digest, offset=offset, data=bytes(view[offset:offset + CHUNK_SIZE])))
                return digest
            except IntegrityError:
                continue  # the same bytes stored by another upload meanwhile: touch them
        raise RuntimeError(f"could not store file {digest}")

    def _touch(self, digest: str) -> bool:
        """In use again: a deletion under way leaves it (see delete_unused)."""
        with writing(self.engine).begin() as connection:
            return connection.execute(update(FILES).where(FILES.c.sha256 == digest)
                                      .values(touched_at=time.time())).rowcount > 0

    def open(self, sha256: str) -> io.BufferedReader:
        size = self.size(sha256)
        if size is None:
            raise FileNotFoundError(sha256)
        return io.BufferedReader(_ChunkReader(self.engine, sha256, size), buffer_size=CHUNK_SIZE)

    def read(self, sha256: str) -> bytes:
        with self.open(sha256) as stream:
            return stream.read()

    def exists(self, sha256: str) -> bool:
        return self.size(sha256) is not None

    def size(self, sha256: str) -> int | None:
        with self.engine.connect() as connection:
            return connection.scalar(select(FILES.c.size).where(FILES.c.sha256 == sha256))

    def modified(self, sha256: str) -> float | None:
        with self.engine.connect() as connection:
            return connection.scalar(select(FILES.c.touched_at).where(FILES.c.sha256 == sha256))

    def describe(self, sha256: str) -> str:
        return f"stored_files:{sha256}"

    def delete(self, sha256: str) -> None:
        with writing(self.engine).begin() as connection:
            connection.execute(delete(CHUNKS).where(CHUNKS.c.sha256 == sha256))
            connection.execute(delete(FILES).where(FILES.c.sha256 == sha256))

    def delete_unused(self, engine: Engine, candidates: Iterable[str], since: float) -> list[str]:
        """As FileStore.delete_unused: the row is locked, then checked once more; an upload of the same bytes
        that touched it since `since` keeps it, one that comes later (waiting for the lock) stores it anew."""
        deleted = []
        for sha in sorted(set(candidates)):
            if referenced(engine, sha):
                continue
            with writing(self.engine).begin() as connection:
                touched = connection.scalar(select(FILES.c.touched_at).where(FILES.c.sha256 == sha).with_for_update())
                if touched is None or touched >= since or referenced(connection, sha):
                    continue
                connection.execute(delete(CHUNKS).where(CHUNKS.c.sha256 == sha))
                connection.execute(delete(FILES).where(FILES.c.sha256 == sha))
            deleted.append(sha)
        return deleted

    def stored(self) -> Iterator[str]:
        with self.engine.connect() as connection:
            yield from connection.scalars(select(FILES.c.sha256).order_by(FILES.c.sha256)).all()

    def stale_temporary_files(self, now: float | None = None) -> list[Path]:
        return []  # a file is written in one transaction: a crash leaves nothing behind

    def total_size(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.scalar(select(func.coalesce(func.sum(FILES.c.size), 0))) or 0)


class _ChunkReader(io.RawIOBase):
    """A stored file read a chunk at a time (seekable: ranges of a download)."""

    def __init__(self, engine: Engine, sha256: str, size: int):
        self.engine, self.sha256, self.length, self.position = engine, sha256, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self.position, os.SEEK_END: self.length}[whence]
        self.position = max(0, base + offset)
        return self.position

    def readinto(self, buffer) -> int:  # noqa: ANN001
        if self.position >= self.length:
            return 0
        with self.engine.connect() as connection:
            row = connection.execute(
                select(CHUNKS.c.offset, CHUNKS.c.data)
                .where(CHUNKS.c.sha256 == self.sha256, CHUNKS.c.offset <= self.position)
                .order_by(CHUNKS.c.offset.desc()).limit(1)).first()
        if row is None:
            raise FileNotFoundError(self.sha256)  # deleted while being read
        piece = memoryview(bytes(row.data))[self.position - row.offset:]
        count = min(len(buffer), len(piece))
        buffer[:count] = piece[:count]
        self.position += count
        return count


def store_kind(database_url: str, configured: str | None = None) -> str:
    """The store chosen by OPERA_FILE_STORE, else the database on PostgreSQL and the folder on SQLite."""
    kind = (configured if configured is not None else os.environ.get("OPERA_FILE_STORE", "")).strip().lower()
    if not kind:
        return "folder" if str(database_url).startswith("sqlite") else "database"
    if kind not in STORES:
        raise ValueError(f"OPERA_FILE_STORE must be one of {', '.join(STORES)}, not {kind!r}")
    if kind == "database" and str(database_url).startswith("sqlite"):
        # A file is written in a transaction of its own while the operation's holds SQLite's one write lock.
        raise ValueError("OPERA_FILE_STORE=database needs PostgreSQL: on SQLite files are kept in the folder")
    return kind


def open_file_store(engine: Engine, instance_path: Path | str,
                    kind: str | None = None) -> FileStore | DatabaseFileStore:
    """The application's file store: the tables of `engine`, or `files/` in the instance folder."""
    chosen = store_kind(engine.url.render_as_string(hide_password=True), kind)
    if chosen == "database":
        return DatabaseFileStore(engine)
    return FileStore(Path(instance_path) / "files")


def copy_into(source: FileStore, target: DatabaseFileStore) -> tuple[int, int]:
    """Copy every file of a folder store into the database store (the same hashes); (copied, already there)."""
    copied = present = 0
    for sha in source.stored():
        if target.exists(sha):
            present += 1
            continue
        if target.put(source.read(sha)) != sha:
            raise ValueError(f"{source.describe(sha)} does not hold the bytes of its name")
        copied += 1
    return copied, present
