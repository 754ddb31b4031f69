"""Engine operations per second, against two reference engines run in the same benchmark (benchmarks/reference/):
the raw sqlite3 floor (the least a versioned, audited step can cost) and SpiffWorkflow (a Python BPMN engine).

All run on an SQLite *file* in WAL mode with synchronous=NORMAL and one transaction per step; the engine does
every check, writes its requirement state and its event, on a database already holding a region's cases.
With a PostgreSQL URL, all three run on PostgreSQL instead: the engine on a scratch database, the references
as their ports (benchmarks/floor_postgres.py, benchmarks/peer_postgres.py), each on a scratch database of its
own; their CPU time then adds that of the server processes (benchmarks/postgres_store.py).
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import JSON, Engine, Integer, String, cast, func, insert, literal, literal_column, select
from sqlalchemy.engine import make_url

from engine import Actor, CaseService, FileStore, Member, PathwayLibrary
from engine.db import make_engine, make_session_factory, upgrade
from engine.models import Case, Desk, Event

from .generate import linear_pathway, linear_plan, write_pathway
from .postgres_store import database_cpu_seconds

OPERATOR = Actor.of("op1", ["operator"], ["bench"])
MENTOR = Actor.of("men1", ["mentor"])


@dataclass(frozen=True)
class Rate:
    steps: int
    seconds: float
    cpu_seconds: float = 0.0  # CPU time of this process: SQLite runs in it, other load on the machine does not

    @property
    def per_second(self) -> float:
        return self.steps / self.seconds

    @property
    def per_cpu_second(self) -> float:
        return self.steps / self.cpu_seconds


def steps_per_case(stages: int) -> int:
    return 1 + 4 * stages  # open, then tick, submit, sign off, advance per stage


def make_service(workdir: Path, stages: int, url: str | None = None) -> tuple[CaseService, dict, Engine]:
    """A fresh database (a file, or the empty database `url`) with the generated pathway synced in, as the
    application would have it: its schema made by the migrations, with every index and trigger of
    production (the web UI's own indexes on the events too)."""
    doc = linear_pathway(stages)
    write_pathway(doc, workdir / "pathways")
    url = url or f"sqlite:///{workdir / 'engine.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        session.add(Desk(id="bench", name="Benchmark desk", country="IT", region="Liguria"))
    library = PathwayLibrary(sessions, workdir / "pathways")
    report = library.sync()
    assert all(c.valid for c in report), [p.format() for c in report for p in c.errors]
    return CaseService(sessions, library, FileStore(workdir / "files")), doc, engine


def run_case(service: CaseService, doc: dict, case_no: int) -> int:
    """Take one case from opening to its outcome; return the number of engine operations."""
    receipt = service.open_case(OPERATOR, pathway_id=doc["id"], desk_id="bench",
                                members=[Member("w1", "Worker One")], mentors=[Member("men1", "Mentor One")])
    case_id, v = receipt.case_id, receipt.version
    for step in linear_plan(doc, case_no):
        v = service.tick(case_id, OPERATOR, v, step.item).version
        v = service.submit_form(case_id, OPERATOR, v, step.form_data).version
        v = service.sign_off(case_id, MENTOR, v, step.signoff).version
        receipt = service.advance(case_id, OPERATOR, v, step.exit)
        v = receipt.version
    assert receipt.event_type == "advanced" and v == steps_per_case(len(doc["stages"]))
    return v


def measure_engine(workdir: Path, stages: int, min_seconds: float, min_cases: int,
                   existing_cases: int = 0, url: str | None = None) -> tuple[Rate, int]:
    """Drive cases until both limits are passed, on a database already holding `existing_cases` running
    cases (a file in `workdir`, or the empty PostgreSQL database `url`); return the rate and the number of
    cases driven. On PostgreSQL the CPU time adds that of the server processes serving the database."""
    service, doc, engine = make_service(workdir, stages, url)
    if existing_cases:
        preload(engine, service.library.active_revision_id(doc["id"]), doc["id"], existing_cases)
    run_case(service, doc, 0)  # warm-up: revision cache, compiled SQL, first pages of the file
    server = _ServerCpu(engine) if engine.dialect.name == "postgresql" else None
    steps = cases = 0
    start, cpu = time.perf_counter(), time.process_time()
    server_start = server.seconds() if server else 0.0
    while cases < min_cases or time.perf_counter() - start < min_seconds:
        cases += 1
        steps += run_case(service, doc, cases)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    if server:
        cpu += server.seconds() - server_start
        server.close()
    engine.dispose()
    return Rate(steps, wall, cpu), cases


class _ServerCpu:
    """The CPU time of the PostgreSQL processes serving the engine's database, read over a connection to
    another database (the engine's pool keeps its connections for the whole run)."""

    def __init__(self, engine: Engine):
        import psycopg

        self.database = engine.url.database
        self.connection = psycopg.connect(engine.url.set(drivername="postgresql", database="postgres")
                                          .render_as_string(hide_password=False), autocommit=True)

    def seconds(self) -> float:
        found = database_cpu_seconds(self.connection, self.database)
        if found is None:
            raise RuntimeError("the PostgreSQL server's processes cannot be read: run the benchmark on its machine")
        return found

    def close(self) -> None:
        self.connection.close()


# --- a realistic database ------------------------------------------------------------------------------


def preload(engine: Engine, revision_id: int, pathway_id: str, cases: int) -> None:
    """Fill the database with `cases` running cases (a row and an opening event each), as a region's
    database would be, so that every index and page the engine touches has a realistic size. The database
    writes them itself from a series of numbers, one statement a table: 100k cases in seconds."""
    now = datetime.now(timezone.utc)
    cases_table, events_table = Case.__table__, Event.__table__
    with engine.begin() as connection:
        first = (connection.execute(select(func.coalesce(func.max(cases_table.c.id), 0))).scalar_one()) + 1
        numbers = select(literal(first, Integer).label("n")).cte("numbers", recursive=True)
        numbers = numbers.union_all(select(numbers.c.n + 1).where(numbers.c.n < first + cases - 1))
        n = numbers.c.n
        as_json = _json_literal(connection.dialect.name)
        at = literal(now, Case.__table__.c.opened_at.type)
        connection.execute(insert(cases_table).from_select(
            ["id", "pathway_id", "revision_id", "desk_id", "title", "status", "stage_id", "stage_visit", "version",
             "supply_chains", "opened_by", "opened_at", "stage_entered_at"],
            select(n, literal(pathway_id), literal(revision_id, Integer), literal("bench"),
                   literal("Case ") + cast(n, String), literal("active"), literal("s000"), literal(1, Integer),
                   literal(1, Integer), as_json("[]"), literal("op1"), at, at)))
        connection.execute(insert(events_table).from_select(
            ["case_id", "seq", "type", "actor_id", "actor_roles", "at", "stage_id", "data", "prev_hash", "hash",
             "desk_id"],
            select(n, literal(1, Integer), literal("case_opened"), literal("op1"), as_json('["operator"]'), at,
                   literal("s000"), as_json(f'{{"members": ["w1"], "pathway": "{pathway_id}"}}'), literal(""),
                   literal(""), literal("bench"))))
        if connection.dialect.name == "postgresql":  # ids were given: the next case takes the one after
            connection.exec_driver_sql("SELECT setval(pg_get_serial_sequence('cases', 'id'), max(id)) FROM cases")


def _json_literal(dialect: str) -> Callable[[str], Any]:
    """A JSON value written in the statement (PostgreSQL types it; SQLite stores JSON as text)."""
    if dialect == "postgresql":
        return lambda text: cast(literal_column(f"'{text}'"), JSON)
    return lambda text: literal_column(f"'{text}'")


# --- the reference engines, run as their own processes ------------------------------------------------

REFERENCE = Path(__file__).resolve().parent / "reference"
FLOOR, PEER = "floor", "peer"
# The reference scripts (kept as given) and their PostgreSQL ports, beside this file.
SCRIPTS = {(FLOOR, "SQLite"): REFERENCE / "floor_sqlite.py", (PEER, "SQLite"): REFERENCE / "peer_spiff.py",
           (FLOOR, "PostgreSQL"): REFERENCE.parent / "floor_postgres.py",
           (PEER, "PostgreSQL"): REFERENCE.parent / "peer_postgres.py"}


def reference_script(which: str, url: str | None = None) -> Path:
    return SCRIPTS[which, "PostgreSQL" if url and url.startswith("postgresql") else "SQLite"]


# The least work, in seconds, that the difference of a reference's pair of runs must hold: below it the noise
# of starting a process (tens of ms, either way) is a large share of it, and can even exceed it.
MIN_REFERENCE_SECONDS = 1.0


def measure_reference(which: str, workdir: Path, cases: int, url: str | None = None) -> Rate | None:
    """Run one reference script (FLOOR or PEER, on SQLite or, given a PostgreSQL `url`, its port) with N and
    then 2N cases, each on a fresh database (a new file; on PostgreSQL tables made afresh), and keep the
    difference: the work of N cases, without the process's start-up and imports (in wall and in CPU time).
    While that difference holds less than MIN_REFERENCE_SECONDS of work (or, under noise, none), the pair is
    run again with twice as many cases (the raw floor does 2,000 cases in a few tenths of a second).
    None if it cannot run here (SpiffWorkflow missing: install the `bench` extra)."""
    for _attempt in range(5):
        small, large = _run_reference(which, workdir, cases, url), _run_reference(which, workdir, 2 * cases, url)
        if small is None or large is None:
            return None
        rate = Rate(large.steps - small.steps, large.seconds - small.seconds, large.cpu_seconds - small.cpu_seconds)
        if rate.seconds >= MIN_REFERENCE_SECONDS and rate.cpu_seconds > 0:
            break
        cases *= 2
    return rate


def _run_reference(which: str, workdir: Path, cases: int, url: str | None) -> Rate | None:
    script = reference_script(which, url)
    if url and url.startswith("postgresql"):
        db = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    else:
        db = str(workdir / f"{script.stem}-{time.monotonic_ns()}.sqlite")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, str(script), str(cases), db], capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        return None
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if "server_cpu_seconds" in figures:  # PostgreSQL: the server's share of the work
        if figures["server_cpu_seconds"] is None:
            raise RuntimeError("the PostgreSQL server's processes cannot be read: run the benchmark on its machine")
        cpu += figures["server_cpu_seconds"]
    return Rate(figures["steps"], figures["seconds"], cpu)


def operation_mix(stages: int) -> str:
    per_case = steps_per_case(stages)
    share = lambda n: f"{100 * n / per_case:.0f} %"  # noqa: E731
    return (f"open {share(1)}, tick {share(stages)}, form {share(stages)}, sign-off {share(stages)}, "
            f"advance {share(stages)}")
