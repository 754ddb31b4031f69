"""A workers buy-out followed in a real browser: an operator opens the case for a group, completes the
intake, fills the feasibility form, gets the mentor's sign-off (the mentor logs in in a second browser),
and takes the positive branch on one case and the negative one on another; the timeline tells it all. At
the end of the first year each member answers the follow-up questionnaire before the case closes, and the
case page shows their progress since the intake."""
from __future__ import annotations

import random
import re

from engine import Actor
from engine.models import utcnow
from engine.scenarios import sample_file
from tests.e2e.conftest import PEOPLE
from webui.demo import INTAKE, Builder, DemoClock

GROUP = [("Anna Rossi", "anna.rossi@workers.example"), ("Luca Ferrari", ""), ("Sara Verdi", "sara@workers.example")]


def click_and_wait(page, locator, refused: bool = False) -> None:  # noqa: ANN001
    """Click and wait for the next page; a refusal (4xx) is expected only when `refused`."""
    with page.expect_navigation():
        locator.click()
    if refused:
        assert page.errors and all("status of 4" in e for e in page.errors), page.errors
        page.errors.clear()
    assert not page.errors, (page.errors, page.url, page.locator(".field-error, .notice-error").all_inner_texts())


def requirement(page, requirement_id: str):  # noqa: ANN001, ANN201
    return page.locator(f"#req-{requirement_id}")


def tick(page, item: str) -> None:  # noqa: ANN001
    click_and_wait(page, requirement(page, item).get_by_role("button", name="Tick", exact=True))
    assert "The item is ticked." in page.content()


def tick_each_member(page, item: str) -> None:  # noqa: ANN001
    for name, _email in GROUP:
        click_and_wait(page, requirement(page, item).get_by_role("button", name=f"Tick for {name}"))


def save_form(page) -> None:  # noqa: ANN001
    click_and_wait(page, requirement(page, "form").get_by_role("button", name="Save the form"))
    assert "The form is saved." in page.content(), page.locator(".field-error").all_inner_texts()


def leave(page, exit_label: str) -> None:  # noqa: ANN001
    button = page.locator("ul.exits").get_by_role("button", name=exit_label)
    assert button.is_enabled(), page.locator("ul.exits").inner_text()
    if button.locator("xpath=ancestor::form[@data-confirm]").count():  # an exit that closes the case asks first
        page.once("dialog", lambda dialog: dialog.accept())
    click_and_wait(page, button)
    assert "The case has moved on." in page.content()


def upload(page, requirement_id: str, name: str, content: bytes) -> None:  # noqa: ANN001
    box = requirement(page, requirement_id)
    box.locator("input[type=file]").set_input_files({"name": name, "mimeType": "application/pdf", "buffer": content})
    click_and_wait(page, box.get_by_role("button", name="Upload"))
    assert "The document is attached." in page.content()


def current_stage(page) -> str:  # noqa: ANN001
    return page.locator("ol.stages li[aria-current=step]").inner_text()


def open_wbo_case(page, base: str) -> int:  # noqa: ANN001
    page.goto(base + "/desks/genova")
    click_and_wait(page, page.get_by_role("link", name="Open a case").first)
    page.select_option("#desk", "genova")
    page.get_by_label("Workers buy-out").check()
    for index, (name, email) in enumerate(GROUP):
        page.fill(f"#workers-{index}-name", name)
        if email:
            page.fill(f"#workers-{index}-email", email)
    page.get_by_label("Nautical and shipbuilding").check()
    page.select_option("#mentor", label="Elena Rossi")
    click_and_wait(page, page.get_by_role("button", name="Open the case"))
    assert "The case is open." in page.content()
    return int(re.search(r"/cases/(\d+)", page.url).group(1))


