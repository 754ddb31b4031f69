"""The event and audit logs are append-only in the database, chained by hashes, and `check` proves the stored
state is what they say: a clean history checks 0 problems; every kind of tampering is found and located."""
from __future__ import annotations

import hashlib
import os
import time

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from engine import Actor, Member
from engine.audit import record
from engine.check import check, repair
from engine.events import row_hash
from engine.files import STALE_AFTER
from engine.models import Case, Event
from engine.personal_data import erase_person, erasure_gate
from engine.scenarios import sample_file

from .test_cases import MENTOR, NOTARY, OPERATOR, W1, WORKERS, finish_welcome, open_group


def build_history(service, sessions, finish_erasure: bool = True) -> dict[str, int]:  # noqa: ANN001
    """Cases that went through every kind of operation, one person erased, an audited change."""
    group, v = open_group(service)
    v = service.tick(group, W1, v, "consent").version
    v = service.untick(group, W1, v, "consent").version
    v = finish_welcome(service, group, v)
    v = service.attach_document(group, OPERATOR, v, "plan", "old.pdf", sample_file("old.pdf", 300)).version
    first_doc = service.attach_document(group, OPERATOR, v, "plan", "plan.pdf", sample_file("p.pdf", 200))
    v = service.remove_document(group, OPERATOR, first_doc.version, first_doc.document_id).version
    v = service.submit_form(group, OPERATOR, v, {"viable": True}).version
    v = service.sign_off(group, MENTOR, v, "review", comment="solid plan by Anna Rossi").version
    v = service.advance(group, OPERATOR, v, "positive").version
    v = service.reopen(group, OPERATOR, v, "study", reason="the bank asked for a new plan").version
    v = service.sign_off(group, MENTOR, v, "review").version
    v = service.hold(group, OPERATOR, v, "waiting for the bank").version
    v = service.resume(group, OPERATOR, v, "the bank answered").version
    v = service.advance(group, OPERATOR, v, "positive").version
    v = service.add_party(group, OPERATOR, v, "notary", "Studio Rossi", "Mario Rossi", email="rossi@notai.example").version
    receipt, token = service.send_signing_link(group, OPERATOR, v, 1, "notary_deed")
    v = service.decide_by_link(token, receipt.version, "request_changes", "The statute lacks article 5").version
    receipt, token = service.send_signing_link(group, OPERATOR, v, 1, "notary_deed")
    v = service.decide_by_link(token, receipt.version, "approve").version
    service.advance(group, OPERATOR, v, "constituted")

    alone, v = open_group(service, members=[Member("w9", "Piero Gialli")])
    v = finish_welcome(service, alone, v, members=[Member("w9", "Piero Gialli")])
    v = service.attach_document(alone, OPERATOR, v, "plan", "piero.pdf", sample_file("piero.pdf", 400)).version
    v = service.submit_form(alone, OPERATOR, v, {"viable": False}).version
    referred = service.advance(alone, OPERATOR, v, "negative").new_case_id

    switched, v = open_group(service, members=WORKERS[:1])
    v = service.submit_form(switched, OPERATOR, v, {"sector": "tourism"}).version
    service.switch_pathway(switched, OPERATOR, v, "solo", "prefers to go alone")
    withdrawn, v = open_group(service)
    service.withdraw(withdrawn, OPERATOR, v, "found a job")

    released: set[str] = set()
    began = time.time()
    with sessions.begin() as session:
        erase_person(session.connection(), "w9", actor_id="adm", released=released)
        record(session.connection(), subject_type="desk", subject_id="genova", type="desk_changed",
               actor_id="adm", actor_roles=["admin"], data={"name": "Sportello Genova"})
        record(session.connection(), subject_type="desk", subject_id="genova", type="desk_changed",
               actor_id="adm", actor_roles=["admin"], data={"name": "Sportello di Genova"})
    if finish_erasure:
        assert len(service.files.delete_unused(sessions.kw["bind"], released, since=began)) == 1
    return {"group": group, "alone": alone, "referred": referred, "switched": switched, "withdrawn": withdrawn}


def problems(sessions, files) -> list[str]:  # noqa: ANN001
    return [p.text("en") for p in check(sessions.kw["bind"], files).problems]


def assert_no_problems(sessions, files) -> None:  # noqa: ANN001
    """What every test that stresses the engine ends with: the stored state is what the logs say."""
    report = check(sessions.kw["bind"], files)
    assert report.problems == [], report.format("en")
    assert report.events > 0


