"""Erasure and retention: after erasing a worker no personal field or file remains anywhere (the event log
included), while the anonymous structure of the cases stays."""
from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import inspect, select, text, update

from engine.models import Case, CaseMember, Event, utcnow
from tests.engine.test_check import assert_no_problems
from tests.webui.conftest import PEOPLE
from tests.webui.test_notifications import smtp  # noqa: F401 - the SMTP server fixture
from tests.webui.test_portal import PDF, case_at
from webui.models import CaseNote, User
from webui.notifications.cli import notify
from webui.portal.personal_data import apply_retention

ANNA = PEOPLE["worker"]
# A file only Anna has: its bytes must go with her.
ANNA_PDF = PDF.replace(b"trailer", b"%anna\ntrailer")


def everything(sessions) -> str:  # noqa: ANN001
    """Every value of every table, as text (to look for what must not be there)."""
    out = []
    with sessions() as session:
        connection = session.connection()
        for table in inspect(connection).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                out.append(f"{table}: {tuple(row)}")
    return "\n".join(out)


def anna_everywhere(service, sessions, as_role, app):  # noqa: ANN001, ANN201
    """A group case where Anna consented, uploaded her CV, got notifications, was named in a note."""
    case_id, v = case_at(service, "data_consent")
    anna = as_role("worker")
    assert anna.post(f"/me/cases/{case_id}/checklist", data={"version": v, "item": "consent_personal_data"}
                     ).status_code == 302
    operator = PEOPLE["operator"].actor
    v = service.tick(case_id, operator, v + 1, "privacy_notice_given").version
    for member in ("w.luca", "w.sara"):
        v = service.tick(case_id, operator, v, "consent_personal_data", member=member).version
    v = service.submit_form(case_id, operator, v, {"consent_text_version": "v2.1", "consent_date": "2026-01-12"}).version
    v = service.advance(case_id, operator, v, "consent_recorded").version
    response = anna.post(f"/me/cases/{case_id}/documents", data={
        "version": v, "requirement": "cv", "file": (io.BytesIO(ANNA_PDF), "Anna Rossi CV.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    with sessions.begin() as session:
        session.add(CaseNote(case_id=case_id, kind="note", author_id="op.genova",
                             body="Anna Rossi asked about the lump sum"))
    assert as_role("operator").get(f"/cases/{case_id}").status_code == 200  # a staff view, logged
    notify(app)
    return case_id


def test_after_erasure_no_personal_field_or_file_of_the_worker_remains_anywhere(app, service, sessions, as_role,
                                                                                smtp, files):
    case_id = anna_everywhere(service, sessions, as_role, app)
    dump = everything(sessions)
    assert "Anna Rossi" in dump and ANNA.email in dump and "w.anna" in dump  # the test looks at the right place
    with sessions() as session:
        events_before = session.scalar(select(Event.seq).where(Event.case_id == case_id).order_by(Event.seq.desc()))
        sha = session.execute(text("SELECT sha256 FROM case_documents WHERE requirement_id = 'cv'")).scalar()
    assert files.exists(sha)

    admin = as_role("admin")
    page = admin.get("/me/staff/people/w.anna/erase")
    assert page.status_code == 200
    assert admin.post("/me/staff/people/w.anna/erase", data={"confirm": "wrong"}).status_code == 400
    assert admin.post("/me/staff/people/w.anna/erase", data={"confirm": "Anna Rossi"}).status_code == 302

    dump = everything(sessions)
    for personal in ("Anna Rossi", ANNA.email, "w.anna", "Anna Rossi CV.pdf"):
        assert personal not in dump, [line for line in dump.splitlines() if personal in line][:5]
    assert not files.exists(sha)
    # The anonymous structure stays: the case, its stage, its members count, its events (one more).
    with sessions() as session:
        case = session.get(Case, case_id)
        assert case.stage_id == "profile_skills"
        assert len([m for m in case.members if m.kind == "worker"]) == 3
        events = list(session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.seq)))
        assert events[-1].type == "person_erased" and events[-1].seq == events_before + 1
        assert session.get(User, "w.anna") is None
    # The others are untouched.
    assert "Luca Ferrari" in dump and "Giulia Parodi" in dump
    # The rewritten events are chained again and the rows are what the events say, files included.
    assert_no_problems(sessions, files)


def test_only_an_admin_erases_and_never_a_staff_account(as_role, people):
    assert as_role("operator").get("/me/staff/people/w.anna/erase").status_code == 403
    assert as_role("admin").get("/me/staff/people/op.genova/erase").status_code == 404


def test_retention_erases_the_workers_of_cases_closed_long_ago_and_old_messages(app, service, sessions, as_role,
                                                                                smtp, files):
    case_id = anna_everywhere(service, sessions, as_role, app)
    services = app.extensions["opera"]
    with services.engine.begin() as connection:
        report = apply_retention(connection, "retention", case_days=365)
    assert report.erased == []  # the case is still open
    long_ago = utcnow() - timedelta(days=400)
    with sessions.begin() as session:
        session.execute(update(Case).where(Case.id == case_id).values(status="closed", closed_at=long_ago,
                                                                      outcome="withdrawn"))
        session.execute(text("UPDATE outbox_messages SET created_at = :t"), {"t": long_ago})
    with services.engine.begin() as connection:
        report = apply_retention(connection, "retention", case_days=365, message_days=180)
    assert sorted(report.erased) == ["w.anna", "w.luca", "w.sara"]
    with sessions() as session:
        assert session.execute(text("SELECT count(*) FROM outbox_messages")).scalar() == 0
    dump = everything(sessions)
    assert "Anna Rossi" not in dump and "w.anna" not in dump and "Luca Ferrari" not in dump
    with sessions() as session:
        workers = session.scalars(select(CaseMember.person_id).where(CaseMember.case_id == case_id,
                                                                     CaseMember.kind == "worker"))
        assert all(person.startswith("erased-") for person in workers)
