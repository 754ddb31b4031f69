"""The case page: where the case stands, what is missing, and every action, each one an engine operation."""
from __future__ import annotations

import re

from sqlalchemy import select

from engine.models import Case, Event, FormData, PathwayRevision
from tests.webui.conftest import WORKERS, open_case, version_of
from webui.models import CaseNote

INTAKE_EXITS = ["interview_done", "consent_recorded", "profile_complete", "assessment_done", "pathway_confirmed"]


def case_row(sessions, case_id):  # noqa: ANN001, ANN201
    with sessions() as session:
        case = session.get(Case, case_id)
        session.expunge(case)
        return case


def events(sessions, case_id):  # noqa: ANN001, ANN201
    with sessions() as session:
        return [e.type for e in session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.seq))]


def test_the_case_page_shows_who_which_pathway_where_it_stands_and_what_is_missing(service, as_role):
    case_id, _v = open_case(service, title="Cantiere Sestri")
    page = as_role("operator").get(f"/cases/{case_id}")
    assert page.status_code == 200
    html = page.text
    assert "Cantiere Sestri" in html and all(w.display_name in html for w in WORKERS)
    with service.session_factory() as session:
        shown_version = session.get(PathwayRevision, session.get(Case, case_id).revision_id).version
    assert "Workers buy-out" in html and f"version {shown_version}" in html and "revision" in html
    assert 'aria-current="step"' in html and "First interview" in html and "Crisis diagnosis" in html
    assert "Due date of the stage" in html
    # The engine's "what is missing", next to the requirements and under the disabled exit.
    assert "Tick" in html and "Interview held" in html
    assert re.search(r"<button type=\"submit\" disabled[^>]*>Interview completed</button>", html)
    assert "Not possible yet:" in html


def test_ticking_an_item_records_it_and_shows_who_did_it(service, sessions, as_role):
    case_id, v = open_case(service)
    operator = as_role("operator")
    response = operator.post(f"/cases/{case_id}/checklist", data={"version": v, "item": "interview_held"})
    assert response.status_code == 302
    page = operator.get(f"/cases/{case_id}")
    assert "Ticked by Giulia Parodi" in page.text and "The item is ticked." in page.text
    assert events(sessions, case_id) == ["case_opened", "item_ticked"]
    operator.post(f"/cases/{case_id}/checklist", data={"version": v + 1, "item": "interview_held",
                                                       "action": "untick"})
    assert events(sessions, case_id)[-1] == "item_unticked"


def test_a_per_member_item_is_ticked_for_each_worker(service, sessions, as_role):
    case_id, v = open_case(service)
    for exit_id in INTAKE_EXITS[:1]:
        v = complete_first_interview(service, case_id, v)
    operator = as_role("operator")
    page = operator.get(f"/cases/{case_id}")
    assert "Tick for Luca Ferrari" in page.text
    operator.post(f"/cases/{case_id}/checklist", data={"version": version_of(page.text),
                                                       "item": "consent_personal_data", "member": "w.luca"})
    page = operator.get(f"/cases/{case_id}")
    assert "Untick for Luca Ferrari" in page.text and "Tick for Sara Verdi" in page.text


def complete_first_interview(service, case_id, v):  # noqa: ANN001, ANN201
    from tests.webui.conftest import PEOPLE

    operator = PEOPLE["operator"].actor
    v = service.tick(case_id, operator, v, "interview_held").version
    v = service.tick(case_id, operator, v, "service_explained").version
    v = service.submit_form(case_id, operator, v, {"interview_date": "2026-01-10",
                                                   "employment_status": "at_risk"}).version
    return service.advance(case_id, operator, v, "interview_done").version


