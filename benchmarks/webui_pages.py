"""Web UI pages at scale: 100k cases with their histories (about 2M events), in SQLite or PostgreSQL.

- in process (Flask's test client): median and p95 time of the desk page and of the case page;
- served by gunicorn (2 workers, as `opera serve` runs it) on 127.0.0.1: requests/s of the case page (random
  cases of a desk) from a load generator in its own process, the median of three windows, against what the
  workers could serve at the in-process median (the target), and beside the bare `/health` page of the same
  server. The generated data is written out first (`databases.written_out`), so that the server's writing
  of a bulk load is not timed as serving.

    python -m benchmarks.webui_pages [--quick] [--cases N]

    python -m benchmarks.webui_pages --database postgresql+psycopg://postgres@127.0.0.1:5432/bench

`rows(work, quick, database)` gives the table rows for `python -m benchmarks`. The generated database is
written with bulk inserts (the engine's own speed is measured by engine_steps): each case with the rows and
events the engine would have left (items ticked, documents, forms, sign-offs, moves from stage to stage).
"""
from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, insert

from .databases import kind, scratch_database, settle

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "pathways"
MEDIAN_TARGET = 0.030  # seconds
SERVED_TARGET = 0.70  # served case pages/s over what WORKERS could do at the in-process median
WORKERS = 2  # gunicorn workers of the served benchmark
WINDOWS = 3  # windows of load on the case page; its rate is their median
PASSWORD = "benchmark password"
DESKS = 20


def generate(url: str, cases: int, seed: int = 7) -> dict[str, Any]:
    """A migrated database with `cases` cases of the shipped pathways, each with the rows and events of its
    history (see `_add_case`)."""
    from engine import PathwayLibrary
    from engine.db import make_engine, make_session_factory, upgrade
    from engine.models import Case, CaseDocument, CaseMember, ChecklistTick, Desk, Event, FormData, SignOff
    from webui.models import DeskMembership, User, UserRole
    from werkzeug.security import generate_password_hash

    upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    library = PathwayLibrary(sessions, SHIPPED)
    library.sync()
    revisions = {pid: library.current(pid) for pid in library.pathway_ids()}
    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    password_hash = generate_password_hash(PASSWORD)
    desks = [f"desk{i:02d}" for i in range(DESKS)]
    with engine.begin() as connection:
        connection.execute(insert(Desk), [{"id": d, "name": f"Sportello {i}", "country": "IT" if i % 2 else "FR",
                                           "region": "Liguria" if i % 2 else "Corse", "created_at": now}
                                          for i, d in enumerate(desks)])
        staff = [{"id": f"op.{d}", "email": f"op.{d}@bench.example", "display_name": f"Operator {d}",
                  "password_hash": password_hash, "language": "it", "disabled": False,
                  "failed_logins": 0, "created_at": now} for d in desks]
        staff += [{"id": f"mentor.{i}", "email": f"mentor.{i}@bench.example", "display_name": f"Mentor {i}",
                   "password_hash": password_hash, "language": "en", "disabled": False,
                   "failed_logins": 0, "created_at": now} for i in range(30)]
        connection.execute(insert(User), staff)
        connection.execute(insert(UserRole), [{"user_id": u["id"], "role": u["id"].split(".")[0].replace("op", "operator")}
                                              for u in staff])
        connection.execute(insert(DeskMembership), [{"user_id": f"op.{d}", "desk_id": d} for d in desks])

    batch = 2000
    ids = {"case": 0, "event": 0, "member": 0, "document": 0}
    for start in range(0, cases, batch):
        made = Rows()
        for _i in range(min(batch, cases - start)):
            ids["case"] += 1
            _add_case(made, ids, rng, revisions, desks[ids["case"] % DESKS], now)
        with engine.begin() as connection:
            for model, values in ((Case, made.cases), (User, made.workers), (UserRole, made.roles),
                                  (CaseMember, made.members), (Event, made.events), (ChecklistTick, made.ticks),
                                  (FormData, made.forms), (CaseDocument, made.documents), (SignOff, made.signoffs)):
                bulk_insert(connection, model.__table__, values)
    settle(engine)
    engine.dispose()
    return {"desk": desks[1], "operator": f"op.{desks[1]}", "cases": ids["case"], "events": ids["event"]}