def test_a_clean_history_checks_0_problems_and_every_event_is_chained(service, sessions, files):
    build_history(service, sessions)
    report = check(sessions.kw["bind"], files)
    assert report.problems == []
    assert report.format("en").endswith(": 0 problems")
    assert report.format("it").endswith("problemi: 0") and report.format("fr").endswith("problèmes : 0")
    assert report.cases == 6 and report.audit_entries == 2 and report.files == 2
    with sessions() as session:
        for case in session.scalars(select(Case)):
            events = list(session.scalars(select(Event).where(Event.case_id == case.id).order_by(Event.seq)))
            prev = ""
            for event in events:
                assert event.prev_hash == prev and event.hash == row_hash(event, prev)
                prev = event.hash
            assert len(prev) == 64 and events[-1].seq == case.version


def test_the_database_refuses_to_rewrite_or_remove_events_and_audit_entries(service, sessions):
    ids = build_history(service, sessions)
    statements = [
        f"UPDATE events SET data = '{{}}' WHERE case_id = {ids['group']} AND seq = 2",
        f"DELETE FROM events WHERE case_id = {ids['group']}",
        "UPDATE audit_log SET actor_id = 'someone else'",
        "DELETE FROM audit_log",
        f"DELETE FROM cases WHERE id = {ids['withdrawn']}",  # its events would go with it
    ]
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"):
            with sessions.begin() as session:
                session.execute(text(statement))
    with sessions() as session:
        assert session.scalar(text("SELECT count(*) FROM audit_log")) == 2
        assert session.scalar(text(f"SELECT count(*) FROM events WHERE case_id = {ids['group']}")) > 10
        assert session.scalar(text("SELECT count(*) FROM append_only_gate")) == 0


def test_the_gate_opens_only_inside_its_own_transaction(service, sessions, db_engine):
    ids = build_history(service, sessions)
    rewrite = text(f"UPDATE events SET actor_id = 'x' WHERE case_id = {ids['withdrawn']} AND seq = 1")
    with sessions.begin() as session:
        with erasure_gate(session.connection()):
            session.execute(rewrite)
            if db_engine.dialect.name == "postgresql":  # (SQLite lets one transaction write at a time)
                with db_engine.connect() as other, pytest.raises(DBAPIError, match="append-only"):
                    other.execute(text("DELETE FROM audit_log"))
        # Closed again before the transaction ends.
        assert session.scalar(text("SELECT count(*) FROM append_only_gate")) == 0
    with sessions() as session:
        assert session.scalar(text(f"SELECT actor_id FROM events WHERE case_id = {ids['withdrawn']} AND seq = 1")) \
            == "x"
    with pytest.raises(DBAPIError, match="append-only"):
        with sessions.begin() as session:
            session.execute(rewrite)


def test_erasure_rechains_what_it_rewrote_and_says_so(service, sessions, files):
    ids = build_history(service, sessions)
    with sessions() as session:
        erased = session.scalars(select(Event).where(Event.case_id == ids["alone"]).order_by(Event.seq)).all()
    assert erased[-1].type == "person_erased"
    data = erased[-1].data
    assert data["rewritten"] and set(data["rewritten"]) <= {e.seq for e in erased[:-1]}
    assert len(data["replaced_hash"]) == 64 and data["replaced_hash"] != erased[-2].hash
    assert data["forms_erased"] is True and len(data["removed_documents"]) == 1
    assert problems(sessions, files) == []


def test_state_changed_behind_the_engine_is_reported_where_it_is(service, sessions, files):
    ids = build_history(service, sessions)
    with sessions.begin() as session:
        session.execute(text(f"UPDATE cases SET stage_id = 'welcome', status = 'active' WHERE id = {ids['group']}"))
        session.execute(text(f"UPDATE form_data SET data = '{{\"viable\": false}}' "
                             f"WHERE case_id = {ids['group']} AND stage_id = 'study'"))
        session.execute(text(f"DELETE FROM checklist_ticks WHERE case_id = {ids['alone']}"))
        session.execute(text(f"UPDATE signoffs SET comment = 'forged' WHERE case_id = {ids['group']} "
                             f"AND signoff_id = 'notary_deed'"))
        session.execute(text(f"UPDATE case_documents SET removed_at = NULL WHERE case_id = {ids['group']}"))
    found = problems(sessions, files)
    group = f"case {ids['group']} (after event "
    assert any(p.startswith(group) and "stage_id is welcome, the events say deed" in p for p in found), found
    assert any(p.startswith(group) and "status is active, the events say closed" in p for p in found)
    assert any(p.startswith(group) and "form study" in p and '"viable": false' in p for p in found)
    assert any(p.startswith(group) and "signoff" in p and "forged" in p for p in found)
    assert any(p.startswith(group) and "(removed_by)" in p for p in found)
    assert any(p.startswith(f"case {ids['alone']} (after event ") and "checklist" in p for p in found)
    assert len(found) == 7, found  # stage, status, form, two sign-off rows, document, tick: nothing else


