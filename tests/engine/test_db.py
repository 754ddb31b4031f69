"""Transactions on SQLite: the ones that write take the write lock as they begin and wait their turn; the
ones that only read never wait for a writer."""
from __future__ import annotations

import os
import sqlite3
import threading
import time

import pytest
from sqlalchemy import event, insert, select
from sqlalchemy.exc import OperationalError

from engine.db import SQLITE_BUSY_TIMEOUT_SECONDS, DriverTransaction, connections_in_use, make_engine, writing
from engine.driver import DriverStatement
from engine.models import Desk, utcnow
from tests.conftest import database_kind

sqlite_only = pytest.mark.skipif(database_kind() != "sqlite", reason="SQLite's locking (PostgreSQL locks rows)")
DESKS = Desk.__table__


def _hold_write_lock(engine, release: threading.Event, holding: threading.Event) -> None:  # noqa: ANN001
    with writing(engine).begin() as connection:
        connection.execute(insert(DESKS).values(id="first", name="First", country="IT", region=""))
        holding.set()
        release.wait(10)


def _read_then_write(engine, started: threading.Event, outcome: dict) -> None:  # noqa: ANN001
    try:
        with engine.begin() as connection:
            started.set()
            outcome["seen"] = connection.execute(select(DESKS.c.id)).scalars().all()
            connection.execute(insert(DESKS).values(id="second", name="Second", country="FR", region=""))
        outcome["done"] = True
    except OperationalError as exc:
        outcome["error"] = str(exc.orig)


@sqlite_only
@pytest.mark.parametrize("kind", ["writing", "plain"])
def test_a_transaction_that_reads_then_writes_waits_for_the_writer_when_it_is_a_writing_one(db_engine, kind):
    engine = writing(db_engine) if kind == "writing" else db_engine
    release, holding, started = threading.Event(), threading.Event(), threading.Event()
    writer = threading.Thread(target=_hold_write_lock, args=(db_engine, release, holding))
    writer.start()
    assert holding.wait(10)
    outcome: dict = {}
    other = threading.Thread(target=_read_then_write, args=(engine, started, outcome))
    other.start()
    if kind == "writing":
        # It begins by waiting for the lock: it has not read anything while the first one holds it.
        time.sleep(0.3)
        assert "seen" not in outcome
    else:
        assert started.wait(10)
        time.sleep(0.3)
    release.set()
    writer.join()
    other.join(20)
    if kind == "writing":
        assert outcome == {"seen": ["first"], "done": True}  # and it read what the first one wrote
    else:
        # The reason for writing transactions: a deferred one that read first cannot write after another did.
        assert "locked" in outcome.get("error", ""), outcome
    with db_engine.connect() as connection:
        stored = sorted(connection.execute(select(DESKS.c.id)).scalars())
    assert stored == (["first", "second"] if kind == "writing" else ["first"])


@sqlite_only
def test_a_reader_never_waits_for_a_writer(db_engine):
    release, holding = threading.Event(), threading.Event()
    writer = threading.Thread(target=_hold_write_lock, args=(db_engine, release, holding))
    writer.start()
    try:
        assert holding.wait(10)
        started = time.monotonic()
        with db_engine.connect() as connection:
            seen = connection.execute(select(DESKS.c.id)).scalars().all()
        assert time.monotonic() - started < 1
        assert seen == []  # the writer has not committed yet
    finally:
        release.set()
        writer.join()


@sqlite_only
def test_a_writer_that_must_not_wait_fails_at_once_and_its_connection_waits_again_afterwards(db_engine, db_url):
    one_connection = make_engine(db_url, pool_size=1, max_overflow=0)
    release, holding = threading.Event(), threading.Event()
    writer = threading.Thread(target=_hold_write_lock, args=(db_engine, release, holding))
    writer.start()
    try:
        assert holding.wait(10)
        started = time.monotonic()
        with pytest.raises(OperationalError, match="database is locked"):
            with writing(one_connection, wait=False).begin() as connection:
                connection.execute(insert(DESKS).values(id="now", name="Now", country="IT", region=""))
        assert time.monotonic() - started < 1
    finally:
        release.set()
        writer.join()
    with one_connection.connect() as connection:  # the same connection, back in the pool
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == SQLITE_BUSY_TIMEOUT_SECONDS * 1000
    one_connection.dispose()


def test_writing_session_factories_share_the_engine_and_its_settings(sessions):
    writes = writing(sessions)
    assert writes is writing(sessions)  # made once, not on every operation
    assert writes.kw["expire_on_commit"] is False and writes.kw["bind"].pool is sessions.kw["bind"].pool
    with writes.begin() as session:
        session.add(Desk(id="genova", name="Sportello Genova", country="IT", region="Liguria"))
    with sessions() as session:
        assert session.get(Desk, "genova").name == "Sportello Genova"


# --- the transaction of a case operation, begun and ended on the driver ----------------------------------

