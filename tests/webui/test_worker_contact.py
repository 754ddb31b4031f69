"""A worker without e-mail or internet: the case's operator notes their e-mail and phone (an audit entry names
the fields, not the values); then the invitation can go; the phone is in the worker's data download."""
from __future__ import annotations

from sqlalchemy import select

from engine.models import AuditEntry
from tests.webui.conftest import PEOPLE, open_case
from tests.webui.test_notifications import smtp  # noqa: F401 - the SMTP server fixture
from webui.models import User
from webui.portal.personal_data import export_data


def test_the_operator_notes_an_offline_worker_s_e_mail_and_phone_then_invites_them(app, sessions, service,  # noqa: F811
                                                                                    as_role, smtp):
    case_id, _v = open_case(service)
    operator = as_role("operator")
    page = operator.get(f"/me/staff/cases/{case_id}/invite")
    assert page.status_code == 200 and "Change the e-mail or phone" in page.text
    saved = operator.post(f"/me/staff/cases/{case_id}/contact", {
        "person": "w.luca", "email": " Luca.Ferrari@Example.org ", "phone": "+39 010  555 1234"})
    assert saved.status_code == 302
    with sessions() as session:
        luca = session.get(User, "w.luca")
        assert (luca.email, luca.phone) == ("luca.ferrari@example.org", "+39 010 555 1234")
        entry = session.scalars(select(AuditEntry).where(AuditEntry.type == "contact_changed")).one()
        assert (entry.subject_id, entry.actor_id, entry.data) == ("w.luca", PEOPLE["operator"].id,
                                                                  {"fields": ["email", "phone"]})
        assert "555" not in str(entry.data)
        exported = export_data(session.connection(), "w.luca")
    assert exported["account"]["phone"] == "+39 010 555 1234"
    invited = operator.post(f"/me/staff/cases/{case_id}/invite", {"person": "w.luca"})
    assert invited.status_code == 302 and len(smtp.inbox.to("luca.ferrari@example.org")) == 1


def test_wrong_or_taken_contact_details_are_refused_and_what_was_typed_stays(app, sessions, service, as_role):
    case_id, _v = open_case(service)
    operator = as_role("operator")
    for typed, said in ((("not an address", ""), "Write a valid e-mail address"),
                        (("", "call me maybe"), "Write the phone number with digits"),
                        ((PEOPLE["operator"].email, ""), "is the e-mail of another account")):
        answer = operator.post(f"/me/staff/cases/{case_id}/contact", {
            "person": "w.sara", "email": typed[0], "phone": typed[1]})
        assert answer.status_code == 422 and said in answer.text
        assert f'value="{typed[0] or typed[1]}"' in answer.text
    with sessions() as session:
        sara = session.get(User, "w.sara")
        assert (sara.email, sara.phone) == (None, "")


def test_only_the_case_s_operators_note_the_contact_of_its_own_workers(app, sessions, service, as_role):
    case_id, _v = open_case(service)
    theirs, _v = open_case(service, desk="nice")
    operator = as_role("operator")
    assert operator.post(f"/me/staff/cases/{theirs}/contact", {"person": "w.luca", "email": "x@y.z"}
                         ).status_code == 404
    assert operator.post(f"/me/staff/cases/{case_id}/contact", {"person": PEOPLE["mentor"].id, "email": "x@y.z"}
                         ).status_code == 404  # not a worker of the case
    assert as_role("mentor").post(f"/me/staff/cases/{case_id}/contact", {"person": "w.luca", "email": "x@y.z"}
                                  ).status_code in (403, 404)
    with sessions() as session:
        assert session.get(User, "w.luca").email is None
