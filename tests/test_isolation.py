"""Each test starts on a database as the migrations leave it, whatever the test before wrote: rows (even those of
the append-only tables), and the numbering of new rows. The tests below run in this order (pytest keeps the
order of a file): the first writes, the next ones look for what it left."""
from __future__ import annotations

from sqlalchemy import func, inspect, select, text

from engine import Actor, Member
from engine.models import Event
from tests.conftest import database_kind

OPERATOR = Actor.of("op1", ["operator"], ["genova"])
WRITTEN: dict[str, int] = {}
# What the migrations themselves write (kept by SQLite's copy of the migrated file).
MIGRATED_ROWS = {"alembic_version", "notification_cursors"}


def open_case(service) -> int:  # noqa: ANN001
    receipt = service.open_case(OPERATOR, pathway_id="mini", desk_id="genova", members=[Member("w1", "Anna Rossi")],
                                mentors=[], supply_chains=["nautical_shipbuilding"])
    return receipt.case_id


def test_a_test_writes_cases_events_and_numbers(service, sessions):  # noqa: ANN001
    WRITTEN["case"] = open_case(service)
    open_case(service)
    with sessions() as session:
        WRITTEN["events"] = session.scalar(select(func.count()).select_from(Event))
    assert WRITTEN["events"] > 0


def test_the_next_test_finds_every_table_empty(db_engine):  # noqa: ANN001
    assert WRITTEN, "runs after the test that writes"
    tables = set(inspect(db_engine).get_table_names()) - MIGRATED_ROWS
    with db_engine.connect() as connection:
        filled = {table: n for table in sorted(tables)
                  if (n := connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar())}
    assert filled == {}, f"rows left by another test on {database_kind()}"


def test_the_next_test_numbers_new_rows_from_the_start_again(service):  # noqa: ANN001
    assert WRITTEN, "runs after the test that writes"
    assert open_case(service) == WRITTEN["case"]
