"""Floor on PostgreSQL: a port of reference/floor_sqlite.py (kept as given) where only the store changed:
the same tables, statements and work (read the case row, versioned update, audit insert, one transaction a
step), through psycopg on PostgreSQL instead of sqlite3 on a file. Its tables are made afresh at the start.
Prints one JSON line like the original, with the CPU time of the server process that served it
(`server_cpu_seconds`, None when that process cannot be read: a server on another machine).
Usage: floor_postgres.py N URL"""
import sys, time
from postgres_store import backend_cpu_seconds, fresh_store, print_figures
n, url = int(sys.argv[1]), sys.argv[2]
db = fresh_store(url, "c, ev", "c(id serial primary key, stage text, version int, data text)",
                 "ev(id serial primary key, c int, step text, at double precision)")
server_cpu = backend_cpu_seconds(db)
steps = 0; t0 = time.perf_counter()
for i in range(n):
    with db.transaction(): cid = db.execute("insert into c(stage, version, data) values ('s0', 0, '{}') returning id").fetchone()[0]
    for s in range(1, 7):
        with db.transaction():
            stage, ver, data = db.execute("select stage, version, data from c where id=%s", (cid,)).fetchone()
            db.execute("update c set stage=%s, version=%s, data=%s where id=%s and version=%s", (f"s{s}", ver + 1, data, cid, ver))
            db.execute("insert into ev(c, step, at) values (%s,%s,%s)", (cid, f"s{s}", time.time()))
        steps += 1
dt = time.perf_counter() - t0
end_cpu = backend_cpu_seconds(db)
print_figures("raw-postgresql-floor", n, steps, dt, None if server_cpu is None or end_cpu is None else end_cpu - server_cpu)
