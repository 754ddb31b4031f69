"""Content-addressed storage of uploaded documents, and what a file really is.

A file is stored under its SHA-256 (`ab/cdef…`), written to a temporary file, synced and renamed into
place, so a reader never sees half a file and the same content is stored once. The database only ever
refers to a hash after the file is in place.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
import zipfile
from io import BytesIO
from pathlib import Path

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


class FileStore:
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
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
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

    def delete(self, sha256: str) -> None:
        self.path_for(sha256).unlink(missing_ok=True)


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
