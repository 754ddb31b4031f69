"""A worker's data: exported whole, and erased so that nothing personal remains anywhere."""
from __future__ import annotations

import json
import time

import pytest

from sqlalchemy import select

from engine import Actor, ConflictError, Member
from engine.models import Base, Case, Event
from engine.personal_data import erase_person, export_person
from engine.queries import counts, timeline
from engine.scenarios import sample_file

from .test_cases import MENTOR, OPERATOR, open_group

ANNA = Member("w-anna", "Anna Rossi")
LUCA = Member("w-luca", "Luca Bianchi")
SECRET = "Saldatrice navale da 18 anni, figlia a carico"


def every_text(connection) -> str:  # noqa: ANN001
    """Every value of every engine table, as one text to search."""
    chunks = []
    for table in Base.metadata.sorted_tables:
        if table.name.startswith(("databank_", "users", "desk_memberships", "login_", "case_notes")):
            continue
        for row in connection.execute(select(table)):
            chunks.append(json.dumps([str(v) for v in row], ensure_ascii=False))
    return "\n".join(chunks)


def prepare(service):  # noqa: ANN001, ANN201
    anna = Actor.of("w-anna", ["worker"])
    alone, v = open_group(service, members=[ANNA])
    v = service.tick(alone, anna, v, "consent").version
    v = service.submit_form(alone, OPERATOR, v, {"sector": "nautical", "years": 18}).version
    v = service.advance(alone, OPERATOR, v, "continue").version
    v = service.attach_document(alone, anna, v, "plan", "piano-anna.pdf", sample_file("x.pdf", 900)).version
    v = service.submit_form(alone, OPERATOR, v, {"viable": True}).version
    service.sign_off(alone, MENTOR, v, "review", comment=f"Bene per {ANNA.display_name}")
    group, g = open_group(service, members=[ANNA, LUCA])
    g = service.tick(group, anna, g, "consent").version
    service.hold(group, OPERATOR, g, f"{ANNA.display_name} in ospedale")
    return alone, group


def test_export_gathers_every_case_event_form_and_document_of_the_person(service, sessions):
    alone, group = prepare(service)
    with sessions() as session:
        data = export_person(session.connection(), "w-anna").as_dict()
    assert [c["id"] for c in data["cases"]] == [alone, group]
    assert {e["type"] for e in data["events"]} >= {"case_opened", "item_ticked", "document_attached", "put_on_hold"}
    assert [d["filename"] for d in data["documents"]] == ["piano-anna.pdf"]
    assert json.dumps(data)  # plain JSON


def test_after_erasure_no_personal_field_or_file_remains_anywhere(service, sessions, files):
    alone, group = prepare(service)
    with sessions() as session:
        sha = export_person(session.connection(), "w-anna").documents[0]["sha256"]
    assert files.exists(sha)
    released: set[str] = set()
    began = time.time()
    with sessions.begin() as session:
        pseudonym = erase_person(session.connection(), "w-anna", actor_id="adm", released=released)
        assert files.exists(sha)  # the bytes go only once the erasure committed
    assert files.delete_unused(sessions.kw["bind"], released, since=began) == [sha]
    with sessions() as session:
        text = every_text(session.connection())
        for personal in ("w-anna", "Anna Rossi", "piano-anna.pdf"):
            assert personal not in text, personal
        assert "Luca Bianchi" in text  # the other member keeps their data
        assert pseudonym in text
        assert not files.exists(sha)
        # The anonymous structure stays: the same cases at the same stages, the whole event sequence.
        assert counts(session, status=None) == {("genova", "mini", "study"): 1, ("genova", "mini", "welcome"): 1}
        seqs = list(session.scalars(select(Event.seq).where(Event.case_id == alone).order_by(Event.seq)))
        assert seqs == list(range(1, len(seqs) + 1))
        assert timeline(session, alone, "it")[-1].text == (
            "I dati personali di una persona di questa pratica sono stati cancellati.")
        assert session.get(Case, group).title == "—, Luca Bianchi"


def test_erasure_keeps_a_file_someone_else_still_uses(service, sessions, files):
    alone, group = prepare(service)
    luca_case, v = open_group(service, members=[LUCA])
    v = service.tick(luca_case, Actor.of("w-luca", ["worker"]), v, "consent").version
    v = service.submit_form(luca_case, OPERATOR, v, {"sector": "tourism"}).version
    v = service.advance(luca_case, OPERATOR, v, "continue").version
    same_bytes = sample_file("x.pdf", 900)
    service.attach_document(luca_case, OPERATOR, v, "plan", "piano-luca.pdf", same_bytes)
    released: set[str] = set()
    began = time.time()
    with sessions.begin() as session:
        erase_person(session.connection(), "w-anna", actor_id="adm", released=released)
    import hashlib

    assert hashlib.sha256(same_bytes).hexdigest() in released
    assert files.delete_unused(sessions.kw["bind"], released, since=began) == []
    assert files.exists(hashlib.sha256(same_bytes).hexdigest())


