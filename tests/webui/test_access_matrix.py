"""Every route refuses the roles and the foreign objects it must refuse (403 for a role without this area,
404 for an object one may not see), and a refusal leaks nothing and changes nothing.

What each (route, role, object) gets is asked of the access policy (`engine.policy`), and the served status
must agree: a rule changed in the policy changes the pages and this test together."""
from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import func, select

from engine import policy
from engine.models import Case, CaseDocument, Desk, Event
from engine.scenarios import sample_file
from tests.webui.conftest import PEOPLE, Browser, open_case
from webui.models import User

SECRET_TITLE = "Cantiere Segreto di Sestri"
SECRET_WORKER = "Luca Ferrari"
ROLES = ("anonymous", "admin", "operator", "other_operator", "mentor", "other_mentor", "designer", "worker")

# rule, method, url (filled with the case and document), area
ROUTES = [
    ("/", "GET", "/", "public"),
    ("/health", "GET", "/health", "public"),
    ("/login", "GET", "/login", "public"),
    ("/login", "POST", "/login", "public"),
    ("/logout", "POST", "/logout", "public"),
    ("/language", "POST", "/language", "public"),
    ("/settings", "GET", "/settings", "account"),
    ("/settings", "POST", "/settings", "account"),
    ("/desks", "GET", "/desks", "desks"),
    ("/desks/<desk_id>", "GET", "/desks/genova", "desk"),
    ("/desks/<desk_id>/bulk", "POST", "/desks/genova/bulk", "desk"),
    ("/desks/<desk_id>/filters", "POST", "/desks/genova/filters", "desk"),
    ("/desks/<desk_id>/filters/<int:filter_id>/delete", "POST", "/desks/genova/filters/1/delete", "desk"),
    ("/cases/new", "GET", "/cases/new", "desks"),
    ("/cases/new", "POST", "/cases/new", "desks"),
    ("/cases/<int:case_id>", "GET", "/cases/{case}", "case"),
    ("/cases/<int:case_id>/checklist", "POST", "/cases/{case}/checklist", "case"),
    ("/cases/<int:case_id>/documents", "POST", "/cases/{case}/documents", "case"),
    ("/cases/<int:case_id>/documents/<int:document_id>", "GET", "/cases/{case}/documents/{document}", "document"),
    ("/cases/<int:case_id>/documents/<int:document_id>/remove", "POST", "/cases/{case}/documents/{document}/remove",
     "case"),
    ("/cases/<int:case_id>/form", "POST", "/cases/{case}/form", "case"),
    ("/cases/<int:case_id>/signoffs", "POST", "/cases/{case}/signoffs", "case"),
    ("/cases/<int:case_id>/signoffs/request", "POST", "/cases/{case}/signoffs/request", "case"),
    ("/cases/<int:case_id>/advance", "POST", "/cases/{case}/advance", "case"),
    ("/cases/<int:case_id>/hold", "POST", "/cases/{case}/hold", "case"),
    ("/cases/<int:case_id>/resume", "POST", "/cases/{case}/resume", "case"),
    ("/cases/<int:case_id>/withdraw", "POST", "/cases/{case}/withdraw", "case"),
    ("/cases/<int:case_id>/reopen", "POST", "/cases/{case}/reopen", "case"),
    ("/cases/<int:case_id>/switch", "POST", "/cases/{case}/switch", "case"),
    ("/cases/<int:case_id>/mentors", "POST", "/cases/{case}/mentors", "case"),
    ("/cases/<int:case_id>/members", "POST", "/cases/{case}/members", "case"),
    ("/cases/<int:case_id>/notes", "POST", "/cases/{case}/notes", "case"),
    ("/cases/<int:case_id>/meetings", "POST", "/cases/{case}/meetings", "case"),
    ("/cases/<int:case_id>/assessments/<person_id>", "GET", "/cases/{case}/assessments/w.luca", "case"),
    ("/cases/<int:case_id>/assessments/<person_id>", "POST", "/cases/{case}/assessments/w.luca", "case"),
    ("/cases/<int:case_id>/choice", "POST", "/cases/{case}/choice", "case"),
    ("/cases/<int:case_id>/dossier.pdf", "GET", "/cases/{case}/dossier.pdf", "case"),
    ("/cases/<int:case_id>/parties", "POST", "/cases/{case}/parties", "case"),
    ("/cases/<int:case_id>/parties/<int:party_id>/remove", "POST", "/cases/{case}/parties/1/remove", "case"),
    ("/cases/<int:case_id>/parties/<int:party_id>/signing-link", "POST", "/cases/{case}/parties/1/signing-link",
     "case"),
    ("/cases/<int:case_id>/paper", "POST", "/cases/{case}/paper", "case"),
    ("/mentor", "GET", "/mentor", "mentor"),
    ("/my-work", "GET", "/my-work", "my_work"),
    ("/my-work/seen", "POST", "/my-work/seen", "my_work"),
    ("/monitoring/", "GET", "/monitoring/?desk=genova", "monitoring"),
    ("/monitoring/cases", "GET", "/monitoring/cases?figure=opened&desk=genova", "monitoring"),
    ("/monitoring/export.csv", "GET", "/monitoring/export.csv", "monitoring"),
    ("/monitoring/export.xlsx", "GET", "/monitoring/export.xlsx", "monitoring"),
    ("/me/staff/cases/<int:case_id>/invite", "GET", "/me/staff/cases/{case}/invite", "managed"),
    ("/me/staff/cases/<int:case_id>/invite", "POST", "/me/staff/cases/{case}/invite", "managed"),
    ("/me/staff/cases/<int:case_id>/contact", "POST", "/me/staff/cases/{case}/contact", "managed"),
    ("/me/staff/cases/<int:case_id>/consent-withdrawn", "GET", "/me/staff/cases/{case}/consent-withdrawn", "managed"),
    ("/me/staff/cases/<int:case_id>/consent-withdrawn", "POST", "/me/staff/cases/{case}/consent-withdrawn",
     "managed"),
    ("/admin/", "GET", "/admin/", "admin"),
    ("/admin/mentors", "POST", "/admin/mentors", "admin"),
    ("/admin/desks", "GET", "/admin/desks", "admin"),
    ("/admin/desks/new", "GET", "/admin/desks/new", "admin"),
    ("/admin/desks/new", "POST", "/admin/desks/new", "admin"),
    ("/admin/desks/<desk_id>", "GET", "/admin/desks/genova", "admin"),
    ("/admin/desks/<desk_id>", "POST", "/admin/desks/genova", "admin"),
    ("/admin/users", "GET", "/admin/users", "admin"),
    ("/admin/users/new", "GET", "/admin/users/new", "admin"),
    ("/admin/users/new", "POST", "/admin/users/new", "admin"),
    ("/admin/users/<user_id>", "GET", "/admin/users/op.genova", "admin"),
    ("/admin/users/<user_id>", "POST", "/admin/users/op.genova", "admin"),
    ("/admin/users/<user_id>/sign-out", "POST", "/admin/users/op.genova/sign-out", "admin"),
]
LOGIN = 302
# The part of the application (policy.AREAS) each area of routes belongs to.
GATES = {"desks": "desks", "desk": "desks", "case": "cases", "document": "cases", "mentor": "mentor", "my_work": "my_work",
         "monitoring": "monitoring", "managed": "desks", "admin": "admin"}


