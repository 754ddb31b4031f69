"""Every case operation, and every refusal, on a real database."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from engine import (
    Actor, ConflictError, DocumentRefused, FormInvalid, InvalidOperation, Member, NotAllowed, RequirementsNotMet,
)
from engine.models import Case, CaseDocument, Desk, Event
from engine.queries import counts, overdue, timeline
from engine.requirements import StageState
from engine.scenarios import sample_file

OPERATOR = Actor.of("op1", ["operator"], ["genova"])
OTHER_DESK_OPERATOR = Actor.of("op2", ["operator"], ["nice"])
SECOND_OPERATOR = Actor.of("op3", ["operator"], ["genova"])
MENTOR = Actor.of("men1", ["mentor"])
OTHER_MENTOR = Actor.of("men2", ["mentor"])
NOTARY = Actor.of("not1", ["notary"])
WORKERS = [Member("w1", "Anna Rossi"), Member("w2", "Luca Bianchi"), Member("w3", "Sara Verdi")]
W1 = Actor.of("w1", ["worker"])
W2 = Actor.of("w2", ["worker"])
STRANGER = Actor.of("w9", ["worker"])
ADMIN = Actor.of("adm", ["admin"])


def open_group(service, members=WORKERS, pathway="mini"):  # noqa: ANN001, ANN201
    receipt = service.open_case(OPERATOR, pathway_id=pathway, desk_id="genova", members=list(members),
                                mentors=[Member("men1", "Marco Neri")], supply_chains=["nautical_shipbuilding"])
    return receipt.case_id, receipt.version


def finish_welcome(service, case_id, version, members=WORKERS):  # noqa: ANN001, ANN201
    for m in members:
        version = service.tick(case_id, Actor.of(m.person_id, ["worker"]), version, "consent").version
    version = service.submit_form(case_id, OPERATOR, version, {"sector": "nautical", "years": 12}).version
    return service.advance(case_id, OPERATOR, version, "continue").version


def events_of(sessions, case_id):  # noqa: ANN001, ANN201
    with sessions() as session:
        return [e.type for e in session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.seq))]


def case_row(sessions, case_id) -> Case:  # noqa: ANN001
    with sessions() as session:
        case = session.get(Case, case_id)
        session.expunge(case)
        return case


def test_opening_a_group_case_pins_the_revision_and_writes_the_first_event(service, sessions, library):
    case_id, version = open_group(service)
    case = case_row(sessions, case_id)
    assert version == 1 and case.version == 1
    assert case.stage_id == "welcome" and case.status == "active"
    assert case.revision_id == library.active_revision_id("mini")
    assert case.due_at is not None and case.due_at - case.opened_at == timedelta(days=10)
    assert events_of(sessions, case_id) == ["case_opened"]


def test_only_an_operator_of_the_desk_or_an_admin_opens_a_case(service):
    with pytest.raises(NotAllowed) as refused:
        service.open_case(OTHER_DESK_OPERATOR, pathway_id="mini", desk_id="genova", members=WORKERS[:1])
    assert "another help desk" in refused.value.message("en")
    with pytest.raises(NotAllowed):
        service.open_case(W1, pathway_id="mini", desk_id="genova", members=WORKERS[:1])
    assert service.open_case(ADMIN, pathway_id="mini", desk_id="genova", members=WORKERS[:1]).version == 1


def test_opening_refuses_unknown_pathway_desk_and_empty_or_duplicate_groups(service):
    with pytest.raises(InvalidOperation) as refused:
        service.open_case(OPERATOR, pathway_id="nope", desk_id="genova", members=WORKERS)
    assert refused.value.code == "unknown_pathway"
    with pytest.raises(InvalidOperation):
        service.open_case(ADMIN, pathway_id="mini", desk_id="nowhere", members=WORKERS)
    with pytest.raises(InvalidOperation) as refused:
        service.open_case(OPERATOR, pathway_id="mini", desk_id="genova", members=[])
    assert refused.value.code == "no_members"
    with pytest.raises(InvalidOperation) as refused:
        service.open_case(OPERATOR, pathway_id="mini", desk_id="genova", members=[WORKERS[0], WORKERS[0]])
    assert refused.value.code == "duplicate_members"


def test_per_member_items_are_ticked_by_each_worker_for_themselves(service):
    case_id, v = open_group(service)
    v = service.tick(case_id, W1, v, "consent").version
    with pytest.raises(InvalidOperation) as refused:
        service.tick(case_id, W1, v, "consent")
    assert refused.value.code == "already_ticked"
    with pytest.raises(NotAllowed):
        service.tick(case_id, W1, v, "consent", member="w2")  # nobody consents for someone else
    with pytest.raises(NotAllowed):
        service.tick(case_id, STRANGER, v, "consent")  # not a member of this case
    missing = service.missing(case_id)["continue"]
    by_requirement = {u.requirement: u for u in missing}
    assert "Luca Bianchi" in by_requirement["consent"].message("en")
    assert "Anna Rossi" not in by_requirement["consent"].message("en")
    assert "Luca Bianchi" in by_requirement["consent"].message("it")


def test_a_per_member_requirement_says_who_still_has_to_act_and_what_is_left_for_each(service, sessions):  # noqa: ANN001
    case_id, v = open_group(service)
    service.tick(case_id, W1, v, "consent")
    with sessions() as session:
        case = session.get(Case, case_id)
        state = StageState.load(session, case, service.library.revision(case.revision_id).pathway)
        consent = state.requirement_state(state.stage.requirement("consent"))
        leaflet = state.requirement_state(state.stage.requirement("leaflet"))
    assert consent.per_member and [(pid, row is not None) for pid, _name, row in consent.by_member] == [
        ("w1", True), ("w2", False), ("w3", False)]
    assert consent.still_to_act == ["Luca Bianchi", "Sara Verdi"]
    assert consent.done_for("w1") and not consent.done_for("w2") and not consent.met
    assert [r.member_id for r in consent.rows_of("w1")] == ["w1"] and consent.rows_of("w2") == []
    assert not leaflet.per_member and leaflet.by_member == [] and leaflet.still_to_act == []
    assert not leaflet.done_for("w1")  # one tick for the group, not given yet


def test_an_operator_ticks_a_per_member_item_only_naming_the_member(service):
    case_id, v = open_group(service)
    with pytest.raises(InvalidOperation) as refused:
        service.tick(case_id, OPERATOR, v, "consent")
    assert refused.value.code == "member_required"
    with pytest.raises(InvalidOperation) as refused:
        service.tick(case_id, OPERATOR, v, "consent", member="w9")
    assert refused.value.code == "not_a_member"
    v = service.tick(case_id, OPERATOR, v, "consent", member="w2").version
    v = service.untick(case_id, OPERATOR, v, "consent", member="w2").version
    with pytest.raises(InvalidOperation) as refused:
        service.untick(case_id, OPERATOR, v, "consent", member="w2")
    assert refused.value.code == "not_ticked"


def test_workers_cannot_tick_operator_items_and_other_desks_cannot_act(service):
    case_id, v = open_group(service)
    with pytest.raises(NotAllowed):
        service.tick(case_id, W1, v, "leaflet")
    with pytest.raises(NotAllowed) as refused:
        service.tick(case_id, OTHER_DESK_OPERATOR, v, "leaflet")
    assert refused.value.reason_code == "not_allowed.desk"
    with pytest.raises(InvalidOperation) as refused:
        service.tick(case_id, OPERATOR, v, "no_such_item")
    assert refused.value.code == "unknown_requirement"
    assert service.tick(case_id, OPERATOR, v, "leaflet").version == v + 1


def test_an_exit_is_refused_with_every_unmet_requirement_and_nothing_changes(service, sessions):
    case_id, v = open_group(service)
    with pytest.raises(RequirementsNotMet) as refused:
        service.advance(case_id, OPERATOR, v, "continue")
    assert {u.requirement for u in refused.value.unmet} == {"consent", "form"}
    assert "Compili il modulo" in refused.value.message("it")
    case = case_row(sessions, case_id)
    assert case.version == v and case.stage_id == "welcome"
    assert events_of(sessions, case_id) == ["case_opened"]


def test_optional_items_do_not_hold_a_stage(service, sessions):
    case_id, v = open_group(service)
    v = finish_welcome(service, case_id, v)
    assert case_row(sessions, case_id).stage_id == "study"


def test_form_data_is_validated_with_localized_messages_per_field(service, sessions):
    case_id, v = open_group(service)
    with pytest.raises(FormInvalid) as refused:
        service.submit_form(case_id, OPERATOR, v, {"sector": "mining", "years": -1, "bogus": 1})
    errors = refused.value.messages("fr")
    assert set(errors) == {"sector", "years", "bogus"}
    assert "au moins 0" in errors["years"][0]
    with pytest.raises(FormInvalid) as refused:
        service.submit_form(case_id, OPERATOR, v, {"years": "twelve"})
    assert set(refused.value.field_errors) == {"sector", "years"}
    assert "nombre entier" in refused.value.messages("fr")["years"][0]
    assert case_row(sessions, case_id).version == v
    v = service.submit_form(case_id, OPERATOR, v, {"sector": "tourism"}).version
    v = service.submit_form(case_id, OPERATOR, v, {"sector": "nautical", "years": 3}).version
    with sessions() as session:
        last = session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.seq.desc())).first()
        assert last.data["changed"] == ["sector", "years"]


def test_workers_cannot_fill_an_operator_form(service):
    case_id, v = open_group(service)
    with pytest.raises(NotAllowed):
        service.submit_form(case_id, W1, v, {"sector": "tourism"})


def test_documents_are_stored_by_content_and_checked_against_the_stage_rule(service, sessions, files):
    case_id, v = open_group(service)
    v = finish_welcome(service, case_id, v)
    pdf = sample_file("plan.pdf", 3000)
    receipt = service.attach_document(case_id, W1, v, "plan", "plan.pdf", pdf)
    v = receipt.version
    with sessions() as session:
        doc = session.get(CaseDocument, receipt.document_id)
        assert files.read(doc.sha256) == pdf and doc.content_type == "application/pdf" and doc.size == 3000
    # The same bytes again are stored once.
    v = service.attach_document(case_id, OPERATOR, v, "plan", "copy.pdf", pdf).version
    assert len(list(files.root.rglob("*"))) == 2  # one folder, one file


@pytest.mark.parametrize("filename, content, code", [
    ("plan.exe", sample_file("x.exe", 100), "document_type"),
    ("plan.pdf", sample_file("x.png", 100), "document_type"),  # a PNG renamed .pdf
    ("plan.png", sample_file("x.png", 100), "document_type"),  # a type the stage does not accept
    ("plan.pdf", sample_file("x.pdf", 20000), "document_too_big"),  # the rule says 0.01 MB
    ("plan.pdf", b"", "document_empty"),
    ("../../etc/passwd.pdf", sample_file("x.pdf", 100), "document_name"),
    ("..\\evil.pdf", sample_file("x.pdf", 100), "document_name"),
    ("a\x00b.pdf", sample_file("x.pdf", 100), "document_name"),
])
def test_refused_uploads_write_nothing(service, sessions, files, filename, content, code):
    case_id, v = open_group(service)
    v = finish_welcome(service, case_id, v)
    with pytest.raises(DocumentRefused) as refused:
        service.attach_document(case_id, OPERATOR, v, "plan", filename, content)
    assert refused.value.code == code
    assert refused.value.message("it")
    assert not files.root.exists() or not any(p.is_file() for p in files.root.rglob("*"))
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(CaseDocument)) == 0
    assert case_row(sessions, case_id).version == v


def test_removing_a_document_unmeets_the_requirement(service):
    case_id, v = open_group(service)
    v = finish_welcome(service, case_id, v)
    receipt = service.attach_document(case_id, W1, v, "plan", "plan.pdf", sample_file("p.pdf", 500))
    assert "plan" not in {u.requirement for u in service.missing(case_id)["positive"]}
    with pytest.raises(NotAllowed):
        service.remove_document(case_id, W2, receipt.version, receipt.document_id)  # not the uploader
    v = service.remove_document(case_id, W1, receipt.version, receipt.document_id).version
    assert "plan" in {u.requirement for u in service.missing(case_id)["positive"]}
    with pytest.raises(InvalidOperation):
        service.remove_document(case_id, W1, v, receipt.document_id)


def test_sign_off_enforces_role_assignment_and_distinct_persons(service, sessions):
    case_id, v = open_group(service)
    v = finish_welcome(service, case_id, v)
    with pytest.raises(NotAllowed):
        service.sign_off(case_id, OPERATOR, v, "review")  # wrong role
    with pytest.raises(NotAllowed) as refused:
        service.sign_off(case_id, OTHER_MENTOR, v, "review")  # not assigned to this case
    assert refused.value.reason_code == "not_allowed.not_assigned"
    # A mentor who filled in the study form cannot also review it.
    v = service.assign_mentor(case_id, OPERATOR, v, Member("men2")).version
    both = Actor.of("men2", ["mentor", "operator"], ["genova"])
    v = service.submit_form(case_id, both, v, {"viable": True}).version
    with pytest.raises(InvalidOperation) as refused:
        service.sign_off(case_id, both, v, "review")
    assert refused.value.code == "signoff_distinct"
    assert "compilato il modulo" in refused.value.message("it")
    v = service.sign_off(case_id, MENTOR, v, "review", comment="solid plan").version
    with pytest.raises(InvalidOperation) as refused:
        service.sign_off(case_id, MENTOR, v, "review")
    assert refused.value.code in ("already_signed", "signoff_complete")


def test_conditions_choose_the_branch_and_say_why_the_other_is_closed(service, sessions):
    case_id, v = open_group(service, members=WORKERS[:2])
    v = finish_welcome(service, case_id, v, members=WORKERS[:2])
    v = service.attach_document(case_id, OPERATOR, v, "plan", "plan.docx", sample_file("p.docx", 3000)).version
    v = service.submit_form(case_id, OPERATOR, v, {"viable": True, "investment": 25000}).version
    v = service.sign_off(case_id, MENTOR, v, "review").version
    missing = service.missing(case_id)
    # Viable, but a cooperative needs three members: the positive exit stays closed, on the condition only.
    assert [u.requirement for u in missing["positive"]] == ["condition"]
    text = missing["positive"][0].message("en")
    assert "Viable = yes" in text and "Number of workers ≥ 3" in text and "case." not in text
    with pytest.raises(RequirementsNotMet):
        service.advance(case_id, OPERATOR, v, "positive")
    v = service.change_members(case_id, OPERATOR, v, add=[WORKERS[2]]).version
    assert service.missing(case_id)["positive"] == []
    # The negative exit continues on "solo", a one-person pathway: it would not take a group of three.
    negative = service.missing(case_id)["negative"]
    assert [u.requirement for u in negative] == ["condition", "pathway"]
    assert "at most 1" in negative[1].message("en") and "Solo" in negative[1].message("en")
    v = service.advance(case_id, OPERATOR, v, "positive").version
    case = case_row(sessions, case_id)
    assert case.stage_id == "deed" and case.stage_visit == 3


def test_an_external_role_signs_and_the_exit_closes_the_case_with_its_outcome(service, sessions):
    case_id, v = open_group(service)
    v = finish_welcome(service, case_id, v)
    v = service.attach_document(case_id, OPERATOR, v, "plan", "plan.pdf", sample_file("p.pdf", 100)).version
    v = service.submit_form(case_id, OPERATOR, v, {"viable": True}).version
    v = service.sign_off(case_id, MENTOR, v, "review").version
    v = service.advance(case_id, OPERATOR, v, "positive").version
    with pytest.raises(NotAllowed):
        service.sign_off(case_id, MENTOR, v, "notary_deed")
    with pytest.raises(NotAllowed) as refused:  # a notary's account is not this case's notary
        service.sign_off(case_id, NOTARY, v, "notary_deed")
    assert refused.value.reason_code == "not_allowed.not_party"
    v = service.add_party(case_id, OPERATOR, v, "notary", "Studio notarile Rossi", "Mario Rossi",
                          account_id=NOTARY.id).version
    v = service.sign_off(case_id, NOTARY, v, "notary_deed").version
    v = service.advance(case_id, OPERATOR, v, "constituted").version
    case = case_row(sessions, case_id)
    assert (case.status, case.outcome) == ("closed", "coop_constituted") and case.closed_at is not None
    with pytest.raises(InvalidOperation) as refused:
        service.hold(case_id, OPERATOR, v, "too late")
    assert refused.value.code == "case_closed"


def test_the_negative_branch_refers_the_case_to_another_pathway_carrying_data(service, sessions):
    case_id, v = open_group(service, members=WORKERS[:1])
    v = finish_welcome(service, case_id, v, members=WORKERS[:1])
    v = service.submit_form(case_id, OPERATOR, v, {"viable": False}).version
    receipt = service.advance(case_id, OPERATOR, v, "negative")  # needs only the form
    old = case_row(sessions, case_id)
    new = case_row(sessions, receipt.new_case_id)
    assert (old.status, old.outcome, old.next_case_id) == ("closed", "referred", new.id)
    assert (new.pathway_id, new.stage_id, new.previous_case_id, new.version) == ("solo", "idea", old.id, 1)
    with sessions() as session:
        from engine.models import FormData

        carried = session.scalar(select(FormData).where(FormData.case_id == new.id))
        assert carried.stage_id == "welcome" and carried.data["sector"] == "nautical"
        entries = timeline(session, new.id, "it")
        assert "in continuità con la pratica" in entries[0].text


def test_reopen_goes_back_to_a_visited_stage_and_asks_for_sign_offs_again(service, sessions):
    case_id, v = open_group(service)
    v = finish_welcome(service, case_id, v)
    v = service.attach_document(case_id, OPERATOR, v, "plan", "plan.pdf", sample_file("p.pdf", 100)).version
    v = service.submit_form(case_id, OPERATOR, v, {"viable": True}).version
    v = service.sign_off(case_id, MENTOR, v, "review").version
    v = service.advance(case_id, OPERATOR, v, "positive").version
    with pytest.raises(InvalidOperation) as refused:
        service.reopen(case_id, OPERATOR, v, "study", reason="  ")
    assert refused.value.code == "reason_required"
    with pytest.raises(InvalidOperation) as refused:
        service.reopen(case_id, OPERATOR, v, "nowhere", reason="x")
    assert refused.value.code == "reopen_not_visited"
    v = service.reopen(case_id, OPERATOR, v, "study", reason="the bank asked for a new plan").version
    missing = {u.requirement for u in service.missing(case_id)["positive"]}
    assert missing == {"review"}  # form and document are kept, the sign-off is asked again
    with pytest.raises(NotAllowed):
        service.reopen(case_id, W1, v, "welcome", reason="a worker cannot move the case")


def test_hold_freezes_the_case_and_resume_moves_the_due_date(service, sessions):
    now = [datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)]
    service.clock = lambda: now[0]
    case_id, v = open_group(service)
    due = case_row(sessions, case_id).due_at
    v = service.hold(case_id, OPERATOR, v, "worker in hospital").version
    with pytest.raises(InvalidOperation) as refused:
        service.tick(case_id, W1, v, "consent")
    assert refused.value.code == "case_on_hold"
    assert [u.requirement for u in service.missing(case_id)["continue"]][0] == "status"
    now[0] += timedelta(days=7)
    with pytest.raises(NotAllowed):
        service.resume(case_id, W1, v, "back")
    v = service.resume(case_id, OPERATOR, v, "back home").version
    assert case_row(sessions, case_id).due_at == due + timedelta(days=7)
    with pytest.raises(InvalidOperation) as refused:
        service.resume(case_id, OPERATOR, v, "again")
    assert refused.value.code == "case_not_on_hold"


def test_withdraw_close_and_switch(service, sessions):
    a, va = open_group(service)
    service.withdraw(a, OPERATOR, va, "found a job")
    assert (case_row(sessions, a).status, case_row(sessions, a).outcome) == ("closed", "withdrawn")
    b, vb = open_group(service)
    with pytest.raises(InvalidOperation) as refused:
        service.close(b, OPERATOR, vb, "bankrupt", "x")
    assert refused.value.code == "unknown_outcome"
    service.close(b, OPERATOR, vb, "employed", "hired by a shipyard")
    assert case_row(sessions, b).outcome == "employed"
    group, vg = open_group(service)
    with pytest.raises(InvalidOperation) as refused:
        service.switch_pathway(group, OPERATOR, vg, "solo", "a group cannot follow a one-person pathway")
    assert refused.value.code == "group_too_large"
    c, vc = open_group(service, members=WORKERS[:1])
    vc = service.submit_form(c, OPERATOR, vc, {"sector": "tourism"}).version
    with pytest.raises(InvalidOperation):
        service.switch_pathway(c, OPERATOR, vc, "mini", "same")
    receipt = service.switch_pathway(c, OPERATOR, vc, "solo", "prefers to go alone")
    new = case_row(sessions, receipt.new_case_id)
    assert new.pathway_id == "solo" and new.stage_id == "welcome"
    assert service.missing(new.id)["continue"][0].requirement == "consent"  # the form came along
    assert events_of(sessions, c)[-1] == "switched"


def test_a_stale_version_is_a_conflict_that_says_what_changed_and_changes_nothing(service, sessions):
    case_id, v = open_group(service)
    service.tick(case_id, W1, v, "consent")
    with pytest.raises(ConflictError) as refused:
        service.tick(case_id, W2, v, "consent")
    assert (refused.value.params["expected"], refused.value.params["actual"]) == (1, 2)
    assert refused.value.changes[0]["type"] == "item_ticked" and refused.value.changes[0]["actor"] == "w1"
    assert "La ricarichi" in refused.value.message("it")
    assert events_of(sessions, case_id) == ["case_opened", "item_ticked"]


def test_events_are_numbered_by_version_and_read_as_sentences(service, sessions):
    case_id, v = open_group(service)
    v = finish_welcome(service, case_id, v)
    with sessions() as session:
        entries = timeline(session, case_id, "fr", name_of={"op1": "Giulia"}.get)
    assert [e.seq for e in entries] == list(range(1, v + 1))
    assert entries[-1].text.startswith("Giulia a fait passer le dossier de « Bienvenue » à « Étude »")
    assert "a coché « Consentement »" in entries[1].text


def test_overdue_and_counts(service, sessions):
    now = [datetime(2026, 1, 1, tzinfo=timezone.utc)]
    service.clock = lambda: now[0]
    first, _ = open_group(service)
    now[0] += timedelta(days=5)
    second, _ = open_group(service)
    with sessions() as session:
        assert overdue(session, now=datetime(2026, 1, 12, tzinfo=timezone.utc)) == [session.get(Case, first)]
        assert [c.id for c in overdue(session, now=datetime(2026, 2, 1, tzinfo=timezone.utc))] == [first, second]
        assert overdue(session, now=datetime(2026, 2, 1, tzinfo=timezone.utc), desks=["nice"]) == []
        assert counts(session) == {("genova", "mini", "welcome"): 2}


def test_linking_a_reference_is_an_event_of_the_case(service, sessions):
    case_id, v = open_group(service)
    v = service.link_reference(case_id, OPERATOR, v, "resource", "r-17", "Capannone di Sestri").version
    with pytest.raises(NotAllowed):
        service.link_reference(case_id, W1, v, "resource", "r-17", "x", linked=False)
    service.link_reference(case_id, OPERATOR, v, "resource", "r-17", "Capannone di Sestri", linked=False)
    with sessions() as session:
        texts = [e.text for e in timeline(session, case_id, "it")]
    assert texts[-2] == "op1 ha collegato Capannone di Sestri alla pratica."
    assert texts[-1] == "op1 ha scollegato Capannone di Sestri dalla pratica."


def test_the_other_side_of_a_link_is_written_in_the_same_transaction_or_not_at_all(service, sessions):
    """`together`: the caller's own write runs inside the operation — kept with the event, or undone with it."""
    from sqlalchemy import insert, select

    case_id, v = open_group(service)

    def write_then_refuse(connection):  # noqa: ANN001, ANN202
        connection.execute(insert(Desk).values(id="written-then-refused", name="x", country="IT"))
        raise RuntimeError("the other side refuses")

    with pytest.raises(RuntimeError):
        service.link_reference(case_id, OPERATOR, v, "resource", "r-1", "", together=write_then_refuse)
    with sessions() as session:
        assert session.get(Desk, "written-then-refused") is None
        assert session.get(Case, case_id).version == v  # no event either

    def write(connection):  # noqa: ANN001, ANN202
        connection.execute(insert(Desk).values(id="written", name="x", country="IT"))
        return "Capannone letto sotto il lucchetto"

    receipt = service.link_reference(case_id, OPERATOR, v, "resource", "r-1", "", together=write)
    with sessions() as session:
        assert session.get(Desk, "written") is not None
        event = session.scalars(select(Event).where(Event.case_id == case_id, Event.seq == receipt.version)).one()
        assert event.data["label"] == "Capannone letto sotto il lucchetto"
    # The actor is checked before the other side writes anything.
    with pytest.raises(NotAllowed):
        service.link_reference(case_id, W1, receipt.version, "resource", "r-1", "", together=write_then_refuse)


