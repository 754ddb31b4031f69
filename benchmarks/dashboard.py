"""The programme dashboard on a regional scale: 100k cases and about 1M events, in SQLite or PostgreSQL.

Data are generated straight into the tables (a realistic mix: cases of the four pathways spread over desks,
at every stage, some closed with an outcome, workers with or without sex and birth year), then the
monitoring projection folds the whole event log once, and `engine.monitoring.dashboard` runs for the whole
programme and for one desk (warm, repeated: median and 95th percentile, wall clock and CPU time of the
process). The baseline of the same run is one full scan of the events table.
"""
from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import Text, cast, func, insert, select, update

from engine.db import make_engine
from engine.models import Base, Case, CaseMember, Desk, Event, PathwayRevision
from engine.monitoring import Scope, dashboard, refresh

from .databases import autovacuum, kind, scratch_database, settle

PATHWAYS = {
    "startup": ["first_interview", "data_consent", "profile_skills", "entrepreneurial_assessment", "pathway_choice",
                "idea_motivation", "business_model", "market_check", "business_plan", "legal_form_financing"],
    "wbo": ["first_interview", "data_consent", "profile_skills", "entrepreneurial_assessment", "pathway_choice",
            "crisis_diagnosis", "group_formation", "feasibility_study", "business_plan_financing"],
    "spinoff": ["first_interview", "data_consent", "profile_skills", "entrepreneurial_assessment", "pathway_choice",
                "opportunity_team", "parent_agreement", "business_plan"],
    "community_coop": ["first_interview", "data_consent", "profile_skills", "entrepreneurial_assessment",
                       "pathway_choice", "community_mapping", "founding_meeting", "services_plan"],
}
OUTCOMES = ["company_created", "coop_constituted", "employed", "withdrawn", "referred"]
DESKS = [(f"desk{i:02d}", "IT" if i < 14 else "FR", f"region{i % 7}") for i in range(24)]
CHAINS = ["nautical_shipbuilding", "sustainable_tourism", "agrifood", "renewable_energy"]
GROUP = {"startup": (1, 2), "spinoff": (1, 3), "wbo": (3, 6), "community_coop": (3, 6)}
SEXES = ["female", "male", "other", None]


def generate(url: str, cases: int, seed: int = 7) -> int:
    """Fill a new database (SQLite or PostgreSQL); returns the number of events written."""
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    now = datetime(2026, 11, 1, tzinfo=timezone.utc)
    with engine.begin() as connection:
        connection.execute(insert(Desk), [{"id": d, "name": d, "country": c, "region": r, "contact_email": "",
                                           "created_at": now} for d, c, r in DESKS])
        connection.execute(insert(PathwayRevision), [{"id": 1, "pathway_id": "all", "version": "1", "content_hash": "x",
                                                      "source_text": "", "document": {}, "source_file": "",
                                                      "created_at": now}])
    events = 0
    batch = 5000
    for first in range(1, cases + 1, batch):
        case_rows, event_rows, member_rows = [], [], []
        for case_id in range(first, min(cases, first + batch - 1) + 1):
            pathway = rng.choice(list(PATHWAYS))
            stages = PATHWAYS[pathway]
            reached = rng.randint(1, len(stages))
            t = start + timedelta(minutes=rng.randint(0, 600 * 24 * 60))
            opened = t
            seq = 1
            first_event = len(event_rows)

            def event(event_type: str, stage: str, data: dict) -> None:
                # No hash chain (as in webui_pages): figures are folded, the log is not verified here.
                event_rows.append({"case_id": case_id, "seq": seq, "type": event_type, "actor_id": "op", "actor_roles": [],
                                   "at": t, "stage_id": stage, "data": data, "prev_hash": "", "hash": ""})

            event("case_opened", stages[0], {"pathway": pathway})
            for i in range(1, reached):
                for event_type in ("item_ticked", "form_submitted"):
                    t += timedelta(hours=rng.randint(1, 72))
                    seq += 1
                    event(event_type, stages[i - 1], {})
                t += timedelta(hours=rng.randint(1, 240))
                seq += 1
                event("advanced", stages[i - 1], {"from": stages[i - 1], "to": stages[i], "exit": "next"})
            closed = rng.random() < 0.3
            outcome = rng.choice(OUTCOMES) if closed else None
            if closed:
                t += timedelta(days=rng.randint(1, 30))
                seq += 1
                event("closed", stages[reached - 1], {"outcome": outcome, "jobs_created": rng.randint(0, 4)})
            events += seq
            chains = rng.sample(CHAINS, rng.choice((0, 0, 1, 1, 2)))
            desk = rng.choice(DESKS)[0]
            for row in event_rows[first_event:]:  # an event carries its case's desk, as the engine writes it
                row["desk_id"] = desk
            case_rows.append({
                "id": case_id, "pathway_id": pathway, "revision_id": 1, "desk_id": desk,
                "title": f"case {case_id}", "status": "closed" if closed else "active", "stage_id": stages[reached - 1],
                "stage_visit": reached, "outcome": outcome, "version": seq, "supply_chains": chains, "opened_by": "op",
                "opened_at": opened, "stage_entered_at": t, "due_at": None if closed else t + timedelta(days=30),
                "closed_at": t if closed else None})
            for position in range(rng.randint(*GROUP[pathway])):
                recorded = rng.random() < 0.8
                member_rows.append({"case_id": case_id, "person_id": f"p{case_id}-{position}", "kind": "worker",
                                    "display_name": "", "position": position,
                                    "sex": rng.choice(SEXES) if recorded else None,
                                    "birth_year": rng.randint(1950, 2006) if recorded else None})
        with engine.begin() as connection:
            connection.execute(insert(Case), case_rows)
            connection.execute(insert(Event), event_rows)
            connection.execute(insert(CaseMember), member_rows)
    settle(engine)
    engine.dispose()
    return events