def bulk_insert(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Rows (dicts with the same keys) written as SQLAlchemy would write them, a batch at once: every value
    bound by its column's own type (JSON, UTC timestamps), then PostgreSQL's COPY or SQLite's executemany,
    without SQLAlchemy's work per row."""
    if not rows:
        return
    dialect = connection.dialect
    names = list(rows[0])
    columns = []
    for name in names:
        values = [row[name] for row in rows]
        bind = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        columns.append(values if bind is None else list(map(bind, values)))
    records = list(zip(*columns))
    quote = dialect.identifier_preparer.quote
    into = f"{quote(table.name)} ({', '.join(map(quote, names))})"
    driver = connection.connection.dbapi_connection
    if dialect.name == "postgresql":
        with driver.cursor() as cursor, cursor.copy(f"COPY {into} FROM STDIN") as copy:
            for record in records:
                copy.write_row(record)
    else:
        driver.executemany(f"INSERT INTO {into} VALUES ({', '.join('?' * len(names))})", records)


# The rows of a case dated by its history (a worker's account is created now, whatever the case's age).
STAMPED = ("events", "ticks", "forms", "documents", "signoffs")
FIRST_NAMES = ["Anna", "Luca", "Sara", "Marco", "Giulia", "Paolo", "Claire", "Julien", "Sophie", "Nicolas"]
LAST_NAMES = ["Rossi", "Ferrari", "Verdi", "Bianchi", "Martin", "Bernard", "Petit", "Durand", "Sanna", "Piras"]


@dataclass
class Rows:
    """The rows of a batch of generated cases, per table."""

    cases: list[dict[str, Any]] = field(default_factory=list)
    workers: list[dict[str, Any]] = field(default_factory=list)
    roles: list[dict[str, Any]] = field(default_factory=list)
    members: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    ticks: list[dict[str, Any]] = field(default_factory=list)
    forms: list[dict[str, Any]] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)
    signoffs: list[dict[str, Any]] = field(default_factory=list)