def test_an_invalid_form_shows_localized_messages_next_to_the_fields_and_saves_nothing(service, sessions,
                                                                                        as_role):
    case_id, v = open_case(service)
    operator = as_role("operator")
    response = operator.post(f"/cases/{case_id}/form", data={
        "version": v, "field-interview_date": "not a date", "field-employment_status": "",
        "field-notes": "x" * 5000})
    assert response.status_code == 422
    html = response.text
    assert 'id="field-interview_date-error"' in html and 'aria-invalid="true"' in html
    assert 'id="field-notes-error"' in html
    # the empty required field is marked and named in the form's one message, not told under itself
    assert html.count("Fill in the required fields: Employment status.") == 1
    assert 'id="field-employment_status-error"' not in html and "This field is required." not in html
    assert re.search(r'<fieldset aria-invalid="true"[^>]*>\s*<legend>Employment status', html)
    assert 'value="not a date"' in html  # what was typed is kept
    with sessions() as session:
        assert session.scalar(select(FormData).where(FormData.case_id == case_id)) is None
    assert events(sessions, case_id) == ["case_opened"]
    # In Italian, the engine's messages are Italian.
    operator.post("/language", data={"language": "it"})
    html = operator.post(f"/cases/{case_id}/form", data={"version": v, "field-interview_date": ""}).text
    assert "Alcuni campi vanno corretti." in html
    assert html.count("Compili i campi obbligatori: Data del colloquio, Situazione lavorativa.") == 1
    assert "Campo obbligatorio" not in html and 'id="field-interview_date-error"' not in html
    assert re.search(r'<input aria-invalid="true"[^>]*name="field-interview_date"', html)
    operator.post("/language", data={"language": "fr"})
    html = operator.post(f"/cases/{case_id}/form", data={"version": v, "field-interview_date": ""}).text
    assert "Remplissez les champs obligatoires : Date de l&#39;entretien, Situation professionnelle." in html


def test_a_valid_form_is_saved_and_shown_with_localized_numbers(service, sessions, as_role):
    case_id, v = open_case(service)
    v = complete_first_interview(service, case_id, v)
    operator = as_role("operator")
    from tests.webui.conftest import PEOPLE

    v = service.tick(case_id, PEOPLE["operator"].actor, v, "privacy_notice_given").version
    response = operator.post(f"/cases/{case_id}/form", data={
        "version": v, "field-consent_text_version": "v2.1", "field-consent_date": "2026-02-01"})
    assert response.status_code == 302
    with sessions() as session:
        row = session.scalar(select(FormData).where(FormData.case_id == case_id, FormData.stage_id == "data_consent"))
        assert row.data == {"consent_text_version": "v2.1", "consent_date": "2026-02-01"}
    assert "The form is saved." in operator.get(f"/cases/{case_id}").text


def test_numbers_are_read_by_the_rules_of_the_pages_language(service, sessions, as_role, people):
    case_id, v = walk_to(service, "group_formation")
    operator = as_role("operator")

    def capital_share():  # noqa: ANN202
        with sessions() as session:
            row = session.scalar(select(FormData).where(FormData.case_id == case_id,
                                                        FormData.stage_id == "group_formation"))
            return row.data["capital_share"] if row is not None else None

    # In English "2500,50" is no number (a comma groups thousands there): refused, kept as typed, nothing saved.
    response = operator.post(f"/cases/{case_id}/form", data={"version": v, "field-capital_share": "2500,50",
                                                             "field-share_funding": ["severance_pay"]})
    assert response.status_code in (400, 409, 422) and 'value="2500,50"' in response.text
    assert capital_share() is None
    operator.post("/language", data={"language": "it"})
    response = operator.post(f"/cases/{case_id}/form", data={"version": v, "field-capital_share": "2500,50",
                                                             "field-share_funding": ["severance_pay"]})
    assert response.status_code == 302, response.text
    assert capital_share() == 2500.5
    assert "2.500,5" in operator.get(f"/cases/{case_id}").text
    # "1.500" in Italian is one thousand five hundred, never 1.5.
    page = operator.get(f"/cases/{case_id}")
    version = int(re.search(r'name="version" value="(\d+)"', page.text).group(1))
    assert 'value="2500,5"' in page.text  # the form shows the saved number as it is typed in Italian
    response = operator.post(f"/cases/{case_id}/form", data={"version": version, "field-capital_share": "1.500",
                                                             "field-share_funding": ["severance_pay"]})
    assert response.status_code == 302, response.text
    assert capital_share() == 1500
    operator.post("/language", data={"language": "en"})
    assert "1,500" in operator.get(f"/cases/{case_id}").text


