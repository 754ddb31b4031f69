"""Changes around a case that are more than one engine call: new workers' accounts land with the case (or
neither does), notes and meetings write their row and one audit entry together."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from engine import EngineError, Member, audit
from engine.models import Case, Event
from tests.webui.conftest import PEOPLE, open_case
from webui.cases import operations
from webui.models import CaseNote, User


def count(sessions, model) -> int:  # noqa: ANN001
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def audit_entries(sessions, subject_type: str, subject_id) -> list:  # noqa: ANN001
    with sessions() as session:
        return audit.entries(session.connection(), subject_type, subject_id)


def typed(name: str, email: str = "") -> operations.TypedWorker:
    return operations.TypedWorker(name, email, None, "")


def new_account(app, name: str, email: str = "") -> tuple[Member, User]:  # noqa: ANN001
    with app.test_request_context(), app.extensions["opera"].sessions() as session:
        member, account, error = operations.worker_from(session, typed(name, email))
    assert error is None and account is not None
    return member, account


def test_opening_a_case_creates_the_new_workers_accounts_in_the_same_transaction(sessions, as_role):
    response = as_role("operator").post("/cases/new", data={
        "desk": "genova", "pathway": "startup", "workers-0-name": "Piero Neri",
        "workers-0-email": "piero@test.example"})
    assert response.status_code == 302, response.text
    case_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with sessions() as session:
        piero = session.scalar(select(User).where(User.email == "piero@test.example"))
        opened = session.scalar(select(Event).where(Event.case_id == case_id))
    assert piero is not None and piero.roles == ["worker"]
    assert opened.type == "case_opened" and opened.data["accounts_created"] == [piero.id]
    assert opened.data["members"] == [piero.id]


def test_an_account_taken_meanwhile_refuses_the_case_and_the_accounts(app, people, sessions):
    cases_before, users_before = count(sessions, Case), count(sessions, User)
    member, account = new_account(app, "Piero Neri", "piero@test.example")
    other_member, other_account = new_account(app, "Carla Blu")
    # Between reading the form and opening the case, another page gives Piero's e-mail to someone else.
    with sessions.begin() as session:
        session.add(User(id="w-other", email="piero@test.example", display_name="Someone else", roles=["worker"],
                         disabled=False, failed_logins=0))
    with app.test_request_context(), pytest.raises(operations.AccountTaken) as refused:
        operations.open_case(PEOPLE["operator"].actor, new_accounts=[account, other_account],
                             pathway_id="wbo", desk_id="genova", members=[member, other_member])
    assert "piero@test.example" in refused.value.emails
    assert count(sessions, Case) == cases_before
    assert count(sessions, User) == users_before + 1  # only the other page's account
    with sessions() as session:
        assert session.get(User, other_account.id) is None


def test_an_engine_refusal_creates_no_account(app, people, sessions):
    users_before = count(sessions, User)
    member, account = new_account(app, "Piero Neri")
    with app.test_request_context(), pytest.raises(EngineError):  # a WBO needs a group
        operations.open_case(PEOPLE["operator"].actor, new_accounts=[account], pathway_id="wbo", desk_id="genova",
                             members=[member])
    assert count(sessions, User) == users_before


def test_a_worker_joining_a_group_gets_an_account_in_the_same_transaction(app, service, sessions, as_role):
    case_id, v = open_case(service)
    member, account = new_account(app, "Marta Neri", "marta@test.example")
    with sessions.begin() as session:
        session.add(User(id="w-first", email="marta@test.example", display_name="Marta", roles=["worker"],
                         disabled=False, failed_logins=0))
    with app.test_request_context(), pytest.raises(operations.AccountTaken):
        operations.add_worker(PEOPLE["operator"].actor, case_id, v, member, account)
    with sessions() as session:
        case = session.get(Case, case_id)
        assert case.version == v and member.person_id not in [m.person_id for m in case.members]
        assert session.get(User, account.id) is None

    assert as_role("operator").post(f"/cases/{case_id}/members", data={
        "version": v, "name": "Luisa Gialli", "email": "luisa@test.example"}).status_code == 302
    with sessions() as session:
        luisa = session.scalar(select(User).where(User.email == "luisa@test.example"))
        changed = session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.seq.desc())).first()
    assert changed.type == "members_changed" and changed.data["accounts_created"] == [luisa.id]
    assert changed.data["added"] == [luisa.id]


def test_a_note_and_a_meeting_each_write_one_audit_entry_about_the_case(service, sessions, as_role):
    case_id, v = open_case(service)
    operator = as_role("operator")
    assert operator.post(f"/cases/{case_id}/notes", data={"version": v, "body": "Called Anna"}).status_code == 302
    assert operator.post(f"/cases/{case_id}/meetings", data={"version": v, "date": "2026-03-02", "time": "10:30",
                                                             "place": "Sportello", "body": "Plan"}).status_code == 302
    with sessions() as session:
        notes = list(session.scalars(select(CaseNote).where(CaseNote.case_id == case_id).order_by(CaseNote.id)))
    entries = audit_entries(sessions, "case", case_id)
    assert [(e.type, e.data["note"], e.actor_id) for e in entries] == [
        ("note_added", notes[0].id, PEOPLE["operator"].id), ("meeting_recorded", notes[1].id, PEOPLE["operator"].id)]
    assert all("Called Anna" not in str(e.data) for e in entries)  # the text stays in the note, erasable


def test_a_refused_note_writes_no_audit_entry(app, people, sessions):
    with app.test_request_context(), pytest.raises(IntegrityError):  # no such case
        operations.add_meeting(operations.services().sessions, PEOPLE["operator"].actor, 999,
                               datetime(2026, 3, 2, tzinfo=timezone.utc), "Sportello", "Lost")
    assert count(sessions, CaseNote) == 0
    assert audit_entries(sessions, "case", 999) == []