def _add_case(made: Rows, ids: dict[str, int], rng: random.Random, revisions: dict[str, Any], desk: str,
              now: datetime) -> None:
    """One case as the engine leaves it: opened, then through its stages in order (every checklist item
    ticked, documents attached, the form submitted, sign-offs given, then moved on), the current stage done
    in part; some on hold or closed."""
    case_id = ids["case"]
    pid = rng.choice(list(revisions))
    loaded = revisions[pid]
    stages = loaded.pathway.stages
    current = min(len(stages) - 1, int(rng.random() ** 1.5 * len(stages)))
    opened = now - timedelta(days=rng.randint(1, 900))
    status = rng.choices(("active", "on_hold", "closed"), (75, 5, 20))[0]
    operator, mentor = f"op.{desk}", f"mentor.{case_id % 30}"
    workers = []
    for position in range(rng.randint(2, 4) if pid in ("wbo", "community_coop") else 1):
        ids["member"] += 1
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        person = f"w.{ids['member']}"
        workers.append((person, name))
        made.members.append({"case_id": case_id, "person_id": person, "kind": "worker", "display_name": name,
                             "position": position})
        made.workers.append({"id": person, "email": None, "display_name": name, "password_hash": None,
                             "language": None, "disabled": False, "failed_logins": 0, "created_at": now})
        made.roles.append({"user_id": person, "role": "worker"})
    made.members.append({"case_id": case_id, "person_id": mentor, "kind": "mentor",
                         "display_name": f"Mentor {case_id % 30}", "position": len(workers)})
    at = opened
    seq = 0
    stamped = {name: len(getattr(made, name)) for name in STAMPED}  # this case's rows start there

    def event(event_type: str, stage_id: str, data: dict[str, Any], actor: str = operator) -> None:
        nonlocal seq, at
        seq += 1
        ids["event"] += 1
        at += timedelta(hours=rng.randint(1, 48))
        made.events.append({"id": ids["event"], "case_id": case_id, "seq": seq, "type": event_type, "actor_id": actor,
                            "actor_roles": [actor.split(".")[0].replace("op", "operator")], "at": at,
                            "stage_id": stage_id, "data": data, "desk_id": desk})

    event("case_opened", stages[0].id, {"pathway": pid, "pathway_title": dict(loaded.pathway.title),
                                        "revision_id": loaded.revision_id, "version": str(loaded.pathway.version),
                                        "members": [person for person, _ in workers]})
    for index, stage in enumerate(stages[:current + 1]):
        share = 1.0 if index < current else rng.random()  # how much of the current stage is done
        for item in stage.checklist[:round(share * len(stage.checklist))]:
            for member in [person for person, _ in workers] if item.per_member else [""]:
                event("item_ticked", stage.id, {"item": item.id, "label": dict(item.label), "member": member or None})
                made.ticks.append({"case_id": case_id, "stage_id": stage.id, "item_id": item.id, "member_id": member,
                                   "ticked_by": operator, "ticked_at": at})
        for rule in stage.documents[:round(share * len(stage.documents))]:
            ids["document"] += 1
            digest = hashlib.sha256(f"{case_id}/{rule.id}".encode()).hexdigest()
            name = f"{rule.id}.{rule.types[0] if rule.types else 'pdf'}"
            size = rng.randint(20_000, 900_000)
            event("document_attached", stage.id, {"requirement": rule.id, "label": dict(rule.label), "filename": name,
                                                  "document_id": ids["document"], "sha256": digest, "size": size,
                                                  "member": None})
            made.documents.append({"id": ids["document"], "case_id": case_id, "stage_id": stage.id,
                                   "requirement_id": rule.id, "member_id": "", "sha256": digest, "filename": name,
                                   "content_type": "application/pdf", "size": size, "uploaded_by": operator,
                                   "uploaded_at": at})
        if stage.form is not None and share > 0.3:
            data = {f.id: _value(f, rng) for f in stage.form.fields}
            event("form_submitted", stage.id, {"label": dict(stage.form.label or stage.title), "data": data,
                                               "changed": list(data)})
            made.forms.append({"case_id": case_id, "stage_id": stage.id, "data": data, "submitted_by": operator,
                               "submitted_at": at})
        for rule in stage.signoffs[:round(share * len(stage.signoffs))]:
            signer = mentor if rule.role == "mentor" else operator
            event("signed_off", stage.id, {"signoff": rule.id, "label": dict(rule.label), "role": rule.role,
                                           "comment": "", "decision": "approve"}, signer)
            made.signoffs.append({"case_id": case_id, "stage_id": stage.id, "stage_visit": 1, "signoff_id": rule.id,
                                  "actor_id": signer, "role": rule.role, "comment": "", "signed_at": at,
                                  "decision": "approve"})
        if index < current:
            exit_ = next((e for e in stage.exits if e.to == stages[index + 1].id), None)
            event("advanced", stage.id, {"exit": exit_.id if exit_ else "next", "from": stage.id,
                                         "from_label": dict(stage.title), "to": stages[index + 1].id,
                                         "to_label": dict(stages[index + 1].title)})
    stage = stages[current]
    if status == "on_hold":
        event("put_on_hold", stage.id, {"reason": "waiting for the bank"})
    elif status == "closed":
        event("closed", stage.id, {"outcome": "withdrawn", "reason": ""})
    if at > now:  # a recent case whose history would run past today: all of it moves back, nothing is dated later
        shift = at - now + timedelta(minutes=rng.randint(1, 24 * 60))
        opened, at = opened - shift, at - shift
        for name, start in stamped.items():
            for row in getattr(made, name)[start:]:
                for key, value in row.items():
                    if isinstance(value, datetime):
                        row[key] = value - shift
    made.cases.append({
        "id": case_id, "pathway_id": pid, "revision_id": loaded.revision_id, "desk_id": desk,
        "title": ", ".join(name for _, name in workers), "status": status, "stage_id": stage.id, "stage_visit": 1,
        "outcome": "withdrawn" if status == "closed" else None, "version": seq,
        "supply_chains": [rng.choice(loaded.pathway.supply_chains)] if loaded.pathway.supply_chains else [],
        "opened_by": operator, "opened_at": opened, "stage_entered_at": at,
        "due_at": at + timedelta(days=stage.due_days or 60) if status == "active" else None,
        "held_at": at if status == "on_hold" else None, "closed_at": at if status == "closed" else None,
        "previous_case_id": None, "next_case_id": None})


