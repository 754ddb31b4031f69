"""Sign-offs that mean something (lapse on change, four-eyes both ways, committees, asking for one), exits that
tell the truth about the pathway they continue on, and closed cases reopened in their last stage."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine import Actor, InvalidOperation, Member, NotAllowed, RequirementsNotMet
from engine.check import check
from engine.loader import parse_text
from engine.models import Case, Event, SignOff
from engine.queries import timeline
from engine.scenarios import sample_file
from engine.validation import check_source

OPERATOR = Actor.of("op1", ["operator"], ["genova"])
MENTOR = Actor.of("men1", ["mentor"])
MENTOR_AND_BANK = Actor.of("men2", ["mentor", "bank"])  # a mentor who also sits on a bank's board
BANK_A, BANK_B = Actor.of("bank.a", ["bank"]), Actor.of("bank.b", ["bank"])
WORKERS = [Member("w1", "Anna Rossi"), Member("w2", "Luca Bianchi")]

BOARD = """
id: board
version: 1
title: {it: Consiglio, fr: Conseil, en: Board}
roles:
  - {id: bank, title: {it: Banca, fr: Banque, en: Bank}, kind: account}  # held by accounts here (see parties)
outcomes:
  - {id: funded, title: {it: Finanziato, fr: Financé, en: Funded}}
