"""Programme monitoring: what the desks achieved, over a period, for a desk, a region, a country or the
whole programme — counted in the database (the same SQL on SQLite and PostgreSQL), never by loading
every case into memory.

Figures: cases opened / active / on hold / closed per pathway, outcomes and jobs recorded at the outcome,
the funnel (how many cases reached each stage), median and 90th-percentile days per stage, overdue cases,
cases per supply chain, workers per sex and per age band at opening (where recorded). `case_ids()` lists
the cases behind any figure.

The figures that would need the whole event log (jobs, funnel, days per stage, supply chains) are read from
a projection folded from it: `stage_visits` (one row per stay of a case in a stage), `monitored_cases`
(jobs, workers per sex and age band) and `case_supply_chains`. Events are append-only and ordered by id,
so `refresh()` folds only the events after the cursor, in short transactions; `dashboard()` and
`case_ids()` call it first unless told not to (a page folds what it may without waiting, see
webui/monitoring/views.py, and leaves the rest for after the page is sent).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

from sqlalchemy import (
    Connection, Engine, Table, and_, bindparam, case, cast, delete, func, insert, literal, select, update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import ColumnElement

from .db import writing
from .models import (
    Case, CaseMember, CaseSupplyChain, Desk, Event, MonitoredCase, MonitoringCursor, StageVisit, UTCDateTime,
    utcnow,
)

CASES, EVENTS, DESKS, MEMBERS = Case.__table__, Event.__table__, Desk.__table__, CaseMember.__table__
CURSOR, MONITORED = MonitoringCursor.__table__, MonitoredCase.__table__
CHAINS, VISITS = CaseSupplyChain.__table__, StageVisit.__table__
# Events that leave a stage: the time since the case entered that stage is the time spent in it.
LEAVING = ("advanced", "reopened", "migrated", "closed", "switched", "pathway_chosen")
MOVES = ("case_opened",) + LEAVING
SEXES = ("female", "male", "other")
NOT_RECORDED = "not_recorded"
SEX_KEYS = SEXES + (NOT_RECORDED,)
# Age at opening (the opening year minus the birth year): (key, below this age).
AGE_BANDS = (("under_25", 25), ("25_34", 35), ("35_44", 45), ("45_54", 55), ("55_over", None))
AGE_KEYS = tuple(k for k, _ in AGE_BANDS) + (NOT_RECORDED,)
_SUMMED = ("jobs_created", "jobs_kept", *(f"sex_{k}" for k in SEX_KEYS), *(f"age_{k}" for k in AGE_KEYS))
# Events after which the workers of a case are counted again (the only ones that change members).
MEMBER_EVENTS = ("case_opened", "members_changed", "person_erased")
_CURSOR_ID = 1
FOLD_BATCH = 5000  # events folded per transaction (see refresh)
_CHUNK = 500  # ids per IN (...) list


@dataclass(frozen=True)
class Scope:
    """Which cases count: by territory (desks, region, country), pathway, and opening period."""

    desks: tuple[str, ...] | None = None
    region: str | None = None
    country: str | None = None
    pathway: str | None = None
    opened_from: datetime | None = None
    opened_until: datetime | None = None

    def where(self, table: Table = CASES) -> ColumnElement[bool]:
        """The scope on `cases` or on a projection table (they carry the same desk, pathway and opening)."""
        columns = table.c
        clauses: list[ColumnElement[bool]] = []
        if self.desks is not None:
            clauses.append(columns.desk_id.in_(list(self.desks)))
        if self.region or self.country:
            desks = select(DESKS.c.id)
            if self.region:
                desks = desks.where(DESKS.c.region == self.region)
            if self.country:
                desks = desks.where(DESKS.c.country == self.country)
            clauses.append(columns.desk_id.in_(desks))
        if self.pathway:
            clauses.append(columns.pathway_id == self.pathway)
        if self.opened_from:
            clauses.append(columns.opened_at >= self.opened_from)
        if self.opened_until:
            clauses.append(columns.opened_at < self.opened_until)
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
    workers_by_sex: dict[str, int] = field(default_factory=dict)  # SEX_KEYS, in that order
    workers_by_age: dict[str, int] = field(default_factory=dict)  # AGE_KEYS, in that order
    complete: bool = True  # False: the newest events are not in the projected figures yet


def dashboard(connection: Connection, scope: Scope, now: datetime | None = None, *,
              refresh_first: bool = True) -> Dashboard:
    """The figures for `scope`. The projection is brought up to date first (in transactions of its own), so
    read on a connection whose transaction has not read yet: on SQLite an older snapshot would not see it.
    `refresh_first=False`: as folded so far (the caller folded, or leaves it for later)."""
    if refresh_first:
        refresh(connection.engine)
    now = now or utcnow()
    where = scope.where()
    out = Dashboard()
    rows = connection.execute(select(CASES.c.pathway_id, CASES.c.status, CASES.c.outcome, func.count()).where(where)
                              .group_by(CASES.c.pathway_id, CASES.c.status, CASES.c.outcome))
    totals = {"opened": 0, "active": 0, "on_hold": 0, "closed": 0}
    for pathway_id, status, outcome, n in rows:
        per = out.by_pathway.setdefault(pathway_id, {"opened": 0, "active": 0, "on_hold": 0, "closed": 0})
        per["opened"] += n
        per[status] = per.get(status, 0) + n
        totals["opened"] += n
        totals[status] = totals.get(status, 0) + n
        if status == "closed":
            out.outcomes[outcome] = out.outcomes.get(outcome, 0) + n
    totals["overdue"] = connection.execute(select(func.count()).where(
        where, CASES.c.status == "active", CASES.c.due_at < now)).scalar_one()
    out.totals = totals
    sums = connection.execute(select(*(func.coalesce(func.sum(MONITORED.c[c]), 0) for c in _SUMMED))
                              .where(scope.where(MONITORED))).one()
    summed = dict(zip(_SUMMED, (int(n) for n in sums)))
    out.jobs = {"created": summed["jobs_created"], "kept": summed["jobs_kept"]}
    out.workers_by_sex = {k: summed["sex_" + k] for k in SEX_KEYS}
    out.workers_by_age = {k: summed["age_" + k] for k in AGE_KEYS}
    out.funnel, out.stage_times = _stages(connection, scope)
    out.supply_chains = dict(connection.execute(
        select(CHAINS.c.chain, func.count()).where(scope.where(CHAINS)).group_by(CHAINS.c.chain)).all())
    return out


def _stages(connection: Connection, scope: Scope) -> tuple[dict[str, dict[str, int]], dict[tuple[str, str], StageTime]]:
    """The funnel (cases that reached each stage: their first stay there) and the completed stays per stage
    with the median and the nearest-rank 90th percentile of their days. The values at those ranks are read
    by walking the (pathway, stage, days) index: nothing is sorted. PostgreSQL computes them in the same
    query instead (a query per stage costs a round trip there; its ordered-set aggregates give the same values)."""
    where = scope.where(VISITS)
    if connection.dialect.name == "postgresql":
        return _stages_aggregated(connection, where)
    groups = connection.execute(select(
        VISITS.c.pathway_id, VISITS.c.stage_id, func.sum(case((VISITS.c.first_in_stage.is_(True), 1), else_=0)),
        func.count(VISITS.c.days)).where(where).group_by(VISITS.c.pathway_id, VISITS.c.stage_id)).all()
    ranked = (select(VISITS.c.days).where(where, VISITS.c.days.is_not(None),
                                          VISITS.c.pathway_id == bindparam("pathway"),
                                          VISITS.c.stage_id == bindparam("stage"))
              .order_by(VISITS.c.days).limit(bindparam("count")).offset(bindparam("skip")))
    funnel: dict[str, dict[str, int]] = {}
    times: dict[tuple[str, str], StageTime] = {}
    for pathway_id, stage_id, reached, of in groups:
        if reached:
            funnel.setdefault(pathway_id, {})[stage_id] = int(reached)
        if not of:
            continue
        key = {"pathway": pathway_id, "stage": stage_id}
        low, high = (of + 1) // 2, (of + 2) // 2
        middle = [float(d) for d in connection.execute(
            ranked, {**key, "count": high - low + 1, "skip": low - 1}).scalars()]
        p90 = connection.execute(ranked, {**key, "count": 1, "skip": _p90_index(of) - 1}).scalar_one()
        times[(pathway_id, stage_id)] = StageTime(of, round(sum(middle) / len(middle), 1), round(float(p90), 1))
    return funnel, times


def _stages_aggregated(connection: Connection,
                       where: ColumnElement[bool]) -> tuple[dict[str, dict[str, int]], dict[tuple[str, str], StageTime]]:
    # percentile_cont(0.5): the mean of the two middle values when they are two; percentile_disc(0.9): the
    # ceil(0.9 n)-th smallest, the nearest rank.
    rows = connection.execute(select(
        VISITS.c.pathway_id, VISITS.c.stage_id, func.sum(case((VISITS.c.first_in_stage.is_(True), 1), else_=0)),
        func.count(VISITS.c.days), func.percentile_cont(0.5).within_group(VISITS.c.days),
        func.percentile_disc(0.9).within_group(VISITS.c.days)).where(where)
        .group_by(VISITS.c.pathway_id, VISITS.c.stage_id)).all()
    funnel: dict[str, dict[str, int]] = {}
    times: dict[tuple[str, str], StageTime] = {}
    for pathway_id, stage_id, reached, of, median, p90 in rows:
        if reached:
            funnel.setdefault(pathway_id, {})[stage_id] = int(reached)
        if of:
            times[(pathway_id, stage_id)] = StageTime(of, round(float(median), 1), round(float(p90), 1))
    return funnel, times


def _p90_index(count: int) -> int:
    """Nearest-rank 90th percentile: the ceil(0.9 n)-th smallest value."""
    return max(1, -(-9 * count // 10))


def case_ids(connection: Connection, scope: Scope, figure: str, key: str | None = None,
             now: datetime | None = None, limit: int = 1000, *, refresh_first: bool = True) -> list[int]:
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
        if refresh_first:
            refresh(connection.engine)
        pathway_id, _, stage_id = (key or "").partition("/")
        query = select(VISITS.c.case_id).where(scope.where(VISITS), VISITS.c.first_in_stage.is_(True),
                                               VISITS.c.pathway_id == pathway_id, VISITS.c.stage_id == stage_id)
    elif figure == "supply_chain":
        if refresh_first:
            refresh(connection.engine)
        query = select(CHAINS.c.case_id).where(scope.where(CHAINS), CHAINS.c.chain == key)
    elif figure in ("sex", "age"):
        if key not in (SEX_KEYS if figure == "sex" else AGE_KEYS):
            raise ValueError(f"unknown {figure} {key}")
        if refresh_first:
            refresh(connection.engine)
        query = select(MONITORED.c.case_id).where(scope.where(MONITORED), MONITORED.c[f"{figure}_{key}"] > 0)
    elif figure != "opened":
        raise ValueError(f"unknown figure {figure}")
    return list(connection.execute(query.order_by(query.selected_columns[0]).limit(limit)).scalars())


# --- the projection -----------------------------------------------------------------------------------

def refresh(engine: Engine, *, wait: bool = True, most: int | None = None) -> int:
    """Fold the events appended since the last refresh into the projection; returns how many events of the
    log it read (0 when it was up to date). Safe when several requests call it at once: each claims the
    cursor row with `UPDATE ... WHERE last_event_id = <what it read>`, the others then find it advanced.

    A long backlog (a first dashboard, a bulk import) is folded FOLD_BATCH events per transaction: the write
    lock is held for a moment at a time, never for the whole backlog while a page waits.

    `most`: fold the events of at most that many ids, and leave the rest (see `behind`). `wait=False`: when
    another writer holds the write lock, raise at once (database busy) instead of waiting for it."""
    read = 0
    horizon: int | None = None
    for _claim_lost in range(100):
        with engine.connect() as connection:
            folded = connection.execute(select(CURSOR.c.last_event_id).where(CURSOR.c.id == _CURSOR_ID)).scalar()
            newest = connection.execute(select(func.coalesce(func.max(EVENTS.c.id), 0))).scalar_one()
        if folded is None:
            _create_cursor(engine)
            continue
        if newest > folded and engine.dialect.name == "postgresql":
            if horizon is None or horizon <= folded:
                horizon = _settled_horizon(engine)
            newest = horizon
        if most is not None and newest > folded:
            newest = min(newest, folded + most)
        while newest != folded:
            upto = min(newest, folded + FOLD_BATCH) if newest > folded else newest
            with writing(engine, wait=wait).begin() as connection:
                claimed = connection.execute(update(CURSOR).where(
                    CURSOR.c.id == _CURSOR_ID, CURSOR.c.last_event_id == folded).values(
                    last_event_id=upto, folded_at=utcnow())).rowcount
                if not claimed:
                    break  # someone else folded meanwhile: look again from where they stopped
                if upto < folded:
                    # The newest events went with their case; SQLite may hand their ids out again.
                    return read
                read += _fold(connection, folded, upto)
            folded = upto
        else:
            return read
    raise RuntimeError("the monitoring projection could not be brought up to date")


def behind(engine: Engine) -> bool:
    """Whether events of the log are not folded into the projection yet."""
    with engine.connect() as connection:
        folded = connection.execute(select(CURSOR.c.last_event_id).where(CURSOR.c.id == _CURSOR_ID)).scalar()
        newest = connection.execute(select(func.coalesce(func.max(EVENTS.c.id), 0))).scalar_one()
    return folded is None or newest != folded


def rebuild(engine: Engine) -> int:
    """Drop the projection and fold the whole event log again (returns the events read)."""
    with writing(engine).begin() as connection:
        for table in (VISITS, CHAINS, MONITORED):
            connection.execute(delete(table))
        connection.execute(delete(CURSOR))
    return refresh(engine)


def _create_cursor(engine: Engine) -> None:
    try:
        with writing(engine).begin() as connection:
            connection.execute(insert(CURSOR).values(id=_CURSOR_ID, last_event_id=0))
    except IntegrityError:
        pass  # created by a concurrent refresh


def _settled_horizon(engine: Engine) -> int:
    """The highest event id below which no event can still appear (PostgreSQL).

    Ids come from a sequence when the row is inserted, but transactions commit in any order: a smaller id
    may become visible after a larger one. Taking SHARE on `events` waits for the transactions writing to it
    (and holds new ones back for an instant): once granted, every id handed out so far is committed or
    rolled back. The lock is released at once; the fold itself runs in another transaction."""
    with engine.begin() as connection:
        connection.exec_driver_sql("SET LOCAL lock_timeout = '10s'")
        connection.exec_driver_sql("LOCK TABLE events IN SHARE MODE")
        return connection.execute(select(func.coalesce(func.max(EVENTS.c.id), 0))).scalar_one()


def _days(connection: Connection, start: Any, end: Any) -> ColumnElement[Any]:
    """Days between two moments, as the database computes them (the same values the figures always had)."""
    if connection.dialect.name == "sqlite":
        return func.julianday(end) - func.julianday(start)
    return func.extract("epoch", end - start) / 86400.0


def _moment(name: str, connection: Connection) -> Any:
    parameter = bindparam(name, type_=UTCDateTime())
    return parameter if connection.dialect.name == "sqlite" else cast(parameter, UTCDateTime())


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start:start + _CHUNK])


def _fold(connection: Connection, after: int, upto: int) -> int:
    """Fold the events with after < id <= upto (in id order, which is each case's seq order)."""
    events = connection.execute(select(
        EVENTS.c.id, EVENTS.c.case_id, EVENTS.c.type, EVENTS.c.at, EVENTS.c.stage_id,
        EVENTS.c.data["to"].as_string(), EVENTS.c.data["to_stage"].as_string(),
        EVENTS.c.data["new_case"].as_string(), EVENTS.c.data["jobs_created"].as_integer(),
        EVENTS.c.data["jobs_kept"].as_integer(),
    ).where(EVENTS.c.id > after, EVENTS.c.id <= upto, EVENTS.c.type.in_(MOVES + MEMBER_EVENTS[1:]))
        .order_by(EVENTS.c.id)).all()
    if not events:
        return 0
    touched = sorted({e.case_id for e in events})
    cases: dict[int, Any] = {}
    open_stays: dict[int, Any] = {}  # case -> its stay not yet left (a stored id, or a new row's dict)
    visited: dict[int, set[str]] = {}
    stays: dict[int, int] = {}
    monitored: set[int] = set()
    for ids in _chunks(touched):
        for row in connection.execute(select(CASES.c.id, CASES.c.pathway_id, CASES.c.desk_id, CASES.c.opened_at,
                                             CASES.c.supply_chains).where(CASES.c.id.in_(ids))):
            cases[row.id] = row
        for row in connection.execute(select(VISITS.c.id, VISITS.c.case_id, VISITS.c.stage_id, VISITS.c.visit,
                                             VISITS.c.left_at).where(VISITS.c.case_id.in_(ids))):
            visited.setdefault(row.case_id, set()).add(row.stage_id)
            stays[row.case_id] = max(stays.get(row.case_id, 0), row.visit)
            if row.left_at is None:
                open_stays[row.case_id] = row.id
        monitored.update(connection.execute(select(MONITORED.c.case_id).where(MONITORED.c.case_id.in_(ids)))
                         .scalars())

    new_stays: list[dict[str, Any]] = []
    left: list[dict[str, Any]] = []
    new_cases: dict[int, dict[str, Any]] = {}
    jobs: dict[int, list[int]] = {}
    chains: list[dict[str, Any]] = []
    recount: set[int] = set()
    for event_id, case_id, kind, at, stage_id, to, to_stage, new_case, created, kept in events:
        row = cases.get(case_id)
        if row is None:
            continue  # the case is gone
        if kind in MEMBER_EVENTS:
            recount.add(case_id)
        if kind in MEMBER_EVENTS[1:] or (kind == "pathway_chosen" and new_case is None):
            continue  # not a move (a choice that keeps the pathway does not move the case)
        scope = {"pathway_id": row.pathway_id, "desk_id": row.desk_id, "opened_at": row.opened_at}
        if kind == "case_opened":
            entered = stage_id
            if case_id not in monitored:
                monitored.add(case_id)
                new_cases[case_id] = {"case_id": case_id, **scope, **dict.fromkeys(_SUMMED, 0)}
                chains += [{"case_id": case_id, "chain": chain, **scope}
                           for chain in dict.fromkeys(row.supply_chains or [])]
        elif kind in ("advanced", "reopened"):
            entered = to
        elif kind == "migrated":
            entered = to_stage
        else:
            entered = None
        if created or kept:
            total = jobs.setdefault(case_id, [0, 0])
            total[0] += created or 0
            total[1] += kept or 0
        stay = open_stays.pop(case_id, None)
        if isinstance(stay, dict):
            stay.update(left_at=at, left_by_event=event_id)
        elif stay is not None:
            left.append({"_stay": stay, "_left": at, "_left_at": at, "_by": event_id})
        if entered is not None:
            stays[case_id] = stays.get(case_id, 0) + 1
            seen = visited.setdefault(case_id, set())
            new = {"case_id": case_id, **scope, "stage_id": entered, "visit": stays[case_id],
                   "first_in_stage": entered not in seen, "entered_at": at, "entered_by_event": event_id,
                   "left_at": None, "left_by_event": None}
            seen.add(entered)
            new_stays.append(new)
            open_stays[case_id] = new

    for case_id, (created, kept) in jobs.items():
        if case_id in new_cases:
            new_cases[case_id].update(jobs_created=created, jobs_kept=kept)
    recounted = _count_workers(connection, sorted(recount & monitored), cases)
    for case_id, counts in list(recounted.items()):
        if case_id in new_cases:
            new_cases[case_id].update(counts)
            del recounted[case_id]
    if recounted:
        connection.execute(update(MONITORED).where(MONITORED.c.case_id == bindparam("_case")).values(
            {c: bindparam(c) for c in _SUMMED[2:]}), [{"_case": c, **n} for c, n in recounted.items()])
    if new_cases:
        connection.execute(insert(MONITORED), list(new_cases.values()))
    grown = [{"_case": c, "_created": j[0], "_kept": j[1]} for c, j in jobs.items() if c not in new_cases]
    if grown:
        connection.execute(update(MONITORED).where(MONITORED.c.case_id == bindparam("_case")).values(
            jobs_created=MONITORED.c.jobs_created + bindparam("_created"),
            jobs_kept=MONITORED.c.jobs_kept + bindparam("_kept")), grown)
    if chains:
        connection.execute(insert(CHAINS), chains)
    if left:
        connection.execute(update(VISITS).where(VISITS.c.id == bindparam("_stay")).values(
            left_at=bindparam("_left_at", type_=UTCDateTime()), left_by_event=bindparam("_by"),
            days=_days(connection, VISITS.c.entered_at, _moment("_left", connection))), left)
    if new_stays:
        before = connection.execute(select(func.coalesce(func.max(VISITS.c.id), 0))).scalar_one()
        connection.execute(insert(VISITS), new_stays)
        # Days computed by the database from the stored moments, as for the stays left above.
        connection.execute(update(VISITS).where(VISITS.c.id > before, VISITS.c.left_at.is_not(None)).values(
            days=_days(connection, VISITS.c.entered_at, VISITS.c.left_at)))
    return len(events)


def _count_workers(connection: Connection, case_ids: list[int], cases: dict[int, Any]) -> dict[int, dict[str, int]]:
    """Each case's workers per sex and per age band at opening (opening year minus birth year)."""
    out = {case_id: dict.fromkeys(_SUMMED[2:], 0) for case_id in case_ids}
    for ids in _chunks(case_ids):
        for case_id, sex, birth_year in connection.execute(select(
                MEMBERS.c.case_id, MEMBERS.c.sex, MEMBERS.c.birth_year).where(
                MEMBERS.c.case_id.in_(ids), MEMBERS.c.kind == "worker")):
            counts = out[case_id]
            counts["sex_" + (sex if sex in SEXES else NOT_RECORDED)] += 1
            opened = cases[case_id].opened_at.astimezone(timezone.utc)
            counts["age_" + age_band(opened.year - birth_year if birth_year is not None else None)] += 1
    return out


def age_band(age: int | None) -> str:
    """The age band key of an age in whole years (None: not recorded)."""
    if age is None:
        return NOT_RECORDED
    return next(key for key, below in AGE_BANDS if below is None or age < below)