def _value(form_field: Any, rng: random.Random) -> Any:
    """A plausible answer to a form field."""
    if form_field.type in ("integer", "number"):
        return rng.randint(0, 10)
    if form_field.type == "boolean":
        return rng.random() < 0.8
    if form_field.options:
        values = [value for value, _ in form_field.options]
        return [rng.choice(values)] if form_field.type == "choices" else rng.choice(values)
    if form_field.type == "date":
        return f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return rng.choice(("Da verificare con la banca", "Piano approvato dal gruppo", "Incontro fissato a marzo"))


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def in_process(url: str, work: Path, facts: dict[str, Any], requests: int) -> dict[str, tuple[float, float]]:
    """Median and p95 seconds of the desk page and the case page, through Flask's test client."""
    from sqlalchemy import select

    from engine.db import make_engine
    from engine.models import Case
    from webui import create_app

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "benchmark", "INSTANCE_PATH": str(work / "instance"),
                      "PATHWAYS_DIR": str(SHIPPED), "AUTO_UPGRADE": False, "SYNC_PATHWAYS": False})
    engine = make_engine(url)
    with engine.connect() as connection:
        case_ids = list(connection.execute(select(Case.id).where(Case.desk_id == facts["desk"])).scalars())
    engine.dispose()
    rng = random.Random(3)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = facts["operator"]
        session["_fresh"] = True
        session["epoch"] = 0  # the account's session epoch (webui.auth.accounts): a session of its present one
    pages = {
        "desk page": lambda i: f"/desks/{facts['desk']}" + ("" if i % 2 else f"?page={1 + i % 7}"),
        "desk page, filtered and searched": lambda i: f"/desks/{facts['desk']}?q=ross&pathway=wbo&sort=opened",
        "case page": lambda i: f"/cases/{rng.choice(case_ids)}",
    }
    out = {}
    for name, make_url in pages.items():
        for i in range(5):  # warm up (caches of pathway revisions, templates)
            assert client.get(make_url(i)).status_code == 200
        times = []
        for i in range(requests):
            start = time.perf_counter()
            response = client.get(make_url(i))
            times.append(time.perf_counter() - start)
            assert response.status_code == 200, (make_url(i), response.status_code)
        out[name] = (statistics.median(times), _percentile(times, 0.95))
    app.extensions["opera"].engine.dispose()
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def served(url: str, work: Path, facts: dict[str, Any], seconds: float, clients: int = 8) -> dict[str, list[float]]:
    """Requests/s of the case page (in WINDOWS windows of `seconds`) and of /health (one), from the same server
    (gunicorn, 2 workers) and client."""
    port = _free_port()
    server = start_gunicorn(url, work / "instance", port, WORKERS)
    try:
        cookie = _login(port, facts["operator"])
        from engine.db import make_engine
        from engine.models import Case
        from sqlalchemy import select

        engine = make_engine(url)
        with engine.connect() as connection:
            case_ids = list(connection.execute(select(Case.id).where(Case.desk_id == facts["desk"])).scalars())
        engine.dispose()
        case_pages = [f"/cases/{i}" for i in case_ids]
        _rate(port, case_pages, {"Cookie": cookie}, 1.0, clients)  # warm-up: each worker loads the revisions once
        return {
            "bare page": [_rate(port, ["/health"], {}, seconds, clients)],
            "case page": [_rate(port, case_pages, {"Cookie": cookie}, seconds, clients) for _ in range(WINDOWS)],
        }
    finally:
        stop(server)


def start_gunicorn(url: str, instance: Path, port: int, workers: int) -> subprocess.Popen:
    """The app served as `opera serve` serves it (webui/serving.py), on 127.0.0.1:port; stop with `stop`."""
    env = {**os.environ, "OPERA_DATABASE_URL": url, "OPERA_SECRET_KEY": "benchmark",
           "OPERA_INSTANCE_PATH": str(instance), "OPERA_PATHWAYS_DIR": str(SHIPPED)}
    factory = "webui:create_app({'AUTO_UPGRADE': False, 'SYNC_PATHWAYS': False})"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:webui.serving", "--workers", str(workers),
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", factory], env=env, cwd=str(ROOT),
        start_new_session=True)
    try:
        _wait_for(port, server)
    except BaseException:
        stop(server)
        raise
    return server


def stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


