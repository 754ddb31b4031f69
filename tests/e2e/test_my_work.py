"""An operator's day in Chromium: landing on My work, the case page opening on the work, irreversible actions
confirmed, errors next to what caused them; accessible (axe-core) and fitting a phone."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import update

from engine.db import writing
from engine.models import Case, utcnow
from tests.e2e.conftest import axe_violations, login
from tests.e2e.test_accessibility import serious
from tests.webui.conftest import PEOPLE, open_case
from tests.webui.test_case_page import complete_first_interview, walk_to

DESKTOP = {"width": 1366, "height": 900}


def _overdue(sessions, case_id: int) -> None:  # noqa: ANN001
    with writing(sessions).begin() as session:
        session.execute(update(Case).where(Case.id == case_id).values(due_at=utcnow() - timedelta(days=4)))


def _status(sessions, case_id: int) -> str:  # noqa: ANN001
    with sessions() as session:
        return session.get(Case, case_id).status


def test_an_operator_lands_on_my_work_and_the_case_opens_on_the_work(chromium, live_server, service, sessions):
    case_id, _v = walk_to(service, "feasibility_study")
    _overdue(sessions, case_id)
    context = chromium.new_context(locale="en-GB", viewport=DESKTOP)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        login(page, live_server, PEOPLE["operator"].email)
        assert page.url.endswith("/my-work")
        assert page.locator("main h1").inner_text() == "My work"
        signoffs = page.locator("#signoffs")
        assert signoffs.get_by_role("link", name=f"#{case_id}").count() == 1
        assert "Study approved by the mentor" in signoffs.inner_text()
        due = page.locator("#due")
        assert "(overdue)" in due.inner_text()
        assert re.fullmatch(r"My work \(\d+\)", page.locator("header nav a[aria-current=page]").inner_text())
        assert not serious(axe_violations(page)), axe_violations(page)

        due.get_by_role("link", name=f"#{case_id}").click()
        page.wait_for_url(f"**/cases/{case_id}")
        first = page.locator("ul.requirements > li").first
        box = first.bounding_box()
        assert box is not None and 0 <= box["y"] and box["y"] + 40 <= DESKTOP["height"], box
        assert page.evaluate("window.scrollY") == 0
        assert not serious(axe_violations(page)), axe_violations(page)
        assert not errors, errors
    finally:
        context.close()


def test_a_mentor_lands_on_my_work_with_the_sign_off_waiting(new_page, live_server, service):
    case_id, _v = walk_to(service, "feasibility_study")
    page = new_page("mentor")
    assert page.url.endswith("/my-work")
    page.locator("#signoffs").get_by_role("link", name=f"#{case_id}").click()
    page.wait_for_url(f"**/cases/{case_id}#req-feasibility_signoff")
    assert page.locator("#req-feasibility_signoff button[type=submit]").is_visible()


def test_withdrawing_asks_first_and_nothing_happens_when_cancelled(new_page, live_server, service, sessions):
    case_id, _v = open_case(service)
    page = new_page("operator")
    page.goto(f"{live_server}/cases/{case_id}")
    page.locator("#action-withdraw summary").click()
    page.fill("#withdraw-reason", "Found a job")
    asked: list[str] = []

    def dismiss(dialog) -> None:  # noqa: ANN001
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.get_by_role("button", name="Close the case as withdrawn").click()
    page.wait_for_timeout(300)
    assert asked == ["Close this case as withdrawn? This cannot be undone."]
    assert page.url.endswith(f"/cases/{case_id}") and _status(sessions, case_id) == "active"

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.get_by_role("button", name="Close the case as withdrawn").click()
    assert _status(sessions, case_id) == "closed"
    assert "The case is closed as withdrawn." in page.locator("main").inner_text()


def test_without_the_script_a_page_asks_and_going_back_changes_nothing(chromium, live_server, service, sessions):
    case_id, _v = open_case(service)
    context = chromium.new_context(locale="en-GB", viewport=DESKTOP, java_script_enabled=False)
    try:
        page = context.new_page()
        login(page, live_server, PEOPLE["operator"].email)
        page.goto(f"{live_server}/cases/{case_id}")
        page.locator("#action-withdraw summary").click()
        page.fill("#withdraw-reason", "Found a job")
        with page.expect_navigation():
            page.get_by_role("button", name="Close the case as withdrawn").click()
        assert "This cannot be undone." in page.locator("main").inner_text()
        with page.expect_navigation():
            page.get_by_role("button", name="No, go back").click()
        assert _status(sessions, case_id) == "active" and page.url.endswith(f"/cases/{case_id}#actions")
        page.locator("#action-withdraw summary").click()
        page.fill("#withdraw-reason", "Found a job")
        with page.expect_navigation():
            page.get_by_role("button", name="Close the case as withdrawn").click()
        with page.expect_navigation():
            page.get_by_role("button", name="Yes, go on").click()
        assert _status(sessions, case_id) == "closed"
    finally:
        context.close()


def test_an_error_shows_next_to_the_upload_that_caused_it(chromium, live_server, service):
    case_id, v = open_case(service)
    complete_first_interview(service, case_id, v)
    context = chromium.new_context(locale="en-GB", viewport=DESKTOP)
    try:
        page = context.new_page()
        login(page, live_server, PEOPLE["operator"].email)
        page.goto(f"{live_server}/cases/{case_id}")
        with page.expect_navigation():
            page.locator("#req-signed_consent button", has_text="Upload").click()
        problem = page.locator("#req-signed_consent #problem")
        assert problem.inner_text().strip() == "Choose a file to upload."
        box = problem.bounding_box()
        assert box is not None and 0 <= box["y"] <= DESKTOP["height"]  # brought into view
        field = page.locator("#file-signed_consent").bounding_box()
        assert abs(field["y"] - box["y"]) < 400  # next to the upload, not at the top of the page
    finally:
        context.close()


def test_my_work_and_the_case_page_fit_a_phone(chromium, live_server, service, sessions):
    case_id, _v = walk_to(service, "feasibility_study")
    _overdue(sessions, case_id)
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        login(page, live_server, PEOPLE["operator"].email)
        for url in ("/my-work", f"/cases/{case_id}"):
            page.goto(live_server + url)
            width = page.evaluate("document.documentElement.scrollWidth")
            wide = page.evaluate("""() => [...document.querySelectorAll('main *')]
                .filter(e => e.getBoundingClientRect().right > 392).slice(0, 5)
                .map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right))""")
            assert width <= 390, (url, width, wide)
    finally:
        context.close()