def test_the_group_size_of_the_pathway_is_enforced(service):
    with pytest.raises(InvalidOperation) as refused:
        service.open_case(OPERATOR, pathway_id="solo", desk_id="genova", members=WORKERS[:2])
    assert refused.value.code == "group_too_large" and "al massimo 1" in refused.value.message("it")
    case_id, v = open_group(service, members=WORKERS[:1])
    with pytest.raises(InvalidOperation) as refused:
        service.change_members(case_id, OPERATOR, v, remove=["w1"])
    assert refused.value.code in ("group_too_small", "no_members")
    v = service.change_members(case_id, OPERATOR, v, add=WORKERS[1:]).version
    assert service.missing(case_id)["continue"][0].params["members"] == ["Anna Rossi", "Luca Bianchi", "Sara Verdi"]


def members_of(sessions, case_id):  # noqa: ANN001, ANN201
    from engine.models import CaseMember

    with sessions() as session:
        return [(m.person_id, m.sex, m.birth_year) for m in session.scalars(
            select(CaseMember).where(CaseMember.case_id == case_id, CaseMember.kind == "worker")
            .order_by(CaseMember.position))]


def test_sex_and_year_of_birth_are_recorded_when_given_and_carried_to_the_next_case(service, sessions):
    anna = Member("w1", "Anna Rossi", sex="female", birth_year=1971)
    luca = Member("w2", "Luca Bianchi")  # prefers not to say
    case_id, v = open_group(service, members=[anna, luca])
    assert members_of(sessions, case_id) == [("w1", "female", 1971), ("w2", None, None)]
    v = service.change_members(case_id, OPERATOR, v, add=[Member("w3", "Sara Verdi", "other", 1990)],
                               remove=["w2"]).version
    assert members_of(sessions, case_id) == [("w1", "female", 1971), ("w3", "other", 1990)]
    v = service.change_members(case_id, OPERATOR, v, remove=["w3"]).version
    new_case = service.switch_pathway(case_id, OPERATOR, v, "solo", reason="Anna goes on alone").new_case_id
    assert members_of(sessions, new_case) == [("w1", "female", 1971)]


