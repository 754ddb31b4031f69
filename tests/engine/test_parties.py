"""Parties of a case: who signs a role a pathway declares, through which way (account, link, paper), and
what the replay of the log says of it."""
from __future__ import annotations

from datetime import timedelta

import pytest

from engine import Actor, InvalidOperation, Member, NotAllowed
from engine.check import check
from engine.files import FileStore
from engine.models import Case, SignOff
from engine.queries import timeline
from engine.scenarios import ScenarioRunner, sample_file

from ..conftest import SHIPPED_PATHWAYS

OPERATOR = Actor.of("op_genova", ["operator"], ["genova"])


@pytest.fixture
def runner(sessions, desks):
    runner = ScenarioRunner(SHIPPED_PATHWAYS, sessions)
    yield runner
    runner.close()


def financing_case(runner: ScenarioRunner) -> tuple[int, int]:
    service = runner.service
    receipt = service.open_case(OPERATOR, pathway_id="startup", desk_id="genova",
                                members=[Member("w_anna", "Anna")], at="legal_form_financing")
    v = service.tick(receipt.case_id, OPERATOR, receipt.version, "accountant_consulted").version
    v = service.attach_document(receipt.case_id, OPERATOR, v, "financing_plan", "plan.pdf",
                                sample_file("plan.pdf", 3000)).version
    v = service.submit_form(receipt.case_id, OPERATOR, v, {
        "legal_form": "sole_trader", "financing_sources": ["bank_loan"], "total_financing": 1000,
        "financing_covered": True}).version
    v = service.add_party(receipt.case_id, OPERATOR, v, "financing_body", "Banca Carige", "Paola Verdi",
                          email="paola.verdi@carige.example", language="it").version
    return receipt.case_id, v


def test_a_signing_link_is_single_use_and_a_wrong_expired_or_stale_link_says_so(runner, sessions):
    service = runner.service
    case_id, v = financing_case(runner)
    with pytest.raises(NotAllowed):
        service.signing_request("not-a-token")
    receipt, token = service.send_signing_link(case_id, OPERATOR, v, 1, "financing_confirmed")
    request = service.signing_request(token)
    assert (request.case_id, request.signoff_id, request.party.organisation) == (
        case_id, "financing_confirmed", "Banca Carige")
    v = service.decide_by_link(token, receipt.version, "request_changes", "Total too high").version
    with pytest.raises(InvalidOperation) as used:
        service.decide_by_link(token, v, "approve")
    assert used.value.code == "signing_link_used"
    receipt, expired = service.send_signing_link(case_id, OPERATOR, v, 1, "financing_confirmed",
                                                 lifetime=timedelta(seconds=-1))
    with pytest.raises(InvalidOperation) as late:
        service.signing_request(expired)
    assert late.value.code == "signing_link_expired"
    receipt, fresh = service.send_signing_link(case_id, OPERATOR, receipt.version, 1, "financing_confirmed")
    v = service.remove_party(case_id, OPERATOR, receipt.version, 1).version
    with pytest.raises(InvalidOperation) as gone:  # a removed party's links die with it
        service.signing_request(fresh)
    assert gone.value.code == "signing_link_used"


def test_paper_decisions_name_who_recorded_them_and_their_evidence_and_the_log_replays(runner, sessions, tmp_path):
    service = runner.service
    case_id, v = financing_case(runner)
    receipt, token = service.send_signing_link(case_id, OPERATOR, v, 1, "financing_confirmed")
    v = service.decide_by_link(token, receipt.version, "decline", "Not financed").version
    v = service.record_on_paper(case_id, OPERATOR, v, "financing_confirmed", filename="delibera.pdf",
                                content=sample_file("delibera.pdf", 5000), party_id=1).version
    with sessions() as session:
        rows = session.query(SignOff).filter_by(case_id=case_id).all()
        assert [(r.actor_id, r.decision, r.recorded_by) for r in rows] == [("party:1", "approve", "op_genova")]
        entries = timeline(session, case_id, "en", lambda person: {"op_genova": "Giulia"}.get(person, person))
        texts = [e.text for e in entries]
    assert any("declined on 'Financing confirmed by the financing body'" in t and "Not financed" in t for t in texts)
    assert any(t.startswith("Giulia signed off 'Financing confirmed by the financing body' on behalf of party:1, "
                            "on paper (evidence #") for t in texts)
    assert check(sessions.kw["bind"], runner.service.files).problems == []


