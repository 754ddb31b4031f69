"""The worker portal in a real browser: a worker accepts the e-mailed invitation, sets a password, sees the
progress, uploads the requested document; the operator advances the case; the worker sees the new stage
and gets the e-mail (a real SMTP server, aiosmtpd, started by the test)."""
from __future__ import annotations

import random
import re

from engine.models import utcnow
from tests.e2e.conftest import PEOPLE
from tests.webui.test_notifications import body, subject
from tests.webui.test_portal import MARCO, PDF, add_worker, case_at
from webui.demo import Builder, DemoClock
from webui.notifications.cli import notify

NEW_PASSWORD = "my own long password"


def go(page, action) -> None:  # noqa: ANN001
    with page.expect_navigation():
        action()
    assert not page.errors, page.errors


def test_an_invited_worker_follows_the_pathway_uploads_and_sees_the_next_stage(
        app, service, sessions, live_server, new_page, mail):  # noqa: ANN001
    add_worker(sessions, password=None)
    case_id, _v = case_at(service, "profile_skills", members=[PEOPLE["worker"].member, MARCO.member])

    # The operator invites Marco from the browser.
    operator = new_page("operator")
    operator.goto(f"{live_server}/me/staff/cases/{case_id}/invite")
    row = operator.locator("tr", has_text="Marco Bianchi")
    go(operator, lambda: row.get_by_role("button", name="Send an invitation").click())
    invitation = mail.inbox.to(MARCO.email)
    assert len(invitation) == 1 and subject(invitation[0]) == "Your invitation to OPERA Pathways"
    link = re.search(r"(http://127\.0\.0\.1:\d+/me/welcome/\S+)", body(invitation[0])).group(1)

    # Marco, on a phone-sized screen, sets his password and lands on his pathway.
    worker = new_page()
    worker.set_viewport_size({"width": 390, "height": 844})
    worker.goto(link)
    assert "Welcome, Marco Bianchi" in worker.content()
    worker.get_by_label("With a password I choose").check()
    worker.fill("#password", NEW_PASSWORD)
    worker.fill("#confirm", NEW_PASSWORD)
    go(worker, lambda: worker.get_by_role("button", name="Continue").click())
    assert worker.url.endswith(f"/me/cases/{case_id}")
    progress = worker.locator("#stage-now").inner_text()
    assert re.match(r"Step 3 of \d+: Profile and skills", progress), progress
    assert worker.locator("progress").get_attribute("value") == "3"

    # He uploads the CV asked of him.
    task = worker.locator("#task-cv")
    task.locator("input[type=file]").set_input_files({"name": "marco-cv.pdf", "mimeType": "application/pdf",
                                                      "buffer": PDF})
    go(worker, lambda: task.get_by_role("button", name="Send the document").click())
    assert "Your document is sent, thank you." in worker.content()
    assert "marco-cv.pdf" in worker.locator("#task-cv").inner_text()
    # The button he pressed is a large target (at least 44px high).
    assert worker.locator("#task-form button[type=submit]").bounding_box()["height"] >= 44

    # The operator fills the profile (as at the desk) and moves the case on from the case page.
    builder = Builder(service, service.session_factory, DemoClock(utcnow()), random.Random(1))
    state = builder.state(case_id)
    with sessions() as session:
        from engine.models import Case
        version = session.get(Case, case_id).version
    builder.meet(case_id, version, state, state.stage.form, PEOPLE["operator"].actor, None, {})
    operator.goto(f"{live_server}/cases/{case_id}")
    go(operator, lambda: operator.locator("ul.exits").get_by_role("button", name="Profile complete").click())
    assert "The case has moved on." in operator.content()

    # `opera notify` (the cron job) e-mails Marco; his page shows the new stage.
    notify(app)
    moved = [m for m in mail.inbox.to(MARCO.email) if "moved on: Entrepreneurial assessment" in subject(m)]
    assert len(moved) == 1
    assert f"/me/cases/{case_id}" in body(moved[0])
    worker.reload()
    assert re.match(r"Step 4 of \d+: Entrepreneurial assessment", worker.locator("#stage-now").inner_text())
    worker.goto(f"{live_server}/me/notifications")
    assert "Your pathway has moved on: Entrepreneurial assessment" in worker.content()