def walk_to(service, stage_id: str, pathway: str = "wbo", desk: str = "genova"):  # noqa: ANN201
    """Open a case and drive it with the engine to a stage (as the demo does)."""
    import random

    from tests.webui.conftest import PEOPLE
    from webui.demo import Builder, DemoClock
    from engine.models import utcnow

    case_id, v = open_case(service, pathway=pathway, desk=desk)
    builder = Builder(service, service.session_factory, DemoClock(utcnow()), random.Random(1))
    operator = (PEOPLE["operator"] if desk == "genova" else PEOPLE["other_operator"]).actor
    mentor = PEOPLE["mentor"].actor
    plan = {"group_formation": INTAKE_EXITS + ["branch_viable"],
            "feasibility_study": INTAKE_EXITS + ["branch_viable", "group_formed"],
            "entrepreneurial_assessment": INTAKE_EXITS[:3],
            "pathway_choice": INTAKE_EXITS[:4]}[stage_id]
    for exit_id in plan:
        v = builder.complete(case_id, v, exit_id, operator, mentor, {})
    return case_id, v


def test_a_mentor_signs_off_and_the_distinct_person_rule_is_shown(service, sessions, as_role, people):
    case_id, v = walk_to(service, "feasibility_study")
    mentor = as_role("mentor")
    page = mentor.get(f"/cases/{case_id}")
    assert "Sign off: Study approved by the mentor" in page.text
    response = mentor.post(f"/cases/{case_id}/signoffs", data={"version": version_of(page.text),
                                                               "signoff": "feasibility_signoff",
                                                               "comment": "Solid study"})
    assert response.status_code == 302
    page = mentor.get(f"/cases/{case_id}")
    assert "Signed off by Elena Rossi" in page.text and "Solid study" in page.text
    # The plan sign-off of the next stage must come from someone other than the form's submitter.
    from engine.pathway import SignOffRule
    from engine.policy import sign_refusals
    from engine.requirements import StageState

    with sessions() as session:
        case = session.get(Case, case_id)
        state = StageState.load(session, case, service.library.revision(case.revision_id).pathway)
        state.forms[state.stage.id] = FormData(case_id=case_id, stage_id=state.stage.id, data={},
                                               submitted_by=people["mentor"].id)
        rule = SignOffRule("x", {"en": "X"}, "mentor", distinct_from=("form_submitter",))
        assert [r.message("en") for r in sign_refusals(people["mentor"].actor, state, rule)] == [
            "'X' must be given by a different person than the person who filled in the form."]


def test_an_operator_cannot_sign_off_for_the_mentor(service, sessions, as_role):
    case_id, v = walk_to(service, "feasibility_study")
    operator = as_role("operator")
    page = operator.get(f"/cases/{case_id}")
    assert "Sign off:" not in page.text
    response = operator.post(f"/cases/{case_id}/signoffs", data={"version": v, "signoff": "feasibility_signoff"})
    assert response.status_code == 403
    assert "You are not allowed to do this" in response.text
    assert events(sessions, case_id)[-1] == "advanced"


def test_leaving_a_stage_takes_the_chosen_branch_and_refuses_an_unmet_one(service, sessions, as_role):
    case_id, v = open_case(service)
    operator = as_role("operator")
    refused = operator.post(f"/cases/{case_id}/advance", data={"version": v, "exit": "interview_done"})
    assert refused.status_code == 422
    assert "This exit cannot be taken yet." in refused.text and "Interview held" in refused.text
    v = complete_first_interview(service, case_id, v)
    assert case_row(sessions, case_id).stage_id == "data_consent"


