"""Database connection: SQLite (WAL) in the instance folder by default, PostgreSQL via OPERA_DATABASE_URL."""
from __future__ import annotations

import os
import select
import sqlite3
import time
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

# One migration history for every package's tables (engine, web UI, databank): migrations/ at the top.
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# How long a SQLite transaction waits for another one's write lock before giving up (well under the web
# server's 60 s worker timeout; writes hold the lock for milliseconds, an import or a migration for seconds).
# OPERA_SQLITE_BUSY_TIMEOUT (seconds) changes it.
SQLITE_BUSY_TIMEOUT_SECONDS = 30
# The execution options that mark a connection's transactions as writing ones, and as not waiting for
# the write lock (see `writing`).
WRITES = "opera_writes"
NO_WAIT = "opera_no_wait"
_Bind = TypeVar("_Bind", Engine, sessionmaker)
# A pooled PostgreSQL connection idle for longer than this is pinged before use (something between client
# and server, a firewall or a proxy, may have dropped it without a word); see `_configure_postgresql`.
IDLE_PING_SECONDS = 30.0


def instance_path() -> Path:
    return Path(os.environ.get("OPERA_INSTANCE_PATH") or Path.cwd() / "instance")


def default_database_url() -> str:
    url = os.environ.get("OPERA_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{instance_path() / 'opera.sqlite'}"


def make_engine(url: str | None = None, **kwargs) -> Engine:
    url = url or default_database_url()
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        busy_timeout = _busy_timeout()
        kwargs.setdefault("connect_args", {}).setdefault("timeout", busy_timeout)
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine, busy_timeout)
        return engine
    if not url.startswith("postgresql"):
        raise ArgumentError(f"'{url.split(':', 1)[0]}' is not SQLite nor PostgreSQL, the two databases supported")
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _configure_postgresql(engine)
    return engine


