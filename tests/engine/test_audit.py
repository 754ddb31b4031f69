"""The audit log: entries of one subject are numbered and chained; a concurrent writer of the same subject
fails instead of forking the chain."""
from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from engine import audit


def test_entries_of_a_subject_are_numbered_and_chained(db_engine):
    with db_engine.begin() as connection:
        audit.record(connection, subject_type="desk", subject_id="genova", type="desk_created",
                     actor_id="admin", actor_roles=["admin"], data={"name": "Genova"})
        audit.record(connection, subject_type="desk", subject_id="genova", type="desk_changed",
                     actor_id="admin", actor_roles=["admin"], data={"name": "Sportello Genova"})
        audit.record(connection, subject_type="desk", subject_id="nice", type="desk_created",
                     actor_id="admin", data={})
    with db_engine.connect() as connection:
        first, second = audit.entries(connection, "desk", "genova")
        assert (first.seq, second.seq) == (1, 2)
        assert first.prev_hash == "" and second.prev_hash == first.hash
        expected = audit.chain_hash(first.hash, audit.entry_payload(
            "desk", "genova", 2, "desk_changed", "admin", ["admin"], {"name": "Sportello Genova"}))
        assert second.hash == expected
        assert [e.seq for e in audit.entries(connection, "desk", "nice")] == [1]


def test_a_second_entry_with_the_same_number_is_refused(db_engine):
    with db_engine.begin() as connection:
        audit.record(connection, subject_type="user", subject_id="u1", type="user_created", actor_id="admin")
    with pytest.raises(IntegrityError), db_engine.begin() as connection:
        connection.execute(audit.AUDIT.insert().values(
            subject_type="user", subject_id="u1", seq=1, type="user_created", actor_id="x", actor_roles=[],
            data={}, prev_hash="", hash="", at=audit.utcnow()))


class Refused(Exception):
    pass


def test_a_write_together_with_a_case_operation_lands_with_its_event_or_not_at_all(service, sessions):
    from engine import Actor, Member
    from engine.models import Case, Event

    operator = Actor.of("op1", ["operator"], ["genova"])
    workers = [Member("w1", "Anna Rossi"), Member("w2", "Luca Bianchi")]

    def note_it(connection):  # noqa: ANN001, ANN202
        audit.record(connection, subject_type="case", subject_id="x", type="written_together", actor_id="op1")
        return {"together": True}

    def note_it_then_refuse(connection):  # noqa: ANN001, ANN202
        note_it(connection)
        raise Refused

    with pytest.raises(Refused):
        service.open_case(operator, pathway_id="mini", desk_id="genova", members=workers, together=note_it_then_refuse)
    with sessions() as session:
        assert session.query(Case).count() == 0 and audit.count(session.connection()) == 0
    receipt = service.open_case(operator, pathway_id="mini", desk_id="genova", members=workers, together=note_it)
    with pytest.raises(Refused):
        service.tick(receipt.case_id, Actor.of("w1", ["worker"]), receipt.version, "consent",
                     together=note_it_then_refuse)
    with sessions() as session:
        case = session.get(Case, receipt.case_id)
        events = session.query(Event).filter(Event.case_id == case.id).order_by(Event.seq).all()
        assert case.version == receipt.version and [e.type for e in events] == ["case_opened"]
        assert events[0].data["together"] is True
        assert audit.count(session.connection()) == 1
    ticked = service.tick(receipt.case_id, Actor.of("w1", ["worker"]), receipt.version, "consent", together=note_it)
    with sessions() as session:
        last = session.query(Event).filter(Event.case_id == receipt.case_id, Event.seq == ticked.version).one()
        assert last.type == "item_ticked" and last.data["together"] is True
        assert audit.count(session.connection()) == 2