def test_hold_resume_reopen_and_withdraw_each_need_a_reason(service, sessions, as_role):
    case_id, v = open_case(service)
    v = complete_first_interview(service, case_id, v)
    operator = as_role("operator")
    refused = operator.post(f"/cases/{case_id}/hold", data={"version": v, "reason": "  "})
    assert refused.status_code == 422 and case_row(sessions, case_id).status == "active"
    assert operator.post(f"/cases/{case_id}/hold", data={"version": v, "reason": "Holidays"}).status_code == 302
    assert case_row(sessions, case_id).status == "on_hold"
    assert operator.post(f"/cases/{case_id}/resume", data={"version": v + 1, "reason": "Back"}).status_code == 302
    response = operator.post(f"/cases/{case_id}/reopen", data={"version": v + 2, "stage": "first_interview",
                                                               "reason": "Missing notes"})
    assert response.status_code == 302 and case_row(sessions, case_id).stage_id == "first_interview"
    response = operator.post(f"/cases/{case_id}/withdraw", data={"version": v + 3, "reason": "Found a job",
                                                                 "confirmed": "1"})
    assert response.status_code == 302
    closed = case_row(sessions, case_id)
    assert closed.status == "closed" and closed.outcome == "withdrawn"
    page = operator.get(f"/cases/{case_id}")
    assert "Other actions" not in page.text and "withdrawn" in page.text
    assert "Found a job" in page.text and "Holidays" in page.text  # the timeline keeps the reasons


def test_switching_pathway_opens_the_continuation_and_shows_it(service, sessions, as_role):
    case_id, v = open_case(service)
    operator = as_role("operator")
    response = operator.post(f"/cases/{case_id}/switch", data={"version": v, "pathway": "startup",
                                                               "reason": "Only one promoter left", "confirmed": "1"})
    assert response.status_code == 302
    new_id = case_row(sessions, case_id).next_case_id
    assert response.headers["Location"].endswith(f"/cases/{new_id}")
    page = operator.get(f"/cases/{new_id}")
    assert "Start-up" in page.text and f"#{case_id}" in page.text


def test_notes_and_meetings_appear_in_the_timeline_without_changing_the_case(service, sessions, as_role):
    case_id, v = open_case(service)
    operator = as_role("operator")
    assert operator.post(f"/cases/{case_id}/notes", data={"version": v, "body": "Called Anna"}).status_code == 302
    assert operator.post(f"/cases/{case_id}/meetings", data={"version": v, "date": "2026-03-02", "time": "10:30",
                                                             "place": "Sportello", "body": "Plan"}).status_code == 302
    assert operator.post(f"/cases/{case_id}/meetings", data={"version": v, "date": ""}).status_code == 422
    page = operator.get(f"/cases/{case_id}").text
    assert "Called Anna" in page and "Meeting on" in page and "Sportello" in page
    assert case_row(sessions, case_id).version == v
    with sessions() as session:
        assert len(list(session.scalars(select(CaseNote).where(CaseNote.case_id == case_id)))) == 2


def test_the_timeline_reads_as_sentences(service, as_role):
    case_id, v = open_case(service)
    complete_first_interview(service, case_id, v)
    page = as_role("operator").get(f"/cases/{case_id}").text
    timeline = page[page.index('id="timeline"'):]
    assert "Giulia Parodi" in timeline and "Interview held" in timeline
    assert "First interview" in timeline and "Consent to personal data processing" in timeline


