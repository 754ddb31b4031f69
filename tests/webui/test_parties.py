"""The case's parties on the case page, the signing link e-mailed through the outbox, and the pages a party
opens without an account: what it is asked, in its language; its decision; a wrong, used or expired link."""
from __future__ import annotations

import re

from sqlalchemy import select

from engine.models import Case, SignOff
from engine.scenarios import sample_file
from tests.webui.conftest import PEOPLE, WORKERS, Browser, csrf_from, version_of
from webui.notifications.cli import notify
from webui.notifications.models import OutboxMessage

SECRET_TITLE = "Forno Segreto di Anna"


def financing_case(service) -> tuple[int, int]:  # noqa: ANN001
    operator = PEOPLE["operator"].actor
    receipt = service.open_case(operator, pathway_id="startup", desk_id="genova", members=WORKERS[:1],
                                title=SECRET_TITLE, at="legal_form_financing")
    v = service.tick(receipt.case_id, operator, receipt.version, "accountant_consulted").version
    v = service.attach_document(receipt.case_id, operator, v, "financing_plan", "piano.pdf",
                                sample_file("piano.pdf", 3000)).version
    v = service.submit_form(receipt.case_id, operator, v, {
        "legal_form": "sole_trader", "financing_sources": ["bank_loan"], "total_financing": 42000,
        "financing_covered": True}).version
    return receipt.case_id, v


def add_bank_and_send_link(operator: Browser, case_id: int, sessions) -> str:  # noqa: ANN001
    page = operator.get(f"/cases/{case_id}")
    assert "Add a party" in page.text
    response = operator.post(f"/cases/{case_id}/parties", data={
        "version": version_of(page.text), "role": "financing_body", "organisation": "Banca Carige",
        "name": "Paola Verdi", "email": "paola.verdi@carige.example", "phone": "+39 010 555", "language": "it"})
    assert response.status_code == 302
    page = operator.get(f"/cases/{case_id}")
    assert "Banca Carige" in page.text and "Paola Verdi" in page.text
    party_id = int(re.search(r"/parties/(\d+)/signing-link", page.text).group(1))
    response = operator.post(f"/cases/{case_id}/parties/{party_id}/signing-link", data={
        "version": version_of(page.text), "signoff": "financing_confirmed"})
    assert response.status_code == 302
    with sessions() as session:
        message = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "signing_link")
                                  .order_by(OutboxMessage.id.desc())).first()
    assert message.email == "paola.verdi@carige.example" and message.language == "it"
    assert "Banca Carige" in message.body
    return re.search(r"/sign/([A-Za-z0-9_-]+)", message.link).group(1)


def test_a_party_decides_through_its_link_in_its_language_and_the_link_works_once(app, as_role, service, sessions):
    case_id, _v = financing_case(service)
    operator = as_role("operator")
    token = add_bank_and_send_link(operator, case_id, sessions)
    party = Browser(app.test_client())  # no account
    page = party.get(f"/sign/{token}")
    assert page.status_code == 200
    assert "Finanziamento confermato dall&#39;ente finanziatore" in page.text  # the party's language
    assert "42.000" in page.text and "piano.pdf" in page.text  # the form values, in Italian notation, and documents
    assert "Anna Rossi" not in page.text  # only what it is asked to sign
    document_link = re.search(r'href="(/sign/[^"]+/documents/\d+)"', page.text).group(1)
    assert party.get(document_link).status_code == 200
    data = {"csrf_token": csrf_from(page.text), "version": version_of(page.text), "decision": "request_changes"}
    refused = party.client.post(f"/sign/{token}", data=data)
    assert refused.status_code == 422 and "commento" in refused.text  # the comment is required, said in Italian
    done = party.client.post(f"/sign/{token}", data=data | {"comment": "Il totale supera il prestito concesso"})
    assert done.status_code == 200 and "Grazie" in done.text
    again = party.get(f"/sign/{token}", headers={"Accept-Language": "it"})  # the browser's language: the link tells nothing more
    assert again.status_code == 410 and "già stato usato" in again.text and SECRET_TITLE not in again.text
    case_page = operator.get(f"/cases/{case_id}")
    assert "requested changes" in case_page.text and "Il totale supera il prestito concesso" in case_page.text
    with sessions() as session:
        row = session.scalar(select(SignOff).where(SignOff.case_id == case_id))
        assert (row.decision, row.actor_id) == ("request_changes", f"party:{row.party_id}")
        assert session.get(Case, case_id).stage_id == "legal_form_financing"
    notify(app, send=False)  # the case's operators are told
    with sessions() as session:
        told = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "signoff_decision")).all()
    assert [m.recipient_id for m in told] == [PEOPLE["operator"].id]
    assert "Il totale supera il prestito concesso" in told[0].body and "Changes requested" in told[0].subject


