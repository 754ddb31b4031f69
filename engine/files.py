"""Content-addressed storage of uploaded documents, and what a file really is.

A file is stored under its SHA-256 (`ab/cdef…`), written to a temporary file, synced and renamed into
place, so a reader never sees half a file and the same content is stored once. The database only ever
refers to a hash after the file is in place.

Files go only after the transaction that forgot their rows committed (`delete_unused`), and only if no row
refers to them then and no upload of the same bytes touched them meanwhile. A process killed mid-write
leaves a temporary file (`.upload-*`) behind: every write sweeps the stale ones (older than `STALE_AFTER`)
of the directory it writes to, and `opera check --repair` sweeps the whole store. A process killed between
writing a file and committing its row leaves a file no row refers to: `opera check` reports it once it is
older than `STALE_AFTER`, and `--repair` deletes it.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
import unicodedata
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any, Iterable, Iterator

from sqlalchemy import Connection, Engine, exists, select

# Accepted document types: extension -> MIME type.
TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "png": "image/png",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "txt": "text/plain",
    "csv": "text/csv",
}
EXTENSION_ALIASES = {"jpeg": "jpg"}
MAX_FILENAME = 200
UPLOAD_PREFIX = ".upload-"  # a file being written
DELETE_PREFIX = ".delete-"  # a file being deleted (moved aside, then checked once more)
STALE_AFTER = 10 * 60  # seconds: no write takes that long, so an older temporary file is left by a crash

# The columns that refer to stored files, each with the condition for a row to keep its file (None: always).
# The engine registers its documents (engine/models.py), the databank its resource files.
_REFERENCES: list[tuple[Any, Any]] = []


def refer_to_files(sha256_column: Any, keeps_file: Any = None) -> None:
    if all(column is not sha256_column for column, _ in _REFERENCES):
        _REFERENCES.append((sha256_column, keeps_file))


def file_references() -> list[tuple[Any, Any]]:
    return list(_REFERENCES)


class FileStore:
    """Files in a folder (the default on SQLite); engine/stored_files.py has the same interface in the
    database."""

    kind = "folder"

    def __init__(self, root: Path | str):
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise ValueError("not a sha256")
        return self.root / sha256[:2] / sha256[2:]

    def put(self, content: bytes) -> str:
        digest = hashlib.sha256(content).hexdigest()
        target = self.path_for(digest)
        if target.exists() and target.stat().st_size == len(content):
            try:
                os.utime(target)  # in use again: a deletion under way leaves it (see delete_unused)
                return digest
            except FileNotFoundError:
                pass  # deleted meanwhile: written again below
        target.parent.mkdir(parents=True, exist_ok=True)
        self._sweep(target.parent)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=UPLOAD_PREFIX)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def open(self, sha256: str):  # noqa: ANN201
        return self.path_for(sha256).open("rb")

    def read(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).exists()

    def size(self, sha256: str) -> int | None:
        try:
            return self.path_for(sha256).stat().st_size
        except FileNotFoundError:
            return None

    def modified(self, sha256: str) -> float | None:
        try:
            return self.path_for(sha256).stat().st_mtime
        except FileNotFoundError:
            return None

    def describe(self, sha256: str) -> str:
        return str(self.path_for(sha256))

    def delete(self, sha256: str) -> None:
        self.path_for(sha256).unlink(missing_ok=True)

    def delete_unused(self, engine: Engine, candidates: Iterable[str], since: float) -> list[str]:
        """Delete the files among `candidates` that no row refers to; call it after the transaction that
        forgot their rows committed, with `since` the time (`time.time()`) before that transaction began.
        Returns the hashes deleted.

        The file is moved aside before it is checked once more: an upload of the same bytes that found it in
        place since then touched it (`put`) and keeps it; one that comes later writes it anew."""
        deleted = []
        for sha in sorted(set(candidates)):
            if referenced(engine, sha):
                continue
            target = self.path_for(sha)
            aside = target.with_name(DELETE_PREFIX + target.name)
            try:
                os.replace(target, aside)
            except FileNotFoundError:
                continue
            if aside.stat().st_mtime >= since or referenced(engine, sha):
                os.replace(aside, target)
                continue
            aside.unlink(missing_ok=True)
            deleted.append(sha)
        return deleted

    def stored(self) -> Iterator[str]:
        """The hash of every stored file."""
        if not self.root.is_dir():
            return
        for directory in sorted(self.root.iterdir()):
            if not (directory.is_dir() and re.fullmatch(r"[0-9a-f]{2}", directory.name)):
                continue
            for path in sorted(directory.iterdir()):
                if re.fullmatch(r"[0-9a-f]{62}", path.name):
                    yield directory.name + path.name

    def stale_temporary_files(self, now: float | None = None) -> list[Path]:
        """Temporary files left by a write or a deletion that did not finish (a crash)."""
        if not self.root.is_dir():
            return []
        now = time.time() if now is None else now
        return [path for directory in sorted(self.root.iterdir()) if directory.is_dir()
                for path in self._stale_in(directory, now)]

    def _sweep(self, directory: Path) -> None:
        for path in self._stale_in(directory, time.time()):
            path.unlink(missing_ok=True)

    @staticmethod
    def _stale_in(directory: Path, now: float) -> list[Path]:
        stale = []
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.name.startswith((UPLOAD_PREFIX, DELETE_PREFIX)):
                    try:
                        if now - entry.stat().st_mtime > STALE_AFTER:
                            stale.append(Path(entry.path))
                    except FileNotFoundError:
                        pass  # finished meanwhile
        return sorted(stale)


def referenced(bind: Engine | Connection, sha256: str) -> bool:
    """Whether a row that keeps its file refers to `sha256` (read in a transaction of its own, given an
    engine; in the connection's, given one)."""
    if isinstance(bind, Engine):
        with bind.connect() as connection:
            return referenced(connection, sha256)
    for column, keeps_file in file_references():
        condition = column == sha256 if keeps_file is None else (column == sha256) & keeps_file
        if bind.execute(select(exists().where(condition))).scalar():
            return True
    return False


def safe_filename(name: str) -> str | None:
    """A display file name with no directory, control characters or tricks; None if nothing is left."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"\s+", " ", name).strip().lstrip(".")
    if not name or name in (".", ".."):
        return None
    if len(name) > MAX_FILENAME:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: MAX_FILENAME - len(ext) - 1] + "." + ext) if dot and len(ext) < 10 else name[:MAX_FILENAME]
    return name


def extension(name: str) -> str:
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return EXTENSION_ALIASES.get(ext, ext)


def sniff(content: bytes) -> str | None:
    """The document type (an extension of TYPES) that the bytes really are, or None."""
    head = content[:8]
    if content.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(content)
    try:
        text = content[:65536].decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = content[:65536].decode("latin-1")
        except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes everything
            return None
    if "\x00" in text:
        return None
    return "txt"


def _sniff_zip(content: bytes) -> str | None:
    try:
        with zipfile.ZipFile(BytesIO(content)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                mimetype = archive.read("mimetype")[:100]
                if mimetype == b"application/vnd.oasis.opendocument.text":
                    return "odt"
                if mimetype == b"application/vnd.oasis.opendocument.spreadsheet":
                    return "ods"
            if "word/document.xml" in names:
                return "docx"
            if "xl/workbook.xml" in names:
                return "xlsx"
    except (zipfile.BadZipFile, OSError, ValueError, KeyError):
        return None
    return None


def detect_type(filename: str, content: bytes, accepted: tuple[str, ...]) -> tuple[str | None, str]:
    """Check a file against the accepted types; returns (type if accepted, what it was found to be)."""
    ext = extension(filename)
    found = sniff(content)
    if ext in ("txt", "csv"):
        if found == "txt" and ext in accepted:
            return ext, ext
        return None, found or "?"
    if ext in accepted and found == ext:
        return ext, found
    return None, found if found and found != "txt" else (ext or "?")
