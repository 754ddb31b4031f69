"""The engine wired into the application: one set per app, a database session per request."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import current_app, g
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from engine import CaseService, FileStore, Pathway, PathwayLibrary
from engine.assessment_library import AssessmentLibrary
from engine.db import WRITES
from engine.models import PathwaySource

if TYPE_CHECKING:
    from databank import Databank


@dataclass
class Services:
    engine: Engine
    sessions: sessionmaker[Session]
    library: PathwayLibrary
    files: FileStore
    cases: CaseService
    assessments: AssessmentLibrary


def services() -> Services:
    return current_app.extensions["opera"]


def db() -> Session:
    """The request's read session (changes to cases go through `services().cases`, never through it)."""
    session = g.get("_db")
    if session is None:
        session = g._db = services().sessions()
    return session


def begin_writing() -> Session:
    """The request's session, now in a transaction that writes: for the login counters, which the login page
    writes itself. Call it just before changing anything.

    The request's transaction so far only read (and on SQLite a read transaction that then writes fails at
    once with "database is locked" if another wrote since it began). This ends it and begins one that holds
    the write lock from its start (waiting its turn behind another writer); what the page had loaded is read
    again, in that transaction, when next used."""
    session = db()
    session.commit()
    session.connection(execution_options={WRITES: True})
    session.expire_all()
    return session


def close_db(_exc: BaseException | None = None) -> None:
    session = g.pop("_db", None)
    if session is not None:
        session.close()


def current_pathways() -> list[tuple[str, Pathway]]:
    """The active revision of every pathway, by id (one query per request; revisions are cached by the
    library, and never change)."""
    found = g.get("_pathways")
    if found is None:
        active: dict[str, tuple] = {}
        rows = db().execute(select(PathwaySource.pathway_id, PathwaySource.active_revision_id,
                                   PathwaySource.checked_at).where(PathwaySource.active_revision_id.is_not(None)))
        for pathway_id, revision_id, checked_at in rows:
            if pathway_id and (pathway_id not in active or checked_at > active[pathway_id][1]):
                active[pathway_id] = (revision_id, checked_at)
        library = services().library
        found = g._pathways = [(pid, library.revision(active[pid][0], db()).pathway) for pid in sorted(active)]
    return found


def databank() -> Databank:
    """The databank's operations on the application's engine (one per application)."""
    from databank import Databank

    extensions = current_app.extensions
    if "databank" not in extensions:
        opera = services()
        extensions["databank"] = Databank(opera.sessions, opera.files, opera.cases)
    return extensions["databank"]
