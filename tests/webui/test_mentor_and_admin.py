"""The mentor's view (assigned cases, sign-offs waiting) and the administration pages."""
from __future__ import annotations

from sqlalchemy import select

from engine import audit
from engine.models import Case, Desk
from tests.webui.conftest import PASSWORD, PEOPLE, Browser, open_case
from tests.webui.test_case_page import walk_to
from webui.models import User


def test_a_mentor_sees_the_assigned_cases_and_the_sign_offs_waiting(service, as_role):
    waiting, _v = walk_to(service, "feasibility_study")
    assigned_only, _v = open_case(service, title="Only assigned")
    foreign, _v = open_case(service, title="Someone else's", mentor="other_mentor")
    page = as_role("mentor").get("/mentor").text
    assert f"/cases/{waiting}#req-feasibility_signoff" in page and "Study approved by the mentor" in page
    assert "Only assigned" in page and "Someone else&#39;s" not in page and "Someone else's" not in page
    assert f"/cases/{foreign}" not in page
    other = as_role("other_mentor").get("/mentor").text
    assert "No sign-off is waiting for you." in other and f"/cases/{foreign}" in other


def test_a_mentor_sees_the_case_page_read_only_except_what_the_pathway_gives_mentors(service, as_role):
    case_id, _v = walk_to(service, "feasibility_study")
    page = as_role("mentor").get(f"/cases/{case_id}").text
    assert "Other actions" not in page and 'action="/cases/%d/advance"' % case_id not in page
    assert "Fill in the form" in page  # the feasibility form may be filled by operators and mentors
    assert "Sign off:" in page


def test_an_admin_creates_a_desk_and_an_operator_who_then_logs_in(app, as_role, sessions):
    admin = as_role("admin")
    assert admin.post("/admin/desks/new", data={"id": "bastia", "name": "Guichet Bastia", "country": "FR",
                                                "region": "Corse"}).status_code == 302
    assert admin.post("/admin/desks/new", data={"id": "bastia", "name": "Again", "country": "FR"}).status_code == 422
    response = admin.post("/admin/users/new", data={
        "id": "op.bastia", "email": "Paul@Bastia.example", "display_name": "Paul Santoni", "roles": ["operator"],
        "desks": ["bastia"], "language": "fr", "password": "a long enough password"})
    assert response.status_code == 302, response.text
    with sessions() as session:
        user = session.get(User, "op.bastia")
        assert user.email == "paul@bastia.example" and user.desk_ids == ["bastia"] and user.roles == ["operator"]
        assert session.get(Desk, "bastia").region == "Corse"
        # One entry per change, none for the refused second desk; no personal value in the account's entry.
        [desk_entry] = audit.entries(session.connection(), "desk", "bastia")
        [user_entry] = audit.entries(session.connection(), "user", "op.bastia")
    assert (desk_entry.type, desk_entry.actor_id, desk_entry.data["name"]) == ("desk_created", "adm", "Guichet Bastia")
    assert user_entry.type == "user_created" and user_entry.data["roles"] == ["operator"]
    assert "paul" not in str(user_entry.data).lower()
    paul = Browser(app.test_client())
    assert paul.client.post("/login", data={"email": "paul@bastia.example", "password": "a long enough password",
                                            "csrf_token": paul.token()}).status_code == 302
    assert paul.get("/desks/bastia").status_code == 200
    assert "Guichets" in paul.get("/desks").text  # his language


def test_an_admin_edits_roles_desks_and_unlocks_an_account(app, as_role, sessions, people):
    victim = Browser(app.test_client())
    for _i in range(app.config["LOGIN_MAX_FAILURES"]):
        victim.login(people["operator"], password="wrong")
    assert victim.login(people["operator"]).status_code == 429
    admin = as_role("admin")
    page = admin.get("/admin/users/op.genova").text
    assert "failed logins" in page
    response = admin.post("/admin/users/op.genova", data={
        "id": "op.genova", "email": "op@genova.example", "display_name": "Giulia Parodi",
        "roles": ["operator", "mentor"], "desks": ["genova", "nice"], "language": "it", "unlock": "y"})
    assert response.status_code == 302
    with sessions() as session:
        user = session.get(User, "op.genova")
        assert sorted(user.roles) == ["mentor", "operator"] and user.desk_ids == ["genova", "nice"]
        assert user.failed_logins == 0 and user.locked_until is None
        [entry] = audit.entries(session.connection(), "user", "op.genova")
    assert entry.type == "user_changed" and entry.data["changed"] == ["language"] and entry.data["unlocked"] is True
    assert entry.data["desks"] == ["genova", "nice"]
    assert victim.login(people["operator"]).status_code == 302


def test_an_admin_cannot_lock_themselves_out(as_role, sessions):
    admin = as_role("admin")
    response = admin.post("/admin/users/adm", data={"id": "adm", "email": "admin@test.example",
                                                     "display_name": "Ada", "roles": ["operator"]})
    assert response.status_code == 422
    with sessions() as session:
        assert session.get(User, "adm").roles == ["admin"]
        assert audit.entries(session.connection(), "user", "adm") == []


def test_an_admin_assigns_a_mentor_to_a_case_by_number(service, as_role, sessions):
    case_id, _v = open_case(service, mentor=None)
    admin = as_role("admin")
    assert admin.post("/admin/mentors", data={"case_id": case_id, "mentor": PEOPLE["other_mentor"].id}).status_code == 302
    with sessions() as session:
        assert [m.person_id for m in session.get(Case, case_id).members if m.kind == "mentor"] == ["men.dubois"]
    page = admin.get("/admin/").text
    assert "is the mentor of case" in page
    admin.post("/admin/mentors", data={"case_id": 999, "mentor": PEOPLE["other_mentor"].id})
    assert "There is no case 999." in admin.get("/admin/").text


def test_the_accounts_list_filters_by_role(as_role):
    page = as_role("admin").get("/admin/users?role=mentor").text
    assert "Elena Rossi" in page and "Antoine Dubois" in page and "Giulia Parodi" not in page
    assert PASSWORD not in page
