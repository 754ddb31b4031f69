"""The engine wired into the application: one set per app, a database session per request."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine import CaseService, FileStore, PathwayLibrary


@dataclass
class Services:
    engine: Engine
    sessions: sessionmaker[Session]
    library: PathwayLibrary
    files: FileStore
    cases: CaseService


def services() -> Services:
    return current_app.extensions["opera"]


def db() -> Session:
    """The request's read session (changes to cases go through `services().cases`, never through it)."""
    session = g.get("_db")
    if session is None:
        session = g._db = services().sessions()
    return session


def close_db(_exc: BaseException | None = None) -> None:
    session = g.pop("_db", None)
    if session is not None:
        session.close()
