"""Test fixtures: a real database per test (SQLite by default, PostgreSQL when OPERA_TEST_DATABASE_URL
names one), built by the Alembic migrations, and the engine wired on it.

    OPERA_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test pytest

With CI=true a database that cannot be reached is a failure, never a skip.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import flask
import pytest
from jinja2 import BytecodeCache
from sqlalchemy import text
from sqlalchemy.pool import StaticPool

from engine import CaseService, FileStore, PathwayLibrary
from engine.db import make_engine, make_session_factory, upgrade
from engine.models import Desk

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_PATHWAYS = ROOT / "tests" / "fixtures" / "pathways"
FIXTURE_ASSESSMENTS = ROOT / "tests" / "fixtures" / "assessments"
SHIPPED_PATHWAYS = ROOT / "pathways"
IN_CI = os.environ.get("CI", "").lower() == "true"


def database_kind() -> str:
    url = os.environ.get("OPERA_TEST_DATABASE_URL", "")
    return "postgresql" if url.startswith("postgresql") else "sqlite"


# A page's layout (widths, contrast, landmarks) is the same whatever database holds its data: the browser crawls
# that check only that run in the SQLite suite, the one CI runs beside the PostgreSQL suite. What a page
# shows and refuses is checked on both databases (the access matrices visit every route as every role).
layout_only = pytest.mark.skipif(database_kind() != "sqlite",
                                 reason="a layout check: the same on every database, run in the SQLite suite")


def pytest_report_header(config) -> str:  # noqa: ANN001
    return f"database: {database_kind()}"


class CompiledTemplates(BytecodeCache):
    """The compiled code of each template, kept for the whole run: every app a test makes renders the same
    templates, and compiling them again for each test was a large share of the suite's time. A template whose
    source changed is compiled again (Jinja compares the source's checksum)."""

    def __init__(self) -> None:
        self._code: dict[str, tuple[str, object]] = {}

    def load_bytecode(self, bucket) -> None:  # noqa: ANN001
        checksum, code = self._code.get(bucket.key, (None, None))
        if checksum == bucket.checksum:
            bucket.code = code

    def dump_bytecode(self, bucket) -> None:  # noqa: ANN001
        self._code[bucket.key] = (bucket.checksum, bucket.code)


def pytest_configure(config) -> None:  # noqa: ANN001
    flask.Flask.jinja_options = {**flask.Flask.jinja_options, "bytecode_cache": CompiledTemplates()}


@pytest.fixture(scope="session")
def _template(tmp_path_factory) -> str:  # noqa: ANN001
    """Migrate once per run: a template SQLite file to copy, or the PostgreSQL schema to empty."""
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
            # A commit does not wait for the log to reach the disk (what a crash of the server would lose
            # is of no use to a test): the suite commits thousands of times.
            connection.execute(text("DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET synchronous_commit = off', "
                                    "current_database()); END $$"))
        engine.dispose()
        upgrade(url)
        return url
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    upgrade(f"sqlite:///{path}")
    return str(path)


# Emptying the PostgreSQL tables for each test: DELETE the rows of every table but Alembic's, and restart the
# sequences that were used. (TRUNCATE made new files for every table and index: about half a second per test.)
# Triggers (the append-only guard, the facet counters, the foreign keys) are off while it runs: every table is
# emptied. Tables are looked up each time: a test may drop the schema and restore it (the backup test).
EMPTY_POSTGRESQL_TABLES = text("""DO $$
DECLARE
    name text;
BEGIN
    SET LOCAL session_replication_role = replica;
    SET LOCAL synchronous_commit = off;
    FOR name IN SELECT tablename FROM pg_tables
                WHERE schemaname = current_schema() AND tablename <> 'alembic_version' LOOP
        EXECUTE format('DELETE FROM %I', name);
    END LOOP;
    FOR name IN SELECT sequencename FROM pg_sequences
                WHERE schemaname = current_schema() AND last_value IS NOT NULL LOOP
        EXECUTE format('ALTER SEQUENCE %I RESTART', name);
    END LOOP;
END $$""")


@pytest.fixture(scope="session")
def _postgresql_cleaner(_template: str):  # noqa: ANN202
    """One connection for the whole run, which empties the tables before each test."""
    if not _template.startswith("postgresql"):
        yield None
        return
    engine = make_engine(_template, poolclass=StaticPool)

    def empty_tables() -> None:
        with engine.begin() as connection:
            connection.execute(EMPTY_POSTGRESQL_TABLES)

    yield empty_tables
    engine.dispose()


@pytest.fixture
def db_url(_template: str, _postgresql_cleaner, tmp_path: Path) -> str:  # noqa: ANN001
    if _postgresql_cleaner is not None:
        _postgresql_cleaner()
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