def complete_intake(page, service, case_id: int) -> None:  # noqa: ANN001
    # 1. First interview
    tick(page, "interview_held")
    tick(page, "service_explained")
    page.fill("#field-interview_date", "2026-03-02")
    page.check("input[name=field-employment_status][value=at_risk]")
    page.fill("#field-crisis_firm", "Cantiere Navale Sestri S.p.A.")
    save_form(page)
    leave(page, "Interview completed")
    # 2. Consent: the operator records each member's consent signed on paper
    tick(page, "privacy_notice_given")
    tick_each_member(page, "consent_personal_data")
    page.fill("#field-consent_text_version", "v2.1")
    page.fill("#field-consent_date", "2026-03-02")
    save_form(page)
    leave(page, "Consent recorded")
    # 3. Profile and skills
    page.fill("#field-occupation", "Ship welder")
    page.fill("#field-years_experience", "18")
    page.check("input[name=field-education_level][value=vocational]")
    page.check("input[name=field-languages][value=it]")
    page.check("input[name=field-languages][value=fr]")
    page.select_option("#field-sector", "shipbuilding")
    save_form(page)
    leave(page, "Profile complete")
    # 4. Entrepreneurial assessment: the operator answers the questionnaire with each worker
    for index, (name, _email) in enumerate(GROUP):
        answer_questionnaire(page, service, name, seed=index)
    tick(page, "feedback_interview")
    leave(page, "Assessment completed")
    # 5. Pathway choice: the questionnaires' suggestion is shown; each worker agrees for themselves. The
    # workers' own portal is another part of the application: here they agree through the engine.
    assert "Pathway suggested by the questionnaires" in page.content()
    page.fill("#field-rationale", "The shipyard's repair branch is viable and the group is motivated.")
    save_form(page)
    exits = page.locator("ul.exits").inner_text()
    assert "Not possible yet" in exits and "I agree with the chosen pathway" in exits
    version = int(page.locator("input[name=version]").first.get_attribute("value"))
    for person_id in worker_ids(service, case_id):
        version = service.tick(case_id, Actor.of(person_id, ["worker"]), version, "worker_agrees").version
    page.reload()
    leave(page, "Pathway confirmed")
    assert "Crisis diagnosis" in current_stage(page)


def answer_questionnaire(page, service, name: str, seed: int, assessment_id: str = "entrecomp-intake") -> None:  # noqa: ANN001
    """Open the worker's questionnaire from the case page, answer every question, submit."""
    from webui.cases.questionnaire import sample_answers

    click_and_wait(page, page.get_by_role("link", name=f"Answer the questionnaire with {name}"))
    assessments = service.assessments
    with service.session_factory() as session:
        assessment = assessments.revision(assessments.current_revision_id(assessment_id, session))
    for question in assessment.questions:
        value = sample_answers(assessment, seed).get(question.id)
        if value is None:
            continue
        name_attr = f"q-{question.id}"
        if question.type in ("scale", "choice") and page.locator(f"input[name='{name_attr}']").count():
            page.check(f"input[name='{name_attr}'][value='{value}']")
        elif question.type == "choice":
            page.select_option(f"#{name_attr}", str(value))
        elif question.type == "yes_no":
            page.check(f"input[name='{name_attr}'][value='{'true' if value else 'false'}']")
        elif question.type == "choices":
            for item in value:
                page.check(f"input[name='{name_attr}'][value='{item}']")
        else:
            page.fill(f"#{name_attr}", str(value))
    click_and_wait(page, page.get_by_role("button", name="Submit the answers"))
    assert f"The answers of {name} are submitted." in page.content()


def worker_ids(service, case_id: int) -> list[str]:  # noqa: ANN001
    with service.session_factory() as session:
        return [m.person_id for m in service.get(session, case_id).members if m.kind == "worker"]


