"""An operation's transaction on PostgreSQL: its statements go in two round trips (the claim with the reads
it announced; its writes with the COMMIT), or in one when this process holds the case as its last operation
left it (engine/cases/frame.py `CaseSnapshot`), each prepared once on a connection and then run by name. What
it does is the same on both databases: the same refusals, nothing written by a refused operation, values
stored exactly as given."""
from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select, text

from engine import Actor, ConflictError, InvalidOperation, RequirementsNotMet
from engine.cases import CaseService
from engine.check import check
from engine.db import DriverTransaction, _take_connection, connections_in_use
from engine.driver import DriverStatement, ReadAhead
from engine.models import Case, ChecklistTick, Desk, Event, utcnow
from tests.conftest import database_kind
from tests.engine.test_cases import MENTOR, OPERATOR, WORKERS, events_of, finish_welcome, open_group

DESKS = Desk.__table__
postgresql_only = pytest.mark.skipif(database_kind() != "postgresql", reason="PostgreSQL's round trips")
W1 = Actor.of("w1", ["worker"])
# Values that only survive if every one is quoted as psycopg quotes it.
AWKWARD = "l'ouvrier; DROP TABLE events; -- 50 % %(x)s %s $1 \\ \" ' \u00e8\u4e2d \U0001f600"


def test_a_tick_the_unique_constraint_refuses_writes_nothing_and_the_case_goes_on(service, sessions):
    case_id, v = open_group(service)
    v = service.tick(case_id, W1, v, "consent").version
    before = events_of(sessions, case_id)
    with pytest.raises(InvalidOperation) as refused:
        service.tick(case_id, W1, v, "consent")  # the row goes with the COMMIT on PostgreSQL: refused there
    assert refused.value.code == "already_ticked"
    with sessions() as session:
        assert session.get(Case, case_id).version == v
        assert session.scalar(select(func.count()).select_from(ChecklistTick).where(
            ChecklistTick.case_id == case_id)) == 1
    assert events_of(sessions, case_id) == before
    # The same version is still the case's: the next operation takes it (the connection is usable again).
    assert service.tick(case_id, Actor.of("w2", ["worker"]), v, "consent").version == v + 1


def test_free_text_is_stored_and_chained_exactly_as_given(service, sessions, db_engine, files):
    case_id, v = open_group(service)
    v = service.hold(case_id, OPERATOR, v, AWKWARD).version
    v = service.resume(case_id, OPERATOR, v, AWKWARD + "\n" + AWKWARD[::-1]).version
    with sessions() as session:
        reasons = [e.data["reason"] for e in session.scalars(
            select(Event).where(Event.case_id == case_id, Event.seq > 1).order_by(Event.seq))]
        assert session.get(Case, case_id).version == v
    assert reasons == [AWKWARD, AWKWARD + "\n" + AWKWARD[::-1]]
    report = check(db_engine, files)
    assert report.ok, report.format()


# --- PostgreSQL: round trips and prepared statements ---------------------------------------------------

class _Trips:
    """Counts the round trips of the engine's connections: an operation's exchanges in pipeline mode
    (engine/db.py `_round_trip`, run by the connection's `wait`), and statements, BEGIN and COMMIT sent by
    psycopg itself."""

    def __init__(self, monkeypatch):  # noqa: ANN001
        import psycopg
        from psycopg import pq

        from engine import db

        self.count = 0
        trips = self
        plain_round_trip = db._round_trip

        def round_trip(*args):  # noqa: ANN002, ANN202
            trips.count += 1
            return plain_round_trip(*args)

        monkeypatch.setattr(db, "_round_trip", round_trip)
        plain_execute = psycopg.Cursor.execute

        def execute(cursor, query, params=None, **kwargs):  # noqa: ANN001, ANN202
            connection = cursor.connection
            if not connection.autocommit and connection.info.transaction_status == pq.TransactionStatus.IDLE:
                trips.count += 1  # psycopg's own BEGIN
            trips.count += 1
            return plain_execute(cursor, query, params, **kwargs)

        monkeypatch.setattr(psycopg.Cursor, "execute", execute)
        for name in ("commit", "rollback"):
            plain = getattr(psycopg.Connection, name)

            def end(connection, _plain=plain):  # noqa: ANN001, ANN202
                if connection.info.transaction_status != pq.TransactionStatus.IDLE:
                    trips.count += 1
                return _plain(connection)

            monkeypatch.setattr(psycopg.Connection, name, end)

    def of(self, operation):  # noqa: ANN001, ANN201
        self.count = 0
        result = operation()
        return result, self.count


