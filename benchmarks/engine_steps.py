"""Engine operations per second, against the floor of doing the same writes with raw sqlite3.

Both sides run on an SQLite *file* in WAL mode with synchronous=NORMAL and one transaction per step, so
the ratio shows what the engine adds (ORM, checks, requirement state, events) over the minimum any
versioned, audited update costs on this machine.
"""
from __future__ import annotations

import json
import sqlite3
import statistics
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Engine

from engine import Actor, CaseService, FileStore, Member, PathwayLibrary
from engine.db import make_engine, make_session_factory
from engine.models import Base, Desk

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


def measure_engine(workdir: Path, stages: int, min_seconds: float, min_cases: int) -> tuple[Rate, int]:
    """Drive cases until both limits are passed; return the rate and the number of cases."""
    service, doc, engine = make_service(workdir, stages)
    run_case(service, doc, 0)  # warm-up: revision cache, compiled SQL, first pages of the file
    steps = cases = 0
    start, cpu = time.perf_counter(), time.process_time()
    while cases < min_cases or time.perf_counter() - start < min_seconds:
        cases += 1
        steps += run_case(service, doc, cases)
    rate = Rate(steps, time.perf_counter() - start, time.process_time() - cpu)
    engine.dispose()
    return rate, cases


# --- the floor ---------------------------------------------------------------------------------------

FLOOR_SCHEMA = """
CREATE TABLE cases (id INTEGER PRIMARY KEY, pathway_id TEXT NOT NULL, stage_id TEXT NOT NULL,
                    status TEXT NOT NULL, version INTEGER NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE audit (id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL REFERENCES cases(id),
                    seq INTEGER NOT NULL, type TEXT NOT NULL, at TEXT NOT NULL, data TEXT NOT NULL,
                    UNIQUE (case_id, seq));
CREATE INDEX ix_audit_case ON audit (case_id);
"""


def measure_floor(workdir: Path, cases: int, stages: int, repeats: int = 3) -> Rate:
    """The same number of steps, each: read the case, versioned update, audit row with JSON data.

    The floor run is short (it is fast), so it is repeated and the median taken to steady the ratio.
    """
    db = sqlite3.connect(workdir / "floor.sqlite", isolation_level=None)  # we issue BEGIN/COMMIT ourselves
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    db.executescript(FLOOR_SCHEMA)
    per_case = steps_per_case(stages)
    runs, cpu_runs = [], []
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        for case_no in range(cases):
            _floor_case(db, case_no, per_case)
        runs.append(time.perf_counter() - start)
        cpu_runs.append(time.process_time() - cpu)
    db.close()
    return Rate(cases * per_case, statistics.median(runs), statistics.median(cpu_runs))


def _floor_case(db: sqlite3.Connection, case_no: int, per_case: int) -> None:
    now = datetime.now(timezone.utc).isoformat()
    db.execute("BEGIN")
    case_id = db.execute("INSERT INTO cases (pathway_id, stage_id, status, version, updated_at) "
                         "VALUES ('bench_linear', 's000', 'active', 1, ?)", (now,)).lastrowid
    db.execute("INSERT INTO audit (case_id, seq, type, at, data) VALUES (?, 1, 'case_opened', ?, ?)",
               (case_id, now, json.dumps({"pathway": "bench_linear", "members": ["w1"]})))
    db.execute("COMMIT")
    for step in range(1, per_case):
        now = datetime.now(timezone.utc).isoformat()
        db.execute("BEGIN")
        stage_id, version = db.execute("SELECT stage_id, version FROM cases WHERE id = ?", (case_id,)).fetchone()
        updated = db.execute("UPDATE cases SET version = version + 1, updated_at = ? WHERE id = ? AND version = ?",
                             (now, case_id, version))
        assert updated.rowcount == 1
        db.execute("INSERT INTO audit (case_id, seq, type, at, data) VALUES (?, ?, 'step', ?, ?)",
                   (case_id, version + 1, now, json.dumps({"stage": stage_id, "step": step, "case": case_no})))
        db.execute("COMMIT")
