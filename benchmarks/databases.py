"""The database a benchmark section fills: a SQLite file in the run's folder, or, with `--database URL`, a
scratch PostgreSQL database beside the one named (`<name>_<section>`, made afresh and dropped after)."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import Engine, Integer
from sqlalchemy.exc import ProgrammingError

from engine.models import Base


@contextmanager
def scratch_database(base_url: str | None, section: str, work: Path) -> Iterator[str]:
    if base_url is None or base_url.startswith("sqlite"):
        yield f"sqlite:///{work / f'{section}.sqlite'}"
        return
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    url = make_url(base_url)
    scratch = f"{url.database}_{section}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def run(statement: str) -> None:
        with admin.connect() as connection:
            connection.exec_driver_sql(statement)

    run(f'DROP DATABASE IF EXISTS "{scratch}"')
    run(f'CREATE DATABASE "{scratch}"')
    try:
        yield url.set(database=scratch).render_as_string(hide_password=False)
    finally:
        run(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        admin.dispose()


def kind(url: str) -> str:
    return "PostgreSQL" if url.startswith("postgresql") else "SQLite"


def settle(engine: Engine) -> None:
    """After bulk inserts with explicit ids: the planner's statistics, and on PostgreSQL every id sequence
    moved past the ids written (so that the app's own inserts do not collide with them) and the tables as
    autovacuum leaves them (see `autovacuum`)."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            for table in Base.metadata.sorted_tables:
                column = next(iter(table.primary_key.columns), None)
                if column is None or len(table.primary_key.columns) != 1 or not isinstance(column.type, Integer):
                    continue
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                    f"(SELECT max({column.name}) FROM {table.name})) WHERE EXISTS (SELECT 1 FROM {table.name}) "
                    f"AND pg_get_serial_sequence('{table.name}', '{column.name}') IS NOT NULL")
        else:
            connection.exec_driver_sql("ANALYZE")
    autovacuum(engine)
    written_out(engine)


def autovacuum(engine: Engine) -> None:
    """PostgreSQL: what autovacuum does within a minute of a bulk load, before anything is timed: statistics,
    and the tables' pages marked all-visible, so that a query answered by an index alone reads no table row.
    (SQLite keeps no such state: nothing to do.)"""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")


def written_out(engine: Engine) -> None:
    """The bulk load written out before anything is timed, so that its aftermath is not timed with what
    follows: on PostgreSQL a checkpoint now (else the server writes the load's pages out over the next minutes,
    beside the benchmark); on SQLite the write-ahead log folded into the file; then the files' dirty pages
    written to disk by the system. A production server does neither beside every request."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            try:
                connection.exec_driver_sql("CHECKPOINT")
            except ProgrammingError:  # a user without the right (pg_checkpoint): the server writes it in its time
                pass
    else:
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    os.sync()