def test_a_wrong_or_expired_link_says_so_and_shows_nothing_of_the_case(app, service, people):
    from datetime import timedelta

    case_id, v = financing_case(service)
    operator = PEOPLE["operator"].actor
    v = service.add_party(case_id, operator, v, "financing_body", "Banca Carige", "Paola Verdi",
                          email="paola@carige.example").version
    _receipt, expired = service.send_signing_link(case_id, operator, v, 1, "financing_confirmed",
                                                  lifetime=timedelta(seconds=-1))
    anonymous = Browser(app.test_client())
    for url, status, words in ((f"/sign/{expired}", 410, "expired"), ("/sign/forged-token", 404, "not valid"),
                               (f"/sign/{expired}/documents/1", 410, "expired")):
        response = anonymous.get(url)
        assert response.status_code == status and words in response.text, url
        assert SECRET_TITLE not in response.text and "Banca Carige" not in response.text


def test_an_operator_records_a_decision_given_on_paper_only_with_its_scan(as_role, service, sessions):
    case_id, v = financing_case(service)
    v = service.add_party(case_id, PEOPLE["operator"].actor, v, "financing_body", "Banca Carige", "Paola Verdi").version
    operator = as_role("operator")
    data = {"version": v, "requirement": "financing_confirmed", "party": "1", "decision": "approve"}
    refused = operator.post(f"/cases/{case_id}/paper", data=data)
    assert refused.status_code == 422 and "Attach the scanned document" in refused.text
    import io

    done = operator.post(f"/cases/{case_id}/paper", content_type="multipart/form-data", data=data | {
        "evidence": (io.BytesIO(sample_file("delibera.pdf", 4000)), "delibera.pdf")})
    assert done.status_code == 302
    page = operator.get(f"/cases/{case_id}")
    assert re.search(r"on behalf of Banca Carige \(Paola Verdi\), on paper \(evidence #\d+\)", page.text)


SIGNING_ROUTES = [("/sign/<token>", "GET"), ("/sign/<token>", "POST"), ("/sign/<token>/documents/<int:document_id>", "GET")]
ROLES = ("admin", "operator", "other_operator", "mentor", "other_mentor", "designer", "worker")