def test_a_mentor_is_assigned_from_the_case_page(service, sessions, as_role, people):
    case_id, v = open_case(service, mentor=None)
    operator = as_role("operator")
    response = operator.post(f"/cases/{case_id}/mentors", data={"version": v, "mentor": people["other_mentor"].id})
    assert response.status_code == 302
    assert as_role("other_mentor").get(f"/cases/{case_id}").status_code == 200
    assert operator.post(f"/cases/{case_id}/mentors", data={"version": v + 1,
                                                           "mentor": people["designer"].id}).status_code == 422


def test_a_worker_joins_and_leaves_a_group_case(service, sessions, as_role):
    case_id, v = open_case(service)
    operator = as_role("operator")
    assert operator.post(f"/cases/{case_id}/members", data={"version": v, "name": "Marta Neri"}).status_code == 302
    with sessions() as session:
        names = [m.display_name for m in session.get(Case, case_id).members if m.kind == "worker"]
    assert "Marta Neri" in names
    assert operator.post(f"/cases/{case_id}/members", data={"version": v + 1, "remove": "w.sara"}).status_code == 302
    with sessions() as session:
        assert "w.sara" not in [m.person_id for m in session.get(Case, case_id).members]


def as_form_data(assessment, answers: dict) -> dict:  # noqa: ANN001
    data = {}
    for q in assessment.questions:
        if q.id not in answers:
            continue
        value = answers[q.id]
        data["q-" + q.id] = ("true" if value else "false") if isinstance(value, bool) else (
            value if isinstance(value, list) else str(value))
    return data


def test_the_operator_answers_the_questionnaire_with_each_worker_saving_as_they_go(service, sessions, as_role):
    from engine.models import AssessmentResponse
    from webui.cases.questionnaire import sample_answers

    case_id, v = walk_to(service, "entrepreneurial_assessment")
    operator = as_role("operator")
    page = operator.get(f"/cases/{case_id}").text
    assert "Answer the questionnaire with Luca Ferrari" in page
    url = f"/cases/{case_id}/assessments/w.luca"
    form_page = operator.get(url)
    assert form_page.status_code == 200 and "Answers of Luca Ferrari" in form_page.text
    assessments = service.assessments
    with sessions() as session:
        requirement = service.library.revision(case_row(sessions, case_id).revision_id).pathway.stage(
            "entrepreneurial_assessment").assessment
        assessment = assessments.revision(assessments.current_revision_id(requirement.assessment_id, session))
    answers = sample_answers(assessment, seed=5)
    first_half = dict(list(answers.items())[:5])
    assert operator.post(url, data={"version": v, "action": "save", **as_form_data(assessment, first_half)}
                         ).status_code == 302
    assert "answers saved, not submitted yet" in operator.get(f"/cases/{case_id}").text
    assert case_row(sessions, case_id).version == v  # a draft is not a change of the case
    refused = operator.post(url, data={"version": v, "action": "submit"})
    assert refused.status_code == 422 and 'aria-invalid="true"' in refused.text
    # the unanswered questions are named once at the top, not each under a copy of the same sentence
    assert refused.text.count("Fill in the required fields: ") == 1 and "This field is required." not in refused.text
    done = operator.post(url, data={"version": v, "action": "submit", **as_form_data(assessment, answers)})
    assert done.status_code == 302, done.text
    with sessions() as session:
        response = session.scalar(select(AssessmentResponse).where(AssessmentResponse.case_id == case_id,
                                                                   AssessmentResponse.person_id == "w.luca"))
        assert response.submitted_at is not None and response.submitted_by == "op.genova"
    assert events(sessions, case_id)[-1] == "assessment_submitted"
    assert "answers submitted on" in operator.get(f"/cases/{case_id}").text
    assert operator.get(url).status_code == 302  # submitted answers are not answered again
    assert as_role("mentor").get(f"/cases/{case_id}/assessments/w.sara").status_code == 403
    assert operator.get(f"/cases/{case_id}/assessments/nobody").status_code == 404