def expected(area: str, role: str, case: Case, document: Any) -> str | int:
    """What the policy says this role gets on a route of `area` about this case and document: "ok" (any
    answer that is not a refusal), 302 to the login page, 403 (not this area) or 404 (not this object)."""
    if area == "public":
        return "ok"
    if role == "anonymous":
        return LOGIN
    if area == "account":
        return "ok"
    actor = PEOPLE[role].actor
    if not policy.may_enter(actor, GATES[area]):
        return 403
    sees = {"desk": lambda: policy.may_see_desk(actor, "genova"), "case": lambda: policy.may_see_case(actor, case),
            "document": lambda: policy.may_see_document(actor, case, document),
            "managed": lambda: policy.is_manager(actor, case)}.get(area, lambda: True)
    return "ok" if sees() else 404


AREAS = ("auth.", "cases.", "admin.", "monitoring.", "dossier.", "mywork.")  # others have their own matrix


def test_the_matrix_covers_every_route_of_these_areas(app):
    declared = {(rule.rule, method) for rule in app.url_map.iter_rules()
                if rule.endpoint.startswith(AREAS) or rule.endpoint in ("home", "health", "portal.invite",
                                                                                     "portal.record_withdrawal",
                                                                                     "portal.worker_contact")
                for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert declared == {(rule, method) for rule, method, _url, _area in ROUTES}


@pytest.fixture
def world(app, service, people, sessions):  # noqa: ANN001, ANN201
    """A genova case (mentor: Elena Rossi) with a document; its rows; the browsers of every role."""
    case_id, version = open_case(service, title=SECRET_TITLE)
    document_id, version = _document(service, case_id, version)
    browsers = {"anonymous": Browser(app.test_client())}
    for role in ROLES[1:]:
        browsers[role] = Browser(app.test_client())
        assert browsers[role].login(PEOPLE[role]).status_code == 302
    with sessions() as session:
        case, document = session.get(Case, case_id), session.get(CaseDocument, document_id)
        list(case.members)  # loaded, for the policy's answers after the session ends
        session.expunge_all()
    return {"case": case_id, "document": document_id, "version": version, "browsers": browsers,
            "case_row": case, "document_row": document}


def _document(service, case_id: int, version: int) -> tuple[int, int]:  # noqa: ANN001
    """Walk the case to the consent stage (which takes a signed form) and attach one."""
    operator = PEOPLE["operator"].actor
    version = service.tick(case_id, operator, version, "interview_held").version
    version = service.tick(case_id, operator, version, "service_explained").version
    version = service.submit_form(case_id, operator, version, {"interview_date": "2026-01-10",
                                                               "employment_status": "at_risk"}).version
    version = service.advance(case_id, operator, version, "interview_done").version
    receipt = service.attach_document(case_id, operator, version, "signed_consent", "consent.pdf",
                                      sample_file("consent.pdf", 3000))
    return receipt.document_id, receipt.version


def _data(url: str, version: int) -> dict:
    return {
        "/checklist": {"item": "privacy_notice_given"}, "/form": {"field-consent_text_version": "v1"},
        "/signoffs": {"signoff": "x"}, "/request": {"signoff": "x", "person": "men.dubois"}, "/advance": {"exit": "consent_recorded"}, "/hold": {"reason": "r"},
        "/resume": {"reason": "r"}, "/withdraw": {"reason": "r"}, "/reopen": {"stage": "first_interview", "reason": "r"},
        "/switch": {"pathway": "startup", "reason": "r"}, "/mentors": {"mentor": "men.dubois"},
        "/members": {"name": "Intruder"}, "/notes": {"body": "intrusion"}, "/choice": {"pathway": "startup", "reason": "r"},
        "/w.luca": {"action": "submit", "q-x": "1"}, "/invite": {"person": "w.luca"},
        "/meetings": {"date": "2026-01-01"}, "/parties": {"role": "financing_body", "organisation": "Intruder",
                                                          "name": "Intruder"},
        "/bulk": {"action": "mentor", "mentor": "men.dubois", "confirmed": "1"},
        "/filters": {"name": "intrusion", "status": "all"},
        "/signing-link": {"signoff": "x"}, "/paper": {"requirement": "consent_personal_data", "member": "w.luca"}, "/documents": {"requirement": "signed_consent",
                                                            "file": (io.BytesIO(sample_file("x.pdf", 500)), "x.pdf")},
    }.get("/" + url.rsplit("/", 1)[-1], {}) | {"version": version}


def _counts(sessions) -> tuple:  # noqa: ANN001
    with sessions() as session:
        return (session.scalar(select(func.count()).select_from(Event)),
                session.scalar(select(func.count()).select_from(User)),
                session.scalar(select(func.count()).select_from(Desk)),
                session.scalar(select(func.count()).select_from(Case)))


def _expected(world: dict, area: str, role: str) -> str | int:
    return expected(area, role, world["case_row"], world["document_row"])


@pytest.mark.parametrize("role", ROLES)
def test_every_route_refuses_what_this_role_may_not_see_or_do(world, sessions, role):
    case_id, document_id, version = world["case"], world["document"], world["version"]
    browser = world["browsers"][role]
    before = _counts(sessions)
    checked = 0
    for _rule, method, url, area in ROUTES:
        expected_status = _expected(world, area, role)
        if expected_status == "ok":
            continue
        url = url.format(case=case_id, document=document_id)
        if method == "GET":
            response = browser.get(url)
        else:
            data = _data(url, version)
            kwargs = {"content_type": "multipart/form-data"} if "file" in data else {}
            response = browser.post(url, data=data, **kwargs)
        assert response.status_code == expected_status, (method, url, role, response.status_code)
        if expected_status == LOGIN:
            assert "/login" in response.headers["Location"]
        assert SECRET_TITLE not in response.text and SECRET_WORKER not in response.text, (method, url, role)
        checked += 1
    assert checked > 0
    assert _counts(sessions) == before  # nothing changed
    with sessions() as session:
        assert session.get(Case, case_id).version == version


@pytest.mark.parametrize("role", ROLES)
def test_every_route_lets_in_the_roles_it_serves(world, role):
    case_id, document_id = world["case"], world["document"]
    browser = world["browsers"][role]
    checked = 0
    for _rule, method, url, area in ROUTES:
        if method != "GET" or _expected(world, area, role) != "ok" or "/assessments/" in url:
            continue  # (the questionnaire has its own tests: this case's stage has none)
        response = browser.get(url.format(case=case_id, document=document_id))
        assert response.status_code in (200, 302), (url, role, response.status_code)
        if area in ("case", "managed") and not url.endswith(".pdf"):
            assert SECRET_TITLE in response.text or SECRET_WORKER in response.text, (url, role)
        checked += 1
    assert checked > 0


def test_a_document_is_not_served_through_another_case(world, service):
    case_id, document_id = world["case"], world["document"]
    other_case, _v = open_case(service, title="Another case")
    operator = world["browsers"]["operator"]
    assert operator.get(f"/cases/{other_case}/documents/{document_id}").status_code == 404
    assert operator.get(f"/cases/{case_id}/documents/{document_id}").status_code == 200


def test_a_case_that_does_not_exist_answers_like_a_foreign_one(world):
    operator = world["browsers"]["operator"]
    assert operator.get("/cases/999999").status_code == 404
    assert operator.get("/desks/nowhere").status_code == 404
    assert world["browsers"]["admin"].get("/admin/users/nobody").status_code == 404


# --- ids beyond the database's integer range ------------------------------------------------------------

HUGE_IDS = (2**31, 2**63, 10**30)


def _with_ids(rule, number: int) -> str:  # noqa: ANN001
    """The rule's path with `number` for each id and a plausible value for every other part."""
    import re

    def value(match):  # noqa: ANN001, ANN202
        converter, name = match.group(1), match.group(2)
        if converter == "int":
            return str(number)
        return "en" if name == "lang" else "x"

    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", value, rule.rule)


def test_ids_out_of_the_databases_range_are_not_found_on_every_route(app, people, as_role):
    from werkzeug.routing import IntegerConverter

    rules = [r for r in app.url_map.iter_rules() if any(isinstance(c, IntegerConverter)
                                                         for c in r._converters.values())]
    assert len(rules) >= 11
    public = [r for r in rules if r.rule.startswith("/catalogue/")]
    assert len(public) >= 2
    admin = as_role("admin")
    anonymous = app.test_client()
    for rule in rules:
        for number in HUGE_IDS:
            path = _with_ids(rule, number)
            for client in (admin.client, anonymous):
                for method in sorted(rule.methods & {"GET", "POST"}):
                    response = client.open(path, method=method)
                    assert response.status_code == 404, (method, path, response.status_code)


def test_ids_out_of_range_in_forms_and_queries_are_refused_not_crashing(app, people, as_role):
    designer = as_role("designer")
    for query in (f"old={2**63}&new={2**63}", f"old=1&new={10**30}"):
        assert designer.get(f"/designer/diff?{query}").status_code < 500
    assert app.test_client().get(f"/catalogue/en/contact/sent?resource={10**30}").status_code == 200
