"""The access policy, rule by rule: who may see and do what on cases, documents, sign-offs, databank entries,
desks and monitoring figures — and who may not. The SQL conditions give the same answers as the rules."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from engine import Actor, InvalidOperation, Member, NotAllowed, policy
from engine.models import Case, Desk
from engine.pathway import AssessmentRequirement, ChecklistItem, DocumentRule, Form, SignOffRule
from engine.requirements import StageState

ADMIN = Actor.of("adm", ["admin"])
OPERATOR = Actor.of("op1", ["operator"], ["genova"])
OTHER_OPERATOR = Actor.of("op2", ["operator"], ["nice"])
MENTOR = Actor.of("men1", ["mentor"])
OTHER_MENTOR = Actor.of("men2", ["mentor"])
DESIGNER = Actor.of("des", ["designer"])
NOTARY = Actor.of("not1", ["notary"])
W1 = Actor.of("w1", ["worker"])
W2 = Actor.of("w2", ["worker"])
STRANGER = Actor.of("w9", ["worker"])
EVERYONE = {"admin": ADMIN, "operator": OPERATOR, "other_operator": OTHER_OPERATOR, "mentor": MENTOR,
            "other_mentor": OTHER_MENTOR, "designer": DESIGNER, "notary": NOTARY, "worker": W1,
            "other_worker": W2, "stranger": STRANGER}


def case_of(desk_id: str = "genova", workers=("w1", "w2"), mentors=("men1",), opened_by: str = "op1",  # noqa: ANN001, ANN201
            parties=()):  # noqa: ANN001
    members = [SimpleNamespace(kind="worker", person_id=p) for p in workers]
    members += [SimpleNamespace(kind="mentor", person_id=p) for p in mentors]
    return SimpleNamespace(id=7, desk_id=desk_id, members=members, opened_by=opened_by, parties=list(parties))


def who(rule, **kwargs) -> set[str]:  # noqa: ANN001
    return {name for name, actor in EVERYONE.items() if rule(actor, **kwargs)}


# --- areas and desks -------------------------------------------------------------------------------------

def test_each_area_lets_in_its_roles_only():
    assert who(lambda a: policy.may_enter(a, "desks")) == {"admin", "operator", "other_operator"}
    assert who(lambda a: policy.may_enter(a, "cases")) == {"admin", "operator", "other_operator", "mentor",
                                                            "other_mentor"}
    assert who(lambda a: policy.may_enter(a, "mentor")) == {"mentor", "other_mentor"}
    assert who(lambda a: policy.may_enter(a, "portal")) == {"worker", "other_worker", "stranger"}
    assert who(lambda a: policy.may_enter(a, "databank")) == {"admin", "operator", "other_operator"}
    assert who(lambda a: policy.may_enter(a, "monitoring")) == {"admin", "operator", "other_operator"}
    assert who(lambda a: policy.may_enter(a, "designer_edit")) == {"admin", "designer"}
    assert who(lambda a: policy.may_enter(a, "admin")) == {"admin"}


def test_an_operator_sees_the_desks_it_works_at_and_an_admin_every_desk():
    assert policy.visible_desk_ids(ADMIN) is None
    assert policy.visible_desk_ids(OPERATOR) == {"genova"}
    for nobody in (MENTOR, DESIGNER, W1):
        assert policy.visible_desk_ids(nobody) == frozenset()
    assert who(lambda a: policy.may_see_desk(a, "genova")) == {"admin", "operator"}


def test_only_the_desks_operators_and_admins_open_cases_there():
    assert policy.open_case_refusal(ADMIN, "nice") is None
    assert policy.open_case_refusal(OPERATOR, "genova") is None
    assert policy.open_case_refusal(OTHER_OPERATOR, "genova").reason_code == "not_allowed.desk"
    for role in (MENTOR, DESIGNER, W1):
        assert policy.open_case_refusal(role, "genova").reason_code == "not_allowed.role"


def test_monitoring_never_goes_beyond_the_operators_desks_whatever_it_asks():
    assert policy.monitoring_desks(ADMIN) is None
    assert policy.monitoring_desks(ADMIN, "nice") == ("nice",)
    assert policy.monitoring_desks(OPERATOR) == ("genova",)
    assert policy.monitoring_desks(OPERATOR, "genova") == ("genova",)
    assert policy.monitoring_desks(OPERATOR, "nice") == ()
    assert policy.monitoring_desks(Actor.of("op", ["operator"], ["nice", "genova"])) == ("genova", "nice")
    assert policy.monitoring_desks(MENTOR) == ()


# --- cases -----------------------------------------------------------------------------------------------

def test_who_sees_a_case_on_the_staff_pages_and_who_follows_it_in_the_portal():
    case = case_of()
    assert who(policy.may_see_case, case=case) == {"admin", "operator", "mentor"}
    assert who(policy.may_follow_case, case=case) == {"worker", "other_worker"}
    assert who(policy.is_manager, case=case) == {"admin", "operator"}
    # A mentor is not a manager, even of a case it is assigned to; an account that is only a worker never
    # sees the staff's view of its own case.
    assert not policy.is_manager(MENTOR, case) and not policy.may_see_case(W1, case)


def test_acting_in_a_role_on_a_case_and_the_reason_of_each_refusal():
    case = case_of()
    assert policy.case_refusal(OPERATOR, case, "operator") is None
    assert policy.case_refusal(ADMIN, case, "operator") is None
    assert policy.case_refusal(OTHER_OPERATOR, case, "operator").reason_code == "not_allowed.desk"
    assert policy.case_refusal(MENTOR, case, "mentor") is None
    assert policy.case_refusal(OTHER_MENTOR, case, "mentor").reason_code == "not_allowed.not_assigned"
    assert policy.case_refusal(W1, case, "worker") is None
    assert policy.case_refusal(STRANGER, case, "worker").reason_code == "not_allowed.not_member"
    # A pathway's own role is held per case: a notary's account is nobody's notary until made a party.
    assert policy.case_refusal(NOTARY, case, "notary").reason_code == "not_allowed.not_party"
    assert policy.case_refusal(OPERATOR, case, "notary").reason_code == "not_allowed.not_party"
    assert policy.case_refusal(ADMIN, case, "mentor").reason_code == "not_allowed.role"  # admins manage only
    assert policy.case_refusal(DESIGNER, case, "designer").reason_code == "not_allowed.role"
    assert who(policy.may_act, case=case, roles=("worker", "operator")) == {"admin", "operator", "worker",
                                                                            "other_worker"}


def test_a_role_a_pathway_declares_is_held_by_the_case_s_party_in_that_role():
    notary_party = SimpleNamespace(id=3, role="notary", account_id=NOTARY.id)
    bank_party = SimpleNamespace(id=4, role="financing_body", account_id=None)
    case = case_of(parties=[notary_party, bank_party])
    assert policy.case_refusal(NOTARY, case, "notary") is None  # by the account the party is linked to
    assert policy.case_refusal(NOTARY, case, "financing_body").reason_code == "not_allowed.not_party"
    by_link = Actor.of("party:4", ["financing_body"])  # the bank's signing link, no account
    assert policy.case_refusal(by_link, case, "financing_body") is None
    assert policy.case_refusal(by_link, case_of(), "financing_body").reason_code == "not_allowed.not_party"
    assert policy.case_refusal(Actor.of("party:3", ["financing_body"]), case, "financing_body") is not None
    # A role the pathway declares an account's (`kind: account`) stays the account's.
    assert policy.case_refusal(NOTARY, case_of(), "notary", account_roles={"notary"}) is None


def test_a_decision_other_than_approve_needs_a_comment_and_paper_needs_evidence_where_allowed():
    assert policy.decision_refusal("approve", "") is None
    assert policy.decision_refusal("request_changes", "  ").code == "decision_comment_required"
    assert policy.decision_refusal("decline", "Not financed") is None
    assert policy.decision_refusal("maybe", "x").code == "decision_unknown"
    case = case_of()
    allowed = SimpleNamespace(on_paper=True, label={"en": "Deed"})
    assert policy.paper_refusal(OPERATOR, case, allowed, b"%PDF") is None
    assert policy.paper_refusal(OPERATOR, case, allowed, b"").code == "paper_evidence_required"
    assert policy.paper_refusal(OPERATOR, case, SimpleNamespace(on_paper=False, label={}), b"%PDF").code == \
        "paper_not_allowed"
    assert policy.paper_refusal(MENTOR, case, allowed, b"%PDF").reason_code == "not_allowed.role"
    rows = [SimpleNamespace(decision="approve"), SimpleNamespace(decision="request_changes")]
    assert policy.approvals(rows) == rows[:1]


def test_the_most_telling_refusal_is_the_relationship_not_the_role():
    case = case_of()
    assert policy.acting_role(W1, case, ("operator", "worker")) == "worker"
    with pytest.raises(NotAllowed) as refused:
        policy.acting_role(OTHER_OPERATOR, case, ("worker", "operator"))
    assert refused.value.reason_code == "not_allowed.desk"
    with pytest.raises(NotAllowed) as refused:
        policy.acting_role(DESIGNER, case, ("worker", "operator"))
    assert refused.value.reason_code == "not_allowed.role"
    assert policy.manage_refusal(OPERATOR, case) is None
    assert policy.manage_refusal(MENTOR, case).reason_code == "not_allowed.role"


def test_a_worker_acts_only_for_themselves():
    policy.raise_for_other_member(W1, "worker", "w1")
    policy.raise_for_other_member(W1, "worker", None)
    policy.raise_for_other_member(OPERATOR, "operator", "w2")  # staff act for any member
    with pytest.raises(NotAllowed) as refused:
        policy.raise_for_other_member(W1, "worker", "w2")
    assert refused.value.reason_code == "not_allowed.other_member"


def test_only_designers_and_admins_migrate_cases():
    assert policy.migrate_refusal(DESIGNER) is None and policy.migrate_refusal(ADMIN) is None
    for actor in (OPERATOR, MENTOR, W1):
        assert policy.migrate_refusal(actor).reason_code == "not_allowed.designer"


def test_the_roles_that_meet_each_kind_of_requirement():
    label = {"en": "x"}
    assert policy.requirement_roles(ChecklistItem("c", label, roles=("worker",))) == ("worker",)
    assert policy.requirement_roles(DocumentRule("d", label, ("pdf",), 100, uploaded_by=("worker",))) == ("worker",)
    assert policy.requirement_roles(Form(fields=(), title=None, roles=("mentor",))) == ("mentor",)
    assert policy.requirement_roles(AssessmentRequirement("entrecomp", None)) == ("worker", "operator")
    assert policy.requirement_roles(SignOffRule("s", label, "notary")) == ("notary",)


# --- documents -------------------------------------------------------------------------------------------

def test_a_document_is_seen_by_the_case_staff_and_its_workers_and_a_personal_one_by_its_member_only():
    case = case_of()
    shared = SimpleNamespace(case_id=case.id, removed_at=None, member_id="")
    personal = SimpleNamespace(case_id=case.id, removed_at=None, member_id="w1")
    assert who(policy.may_see_document, case=case, document=shared) == {"admin", "operator", "mentor", "worker",
                                                                         "other_worker"}
    assert who(policy.may_see_document, case=case, document=personal) == {"admin", "operator", "mentor", "worker"}
    removed = SimpleNamespace(case_id=case.id, removed_at="2026-01-01", member_id="")
    of_another_case = SimpleNamespace(case_id=case.id + 1, removed_at=None, member_id="")
    for nobodys in (removed, of_another_case, None):
        assert who(policy.may_see_document, case=case, document=nobodys) == set()


def test_a_worker_sees_where_the_pathway_goes_and_their_own_steps_not_the_other_members():
    def event(type_: str, actor_id: str = "op1", member: str | None = None) -> SimpleNamespace:
        return SimpleNamespace(type=type_, actor_id=actor_id, data={"member": member} if member else {})

    for seen in (event("advanced"), event("put_on_hold"), event("item_ticked", actor_id="w1"),
                 event("document_attached", member="w1")):
        assert policy.may_see_event_in_portal(W1, seen), seen
    for unseen in (event("item_ticked", actor_id="w2"), event("document_attached", member="w2"),
                   event("members_changed"), event("form_submitted")):
        assert not policy.may_see_event_in_portal(W1, unseen), unseen


# --- sign-offs -------------------------------------------------------------------------------------------

def _signed(signoff_id: str, actor_id: str):  # noqa: ANN202
    return SimpleNamespace(signoff_id=signoff_id, actor_id=actor_id)


def test_a_signoff_is_refused_once_given_once_complete_and_to_the_people_it_must_be_distinct_from():
    rule = SignOffRule("ok", {"en": "OK"}, "mentor", count=2,
                       distinct_from=("form_submitter", "case_opener", "signoff:first"))
    codes = lambda person, given=(), submitter=None, opener="op1": [  # noqa: E731
        e.code for e in policy.signoff_refusals(rule, person, list(given), form_submitter=submitter,
                                                case_opener=opener)]
    assert codes("men1") == []
    assert codes("men1", given=[_signed("ok", "men1")]) == ["already_signed"]
    assert codes("men3", given=[_signed("ok", "men1"), _signed("ok", "men2")]) == ["signoff_complete"]
    assert codes("men1", submitter="men1") == ["signoff_distinct"]
    assert codes("men1", opener="men1") == ["signoff_distinct"]
    assert codes("men1", given=[_signed("first", "men1")]) == ["signoff_distinct"]
    assert codes("men2", given=[_signed("first", "men1")], submitter="men1", opener="men1") == []
    refusal = policy.signoff_refusals(rule, "men1", [], form_submitter="men1", case_opener=None)[0]
    assert isinstance(refusal, InvalidOperation)
    assert refusal.message("en") == "'OK' must be given by a different person than the person who filled in the form."
    assert "chi ha compilato il modulo" in refusal.message("it")
    assert "la personne qui a rempli le formulaire" in refusal.message("fr")


def test_may_sign_asks_the_role_on_the_case_first_then_the_signoff_rules():
    rule = SignOffRule("ok", {"en": "OK"}, "mentor", distinct_from=("form_submitter",))
    stage = SimpleNamespace(id="study", distinct_partners=lambda signoff_id: (), requirement=lambda rid: None)
    state = lambda signoffs=(), submitter=None: SimpleNamespace(  # noqa: E731
        case=case_of(), stage=stage, pathway=SimpleNamespace(account_roles=frozenset()), signoffs=list(signoffs),
        forms={"study": SimpleNamespace(submitted_by=submitter)} if submitter else {})
    assert policy.may_sign(MENTOR, state(), rule)
    assert [e.reason_code for e in policy.sign_refusals(OTHER_MENTOR, state(), rule)] == ["not_allowed.not_assigned"]
    assert [e.reason_code for e in policy.sign_refusals(OPERATOR, state(), rule)] == ["not_allowed.role"]
    assert [e.code for e in policy.sign_refusals(MENTOR, state(submitter="men1"), rule)] == ["signoff_distinct"]
    assert [e.code for e in policy.sign_refusals(MENTOR, state([_signed("ok", "men1")]), rule)] == [
        "already_signed", "signoff_complete"]


def test_the_operation_and_the_page_refuse_a_signoff_for_the_same_reason(service, sessions):
    """The engine's operation gives the first of the refusals the page shows."""
    operator, mentor = Actor.of("op1", ["operator", "mentor"], ["genova"]), MENTOR
    receipt = service.open_case(OPERATOR, pathway_id="mini", desk_id="genova", members=[Member("w1", "Anna")],
                                mentors=[Member("op1", "Giulia"), Member("men1", "Marco")])
    v = service.tick(receipt.case_id, W1, receipt.version, "consent").version
    v = service.submit_form(receipt.case_id, OPERATOR, v, {"sector": "nautical"}).version
    v = service.advance(receipt.case_id, OPERATOR, v, "continue").version
    v = service.submit_form(receipt.case_id, operator, v, {"viable": True}).version
    with sessions() as session:
        case = session.get(Case, receipt.case_id)
        state = StageState.load(session, case, service.library.revision(case.revision_id).pathway)
        rule = state.stage.signoffs[0]
        shown = policy.sign_refusals(operator, state, rule)
        assert policy.may_sign(mentor, state, rule)
    assert [e.code for e in shown] == ["signoff_distinct"]
    with pytest.raises(InvalidOperation) as refused:
        service.sign_off(receipt.case_id, operator, v, rule.id)
    assert refused.value.code == "signoff_distinct" and refused.value.message() == shown[0].message()
    service.sign_off(receipt.case_id, mentor, v, rule.id)


