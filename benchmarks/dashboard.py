"""The programme dashboard on a regional scale: 100k cases and about 1M events in SQLite.

Data are generated straight into the tables (a realistic mix: cases of the four pathways spread over desks,
at every stage, some closed with an outcome), then `engine.monitoring.dashboard` runs for the whole
programme and for one desk. The baseline of the same run is one full scan of the events table.
"""
from __future__ import annotations

import json
import random
import sqlite3
import statistics
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from engine.db import make_engine
from engine.models import Base
from engine.monitoring import Scope, dashboard

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
    db.executemany("INSERT INTO desks (id, name, country, region, created_at) VALUES (?, ?, ?, ?, ?)",
                   [(d, d, c, r, now) for d, c, r in DESKS])
    db.execute("INSERT INTO pathway_revisions (id, pathway_id, version, content_hash, source_text, document, "
               "source_file, created_at) VALUES (1, 'all', '1', 'x', '', '{}', '', ?)", (now,))
    case_rows, event_rows = [], []
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
        case_rows.append((case_id, pathway, 1, desk, f"case {case_id}", "closed" if closed else "active",
                          stages[reached - 1], reached, outcome, seq, json.dumps([]), "op", _ts(opened), _ts(t),
                          _ts(t + timedelta(days=30)) if not closed else None, _ts(t) if closed else None))
    db.executemany("INSERT INTO cases (id, pathway_id, revision_id, desk_id, title, status, stage_id, stage_visit, "
                   "outcome, version, supply_chains, opened_by, opened_at, stage_entered_at, due_at, closed_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", case_rows)
    db.executemany("INSERT INTO events (case_id, seq, type, actor_id, actor_roles, at, stage_id, data) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", event_rows)
    db.commit()
    db.execute("ANALYZE")
    db.close()
    return events


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def measure(path: Path, repeats: int) -> dict[str, float]:
    engine = make_engine(f"sqlite:///{path}")
    out = {}
    with engine.connect() as connection:
        for name, scope in (("programme", Scope()), ("one desk", Scope(desks=("desk03",)))):
            dashboard(connection, scope)  # warm the page cache
            times = []
            for _ in range(repeats):
                t = time.perf_counter()
                board = dashboard(connection, scope)
                times.append(time.perf_counter() - t)
            assert board.totals["opened"] > 0
            out[name] = statistics.median(times)
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            connection.exec_driver_sql("SELECT count(*), max(length(data)) FROM events").all()
            times.append(time.perf_counter() - t)
        out["scan"] = statistics.median(times)
    engine.dispose()
    return out


TARGET = 0.300  # seconds, median of the programme dashboard


def rows(work: Path, quick: bool = False) -> list[tuple[str, str, str, bool | None]]:
    """(name, value, target, ok) rows for the benchmarks table."""
    cases = 10_000 if quick else 100_000
    path = work / "dashboard.sqlite"
    started = time.perf_counter()
    events = generate(path, cases)
    out: list[tuple[str, str, str, bool | None]] = [
        (f"dashboard data: {cases:,} cases, {events:,} events (SQLite)", f"{time.perf_counter() - started:.0f} s", "",
         None)]
    times = measure(path, 3 if quick else 5)
    out.append(("programme dashboard, median", f"{times['programme'] * 1000:,.0f} ms", f"< {TARGET * 1000:.0f} ms",
                times["programme"] < TARGET))
    out.append(("  one desk's dashboard, median", f"{times['one desk'] * 1000:,.0f} ms", "", None))
    out.append(("  baseline: one scan of the events table", f"{times['scan'] * 1000:,.0f} ms", "", None))
    out.append(("  programme dashboard / events scan", f"{times['programme'] / times['scan']:.1f}x", "", None))
    return out