@postgresql_only
def test_an_operation_is_two_round_trips_and_one_on_a_case_this_process_left_at_its_version(service, monkeypatch):
    case_id, v = open_group(service)
    trips = _Trips(monkeypatch)
    counts = []
    for worker in WORKERS:
        receipt, count = trips.of(lambda: service.tick(case_id, Actor.of(worker.person_id, ["worker"]), v, "consent"))
        v = receipt.version
        counts.append(count)
    assert counts == [2, 1, 1]  # the first: claim and reads, then writes and COMMIT; then writes, claim and all
    receipt, count = trips.of(lambda: service.submit_form(case_id, OPERATOR, v, {"sector": "nautical", "years": 1}))
    assert count == 1
    receipt, count = trips.of(lambda: service.advance(case_id, OPERATOR, receipt.version, "continue"))
    assert count == 1  # the members too were read by an earlier operation: this stage has an item each ticks
    receipt, count = trips.of(lambda: service.hold(case_id, OPERATOR, receipt.version, "waiting"))
    assert count == 1
    with pytest.raises(InvalidOperation):  # refused before anything is written: the claim alone, then ROLLBACK
        trips.of(lambda: service.hold(case_id, OPERATOR, receipt.version, "again"))
    assert trips.count == 2
    service.snapshots.clear()  # as in another process, or after this one restarted
    receipt, count = trips.of(lambda: service.resume(case_id, OPERATOR, receipt.version, "back"))
    assert count == 2


def _second_process(service):  # noqa: ANN001, ANN202
    """Another application server on the same database (its own snapshots of the cases)."""
    return CaseService(service.session_factory, service.library, service.files, assessments=service.assessments)


@postgresql_only
def test_a_case_changed_elsewhere_since_this_process_left_it_is_a_conflict_and_nothing_is_written(service, sessions):
    case_id, v = open_group(service)
    v = service.tick(case_id, W1, v, "consent").version  # this process holds the case at v
    other = _second_process(service)
    w = other.tick(case_id, Actor.of("w2", ["worker"]), v, "consent").version
    before = events_of(sessions, case_id)
    # The same tick by the third worker at v: checked against the rows held here, sent with its claim, which
    # matches no row. Nothing is written; the conflict names what changed.
    with pytest.raises(ConflictError) as conflict:
        service.tick(case_id, Actor.of("w3", ["worker"]), v, "consent")
    assert conflict.value.params["actual"] == w and [c["type"] for c in conflict.value.changes] == ["item_ticked"]
    assert events_of(sessions, case_id) == before
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ChecklistTick).where(
            ChecklistTick.case_id == case_id)) == 2
    # At the version it is at, the operation reads the case anew: the other worker's tick counts.
    v = service.tick(case_id, Actor.of("w3", ["worker"]), w, "consent").version
    v = service.submit_form(case_id, OPERATOR, v, {"sector": "nautical", "years": 2}).version
    assert service.advance(case_id, OPERATOR, v, "continue").event_type == "advanced"


