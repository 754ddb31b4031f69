"""Database connection: SQLite (WAL) in the instance folder by default, PostgreSQL via OPERA_DATABASE_URL."""
from __future__ import annotations

import functools
import itertools
import os
import secrets
import select
import sqlite3
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Sequence, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from .driver import Rows, execute_plan, kept_key, run_write

# One migration history for every package's tables (engine, web UI, databank): migrations/ at the top.
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# How long a SQLite transaction waits for another one's write lock before giving up (well under the web
# server's 60 s worker timeout; writes hold the lock for milliseconds, an import or a migration for seconds).
# OPERA_SQLITE_BUSY_TIMEOUT (seconds) changes it.
SQLITE_BUSY_TIMEOUT_SECONDS = 30
# How much of a SQLite database file its connections read through a memory map instead of copying each page
# into their own small page cache (2 MB by default, per connection): searches of the databank read tens of
# megabytes of its indexes, which then stay in the operating system's cache, shared by every connection and
# process. Address space, not memory: only pages read take memory, and the system may drop them at any time.
# OPERA_SQLITE_MMAP_MB (megabytes, 0 for none) changes it.
SQLITE_MMAP_MB = 2048
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
        _configure_sqlite(engine, busy_timeout, _mmap_bytes())
        return engine
    if not url.startswith("postgresql"):
        raise ArgumentError(f"'{url.split(':', 1)[0]}' is not SQLite nor PostgreSQL, the two databases supported")
    engine = create_engine(url, **kwargs)
    if engine.dialect.driver == "psycopg":
        _connect_psycopg(engine)
    if not kwargs.get("pool_pre_ping"):
        _configure_postgresql(engine)
    return engine


def _connect_psycopg(engine: Engine) -> None:
    """Connections that keep the statements an operation's transaction prepared (see `DriverTransaction`)."""

    @event.listens_for(engine, "do_connect")
    def _on_connect(_dialect, _record, cargs, cparams):  # noqa: ANN001
        connection = _psycopg_connection().connect(*cargs, **cparams)
        if hasattr(type(connection), "opera_statements"):
            connection.opera_statements = {}
        return connection


_PSYCOPG_CONNECTION: type | None = None


def _psycopg_connection() -> type:
    """psycopg's Connection, knowing when its prepared statements were all deallocated: psycopg itself
    sends DEALLOCATE ALL (after a ROLLBACK when it had prepared statements of its own), and with it go the
    ones `DriverTransaction` prepared, to be prepared again."""
    global _PSYCOPG_CONNECTION
    if _PSYCOPG_CONNECTION is None:
        import psycopg

        if not callable(getattr(psycopg.Connection, "_deallocate", None)):  # another psycopg: SQL text is sent
            _PSYCOPG_CONNECTION = psycopg.Connection
            return _PSYCOPG_CONNECTION

        class Connection(psycopg.Connection):
            opera_statements: dict[Any, bytes] | None = None  # prepared by DriverTransaction: plan -> name
            opera_adapt: Any = None  # its adapters and encoding (see `_adapters`)

            def _deallocate(self, name: bytes | None) -> Any:
                if name is None:
                    self.opera_statements = {}
                return super()._deallocate(name)

        _PSYCOPG_CONNECTION = Connection
    return _PSYCOPG_CONNECTION


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
        if idle_since is None or not _may_be_dead(dbapi_connection, idle_since):  # new, or surely alive
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error:
            alive = False
        if not alive:
            raise DisconnectionError("the database closed this connection")  # the pool connects anew


def _may_be_dead(dbapi_connection: Any, idle_since: float) -> bool:
    """Whether an idle connection must be checked before use: idle for long, or the server said something."""
    return time.monotonic() - idle_since >= IDLE_PING_SECONDS or _has_input(dbapi_connection)


def _has_input(dbapi_connection: Any) -> bool:
    """Whether an idle connection's socket has something to read: only the server closing it sends
    anything unasked (or a notice: then the ping costs a round trip for nothing)."""
    try:
        poller = select.poll()
        poller.register(dbapi_connection.fileno(), select.POLLIN)
        return bool(poller.poll(0))
    except Exception:  # noqa: BLE001 - no socket to look at (closed): the ping will tell
        return True