def test_the_chosen_pathway_is_recorded_against_the_suggestion_only_with_a_reason(service, sessions, as_role):
    case_id, v = walk_to(service, "pathway_choice")
    operator = as_role("operator")
    page = operator.get(f"/cases/{case_id}").text
    assert "Pathway suggested by the questionnaires" in page
    ranking = service.recommendation(case_id)
    other = next(p for p in ("startup", "spinoff", "wbo", "community_coop") if p != ranking[0][0])
    refused = operator.post(f"/cases/{case_id}/choice", data={"version": v, "pathway": other, "reason": "",
                                                              "confirmed": "1"})
    assert refused.status_code == 422
    response = operator.post(f"/cases/{case_id}/choice", data={"version": v, "pathway": "wbo",
                                                               "reason": "The group wants to buy the branch"})
    assert response.status_code == 302
    assert events(sessions, case_id)[-1] == "pathway_chosen"


def reassessed_case(service, sessions, levels_luca=None):  # noqa: ANN001, ANN201
    """A case of the three test workers: all answered the intake; Anna and Luca also the follow-up."""
    from tests.engine.test_progress import register_reassessed, submit_followup, to_followup
    from tests.webui.conftest import WORKERS as GROUP

    register_reassessed(service.library, service.assessments)
    case_id, v = to_followup(service, sessions, service.assessments, members=GROUP)
    v = submit_followup(service, sessions, service.assessments, case_id, v, "w.anna")
    v = submit_followup(service, sessions, service.assessments, case_id, v, "w.luca",
                        levels=levels_luca or {"ideas_opportunities": 1, "resources": 4, "into_action": 2})
    return case_id, v


def test_the_case_page_shows_each_workers_progress_as_paired_bars_with_tables(service, sessions, as_role):
    case_id, _v = reassessed_case(service, sessions)
    page = as_role("operator").get(f"/cases/{case_id}").text
    assert "Progress since the intake" in page
    section = page[page.index('id="progress-title"'):page.index('id="notes-title"')]
    assert section.count('class="bar-chart progress-chart"') == 2  # Sara has only the intake: no comparison
    assert "Anna Rossi" in section and "Luca Ferrari" in section and "Sara Verdi" not in section
    assert '<desc id="progress-0-d">Spotting opportunities: Intake 2.0, Follow-up 4.0 (+2.0)' in section
    assert "2.0 → 4.0 (+2.0)" in section  # the numbers are written next to the bars
    assert ("<tr><th scope=\"row\">Ideas and opportunities</th><td>2</td><td>1</td><td>-1</td></tr>"
            in section)  # Luca's area table
    assert "Progress per competence as a table" in section
    from webui.models import User

    with sessions.begin() as session:
        session.get(User, "op.genova").language = "it"
    italian = as_role("operator").get(f"/cases/{case_id}").text
    assert "Progressi dall'accoglienza" in italian and "Differenza" in italian and "Idee e opportunità" in italian


def test_a_continued_case_shows_the_progress_answered_on_the_case_it_continues(service, sessions, as_role):
    """A continuation without answers of its own (as one recorded before answers were carried along): the page
    still reads them along the chain of cases."""
    case_id, v = reassessed_case(service, sessions)
    operator = as_role("operator")
    response = operator.post(f"/cases/{case_id}/switch", data={"version": v, "pathway": "startup",
                                                               "reason": "Only one promoter left", "confirmed": "1"})
    assert response.status_code == 302
    new_id = case_row(sessions, case_id).next_case_id
    from engine.models import AssessmentResponse

    from sqlalchemy import delete

    with sessions.begin() as session:
        session.execute(delete(AssessmentResponse).where(AssessmentResponse.case_id == new_id))
    section = operator.get(f"/cases/{new_id}").text
    section = section[section.index('id="progress-title"'):section.index('id="notes-title"')]
    assert section.count('class="bar-chart progress-chart"') == 2 and "Anna Rossi" in section