# --- the databank ----------------------------------------------------------------------------------------

def test_a_profile_is_whole_for_its_desk_and_its_worker_and_public_only_elsewhere_unless_consented():
    access = lambda actor, consented=False: policy.profile_access(actor, "genova", "w1", consented)  # noqa: E731
    assert access(ADMIN) == access(OPERATOR) == access(W1) == policy.PERSONAL
    assert access(OTHER_OPERATOR) == access(MENTOR) == policy.LIMITED
    assert access(OTHER_OPERATOR, consented=True) == access(MENTOR, consented=True) == policy.PERSONAL
    for nobody in (W2, DESIGNER):
        assert access(nobody) is None and access(nobody, consented=True) is None


def test_an_entry_is_changed_by_the_operators_of_its_desk_and_admins_only_and_why_not():
    assert who(policy.may_edit_entry, desk_id="genova") == {"admin", "operator"}
    assert policy.entry_edit_refusal(OPERATOR, "genova") is None
    assert policy.entry_edit_refusal(OTHER_OPERATOR, "genova") == "not_allowed.databank_desk"
    assert policy.entry_edit_refusal(W1, "genova") == "not_allowed.own_profile"
    assert policy.entry_edit_refusal(W1, "genova", own=True) is None
    assert policy.entry_edit_refusal(MENTOR, "genova") == "not_allowed.databank_role"
    assert policy.databank_read_refusal(MENTOR) is None and policy.databank_read_refusal(OTHER_OPERATOR) is None
    assert policy.databank_read_refusal(W1) == "not_allowed.own_profile"
    assert policy.databank_read_refusal(DESIGNER) == "not_allowed.databank_role"
    assert policy.profile_fields_locked_for(W1, "genova") == ("desk_id", "person_id", "case_id")
    assert policy.profile_fields_locked_for(OPERATOR, "genova") == policy.profile_fields_locked_for(ADMIN, "nice") == ()
    assert policy.is_own_profile(W1, "w1") and not policy.is_own_profile(W1, None)
    assert not policy.is_own_profile(W1, "w2")


