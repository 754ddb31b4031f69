"""Import files waiting for the operator's confirmation: kept on disk under a random token (never in the
session cookie), with who uploaded them, for which desk and what they hold; removed once imported, and
after a day in any case."""
from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

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


class PendingImports:
    def __init__(self, directory: Path):
        self.directory = directory

    def put(self, user_id: str, kind: str, desk_id: str, filename: str, content: bytes) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.clean()
        token = secrets.token_urlsafe(32)
        meta = {"user_id": user_id, "kind": kind, "desk_id": desk_id, "filename": filename}
        self._write(self.directory / f"{token}.bin", content)
        self._write(self.directory / f"{token}.json", json.dumps(meta).encode("utf-8"))
        return token

    def get(self, token: str, user_id: str) -> PendingImport | None:
        """The file of this token if this user uploaded it (someone else's token is as good as none)."""
        if not TOKEN.match(token or ""):
            return None
        meta_path, data_path = self.directory / f"{token}.json", self.directory / f"{token}.bin"
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if meta["user_id"] != user_id or time.time() - meta_path.stat().st_mtime > MAX_AGE_SECONDS:
                return None
            content = data_path.read_bytes()
        except (OSError, ValueError, KeyError):
            return None
        return PendingImport(token, meta["user_id"], meta["kind"], meta["desk_id"], meta["filename"], content)

    def drop(self, token: str) -> None:
        if TOKEN.match(token or ""):
            for suffix in (".json", ".bin"):
                (self.directory / f"{token}{suffix}").unlink(missing_ok=True)

    def clean(self) -> None:
        limit = time.time() - MAX_AGE_SECONDS
        for path in self.directory.glob("*.*"):
            try:
                if path.stat().st_mtime < limit:
                    path.unlink(missing_ok=True)
            except OSError:
                continue

    @staticmethod
    def _write(path: Path, content: bytes) -> None:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".pending-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(content)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