@postgresql_only
def test_a_refusal_judged_on_rows_held_here_gives_way_to_the_conflict_when_the_case_changed(service, sessions):
    case_id, v = open_group(service)
    v = service.tick(case_id, W1, v, "consent").version  # held here: two workers still to tick
    other = _second_process(service)
    w = v
    for worker in ("w2", "w3"):
        w = other.tick(case_id, Actor.of(worker, ["worker"]), w, "consent").version
    w = other.submit_form(case_id, OPERATOR, w, {"sector": "nautical", "years": 2}).version
    # Judged on the rows held here the stage is not complete, but the case is no longer at v: the actor
    # learns that it changed (as the claim first would tell), not a refusal that no longer holds.
    with pytest.raises(ConflictError):
        service.advance(case_id, OPERATOR, v, "continue")
    # Still at v (nothing changed since): the refusal stands.
    x = service.hold(case_id, OPERATOR, w, "wait").version
    with pytest.raises(InvalidOperation) as refused:
        service.hold(case_id, OPERATOR, x, "again")
    assert refused.value.code == "case_on_hold"
    x = service.resume(case_id, OPERATOR, x, "back").version
    assert service.advance(case_id, OPERATOR, x, "continue").event_type == "advanced"
    assert events_of(sessions, case_id)[-1] == "advanced"


@postgresql_only
def test_a_case_at_the_same_version_with_another_history_is_not_judged_on_the_rows_held_here(
        service, sessions, db_engine):
    """A database restored from a backup may hold a case at the version this process knew, with another
    last event: the claim names that event's hash, so the rows held here are not taken for the case's."""
    from engine.personal_data import erasure_gate

    case_id, v = open_group(service)
    v = service.tick(case_id, W1, v, "consent").version
    with db_engine.begin() as connection, erasure_gate(connection):  # another history at the same version
        connection.execute(text("UPDATE events SET hash = 'another' WHERE case_id = :c AND seq = :v"),
                           {"c": case_id, "v": v})
    before = events_of(sessions, case_id)
    with pytest.raises(ConflictError):
        service.tick(case_id, Actor.of("w2", ["worker"]), v, "consent")
    assert events_of(sessions, case_id) == before
    assert service.tick(case_id, Actor.of("w2", ["worker"]), v, "consent").version == v + 1  # read anew


def test_advancing_on_rows_held_here_judges_them_as_read_anew(service, sessions):
    """The same outcomes whether the rows come from this process's last operation or from the database."""
    outcomes = []
    for fresh in (False, True):
        case_id, v = open_group(service)
        for worker in WORKERS[:2]:
            v = service.tick(case_id, Actor.of(worker.person_id, ["worker"]), v, "consent").version
            if fresh:
                service.snapshots.clear()
        v = service.submit_form(case_id, OPERATOR, v, {"sector": "nautical", "years": 2}).version
        with pytest.raises(RequirementsNotMet):  # a worker's consent is missing
            service.advance(case_id, OPERATOR, v, "continue")
        if fresh:
            service.snapshots.clear()
        v = service.tick(case_id, Actor.of("w3", ["worker"]), v, "consent").version
        if fresh:
            service.snapshots.clear()
        v = service.advance(case_id, OPERATOR, v, "continue").version
        v = service.submit_form(case_id, OPERATOR, v, {"viable": True}).version
        v = service.sign_off(case_id, MENTOR, v, "review").version
        if fresh:
            service.snapshots.clear()
        with pytest.raises(InvalidOperation) as refused:  # given already
            service.sign_off(case_id, MENTOR, v, "review")
        outcomes.append(refused.value.code)
        with pytest.raises(RequirementsNotMet):  # the plan is missing
            service.advance(case_id, OPERATOR, v, "positive")
        with sessions() as session:
            outcomes.append((session.get(Case, case_id).stage_id, session.get(Case, case_id).version))
    assert outcomes[:2] == outcomes[2:]


def _pooled_driver(db_engine):  # noqa: ANN001, ANN202
    raw = _take_connection(db_engine)  # the one the operations left at rest
    return raw, raw.dbapi_connection