def _sqlite_setting(name: str, default: float) -> float:
    """A SQLite setting from the environment (a number, not below 0), or its default if unset or unreadable."""
    try:
        return max(0.0, float(os.environ.get(name) or default))
    except ValueError:
        return default


def _busy_timeout() -> float:
    return _sqlite_setting("OPERA_SQLITE_BUSY_TIMEOUT", SQLITE_BUSY_TIMEOUT_SECONDS)


def _mmap_bytes() -> int:
    return int(_sqlite_setting("OPERA_SQLITE_MMAP_MB", SQLITE_MMAP_MB) * 1024 * 1024)


def _configure_sqlite(engine: Engine, busy_timeout: float, mmap_bytes: int) -> None:
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
        cursor.execute(f"PRAGMA mmap_size={mmap_bytes:d}")
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


class ClaimLost(Exception):
    """A version claim sent later (`DriverTransaction.claim_later`) matched no row: the case is no longer
    at the version and head event the operation was checked against. Nothing of the transaction is kept."""


class DriverTransaction:
    """One writing transaction begun and ended on the database driver: the frame of the engine's case
    operations (engine/cases/frame.py), whose statements go straight to the driver (engine/driver.py).

    SQLAlchemy's own Connection and transaction cost several times the database work of a one-row
    operation (its pool checkout is all that is kept), so one is made only when something needs it: a Core
    statement or an ORM session (`core`, which joins this transaction), or any other attribute of a
    Connection, handed on to `core`. Leaving the block commits; an exception rolls back. On SQLite the
    transaction begins with BEGIN IMMEDIATE, as `writing` transactions do.

    On PostgreSQL every round trip wakes the server's process and the client's in turn, and an operation's
    statements are small: the transaction sends them in as few round trips as it can, several statements
    in one (libpq's pipeline mode: each prepared once on the connection, then run by name with its values
    sent apart, see `_exchange`): BEGIN goes with the first statement; writes whose outcome
    the operation does not read (`DriverStatement.write`) are held back and go with the next statement, or
    with the COMMIT; the reads an operation announced (`read_ahead`) go with the statement after them,
    their rows kept until the operation runs them (or until it writes anything: a read after a write is
    sent, as is any read not announced). Statements run in the order the operation gave them, in one
    transaction; the first that fails stops the others, and nothing is kept. Once `core` is made, every
    statement is sent at once, as SQLAlchemy's are.

    An operation that already holds the rows it will read (read by this process at the version it claims,
    see `claim_later`) sends its claim with its writes and the COMMIT: one round trip.
    """

    def __init__(self, engine: Engine):
        self.engine = writing(engine)
        self.dialect = engine.dialect
        self._core: Connection | None = None
        # Several statements a round trip: psycopg (3) on PostgreSQL.
        self._batches = self.dialect.name == "postgresql" and self.dialect.driver == "psycopg"
        self._held: list[tuple[Any, Any, Exception | None]] = []  # writes not sent yet (plan, parameters, refused)
        self._ahead: list[tuple[Any, dict[str, Any]]] = []  # reads to send with the next statement
        self._read: list[tuple[Any, dict[str, Any], Rows]] = []  # reads sent ahead, their rows not yet kept
        self._kept: dict[tuple[Any, frozenset], tuple[Rows, Any]] = {}  # rows read ahead (and their read)
        self._begun = False
        self._claim: tuple[Any, Any, Exception | None] | None = None  # a claim held back, not yet sent
        # The tables written in this transaction (None: unknown, SQLAlchemy ran statements of its own).
        self.written: set[str] | None = set()

    def __enter__(self) -> "DriverTransaction":
        self.connection = _take_connection(self.engine)  # `connection` as on a Connection: the pool's proxy
        driver = self.connection.dbapi_connection
        try:
            if self.dialect.name == "sqlite":
                _begin_sqlite(driver, writes=True)
            elif self._batches and (getattr(driver, "opera_statements", None) is None or not _libpq().pipelines):
                self._batches = False  # not a connection of `make_engine`: a statement a round trip
        except BaseException:
            self._restore()
            self.connection.close()
            raise
        return self

    @property
    def core(self) -> Connection:
        """A SQLAlchemy Connection in this transaction, made on first use."""
        if self._core is None:
            if self._batches:
                self._send([])  # BEGIN, and what was held back, before anything else runs
            self._kept.clear()  # what SQLAlchemy runs may write anything
            self.written = None
            self._core = Connection(self.engine, connection=self.connection)
            self._core.begin()  # joins the driver's transaction: no BEGIN of its own (see _on_begin)
        return self._core

    def __getattr__(self, name: str) -> Any:
        return getattr(self.core, name)

    # --- statements (engine/driver.py) ---------------------------------------------------------------

    def run_plan(self, plan: Any, parameters: Any) -> Any:
        """Run one statement now (with what is held back before it, and the reads announced after it)."""
        if plan.writes:
            self._wrote(plan)
        if not self._batches or self._core is not None:
            return execute_plan(self.connection.dbapi_connection, self.dialect, plan, parameters)
        return self._send([(plan, parameters, None)])[0]

    def kept_rows(self, statement: Any, values: dict[str, Any]) -> Rows | None:
        """The rows of `statement` (a `DriverStatement`) read ahead with these `values`, if they were and
        nothing was written since; None otherwise."""
        if not self._kept:
            return None
        try:
            found = self._kept.get(kept_key(statement, values))
        except TypeError:  # a value that cannot be a key (a list, a JSON value): not read ahead
            return None
        return None if found is None else found[0]

    def kept_reads(self) -> dict[tuple[Any, frozenset], tuple[Rows, Any]]:
        """The rows read ahead and still valid (nothing written since), by statement and values, with their
        read (`ReadAhead`)."""
        return dict(self._kept)

    def claim_later(self, plan: Any, parameters: Any, kept: dict[tuple[Any, frozenset], tuple[Rows, Any]]) -> None:
        """Hold back a version claim that fails when it matches no row (PostgreSQL): it is sent first, with
        the transaction's next statement or its COMMIT. Until then the operation's reads are answered from
        `kept` (as `kept_reads` gives them), rows read at the version claimed: the claim proves them current.
        A claim that matched no row raises `ClaimLost` wherever it was sent."""
        self._claim = (plan, parameters, ClaimLost())
        self._held.insert(0, self._claim)
        self._kept = dict(kept)

    @property
    def claim_pending(self) -> bool:
        """Whether a claim held back (`claim_later`) has not been sent yet."""
        return self._claim is not None and bool(self._held) and self._held[0] is self._claim

    def send_claim(self) -> None:
        """On the way out of an operation that failed: send a claim held back, alone (the writes held after
        it are dropped: the transaction rolls back), to know whether it held; raises `ClaimLost` if not."""
        if self.claim_pending:
            self._held, self._ahead = [self._claim], []
            self._send([])

    def hold_plan(self, plan: Any, parameters: Any, refused: Exception | None) -> None:
        """A write whose outcome the operation does not read: sent with the next statement (PostgreSQL)."""
        self._wrote(plan)
        if not self._batches or self._core is not None:
            run_write(self.connection.dbapi_connection, self.dialect, plan, parameters, refused)
            return
        self._held.append((plan, parameters, refused))

    def _wrote(self, plan: Any) -> None:
        """A write: the rows read ahead may have changed."""
        self._kept.clear()
        self._read.clear()
        if self.written is not None:
            self.written.add(plan.table)

    @property
    def reads_ahead(self) -> bool:
        """Whether reads announced now are sent with the next statement (PostgreSQL, before `core`)."""
        return self._batches and self._core is None

    def read_ahead(self, reads: Sequence[tuple[Any, dict[str, Any]]]) -> None:
        """Reads (`ReadAhead`, the parameters given) to send with the next statement, on PostgreSQL: their
        rows are kept once `keep_read` says which case row their `from_case` parameters came from."""
        if self.reads_ahead:
            self._ahead.extend(reads)

    def keep_read(self, case: dict[str, Any] | None) -> None:
        """Keep the rows read ahead, under the parameters they were read with: the values given, and those
        of the claimed case row `case` (None: nothing is kept)."""
        read, self._read = self._read, []
        if case is None:
            return
        for ahead, values, rows in read:
            self._keep(ahead, ahead.values(values, case), rows)

    def _keep(self, read: Any, values: dict[str, Any], rows: Rows) -> None:
        try:
            self._kept[kept_key(read.statement, values)] = (rows, read)
        except TypeError:  # a value that cannot be a key: the operation's own read is sent
            pass

    def _send(self, statements: list[tuple[Any, Any, Exception | None]], *, commit: bool = False,
              again: bool = False) -> list[Any]:
        """One round trip: BEGIN (the first time), the held writes, `statements`, the reads announced, and
        COMMIT if asked; the rows of `statements`."""
        held, self._held = self._held, []
        ahead, self._ahead = self._ahead, []
        sent = held + statements
        reads = [(read, values, *read.sent.plan(self, values)) for read, values in ahead]
        if not sent and not reads and self._begun != commit:
            return []  # nothing to send: begun and nothing more is asked, or a COMMIT of nothing begun
        begins, self._begun = not self._begun, True
        driver = self.connection.dbapi_connection
        runs = ([(plan, parameters) for plan, parameters, _refused in sent]
                + [(plan, parameters) for _read, _values, plan, parameters in reads])
        try:
            answers = _exchange(driver, begins, runs, commit)
        except self.dialect.loaded_dbapi.Error as failure:
            if (getattr(failure, "sqlstate", None) or "")[:2] in ("26", "42"):
                # A prepared statement missing (deallocated by another than psycopg) or refused: prepare
                # them all again. When nothing else was sent in this transaction, send it again at once.
                driver.opera_statements = {}
                if begins and failure.sqlstate == "26000" and not again:  # type: ignore[attr-defined]
                    driver.rollback()
                    self._begun, self._held, self._ahead = False, held, ahead
                    return self._send(statements, commit=commit, again=True)
            failed = getattr(failure, "opera_statement", None)
            if self._claim is not None and failed is not None and 0 <= failed < len(sent) \
                    and sent[failed] is self._claim:
                raise self._claim[2] from None
            refused = _refusal(failure, sent)
            if refused is not None:
                raise refused from None
            raise DBAPIError.instance(";\n".join(plan.sql for plan, _parameters in runs) or "COMMIT", None, failure,
                                      self.dialect.loaded_dbapi.Error, dialect=self.dialect) from failure
        results = [Rows(plan, rows, count) for (plan, _parameters, _refused), (rows, count) in zip(sent, answers)]
        for (read, values, plan, _parameters), (rows, _count) in zip(reads, answers[len(sent):]):
            if read.columns:
                self._read.append((read, values, Rows(plan, rows)))
            else:
                self._keep(read, values, Rows(plan, rows))
        return results[len(held):]

    def __exit__(self, kind: type | None, error: BaseException | None, _trace: Any) -> None:
        driver = self.connection.dbapi_connection
        if self._core is not None:
            # The Connection now owns the pool's connection: it commits (or rolls back) and gives it back.
            try:
                if kind is None:
                    self._core.commit()
                else:
                    self._core.rollback()
            finally:
                self._restore()
                self._core.close()
            return
        committed = False
        try:
            if kind is None:
                if self._batches:
                    self._send([], commit=True)
                else:
                    try:
                        driver.commit()
                    except self.dialect.loaded_dbapi.Error as failure:
                        raise DBAPIError.instance("COMMIT", None, failure, self.dialect.loaded_dbapi.Error,
                                                  dialect=self.dialect) from failure
                committed = True
            else:
                driver.rollback()
        finally:
            self._restore()
            if committed:
                _rest_connection(self.engine, self.connection)
            else:  # after a failure the pool resets the connection, or replaces it if it is broken
                self.connection.close()

    def _restore(self) -> None:
        """PostgreSQL: the connection's transaction ended (rolled back if it is still open: a statement
        failed, or the operation stopped), before it goes back to the pool."""
        if not self._batches:
            return
        driver = self.connection.dbapi_connection
        try:
            if driver is None or driver.closed:
                return
            if driver.pgconn.transaction_status != _libpq().idle:
                driver.rollback()
        except Exception:  # noqa: BLE001 - a broken connection: the pool makes a new one
            self.connection.invalidate()