def test_sex_and_year_of_birth_are_exported_and_erased(service, sessions, files):
    anna = Member("w-anna", "Anna Rossi", sex="female", birth_year=1968)
    luca = Member("w-luca", "Luca Bianchi", sex="male", birth_year=1975)
    case_id, _v = open_group(service, members=[anna, luca])
    with sessions() as session:
        data = export_person(session.connection(), "w-anna").as_dict()
    assert data["memberships"] == [{"case_id": case_id, "kind": "worker", "display_name": "Anna Rossi",
                                    "sex": "female", "birth_year": 1968}]
    assert json.dumps(data)
    with sessions.begin() as session:
        pseudonym = erase_person(session.connection(), "w-anna", actor_id="adm")
    from engine.models import CaseMember

    with sessions() as session:
        rows = {m.person_id: (m.sex, m.birth_year) for m in session.scalars(
            select(CaseMember).where(CaseMember.case_id == case_id, CaseMember.kind == "worker"))}
    assert rows == {pseudonym: (None, None), "w-luca": ("male", 1975)}  # the other member keeps theirs


def test_every_event_carries_its_cases_desk_whoever_writes_it(service, sessions, db_engine, db_url):
    """An event's desk is its case's, written with the event (opening, each step, a referral's new case, an
    erasure), so that a desk's news are found by desk; a database from before (migration 0039) gets the desks
    of the events it holds, through the append-only gate, which is closed again after."""
    from alembic import command
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from engine.db import alembic_config, upgrade

    from .test_cases import finish_welcome

    prepare(service)
    marc = Member("w-marc", "Marc Martin")
    elsewhere = service.open_case(Actor.of("op-nice", ["operator"], ["nice"]), pathway_id="mini", desk_id="nice",
                                  members=[marc], mentors=[Member("men1", "Marco Neri")])
    service.tick(elsewhere.case_id, Actor.of("w-marc", ["worker"]), elsewhere.version, "consent")
    referred, v = open_group(service, members=[LUCA])
    v = finish_welcome(service, referred, v, members=[LUCA])
    v = service.submit_form(referred, OPERATOR, v, {"viable": False}).version
    new_case = service.advance(referred, OPERATOR, v, "negative").new_case_id
    with sessions.begin() as session:
        erase_person(session.connection(), "w-anna", actor_id="adm")

    def desks_of_events() -> list[tuple[str, str | None, str]]:
        with sessions() as session:
            return [tuple(row) for row in session.execute(
                select(Event.type, Event.desk_id, Case.desk_id).join(Case, Case.id == Event.case_id).order_by(Event.id))]

    written = desks_of_events()
    assert {kind for kind, _e, _c in written} >= {
        "case_opened", "item_ticked", "form_submitted", "advanced", "document_attached", "signed_off",
        "put_on_hold", "person_erased", "closed"}, written
    assert {(kind, event_desk) for kind, event_desk, case_desk in written if event_desk != case_desk} == set()
    assert {case_desk for _k, _e, case_desk in written} == {"genova", "nice"}
    with sessions() as session:  # the referral's new case: its opening event too
        assert session.scalar(select(Event.desk_id).where(Event.case_id == new_case)) == "genova"

    db_engine.dispose()
    command.downgrade(alembic_config(db_url), "0038")
    with sessions() as session:
        assert "desk_id" not in session.execute(text("SELECT * FROM events")).keys()
    upgrade(db_url)
    db_engine.dispose()
    assert desks_of_events() == written
    with pytest.raises(DBAPIError, match="append-only"):
        with sessions.begin() as session:
            session.execute(text("UPDATE events SET desk_id = 'nice'"))


def test_erasing_someone_who_acted_on_a_case_they_are_not_part_of_changes_it_with_an_event(service, sessions):
    """Their ticks, forms and the cases they opened name them: the erasure rewrites those rows, and so each
    of those cases takes its next version with a `person_erased` event, like every change of a case (an
    operation checked on the rows as they were, elsewhere, then meets a conflict instead of acting on them)."""
    case_id, v = open_group(service)  # opened by the operator, who is not one of the case's people
    v = service.submit_form(case_id, OPERATOR, v, {"sector": "nautical", "years": 3}).version
    other, w = open_group(service, members=[ANNA])
    with sessions.begin() as session:
        erase_person(session.connection(), OPERATOR.id, actor_id="adm")
    with sessions() as session:
        for case, version in ((case_id, v), (other, w)):
            assert session.get(Case, case).version == version + 1
            last = session.scalars(select(Event).where(Event.case_id == case).order_by(Event.seq.desc())).first()
            assert last.type == "person_erased" and last.seq == version + 1
            assert OPERATOR.id not in json.dumps(last.data)
            assert session.get(Case, case).opened_by != OPERATOR.id
    with pytest.raises(ConflictError):
        service.tick(case_id, Actor.of("w1", ["worker"]), v, "consent")
    assert service.tick(case_id, Actor.of("w1", ["worker"]), v + 1, "consent").version == v + 2
