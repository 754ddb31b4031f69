"""The common methodology in a real browser: a worker fills the entrepreneurial assessment in the portal,
leaves halfway, comes back in a new session and finds the answers kept, then submits; the operator sees the
score chart and the recommendation with its reasons, records the recommended pathway, lands on the new case
of that pathway, and finds it counted on the monitoring dashboard."""
from __future__ import annotations

import random

import yaml

from engine.i18n import localize
from engine.models import utcnow
from tests.conftest import ROOT
from tests.e2e.conftest import PEOPLE, axe_violations
from tests.webui.conftest import open_case
from tests.webui.test_case_page import INTAKE_EXITS
from webui.demo import Builder, DemoClock

SERIOUS = ("serious", "critical")
# A lab technician whose firm agrees to hand over a product line: the questionnaire recommends a spin-off.
SCENARIO = yaml.safe_load((ROOT / "assessments" / "scenarios" / "intake_spinoff_agreed_team_it.yaml").read_text())


def go(page, action) -> None:  # noqa: ANN001
    with page.expect_navigation():
        action()
    assert not page.errors, page.errors


def answer(page, assessment, question_ids) -> None:  # noqa: ANN001
    """Answer questions through the form's own controls, as the worker does."""
    for qid in question_ids:
        q = assessment.question(qid)
        value = SCENARIO["answers"][qid]
        name = f"q-{qid}"
        if q.type in ("scale", "choice") and page.locator(f'select[name="{name}"]').count():
            page.select_option(f'select[name="{name}"]', str(value))
        elif q.type in ("scale", "choice", "yes_no"):
            text = ("true" if value else "false") if q.type == "yes_no" else str(value)
            page.check(f'input[name="{name}"][value="{text}"]')
        elif q.type == "choices":
            for v in value:
                page.check(f'input[name="{name}"][value="{v}"]')
        else:
            page.fill(f'[name="{name}"]', str(value))


def opened_count(page, base: str, title: str) -> int:  # noqa: ANN001
    """The 'Opened' figure of a pathway on the monitoring dashboard (0 when the pathway has no row yet)."""
    page.goto(base + "/monitoring")
    assert not page.errors, page.errors
    row = page.locator("#per-pathway tbody tr", has=page.locator("th", has_text=title))
    return int(row.locator("td").first.inner_text()) if row.count() else 0


def test_a_worker_leaves_the_questionnaire_halfway_comes_back_submits_and_the_operator_opens_the_recommended_pathway(
        app, service, sessions, live_server, new_page):  # noqa: ANN001
    anna = PEOPLE["worker"]
    operator_actor = PEOPLE["operator"].actor
    case_id, v = open_case(service, pathway="startup", members=[anna.member])
    builder = Builder(service, service.session_factory, DemoClock(utcnow()), random.Random(3))
    for exit_id in INTAKE_EXITS[:3]:
        v = builder.complete(case_id, v, exit_id, operator_actor, PEOPLE["mentor"].actor, {})
    with sessions() as session:
        assessment = service.assessments.revision(service.assessments.current_revision_id("entrecomp-intake", session))
    first_section = [q.id for q in assessment.section_questions(assessment.sections[0][0])]
    rest = [q.id for q in assessment.questions if q.id not in first_section and q.id in SCENARIO["answers"]]
    spinoff_title = localize(service.library.current("spinoff").pathway.title, "en")

    # The operator notes the dashboard's figure before anything happens.
    operator = new_page("operator")
    spinoff_before = opened_count(operator, live_server, spinoff_title)

    # Anna opens the questionnaire from her pathway page, answers the first part and leaves.
    worker = new_page("worker")
    worker.goto(f"{live_server}/me/cases/{case_id}")
    go(worker, lambda: worker.get_by_role("button", name="Answer the questionnaire").click())
    assert worker.locator("main h1").inner_text() == localize(assessment.title, "en")
    serious = [v for v in axe_violations(worker) if v["impact"] in SERIOUS]
    assert serious == [], serious
    answer(worker, assessment, first_section)
    go(worker, lambda: worker.get_by_role("button", name="Save and finish later").click())
    assert "Your answers are saved: you can come back and finish later." in worker.content()
    worker.context.close()

    # She comes back another day, in a new session: the answers are there; she finishes and sends them.
    worker = new_page("worker")
    worker.goto(f"{live_server}/me/cases/{case_id}")
    go(worker, lambda: worker.get_by_role("button", name="Answer the questionnaire").click())
    for qid in first_section:
        assert worker.is_checked(f'input[name="q-{qid}"][value="{SCENARIO["answers"][qid]}"]'), qid
    assert not worker.is_checked(f'input[name="q-{rest[0]}"][value="{SCENARIO["answers"][rest[0]]}"]')
    answer(worker, assessment, rest)
    go(worker, lambda: worker.get_by_role("button", name="Send my answers").click())
    assert "Your answers are sent, thank you." in worker.content()
    assert worker.url.endswith(f"/me/cases/{case_id}")

    # The operator sees the scores as a chart and the spin-off suggested, with its reasons.
    operator.goto(f"{live_server}/cases/{case_id}")
    results = operator.locator("section.assessment-results")
    assert results.locator("svg.bar-chart").count() == 1
    assert "Spotting opportunities" in results.locator("svg.bar-chart desc").text_content()
    first = results.locator("ol li").first.inner_text()
    reason = next(r for r in assessment.rules if r.id == "spinoff_agreement").reason
    assert first.startswith(spinoff_title) and localize(reason, "en") in first, first
    # The feedback interview is held; the assessment stage is done.
    go(operator, lambda: operator.locator("#req-feedback_interview").get_by_role("button", name="Tick").click())
    go(operator, lambda: operator.get_by_role("button", name="Assessment completed").click())
    # The choice agrees with the recommendation: no reason needed, and the case continues on the spin-off.
    choice = operator.locator("#choice")
    assert spinoff_title in choice.locator("ol li").first.inner_text()
    choice.get_by_text("Record the chosen pathway").click()
    assert operator.locator("#choice-pathway").input_value() == "spinoff"
    go(operator, lambda: choice.get_by_role("button", name="Record the choice").click())
    # Another pathway than the case's closes it for a continuation: asked first.
    assert "This cannot be undone." in operator.locator("main").inner_text()
    go(operator, lambda: operator.get_by_role("button", name="Yes, go on").click())
    assert "The chosen pathway is recorded." in operator.content()
    new_case_id = int(operator.url.split("/cases/")[1].split("#")[0].split("?")[0])
    assert new_case_id != case_id
    assert spinoff_title in operator.locator("main hgroup").inner_text()
    assert f"#{case_id}" in operator.locator(".case-facts").inner_text()  # it continues the first case

    # The dashboard counts the new case.
    assert opened_count(operator, live_server, spinoff_title) == spinoff_before + 1
