"""Parties in a real browser: a bank decides through the link it received by e-mail (a real SMTP server
started by the test), without an account; and an offline worker's consent recorded on paper with its scan."""
from __future__ import annotations

import re

from engine.scenarios import sample_file
from tests.e2e.conftest import PEOPLE
from tests.webui.conftest import WORKERS
from tests.webui.test_notifications import body, subject
from webui.notifications.cli import notify


def go(page, action) -> None:  # noqa: ANN001
    with page.expect_navigation():
        action()
    assert not page.errors, page.errors


def refused(page, action) -> None:  # noqa: ANN001
    """A form the server refuses (422): the page says why; the browser logs the status, nothing else."""
    with page.expect_navigation():
        action()
    assert all("422" in e for e in page.errors), page.errors
    page.errors.clear()


def signing_link(mail, address: str, live_server: str) -> str:  # noqa: ANN001
    received = mail.inbox.to(address)
    assert received, "no e-mail for the party"
    assert "Le chiediamo una decisione" in subject(received[-1])  # in the party's language
    return re.search(re.escape(live_server) + r"/sign/\S+", body(received[-1])).group(0)


def test_a_bank_requests_changes_then_approves_through_its_emailed_link_and_the_exit_opens(
        app, service, live_server, new_page, mail):  # noqa: ANN001
    operator_actor = PEOPLE["operator"].actor
    receipt = service.open_case(operator_actor, pathway_id="startup", desk_id="genova", members=WORKERS[:1],
                                title="Forno di Anna", at="legal_form_financing")
    v = service.tick(receipt.case_id, operator_actor, receipt.version, "accountant_consulted").version
    v = service.attach_document(receipt.case_id, operator_actor, v, "financing_plan", "piano.pdf",
                                sample_file("piano.pdf", 3000)).version
    service.submit_form(receipt.case_id, operator_actor, v, {
        "legal_form": "sole_trader", "financing_sources": ["bank_loan"], "total_financing": 42000,
        "financing_covered": True})
    case_url = f"{live_server}/cases/{receipt.case_id}"

    # The operator adds the bank as the case's financing body and sends it the signing link.
    operator = new_page("operator")
    operator.goto(case_url)
    exit_button = operator.get_by_role("button", name="Legal form chosen and financing complete")
    assert exit_button.is_disabled()
    operator.locator("#parties summary", has_text="Add a party").click()
    operator.select_option("#party-role", "financing_body")
    operator.fill("#party-organisation", "Banca Carige")
    operator.fill("#party-name", "Paola Verdi")
    operator.fill("#party-email", "paola.verdi@carige.example")
    operator.select_option("#party-language", "it")
    go(operator, lambda: operator.get_by_role("button", name="Add the party").click())
    assert "The party is added to the case." in operator.content()
    go(operator, lambda: operator.get_by_role("button", name="Send Banca Carige a signing link").click())
    notify(app)  # the outbox sends it
    link = signing_link(mail, "paola.verdi@carige.example", live_server)

    # The bank, with no account, reads what it is asked and requests changes.
    bank = new_page(locale="en-GB")
    bank.goto(link)
    assert "42.000" in bank.content() and "piano.pdf" in bank.content()
    bank.get_by_label("Chiedo modifiche").check()
    refused(bank, lambda: bank.get_by_role("button", name="Invia la mia decisione").click())
    assert "commento" in bank.content()  # the comment is required: nothing was recorded
    bank.get_by_label("Chiedo modifiche").check()
    bank.fill("#decision-comment", "Il prestito copre 30000 EUR: correggete il totale.")
    go(bank, lambda: bank.get_by_role("button", name="Invia la mia decisione").click())
    assert "Grazie" in bank.content()

    # The operator sees the request, changes the form and sends a new link.
    operator.goto(case_url)
    assert "Il prestito copre 30000 EUR" in operator.locator("#parties").inner_text()
    assert exit_button.is_disabled()
    operator.locator("details.stage-form summary").click()
    operator.fill("[name='field-total_financing']", "30000")
    go(operator, lambda: operator.get_by_role("button", name="Save the form").click())
    go(operator, lambda: operator.get_by_role("button", name="Send Banca Carige a signing link").click())
    notify(app)
    second = signing_link(mail, "paola.verdi@carige.example", live_server)
    assert second != link
    bank.goto(link)
    assert "already been used" in bank.content()  # the visitor's browser language: the link tells no more
    bank.errors.clear()  # (the browser logs the 410)

    bank.goto(second)
    assert "30.000" in bank.content()
    bank.get_by_label("Approvo").check()
    go(bank, lambda: bank.get_by_role("button", name="Invia la mia decisione").click())
    assert "approvazione è registrata" in bank.content()

    # The exit opens; the operator takes it.
    operator.goto(case_url)
    exit_button = operator.get_by_role("button", name="Legal form chosen and financing complete")
    assert exit_button.is_enabled()
    go(operator, lambda: exit_button.click())
    assert "Registration and permits" in operator.content()


def test_an_offline_worker_s_consent_is_recorded_on_paper_with_its_scan_and_the_case_moves_on(
        app, service, live_server, new_page):  # noqa: ANN001
    operator_actor = PEOPLE["operator"].actor
    offline = WORKERS[1]  # Luca Ferrari: no e-mail, no password
    receipt = service.open_case(operator_actor, pathway_id="startup", desk_id="genova", members=[offline],
                                title="Officina di Luca", at="data_consent")
    v = service.tick(receipt.case_id, operator_actor, receipt.version, "privacy_notice_given").version
    service.submit_form(receipt.case_id, operator_actor, v, {"consent_text_version": "v2.1",
                                                           "consent_date": "2026-12-01"})
    operator = new_page("operator")
    operator.goto(f"{live_server}/cases/{receipt.case_id}")
    paper = operator.locator("#paper-consent_personal_data")
    paper.locator("summary").click()
    refused(operator, lambda: paper.get_by_role("button", name="Record on paper").click())
    assert "Attach the scanned document signed on paper" in operator.content()  # no scan: refused

    paper = operator.locator("#paper-consent_personal_data")  # still open, after the refusal
    paper.locator("select[name=member]").select_option(offline.person_id)
    paper.locator("input[type=file]").set_input_files({"name": "consenso-luca.jpg", "mimeType": "image/jpeg",
                                                       "buffer": sample_file("consenso-luca.jpg", 4000)})
    go(operator, lambda: paper.get_by_role("button", name="Record on paper").click())
    assert "The decision given on paper is recorded with its evidence." in operator.content()
    timeline = operator.locator("#timeline").inner_text()
    assert re.search(r"on behalf of Luca Ferrari, on paper \(evidence #\d+\)", timeline), timeline
    go(operator, lambda: operator.get_by_role("button", name="Consent recorded").click())
    assert "Profile and skills" in operator.locator("#stage-title").inner_text()
