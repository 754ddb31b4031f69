"""The JSON API around a case's stage: documents (list, download, remove), unticking, members and mentors,
notes and meetings, closing with an outcome; the pathways' stored revisions; changing or switching off a
webhook from the admin page."""
from __future__ import annotations

from flask_babel import force_locale, gettext
from sqlalchemy import select

from engine.models import AuditEntry, Case, PathwayRevision
from engine.scenarios import sample_file
from tests.webui.conftest import PEOPLE, WORKERS, open_case
from tests.webui.test_api import Api, make_token
from tests.webui.test_api_webhooks import Partner, register
from webui.api.models import WebhookDelivery, WebhookEndpoint
from webui.notifications.cli import notify


def _at_consent(service) -> tuple[int, int]:  # noqa: ANN001
    """A case at the stage that asks for the workers' signed consent (a document)."""
    case_id, version = open_case(service)
    operator = PEOPLE["operator"].actor
    for item in ("interview_held", "service_explained"):
        version = service.tick(case_id, operator, version, item).version
    version = service.submit_form(case_id, operator, version, {"interview_date": "2026-01-10",
                                                               "employment_status": "at_risk"}).version
    return case_id, service.advance(case_id, operator, version, "interview_done").version


def _upload(api: Api, case_id: int, version: int, content: bytes):  # noqa: ANN201
    return api.client.post(f"/api/v1/cases/{case_id}/documents", content_type="multipart/form-data",
                           headers={**api.headers, "If-Match": f'"{version}"'},
                           data={"requirement": "signed_consent", "file": (__import__("io").BytesIO(content),
                                                                           "consenso.pdf")})


def test_documents_are_listed_downloaded_and_removed_with_the_case_version(app, people, sessions, service):  # noqa: ANN001
    api = Api(app.test_client(), make_token(sessions))
    case_id, version = _at_consent(service)
    content = sample_file("consenso.pdf", 800)
    uploaded = _upload(api, case_id, version, content)
    assert uploaded.status_code == 200, uploaded.get_json()
    document_id, version = uploaded.get_json()["document_id"], uploaded.get_json()["version"]
    listed = api.get(f"/cases/{case_id}/documents").get_json()["documents"]
    assert [(d["id"], d["requirement"], d["filename"], d["size"]) for d in listed] == [
        (document_id, "signed_consent", "consenso.pdf", len(content))]
    download = api.get(f"/cases/{case_id}/documents/{document_id}")
    assert download.status_code == 200 and download.data == content
    stale = api.delete(f"/cases/{case_id}/documents/{document_id}", version=version - 1)
    assert stale.status_code == 409 and stale.get_json()["current_version"] == version
    removed = api.delete(f"/cases/{case_id}/documents/{document_id}", version=version)
    assert removed.status_code == 200 and removed.get_json()["event_type"] == "document_removed"
    assert api.get(f"/cases/{case_id}/documents").get_json()["documents"] == []
    assert api.get(f"/cases/{case_id}/documents/{document_id}").status_code == 404
    assert api.get(f"/cases/{case_id}/documents/{2**40}").status_code == 404


