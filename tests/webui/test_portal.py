"""The worker portal: my pathway page, acting on what the pathway asks of workers, and nothing of anyone else."""
from __future__ import annotations

import io
import json
import random
import re
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from engine import policy
from engine.models import Case, CaseDocument, Event, utcnow
from tests.webui.conftest import (
    PASSWORD, PEOPLE, TEST_PASSWORD_METHOD, WORKERS, Browser, Person, open_case,
)
from tests.webui.test_case_page import INTAKE_EXITS
from webui.models import CaseNote, User
from webui.portal.models import ConsentRecord, StaffAccessLog

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MARCO = Person("w.marco", "marco@test.example", "Marco Bianchi", ("worker",))


def walk(service, case_id: int, v: int, exits: list[str], desk: str = "genova") -> int:  # noqa: ANN001
    """Drive a case with the engine through exits (as the demo does)."""
    from webui.demo import Builder, DemoClock

    builder = Builder(service, service.session_factory, DemoClock(utcnow()), random.Random(1))
    operator = PEOPLE["operator" if desk == "genova" else "other_operator"].actor
    for exit_id in exits:
        v = builder.complete(case_id, v, exit_id, operator, PEOPLE["mentor"].actor, {})
    return v


def case_at(service, stage: str, members=None, desk: str = "genova", pathway: str = "wbo"  # noqa: ANN001
            ) -> tuple[int, int]:
    case_id, v = open_case(service, pathway=pathway, members=members, desk=desk)
    exits = {"first_interview": [], "data_consent": INTAKE_EXITS[:1], "profile_skills": INTAKE_EXITS[:2],
             "group_formation": INTAKE_EXITS + ["branch_viable"]}[stage]
    return case_id, walk(service, case_id, v, exits, desk)


def add_worker(sessions, person: Person = MARCO, password: str | None = PASSWORD) -> None:  # noqa: ANN001
    with sessions.begin() as session:
        session.add(User(id=person.id, email=person.email, display_name=person.name,
                         password_hash=generate_password_hash(password, method=TEST_PASSWORD_METHOD) if password else None,
                         roles=["worker"], language="en", disabled=False, failed_logins=0))


def login(app, person: Person) -> Browser:  # noqa: ANN001
    browser = Browser(app.test_client())
    assert browser.login(person).status_code == 302
    return browser


def event_list(sessions, case_id: int) -> list[tuple[str, str]]:  # noqa: ANN001
    with sessions() as session:
        return [(e.type, e.actor_id) for e in session.scalars(
            select(Event).where(Event.case_id == case_id).order_by(Event.seq))]


def test_a_worker_is_taken_to_their_pathway_and_sees_the_progress_with_the_stage_names(service, as_role):
    case_id, _v = case_at(service, "data_consent")
    worker = as_role("worker")
    assert worker.get("/").headers["Location"].endswith("/me/")
    assert worker.get("/me/").headers["Location"].endswith(f"/me/cases/{case_id}")
    html = worker.get(f"/me/cases/{case_id}").text
    assert re.search(r"Step 2 of \d+: Consent to personal data processing", html)
    assert "First interview" in html and "you are here" in html and "<progress" in html
    assert "We read the privacy notice together." in html  # the stage's guidance, from the pathway file
    assert "Giulia Parodi" in html and "op@genova.example" in html  # my adviser, with contacts
    assert "Elena Rossi" in html and "rossi@test.example" in html  # my mentor
    assert "This step should be completed by" in html
    assert '<a href="/me/" aria-current="page">My pathway</a>' in html  # the workers' link in the navigation
    assert '<a href="/databank/me">My professional profile</a>' in html  # and to their databank profile


def test_the_page_is_in_the_workers_language(service, as_role, sessions):
    case_id, _v = case_at(service, "data_consent")
    with sessions.begin() as session:
        session.get(User, "w.anna").language = "it"
    html = as_role("worker").get(f"/me/cases/{case_id}").text
    assert "Consenso al trattamento dei dati personali" in html
    assert "Acconsento al trattamento dei miei dati personali" in html


def test_a_worker_sees_only_the_requirements_the_pathway_gives_workers(service, as_role):
    case_id, _v = case_at(service, "data_consent")
    html = as_role("worker").get(f"/me/cases/{case_id}").text
    todo = html.split('id="todo"')[1].split('id="desk-title"')[0]
    assert "I consent to the processing of my personal data" in todo
    assert "Signed consent form" in todo
    assert "Privacy notice handed over" not in todo  # the operator's item
    assert "What the help desk is doing" in html and "Privacy notice handed over and explained" in html


