"""Engine operations per second, against two reference engines run in the same benchmark (benchmarks/reference/):
the raw sqlite3 floor (the least a versioned, audited step can cost) and SpiffWorkflow (a Python BPMN engine).

All run on an SQLite *file* in WAL mode with synchronous=NORMAL and one transaction per step; the engine does
every check, writes its requirement state and its event, on a database already holding a region's cases.
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

from sqlalchemy import Engine, func, insert, select

from engine import Actor, CaseService, FileStore, Member, PathwayLibrary
from engine.db import make_engine, make_session_factory
from engine.models import Base, Case, Desk, Event

from .generate import linear_pathway, linear_plan, write_pathway

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


def make_service(workdir: Path, stages: int) -> tuple[CaseService, dict, Engine]:
    """A fresh file database with the generated pathway synced in, as the application would have it."""
    doc = linear_pathway(stages)
    write_pathway(doc, workdir / "pathways")
    engine = make_engine(f"sqlite:///{workdir / 'engine.sqlite'}")
    Base.metadata.create_all(engine)
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
                   existing_cases: int = 0) -> tuple[Rate, int]:
    """Drive cases until both limits are passed, on a database already holding `existing_cases` running
    cases; return the rate and the number of cases driven."""
    service, doc, engine = make_service(workdir, stages)
    if existing_cases:
        preload(engine, service.library.active_revision_id(doc["id"]), doc["id"], existing_cases)
    run_case(service, doc, 0)  # warm-up: revision cache, compiled SQL, first pages of the file
    steps = cases = 0
    start, cpu = time.perf_counter(), time.process_time()
    while cases < min_cases or time.perf_counter() - start < min_seconds:
        cases += 1
        steps += run_case(service, doc, cases)
    rate = Rate(steps, time.perf_counter() - start, time.process_time() - cpu)
    engine.dispose()
    return rate, cases


# --- a realistic database ------------------------------------------------------------------------------


def preload(engine: Engine, revision_id: int, pathway_id: str, cases: int, batch: int = 5000) -> None:
    """Fill the database with `cases` running cases (a row and an opening event each), as a region's
    database would be, so that every index and page the engine touches has a realistic size."""
    now = datetime.now(timezone.utc)
    cases_table, events_table = Case.__table__, Event.__table__
    with engine.begin() as connection:
        first = (connection.execute(select(func.coalesce(func.max(cases_table.c.id), 0))).scalar_one()) + 1
        for offset in range(0, cases, batch):
            ids = range(first + offset, first + min(offset + batch, cases))
            connection.execute(insert(cases_table), [{
                "id": i, "pathway_id": pathway_id, "revision_id": revision_id, "desk_id": "bench",
                "title": f"Case {i}", "status": "active", "stage_id": "s000", "stage_visit": 1, "version": 1,
                "supply_chains": [], "opened_by": "op1", "opened_at": now, "stage_entered_at": now} for i in ids])
            connection.execute(insert(events_table), [{
                "case_id": i, "seq": 1, "type": "case_opened", "actor_id": "op1", "actor_roles": ["operator"],
                "at": now, "stage_id": "s000", "data": {"pathway": pathway_id, "members": ["w1"]}} for i in ids])


# --- the reference engines, run as their own processes ------------------------------------------------

REFERENCE = Path(__file__).resolve().parent / "reference"


def measure_reference(script: str, workdir: Path, cases: int) -> Rate | None:
    """Run one reference script (benchmarks/reference/) with N and then 2N cases, each on a fresh database,
    and keep the difference: the work of N cases, without the process's start-up and imports (in wall and in
    CPU time). None if it cannot run here (SpiffWorkflow missing: install the `bench` extra)."""
    small, large = _run_reference(script, workdir, cases), _run_reference(script, workdir, 2 * cases)
    if small is None or large is None:
        return None
    return Rate(large.steps - small.steps, large.seconds - small.seconds, large.cpu_seconds - small.cpu_seconds)


def _run_reference(script: str, workdir: Path, cases: int) -> Rate | None:
    db = workdir / f"{Path(script).stem}-{time.monotonic_ns()}.sqlite"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, str(REFERENCE / script), str(cases), str(db)],
                          capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        return None
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Rate(figures["steps"], figures["seconds"], cpu)


def operation_mix(stages: int) -> str:
    per_case = steps_per_case(stages)
    share = lambda n: f"{100 * n / per_case:.0f} %"  # noqa: E731
    return (f"open {share(1)}, tick {share(stages)}, form {share(stages)}, sign-off {share(stages)}, "
            f"advance {share(stages)}")