def crisis_diagnosis_and_group(page, mentor_page, base: str, case_id: int) -> None:  # noqa: ANN001
    tick(page, "firm_data_collected")
    upload(page, "financial_statements", "bilanci 2023-2025.pdf", sample_file("b.pdf", 40_000))
    page.fill("#field-firm_name", "Cantiere Navale Sestri S.p.A.")
    page.check("input[name=field-crisis_type][value=insolvency]")
    page.fill("#field-employees_affected", "42")
    page.fill("#field-perimeter", "Ship repair branch")
    page.check("input[name=field-branch_viable][value=true]")
    save_form(page)
    mentor_signs(mentor_page, base, case_id, "diagnosis_signoff")
    page.reload()
    leave(page, "Firm or branch viable")
    tick(page, "group_meeting_held")
    tick_each_member(page, "member_consent")
    tick_each_member(page, "capital_pledge")
    page.fill("#field-capital_share", "4000")
    page.check("input[name=field-share_funding][value=severance_pay]")
    save_form(page)
    leave(page, "Group formed with the legal minimum of members")
    assert "Feasibility study" in current_stage(page)


def mentor_signs(mentor_page, base: str, case_id: int, signoff: str) -> None:  # noqa: ANN001
    mentor_page.goto(base + "/mentor")
    waiting = mentor_page.locator("ul.waiting")
    click_and_wait(mentor_page, waiting.locator(f"a[href='/cases/{case_id}#req-{signoff}']"))
    box = requirement(mentor_page, signoff)
    box.locator("textarea").fill("Checked with the group: sound.")
    click_and_wait(mentor_page, box.get_by_role("button", name=re.compile("^Sign off")))
    assert "Your sign-off is recorded." in mentor_page.content()
    assert "Signed off by Elena Rossi" in requirement(mentor_page, signoff).inner_text()


def feasibility(page, mentor_page, base: str, case_id: int, viable: bool) -> None:  # noqa: ANN001
    tick(page, "cooperative_association_consulted")
    upload(page, "feasibility_report", "feasibility.pdf", sample_file("f.pdf", 30_000))
    page.check(f"input[name=field-market_outlook][value={'good' if viable else 'poor'}]")
    page.fill("#field-investment_estimate", "350000")
    page.fill("#field-main_risks", "Dependence on two customers." if viable else "No orders after 2026.")
    page.check(f"input[name=field-viable][value={'true' if viable else 'false'}]")
    save_form(page)
    # Before the sign-off, the exits say what is missing.
    assert "Study approved by the mentor" in page.locator("ul.exits").inner_text()
    mentor_signs(mentor_page, base, case_id, "feasibility_signoff")
    page.reload()


def test_an_operator_takes_a_wbo_group_from_intake_to_a_positive_feasibility(new_page, live_server, service):
    operator = new_page("operator")
    mentor = new_page("mentor")
    case_id = open_wbo_case(operator, live_server)
    assert "Anna Rossi" in operator.content() and "Elena Rossi" in operator.content()
    complete_intake(operator, service, case_id)
    crisis_diagnosis_and_group(operator, mentor, live_server, case_id)
    feasibility(operator, mentor, live_server, case_id, viable=True)
    exits = operator.locator("ul.exits")
    assert exits.get_by_role("button", name="Not feasible, continue as a start-up").is_disabled()
    leave(operator, "Feasible, on to the business plan")
    assert "Business plan and financing" in current_stage(operator)
    timeline = operator.locator("#timeline").inner_text()
    assert "Elena Rossi" in timeline and "Study approved by the mentor" in timeline
    assert "Giulia Parodi" in timeline and "Feasibility study" in timeline and "feasibility.pdf" in timeline
    assert not operator.errors and not mentor.errors


