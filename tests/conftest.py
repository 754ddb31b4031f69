"""Test fixtures: a real database per test (SQLite by default, PostgreSQL when OPERA_TEST_DATABASE_URL
names one), built by the Alembic migrations, and the engine wired on it.

    OPERA_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test pytest

With CI=true a database that cannot be reached is a failure, never a skip.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from engine import CaseService, FileStore, PathwayLibrary
from engine.db import make_engine, make_session_factory, upgrade
from engine.models import Base, Desk

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_PATHWAYS = ROOT / "tests" / "fixtures" / "pathways"
FIXTURE_ASSESSMENTS = ROOT / "tests" / "fixtures" / "assessments"
SHIPPED_PATHWAYS = ROOT / "pathways"
IN_CI = os.environ.get("CI", "").lower() == "true"


def database_kind() -> str:
    url = os.environ.get("OPERA_TEST_DATABASE_URL", "")
    return "postgresql" if url.startswith("postgresql") else "sqlite"


def pytest_report_header(config) -> str:  # noqa: ANN001
    return f"database: {database_kind()}"


@pytest.fixture(scope="session")
def _template(tmp_path_factory) -> str:  # noqa: ANN001
    """Migrate once per run: a template SQLite file to copy, or the PostgreSQL schema to truncate."""
    url = os.environ.get("OPERA_TEST_DATABASE_URL")
    if url:
        engine = make_engine(url)
        try:
            with engine.connect() as connection:
                connection.execute(text("select 1"))
        except Exception as exc:  # noqa: BLE001
            message = f"PostgreSQL not reachable at {url}: {exc}"
            if IN_CI:
                pytest.fail(message)
            pytest.skip(message)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        upgrade(url)
        return url
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    upgrade(f"sqlite:///{path}")
    return str(path)


@pytest.fixture
def db_url(_template: str, tmp_path: Path) -> str:
    if _template.startswith("postgresql"):
        engine = make_engine(_template)
        tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
        present = set(inspect(engine).get_table_names())
        with engine.begin() as connection:
            names = ", ".join(f'"{t}"' for t in tables if t in present)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return _template
    target = tmp_path / "opera.sqlite"
    shutil.copy(_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def db_engine(db_url: str):  # noqa: ANN201
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(db_engine):  # noqa: ANN001, ANN201
    return make_session_factory(db_engine)


@pytest.fixture
def desks(sessions):  # noqa: ANN001, ANN201
    with sessions.begin() as session:
        session.add_all([
            Desk(id="genova", name="Sportello Genova", country="IT", region="Liguria"),
            Desk(id="nice", name="Guichet Nice", country="FR", region="Provence-Alpes-Côte d'Azur"),
        ])
    return ["genova", "nice"]


@pytest.fixture
def library(sessions):  # noqa: ANN001, ANN201
    lib = PathwayLibrary(sessions, FIXTURE_PATHWAYS)
    report = lib.sync()
    assert all(c.valid for c in report), [p.format() for c in report for p in c.errors]
    return lib


@pytest.fixture
def files(tmp_path: Path) -> FileStore:
    return FileStore(tmp_path / "files")


@pytest.fixture
def assessments(sessions):  # noqa: ANN001, ANN201
    from engine.assessment_library import AssessmentLibrary

    lib = AssessmentLibrary(sessions, FIXTURE_ASSESSMENTS)
    assert all(c.valid for c in lib.sync()), "fixture assessments must be valid"
    return lib


@pytest.fixture
def service(sessions, library, files, desks, assessments):  # noqa: ANN001, ANN201
    return CaseService(sessions, library, files, assessments=assessments)