def test_contact_requests_are_read_by_admins_and_operators_only():
    assert policy.contact_requests_refusal(ADMIN) is None and policy.contact_requests_refusal(OPERATOR) is None
    for actor in (MENTOR, DESIGNER, W1):
        assert policy.contact_requests_refusal(actor) == "not_allowed.databank_role"


def test_the_personal_profiles_condition_is_the_profile_rule_in_sql(sessions):
    from databank.models import Profile

    with sessions.begin() as session:
        session.add_all([Desk(id="genova", name="Genova", country="IT"), Desk(id="nice", name="Nice", country="FR")])
        session.flush()
        for desk_id, person_id, consented in [("genova", "w1", False), ("genova", None, True), ("nice", "w2", False),
                                              ("nice", None, True), ("nice", "w1", False)]:
            session.add(Profile(desk_id=desk_id, person_id=person_id, consent_to_share=consented,
                                display_name="x", created_by="t", updated_by="t"))
    with sessions() as session:
        profiles = list(session.scalars(select(Profile)))
        for name, actor in EVERYONE.items():
            expected = {p.id for p in profiles
                        if policy.profile_access(actor, p.desk_id, p.person_id, p.consent_to_share) == policy.PERSONAL}
            found = set(session.scalars(select(Profile.id).where(policy.personal_profiles_clause(
                actor, Profile.desk_id, Profile.person_id, Profile.consent_to_share))))
            assert found == expected, name