def test_an_event_rewritten_through_the_gate_is_found_by_its_hash(service, sessions, files):
    ids = build_history(service, sessions)
    with sessions.begin() as session, erasure_gate(session.connection()):
        session.execute(text(f"UPDATE events SET actor_id = 'men2' WHERE case_id = {ids['group']} AND seq = 5"))
    found = problems(sessions, files)
    assert f"case {ids['group']}, event 5: its content does not match its hash: the event was rewritten" in found
    # A forger who also recomputes that hash breaks the link to the next event.
    with sessions() as session:
        event = session.scalar(select(Event).where(Event.case_id == ids["group"], Event.seq == 5))
        forged = row_hash(event, event.prev_hash)
    with sessions.begin() as session, erasure_gate(session.connection()):
        session.execute(text(f"UPDATE events SET hash = '{forged}' WHERE case_id = {ids['group']} AND seq = 5"))
    found = problems(sessions, files)
    assert found[0].startswith(f"case {ids['group']}, event 6: its previous hash is not the hash"), found


def test_a_removed_event_and_a_rewritten_audit_entry_are_found(service, sessions, files):
    ids = build_history(service, sessions)
    with sessions.begin() as session, erasure_gate(session.connection()):
        session.execute(text(f"DELETE FROM events WHERE case_id = {ids['group']} AND seq = 3"))
        session.execute(text("UPDATE audit_log SET data = '{\"name\": \"Elsewhere\"}' WHERE seq = 2"))
    found = problems(sessions, files)
    assert found[:2] == [f"case {ids['group']}, event 4: out of sequence (expected number 3)",
                         f"case {ids['group']}, event 4: its previous hash is not the hash of the entry before it: "
                         "an entry was removed, inserted or rewritten"]
    assert "audit log desk genova, entry 2: its content does not match its hash: the entry was rewritten" in found


def test_a_missing_file_a_stray_file_and_a_stale_upload_are_found_and_repair_removes_only_leftovers(
        service, sessions, files):
    build_history(service, sessions)
    with sessions() as session:
        kept = session.execute(text("SELECT sha256 FROM case_documents WHERE removed_at IS NULL "
                                    "ORDER BY id LIMIT 1")).scalar()
    files.path_for(kept).unlink()
    long_ago = time.time() - STALE_AFTER - 60
    stray = files.put(b"bytes no row refers to")
    os.utime(files.path_for(stray), (long_ago, long_ago))
    young = files.put(b"an upload whose row is being written")  # not yet a problem: its row may follow
    leftover = files.path_for(stray).parent / ".upload-crashed"
    leftover.write_bytes(b"half a file")
    os.utime(leftover, (long_ago, long_ago))

    found = problems(sessions, files)
    assert found == [f"file {kept} (case_documents): a row refers to it but the file is missing",
                     f"file {stray} (-): stored, but no row refers to it",
                     f"temporary file {leftover}: left behind by a write that did not finish"]
    removed = repair(sessions.kw["bind"], files)
    assert sorted(removed) == sorted([str(leftover), str(files.path_for(stray))])
    assert files.exists(young) and not files.exists(stray) and not leftover.exists()
    assert problems(sessions, files) == [f"file {kept} (case_documents): a row refers to it but the file is missing"]


def test_a_write_sweeps_the_stale_temporary_files_of_its_directory(files):
    digest = files.put(b"first")
    long_ago = time.time() - STALE_AFTER - 60
    stale = files.path_for(digest).parent / ".upload-stale"
    fresh = files.path_for(digest).parent / ".upload-fresh"
    for path in (stale, fresh):
        path.write_bytes(b"x")
    os.utime(stale, (long_ago, long_ago))
    same_directory = next(b"x%d" % i for i in range(100000)
                          if files.path_for(hashlib.sha256(b"x%d" % i).hexdigest()).parent
                          == stale.parent)
    files.put(same_directory)
    assert not stale.exists() and fresh.exists()  # a write under way elsewhere keeps its file