@pytest.mark.parametrize("member, code, words", [
    (Member("w1", "Anna Rossi", sex="f"), "member_sex_invalid", "Il sesso di Anna Rossi deve essere"),
    (Member("w1", "Anna Rossi", birth_year=1919), "member_birth_year_invalid", "tra 1920 e"),
    (Member("w1", "Anna Rossi", birth_year=datetime.now(timezone.utc).year - 13), "member_birth_year_invalid",
     f"e {datetime.now(timezone.utc).year - 14}"),
    (Member("w1", "Anna Rossi", birth_year="1980"), "member_birth_year_invalid", "non 1980"),
])
def test_an_unknown_sex_or_an_implausible_year_of_birth_is_refused_in_every_language(
        service, sessions, member, code, words):  # noqa: ANN001
    with pytest.raises(InvalidOperation) as refused:
        open_group(service, members=[member])
    assert refused.value.code == code and words in refused.value.message("it")
    assert refused.value.message("fr") != refused.value.message("en") != refused.value.message("it")
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 0
    case_id, v = open_group(service, members=[Member("w2", "Luca Bianchi")])
    with pytest.raises(InvalidOperation) as refused_later:
        service.change_members(case_id, OPERATOR, v, add=[member])
    assert refused_later.value.code == code
    assert members_of(sessions, case_id) == [("w2", None, None)]
    assert events_of(sessions, case_id) == ["case_opened"]