class _Sent:
    """The statements of an operation's round trips (engine/db.py `_exchange`), as one SQL text."""

    def __init__(self, monkeypatch):  # noqa: ANN001
        from engine import db

        plain_exchange = db._exchange
        self.sql: list[str] = []

        def exchange(driver, begins, runs, commit):  # noqa: ANN001, ANN202
            self.sql += [plan.sql for plan, _parameters in runs]
            return plain_exchange(driver, begins, runs, commit)

        monkeypatch.setattr(db, "_exchange", exchange)

    def of(self, operation):  # noqa: ANN001, ANN201
        self.sql = []
        return operation(), "\n".join(self.sql)


def _reviewed(service):  # noqa: ANN001, ANN202
    """A case at "study" (documents, a form, a review by a mentor distinct from the form's submitter), its
    form submitted."""
    case_id, v = open_group(service)
    v = finish_welcome(service, case_id, v)
    v = service.submit_form(case_id, OPERATOR, v, {"viable": True}).version
    return case_id, v


@postgresql_only
def test_an_operation_reads_with_its_claim_what_the_stage_the_case_was_left_at_asks_for(service, monkeypatch):
    trips, sent = _Trips(monkeypatch), _Sent(monkeypatch)
    case_id, v = _reviewed(service)
    snapshot = service.snapshots[case_id]
    snapshot.version = 0  # the case's stage is known here, its rows are not
    (receipt, sql), count = trips.of(lambda: sent.of(lambda: service.sign_off(case_id, MENTOR, v, "review")))
    # The form is read with the claim (the review must differ from its submitter); the parties are not read
    # at all: a mentor's review is never a party's.
    assert receipt.event_type == "signed_off" and count == 2
    assert "FROM form_data" in sql and "FROM case_parties" not in sql
    # The same, with the case's stage unknown here (another process moved it last): every row the
    # operation may need is read with the claim, the parties too; the outcome is the same.
    case_id, v = _reviewed(service)
    service.snapshots.clear()
    (receipt, sql), count = trips.of(lambda: sent.of(lambda: service.sign_off(case_id, MENTOR, v, "review")))
    assert receipt.event_type == "signed_off" and count == 2
    assert "FROM form_data" in sql and "FROM case_parties" in sql


@postgresql_only
def test_a_wrong_guess_of_the_stage_only_costs_round_trips(service, sessions, monkeypatch):
    trips = _Trips(monkeypatch)
    case_id, v = open_group(service)
    for worker in WORKERS:
        v = service.tick(case_id, Actor.of(worker.person_id, ["worker"]), v, "consent").version
    v = service.submit_form(case_id, OPERATOR, v, {"sector": "nautical", "years": 12}).version
    snapshot = service.snapshots[case_id]
    snapshot.version = 0  # as if the case were at another version, at its last stage
    snapshot.values = {**snapshot.values, "stage_id": "deed"}
    receipt, count = trips.of(lambda: service.advance(case_id, OPERATOR, v, "continue"))
    assert receipt.event_type == "advanced" and count > 2  # the ticks, form and members read when asked
    with sessions() as session:
        assert session.get(Case, case_id).stage_id == "study"
    assert service.snapshots[case_id].values["stage_id"] == "study"


@postgresql_only
def test_statements_deallocated_by_other_code_are_prepared_again(service, db_engine, sessions):
    case_id, v = open_group(service)
    v = service.hold(case_id, OPERATOR, v, "first").version
    raw, driver = _pooled_driver(db_engine)  # the connection of the operations above
    prepared = driver.execute("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'opera%'").fetchone()[0]
    driver.execute("DEALLOCATE ALL")  # behind psycopg's back (another tool, a pooler's reset)
    driver.commit()
    raw.close()
    assert prepared > 0
    v = service.resume(case_id, OPERATOR, v, "again").version  # its first round trip fails, is sent again
    assert events_of(sessions, case_id)[-2:] == ["put_on_hold", "resumed"]
    assert service.hold(case_id, OPERATOR, v, "third").version == v + 1


