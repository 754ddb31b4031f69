"""The command line tells the truth about the database: several upgrades at once are safe, a lock held too
long is called a lock (not "run opera db upgrade"), and bad input is a sentence in the user's language."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect, insert, select, text

from engine.cli import main
from engine.db import make_engine, writing
from engine.models import Base, Desk, PathwayRevision
from tests.conftest import FIXTURE_PATHWAYS, database_kind

OPERA = Path(sys.executable).with_name("opera")


def run(*args: str, env: dict | None = None):  # noqa: ANN201
    # catch_exceptions=False: a traceback fails the test instead of hiding in the result.
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def fresh_database(db_url: str, tmp_path: Path):  # noqa: ANN201
    """An empty database: a new SQLite file, or a new schema of the PostgreSQL test database."""
    if not db_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'fresh.sqlite'}"
        return
    schema = f"upgrade_{uuid.uuid4().hex[:8]}"
    engine = make_engine(db_url)
    with engine.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in db_url else "?"
    yield f"{db_url}{separator}options=-csearch_path%3D{schema}"
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


def test_three_upgrades_started_at_once_all_succeed_and_build_the_schema_once(fresh_database):
    env = {**os.environ, "OPERA_DATABASE_URL": fresh_database}
    upgrades = [subprocess.Popen([str(OPERA), "db", "upgrade"], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True) for _ in range(3)]
    outputs = [(process.wait(timeout=180), process.stdout.read()) for process in upgrades]
    for process in upgrades:
        process.stdout.close()
    assert [code for code, _ in outputs] == [0, 0, 0], outputs
    assert all("database at the latest schema" in output for _, output in outputs), outputs
    engine = make_engine(fresh_database)
    try:
        tables = set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    finally:
        engine.dispose()
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    assert len(versions) == 1


# --- a lock held by another process ---------------------------------------------------------------------


@contextmanager
def held(db_engine):  # noqa: ANN001, ANN201
    """Another process's transaction holding what `opera pathways sync` needs: SQLite's write lock, or on
    PostgreSQL the table of pathway sources."""
    with writing(db_engine).connect() as connection:
        transaction = connection.begin()
        if database_kind() == "sqlite":
            connection.execute(insert(Desk.__table__).values(id="held", name="Held", country="IT", region=""))
        else:
            connection.execute(text("LOCK TABLE pathway_sources IN ACCESS EXCLUSIVE MODE"))
        yield
        transaction.rollback()


# Short waits, so that the test does not wait the production 30 seconds.
SHORT_WAITS = {"OPERA_SQLITE_BUSY_TIMEOUT": "0.5", "PGOPTIONS": "-c lock_timeout=500"}


def test_a_command_that_meets_a_lock_held_too_long_says_so_and_can_be_run_again(db_url, db_engine):
    sync = ("pathways", "sync", "--pathways-dir", str(FIXTURE_PATHWAYS), "--database-url", db_url)
    with held(db_engine):
        result = run(*sync, env=SHORT_WAITS)
        assert result.exit_code == 1
        assert "locked by another process" in result.output and "Run it again" in result.output
        assert "opera db upgrade" not in result.output
        french = run(*sync, env={**SHORT_WAITS, "OPERA_LANG": "fr"})
        assert french.exit_code == 1 and "verrouillée par un autre processus" in french.output
    again = run(*sync, env=SHORT_WAITS)
    assert again.exit_code == 0, again.output


def test_a_database_without_tables_is_told_to_run_db_upgrade(fresh_database):
    result = run("pathways", "migrate", "mini", "--database-url", fresh_database)
    assert result.exit_code == 1
    assert "no tables yet" in result.output and "run 'opera db upgrade'" in result.output


def test_an_address_that_is_not_a_database_is_a_sentence():
    for url in ("not a url", "mysql://someone@somewhere/opera"):
        result = run("db", "upgrade", "--database-url", url)
        assert result.exit_code == 1 and "The database address is not valid" in result.output


def test_an_unreachable_database_server_is_a_sentence():
    result = run("pathways", "migrate", "mini", "--database-url", "postgresql+psycopg://nobody@127.0.0.1:9/none")
    assert result.exit_code == 1 and "The database cannot be reached" in result.output


# --- revisions and pathways named on the command line ----------------------------------------------------


def test_migrating_to_a_revision_that_does_not_exist_is_a_localized_error(db_url, library):
    english = run("pathways", "migrate", "mini", "--to", "99999", "--database-url", db_url)
    assert english.exit_code == 1
    assert "There is no revision 99999 in the database" in english.output
    italian = run("pathways", "migrate", "mini", "--to", "99999", "--lang", "it", "--database-url", db_url)
    assert italian.exit_code == 1 and "Nel database non c'è la revisione 99999" in italian.output


def test_migrating_to_a_revision_of_another_pathway_is_refused_before_anything(db_url, library, sessions):
    with sessions() as session:
        other = session.scalar(select(PathwayRevision.id).where(PathwayRevision.pathway_id == "solo"))
    result = run("pathways", "migrate", "mini", "--to", str(other), "--apply", "--lang", "fr", "--database-url", db_url)
    assert result.exit_code == 1
    assert f"La révision {other} est une révision du parcours « solo », pas de « mini »." in result.output


def test_an_unknown_pathway_or_revision_is_a_localized_error(db_url, library):
    unknown = run("pathways", "migrate", "nothere", "--lang", "fr", "--database-url", db_url)
    assert unknown.exit_code == 1 and "Il n'existe pas de parcours valide « nothere »." in unknown.output
    known = library.active_revision_id("mini")
    diff = run("pathways", "diff", str(known), "99999", "--lang", "it", "--database-url", db_url)
    assert diff.exit_code == 1 and "Nel database non c'è la revisione 99999" in diff.output