def test_untick_members_and_mentors_go_through_the_engine(app, people, sessions, service):  # noqa: ANN001
    api = Api(app.test_client(), make_token(sessions))
    case_id, version = open_case(service, mentor=None)
    version = api.post(f"/cases/{case_id}/ticks", {"item": "interview_held"}, version=version).get_json()["version"]
    unticked = api.post(f"/cases/{case_id}/untick", {"item": "interview_held"}, version=version)
    assert unticked.status_code == 200 and unticked.get_json()["event_type"] == "item_unticked"
    version = unticked.get_json()["version"]
    detail = api.get(f"/cases/{case_id}").get_json()
    assert next(r for r in detail["stage"]["requirements"] if r["id"] == "interview_held")["met"] is False

    added = api.post(f"/cases/{case_id}/members", {"add": [{"person_id": "w.nuova", "display_name": "Nuova"}]},
                     version=version)
    assert added.status_code == 200, added.get_json()
    version = added.get_json()["version"]
    members = {m["person_id"] for m in api.get(f"/cases/{case_id}").get_json()["members"]}
    assert "w.nuova" in members
    removed = api.post(f"/cases/{case_id}/members", {"remove": ["w.nuova"]}, version=version)
    assert removed.status_code == 200
    version = removed.get_json()["version"]

    not_a_mentor = api.post(f"/cases/{case_id}/mentors", {"mentor": PEOPLE["designer"].id}, version=version,
                            headers={"Accept-Language": "it"})
    assert not_a_mentor.status_code == 422 and not_a_mentor.get_json()["code"] == "not_a_mentor"
    with app.test_request_context(), force_locale("it"):
        in_italian = gettext("Choose a mentor.")
    assert not_a_mentor.get_json()["detail"] == in_italian != "Choose a mentor."
    assigned = api.post(f"/cases/{case_id}/mentors", {"mentor": PEOPLE["mentor"].id}, version=version)
    assert assigned.status_code == 200, assigned.get_json()
    mentors = [m for m in api.get(f"/cases/{case_id}").get_json()["members"] if m["kind"] == "mentor"]
    assert [m["person_id"] for m in mentors] == [PEOPLE["mentor"].id]


def test_notes_and_meetings_are_written_with_their_audit_entry(app, people, sessions, service):  # noqa: ANN001
    api = Api(app.test_client(), make_token(sessions))
    case_id, version = open_case(service)
    note = api.post(f"/cases/{case_id}/notes", {"body": "Telefonata con il sindacato."})
    assert note.status_code == 201 and note.get_json()["kind"] == "note"
    meeting = api.post(f"/cases/{case_id}/notes", {"kind": "meeting", "meeting_at": "2026-03-02T09:30:00+01:00",
                                                   "place": "Sportello di Genova", "body": ""})
    assert meeting.status_code == 201, meeting.get_json()
    no_time = api.post(f"/cases/{case_id}/notes", {"kind": "meeting", "place": "?"})
    assert no_time.status_code == 422 and no_time.get_json()["code"] == "meeting_without_time"
    empty = api.post(f"/cases/{case_id}/notes", {"body": "  "})
    assert empty.status_code == 422 and empty.get_json()["code"] == "empty_note"
    notes = api.get(f"/cases/{case_id}/notes").get_json()["notes"]
    assert [(n["kind"], n["body"], n["place"]) for n in notes] == [
        ("note", "Telefonata con il sindacato.", None), ("meeting", "", "Sportello di Genova")]
    assert notes[1]["meeting_at"].startswith("2026-03-02T08:30:00")  # kept in UTC
    assert api.get(f"/cases/{case_id}").get_json()["version"] == version  # beside the case, not a change of it
    with sessions() as session:
        entries = session.scalars(select(AuditEntry.type).where(AuditEntry.subject_type == "case",
                                                                AuditEntry.subject_id == str(case_id))).all()
    assert sorted(entries) == ["meeting_recorded", "note_added"]


def test_a_case_closes_with_an_outcome_and_the_jobs(app, people, sessions, service):  # noqa: ANN001
    api = Api(app.test_client(), make_token(sessions))
    case_id, version = open_case(service)
    unknown = api.post(f"/cases/{case_id}/close", {"outcome": "nothing_like_it", "reason": "r"}, version=version)
    assert unknown.status_code == 422 and unknown.get_json()["code"] == "unknown_outcome"
    with sessions() as session:
        outcome = service.library.revision(session.get(Case, case_id).revision_id).pathway.outcomes
    closed = api.post(f"/cases/{case_id}/close", {"outcome": next(iter(outcome)), "reason": "Accordo raggiunto",
                                                  "jobs_created": 3, "jobs_kept": 2}, version=version)
    assert closed.status_code == 200, closed.get_json()
    assert api.get(f"/cases/{case_id}").get_json()["status"] == "closed"
    last = api.get(f"/cases/{case_id}/timeline").get_json()["events"][-1]
    assert last["type"] == "closed" and (last["data"]["jobs_created"], last["data"]["jobs_kept"]) == (3, 2)