def test_the_signing_matrix_covers_every_route_and_answers_the_same_to_everyone(app, as_role, service, sessions):
    """The link is the only authority on the signing pages: whoever holds a wrong, used or expired link —
    anonymous or logged in with any role — gets the same refusal, and nothing of the case; nothing changes."""
    from datetime import timedelta

    from sqlalchemy import func

    from engine.models import Event

    declared = {(rule.rule, method) for rule in app.url_map.iter_rules() if rule.endpoint.startswith("signing.")
                for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert declared == set(SIGNING_ROUTES)
    case_id, v = financing_case(service)
    operator = PEOPLE["operator"].actor
    v = service.add_party(case_id, operator, v, "financing_body", "Banca Carige", "Paola Verdi",
                          email="paola@carige.example").version
    receipt, used = service.send_signing_link(case_id, operator, v, 1, "financing_confirmed")
    v = service.decide_by_link(used, receipt.version, "request_changes", "Not yet").version
    _receipt, expired = service.send_signing_link(case_id, operator, v, 1, "financing_confirmed",
                                                  lifetime=timedelta(seconds=-1))
    with sessions() as session:
        events_before = session.scalar(select(func.count()).select_from(Event))
    browsers = [Browser(app.test_client())] + [as_role(role) for role in ROLES]
    for browser in browsers:
        for token, status in (("forged", 404), (used, 410), (expired, 410)):
            for url, method in ((f"/sign/{token}", "GET"), (f"/sign/{token}", "POST"),
                                (f"/sign/{token}/documents/1", "GET")):
                if method == "GET":
                    response = browser.get(url)
                else:
                    response = browser.client.post(url, data={"decision": "approve", "version": 99})
                expected = 400 if method == "POST" and response.status_code == 400 else status
                assert response.status_code == expected, (url, method, response.status_code)
                assert SECRET_TITLE not in response.text and "Banca Carige" not in response.text
                assert "Paola" not in response.text and "piano.pdf" not in response.text
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == events_before


def test_a_party_whose_decision_lapsed_is_told_by_e_mail_in_its_language(app, as_role, service, sessions):
    case_id, _v = financing_case(service)
    operator = as_role("operator")
    token = add_bank_and_send_link(operator, case_id, sessions)
    with sessions() as session:
        version = session.get(Case, case_id).version
    version = service.decide_by_link(token, version, "approve").version
    service.submit_form(case_id, PEOPLE["operator"].actor, version, {
        "legal_form": "sole_trader", "financing_sources": ["bank_loan"], "total_financing": 60000,
        "financing_covered": True})  # the figures change after the bank's approval: it lapses
    notify(app)
    with sessions() as session:
        [told] = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "signoff_lapsed")).all()
        assert session.scalars(select(SignOff).where(SignOff.case_id == case_id)).all() == []
    assert (told.email, told.language, told.link) == ("paola.verdi@carige.example", "it", "")
    assert f"n. {case_id} " in told.body and "nuovo link" in told.body


def test_a_party_s_person_is_exported_and_erased_from_the_command_line(app, people, service, sessions,  # noqa: ANN001
                                                                       monkeypatch, db_url, tmp_path):
    import json

    from click.testing import CliRunner

    import webui.cli as cli
    from engine.models import CaseParty, Event

    case_id, v = financing_case(service)
    operator = PEOPLE["operator"].actor
    v = service.add_party(case_id, operator, v, "financing_body", "Banca Carige", "Paola Verdi",
                          email="paola.verdi@carige.example", phone="+39 010 555", language="it").version
    receipt, token = service.send_signing_link(case_id, operator, v, 1, "financing_confirmed")
    service.decide_by_link(token, receipt.version, "request_changes", "Paola Verdi (+39 010 555) asks for more")
    for name, value in {"OPERA_DATABASE_URL": db_url, "OPERA_INSTANCE_PATH": str(tmp_path / "cli"),
                        "OPERA_SECRET_KEY": "a secret long enough for the tests of the command line"}.items():
        monkeypatch.setenv(name, value)
    exported = CliRunner().invoke(cli.main, ["parties", "export", "1"])
    assert exported.exit_code == 0, exported.output
    data = json.loads(exported.output)
    assert data["party"]["email"] == "paola.verdi@carige.example" and data["decisions"][0]["decision"] == \
        "request_changes"
    erased = CliRunner().invoke(cli.main, ["parties", "erase", "1"])
    assert erased.exit_code == 0, erased.output
    with sessions() as session:
        party = session.get(CaseParty, 1)
        assert (party.email, party.phone, party.organisation) == ("", "", "Banca Carige") and "Paola" not in party.name
        texts = " ".join(str(e.data) for e in session.query(Event).filter_by(case_id=case_id))
        texts += " ".join(s.comment for s in session.query(SignOff).filter_by(case_id=case_id))
    assert "Paola Verdi" not in texts and "+39 010 555" not in texts
    assert CliRunner().invoke(cli.main, ["parties", "erase", "99"]).exit_code == 1