def _this_process() -> tuple[str, int]:
    return ("opera_resting", os.getpid())


_RESTING = _this_process()  # where an engine keeps its connection at rest in this process


def _forked() -> None:
    global _RESTING
    _RESTING = _this_process()


os.register_at_fork(after_in_child=_forked)


def _resting(engine: Engine) -> list[tuple[Any, float]]:
    """The connection this process keeps checked out of `engine`'s pool between two operations, with when it
    was put to rest (at most one): taking a connection from SQLAlchemy's pool and giving it back costs as much
    Python as an operation's own statements. Kept per process (a forked worker never uses its parent's) and
    closed when the engine is disposed of."""
    engine = getattr(engine, "_proxied", engine)  # `writing(engine)` shares the engine's pool
    resting = engine.__dict__.get(_RESTING)
    if resting is None:
        resting = engine.__dict__.setdefault(_RESTING, [])

        @event.listens_for(engine, "engine_disposed")
        def _close_resting(_engine: Engine) -> None:
            while resting:
                connection, _since = resting.pop()
                connection.detach()  # not back into the old pool: closed now
                connection.close()
    return resting


def connections_in_use(engine: Engine) -> int:
    """The connections checked out of `engine`'s pool, apart from the one kept at rest between operations."""
    return engine.pool.checkedout() - len(_resting(engine))