_DESK_ROW = DriverStatement(insert(DESKS))


def _desk(desk_id: str) -> dict:
    return {"id": desk_id, "name": desk_id, "country": "IT", "region": "", "contact_email": "",
            "created_at": utcnow()}


def _desk_ids(engine) -> list[str]:  # noqa: ANN001
    with engine.connect() as connection:
        return sorted(connection.execute(select(DESKS.c.id)).scalars())


def test_a_driver_transaction_commits_its_driver_statements_and_the_core_ones_together(db_engine):
    with DriverTransaction(db_engine) as transaction:
        _DESK_ROW.run(transaction, _desk("driver"))
        # A Core statement joins the same transaction: it sees the driver's row before the commit.
        transaction.core.execute(insert(DESKS).values(**_desk("core")))
        assert transaction.execute(select(DESKS.c.id).order_by(DESKS.c.id)).scalars().all() == ["core", "driver"]
    assert _desk_ids(db_engine) == ["core", "driver"]


@pytest.mark.parametrize("with_core", [False, True])
def test_a_driver_transaction_that_fails_leaves_nothing_and_gives_its_connection_back(db_engine, with_core):
    with pytest.raises(RuntimeError), DriverTransaction(db_engine) as transaction:
        _DESK_ROW.run(transaction, _desk("lost"))
        if with_core:
            transaction.core.execute(insert(DESKS).values(**_desk("lost too")))
        raise RuntimeError("refused")
    assert _desk_ids(db_engine) == []
    assert connections_in_use(db_engine) == 0
    with DriverTransaction(db_engine) as transaction:  # the pool's connection is usable again
        _DESK_ROW.run(transaction, _desk("kept"))
    assert _desk_ids(db_engine) == ["kept"]


def _checkouts(engine) -> list:  # noqa: ANN001
    """The driver connections `engine`'s pool hands out from now on, one entry a checkout."""
    handed = []
    event.listen(engine, "checkout", lambda dbapi_connection, _record, _proxy: handed.append(dbapi_connection))
    return handed


def _closed(dbapi_connection) -> bool:  # noqa: ANN001
    if hasattr(dbapi_connection, "closed"):  # psycopg
        return bool(dbapi_connection.closed)
    try:
        dbapi_connection.execute("SELECT 1")
    except sqlite3.ProgrammingError:  # "Cannot operate on a closed database."
        return True
    return False


def test_operations_one_after_another_take_the_pool_s_connection_once_and_dispose_closes_it(db_engine):
    db_engine.dispose()
    handed = _checkouts(db_engine)
    for n in range(3):
        with DriverTransaction(db_engine) as transaction:
            _DESK_ROW.run(transaction, _desk(f"desk{n}"))
    assert len(handed) == 1  # kept at rest between the operations, not given back and taken again
    assert connections_in_use(db_engine) == 0 and db_engine.pool.checkedout() == 1
    assert _desk_ids(db_engine) == ["desk0", "desk1", "desk2"]
    db_engine.dispose()
    assert _closed(handed[0])  # not left open beside the new pool (a database could not be dropped)
    with DriverTransaction(db_engine) as transaction:  # the new pool's connection
        _DESK_ROW.run(transaction, _desk("desk3"))
    assert handed[-1] is not handed[0] and not _closed(handed[-1])


def test_a_failed_operation_gives_its_connection_back_instead_of_keeping_it(db_engine):
    db_engine.dispose()
    handed = _checkouts(db_engine)
    with pytest.raises(RuntimeError), DriverTransaction(db_engine) as transaction:
        _DESK_ROW.run(transaction, _desk("lost"))
        raise RuntimeError("refused")
    assert db_engine.pool.checkedout() == 0
    with DriverTransaction(db_engine) as transaction:
        _DESK_ROW.run(transaction, _desk("kept"))
    assert len(handed) == 2 and db_engine.pool.checkedout() == 1


def test_a_forked_process_never_takes_the_connection_its_parent_keeps_at_rest(db_engine):
    db_engine.dispose()
    handed = _checkouts(db_engine)
    with DriverTransaction(db_engine) as transaction:
        _DESK_ROW.run(transaction, _desk("parent"))
    child = os.fork()  # as a web server's worker, forked after the application made its engine
    if child == 0:
        try:
            with DriverTransaction(db_engine) as transaction:
                _DESK_ROW.run(transaction, _desk("child"))
            os._exit(0 if len(handed) == 2 and handed[1] is not handed[0] else 1)
        finally:
            os._exit(2)
    _pid, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0  # the child took a connection of its own
    with DriverTransaction(db_engine) as transaction:  # the parent's is still sound, and still at rest
        _DESK_ROW.run(transaction, _desk("parent again"))
    assert len(handed) == 1 and _desk_ids(db_engine) == ["child", "parent", "parent again"]