@postgresql_only
def test_statements_psycopg_deallocates_after_a_rollback_are_prepared_again(service, db_engine, sessions):
    case_id, v = open_group(service)
    v = service.hold(case_id, OPERATOR, v, "first").version
    with db_engine.connect() as connection:  # psycopg prepares a statement it runs often, then rolls back
        for _ in range(8):
            connection.execute(text("SELECT count(*) FROM cases WHERE id = :id"), {"id": case_id}).scalar()
        connection.rollback()  # psycopg: ROLLBACK, then DEALLOCATE ALL (its own, and the engine's)
        left = connection.execute(text(
            "SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'opera%'")).scalar()
    assert left == 0
    v = service.resume(case_id, OPERATOR, v, "again").version
    assert events_of(sessions, case_id)[-1] == "resumed"
    assert service.hold(case_id, OPERATOR, v, "third").version == v + 1


# --- the transaction itself ----------------------------------------------------------------------------

_DESK_ROW = DriverStatement(insert(DESKS))
_DESK_IDS = DriverStatement(select(DESKS.c.id).order_by(DESKS.c.id))


def _desk(desk_id: str) -> dict:
    return {"id": desk_id, "name": desk_id, "country": "IT", "region": "", "contact_email": "", "created_at": utcnow()}


def test_a_read_after_a_held_write_sees_it_and_a_read_made_ahead_is_not_served_after_a_write(db_engine):
    with DriverTransaction(db_engine) as transaction:
        transaction.read_ahead([(ReadAhead(_DESK_IDS), {})])
        _DESK_ROW.write(transaction, _desk("a"))  # held (PostgreSQL): goes with the next statement
        assert [r.id for r in _DESK_IDS.all(transaction, {})] == ["a"]
        transaction.read_ahead([(ReadAhead(_DESK_IDS), {})])
        assert [r.id for r in _DESK_IDS.all(transaction, {})] == ["a"]  # read ahead with the first, kept
        _DESK_ROW.write(transaction, _desk("b"))
        assert [r.id for r in _DESK_IDS.all(transaction, {})] == ["a", "b"]  # not the rows kept: read again
    with db_engine.connect() as connection:
        assert connection.execute(select(DESKS.c.id).order_by(DESKS.c.id)).scalars().all() == ["a", "b"]


def test_a_held_write_the_database_refuses_raises_what_the_operation_said_and_leaves_nothing(db_engine):
    with DriverTransaction(db_engine) as transaction:
        _DESK_ROW.write(transaction, _desk("a"))
    with pytest.raises(LookupError, match="taken"), DriverTransaction(db_engine) as transaction:
        _DESK_ROW.write(transaction, _desk("b"))
        _DESK_ROW.write(transaction, _desk("a"), refused=LookupError("taken"))  # refused now, or at COMMIT
    with DriverTransaction(db_engine) as transaction:  # the connection is usable again, nothing was kept
        assert [r.id for r in _DESK_IDS.all(transaction, {})] == ["a"]
    assert connections_in_use(db_engine) == 0


@postgresql_only
def test_after_a_statement_fails_in_a_round_trip_the_connection_leaves_pipeline_mode_idle(db_engine):
    from psycopg import pq

    with DriverTransaction(db_engine) as transaction:
        _DESK_ROW.write(transaction, _desk("a"))
    with pytest.raises(LookupError), DriverTransaction(db_engine) as transaction:
        transaction.read_ahead([(ReadAhead(_DESK_IDS), {})])
        _DESK_ROW.write(transaction, _desk("a"), refused=LookupError("taken"))
        _DESK_IDS.all(transaction, {})  # the write and this read go together: the write fails first
    raw = db_engine.raw_connection()
    try:
        driver = raw.dbapi_connection
        assert driver.pgconn.pipeline_status == pq.PipelineStatus.OFF
        assert driver.pgconn.transaction_status == pq.TransactionStatus.IDLE
        assert [row[0] for row in driver.execute("SELECT id FROM desks ORDER BY id")] == ["a"]  # psycopg's own
    finally:
        raw.close()