def _take_connection(engine: Engine) -> Any:
    """A connection for an operation: the one at rest, when it can be used as it is, or one from the pool."""
    resting = _resting(engine)
    try:
        connection, since = resting.pop()
    except IndexError:  # none at rest (or another thread took it)
        return engine.raw_connection()
    if connection.dbapi_connection is None:
        return engine.raw_connection()
    if engine.dialect.name == "postgresql" and _may_be_dead(connection.dbapi_connection, since):
        connection.close()  # the pool's checkout checks it first (`_configure_postgresql`)
        return engine.raw_connection()
    return connection


def _rest_connection(engine: Engine, connection: Any) -> None:
    """After an operation (its transaction ended): keep its connection at rest, or give it back to the pool."""
    resting = _resting(engine)
    if resting or connection.dbapi_connection is None:
        connection.close()
    else:
        resting.append((connection, time.monotonic()))


_GENERATIONS = itertools.count(1)  # in prepared statements' names: a name is never prepared twice


def _exchange(driver: Any, begins: bool, runs: list[tuple[Any, Any]], commit: bool) -> list[tuple[list[Any], int]]:
    """One round trip on a psycopg connection in libpq's pipeline mode: BEGIN (if `begins`), each statement
    of `runs` run by name with its values (prepared first if the connection has not prepared it yet), COMMIT
    (if `commit`), all sent at once; then the rows and row count of each statement. The values go apart from
    the statement, as text (psycopg's own adapters write them): the server neither parses nor plans the
    statement again. The first statement that fails stops the others; its error is raised (psycopg's)."""
    libpq = _libpq()
    pgconn = driver.pgconn
    prepared = driver.opera_statements
    adapt, encoding = _adapters(driver)
    new: list[Any] = []  # the statements prepared in this round trip (their keys in `prepared`)
    texts = ([_BEGIN] if begins else []) + [plan for plan, _parameters in runs] + ([_COMMIT] if commit else [])
    pgconn.enter_pipeline_mode()
    try:
        for text in texts:
            if text.ident not in prepared:
                name = f"opera_{_process_token()}_{next(_GENERATIONS)}_{text.ident}".encode()
                pgconn.send_prepare(name, text.prepare().encode(encoding))
                prepared[text.ident] = name
                new.append(text.ident)
        if begins:
            pgconn.send_query_prepared(prepared[_BEGIN.ident], None)
        for plan, parameters in runs:
            values = [parameters[name] for name in plan.arguments]
            pgconn.send_query_prepared(prepared[plan.ident],
                                       adapt.dump_sequence(values, [libpq.text] * len(values)) if values else None)
        if commit:
            pgconn.send_query_prepared(prepared[_COMMIT.ident], None)
        pgconn.pipeline_sync()
        answers = driver.wait(_round_trip(pgconn, len(new) + begins + len(runs) + commit))
    finally:
        if pgconn.status == libpq.connection_ok:
            pgconn.exit_pipeline_mode()
    first = len(new) + begins
    for index, results in enumerate(answers):  # a command's error is its last result (those after: aborted)
        if results[-1].status == libpq.failed:
            for ident, prepare in zip(new, answers):  # a statement not prepared is prepared next time
                if prepare[-1].status != libpq.done:
                    prepared.pop(ident, None)
            error = libpq.error_from_result(results[-1], encoding=encoding)
            error.opera_statement = index - first  # which of `runs` failed (out of range: BEGIN, COMMIT...)
            raise error
    rows: list[tuple[list[Any], int]] = []
    for results in answers[first:first + len(runs)]:
        result = results[-1]
        count = result.command_tuples
        if result.nfields:
            adapt.set_pgresult(result)
            rows.append((adapt.load_rows(0, result.ntuples, tuple), -1 if count is None else count))
        else:
            rows.append(((), -1 if count is None else count))
    return rows