def test_a_negative_feasibility_continues_the_group_as_a_start_up(new_page, live_server, service):
    # The intake of this second case was done in the first test: the engine brings it to the study.
    from tests.webui.conftest import WORKERS, open_case

    case_id, version = open_case(service, members=WORKERS)
    builder = Builder(service, service.session_factory, DemoClock(utcnow()), random.Random(3))
    for exit_id in INTAKE + ["branch_viable", "group_formed"]:
        version = builder.complete(case_id, version, exit_id, PEOPLE["operator"].actor, PEOPLE["mentor"].actor, {})
    operator = new_page("operator")
    mentor = new_page("mentor")
    operator.goto(f"{live_server}/cases/{case_id}")
    assert "Feasibility study" in current_stage(operator)
    feasibility(operator, mentor, live_server, case_id, viable=False)
    assert operator.locator("ul.exits").get_by_role("button", name="Feasible, on to the business plan").is_disabled()
    leave(operator, "Not feasible, continue as a start-up")
    new_case = int(re.search(r"/cases/(\d+)", operator.url).group(1))
    assert new_case != case_id
    assert "Idea and motivation" in current_stage(operator) and "Start-up" in operator.content()
    operator.goto(f"{live_server}/cases/{case_id}")
    assert "referred" in operator.locator("hgroup").inner_text()
    timeline = operator.locator("#timeline").inner_text()
    assert "Not feasible, continue as a start-up" in timeline or "Start-up" in timeline


def test_a_stale_page_in_the_browser_says_what_changed_and_keeps_the_typing(new_page, live_server, service):
    from tests.webui.conftest import open_case

    case_id, _version = open_case(service)
    first, second = new_page("operator"), new_page("admin")
    first.goto(f"{live_server}/cases/{case_id}")
    second.goto(f"{live_server}/cases/{case_id}")
    tick(second, "interview_held")
    first.fill("#field-interview_date", "2026-03-02")
    first.check("input[name=field-employment_status][value=laid_off]")
    first.fill("#field-notes", "Notes typed while someone else worked")
    click_and_wait(first, requirement(first, "form").get_by_role("button", name="Save the form"), refused=True)
    assert "This case changed meanwhile" in first.content()
    assert first.locator("#field-notes").input_value() == "Notes typed while someone else worked"
    assert "Interview held" in first.locator("#conflict").inner_text()
    assert first.locator("#field-interview_date").input_value() == "2026-03-02"
    save_form(first)  # sent again from the refreshed page, it is saved


def test_the_first_year_ends_with_each_members_follow_up_and_their_progress_shows(new_page, live_server, service):
    # The engine brings a group (intake answered) to the follow-up of the first year, as the demo does.
    from tests.webui.conftest import WORKERS, open_case

    case_id, version = open_case(service, members=WORKERS)
    builder = Builder(service, service.session_factory, DemoClock(utcnow()), random.Random(5))
    for exit_id in INTAKE + ["branch_viable", "group_formed", "feasible", "financed", "constituted_it",
                             "agreement_with_owner", "operations_started"]:
        version = builder.complete(case_id, version, exit_id, PEOPLE["operator"].actor, PEOPLE["mentor"].actor,
                                   {"branch_agreement": {"counterparty": "owner"}})
    operator = new_page("operator")
    operator.goto(f"{live_server}/cases/{case_id}")
    assert "First-year follow-up" in current_stage(operator)
    tick(operator, "followup_month_6")
    tick(operator, "followup_year_1")
    operator.check("input[name=field-still_operating][value=true]")
    operator.fill("#field-working_members", "3")
    save_form(operator)
    # The cooperative runs, but the outcome waits for every member's follow-up questionnaire.
    exits = operator.locator("ul.exits")
    assert exits.get_by_role("button", name="Cooperative constituted and operating").is_disabled()
    assert "EntreComp follow-up questionnaire" in exits.inner_text()
    assert "Progress since the intake" not in operator.content()
    names = [w.display_name for w in WORKERS]
    for index, name in enumerate(names):
        answer_questionnaire(operator, service, name, seed=10 + index, assessment_id="entrecomp-followup")
    leave(operator, "Cooperative constituted and operating")
    assert "closed: cooperative constituted" in operator.locator("hgroup").inner_text()
    progress = operator.locator("#progress")
    assert "Progress since the intake" in progress.inner_text()
    assert [h.inner_text() for h in progress.locator("article.progress-record h3").all()] == names
    assert progress.locator("table.progress-areas").count() == len(names)
    assert not operator.errors