def fold(url: str) -> tuple[float, int]:
    """The projection folded from scratch (what the first dashboard after an upgrade does): seconds, events."""
    engine = make_engine(url)
    started = time.perf_counter()
    folded = refresh(engine)
    elapsed = time.perf_counter() - started
    autovacuum(engine)  # the projection's rows were just written in bulk
    engine.dispose()
    return elapsed, folded


@dataclass
class Timing:
    median: float
    p95: float
    cpu_median: float


def _timing(wall: list[float], cpu: list[float]) -> Timing:
    ordered = sorted(wall)
    return Timing(statistics.median(wall), ordered[max(0, -(-95 * len(ordered) // 100) - 1)], statistics.median(cpu))


def measure(url: str, repeats: int) -> dict[str, Timing]:
    engine = make_engine(url)
    out = {}
    with engine.connect() as connection:
        for name, scope in (("programme", Scope()), ("one desk", Scope(desks=("desk03",)))):
            dashboard(connection, scope)  # warm the page cache
            connection.rollback()
            wall, cpu = [], []
            for _ in range(repeats):
                t, c = time.perf_counter(), time.process_time()
                board = dashboard(connection, scope)
                wall.append(time.perf_counter() - t)
                cpu.append(time.process_time() - c)
                connection.rollback()
            assert board.totals["opened"] > 0 and board.funnel and board.stage_times
            out[name] = _timing(wall, cpu)
        wall, cpu = [], []
        for _ in range(repeats):
            t, c = time.perf_counter(), time.process_time()
            connection.execute(select(func.count(), func.max(func.length(cast(Event.data, Text))))).all()
            wall.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        out["scan"] = _timing(wall, cpu)
    engine.dispose()
    return out


def measure_page(url: str, work: Path, repeats: int) -> Timing:
    """The dashboard page itself, as an administrator gets it (Flask's test client: routing, access, the
    projection's refresh check, the figures, the template), on the same data."""
    from webui import create_app

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "benchmark",
                      "INSTANCE_PATH": str(work / "dashboard-instance"), "AUTO_UPGRADE": False,
                      "SYNC_PATHWAYS": False})
    from webui.models import User, UserRole

    engine = app.extensions["opera"].engine
    Base.metadata.create_all(engine)  # the web UI's tables (accounts...) too
    with engine.begin() as connection:
        # a password hash that matches no password: the session below is the login (an active account)
        connection.execute(insert(User).values(id="bench.admin", email="admin@bench.example", display_name="Admin",
                                               password_hash="!", language="en", disabled=False, failed_logins=0,
                                               created_at=datetime(2026, 11, 1, tzinfo=timezone.utc)))
        connection.execute(insert(UserRole).values(user_id="bench.admin", role="admin"))
    client = app.test_client()
    with client.session_transaction() as session:
        session.update({"_user_id": "bench.admin", "_fresh": True, "epoch": 0})
    for _ in range(2):  # warm: templates, the revision cache
        warm = client.get("/monitoring/")
        assert warm.status_code == 200, (warm.status_code, warm.headers.get("Location"))
    wall, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        response = client.get("/monitoring/")
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        assert response.status_code == 200 and b"<table" in response.data
    app.extensions["opera"].engine.dispose()
    return _timing(wall, cpu)


def append_events(url: str, count: int) -> float:
    """Seconds for the next dashboard's refresh to fold `count` events appended since the last one."""
    engine = make_engine(url)
    moment = datetime(2026, 11, 2, tzinfo=timezone.utc)
    with engine.begin() as connection:
        last = connection.execute(select(Case.id, Case.version, Case.stage_id, Case.desk_id).where(Case.status == "active")
                                  .order_by(Case.id).limit(count)).all()
        connection.execute(insert(Event), [
            {"case_id": case_id, "seq": version + 1, "type": "reopened", "actor_id": "op", "actor_roles": [],
             "at": moment, "stage_id": stage, "data": {"from": stage, "to": stage}, "prev_hash": "", "hash": "",
             "desk_id": desk}
            for case_id, version, stage, desk in last])
        connection.execute(update(Case).where(Case.id.in_([case_id for case_id, *_rest in last]))
                           .values(version=Case.version + 1))
    started = time.perf_counter()
    refresh(engine)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


TARGET = 0.300  # seconds, median of the programme dashboard's figures
PAGE_TARGET = 0.500  # seconds, median of the page that shows them (the figures, the template, the request)


def rows(work: Path, quick: bool = False, database: str | None = None) -> list[tuple[str, str, str, bool | None]]:
    """(name, value, target, ok) rows for the benchmarks table; `database`: see databases.scratch_database."""
    with scratch_database(database, "dashboard", work) as url:
        return _rows(url, work, quick)


def _rows(url: str, work: Path, quick: bool) -> list[tuple[str, str, str, bool | None]]:
    cases = 10_000 if quick else 100_000
    where = kind(url)
    started = time.perf_counter()
    events = generate(url, cases)
    out: list[tuple[str, str, str, bool | None]] = [
        (f"dashboard data: {cases:,} cases, {events:,} events ({where})", f"{time.perf_counter() - started:.0f} s",
         "", None)]
    seconds, folded = fold(url)
    out.append((f"  monitoring projection folded from scratch ({folded:,} events read)", f"{seconds:.1f} s", "",
                None))
    times = measure(url, 5 if quick else 15)
    programme, desk, scan = times["programme"], times["one desk"], times["scan"]
    out.append((f"programme dashboard figures ({where}), median", _ms(programme.median), f"< {TARGET * 1000:.0f} ms",
                programme.median < TARGET))
    out.append(("  programme dashboard, 95th percentile", _ms(programme.p95), "", None))
    out.append(("  programme dashboard, CPU time of the process, median", _ms(programme.cpu_median), "", None))
    out.append(("  one desk's dashboard, median / 95th percentile", f"{_ms(desk.median)} / {_ms(desk.p95)}", "",
                None))
    out.append(("  baseline: one scan of the events table", _ms(scan.median), "", None))
    out.append(("  programme dashboard / events scan, wall clock", f"{programme.median / scan.median:.2f}x", "", None))
    out.append(("  programme dashboard / events scan, CPU time", f"{programme.cpu_median / scan.cpu_median:.2f}x",
                "", None))
    page = measure_page(url, work, 5 if quick else 15)
    out.append((f"programme dashboard page /monitoring/ ({where}), whole request in process, median", _ms(page.median),
                f"< {PAGE_TARGET * 1000:.0f} ms", page.median < PAGE_TARGET))
    out.append(("  programme dashboard page, 95th percentile / CPU median",
                f"{_ms(page.p95)} / {_ms(page.cpu_median)}", "", None))
    out.append(("  refresh after 100 new events", _ms(append_events(url, 100)), "", None))
    return out


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.1f} ms"