class _Control:
    """BEGIN or COMMIT, prepared on a connection like the engine's statements (`_exchange`)."""

    def __init__(self, sql: str):
        self.ident, self.sql = sql.lower(), sql

    def prepare(self) -> str:
        return self.sql


_BEGIN, _COMMIT = _Control("BEGIN"), _Control("COMMIT")


def _round_trip(pgconn: Any, commands: int) -> Any:
    """The waits of one round trip (psycopg's generators, run by the connection's `wait`): send what the
    pipeline holds, then read the results of `commands` commands and the end of the pipeline."""
    libpq = _libpq()
    fetch_many = libpq.fetch_many
    yield from libpq.send(pgconn)
    answers = []
    for _ in range(commands):
        answers.append((yield from fetch_many(pgconn)))
    yield from fetch_many(pgconn)  # the pipeline's end (its sync point)
    return answers


@functools.cache
def _libpq() -> SimpleNamespace:
    """What the pipelined round trips use of psycopg, looked up once (psycopg is imported on PostgreSQL only):
    whether its libpq has pipeline mode (libpq 14 and later), its generators, and the statuses compared."""
    import psycopg
    import psycopg.generators
    from psycopg import pq

    return SimpleNamespace(
        pipelines=psycopg.Pipeline.is_supported(), send=psycopg.generators.send,
        fetch_many=psycopg.generators.fetch_many, error_from_result=psycopg.errors.error_from_result,
        text=psycopg.adapt.PyFormat.TEXT, failed=pq.ExecStatus.FATAL_ERROR, done=pq.ExecStatus.COMMAND_OK,
        idle=pq.TransactionStatus.IDLE, connection_ok=pq.ConnStatus.OK)


