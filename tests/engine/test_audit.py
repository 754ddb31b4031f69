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
