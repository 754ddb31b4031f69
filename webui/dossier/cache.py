"""Dossier PDFs made once per content: the HTML of the dossier (the case at its version, the names, the
texts of the language, the stylesheet) is cheap to build and decides whether the PDF already made still
stands; laying out a new PDF (the slow part) happens only when it changed.

The cache never makes a page wait: its row is written without waiting for the database's write lock
(when another writer holds it, the PDF is served and simply not kept this time). Replaced PDFs leave the
file store once no row refers to them; erasing a worker drops the PDFs of their cases.
"""
from __future__ import annotations

import hashlib
import time

from sqlalchemy import Connection, Engine, delete, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from engine.db import database_problem, writing
from engine.files import FileStore
from engine.models import utcnow

from .models import DossierPdf

PDFS = DossierPdf.__table__


def source_key(html: str, stylesheet: bytes) -> str:
    return hashlib.sha256(html.encode("utf-8") + b"\0" + stylesheet).hexdigest()


def cached_pdf(connection: Connection, files: FileStore, case_id: int, lang: str, key: str) -> bytes | None:
    """The PDF made from this very source, if it is still in the store."""
    sha256 = connection.execute(select(PDFS.c.sha256).where(
        PDFS.c.case_id == case_id, PDFS.c.lang == lang, PDFS.c.source_sha256 == key)).scalar()
    if sha256 is None or not files.exists(sha256):
        return None
    return files.read(sha256)


def keep_pdf(engine: Engine, files: FileStore, case_id: int, lang: str, key: str, pdf: bytes) -> bool:
    """Keep a PDF just made as the case's one in this language; False when the database was busy."""
    began = time.time()
    sha256 = files.put(pdf)
    try:
        with writing(engine, wait=False).begin() as connection:
            old = connection.execute(select(PDFS.c.sha256).where(
                PDFS.c.case_id == case_id, PDFS.c.lang == lang)).scalar()
            values = {"source_sha256": key, "sha256": sha256, "made_at": utcnow()}
            if old is None:
                connection.execute(PDFS.insert().values(case_id=case_id, lang=lang, **values))
            else:
                connection.execute(update(PDFS).where(PDFS.c.case_id == case_id, PDFS.c.lang == lang).values(**values))
    except (OperationalError, IntegrityError) as exc:
        # busy, or another view of the same dossier kept its PDF first (PostgreSQL): this one is not kept
        if isinstance(exc, OperationalError) and database_problem(exc)[0] != "database.busy":
            raise
        files.delete_unused(engine, [sha256], since=began)
        return False
    if old is not None and old != sha256:
        files.delete_unused(engine, [old], since=began)
    return True


def forget_pdfs(connection: Connection, case_ids: list[int], released: set[str] | None) -> None:
    """Drop the PDFs of these cases (in the caller's transaction); their files go to `released`, for the
    caller to delete once the transaction committed."""
    if not case_ids:
        return
    if released is not None:
        released.update(connection.execute(select(PDFS.c.sha256).where(PDFS.c.case_id.in_(case_ids))).scalars())
    connection.execute(delete(PDFS).where(PDFS.c.case_id.in_(case_ids)))
