"""Many actors at once on one case, and a process killed in the middle of an operation."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from sqlalchemy import func, select

from engine import Actor, ConflictError, Member
from engine.models import Case, ChecklistTick, Event, FormData

from .test_cases import OPERATOR, WORKERS, finish_welcome, open_group
from .test_check import assert_no_problems

ROOT = Path(__file__).resolve().parents[2]


def test_sixteen_threads_advancing_the_same_case_exactly_one_wins(service, sessions, files):
    case_id, version = open_group(service)
    for m in WORKERS:
        version = service.tick(case_id, Actor.of(m.person_id, ["worker"]), version, "consent").version
    version = service.submit_form(case_id, OPERATOR, version, {"sector": "tourism"}).version

    threads = 16
    barrier = threading.Barrier(threads)
    results: list[str] = []
    lock = threading.Lock()

    def advance() -> None:
        barrier.wait()
        try:
            service.advance(case_id, OPERATOR, version, "continue")
            outcome = "advanced"
        except ConflictError:
            outcome = "conflict"
        except Exception as exc:  # noqa: BLE001 - any other outcome is a failure, reported below
            outcome = f"error: {type(exc).__name__}: {exc}"
        with lock:
            results.append(outcome)

    workers = [threading.Thread(target=advance) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(timeout=120)
    assert sorted(results) == ["advanced"] + ["conflict"] * (threads - 1), results
    with sessions() as session:
        advances = session.scalar(select(func.count()).select_from(Event).where(
            Event.case_id == case_id, Event.type == "advanced"))
        case = session.get(Case, case_id)
        assert advances == 1
        assert case.stage_id == "study" and case.version == version + 1
        seqs = list(session.scalars(select(Event.seq).where(Event.case_id == case_id).order_by(Event.seq)))
        assert seqs == list(range(1, version + 2))
    assert_no_problems(sessions, files)


def test_sixteen_threads_on_sixteen_cases_all_succeed(service, sessions, files):
    """Conflicts are per case: actors on different cases never block each other out."""
    cases = [open_group(service, members=[Member(f"w{i}")]) for i in range(16)]
    barrier = threading.Barrier(len(cases))
    errors: list[str] = []

    def tick(case_id: int, version: int) -> None:
        barrier.wait()
        try:
            service.tick(case_id, OPERATOR, version, "leaflet")
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))

    threads = [threading.Thread(target=tick, args=c) for c in cases]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ChecklistTick)) == 16
    assert_no_problems(sessions, files)


KILLED_CHILD = textwrap.dedent("""
    import sys, time
    from engine import Actor, CaseService, FileStore, PathwayLibrary
    from engine.cases import frame
    from engine.db import make_engine, make_session_factory

    url, pathways, files, case_id, version = sys.argv[1:6]
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    service = CaseService(sessions, PathwayLibrary(sessions, pathways), FileStore(files))
    append_event = frame.append_event

    def stop_here(*args, **kwargs):
        # The form data and its event are written but not committed: now the parent kills us.
        append_event(*args, **kwargs)
        print("FLUSHED", flush=True)
        time.sleep(120)

    frame.append_event = stop_here

    service.submit_form(int(case_id), Actor.of("op1", ["operator"], ["genova"]), int(version), {"viable": True})
    print("COMMITTED", flush=True)