def test_stored_revisions_read_with_their_text_and_which_is_active(app, people, sessions, service):  # noqa: ANN001
    api = Api(app.test_client(), make_token(sessions))
    case_id, _v = open_case(service)
    with sessions() as session:
        revision = session.get(PathwayRevision, session.get(Case, case_id).revision_id)
        text = revision.source_text
    listed = api.get("/pathways/wbo/revisions").get_json()["revisions"]
    assert [(r["id"], r["active"]) for r in listed if r["id"] == revision.id] == [(revision.id, True)]
    one = api.get(f"/pathway-revisions/{revision.id}").get_json()
    assert one["source_text"] == text and one["document"]["id"] == "wbo" and one["pathway_id"] == "wbo"
    assert api.get("/pathways/no_such/revisions").status_code == 404
    assert api.get("/pathway-revisions/999999").status_code == 404
    assert api.get(f"/pathway-revisions/{2**40}").status_code == 404
    mentor = Api(app.test_client(), make_token(sessions, "mentor"))
    assert mentor.get(f"/pathway-revisions/{revision.id}").status_code == 403


def test_an_admin_changes_a_webhook_or_switches_it_off(app, people, sessions, service, as_role):  # noqa: ANN001
    partner = Partner()
    try:
        register(sessions, partner, ["case_opened"])
        with sessions() as session:
            endpoint_id = session.scalars(select(WebhookEndpoint.id)).one()
        admin = as_role("admin")
        page = admin.get(f"/admin/integrations/webhooks/{endpoint_id}")
        assert page.status_code == 200 and 'name="active"' in page.text
        bad = admin.post(f"/admin/integrations/webhooks/{endpoint_id}", {"url": "ftp://x", "event_types": "*"})
        assert bad.status_code == 400
        off = admin.post(f"/admin/integrations/webhooks/{endpoint_id}",
                         {"url": partner.url, "event_types": "case_opened put_on_hold", "desks": ["genova"]})
        assert off.status_code == 302
        case_id, version = open_case(service)
        assert notify(app).webhooks == 0 and partner.received == []  # switched off: nothing queued
        admin.post(f"/admin/integrations/webhooks/{endpoint_id}",
                   {"url": partner.url, "event_types": "case_opened put_on_hold", "desks": ["genova"],
                    "active": "on"})
        service.hold(case_id, PEOPLE["operator"].actor, version, "attesa")
        open_case(service, desk="nice")  # another desk: no longer this partner's
        notify(app)
        assert [p["event"]["type"] for p, _b, _s in partner.received] == ["put_on_hold"]
        with sessions() as session:
            endpoint = session.get(WebhookEndpoint, endpoint_id)
            assert (endpoint.active, endpoint.desk_ids, endpoint.event_types) == (
                True, ["genova"], ["case_opened", "put_on_hold"])
            changes = session.scalars(select(AuditEntry).where(AuditEntry.type == "webhook_changed")
                                      .order_by(AuditEntry.seq)).all()
            assert [sorted(c.data["changes"]) for c in changes] == [["active", "desk_ids", "event_types"],
                                                                     ["active"]]
            assert session.scalars(select(WebhookDelivery)).all()[0].event_type == "put_on_hold"
        assert admin.get("/admin/integrations/webhooks/999999").status_code == 404
        operator = as_role("operator")
        assert operator.post(f"/admin/integrations/webhooks/{endpoint_id}",
                             {"url": partner.url, "event_types": "*"}).status_code in (403, 404)
    finally:
        partner.close()


