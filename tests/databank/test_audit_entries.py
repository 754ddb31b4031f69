"""Every databank change writes exactly one audit entry in its own transaction; a refused change writes none."""
from __future__ import annotations

import pytest

from databank.errors import DatabankError, EntryInvalid, StaleEntry
from databank.exchange import import_file
from databank.operations import IMPORT_SUBJECT, PROFILE_SUBJECT, RESOURCE_SUBJECT
from engine import NotAllowed, audit

from .conftest import GENOVA_OPERATOR, NICE_OPERATOR, anna, shed
from .test_exchange import HEADER, ROWS
from .test_operations import PDF, PNG


def entries(sessions, subject_type, subject_id):  # noqa: ANN001, ANN201
    with sessions() as session:
        return [(e.type, e.actor_id, e.data) for e in audit.entries(session.connection(), subject_type, subject_id)]


def total(sessions) -> int:  # noqa: ANN001
    with sessions() as session:
        return audit.count(session.connection())


def test_a_profile_created_changed_and_deleted_leaves_three_entries_without_personal_values(databank, sessions):
    saved = databank.create_profile(GENOVA_OPERATOR, anna())
    with pytest.raises(StaleEntry):
        databank.update_profile(GENOVA_OPERATOR, saved.id, saved.version + 1, {"phone": "+39 010 1"})
    with pytest.raises(NotAllowed):
        databank.update_profile(NICE_OPERATOR, saved.id, saved.version, {"phone": "+39 010 1"})
    changed = databank.update_profile(GENOVA_OPERATOR, saved.id, saved.version,
                                      {"phone": "+39 010 555 0199", "consent_to_share": True})
    databank.delete_profile(GENOVA_OPERATOR, saved.id)
    log = entries(sessions, PROFILE_SUBJECT, saved.id)
    assert [(t, actor) for t, actor, _data in log] == [
        ("profile_created", "op-ge"), ("profile_changed", "op-ge"), ("profile_deleted", "op-ge")]
    assert log[1][2] == {"desk": "genova", "fields": ["consent_to_share", "phone"], "consent_to_share": True}
    assert "555" not in str(log) and "Anna" not in str(log)
    assert changed.version == saved.version + 1


def test_resource_changes_and_its_files_each_write_one_entry(databank, sessions):
    saved = databank.create_resource(GENOVA_OPERATOR, shed())
    with pytest.raises(EntryInvalid):
        databank.update_resource(GENOVA_OPERATOR, saved.id, saved.version, {"surface_m2": "huge"})
    databank.update_resource(GENOVA_OPERATOR, saved.id, saved.version, {"surface_m2": 2500})
    photo = databank.add_resource_file(GENOVA_OPERATOR, saved.id, "photo", "vista.png", PNG)
    with pytest.raises(DatabankError):
        databank.add_resource_file(GENOVA_OPERATOR, saved.id, "photo", "vista.png", PDF)
    databank.remove_resource_file(GENOVA_OPERATOR, saved.id, photo)
    databank.delete_resource(GENOVA_OPERATOR, saved.id)
    log = entries(sessions, RESOURCE_SUBJECT, saved.id)
    assert [t for t, _a, _d in log] == ["resource_created", "resource_changed", "resource_file_added",
                                        "resource_file_removed", "resource_deleted"]
    assert log[1][2]["fields"] == ["surface_m2"] and log[2][2]["file"] == photo == log[3][2]["file"]


def test_an_import_is_one_entry_naming_its_rows_and_a_refused_one_none(databank, sessions):
    before = total(sessions)
    bad = import_file(databank, GENOVA_OPERATOR, "profiles", "x.csv", (HEADER + "Anna,not an e-mail\n").encode(),
                      "genova")
    dry = import_file(databank, GENOVA_OPERATOR, "profiles", "x.csv", (HEADER + ROWS).encode(), "genova", dry_run=True)
    assert not bad.committed and not dry.committed and total(sessions) == before
    report = import_file(databank, GENOVA_OPERATOR, "profiles", "lavoratori.csv", (HEADER + ROWS).encode(), "genova")
    assert report.committed and total(sessions) == before + 1
    [(entry_type, actor, data)] = entries(sessions, IMPORT_SUBJECT, "genova")
    assert (entry_type, actor, data["filename"]) == ("profiles_imported", "op-ge", "lavoratori.csv")
    assert data["created"] == [r.id for r in report.rows] and data["updated"] == []