""")


def test_a_kill_in_the_middle_of_an_operation_leaves_no_half_written_state(service, sessions, db_url, tmp_path,
                                                                          files):
    case_id, version = open_group(service)
    version = finish_welcome(service, case_id, version)  # some history before the crash
    from tests.conftest import FIXTURE_PATHWAYS

    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_CHILD, db_url, str(FIXTURE_PATHWAYS), str(tmp_path / "files"),
         str(case_id), str(version)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        line = child.stdout.readline()
        assert line.strip() == "FLUSHED", child.stderr.read()
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL

    with sessions() as session:
        case = session.get(Case, case_id)
        assert case.version == version and case.stage_id == "study"
        assert session.scalar(select(func.count()).select_from(FormData).where(
            FormData.case_id == case_id, FormData.stage_id == "study")) == 0
        assert session.scalar(select(func.max(Event.seq)).where(Event.case_id == case_id)) == version
    # The version the killed process claimed was never committed: the same action now goes through.
    service.hold(case_id, OPERATOR, version, "checking after the crash")
    assert_no_problems(sessions, files)


BUSY_CHILD = textwrap.dedent("""
    import os, sys
    from engine import Actor, CaseService, FileStore, PathwayLibrary
    from engine.db import make_engine, make_session_factory

    url, pathways, files = sys.argv[1:4]
    cases = [[int(v) for v in pair.split(":")] for pair in sys.argv[4:]]
    sessions = make_session_factory(make_engine(url))
    service = CaseService(sessions, PathwayLibrary(sessions, pathways), FileStore(files))
    operator = Actor.of("op1", ["operator"], ["genova"])
    step = 0
    while True:
        for case in cases:
            case_id, version = case
            step += 1
            if step % 3:
                content = b"%PDF-1.4\\n" + os.urandom(4000) + b"%d" % step
                receipt = service.attach_document(case_id, operator, version, "plan", f"plan-{step}.pdf", content)
            else:
                receipt = service.submit_form(case_id, operator, version, {"viable": True, "investment": step})
            case[1] = receipt.version
            print("STEP", step, flush=True)
""")


def test_a_process_killed_while_uploading_and_submitting_leaves_a_state_that_checks_0_problems(
        service, sessions, db_url, tmp_path, files):
    """Uploads and form submissions on three cases, SIGKILLed at some point in the middle: every committed
    operation is whole, nothing else is, and what the crash left in the store goes with `repair`."""
    import random
    import time

    from engine.check import repair
    from engine.files import STALE_AFTER
    from tests.conftest import FIXTURE_PATHWAYS

    cases = []
    for i in range(3):
        members = [Member(f"k{i}")]
        case_id, version = open_group(service, members=members)
        cases.append((case_id, finish_welcome(service, case_id, version, members=members)))
    child = subprocess.Popen(
        [sys.executable, "-c", BUSY_CHILD, db_url, str(FIXTURE_PATHWAYS), str(tmp_path / "files"),
         *(f"{c}:{v}" for c, v in cases)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        for _ in range(12):
            line = child.stdout.readline()
            assert line.startswith("STEP"), child.stderr.read()
        time.sleep(random.uniform(0, 0.05))  # anywhere within the next operations
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    assert_no_problems(sessions, files)

    # Whatever the crash left (a half-written upload, a file whose row never committed) is gone for good
    # once it is old: `repair` removes it, and the state still checks 0 problems.
    long_ago = time.time() - STALE_AFTER - 60
    for path in files.root.rglob("*"):
        if path.is_file():
            os.utime(path, (long_ago, long_ago))
    repair(sessions.kw["bind"], files)
    assert list(files.root.rglob(".upload-*")) == []
    assert_no_problems(sessions, files)
    with sessions() as session:
        for case_id, _version in cases:  # the engine goes on from the last committed version
            version = session.get(Case, case_id).version
            service.submit_form(case_id, OPERATOR, version, {"viable": False})
    assert_no_problems(sessions, files)


def test_check_while_operations_go_on_reads_one_consistent_state(service, sessions, files):
    """`check` reads every table in one snapshot: operations committing meanwhile never show as problems."""
    from engine.check import check

    cases = [open_group(service, members=[Member(f"c{i}")]) for i in range(4)]
    stop = threading.Event()
    errors: list[str] = []

    def work(case_id: int, version: int) -> None:
        try:
            while not stop.is_set():
                version = service.tick(case_id, OPERATOR, version, "leaflet").version
                version = service.untick(case_id, OPERATOR, version, "leaflet").version
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=c) for c in cases]
    for t in threads:
        t.start()
    try:
        reports = [check(sessions.kw["bind"], files) for _ in range(3)]
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert errors == []
    assert [r.problems for r in reports] == [[], [], []]
    assert reports[-1].events > len(cases)  # the operations did run meanwhile