def test_an_offline_worker_s_consent_is_recorded_on_paper_with_its_scan(runner, sessions):
    service = runner.service
    receipt = service.open_case(OPERATOR, pathway_id="startup", desk_id="genova",
                                members=[Member("w_anna", "Anna")], at="data_consent")
    with pytest.raises(InvalidOperation) as refused:
        service.record_on_paper(receipt.case_id, OPERATOR, receipt.version, "consent_personal_data", filename="",
                                content=b"", member="w_anna")
    assert refused.value.code == "paper_evidence_required"
    v = service.record_on_paper(receipt.case_id, OPERATOR, receipt.version, "consent_personal_data",
                                filename="consenso.jpg", content=sample_file("consenso.jpg", 3000),
                                member="w_anna").version
    with sessions() as session:
        state = service.stage_state(session, session.get(Case, receipt.case_id))
        consent = next(r for r in state.requirement_states() if r.id == "consent_personal_data")
    assert consent.met and v == receipt.version + 1
    assert check(sessions.kw["bind"], service.files).problems == []


def test_a_party_s_person_is_exported_and_erased_and_the_log_still_checks(runner, sessions):
    from engine.db import writing
    from engine.models import CaseParty, Event
    from engine.personal_data import ERASED_NAME, erase_party, export_party

    service = runner.service
    case_id, v = financing_case(runner)
    receipt, token = service.send_signing_link(case_id, OPERATOR, v, 1, "financing_confirmed")
    service.decide_by_link(token, receipt.version, "request_changes", "Paola Verdi asks for the 2025 accounts")
    with sessions() as session:
        exported = export_party(session.connection(), 1)
    assert exported["party"]["email"] == "paola.verdi@carige.example"
    assert [d["decision"] for d in exported["decisions"]] == ["request_changes"]
    with writing(sessions).begin() as session:
        assert erase_party(session.connection(), 1, "adm")
    with sessions() as session:
        party = session.get(CaseParty, 1)
        assert (party.name, party.email, party.phone, party.organisation) == (ERASED_NAME, "", "", "Banca Carige")
        texts = " ".join(str(e.data) for e in session.query(Event).filter_by(case_id=case_id))
        assert "Paola Verdi" not in texts and "person_erased" in [e.type for e in session.query(Event)]
        assert "Paola Verdi" not in session.query(SignOff).filter_by(case_id=case_id).one().comment
    assert check(sessions.kw["bind"], service.files).problems == []


def test_the_dossier_lists_the_parties_and_their_decisions(runner, sessions):
    from engine.dossier import case_dossier

    service = runner.service
    case_id, v = financing_case(runner)
    receipt, token = service.send_signing_link(case_id, OPERATOR, v, 1, "financing_confirmed")
    service.decide_by_link(token, receipt.version, "decline", "Not financed")
    with sessions() as session:
        dossier = case_dossier(session, service.library, service.assessments, case_id, "it")
    assert dossier.parties == ["Ente finanziatore (banca, microcredito, Invitalia): Banca Carige (Paola Verdi)"]
    stage = next(s for s in dossier.stages if s.id == "legal_form_financing")
    signoff = next(r for r in stage.requirements if r.kind == "signoff")
    assert [(what, who) for what, who, _at in signoff.entries] == [("rifiutato: Not financed",
                                                                    "Banca Carige (Paola Verdi)")]
    assert any("Banca Carige (Paola Verdi)" in e.text for e in dossier.timeline)


def test_a_worker_s_data_download_holds_the_parties_decisions_on_their_case(runner, sessions):
    from engine.personal_data import export_person

    service = runner.service
    case_id, v = financing_case(runner)
    receipt, token = service.send_signing_link(case_id, OPERATOR, v, 1, "financing_confirmed")
    service.decide_by_link(token, receipt.version, "request_changes", "The 2025 accounts are missing")
    with sessions() as session:
        exported = export_person(session.connection(), "w_anna").as_dict()
    assert [(d["case_id"], d["signoff_id"], d["decision"], d["comment"], d["party_organisation"])
            for d in exported["decisions"]] == [
        (case_id, "financing_confirmed", "request_changes", "The 2025 accounts are missing", "Banca Carige")]
