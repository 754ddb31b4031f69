"""The case page and the messages around sign-offs that count (asking a mentor, a lapsed sign-off told to its
signer), exits that tell the truth about the pathway they continue on, and reopening a closed case (page and
API)."""
from __future__ import annotations

from sqlalchemy import select

from engine import Member
from engine.models import Case, Event
from engine.scenarios import sample_file
from tests.webui.conftest import PEOPLE, open_case, version_of
from tests.webui.test_api import Api, make_token
from tests.webui.test_case_page import INTAKE_EXITS
from tests.webui.test_notifications import body, rows, smtp, subject  # noqa: F401  (smtp is a fixture)
from tests.webui.test_portal import walk
from webui.notifications.cli import notify

OPERATOR, MENTOR = PEOPLE["operator"], PEOPLE["mentor"]


def at_diagnosis(service):  # noqa: ANN001, ANN201
    case_id, v = open_case(service, title="Cantiere")
    return case_id, walk(service, case_id, v, INTAKE_EXITS)


def events(sessions, case_id: int) -> list[Event]:  # noqa: ANN001
    with sessions() as session:
        return list(session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.seq)))


def test_an_operator_asks_the_mentor_for_a_sign_off_and_the_mentor_gets_a_message(app, service, sessions, smtp,  # noqa: F811
                                                                                   as_role):
    case_id, _v = at_diagnosis(service)
    operator = as_role("operator")
    page = operator.get(f"/cases/{case_id}").text
    assert "Ask for this sign-off" in page
    # Someone who cannot give it is refused with the reason, nothing is written.
    answer = operator.post(f"/cases/{case_id}/signoffs/request", {
        "signoff": "diagnosis_signoff", "person": PEOPLE["other_mentor"].id, "version": version_of(page)})
    assert answer.status_code == 422 and "cannot be asked" in answer.text
    answer = operator.post(f"/cases/{case_id}/signoffs/request", {
        "signoff": "diagnosis_signoff", "person": MENTOR.id, "note": "The figures are in",
        "version": version_of(page)})
    assert answer.status_code == 302
    last = events(sessions, case_id)[-1]
    assert (last.type, last.actor_id, last.data["person"]) == ("signoff_requested", OPERATOR.id, MENTOR.id)
    assert "asked Elena Rossi for the sign-off" in operator.get(f"/cases/{case_id}").text  # the timeline
    notify(app)
    [mail] = [m for m in smtp.inbox.to(MENTOR.email) if "Your sign-off is asked" in subject(m)]
    assert "Crisis diagnosis" in subject(mail) or "diagnosis" in subject(mail).lower()
    assert "The figures are in" in body(mail) and f"https://opera.test/cases/{case_id}" in body(mail)
    # A mentor does not ask: the form is not on their page, and the action is refused.
    mentor = as_role("mentor")
    page = mentor.get(f"/cases/{case_id}").text
    assert "Ask for this sign-off" not in page
    answer = mentor.post(f"/cases/{case_id}/signoffs/request", {
        "signoff": "diagnosis_signoff", "person": MENTOR.id, "version": version_of(page)})
    assert answer.status_code in (403, 422)
    assert events(sessions, case_id)[-1].type == "signoff_requested"


def test_a_change_after_a_sign_off_makes_it_lapse_and_the_signer_is_told(app, service, sessions, smtp,  # noqa: F811
                                                                         as_role):
    case_id, v = at_diagnosis(service)
    op, mentor = OPERATOR.actor, MENTOR.actor
    v = service.tick(case_id, op, v, "firm_data_collected").version
    v = service.attach_document(case_id, op, v, "financial_statements", "bilanci.xlsx",
                                sample_file("bilanci.xlsx", 4000)).version
    figures = {"firm_name": "Cantiere Navale", "crisis_type": "insolvency", "employees_affected": 42,
               "perimeter": "Riparazioni", "branch_viable": True}
    v = service.submit_form(case_id, mentor, v, figures).version
    v = service.sign_off(case_id, mentor, v, "diagnosis_signoff").version
    notify(app)
    v = service.submit_form(case_id, op, v, {**figures, "employees_affected": 40}).version
    notify(app)
    [mail] = [m for m in smtp.inbox.to(MENTOR.email) if "no longer counts" in subject(m)]
    assert "changed after you gave the sign-off" in body(mail) and f"/cases/{case_id}" in body(mail)
    page = as_role("operator").get(f"/cases/{case_id}").text
    assert "Sign-offs that no longer count" in page
    assert "diagnosis_signoff" in {u.requirement for u in service.missing(case_id)["branch_viable"]}


def test_an_exit_to_a_pathway_that_would_not_take_the_group_is_shown_closed_with_the_reason(service, as_role):
    six = [Member(f"w.{n}", n.title()) for n in ("anna", "luca", "sara", "piero", "rita", "ugo")]
    case_id, v = open_case(service, members=six)
    v = walk(service, case_id, v, INTAKE_EXITS + ["branch_viable"])
    page = as_role("operator").get(f"/cases/{case_id}").text
    # The start-up pathway takes at most five founders: the exit towards it is disabled, saying why.
    assert 'name="exit" value="individual_route"' in page
    assert 'disabled aria-describedby="exit-individual_route-why"' in page
    assert "would not take this case" in page and "at most 5" in page


def test_an_operator_reopens_a_withdrawn_case_from_its_page(service, sessions, as_role):
    case_id, v = at_diagnosis(service)
    v = service.withdraw(case_id, OPERATOR.actor, v, "found a job").version
    operator = as_role("operator")
    page = operator.get(f"/cases/{case_id}").text
    assert "Reopen the case in its last stage: Crisis diagnosis" in page
    answer = operator.post(f"/cases/{case_id}/reopen", {"reason": " ", "version": version_of(page)})
    assert answer.status_code == 422
    answer = operator.post(f"/cases/{case_id}/reopen", {"reason": "the job offer fell through",
                                                         "version": version_of(page)})
    assert answer.status_code == 302
    with sessions() as session:
        case = session.get(Case, case_id)
        assert (case.status, case.outcome, case.stage_id) == ("active", None, "crisis_diagnosis")
    page = operator.get(f"/cases/{case_id}").text
    assert "Reopen the case in its last stage" not in page and "the job offer fell through" in page
    # A mentor sees a closed case without the action.
    v = service.withdraw(case_id, OPERATOR.actor, version_of(page), "again").version
    assert "Reopen the case" not in as_role("mentor").get(f"/cases/{case_id}").text


def test_the_api_reopens_a_closed_case_in_its_last_stage(app, service, sessions, people):
    case_id, v = at_diagnosis(service)
    v = service.withdraw(case_id, OPERATOR.actor, v, "found a job").version
    api = Api(app.test_client(), make_token(sessions))
    answer = api.post(f"/cases/{case_id}/reopen", {"reason": "back", "stage": "first_interview"}, version=v)
    assert answer.status_code == 422 and answer.get_json()["code"] == "reopen_closed_stage"
    answer = api.post(f"/cases/{case_id}/reopen", {"reason": "back to it"}, version=v)
    assert answer.status_code == 200, answer.get_json()
    detail = api.get(f"/cases/{case_id}").get_json()
    assert detail["status"] == "active" and detail["stage"]["id"] == "crisis_diagnosis"