def _configure_postgresql(engine: Engine) -> None:
    """Check a pooled connection before use only when it may be dead, instead of a round trip to the
    server on every checkout (`pool_pre_ping`, as costly as a statement): when the server closed it (a
    restart, `pg_terminate_backend`: its socket then has the server's last word, or its end, to read) or
    when it sat idle for `IDLE_PING_SECONDS`. A dead one is replaced by a new connection before use."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record):  # noqa: ANN001
        record.info["opera_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy):  # noqa: ANN001
        idle_since = record.info.get("opera_idle_since")
        if idle_since is None:  # a new connection
            return
        if time.monotonic() - idle_since < IDLE_PING_SECONDS and not _has_input(dbapi_connection):
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error:
            alive = False
        if not alive:
            raise DisconnectionError("the database closed this connection")  # the pool connects anew


def _has_input(dbapi_connection: Any) -> bool:
    """Whether an idle connection's socket has something to read: only the server closing it sends
    anything unasked (or a notice: then the ping costs a round trip for nothing)."""
    try:
        poller = select.poll()
        poller.register(dbapi_connection.fileno(), select.POLLIN)
        return bool(poller.poll(0))
    except Exception:  # noqa: BLE001 - no socket to look at (closed): the ping will tell
        return True


def _busy_timeout() -> float:
    try:
        return max(0.0, float(os.environ.get("OPERA_SQLITE_BUSY_TIMEOUT") or SQLITE_BUSY_TIMEOUT_SECONDS))
    except ValueError:
        return SQLITE_BUSY_TIMEOUT_SECONDS


def _configure_sqlite(engine: Engine, busy_timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # noqa: ANN001
        # Let SQLAlchemy, not the driver, decide when transactions begin (the driver's own
        # heuristics would run SELECTs outside the transaction).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # What is deleted or overwritten is zeroed in the file, not left in free space (erasure).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # noqa: ANN001
        # Straight to the driver: this runs before every transaction, and a full statement execution
        # through SQLAlchemy costs more than the BEGIN itself.
        driver = connection.connection.dbapi_connection
        if driver.in_transaction:  # begun on the driver by a DriverTransaction, which this Connection joins
            return
        options = connection.get_execution_options()
        if options.get(NO_WAIT):
            driver.execute("PRAGMA busy_timeout=0")
        try:
            _begin_sqlite(driver, writes=bool(options.get(WRITES)))
        finally:
            if options.get(NO_WAIT):
                driver.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")


def _begin_sqlite(driver: sqlite3.Connection, *, writes: bool) -> None:
    statement = "BEGIN IMMEDIATE" if writes else "BEGIN"
    try:
        driver.execute(statement)
    except sqlite3.Error as exc:  # "database is locked" after the busy timeout: as SQLAlchemy reports it
        raise OperationalError(statement, None, exc) from exc


class DriverTransaction:
    """One writing transaction begun and ended on the database driver: the frame of the engine's case
    operations (engine/cases/frame.py), whose statements go straight to the driver (engine/driver.py).

    SQLAlchemy's own Connection and transaction cost several times the database work of a one-row
    operation (its pool checkout is all that is kept), so one is made only when something needs it: a Core
    statement or an ORM session (`core`, which joins this transaction), or any other attribute of a
    Connection, handed on to `core`. Leaving the block commits; an exception rolls back. On SQLite the
    transaction begins with BEGIN IMMEDIATE, as `writing` transactions do (PostgreSQL begins one itself).
    """

    def __init__(self, engine: Engine):
        self.engine = writing(engine)
        self.dialect = engine.dialect
        self._core: Connection | None = None

    def __enter__(self) -> "DriverTransaction":
        self.connection = self.engine.raw_connection()  # `connection` as on a Connection: the pool's proxy
        if self.dialect.name == "sqlite":
            try:
                _begin_sqlite(self.connection.dbapi_connection, writes=True)
            except BaseException:
                self.connection.close()
                raise
        return self

    @property
    def core(self) -> Connection:
        """A SQLAlchemy Connection in this transaction, made on first use."""
        if self._core is None:
            self._core = Connection(self.engine, connection=self.connection)
            self._core.begin()  # joins the driver's transaction: no BEGIN of its own (see _on_begin)
        return self._core

    def __getattr__(self, name: str) -> Any:
        return getattr(self.core, name)

    def __exit__(self, kind: type | None, error: BaseException | None, _trace: Any) -> None:
        if self._core is not None:
            # The Connection now owns the pool's connection: it commits (or rolls back) and gives it back.
            with self._core:
                if kind is None:
                    self._core.commit()
            return
        driver = self.connection.dbapi_connection
        try:
            if kind is None:
                try:
                    driver.commit()
                except self.dialect.loaded_dbapi.Error as failure:
                    raise DBAPIError.instance("COMMIT", None, failure, self.dialect.loaded_dbapi.Error,
                                              dialect=self.dialect) from failure
            else:
                driver.rollback()
        finally:
            self.connection.close()


def writing(bind: _Bind, *, wait: bool = True) -> _Bind:
    """The same engine (or session factory) for transactions that write.

    On SQLite they begin with BEGIN IMMEDIATE: they take the database's write lock at once, waiting their
    turn (up to the busy timeout) behind another writer. A transaction that began deferred, read, and then
    wrote would instead fail at once with "database is locked" whenever another wrote since it read. The
    plain engine's transactions stay deferred (BEGIN): in WAL mode readers never wait for a writer, and a
    writer never waits for them. Connections and pool are shared; PostgreSQL ignores the mark (row locks
    and its own isolation do this work there).

    `wait=False`: when another writer holds the lock, fail at once ("database is locked") instead of waiting,
    for a write that a page view must not wait for (it is then done after the page is sent).
    """
    key = "_opera_writing" if wait else "_opera_writing_now"
    found = bind.__dict__.get(key)
    if found is None:
        if isinstance(bind, Engine):
            found = bind.execution_options(**{WRITES: True, NO_WAIT: not wait})
        else:
            found = sessionmaker(class_=bind.class_, **{**bind.kw, "bind": writing(bind.kw["bind"], wait=wait)})
        bind.__dict__[key] = found  # made once: the hot path asks for it on every operation
    return found


# PostgreSQL error classes (SQLSTATE) by what they mean for the person running a command.
_PG_BUSY = ("55P03", "40P01", "57014")  # lock not available, deadlock, statement/lock timeout
_PG_NO_SCHEMA = ("42P01", "42703", "3F000")  # no such table, column, schema


CHECKPOINT_ATTEMPTS = 10


def checkpoint_after_erasure(engine: Engine) -> bool:
    """SQLite: copy the write-ahead log into the database file and empty it, so that the pages an erasure
    rewrote leave no older copy in `-wal` (the file zeroed them: `secure_delete`). PostgreSQL: nothing here,
    see the README (VACUUM). False if readers kept the log busy (the next checkpoint empties it)."""
    if engine.dialect.name != "sqlite":
        return True
    raw = engine.raw_connection()  # outside any transaction: a reader's snapshot would keep the log
    try:
        for attempt in range(CHECKPOINT_ATTEMPTS):
            busy, _log, _done = raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if not busy:
                return True
            time.sleep(0.05 * (attempt + 1))  # a reader still on an older snapshot: it ends soon
        return False
    finally:
        raw.close()


def database_problem(error: DBAPIError) -> tuple[str, dict[str, str]]:
    """What a database error means, as a message code of engine.i18n and its parameters: the database is
    busy (locked by another process for longer than the wait), has no schema yet, cannot be reached, or
    refused the statement."""
    original = error.orig
    detail = str(original).strip().splitlines()[0][:200] if str(original).strip() else type(original).__name__
    state = getattr(original, "sqlstate", None)
    text = str(original).lower()
    if "database is locked" in text or "database table is locked" in text or state in _PG_BUSY:
        return "database.busy", {}
    if "no such table" in text or "no such column" in text or state in _PG_NO_SCHEMA:
        return "database.not_initialised", {"detail": detail}
    unreachable = "unable to open database" in text or (state or "").startswith("08") or (
        isinstance(error, OperationalError) and state is None and "connect" in text)
    if unreachable:
        return "database.unreachable", {"detail": detail}
    return "database.error", {"detail": detail}


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Bring the database schema up to date (`opera db upgrade`)."""
    from alembic import command

    url = url or default_database_url()
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("sqlite:///"):
        Path(url.split("///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)
