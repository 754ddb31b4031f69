"""The programme dashboard on a regional scale: 100k cases and about 1M events in SQLite.

Data are generated straight into the tables (a realistic mix: cases of the four pathways spread over desks,
at every stage, some closed with an outcome, workers with or without sex and birth year), then the
monitoring projection folds the whole event log once, and `engine.monitoring.dashboard` runs for the whole
programme and for one desk (warm, repeated: median and 95th percentile, wall clock and CPU time of the
process). The baseline of the same run is one full scan of the events table.
"""
from __future__ import annotations

import json
import random
import sqlite3
import statistics
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from engine.db import make_engine
from engine.models import Base
from engine.monitoring import Scope, dashboard, refresh

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


def generate(path: Path, cases: int, seed: int = 7) -> int:
    """Fill a new SQLite file; returns the number of events written."""
    engine = make_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    engine.dispose()
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    now = "2026-11-01 00:00:00.000000"
    db.executemany("INSERT INTO desks (id, name, country, region, contact_email, created_at) "
                   "VALUES (?, ?, ?, ?, '', ?)",
                   [(d, d, c, r, now) for d, c, r in DESKS])
    db.execute("INSERT INTO pathway_revisions (id, pathway_id, version, content_hash, source_text, document, "
               "source_file, created_at) VALUES (1, 'all', '1', 'x', '', '{}', '', ?)", (now,))
    case_rows, event_rows, member_rows = [], [], []
    events = 0
    for case_id in range(1, cases + 1):
        pathway = rng.choice(list(PATHWAYS))
        stages = PATHWAYS[pathway]
        reached = rng.randint(1, len(stages))
        t = start + timedelta(minutes=rng.randint(0, 600 * 24 * 60))
        opened = t
        seq = 1
        event_rows.append((case_id, seq, "case_opened", "op", "[]", _ts(t), stages[0], json.dumps({"pathway": pathway})))
        for i in range(1, reached):
            for kind in ("item_ticked", "form_submitted"):
                t += timedelta(hours=rng.randint(1, 72))
                seq += 1
                event_rows.append((case_id, seq, kind, "op", "[]", _ts(t), stages[i - 1], "{}"))
            t += timedelta(hours=rng.randint(1, 240))
            seq += 1
            event_rows.append((case_id, seq, "advanced", "op", "[]", _ts(t), stages[i - 1],
                               json.dumps({"from": stages[i - 1], "to": stages[i], "exit": "next"})))
        closed = rng.random() < 0.3
        outcome = rng.choice(OUTCOMES) if closed else None
        if closed:
            t += timedelta(days=rng.randint(1, 30))
            seq += 1
            event_rows.append((case_id, seq, "closed", "op", "[]", _ts(t), stages[reached - 1],
                               json.dumps({"outcome": outcome, "jobs_created": rng.randint(0, 4)})))
        events += seq
        desk = rng.choice(DESKS)[0]
        chains = rng.sample(CHAINS, rng.choice((0, 0, 1, 1, 2)))
        case_rows.append((case_id, pathway, 1, desk, f"case {case_id}", "closed" if closed else "active",
                          stages[reached - 1], reached, outcome, seq, json.dumps(chains), "op", _ts(opened), _ts(t),
                          _ts(t + timedelta(days=30)) if not closed else None, _ts(t) if closed else None))
        for position in range(rng.randint(*GROUP[pathway])):
            recorded = rng.random() < 0.8
            member_rows.append((case_id, f"p{case_id}-{position}", "worker", "", position,
                                rng.choice(SEXES) if recorded else None,
                                rng.randint(1950, 2006) if recorded else None))
    db.executemany("INSERT INTO cases (id, pathway_id, revision_id, desk_id, title, status, stage_id, stage_visit, "
                   "outcome, version, supply_chains, opened_by, opened_at, stage_entered_at, due_at, closed_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", case_rows)
    # No hash chain (as the ORM's defaults in webui_pages): figures are folded, the log is not verified here.
    db.executemany("INSERT INTO events (case_id, seq, type, actor_id, actor_roles, at, stage_id, data, prev_hash, hash) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', '')", event_rows)
    db.executemany("INSERT INTO case_members (case_id, person_id, kind, display_name, position, sex, birth_year) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)", member_rows)
    db.commit()
    db.execute("ANALYZE")
    db.close()
    return events


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def fold(path: Path) -> tuple[float, int]:
    """The projection folded from scratch (what the first dashboard after an upgrade does): seconds, events."""
    engine = make_engine(f"sqlite:///{path}")
    started = time.perf_counter()
    folded = refresh(engine)
    elapsed = time.perf_counter() - started
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