def test_an_operator_asks_a_mentor_for_a_sign_off_through_the_api(app, people, sessions, service):  # noqa: ANN001
    from tests.webui.test_signoffs_and_reopen import at_diagnosis

    api = Api(app.test_client(), make_token(sessions))
    case_id, version = at_diagnosis(service)
    refused = api.post(f"/cases/{case_id}/signoff-requests",
                       {"signoff": "diagnosis_signoff", "person": PEOPLE["other_mentor"].id}, version=version)
    assert refused.status_code == 422 and refused.content_type == "application/problem+json"
    asked = api.post(f"/cases/{case_id}/signoff-requests",
                     {"signoff": "diagnosis_signoff", "person": PEOPLE["mentor"].id, "note": "Pronto"},
                     version=version)
    assert asked.status_code == 200 and asked.get_json()["event_type"] == "signoff_requested"
    last = api.get(f"/cases/{case_id}/timeline").get_json()["events"][-1]
    assert (last["data"]["person"], last["data"]["note"]) == (PEOPLE["mentor"].id, "Pronto")
    mentor = Api(app.test_client(), make_token(sessions, "mentor"))
    again = mentor.post(f"/cases/{case_id}/signoff-requests",
                        {"signoff": "diagnosis_signoff", "person": PEOPLE["mentor"].id}, version=version + 1)
    assert again.status_code == 403  # a mentor does not ask


def test_parties_are_added_sent_a_signing_link_recorded_on_paper_and_removed(app, people, sessions, service):  # noqa: ANN001
    from webui.notifications.models import OutboxMessage

    api = Api(app.test_client(), make_token(sessions))
    opened = service.open_case(PEOPLE["operator"].actor, pathway_id="startup", desk_id="genova",
                               members=[WORKERS[0]], at="legal_form_financing")
    case_id, version = opened.case_id, opened.version
    unknown = api.post(f"/cases/{case_id}/parties", {"role": "notary", "organisation": "Studio", "name": "X"},
                       version=version)
    assert unknown.status_code == 422 and unknown.get_json()["code"] == "party_role_unknown"
    added = api.post(f"/cases/{case_id}/parties", {"role": "financing_body", "organisation": "Banca Carige",
                                                   "name": "Paola Verdi", "email": "Paola@Carige.example",
                                                   "language": "it"}, version=version)
    assert added.status_code == 200, added.get_json()
    version = added.get_json()["version"]
    [party] = api.get(f"/cases/{case_id}/parties").get_json()["parties"]
    assert (party["role"], party["organisation"], party["email"], party["language"]) == (
        "financing_body", "Banca Carige", "paola@carige.example", "it")
    sent = api.post(f"/cases/{case_id}/signing-links", {"party": party["id"], "signoff": "financing_confirmed"},
                    version=version)
    assert sent.status_code == 200, sent.get_json()
    version = sent.get_json()["version"]
    assert "token" not in sent.get_json()  # the link goes only by e-mail
    with sessions() as session:
        [mail] = session.query(OutboxMessage).filter_by(kind="signing_link").all()
        assert mail.email == "paola@carige.example" and "/sign/" in mail.link and mail.language == "it"
    scan = sample_file("delibera.pdf", 2000)
    paper = api.client.post(f"/api/v1/cases/{case_id}/paper", content_type="multipart/form-data",
                            headers={**api.headers, "If-Match": f'"{version}"'},
                            data={"requirement": "financing_confirmed", "party": str(party["id"]),
                                  "evidence": (__import__("io").BytesIO(scan), "delibera.pdf")})
    assert paper.status_code == 200, paper.get_json()
    version = paper.get_json()["version"]
    last = api.get(f"/cases/{case_id}/timeline").get_json()["events"][-1]
    assert last["type"] == "signed_off" and last["data"]["recorded_by"] == PEOPLE["operator"].id
    removed = api.delete(f"/cases/{case_id}/parties/{party['id']}", version=version)
    assert removed.status_code == 200 and api.get(f"/cases/{case_id}/parties").get_json()["parties"] == []