def test_a_file_goes_only_after_the_erasure_commits_and_never_while_a_row_uses_it(service, sessions, files):
    case_id, v = open_group(service, members=[Member("w9", "Piero Gialli")])
    content = sample_file("piero.pdf", 400)
    v = finish_welcome(service, case_id, v, members=[Member("w9", "Piero Gialli")])
    service.attach_document(case_id, OPERATOR, v, "plan", "piero.pdf", content)
    sha = hashlib.sha256(content).hexdigest()
    began = time.time()
    released: set[str] = set()
    with pytest.raises(RuntimeError):
        with sessions.begin() as session:
            erase_person(session.connection(), "w9", actor_id="adm", released=released)
            raise RuntimeError("the erasure fails before it commits")
    assert files.delete_unused(sessions.kw["bind"], released, since=began) == []  # the rows are back
    assert files.exists(sha) and problems(sessions, files) == []
    released.clear()
    with sessions.begin() as session:
        erase_person(session.connection(), "w9", actor_id="adm", released=released)
    os.utime(files.path_for(sha))  # the same bytes uploaded again meanwhile
    assert files.delete_unused(sessions.kw["bind"], released, since=began) == []
    assert files.exists(sha)
    assert files.delete_unused(sessions.kw["bind"], released, since=time.time() + 1) == [sha]
    assert not files.exists(sha) and problems(sessions, files) == []


def test_upgrading_a_database_chains_the_events_written_before_and_keeps_every_row(service, sessions, files,
                                                                                    db_engine, db_url):
    from alembic import command

    from engine.db import alembic_config, upgrade

    build_history(service, sessions)
    with sessions() as session:
        before = {table: session.scalar(text(f"SELECT count(*) FROM {table}"))
                  for table in ("cases", "events", "case_members", "form_data", "case_documents")}
    db_engine.dispose()
    command.downgrade(alembic_config(db_url), "0011")
    upgrade(db_url)
    db_engine.dispose()
    with sessions() as session:
        assert {table: session.scalar(text(f"SELECT count(*) FROM {table}")) for table in before} == before
    assert problems(sessions, files) == []
    with pytest.raises(DBAPIError, match="append-only"):
        with sessions.begin() as session:
            session.execute(text("DELETE FROM events"))


def test_cases_migrated_to_another_revision_replay_to_their_rows(service, sessions, files, library, tmp_path):
    """A mapped migration moves the stage's rows to the new stage: the `migrated` event says enough to replay it."""
    from .test_revisions import DESIGNER, new_revision, rename_study

    case_id, v = open_group(service)
    v = finish_welcome(service, case_id, v)
    v = service.attach_document(case_id, OPERATOR, v, "plan", "plan.pdf", sample_file("plan.pdf", 300)).version
    v = service.submit_form(case_id, OPERATOR, v, {"viable": True}).version
    v = service.sign_off(case_id, MENTOR, v, "review").version
    new_id = new_revision(tmp_path, library, rename_study)
    v = service.migrate(case_id, DESIGNER, v, new_id, {"study": "feasibility"}).version
    service.tick(case_id, OPERATOR, v, "bank_met")
    assert problems(sessions, files) == []
    with sessions.begin() as session:  # the document left behind in the old stage: found
        session.execute(text(f"UPDATE case_documents SET stage_id = 'study' WHERE case_id = {case_id}"))
    assert [p for p in problems(sessions, files) if "(stage_id)" in p]


def test_a_gate_left_open_never_commits_on_postgresql_and_is_reported_on_sqlite(service, sessions, files,
                                                                                 db_engine):
    build_history(service, sessions)
    if db_engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="append_only_gate left open"):
            with sessions.begin() as session:
                session.execute(text("INSERT INTO append_only_gate (id) VALUES (1)"))
        assert problems(sessions, files) == []
    else:
        with sessions.begin() as session:
            session.execute(text("INSERT INTO append_only_gate (id) VALUES (1)"))
        assert problems(sessions, files)[0].startswith("database: the erasure gate was left open")


def test_the_file_of_an_erased_document_left_by_a_stopped_erasure_is_reported_and_repair_deletes_it(
        service, sessions, files):
    build_history(service, sessions, finish_erasure=False)  # as if the erasure had stopped after its commit
    with sessions() as session:
        erased = session.execute(text("SELECT sha256 FROM case_documents WHERE filename = '—'")).scalar()
    assert files.exists(erased)
    assert problems(sessions, files) == [f"file {erased} (case_documents): the file of an erased document is still "
                                         "stored (`opera check --repair` deletes it)"]
    assert repair(sessions.kw["bind"], files) == [str(files.path_for(erased))]
    assert not files.exists(erased) and problems(sessions, files) == []