group: {min_members: 1, max_members: 5}
stages:
  - id: plan
    title: {it: Piano, fr: Plan, en: Plan}
    documents:
      - {id: plan_doc, label: {it: Piano, fr: Plan, en: Plan}, types: [pdf]}
    form:
      fields:
        - {id: amount, type: number, required: true, label: {it: Importo, fr: Montant, en: Amount}}
    signoffs:
      - {id: mentor_ok, role: mentor, label: {it: Tutor, fr: Mentor, en: Mentor's approval}}
      - {id: bank_ok, role: bank, count: 2, label: {it: Banche, fr: Banques, en: Banks' approval}}
      - {id: deed, role: operator, required: false, lapses_on_change: false,
         label: {it: Atto, fr: Acte, en: Deed}}
    distinct_signoffs: [mentor_ok, bank_ok]
    exits:
      - {id: funded, label: {it: Finanziato, fr: Financé, en: Funded}, outcome: funded}
      - {id: alone, label: {it: Da solo, fr: Seul, en: Alone}, pathway: solo, requires: none}
"""


def checked(text: str):  # noqa: ANN201
    return check_source(parse_text(text, "board.yaml"), {}, {"board", "solo", "mini"})


@pytest.fixture(autouse=True)
def board(library):  # noqa: ANN001, ANN201
    result = checked(BOARD)
    assert result.valid, [p.format() for p in result.problems]
    library.register(result.pathway, source_file="board.yaml")


def open_board(service, members=WORKERS):  # noqa: ANN001, ANN201
    receipt = service.open_case(OPERATOR, pathway_id="board", desk_id="genova", members=list(members),
                                mentors=[Member("men1", "Marco Neri"), Member("men2", "Elena Blu")])
    return receipt.case_id, receipt.version


def prepared(service):  # noqa: ANN001, ANN201
    case_id, v = open_board(service)
    v = service.attach_document(case_id, OPERATOR, v, "plan_doc", "plan.pdf", sample_file("plan.pdf", 3000)).version
    v = service.submit_form(case_id, OPERATOR, v, {"amount": 1000}).version
    return case_id, v


def sign_all(service, case_id, v):  # noqa: ANN001, ANN201
    for actor, signoff in ((MENTOR, "mentor_ok"), (BANK_A, "bank_ok"), (BANK_B, "bank_ok")):
        v = service.sign_off(case_id, actor, v, signoff).version
    return v


def signed(sessions, case_id):  # noqa: ANN001, ANN201
    with sessions() as session:
        return sorted((s.signoff_id, s.actor_id) for s in session.scalars(select(SignOff).where(SignOff.case_id == case_id)))


def last_event(sessions, case_id) -> Event:  # noqa: ANN001
    with sessions() as session:
        return session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.seq.desc())).first()


def test_a_changed_form_makes_the_sign_offs_lapse_and_an_unchanged_one_does_not(service, sessions):
    case_id, v = prepared(service)
    v = sign_all(service, case_id, v)
    v = service.sign_off(case_id, OPERATOR, v, "deed").version
    assert service.missing(case_id)["funded"] == []
    v = service.submit_form(case_id, OPERATOR, v, {"amount": 1000}).version  # the same values
    assert service.missing(case_id)["funded"] == []
    assert "lapsed_signoffs" not in last_event(sessions, case_id).data
    v = service.submit_form(case_id, OPERATOR, v, {"amount": 1500}).version
    assert {u.requirement for u in service.missing(case_id)["funded"]} == {"mentor_ok", "bank_ok"}
    assert signed(sessions, case_id) == [("deed", "op1")]  # the deed says it does not lapse
    event = last_event(sessions, case_id)
    assert event.type == "form_submitted"
    assert sorted((s["signoff"], s["actor"]) for s in event.data["lapsed_signoffs"]) == [
        ("bank_ok", "bank.a"), ("bank_ok", "bank.b"), ("mentor_ok", "men1")]
    with sessions() as session:
        entry = timeline(session, case_id, "en", lambda person: person)[-1]
    assert "no longer count" in entry.text and "'Mentor's approval' (men1)" in entry.text
    with pytest.raises(RequirementsNotMet):
        service.advance(case_id, OPERATOR, v, "funded")
    # The same people may sign again: what they sign now is what they see now.
    v = sign_all(service, case_id, v)
    service.advance(case_id, OPERATOR, v, "funded")
    report = check(service.engine, service.files)
    assert report.problems == [], [p.text("en") for p in report.problems]


def test_a_replaced_or_removed_document_makes_the_sign_offs_lapse(service, sessions):
    case_id, v = prepared(service)
    v = sign_all(service, case_id, v)
    with sessions() as session:
        from engine.models import CaseDocument

        document_id = session.scalar(select(CaseDocument.id).where(CaseDocument.case_id == case_id))
    v = service.remove_document(case_id, OPERATOR, v, document_id).version
    assert signed(sessions, case_id) == []
    assert last_event(sessions, case_id).data["lapsed_signoffs"]
    v = service.sign_off(case_id, MENTOR, v, "mentor_ok").version
    v = service.attach_document(case_id, OPERATOR, v, "plan_doc", "plan2.pdf", sample_file("plan2.pdf", 3100)).version
    assert signed(sessions, case_id) == []
    assert [s["actor"] for s in last_event(sessions, case_id).data["lapsed_signoffs"]] == ["men1"]
    assert check(service.engine, service.files).problems == []


def test_four_eyes_holds_whichever_sign_off_comes_first(service):
    case_id, v = prepared(service)
    v = service.sign_off(case_id, MENTOR_AND_BANK, v, "bank_ok").version
    with pytest.raises(InvalidOperation) as refused:
        service.sign_off(case_id, MENTOR_AND_BANK, v, "mentor_ok")
    assert refused.value.code == "signoff_distinct"
    assert "Banks' approval" in refused.value.message("en")
    other_id, w = prepared(service)
    w = service.sign_off(other_id, MENTOR_AND_BANK, w, "mentor_ok").version
    with pytest.raises(InvalidOperation) as refused:
        service.sign_off(other_id, MENTOR_AND_BANK, w, "bank_ok")
    assert refused.value.code == "signoff_distinct"


def test_distinct_from_a_sign_off_works_both_ways(service, library):
    result = checked(BOARD.replace("    distinct_signoffs: [mentor_ok, bank_ok]\n", "").replace(
        "id: mentor_ok, role: mentor,", "id: mentor_ok, role: mentor, distinct_from: ['signoff:bank_ok'],"))
    assert result.valid, [p.format() for p in result.problems]
    library.register(result.pathway, source_file="board.yaml")
    case_id, v = prepared(service)
    v = service.sign_off(case_id, MENTOR_AND_BANK, v, "mentor_ok").version  # this one first: the old one-way gap
    with pytest.raises(InvalidOperation) as refused:
        service.sign_off(case_id, MENTOR_AND_BANK, v, "bank_ok")
    assert refused.value.code == "signoff_distinct"


def test_a_committee_needs_as_many_different_people_as_its_count(service):
    case_id, v = prepared(service)
    v = service.sign_off(case_id, MENTOR, v, "mentor_ok").version
    v = service.sign_off(case_id, BANK_A, v, "bank_ok").version
    [unmet] = service.missing(case_id)["funded"]
    assert unmet.requirement == "bank_ok" and "1 of 2" in unmet.message("en")
    with pytest.raises(InvalidOperation) as refused:
        service.sign_off(case_id, BANK_A, v, "bank_ok")
    assert refused.value.code == "already_signed"
    v = service.sign_off(case_id, BANK_B, v, "bank_ok").version
    with pytest.raises(InvalidOperation) as refused:
        service.sign_off(case_id, Actor.of("bank.c", ["bank"]), v, "bank_ok")
    assert refused.value.code == "signoff_complete"
    assert service.missing(case_id)["funded"] == []


def test_staff_ask_a_mentor_of_the_case_for_a_sign_off(service, sessions):
    case_id, v = prepared(service)
    with pytest.raises(NotAllowed):
        service.request_signoff(case_id, MENTOR, v, "mentor_ok", "men2")
    for person, signoff, code in (("men9", "mentor_ok", "signoff_request_not_signer"),
                                  ("men1", "bank_ok", "signoff_request_not_signer"),
                                  ("men1", "nothing", "unknown_requirement")):
        with pytest.raises(InvalidOperation) as refused:
            service.request_signoff(case_id, OPERATOR, v, signoff, person)
        assert refused.value.code == code
    v = service.request_signoff(case_id, OPERATOR, v, "mentor_ok", "men1", note="  The plan is ready  ").version
    event = last_event(sessions, case_id)
    assert event.type == "signoff_requested"
    assert (event.data["person"], event.data["signoff"], event.data["person_kind"], event.data["note"]) == (
        "men1", "mentor_ok", "mentor", "The plan is ready")
    v = service.sign_off(case_id, MENTOR, v, "mentor_ok").version
    with pytest.raises(InvalidOperation) as refused:  # no use asking someone who has signed already
        service.request_signoff(case_id, OPERATOR, v, "mentor_ok", "men1")
    assert refused.value.code == "already_signed"
    assert check(service.engine, service.files).problems == []


def test_an_exit_to_a_pathway_that_would_not_take_the_case_is_closed_and_refused(service, sessions):
    case_id, v = open_board(service)
    # "solo" takes one worker: with two the exit says so, and taking it is refused without a new case.
    [unmet] = service.missing(case_id)["alone"]
    assert (unmet.code, unmet.requirement) == ("missing.pathway_refuses", "pathway")
    assert "Percorso individuale" in unmet.message("it") and "al massimo 1" in unmet.message("it")
    with pytest.raises(RequirementsNotMet) as refused:
        service.advance(case_id, OPERATOR, v, "alone")
    assert [u.requirement for u in refused.value.unmet] == ["pathway"]
    v = service.change_members(case_id, OPERATOR, v, remove=["w2"]).version
    assert service.missing(case_id)["alone"] == []
    receipt = service.advance(case_id, OPERATOR, v, "alone")
    assert receipt.new_case_id is not None


def test_a_closed_case_is_reopened_in_its_last_stage_with_a_reason(service, sessions):
    case_id, v = prepared(service)
    v = sign_all(service, case_id, v)
    v = service.advance(case_id, OPERATOR, v, "funded").version
    with pytest.raises(NotAllowed):
        service.reopen(case_id, MENTOR, v, None, "the bank withdrew")
    with pytest.raises(InvalidOperation) as refused:
        service.reopen(case_id, OPERATOR, v, None, " ")
    assert refused.value.code == "reason_required"
    with pytest.raises(InvalidOperation) as refused:
        service.reopen(case_id, OPERATOR, v, "elsewhere", "the bank withdrew")
    assert refused.value.code == "reopen_closed_stage"
    v = service.reopen(case_id, OPERATOR, v, None, "the bank withdrew").version
    with sessions() as session:
        case = session.get(Case, case_id)
        assert (case.status, case.outcome, case.closed_at, case.stage_id, case.stage_visit) == (
            "active", None, None, "plan", 2)
        entry = timeline(session, case_id, "en", lambda person: person)[-1]
    assert entry.type == "reopened" and "reopened the case" in entry.text and "the bank withdrew" in entry.text
    assert last_event(sessions, case_id).data["closed_outcome"] == "funded"
    # A new visit: the sign-offs are asked again, the document and the form stay.
    assert {u.requirement for u in service.missing(case_id)["funded"]} == {"mentor_ok", "bank_ok"}
    v = service.withdraw(case_id, OPERATOR, v, "no bank at all").version
    v = service.reopen(case_id, OPERATOR, v, "plan", "a new bank").version
    assert check(service.engine, service.files).problems == []


def test_a_referred_case_stays_closed(service, sessions):
    case_id, v = open_board(service, members=WORKERS[:1])
    v = service.advance(case_id, OPERATOR, v, "alone").version
    with pytest.raises(InvalidOperation) as refused:
        service.reopen(case_id, OPERATOR, v, None, "back")
    assert refused.value.code == "reopen_referred"


def test_the_pathway_file_is_checked_for_the_new_keys():
    unknown = checked(BOARD.replace("distinct_signoffs: [mentor_ok, bank_ok]", "distinct_signoffs: [mentor_ok, nobody]"))
    assert [p.code for p in unknown.errors] == ["distinct_unknown_signoff"]
    assert "nobody" in unknown.errors[0].format()
    alone = checked(BOARD.replace("distinct_signoffs: [mentor_ok, bank_ok]", "distinct_signoffs: [mentor_ok]"))
    assert alone.errors and "distinct_signoffs" in alone.errors[0].format()
    wrong = checked(BOARD.replace("lapses_on_change: false", "lapses_on_change: sometimes"))
    assert wrong.errors and "lapses_on_change" in wrong.errors[0].format()


def test_the_revision_diff_says_when_four_eyes_or_the_group_size_change():
    from engine.revisions import diff_pathways

    before = checked(BOARD).pathway
    after = checked(BOARD.replace("distinct_signoffs: [mentor_ok, bank_ok]", "distinct_signoffs: [mentor_ok, deed]")
                    .replace("max_members: 5", "max_members: 3")).pathway
    said = [c.message("en") for c in diff_pathways(before, after)]
    assert "workers per case: 1–3 (was 1–5)" in said
    assert 'stage \'plan\': sign-offs no one person gives two of: ["mentor_ok", "deed"] (was ["mentor_ok", "bank_ok"])' \
        in said