def _wait_for(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def _login(port: int, user_id: str) -> str:
    return login(port, f"{user_id}@bench.example", PASSWORD)


def login(port: int, email: str, password: str) -> str:
    """The session cookie of a real login on the served app."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/login")
    response = connection.getresponse()
    html = response.read().decode()
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    from urllib.parse import urlencode

    body = urlencode({"email": email, "password": password, "csrf_token": token})
    connection.request("POST", "/login", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    response = connection.getresponse()
    response.read()
    if response.status != 302:
        raise RuntimeError(f"benchmark login failed: {response.status}")
    return response.getheader("Set-Cookie").split(";", 1)[0]


def _rate(port: int, paths: list[str], headers: dict[str, str], seconds: float, clients: int) -> float:
    """Requests/s over `seconds`, from a load generator in a process of its own (so that the client's own
    work does not share this process's interpreter lock): `clients` threads each on a keep-alive
    connection, each asking for random pages among `paths`."""
    import concurrent.futures
    import multiprocessing

    with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(load, port, paths, headers, seconds, clients).result()


def load(port: int, paths: list[str], headers: dict[str, str], seconds: float, clients: int) -> float:
    """The load generator (run in its own process by `_rate`)."""
    stop = time.monotonic() + seconds
    counts = [0] * clients
    failures: list[str] = []

    def client(index: int) -> None:
        rng = random.Random(index)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop:
            try:
                connection.request("GET", rng.choice(paths), headers=headers)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            if response.status != 200:
                failures.append(str(response.status))
                return
            counts[index] += 1
        connection.close()

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise RuntimeError(f"the server answered {failures[0]}")
    return sum(counts) / (time.monotonic() - started)


def rows(work: Path, quick: bool = False, database: str | None = None,
         cases: int | None = None) -> list[tuple[str, str, str, bool | None]]:
    """(name, value, target, ok) rows for the benchmarks table; `database`: see databases.scratch_database."""
    cases = cases or (10_000 if quick else 100_000)
    with scratch_database(database, "webui", work) as url:
        where = kind(url)
        started = time.perf_counter()
        facts = generate(url, cases)
        out: list[tuple[str, str, str, bool | None]] = [
            (f"web UI data: {facts['cases']:,} cases, {facts['events']:,} events ({where})",
             f"{time.perf_counter() - started:.0f} s to generate", "", None)]
        timings = in_process(url, work, facts, 40 if quick else 200)
        for name, (median, p95) in timings.items():
            target = name in ("desk page", "case page")
            out.append((f"{name} ({where}): median (in process)", f"{median * 1000:.1f} ms",
                        f"< {MEDIAN_TARGET * 1000:.0f} ms" if target else "", median < MEDIAN_TARGET if target else None))
            out.append((f"{name} ({where}): p95 (in process)", f"{p95 * 1000:.1f} ms", "", None))
        rates = served(url, work, facts, 2.0 if quick else 6.0)
    return out + served_rows(where, rates["bare page"][0], rates["case page"], timings["case page"][0])


def served_rows(where: str, bare: float, case_windows: list[float], in_process_median: float
                ) -> list[tuple[str, str, str, bool | None]]:
    """The served rows: the case page's rate is the median of its windows (each printed, in the order run),
    so that a spell of other work on the machine weighs on one window, not on the verdict."""
    case = statistics.median(case_windows)
    # What N workers could serve if serving cost nothing beyond rendering: N / the in-process median.
    ideal = WORKERS / in_process_median
    windows = ", ".join(f"{rate:,.0f}" for rate in case_windows)
    return [
        (f"bare page /health, gunicorn {WORKERS} workers", f"{bare:,.0f} req/s", "", None),
        (f"case page ({where}), gunicorn {WORKERS} workers (load from its own process, every case of a desk), "
         f"median of {len(case_windows)} windows", f"{case:,.0f} req/s ({windows})", "", None),
        (f"  served / ({WORKERS} workers / in-process median = {ideal:,.0f} req/s)",
         f"{case / ideal:.0%}", f">= {SERVED_TARGET:.0%}", case / ideal >= SERVED_TARGET),
        ("  case page / bare page", f"{case / bare:.0%}", "", None)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.webui_pages", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k cases instead of 100k, shorter runs")
    parser.add_argument("--cases", type=int, help="number of cases to generate")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--database", metavar="URL", help="PostgreSQL: a scratch database beside URL")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="opera-webui-bench-") as tmp:
        table = rows(Path(tmp), args.quick, args.database, args.cases)
    width = max(len(r[0]) for r in table)
    for name, value, target, ok in table:
        verdict = "" if ok is None else ("PASS" if ok else "FAIL")
        print(f"{name.ljust(width)}  {value.rjust(22)}  {target.rjust(9)}  {verdict}")
    return 1 if args.check and any(ok is False for *_rest, ok in table) else 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["generate", "in_process", "rows", "served", "served_rows"]
