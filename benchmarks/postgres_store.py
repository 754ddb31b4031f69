"""What the PostgreSQL ports of the reference scripts share (benchmarks/floor_postgres.py, peer_postgres.py),
and the CPU time of the server processes that serve a benchmark: on PostgreSQL the database's work runs in
the server, not in the measured process (on SQLite it runs inside it), so a CPU figure on PostgreSQL adds the
server's time to the client's. Read from /proc, hence only for a server on this machine; None otherwise."""
from __future__ import annotations

import json
import os
from typing import Any, Iterable

_TICK = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pids: Iterable[int]) -> float | None:
    """User + system CPU of these processes, or None if one cannot be read."""
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime (fields 14 and 15 of stat)
    return total


def backend_cpu_seconds(connection: Any) -> float | None:
    """The CPU time so far of the server process behind one psycopg connection."""
    return process_cpu_seconds([connection.info.backend_pid])


def database_cpu_seconds(connection: Any, database: str) -> float | None:
    """The CPU time so far of every server process connected to `database` (a DBAPI or psycopg connection
    of a database other than `database` itself, so that it does not count itself)."""
    cursor = connection.cursor()
    cursor.execute("select pid from pg_stat_activity where datname = %s", (database,))
    pids = [row[0] for row in cursor.fetchall()]
    cursor.close()
    return process_cpu_seconds(pids)


def fresh_store(url: str, drop: str, *tables: str) -> Any:
    """A psycopg connection to `url` with the script's tables made afresh (`drop`: their names; `tables`:
    "name(columns)"). In autocommit mode, so that a statement outside `connection.transaction()` runs on its
    own, as with sqlite3, and each `with connection.transaction()` is one transaction, as sqlite3's `with db`."""
    import psycopg

    connection = psycopg.connect(url, autocommit=True)
    with connection.transaction():
        connection.execute(f"drop table if exists {drop}")
        for table in tables:
            connection.execute(f"create table {table}")
    return connection


def print_figures(engine: str, cases: int, steps: int, seconds: float, server_cpu: float | None) -> None:
    """The original scripts' JSON line, with the server's CPU time (None when it cannot be read)."""
    print(json.dumps({"engine": engine, "cases": cases, "steps": steps, "seconds": round(seconds, 3),
                      "steps_per_s": round(steps / seconds, 1),
                      "server_cpu_seconds": None if server_cpu is None else round(server_cpu, 3)}))