def _adapters(driver: Any) -> tuple[Any, str]:
    """psycopg's adapters of this connection (values to text, rows to Python) and its encoding, kept with
    it: the encoding is the server's answer at connection time (psycopg reads it again on every ask)."""
    found = driver.opera_adapt
    if found is None:
        from psycopg.adapt import Transformer

        found = driver.opera_adapt = (Transformer(driver), driver.info.encoding)
    return found


_TOKEN: tuple[int, str] = (0, "")


def _process_token() -> str:
    """A random token of this process, in the names of the statements it prepares: no other process (a
    worker forked from the same parent, another server) names a statement alike, should a pooler between
    them and PostgreSQL hand one's session to another."""
    global _TOKEN
    if _TOKEN[0] != os.getpid():
        _TOKEN = (os.getpid(), secrets.token_hex(6))
    return _TOKEN[1]


def _refusal(failure: Exception, sent: list[tuple[Any, Any, Exception | None]]) -> Exception | None:
    """The `refused` of the held write a constraint refused: the first one given for the table the
    database names (one round trip carried several statements; the first that failed stopped the rest)."""
    if not (getattr(failure, "sqlstate", None) or "").startswith("23"):  # integrity constraint violation
        return None
    table = failure.diag.table_name  # type: ignore[attr-defined]
    return next((refused for plan, _parameters, refused in sent if refused is not None and plan.table == table), None)


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