def test_a_worker_ticks_their_consent_as_themselves_and_the_consent_text_is_recorded(service, as_role, sessions):
    case_id, v = case_at(service, "data_consent")
    worker = as_role("worker")
    response = worker.post(f"/me/cases/{case_id}/checklist", data={"version": v, "item": "consent_personal_data"})
    assert response.status_code == 302
    assert event_list(sessions, case_id)[-1] == ("item_ticked", "w.anna")
    with sessions() as session:
        event = session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.seq.desc())).first()
        assert event.data["member"] == "w.anna"
        consent = session.scalar(select(ConsentRecord).where(ConsentRecord.person_id == "w.anna"))
        assert consent is not None and consent.text_version and len(consent.text_sha256) == 64
        assert event.data["consent_record"] == consent.id  # one operation: the tick's event names the record
    html = worker.get(f"/me/cases/{case_id}").text
    assert "Still to do it in your group: Luca Ferrari, Sara Verdi" in html


def test_a_refused_consent_tick_records_no_consent(service, as_role, sessions):
    case_id, v = case_at(service, "data_consent")
    worker = as_role("worker")
    stale = worker.post(f"/me/cases/{case_id}/checklist", data={"version": v - 1, "item": "consent_personal_data"})
    assert stale.status_code == 409
    service.tick(case_id, PEOPLE["operator"].actor, v, "consent_personal_data", member="w.anna")
    again = worker.post(f"/me/cases/{case_id}/checklist", data={"version": v + 1, "item": "consent_personal_data"})
    assert again.status_code == 422  # already ticked: the engine refuses after the case is claimed
    with sessions() as session:
        assert session.scalar(select(ConsentRecord).where(ConsentRecord.person_id == "w.anna")) is None


def test_a_worker_cannot_act_on_a_requirement_of_another_role(service, as_role, sessions):
    case_id, v = case_at(service, "data_consent")
    before = event_list(sessions, case_id)
    response = as_role("worker").post(f"/me/cases/{case_id}/checklist",
                                      data={"version": v, "item": "privacy_notice_given"})
    assert response.status_code == 403
    assert event_list(sessions, case_id) == before


def test_a_worker_cannot_tick_for_another_member(service, as_role, sessions):
    case_id, v = case_at(service, "data_consent")
    as_role("worker").post(f"/me/cases/{case_id}/checklist",
                           data={"version": v, "item": "consent_personal_data", "member": "w.luca"})
    with sessions() as session:
        event = session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.seq.desc())).first()
        assert event.data.get("member") == "w.anna"  # the engine ties a worker's tick to the worker