def measure(path: Path, repeats: int) -> dict[str, Timing]:
    engine = make_engine(f"sqlite:///{path}")
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
            connection.exec_driver_sql("SELECT count(*), max(length(data)) FROM events").all()
            wall.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        out["scan"] = _timing(wall, cpu)
    engine.dispose()
    return out


def measure_page(path: Path, work: Path, repeats: int) -> Timing:
    """The dashboard page itself, as an administrator gets it (Flask's test client: routing, access, the
    projection's refresh check, the figures, the template), on the same data."""
    from webui import create_app

    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "benchmark",
                      "INSTANCE_PATH": str(work / "dashboard-instance"), "AUTO_UPGRADE": False,
                      "SYNC_PATHWAYS": False})
    Base.metadata.create_all(app.extensions["opera"].engine)  # the web UI's tables (accounts...) too
    db = sqlite3.connect(path)
    now = "2026-11-01 00:00:00.000000"
    # a password hash that matches no password: the session below is the login (an active account)
    db.execute("INSERT INTO users (id, email, display_name, password_hash, language, disabled, failed_logins, "
               "created_at) VALUES ('bench.admin', 'admin@bench.example', 'Admin', '!', 'en', 0, 0, ?)", (now,))
    db.execute("INSERT INTO user_roles (user_id, role) VALUES ('bench.admin', 'admin')")
    db.commit()
    db.close()
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


def append_events(path: Path, count: int) -> float:
    """Seconds for the next dashboard's refresh to fold `count` events appended since the last one."""
    db = sqlite3.connect(path)
    last = db.execute("SELECT id, version, stage_id FROM cases WHERE status = 'active' ORDER BY id LIMIT ?",
                      (count,)).fetchall()
    moment = "2026-11-02 00:00:00.000000"
    db.executemany("INSERT INTO events (case_id, seq, type, actor_id, actor_roles, at, stage_id, data, prev_hash, hash) "
                   "VALUES (?, ?, 'reopened', 'op', '[]', ?, ?, ?, '', '')",
                   [(case_id, version + 1, moment, stage, json.dumps({"from": stage, "to": stage}))
                    for case_id, version, stage in last])
    db.executemany("UPDATE cases SET version = version + 1 WHERE id = ?", [(case_id,) for case_id, _v, _s in last])
    db.commit()
    db.close()
    engine = make_engine(f"sqlite:///{path}")
    started = time.perf_counter()
    refresh(engine)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


TARGET = 0.300  # seconds, median of the programme dashboard's figures
PAGE_TARGET = 0.500  # seconds, median of the page that shows them (the figures, the template, the request)


def rows(work: Path, quick: bool = False) -> list[tuple[str, str, str, bool | None]]:
    """(name, value, target, ok) rows for the benchmarks table."""
    cases = 10_000 if quick else 100_000
    path = work / "dashboard.sqlite"
    started = time.perf_counter()
    events = generate(path, cases)
    out: list[tuple[str, str, str, bool | None]] = [
        (f"dashboard data: {cases:,} cases, {events:,} events (SQLite)", f"{time.perf_counter() - started:.0f} s", "",
         None)]
    seconds, folded = fold(path)
    out.append((f"  monitoring projection folded from scratch ({folded:,} events read)", f"{seconds:.1f} s", "",
                None))
    times = measure(path, 5 if quick else 15)
    programme, desk, scan = times["programme"], times["one desk"], times["scan"]
    out.append(("programme dashboard, median", _ms(programme.median), f"< {TARGET * 1000:.0f} ms",
                programme.median < TARGET))
    out.append(("  programme dashboard, 95th percentile", _ms(programme.p95), "", None))
    out.append(("  programme dashboard, CPU time of the process, median", _ms(programme.cpu_median), "", None))
    out.append(("  one desk's dashboard, median / 95th percentile", f"{_ms(desk.median)} / {_ms(desk.p95)}", "",
                None))
    out.append(("  baseline: one scan of the events table", _ms(scan.median), "", None))
    out.append(("  programme dashboard / events scan, wall clock", f"{programme.median / scan.median:.2f}x", "", None))
    out.append(("  programme dashboard / events scan, CPU time", f"{programme.cpu_median / scan.cpu_median:.2f}x",
                "", None))
    page = measure_page(path, work, 5 if quick else 15)
    out.append(("programme dashboard page, served in-process, median", _ms(page.median),
                f"< {PAGE_TARGET * 1000:.0f} ms", page.median < PAGE_TARGET))
    out.append(("  programme dashboard page, 95th percentile / CPU median",
                f"{_ms(page.p95)} / {_ms(page.cpu_median)}", "", None))
    out.append(("  refresh after 100 new events", _ms(append_events(path, 100)), "", None))
    return out


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.1f} ms"
