"""Programme monitoring: what the desks achieved, over a period, for a desk, a region, a country or the
whole programme — counted in the database (the same SQL on SQLite and PostgreSQL), never by loading
every case into memory.

Figures: cases opened / active / on hold / closed per pathway, outcomes and jobs recorded at the outcome,
the funnel (how many cases reached each stage), median and 90th-percentile days per stage, overdue cases,
cases per supply chain. `case_ids()` lists the cases behind any figure.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, case, func, literal, or_, select, union_all
from sqlalchemy.sql import ColumnElement, Select

from .models import Case, Desk, Event, utcnow

CASES, EVENTS, DESKS = Case.__table__, Event.__table__, Desk.__table__
# Events that leave a stage: the time since the case entered that stage is the time spent in it.
LEAVING = ("advanced", "reopened", "migrated", "closed", "switched", "pathway_chosen")


@dataclass(frozen=True)
class Scope:
    """Which cases count: by territory (desks, region, country), pathway, and opening period."""

    desks: tuple[str, ...] | None = None
    region: str | None = None
    country: str | None = None
    pathway: str | None = None
    opened_from: datetime | None = None
    opened_until: datetime | None = None

    def where(self) -> ColumnElement[bool]:
        clauses: list[ColumnElement[bool]] = []
        if self.desks is not None:
            clauses.append(CASES.c.desk_id.in_(list(self.desks)))
        if self.region or self.country:
            desks = select(DESKS.c.id)
            if self.region:
                desks = desks.where(DESKS.c.region == self.region)
            if self.country:
                desks = desks.where(DESKS.c.country == self.country)
            clauses.append(CASES.c.desk_id.in_(desks))
        if self.pathway:
            clauses.append(CASES.c.pathway_id == self.pathway)
        if self.opened_from:
            clauses.append(CASES.c.opened_at >= self.opened_from)
        if self.opened_until:
            clauses.append(CASES.c.opened_at < self.opened_until)
        return and_(literal(True), *clauses)


@dataclass
class StageTime:
    visits: int
    median_days: float
    p90_days: float


@dataclass
class Dashboard:
    totals: dict[str, int] = field(default_factory=dict)  # opened, active, on_hold, closed, overdue
    by_pathway: dict[str, dict[str, int]] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    jobs: dict[str, int] = field(default_factory=dict)  # created, kept
    funnel: dict[str, dict[str, int]] = field(default_factory=dict)  # pathway -> stage -> cases
    stage_times: dict[tuple[str, str], StageTime] = field(default_factory=dict)
    supply_chains: dict[str, int] = field(default_factory=dict)


def dashboard(connection: Connection, scope: Scope, now: datetime | None = None) -> Dashboard:
    now = now or utcnow()
    where = scope.where()
    out = Dashboard()
    rows = connection.execute(select(CASES.c.pathway_id, CASES.c.status, func.count()).where(where)
                              .group_by(CASES.c.pathway_id, CASES.c.status))
    totals = {"opened": 0, "active": 0, "on_hold": 0, "closed": 0}
    for pathway_id, status, n in rows:
        per = out.by_pathway.setdefault(pathway_id, {"opened": 0, "active": 0, "on_hold": 0, "closed": 0})
        per["opened"] += n
        per[status] = per.get(status, 0) + n
        totals["opened"] += n
        totals[status] = totals.get(status, 0) + n
    totals["overdue"] = connection.execute(select(func.count()).where(
        where, CASES.c.status == "active", CASES.c.due_at < now)).scalar_one()
    out.totals = totals
    out.outcomes = dict(connection.execute(select(CASES.c.outcome, func.count()).where(
        where, CASES.c.status == "closed").group_by(CASES.c.outcome)).all())
    jobs = connection.execute(select(
        func.coalesce(func.sum(EVENTS.c.data["jobs_created"].as_integer()), 0),
        func.coalesce(func.sum(EVENTS.c.data["jobs_kept"].as_integer()), 0),
    ).select_from(EVENTS.join(CASES, CASES.c.id == EVENTS.c.case_id)).where(
        where, EVENTS.c.type.in_(("advanced", "closed")))).one()
    out.jobs = {"created": int(jobs[0]), "kept": int(jobs[1])}
    for pathway_id, stage_id, n in connection.execute(_funnel(where)):
        out.funnel.setdefault(pathway_id, {})[stage_id] = n
    out.stage_times = _stage_times(connection, where)
    for (chains,) in connection.execute(select(CASES.c.supply_chains).where(where)):
        for chain in chains or []:
            out.supply_chains[chain] = out.supply_chains.get(chain, 0) + 1
    return out


def _entries(where: ColumnElement[bool]) -> Select:
    """(case, pathway, stage entered, when, seq) for every entry of a case into a stage."""
    joined = EVENTS.join(CASES, CASES.c.id == EVENTS.c.case_id)
    opened = select(EVENTS.c.case_id, CASES.c.pathway_id, EVENTS.c.stage_id.label("stage"), EVENTS.c.at,
                    EVENTS.c.seq).select_from(joined).where(where, EVENTS.c.type == "case_opened")
    moved = select(EVENTS.c.case_id, CASES.c.pathway_id, EVENTS.c.data["to"].as_string().label("stage"),
                   EVENTS.c.at, EVENTS.c.seq).select_from(joined).where(
        where, EVENTS.c.type.in_(("advanced", "reopened")), EVENTS.c.data["to"].as_string().is_not(None))
    migrated = select(EVENTS.c.case_id, CASES.c.pathway_id, EVENTS.c.data["to_stage"].as_string().label("stage"),
                      EVENTS.c.at, EVENTS.c.seq).select_from(joined).where(
        where, EVENTS.c.type == "migrated",
        EVENTS.c.data["to_stage"].as_string() != EVENTS.c.data["from_stage"].as_string())
    return union_all(opened, moved, migrated)


def _funnel(where: ColumnElement[bool]) -> Select:
    entries = _entries(where).subquery()
    return (select(entries.c.pathway_id, entries.c.stage, func.count(func.distinct(entries.c.case_id)))
            .group_by(entries.c.pathway_id, entries.c.stage))


def _stage_times(connection: Connection, where: ColumnElement[bool]) -> dict[tuple[str, str], StageTime]:
    joined = EVENTS.join(CASES, CASES.c.id == EVENTS.c.case_id)
    entered = case(
        (EVENTS.c.type == "case_opened", EVENTS.c.stage_id),
        (EVENTS.c.type.in_(("advanced", "reopened")), EVENTS.c.data["to"].as_string()),
        (EVENTS.c.type == "migrated", EVENTS.c.data["to_stage"].as_string()),
        else_=None)
    # Every event that moves a case, in order; a visit lasts from the event that entered the stage to the
    # next one that moved the case on (one pass with LEAD, no per-visit lookups).
    moves = select(CASES.c.pathway_id, entered.label("stage"), EVENTS.c.at,
                   func.lead(EVENTS.c.at).over(partition_by=EVENTS.c.case_id, order_by=EVENTS.c.seq).label("next_at")
                   ).select_from(joined).where(
        where, EVENTS.c.type.in_(("case_opened",) + LEAVING),
        or_(EVENTS.c.type != "pathway_chosen", EVENTS.c.data["new_case"].as_string().is_not(None))).subquery()
    visits = select(moves.c.pathway_id, moves.c.stage,
                    _days_between(connection, moves.c.at, moves.c.next_at).label("days")).where(
        moves.c.stage.is_not(None), moves.c.next_at.is_not(None)).subquery()
    ranked = select(visits.c.pathway_id, visits.c.stage, visits.c.days,
                    func.row_number().over(partition_by=(visits.c.pathway_id, visits.c.stage),
                                           order_by=visits.c.days).label("n"),
                    func.count().over(partition_by=(visits.c.pathway_id, visits.c.stage)).label("of")
                    ).subquery()
    out: dict[tuple[str, str], StageTime] = {}
    # Only the rows at the median and 90th-percentile ranks leave the database.
    rows = connection.execute(select(ranked.c.pathway_id, ranked.c.stage, ranked.c.days, ranked.c.n, ranked.c.of)
                              .where(or_(ranked.c.n == (ranked.c.of + 1) // 2, ranked.c.n == (ranked.c.of + 2) // 2,
                                         ranked.c.n == _p90_rank(ranked))))
    medians: dict[tuple[str, str], list[float]] = {}
    for pathway_id, stage, days, n, of in rows:
        key = (pathway_id, stage)
        time = out.setdefault(key, StageTime(of, 0.0, 0.0))
        if n in ((of + 1) // 2, (of + 2) // 2):
            medians.setdefault(key, []).append(float(days))
        if n == _p90_index(of):
            time.p90_days = round(float(days), 1)
    for key, values in medians.items():
        out[key].median_days = round(sum(values) / len(values), 1)
    return out


def _p90_index(count: int) -> int:
    """Nearest-rank 90th percentile: the ceil(0.9 n)-th smallest value."""
    return max(1, -(-9 * count // 10))


def _p90_rank(ranked: Any) -> ColumnElement[Any]:
    # ceil(0.9 * n) in integer arithmetic, the same on both databases: (9n + 9) // 10 is it for n >= 1.
    return (9 * ranked.c.of + 9) // 10


def _days_between(connection: Connection, start: ColumnElement[Any], end: ColumnElement[Any]) -> ColumnElement[Any]:
    if connection.dialect.name == "sqlite":
        return func.julianday(end) - func.julianday(start)
    return func.extract("epoch", end - start) / 86400.0


def case_ids(connection: Connection, scope: Scope, figure: str, key: str | None = None,
             now: datetime | None = None, limit: int = 1000) -> list[int]:
    """The cases behind a figure of the dashboard (for those allowed to see them)."""
    where = scope.where()
    query = select(CASES.c.id).where(where)
    if figure in ("active", "on_hold", "closed"):
        query = query.where(CASES.c.status == figure)
    elif figure == "overdue":
        query = query.where(CASES.c.status == "active", CASES.c.due_at < (now or utcnow()))
    elif figure == "outcome":
        query = query.where(CASES.c.status == "closed", CASES.c.outcome == key)
    elif figure == "pathway":
        query = query.where(CASES.c.pathway_id == key)
    elif figure == "stage":
        entries = _entries(where).subquery()
        pathway_id, _, stage_id = (key or "").partition("/")
        query = select(entries.c.case_id).where(entries.c.pathway_id == pathway_id,
                                                entries.c.stage == stage_id).distinct()
    elif figure != "opened":
        raise ValueError(f"unknown figure {figure}")
    return list(connection.execute(query.order_by(query.selected_columns[0]).limit(limit)).scalars())