def test_a_worker_uploads_a_requested_document_and_fills_their_form(service, as_role, sessions):
    case_id, v = case_at(service, "profile_skills")
    worker = as_role("worker")
    response = worker.post(f"/me/cases/{case_id}/documents", data={
        "version": v, "requirement": "cv", "file": (io.BytesIO(PDF), "cv.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302
    assert event_list(sessions, case_id)[-1] == ("document_attached", "w.anna")
    html = worker.get(f"/me/cases/{case_id}").text
    assert "cv.pdf" in html
    refused = worker.post(f"/me/cases/{case_id}/documents", data={
        "version": v + 1, "requirement": "cv", "file": (io.BytesIO(b"MZ" + b"\0" * 100), "cv.exe")},
        content_type="multipart/form-data")
    assert refused.status_code == 422  # the same limits as for operators
    assert "id=\"task-form\"" in html and "Save my answers" in html


def test_internal_notes_never_reach_the_worker_but_meetings_do(service, as_role, sessions):
    case_id, _v = case_at(service, "data_consent")
    with sessions.begin() as session:
        session.add(CaseNote(case_id=case_id, kind="note", author_id="op.genova", body="Internal: tense talk"))
        session.add(CaseNote(case_id=case_id, kind="meeting", author_id="op.genova", body="Prepare the budget",
                             place="Via Roma 1, Genova", meeting_at=utcnow() + timedelta(days=3)))
    html = as_role("worker").get(f"/me/cases/{case_id}").text
    assert "Internal: tense talk" not in html
    assert "Via Roma 1, Genova" in html


def test_a_group_member_sees_the_shared_progress_but_not_the_others_documents(service, as_role, sessions, app):
    case_id, v = case_at(service, "group_formation")
    operator = PEOPLE["operator"].actor
    v = service.tick(case_id, operator, v, "member_consent", member="w.luca").version
    html = as_role("worker").get(f"/me/cases/{case_id}").text
    assert "Worker group formation" in html and "Luca Ferrari, Sara Verdi" in html
    assert "Still to do it in your group: Anna Rossi, Sara Verdi" in html  # Luca has given his consent
    # The profile stage's CV of Luca, uploaded for him: not Anna's business.
    with sessions() as session:
        from engine.models import CaseDocument
        rows = list(session.scalars(select(CaseDocument).where(CaseDocument.case_id == case_id)))
    for row in rows:
        if row.member_id not in ("", "w.anna"):
            assert as_role("worker").get(f"/me/cases/{case_id}/documents/{row.id}").status_code == 404


def test_staff_views_of_a_workers_case_are_logged_together_after_the_page(app, service, as_role, sessions):
    from webui.portal.access_log import staff_views

    case_id, _v = open_case(service)
    assert as_role("operator").get(f"/cases/{case_id}").status_code == 200
    assert as_role("operator").get(f"/cases/{case_id}").status_code == 200
    with sessions() as session:
        assert session.scalars(select(StaffAccessLog)).all() == []  # the page wrote nothing itself
    staff_views(app).write_pending()  # (or the log's own thread, if it was due: this waits for it)
    with sessions() as session:
        logged = [(r.staff_id, r.person_id) for r in session.scalars(select(StaffAccessLog))]
    assert sorted(logged) == sorted(("op.genova", w.person_id) for w in WORKERS for _view in range(2))
    assert staff_views(app).write_pending() == 0  # written once


def test_a_staff_view_is_logged_under_the_pseudonym_of_a_worker_erased_before_it_is_written(app, service, as_role,
                                                                                          sessions):
    from engine.models import CaseMember
    from webui.portal.access_log import staff_views
    from webui.portal.personal_data import erase_worker

    case_id, _v = open_case(service)
    assert as_role("operator").get(f"/cases/{case_id}").status_code == 200
    erased = WORKERS[0].person_id
    with app.extensions["opera"].engine.begin() as connection:
        pseudonym = erase_worker(connection, erased, "admin")
    staff_views(app).write_pending()
    with sessions() as session:
        logged = set(session.scalars(select(StaffAccessLog.person_id)))
        members = set(session.scalars(select(CaseMember.person_id).where(CaseMember.case_id == case_id,
                                                                        CaseMember.kind == "worker")))
    assert erased not in logged and pseudonym in logged and logged == members


def test_writing_the_staff_views_waits_for_a_write_of_them_already_under_way(app, service, as_role, sessions):
    """A flush (a test, the process's exit) must find the views in the database when it returns, even when
    the log's own writer took them a moment before and is still waiting for the write lock."""
    import threading

    from webui.portal.access_log import staff_views

    case_id, _v = open_case(service)
    views = staff_views(app)
    assert as_role("operator").get(f"/cases/{case_id}").status_code == 200  # (signing in writes: first)
    from engine.db import writing

    engine = app.extensions["opera"].engine
    blocker = writing(engine).connect()
    blocker.begin()  # on SQLite: BEGIN IMMEDIATE, the database's write lock
    if engine.dialect.name == "postgresql":
        blocker.exec_driver_sql("LOCK TABLE staff_access_log IN EXCLUSIVE MODE")
    try:
        first = threading.Thread(target=views.write_pending)  # takes the views, then waits for the lock
        first.start()
        first.join(0.5)
        assert first.is_alive()
        second = threading.Thread(target=views.write_pending)
        second.start()
        second.join(0.3)
        assert second.is_alive()  # waits for the first write, though nothing is left for it to take
    finally:
        blocker.rollback()
        blocker.close()
    first.join(10)
    second.join(10)
    with sessions() as session:
        assert len(session.scalars(select(StaffAccessLog)).all()) == len(WORKERS)


def test_a_worker_downloads_all_their_data_as_a_zip(service, as_role, sessions):
    case_id, v = case_at(service, "profile_skills")
    worker = as_role("worker")
    worker.post(f"/me/cases/{case_id}/documents", data={
        "version": v, "requirement": "cv", "file": (io.BytesIO(PDF), "cv.pdf")}, content_type="multipart/form-data")
    response = worker.get("/me/my-data.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    data = json.loads(archive.read("data.json"))
    assert data["account"]["email"] == "anna@test.example" and "password_hash" not in data["account"]
    assert [c["id"] for c in data["cases"]] == [case_id]
    documents = [n for n in archive.namelist() if n.startswith("documents/")]
    assert any(n.endswith("cv.pdf") for n in documents)
    assert archive.read(next(n for n in documents if n.endswith("cv.pdf"))) == PDF


# --- who reaches what: the matrix --------------------------------------------------------------------

WORKER_PAGES = ["/me/cases/{case}", "/me/cases/{case}/questionnaire"]
WORKER_ACTIONS = ["/me/cases/{case}/checklist", "/me/cases/{case}/documents", "/me/cases/{case}/form",
                  "/me/cases/{case}/signoffs", "/me/cases/{case}/documents/{doc}/remove"]


@pytest.fixture
def two_cases(service, sessions, people):  # noqa: ANN001, ANN201
    """Anna's group case (with a document of hers) and Marco's own case at another desk (with his CV)."""
    add_worker(sessions)
    mine, v = case_at(service, "profile_skills")
    anna = PEOPLE["worker"].actor
    my_doc = service.attach_document(mine, anna, v, "cv", "anna.pdf", PDF).document_id
    theirs, v2 = case_at(service, "profile_skills", members=[MARCO.member], desk="nice",
                         pathway="startup")
    their_doc = service.attach_document(theirs, MARCO.actor, v2, "cv", "marco.pdf", PDF).document_id
    return {"mine": mine, "my_doc": my_doc, "theirs": theirs, "their_doc": their_doc}


def test_a_worker_never_reaches_another_workers_case_pages_documents_or_actions(app, two_cases, sessions):
    anna = login(app, PEOPLE["worker"])
    other = {"case": two_cases["theirs"], "doc": two_cases["their_doc"]}
    for url in WORKER_PAGES + ["/me/cases/{case}/documents/{doc}"]:
        assert anna.get(url.format(**other)).status_code == 404, url
    before = event_list(sessions, two_cases["theirs"])
    for url in WORKER_ACTIONS:
        assert anna.post(url.format(**other), data={"version": 99, "item": "x"}).status_code == 404, url
    assert event_list(sessions, two_cases["theirs"]) == before
    assert "Marco" not in anna.get("/me/notifications").text
    assert "marco.pdf" not in anna.get("/me/my-data.zip").data.decode("latin-1")
    # And Marco never reaches Anna's.
    marco = login(app, MARCO)
    assert marco.get(f"/me/cases/{two_cases['mine']}").status_code == 404
    assert marco.get(f"/me/cases/{two_cases['mine']}/documents/{two_cases['my_doc']}").status_code == 404


PORTAL_CASE_ROUTES = [  # method, url, what it is about
    ("GET", "/me/cases/{case}", "case"), ("GET", "/me/cases/{case}/questionnaire", "case"),
    ("GET", "/me/cases/{case}/documents/{doc}", "document"), ("POST", "/me/cases/{case}/checklist", "case"),
    ("POST", "/me/cases/{case}/documents", "case"), ("POST", "/me/cases/{case}/form", "case"),
    ("POST", "/me/cases/{case}/signoffs", "case"), ("POST", "/me/cases/{case}/questionnaire", "case"),
    ("POST", "/me/cases/{case}/documents/{doc}/remove", "document"),
]


def portal_expected(person: Person | None, case: Any, document: Any, about: str) -> str | int:
    """What the access policy says: 302 to log in, 403 without the portal's role, 404 for a case one does
    not follow or a document one may not see, else "ok"."""
    if person is None:
        return 302
    actor = person.actor
    if not policy.may_enter(actor, "portal"):
        return 403
    allowed = policy.may_follow_case(actor, case) if about == "case" else policy.may_see_document(actor, case, document)
    return "ok" if allowed else 404


def test_the_portal_gives_each_person_what_the_access_policy_says(app, two_cases, sessions):
    """Anna's case and Marco's, for every role: refusals (which change nothing) where the policy refuses, the
    page where it allows."""
    with sessions() as session:
        rows = {key: (session.get(Case, two_cases[key]), session.get(CaseDocument, two_cases[doc]))
                for key, doc in (("mine", "my_doc"), ("theirs", "their_doc"))}
        for case, _document in rows.values():
            list(case.members)
        session.expunge_all()
    people = {"anonymous": None, "anna": PEOPLE["worker"], "marco": MARCO,
              **{role: PEOPLE[role] for role in ("admin", "operator", "mentor", "designer")}}
    refused = 0
    for name, person in people.items():
        browser = login(app, person) if person is not None else Browser(app.test_client())
        for key, (case, document) in rows.items():
            before = event_list(sessions, case.id)
            for method, template, about in PORTAL_CASE_ROUTES:
                want = portal_expected(person, case, document, about)
                url = template.format(case=case.id, doc=document.id)
                if want == "ok":
                    if method == "GET" and "questionnaire" not in url:  # (no questionnaire at this stage)
                        assert browser.get(url).status_code == 200, (name, url)
                    continue
                response = browser.get(url) if method == "GET" else browser.post(url, data={"version": 99,
                                                                                            "item": "x"})
                assert response.status_code == want, (name, method, url, response.status_code)
                refused += 1
            assert event_list(sessions, case.id) == before, name
    assert refused > 0


def test_workers_never_reach_the_operators_pages(app, two_cases):
    anna = login(app, PEOPLE["worker"])
    for url in [f"/cases/{two_cases['mine']}", "/desks", "/admin/", "/mentor", "/designer/",
                f"/me/staff/cases/{two_cases['mine']}/invite", "/me/staff/people/w.marco/erase",
                f"/me/staff/cases/{two_cases['mine']}/consent-withdrawn"]:
        assert anna.get(url).status_code in (403, 404), url


@pytest.mark.parametrize("role", ["operator", "mentor", "admin", "designer"])
def test_staff_have_no_worker_pages(role, as_role, two_cases):
    browser = as_role(role)
    for url in WORKER_PAGES + ["/me/", "/me/my-data.zip", "/me/my-data/summary"]:
        assert browser.get(url.format(case=two_cases["mine"], doc=two_cases["my_doc"])).status_code == 403, url


def test_without_logging_in_the_portal_sends_to_the_login_page(app, two_cases):
    anonymous = app.test_client()
    for url in WORKER_PAGES + ["/me/", "/me/my-data.zip", "/me/my-data/summary", "/me/notifications"]:
        response = anonymous.get(url.format(case=two_cases["mine"], doc=two_cases["my_doc"]))
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_an_operator_of_another_desk_cannot_invite_the_workers_of_a_case(as_role, two_cases):
    assert as_role("other_operator").get(f"/me/staff/cases/{two_cases['mine']}/invite").status_code == 404
    assert as_role("operator").get(f"/me/staff/cases/{two_cases['mine']}/invite").status_code == 200


def test_a_worker_sees_their_own_progress_and_only_theirs(service, as_role, sessions):
    from tests.webui.test_case_page import reassessed_case

    case_id, _v = reassessed_case(service, sessions)
    html = as_role("worker").get(f"/me/cases/{case_id}").text
    assert "How my competences have changed" in html
    start = html.index('id="my-progress-title"')
    section = html[start:html.index("</section>", start)]
    assert section.count('class="bar-chart progress-chart"') == 1
    assert "Progress of Anna Rossi" in section and "Luca Ferrari" not in section
    assert "2.0 → 5.0 (+3.0)" in section  # into action, from 2 to 5
    assert '<tr><th scope="row">Into action</th><td>2</td><td>5</td><td>+3</td></tr>' in section


def test_no_progress_on_the_portal_with_only_an_intake(service, as_role):
    case_id, _v = case_at(service, "profile_skills")
    assert "How my competences have changed" not in as_role("worker").get(f"/me/cases/{case_id}").text


def test_the_worker_saves_then_sends_their_questionnaire_and_a_refusal_keeps_the_page(app, service, sessions,
                                                                                       as_role):  # noqa: ANN001
    from tests.webui.test_case_page import as_form_data
    from webui.cases.questionnaire import sample_answers

    case_id, v = open_case(service, pathway="startup", members=[PEOPLE["worker"].member])
    v = walk(service, case_id, v, INTAKE_EXITS[:3])
    with sessions() as session:
        assessment = service.assessments.revision(service.assessments.current_revision_id("entrecomp-intake", session))
    answers = sample_answers(assessment, seed=3)
    worker = as_role("worker")
    url = f"/me/cases/{case_id}/questionnaire"
    assert worker.get(url).status_code == 200
    saved = worker.post(url, data={"version": v, "action": "save",
                                   **as_form_data(assessment, dict(list(answers.items())[:3]))})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(url)
    refused = worker.post(url, data={"version": v, "action": "submit"})
    assert refused.status_code == 422 and "Some answers are missing or need to be corrected." in refused.text
    stale = worker.post(url, data={"version": v - 1, "action": "submit", **as_form_data(assessment, answers)})
    assert stale.status_code == 409 and "Your pathway changed in the meantime" in stale.text
    sent = worker.post(url, data={"version": v, "action": "submit", **as_form_data(assessment, answers)})
    assert sent.status_code == 302 and sent.headers["Location"].endswith(f"/me/cases/{case_id}")
    assert worker.get(url).status_code == 302  # sent answers are not answered again
