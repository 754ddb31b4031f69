"""What every case operation looks up is worked out once per revision, and answers exactly as the search it
replaces: the machine's exits (engine/machine.py), a stage's requirements, exits and four-eyes partners
(engine/pathway.py), the timestamps' text on SQLite (engine/models.py), and the parties read only when a
sign-off's check needs them (engine/policy.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.sqlite.base import DATETIME

from engine import policy
from engine.checking import check_directory
from engine.machine import PathwayMachine, _guard, build_machine, fire, fire_through_events, trigger_name
from engine.models import UTCDateTime
from engine.pathway import SignOffRule, Stage

ROOT = Path(__file__).resolve().parents[2]


def _pathways() -> list:
    found = []
    for directory in (ROOT / "pathways", ROOT / "tests" / "fixtures" / "pathways"):
        report, _ = check_directory(directory)
        found += [checked.pathway for checked in report if checked.pathway is not None]
    assert found
    return found


PATHWAYS = _pathways()


class _Check:
    def __init__(self, answer: bool):
        self.answer = answer
        self.asked: list[str] = []

    def allows(self, exit_id: str) -> bool:
        self.asked.append(exit_id)
        return self.answer


@pytest.mark.parametrize("pathway", PATHWAYS, ids=lambda p: p.id)
def test_every_exit_is_taken_as_the_machine_s_own_events_would_take_it(pathway):
    machine = build_machine(pathway)
    exits = [(stage.id, exit_.id) for stage in pathway.stages for exit_ in stage.exits]
    assert set(machine.destinations) == set(exits)  # no callbacks anywhere: every exit is a plain lookup
    for stage_id, exit_id in exits:
        for answer in (True, False):
            quick, slow = _Check(answer), _Check(answer)
            assert fire(machine, stage_id, exit_id, quick) == fire_through_events(machine, stage_id, exit_id, slow)
            assert quick.asked == slow.asked == [exit_id]
        assert fire(machine, stage_id, exit_id, _Check(True)) == pathway.stage(stage_id).exit(exit_id).target_state


def test_a_transition_with_more_than_the_guard_goes_through_the_machine_s_events():
    called: list[str] = []
    machine = PathwayMachine(
        model=None, states=["a", "b", "c"], initial="a", send_event=True, auto_transitions=False,
        transitions=[{"trigger": trigger_name("a", "plain"), "source": "a", "dest": "b", "conditions": [_guard]},
                     {"trigger": trigger_name("a", "noted"), "source": "a", "dest": "c", "conditions": [_guard],
                      "after": lambda event: called.append(event.transition.dest)}],
        exits=[("a", "plain"), ("a", "noted")])
    assert dict(machine.destinations) == {("a", "plain"): "b"}
    assert fire(machine, "a", "noted", _Check(True)) == "c" and called == ["c"]
    assert fire(machine, "a", "noted", _Check(False)) is None and called == ["c"]


def _search(stage: Stage, requirement_id):  # noqa: ANN001, ANN202 - the linear search the index replaced
    return next((r for r in stage.requirements if r.id == requirement_id), None)


@pytest.mark.parametrize("pathway", PATHWAYS, ids=lambda p: p.id)
def test_a_stage_s_requirements_and_exits_are_found_as_a_search_in_order_finds_them(pathway):
    for stage in pathway.stages:
        form = (stage.form,) if stage.form else ()
        assessment = (stage.assessment,) if stage.assessment else ()
        assert stage.requirements == (*stage.checklist, *stage.documents, *form, *assessment, *stage.signoffs)
        for requirement in stage.requirements:
            assert stage.requirement(requirement.id) is _search(stage, requirement.id)
        for exit_ in stage.exits:
            assert stage.exit(exit_.id) is next(e for e in stage.exits if e.id == exit_.id)
        for unknown in ("no_such_thing", "", None, ["form"], {"id": "form"}):
            assert stage.requirement(unknown) is None and stage.exit(unknown) is None
        for rule in stage.signoffs:
            assert stage.distinct_partners(rule.id) == stage._distinct_partners(rule.id)
            assert stage.distinct_partners(rule.id) is stage.distinct_partners(rule.id)


# --- timestamps on SQLite ----------------------------------------------------------------------------

ZONES = [timezone.utc, timezone(timedelta(hours=-11, minutes=-30)), timezone(timedelta(hours=14)),
         ZoneInfo("Europe/Rome"), ZoneInfo("America/New_York")]


@settings(max_examples=300, deadline=None)
@given(moment=st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 30)),
       zone=st.sampled_from(ZONES))
def test_a_timestamp_is_written_on_sqlite_as_sqlalchemy_s_own_type_writes_it(moment, zone):
    dialect = sqlite.dialect()
    ours = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    plain = DATETIME().bind_processor(dialect)
    value = moment.replace(tzinfo=zone)
    assert ours(value) == plain(value.astimezone(timezone.utc))


def test_the_text_of_the_last_timestamp_is_reused_only_for_that_very_object():
    dialect = sqlite.dialect()
    ours = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    now = datetime(2026, 7, 1, 10, 30, 0, 7, tzinfo=timezone.utc)
    rome = now.astimezone(ZoneInfo("Europe/Rome"))
    later = now + timedelta(microseconds=1)
    texts = [ours(v) for v in (now, now, rome, later, None, now, later, later)]
    assert texts == ["2026-07-01 10:30:00.000007"] * 3 + ["2026-07-01 10:30:00.000008", None,
                                                           "2026-07-01 10:30:00.000007"] + ["2026-07-01 10:30:00.000008"] * 2
    with pytest.raises(ValueError):
        ours(datetime(2026, 1, 1))


def test_a_timestamp_round_trips_through_sqlite_aware_and_in_utc():
    dialect = sqlite.dialect()
    ours = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert ours(None) is None
    with pytest.raises(ValueError):
        ours(datetime(2026, 1, 1))  # naive: refused, as before
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("at", UTCDateTime()))
    engine = create_engine("sqlite://")
    table.metadata.create_all(engine)
    written = datetime(2026, 7, 1, 10, 30, 0, 7, tzinfo=ZoneInfo("Europe/Rome"))
    with engine.begin() as connection:
        connection.execute(insert(table), [{"id": 1, "at": written}, {"id": 2, "at": None}])
        raw = connection.exec_driver_sql("SELECT at FROM t WHERE id = 1").scalar()
        read = dict(connection.execute(select(table.c.id, table.c.at)).all())
    assert raw == written.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    assert read == {1: written, 2: None} and read[1].tzinfo == timezone.utc


# --- the parties of a sign-off's check -----------------------------------------------------------------

def _signed(signoff_id: str, actor_id: str) -> SimpleNamespace:
    return SimpleNamespace(signoff_id=signoff_id, actor_id=actor_id, decision="approve")


def test_four_eyes_holds_across_a_party_and_its_account_and_the_parties_are_read_only_then():
    rule = SignOffRule("deed", {"en": "Deed"}, "notary", distinct_from=("signoff:first",))
    notary = SimpleNamespace(id=3, role="notary", account_id="notary1")
    reads: list[int] = []

    def parties() -> list:
        reads.append(1)
        return [notary]

    def codes(person: str, given: list) -> list[str]:
        return [e.code for e in policy.signoff_refusals(rule, person, given, form_submitter=None, case_opener=None,
                                                       parties=parties)]

    # The party signed by its link; its account may not give the sign-off that must come from someone else.
    assert codes("notary1", [_signed("first", "party:3")]) == ["signoff_distinct"] and len(reads) == 1
    # The account signed; the party, by its link, neither.
    assert codes("party:3", [_signed("first", "notary1")]) == ["signoff_distinct"] and len(reads) == 2
    # Nobody acts as a party: the parties change nothing and are not read.
    assert codes("men2", [_signed("first", "men1")]) == [] and len(reads) == 2
    assert codes("men1", [_signed("first", "men1")]) == ["signoff_distinct"] and len(reads) == 2
    # Given as a list, as before.
    assert [e.code for e in policy.signoff_refusals(rule, "notary1", [_signed("first", "party:3")],
                                                    form_submitter=None, case_opener=None,
                                                    parties=[notary])] == ["signoff_distinct"]


def test_a_built_in_role_is_never_a_party_s_and_the_parties_are_not_read_for_it():
    class Case:
        @property
        def parties(self) -> list:
            raise AssertionError("read")

    actor = SimpleNamespace(id="men1")
    for role in ("operator", "mentor", "worker", "designer", "admin"):
        assert policy.party_of(actor, Case(), role) is None
    with pytest.raises(AssertionError):
        policy.party_of(actor, Case(), "notary")