@sqlite_only
def test_a_driver_transaction_takes_the_write_lock_as_it_begins(db_engine):
    release, holding = threading.Event(), threading.Event()
    writer = threading.Thread(target=_hold_write_lock, args=(db_engine, release, holding))
    writer.start()
    assert holding.wait(10)
    outcome: dict = {}

    def operation() -> None:
        with DriverTransaction(db_engine) as transaction:
            outcome["seen"] = [r.id for r in DriverStatement(select(DESKS.c.id)).all(transaction, {})]

    other = threading.Thread(target=operation)
    other.start()
    time.sleep(0.3)
    assert "seen" not in outcome  # still waiting for the lock, having read nothing
    release.set()
    writer.join()
    other.join(20)
    assert outcome == {"seen": ["first"]}


postgresql_only = pytest.mark.skipif(database_kind() != "postgresql", reason="a PostgreSQL server's connections")


def _backend_pid(engine) -> int:  # noqa: ANN001
    with DriverTransaction(engine) as transaction:
        return transaction.exec_driver_sql("SELECT pg_backend_pid()").scalar()


@postgresql_only
def test_a_pooled_connection_the_server_closed_is_replaced_before_use(db_engine):
    # No round trip to check a connection on every checkout: a connection the server ended (a restart,
    # pg_terminate_backend) is seen as such, and the next operation runs on a new one.
    first = _backend_pid(db_engine)
    assert _backend_pid(db_engine) == first  # the same pooled connection
    admin = make_engine(db_engine.url.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect() as connection:
        assert connection.exec_driver_sql(f"SELECT pg_terminate_backend({first}, 10000)").scalar()
    admin.dispose()  # the server process has ended (the call waited for it), its socket closed
    with DriverTransaction(db_engine) as transaction:
        _DESK_ROW.run(transaction, _desk("after"))
    assert _desk_ids(db_engine) == ["after"]
    assert _backend_pid(db_engine) != first


@postgresql_only
def test_a_pooled_connection_in_use_is_not_pinged(db_engine, monkeypatch):
    pings = []
    real_ping = db_engine.dialect.do_ping
    monkeypatch.setattr(db_engine.dialect, "do_ping", lambda dbapi: pings.append(1) or real_ping(dbapi))
    for _ in range(3):
        _backend_pid(db_engine)
    assert pings == []
    monkeypatch.setattr("engine.db.IDLE_PING_SECONDS", 0.0)  # idle for long: checked before use
    _backend_pid(db_engine)
    assert pings == [1]


@postgresql_only
def test_a_connection_kept_at_rest_is_checked_as_a_pooled_one(db_engine, monkeypatch):
    db_engine.dispose()
    handed = _checkouts(db_engine)
    pings = []
    real_ping = db_engine.dialect.do_ping
    monkeypatch.setattr(db_engine.dialect, "do_ping", lambda dbapi: pings.append(1) or real_ping(dbapi))
    for n in range(2):
        with DriverTransaction(db_engine) as transaction:
            _DESK_ROW.run(transaction, _desk(f"desk{n}"))
    assert pings == [] and len(handed) == 1
    admin = make_engine(db_engine.url.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect() as connection:  # the server ends the connection at rest
        assert connection.exec_driver_sql(
            f"SELECT pg_terminate_backend({handed[0].info.backend_pid}, 10000)").scalar()
    admin.dispose()
    with DriverTransaction(db_engine) as transaction:
        _DESK_ROW.run(transaction, _desk("after"))
    assert len(handed) >= 2 and handed[-1] is not handed[0]
    monkeypatch.setattr("engine.db.IDLE_PING_SECONDS", 0.0)  # at rest for long: pinged before use
    with DriverTransaction(db_engine) as transaction:
        _DESK_ROW.run(transaction, _desk("later"))
    assert pings and _desk_ids(db_engine) == ["after", "desk0", "desk1", "later"]


def test_sqlite_reads_its_file_through_a_memory_map_of_the_size_configured(tmp_path, monkeypatch):
    """Searches read tens of megabytes of a large databank: through a map, pages stay in the system's cache
    instead of each connection's 2 MB page cache. OPERA_SQLITE_MMAP_MB sets it; 0 turns it off."""
    def mapped(name: str) -> int:
        engine = make_engine(f"sqlite:///{tmp_path / name}")
        try:
            with engine.connect() as connection:
                return connection.exec_driver_sql("PRAGMA mmap_size").scalar()
        finally:
            engine.dispose()

    monkeypatch.delenv("OPERA_SQLITE_MMAP_MB", raising=False)
    assert mapped("default.sqlite") >= 1024 * 1024 * 1024  # (SQLite caps it at its build's maximum, ~2 GB)
    monkeypatch.setenv("OPERA_SQLITE_MMAP_MB", "64")
    assert mapped("small.sqlite") == 64 * 1024 * 1024
    monkeypatch.setenv("OPERA_SQLITE_MMAP_MB", "0")
    assert mapped("none.sqlite") == 0