def test_no_progress_section_before_a_follow_up(service, as_role):
    case_id, _v = walk_to(service, "pathway_choice")
    assert "Progress since the intake" not in as_role("operator").get(f"/cases/{case_id}").text


def test_the_new_case_form_records_sex_and_year_of_birth_only_when_given(sessions, as_role):
    from engine.models import CaseMember

    operator = as_role("operator")
    page = operator.get("/cases/new?desk=genova").text
    assert "Sex (optional)" in page and "Prefer not to say" in page and "Year of birth (optional)" in page
    form = {"desk": "genova", "pathway": "wbo", "workers-0-name": "Anna Rossi", "workers-0-email": "anna@test.example",
            "workers-0-sex": "female", "workers-0-birth_year": "1969", "workers-1-name": "Piero Neri",
            "workers-1-sex": "", "workers-1-birth_year": "", "workers-2-name": "Carla Blu",
            "workers-2-sex": "other", "workers-2-birth_year": " 1990 "}
    # A year that is not a number, then an implausible one: refused, with what was typed kept.
    refused = operator.post("/cases/new", data={**form, "workers-1-birth_year": "nineteen"})
    assert refused.status_code == 422 and "Write the year of birth of Piero Neri with digits" in refused.text
    assert 'value="nineteen"' in refused.text and 'value="Carla Blu"' in refused.text
    refused = operator.post("/cases/new", data={**form, "workers-1-birth_year": "1890"})
    assert refused.status_code == 422 and "The year of birth of Piero Neri must be between 1920 and" in refused.text
    refused = operator.post("/cases/new", data={**form, "workers-1-sex": "unknown"})
    assert refused.status_code == 422 and "must be female, male or other" in refused.text
    with sessions() as session:
        assert session.scalar(select(Case)) is None
    response = operator.post("/cases/new", data=form)
    assert response.status_code == 302, response.text
    case_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with sessions() as session:
        rows = [(m.display_name, m.sex, m.birth_year) for m in session.scalars(
            select(CaseMember).where(CaseMember.case_id == case_id, CaseMember.kind == "worker")
            .order_by(CaseMember.position))]
    assert rows == [("Anna Rossi", "female", 1969), ("Piero Neri", None, None), ("Carla Blu", "other", 1990)]


def test_a_worker_joins_the_group_with_sex_and_year_of_birth_when_given(service, sessions, as_role):
    from engine.models import CaseMember

    case_id, v = open_case(service)
    operator = as_role("operator")
    page = operator.get(f"/cases/{case_id}").text
    assert 'id="member-sex"' in page and 'id="member-birth-year"' in page
    refused = operator.post(f"/cases/{case_id}/members", data={"version": v, "name": "Marta Neri", "sex": "female",
                                                                "birth_year": "78"})
    assert refused.status_code == 422 and "must be between 1920 and" in refused.text
    assert 'value="Marta Neri"' in refused.text and '<option value="female" selected>' in refused.text
    refused = operator.post(f"/cases/{case_id}/members", data={"version": v, "name": "Marta Neri",
                                                                "birth_year": "soixante"})
    assert refused.status_code == 422 and "Write the year of birth of Marta Neri with digits" in refused.text
    assert operator.post(f"/cases/{case_id}/members", data={"version": v, "name": "Marta Neri", "sex": "female",
                                                            "birth_year": "1978"}).status_code == 302
    with sessions() as session:
        marta = session.scalar(select(CaseMember).where(CaseMember.case_id == case_id,
                                                        CaseMember.display_name == "Marta Neri"))
        assert (marta.sex, marta.birth_year) == ("female", 1978)