# --- lists -----------------------------------------------------------------------------------------------

def test_the_lists_conditions_give_the_same_cases_as_the_rules(service, sessions):
    """Cases at two desks, with and without mentors and workers: for every actor, the SQL condition of the
    lists and counts finds exactly the cases the rule lets them see (or follow)."""
    both = Actor.of("op3", ["operator", "mentor"], ["nice"])
    people = {**EVERYONE, "operator_and_mentor": both}
    opener = Actor.of("op", ["operator"], ["genova", "nice"])
    for desk_id, workers, mentors in [("genova", ["w1"], ["men1"]), ("genova", ["w2"], []),
                                      ("nice", ["w1", "w2"], ["men2", "op3"]), ("nice", ["w9"], [])]:
        service.open_case(opener, pathway_id="mini", desk_id=desk_id, members=[Member(w) for w in workers],
                          mentors=[Member(m) for m in mentors])
    with sessions() as session:
        cases = list(session.scalars(select(Case)))
        for name, actor in people.items():
            for rule, clause in ((policy.may_see_case, policy.visible_cases_clause),
                                 (policy.may_follow_case, policy.followed_cases_clause)):
                expected = {c.id for c in cases if rule(actor, c)}
                assert set(session.scalars(select(Case.id).where(clause(actor)))) == expected, (name, rule.__name__)
        assert len(set(session.scalars(select(Case.id).where(policy.mentor_cases_clause("op3"))))) == 1
        assert len(set(session.scalars(select(Case.id).where(policy.worker_cases_clause("w1"))))) == 2


def test_the_case_operations_ask_the_policy(service):
    """A rule of the policy is the operations' rule: an operator of another desk, a mentor not assigned and
    a stranger are refused with the policy's reasons."""
    receipt = service.open_case(OPERATOR, pathway_id="mini", desk_id="genova", members=[Member("w1", "Anna")],
                                mentors=[Member("men1", "Marco")])
    for actor, reason in ((OTHER_OPERATOR, "not_allowed.desk"), (MENTOR, "not_allowed.role"),
                          (STRANGER, "not_allowed.not_member")):
        with pytest.raises(NotAllowed) as refused:
            service.tick(receipt.case_id, actor, receipt.version, "consent", member="w1")
        assert refused.value.reason_code == reason, actor
    with pytest.raises(NotAllowed) as refused:
        service.open_case(OTHER_OPERATOR, pathway_id="mini", desk_id="genova", members=[Member("w1")])
    assert refused.value.reason_code == "not_allowed.desk"
