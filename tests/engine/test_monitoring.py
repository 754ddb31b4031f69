"""Programme monitoring figures, checked against a hand-computed fixture, on both databases."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from engine import Actor, Member
from engine.monitoring import Scope, case_ids, dashboard

from .test_cases import OPERATOR, finish_welcome, open_group

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
NICE_OPERATOR = Actor.of("op-nice", ["operator"], ["nice"])


# The workers of the fixture (all opened in 2026): sex and year of birth where recorded.
WORKER_DETAILS = {"w2": ("female", 1990), "w4": ("male", 1970), "w6": (None, None), "w8": ("other", 2003),
                  "w-late": ("female", 1960), "w-nice": (None, 1985)}


def worker(person_id: str) -> Member:
    sex, birth_year = WORKER_DETAILS[person_id]
    return Member(person_id, sex=sex, birth_year=birth_year)


def build(service, clock):  # noqa: ANN001, ANN201
    """Five cases at Genova, one at Nice; welcome takes 2, 4, 6 and 8 days; two cases closed; the two
    opened on day 10 are due on day 20 (welcome: 10 days), the two in study on days 36 and 38."""
    ids = []
    for days in (2, 4, 6, 8):
        clock[0] = T0
        case_id, v = open_group(service, members=[worker(f"w{days}")])
        clock[0] = T0 + timedelta(days=days)
        v = finish_welcome(service, case_id, v, members=[Member(f"w{days}")])
        ids.append((case_id, v))
    clock[0] = T0 + timedelta(days=10)
    service.withdraw(ids[0][0], OPERATOR, ids[0][1], "found a job")
    service.close(ids[1][0], OPERATOR, ids[1][1], "employed", "hired", jobs_kept=1)
    open_group(service, members=[worker("w-late")])  # still at welcome, due in 10 days
    service.open_case(NICE_OPERATOR, pathway_id="solo", desk_id="nice", members=[worker("w-nice")],
                      supply_chains=["sustainable_tourism"])
    return [i for i, _ in ids]


def test_the_dashboard_counts_what_happened(service, sessions):
    clock = [T0]
    service.clock = lambda: clock[0]
    ids = build(service, clock)
    with sessions() as session:
        board = dashboard(session.connection(), Scope(), now=T0 + timedelta(days=30))
        genova = dashboard(session.connection(), Scope(country="IT"), now=T0 + timedelta(days=30))
    assert board.totals == {"opened": 6, "active": 4, "on_hold": 0, "closed": 2, "overdue": 2}
    assert board.by_pathway["mini"] == {"opened": 5, "active": 3, "on_hold": 0, "closed": 2}
    assert board.outcomes == {"withdrawn": 1, "employed": 1}
    assert board.jobs == {"created": 0, "kept": 1}
    assert board.funnel["mini"] == {"welcome": 5, "study": 4}
    welcome = board.stage_times[("mini", "welcome")]
    assert (welcome.visits, welcome.median_days, welcome.p90_days) == (4, 5.0, 8.0)
    assert board.supply_chains == {"nautical_shipbuilding": 5, "sustainable_tourism": 1}
    assert genova.totals["opened"] == 5 and "solo" not in genova.by_pathway
    # One worker per case; ages at opening (2026): w2 36, w4 56, w8 23, w-late 66, w-nice 41.
    assert board.workers_by_sex == {"female": 2, "male": 1, "other": 1, "not_recorded": 2}
    assert board.workers_by_age == {"under_25": 1, "25_34": 0, "35_44": 2, "45_54": 0, "55_over": 2,
                                    "not_recorded": 1}
    assert genova.workers_by_sex == {"female": 2, "male": 1, "other": 1, "not_recorded": 1}
    assert genova.workers_by_age["35_44"] == 1
    with sessions() as session:
        connection = session.connection()
        assert case_ids(connection, Scope(), "outcome", "employed") == [ids[1]]
        assert case_ids(connection, Scope(), "stage", "mini/study") == ids
        assert len(case_ids(connection, Scope(desks=("nice",)), "opened")) == 1
        late = max(case_ids(connection, Scope(desks=("genova",)), "opened"))
        nice = case_ids(connection, Scope(desks=("nice",)), "opened")[0]
        assert case_ids(connection, Scope(), "sex", "female") == [ids[0], late]
        assert case_ids(connection, Scope(), "sex", "not_recorded") == [ids[2], nice]
        assert case_ids(connection, Scope(), "age", "55_over") == [ids[1], late]
        assert case_ids(connection, Scope(country="IT"), "age", "35_44") == [ids[0]]
        assert case_ids(connection, Scope(), "age", "25_34") == []
        assert case_ids(connection, Scope(), "supply_chain", "sustainable_tourism") == [nice]


def test_the_period_selects_cases_by_their_opening(service, sessions):
    clock = [T0]
    service.clock = lambda: clock[0]
    build(service, clock)
    with sessions() as session:
        later = dashboard(session.connection(), Scope(opened_from=T0 + timedelta(days=5)))
    assert later.totals["opened"] == 2  # the two cases opened on day 10


def test_jobs_must_be_whole_non_negative_numbers(service):
    import pytest

    from engine import InvalidOperation

    case_id, v = open_group(service)
    with pytest.raises(InvalidOperation) as refused:
        service.close(case_id, OPERATOR, v, "company_created", "done", jobs_created=-2)
    assert refused.value.code == "jobs_invalid"


# --- the projection: folded step by step, it gives what a fresh fold of the whole log gives ----------------

SCOPES = (Scope(), Scope(country="IT"), Scope(desks=("nice",)), Scope(pathway="solo"),
          Scope(opened_from=T0 + timedelta(days=3)))


def figures(sessions, now):  # noqa: ANN001, ANN201
    out = []
    for scope in SCOPES:
        with sessions() as session:  # a new transaction each time: it sees what the refresh folded
            out.append(dashboard(session.connection(), scope, now=now))
    return out


def stays(sessions):  # noqa: ANN001, ANN201
    from sqlalchemy import select

    from engine.models import StageVisit

    with sessions() as session:
        return sorted((v.case_id, v.visit, v.stage_id, v.first_in_stage, v.entered_at, v.entered_by_event,
                       v.left_at, v.left_by_event, v.days) for v in session.scalars(select(StageVisit)))


def many_operations(service, clock):  # noqa: ANN001, ANN201
    """Every kind of move, one step at a time (each step yields so that the caller can look in between)."""
    from .test_cases import WORKERS

    def later(days: float) -> None:
        clock[0] = clock[0] + timedelta(days=days)

    a, va = open_group(service, members=[worker("w2"), worker("w4"), worker("w8")])
    yield
    later(1.5)
    va = finish_welcome(service, a, va, members=[Member("w2"), Member("w4"), Member("w8")])
    yield
    later(2.25)
    va = service.reopen(a, OPERATOR, va, "welcome", reason="consent to be asked again").version
    yield
    later(0.5)
    va = service.hold(a, OPERATOR, va, "worker abroad").version
    later(3)
    va = service.resume(a, OPERATOR, va, "back").version
    va = service.change_members(a, OPERATOR, va, add=[Member("w-new", sex="female", birth_year=2001)],
                                remove=["w4"]).version
    yield
    later(1)
    va = service.tick(a, Actor.of("w-new", ["worker"]), va, "consent").version  # the others' ticks stay
    va = service.advance(a, OPERATOR, va, "continue").version
    yield
    b, vb = open_group(service, members=WORKERS[:1])  # welcome, study, then referred to solo
    later(2)
    vb = finish_welcome(service, b, vb, members=WORKERS[:1])
    vb = service.submit_form(b, OPERATOR, vb, {"viable": False}).version
    yield
    later(4)
    referred = service.advance(b, OPERATOR, vb, "negative").new_case_id
    yield
    later(1)
    c, vc = open_group(service, members=[worker("w6")])
    vc = service.submit_form(c, OPERATOR, vc, {"sector": "tourism"}).version
    later(2.5)
    switched = service.switch_pathway(c, OPERATOR, vc, "solo", "prefers to go alone").new_case_id
    yield
    later(7)
    service.close(a, OPERATOR, va, "employed", "hired", jobs_created=2, jobs_kept=3)
    service.withdraw(referred, OPERATOR, 1, "moved away")
    yield
    service.open_case(NICE_OPERATOR, pathway_id="solo", desk_id="nice", members=[worker("w-nice")],
                      supply_chains=["sustainable_tourism", "nautical_shipbuilding"])
    later(3)
    assert switched


def test_folding_step_by_step_gives_the_figures_of_a_fresh_fold(service, sessions, db_engine):
    from engine.monitoring import rebuild

    clock = [T0]
    service.clock = lambda: clock[0]
    now = T0 + timedelta(days=60)
    for _step in many_operations(service, clock):
        figures(sessions, now)  # folds what the step appended
    stepwise, stepwise_stays = figures(sessions, now), stays(sessions)
    rebuild(db_engine)
    assert stays(sessions) == stepwise_stays
    assert figures(sessions, now) == stepwise
    board = stepwise[0]
    assert board.jobs == {"created": 2, "kept": 3}
    assert board.workers_by_sex["female"] == 2  # w2 and the worker who joined; w4 left
    assert (board.workers_by_age["under_25"], board.workers_by_age["25_34"]) == (1, 1)  # w8 23, w-new 25
    welcome = board.stage_times[("mini", "welcome")]
    assert welcome.visits == 4  # a: 1.5 days, then 4.5 after the reopening; b: 2 days; c's stay ends on day 2.5


def test_two_refreshes_at_once_fold_every_event_once(service, sessions, db_engine):
    import threading

    from engine.monitoring import rebuild, refresh

    clock = [T0]
    service.clock = lambda: clock[0]
    for _step in many_operations(service, clock):
        pass
    build(service, clock)
    start = threading.Barrier(3)
    folded: list[int] = []
    failures: list[BaseException] = []

    def run() -> None:
        try:
            start.wait(timeout=30)
            folded.append(refresh(db_engine))
        except BaseException as exc:  # noqa: BLE001
            failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not failures
    assert sum(folded) > 0 and sorted(folded)[:2] == [0, 0]  # one of them folded, the others found it done
    concurrent = figures(sessions, T0 + timedelta(days=60)), stays(sessions)
    rebuild(db_engine)
    assert (figures(sessions, T0 + timedelta(days=60)), stays(sessions)) == concurrent


def test_a_backlog_is_folded_a_batch_per_transaction_with_the_figures_of_one_fold(service, sessions, db_engine,
                                                                                 monkeypatch):
    """The write lock is held for one batch at a time, never for the whole backlog."""
    from sqlalchemy import event, func, select

    from engine import monitoring
    from engine.models import Event

    clock = [T0]
    service.clock = lambda: clock[0]
    for _step in many_operations(service, clock):
        pass
    build(service, clock)
    now = T0 + timedelta(days=60)
    monitoring.rebuild(db_engine)
    at_once = figures(sessions, now), stays(sessions)
    with sessions() as session:
        events = session.scalar(select(func.count()).select_from(Event))
    monkeypatch.setattr(monitoring, "FOLD_BATCH", 4)
    commits: list[int] = []

    def count(_connection) -> None:  # noqa: ANN001
        commits.append(1)

    event.listen(db_engine, "commit", count)
    try:
        monitoring.rebuild(db_engine)
    finally:
        event.remove(db_engine, "commit", count)
    assert len(commits) >= events // 4  # one transaction per batch of 4 events (and a few of its own)
    assert (figures(sessions, now), stays(sessions)) == at_once


def test_a_deleted_case_leaves_the_figures(service, sessions):
    from sqlalchemy import delete

    from engine.models import Case
    from engine.personal_data import erasure_gate

    clock = [T0]
    service.clock = lambda: clock[0]
    ids = build(service, clock)
    with sessions() as session:
        assert dashboard(session.connection(), Scope()).funnel["mini"]["study"] == 4
    with sessions.begin() as session, erasure_gate(session.connection()):
        # A case's events are append-only: only the erasure's gate lets their rows go with the case.
        session.execute(delete(Case).where(Case.id == ids[3]))
    with sessions() as session:
        board = dashboard(session.connection(), Scope(), now=T0 + timedelta(days=30))
    assert board.funnel["mini"] == {"welcome": 4, "study": 3}
    assert board.stage_times[("mini", "welcome")].visits == 3
    assert board.workers_by_sex["other"] == 0


def test_upgrade_and_the_refresh_command_fold_the_new_events_then_nothing(service, sessions, db_url):
    """`opera db upgrade` and `opera db refresh-monitoring` bring the projection up to date."""
    from click.testing import CliRunner
    from sqlalchemy import select

    from engine.cli import main
    from engine.models import StageVisit

    clock = [T0]
    service.clock = lambda: clock[0]
    for _step in many_operations(service, clock):
        pass
    with sessions() as session:
        assert session.scalars(select(StageVisit)).first() is None  # nothing folded yet
    runner = CliRunner()
    first = runner.invoke(main, ["db", "upgrade", "--database-url", db_url])  # an upgrade folds them too
    assert first.exit_code == 0, first.output
    folded_line = first.output.strip().splitlines()[-1]
    assert folded_line.startswith("monitoring up to date: ")
    read = int(folded_line.split(": ")[1].split()[0])  # the events that matter to the figures
    assert read > 0
    folded = stays(sessions)
    assert folded
    again = runner.invoke(main, ["db", "refresh-monitoring", "--database-url", db_url])
    assert again.output.strip() == "monitoring up to date: 0 events folded"
    rebuilt = runner.invoke(main, ["db", "refresh-monitoring", "--rebuild", "--database-url", db_url])
    assert rebuilt.output.strip() == f"monitoring up to date: {read} events folded"
    assert stays(sessions) == folded