def test_closing_withdrawing_and_switching_are_asked_first_and_a_page_asks_without_a_script(service, sessions,
                                                                                            as_role):
    case_id, v = open_case(service)
    operator = as_role("operator")
    page = operator.get(f"/cases/{case_id}").text
    assert 'data-confirm="Close this case as withdrawn? This cannot be undone."' in page
    assert 'data-confirm="Close this case and open a new one on the chosen pathway?' in page
    for url, data in ((f"/cases/{case_id}/withdraw", {"reason": "Found a job"}),
                      (f"/cases/{case_id}/switch", {"pathway": "startup", "reason": "One promoter left"})):
        asked = operator.post(url, data={"version": v, "confirmed": ""} | data)
        assert asked.status_code == 200 and "This cannot be undone." in asked.text
        # the same fields, posted again once confirmed; going back is a link to the case
        assert f'action="{url}"' in asked.text and 'name="confirmed" value="1"' in asked.text
        assert f'value="{data["reason"]}"' in asked.text and f'href="/cases/{case_id}#actions"' in asked.text
        row = case_row(sessions, case_id)
        assert row.status == "active" and row.version == v and row.next_case_id is None
    done = operator.post(f"/cases/{case_id}/withdraw", data={"version": v, "reason": "Found a job", "confirmed": "1"})
    assert done.status_code == 302 and case_row(sessions, case_id).outcome == "withdrawn"


def test_an_exit_that_closes_the_case_is_asked_first(service, sessions, as_role):
    case_id, v = walk_to(service, "feasibility_study")
    operator = as_role("operator")
    row = case_row(sessions, case_id)
    closing = [e for e in service.library.revision(row.revision_id).pathway.stage(row.stage_id).exits if not e.to]
    assert closing, "the stage has an exit that closes the case"
    page = operator.get(f"/cases/{case_id}").text
    assert page.count("This cannot be undone. Go on?") == len(closing)
    asked = operator.post(f"/cases/{case_id}/advance", data={"version": row.version, "exit": closing[0].id})
    assert asked.status_code == 200 and "It closes this case. This cannot be undone." in asked.text
    assert case_row(sessions, case_id).status == "active"


def test_an_error_shows_next_to_the_form_that_caused_it(service, as_role):
    case_id, v = open_case(service)
    operator = as_role("operator")
    refused = operator.post(f"/cases/{case_id}/advance", data={"version": v, "exit": "interview_done"})
    assert refused.status_code == 422
    exits = refused.text.index('id="exits-title"')
    problem = refused.text.index('id="problem"')
    assert exits < problem < refused.text.index('class="exits"')  # under "Leave the stage", before the exits
    assert 'href="#problem"' in refused.text  # the top of the page only points at it
    v = complete_first_interview(service, case_id, v)
    no_file = operator.post(f"/cases/{case_id}/documents", data={"version": v, "requirement": "signed_consent"})
    assert no_file.status_code == 422
    start = no_file.text.index('id="req-signed_consent"')
    assert start < no_file.text.index("Choose a file to upload.") < no_file.text.index("</li>", start)
    note = operator.post(f"/cases/{case_id}/notes", data={"body": " "})
    assert note.status_code == 422
    section = note.text.index('id="notes"')
    assert section < note.text.index("Write the note first.") < note.text.index('id="timeline"')


def test_a_case_on_hold_says_why_at_the_top(service, as_role):
    case_id, v = open_case(service)
    operator = as_role("operator")
    assert operator.post(f"/cases/{case_id}/hold", data={"version": v, "reason": "Waiting for the bank"}
                         ).status_code == 302
    page = operator.get(f"/cases/{case_id}").text
    held = page[page.index('id="on-hold"'):page.index('id="stage"')]
    assert "The case is on hold" in held and "Waiting for the bank" in held


def test_choosing_another_pathway_is_asked_first(service, sessions, as_role):
    case_id, v = walk_to(service, "pathway_choice")
    operator = as_role("operator")
    asked = operator.post(f"/cases/{case_id}/choice", data={"version": case_row(sessions, case_id).version,
                                                            "pathway": "startup", "reason": "Only two left"})
    assert asked.status_code == 200 and "This cannot be undone." in asked.text
    assert case_row(sessions, case_id).next_case_id is None
