"""The route × role × foreign-object matrix of the JSON API: every API route refuses the roles and the
foreign objects it must refuse (401 without a token, 404 for what one may not see, 403 for what one sees but
may not do), a refusal leaks nothing and changes nothing."""
from __future__ import annotations

import io

import pytest

from engine.models import Case
from engine.scenarios import sample_file
from tests.webui.conftest import PEOPLE, open_case
from tests.webui.test_access_matrix import SECRET_TITLE, SECRET_WORKER, _counts
from tests.webui.test_api import Api, make_token

ROLES = ("anonymous", "admin", "operator", "other_operator", "mentor", "other_mentor", "designer", "worker")
C = "/cases/{case}"
# rule, method, url, body, area
ROUTES = [
    ("/api/v1/desks", "GET", "/desks", None, "everyone"),
    ("/api/v1/desks/<string:desk_id>/cases", "GET", "/desks/genova/cases", None, "desk"),
    ("/api/v1/desks/<string:desk_id>/cases", "POST", "/desks/genova/cases",
     {"pathway": "wbo", "workers": [{"person_id": "w.x", "display_name": "X"}]}, "desk"),
    ("/api/v1/cases/<int:case_id>", "GET", C, None, "case"),
    ("/api/v1/cases/<int:case_id>/timeline", "GET", C + "/timeline", None, "case"),
    ("/api/v1/cases/<int:case_id>/recommendation", "GET", C + "/recommendation", None, "case"),
    ("/api/v1/cases/<int:case_id>/ticks", "POST", C + "/ticks", {"item": "interview_held"}, "case_write"),
    ("/api/v1/cases/<int:case_id>/form", "POST", C + "/form",
     {"data": {"interview_date": "2026-01-10", "employment_status": "at_risk"}}, "case_write"),
    ("/api/v1/cases/<int:case_id>/signoffs", "POST", C + "/signoffs", {"signoff": "x"}, "case_write"),
    ("/api/v1/cases/<int:case_id>/advance", "POST", C + "/advance", {"exit": "interview_done"}, "case_write"),
    ("/api/v1/cases/<int:case_id>/hold", "POST", C + "/hold", {"reason": "r"}, "case_write"),
    ("/api/v1/cases/<int:case_id>/resume", "POST", C + "/resume", {"reason": "r"}, "case_write"),
    ("/api/v1/cases/<int:case_id>/withdraw", "POST", C + "/withdraw", {"reason": "r"}, "case_write"),
    ("/api/v1/cases/<int:case_id>/reopen", "POST", C + "/reopen", {"stage": "first_interview", "reason": "r"},
     "case_write"),
    ("/api/v1/cases/<int:case_id>/switch", "POST", C + "/switch", {"pathway": "startup", "reason": "r"},
     "case_write"),
    ("/api/v1/cases/<int:case_id>/assessment", "POST", C + "/assessment", {"answers": {"x": 1}}, "case_write"),
    ("/api/v1/cases/<int:case_id>/pathway-choice", "POST", C + "/pathway-choice", {"pathway": "startup"},
     "case_write"),
    ("/api/v1/cases/<int:case_id>/documents", "POST", C + "/documents", "file", "worker_upload"),
    ("/api/v1/cases/<int:case_id>/signoff-requests", "POST", C + "/signoff-requests",
     {"signoff": "x", "person": "y"}, "case_write"),
    ("/api/v1/cases/<int:case_id>/parties", "GET", C + "/parties", None, "case"),
    ("/api/v1/cases/<int:case_id>/parties", "POST", C + "/parties",
     {"role": "financing_body", "organisation": "Intruder", "name": "Intruder"}, "case_write"),
    ("/api/v1/cases/<int:case_id>/parties/<int:party_id>", "DELETE", C + "/parties/1", None, "case_write"),
    ("/api/v1/cases/<int:case_id>/signing-links", "POST", C + "/signing-links", {"party": 1, "signoff": "x"},
     "case_write"),
    ("/api/v1/cases/<int:case_id>/paper", "POST", C + "/paper", "paper", "case_write"),
    ("/api/v1/cases/<int:case_id>/untick", "POST", C + "/untick", {"item": "interview_held"}, "case_write"),
    ("/api/v1/cases/<int:case_id>/close", "POST", C + "/close", {"outcome": "x", "reason": "r"}, "case_write"),
    ("/api/v1/cases/<int:case_id>/members", "POST", C + "/members", {"remove": ["w.x"]}, "case_write"),
    ("/api/v1/cases/<int:case_id>/mentors", "POST", C + "/mentors", {"mentor": "x"}, "case_write"),
    ("/api/v1/cases/<int:case_id>/documents", "GET", C + "/documents", None, "case"),
    ("/api/v1/cases/<int:case_id>/documents/<int:document_id>", "GET", C + "/documents/{document}", None, "case"),
    ("/api/v1/cases/<int:case_id>/documents/<int:document_id>", "DELETE", C + "/documents/{document}", None,
     "case_write"),
    ("/api/v1/cases/<int:case_id>/notes", "GET", C + "/notes", None, "case"),
    ("/api/v1/cases/<int:case_id>/notes", "POST", C + "/notes", {"body": "n"}, "case"),
    ("/api/v1/cases/<int:case_id>/assessments", "GET", C + "/assessments", None, "case"),
    ("/api/v1/pathways/<string:pathway_id>/revisions", "GET", "/pathways/wbo/revisions", None, "pathways"),
    ("/api/v1/pathway-revisions/<int:revision_id>", "GET", "/pathway-revisions/{revision}", None, "pathways"),
    ("/api/v1/pathways", "GET", "/pathways", None, "pathways"),
    ("/api/v1/pathways/<string:pathway_id>/diagram.svg", "GET", "/pathways/wbo/diagram.svg", None, "pathways"),
    ("/api/v1/pathways/check", "POST", "/pathways/check", {"file_name": "x.yaml", "text": "id: x"},
     "pathways_edit"),
    ("/api/v1/monitoring", "GET", "/monitoring", None, "monitoring"),
    ("/api/v1/databank/profiles", "GET", "/databank/profiles", None, "monitoring"),
    ("/api/v1/databank/resources", "GET", "/databank/resources", None, "monitoring"),
    ("/api/v1/databank/profiles/<int:profile_id>", "GET", "/databank/profiles/1", None, "databank_entry"),
    ("/api/v1/databank/resources/<int:resource_id>", "GET", "/databank/resources/1", None, "databank_entry"),
    ("/api/v1/cases/<int:case_id>/matching", "GET", C + "/matching", None, "case_manager"),
    ("/api/v1/cases/<int:case_id>/reservations", "POST", C + "/reservations", {"resource_id": 1}, "case_manager"),
]
REFUSED = (403, 404, 409, 422)  # a worker of the case reaches the engine, which refuses what it may not do
EXPECTED = {
    "everyone": {**{role: "ok" for role in ROLES}, "anonymous": 401},
    "desk": {"anonymous": 401, "admin": "ok", "operator": "ok", "other_operator": 404, "mentor": 404,
             "other_mentor": 404, "designer": 404, "worker": 404},
    "case": {"anonymous": 401, "admin": "ok", "operator": "ok", "other_operator": 404, "mentor": "ok",
             "other_mentor": 404, "designer": 404, "worker": 404},
    "pathways": {"anonymous": 401, "admin": "ok", "operator": "ok", "other_operator": "ok", "mentor": 403,
                 "other_mentor": 403, "designer": "ok", "worker": 403},
    "pathways_edit": {**{role: 403 for role in ROLES}, "anonymous": 401, "admin": "ok", "designer": "ok"},
    "monitoring": {"anonymous": 401, "admin": "ok", "operator": "ok", "other_operator": "ok", "mentor": 403,
                   "other_mentor": 403, "designer": 403, "worker": 403},
    # (no entry 1 exists: the roles that may read the databank get 404 like for any missing entry)
    "databank_entry": {"anonymous": 401, "admin": 404, "operator": 404, "other_operator": 404, "mentor": 403,
                       "other_mentor": 403, "designer": 403, "worker": 403},
    "case_manager": {"anonymous": 401, "admin": "ok", "operator": "ok", "other_operator": 404, "mentor": 403,
                     "other_mentor": 403, "designer": 403, "worker": 403},
    # the case waits for the workers' signed consent: a worker of the case may upload it
    "worker_upload": {"anonymous": 401, "admin": "ok", "operator": "ok", "other_operator": 404, "mentor": "ok",
                      "other_mentor": 404, "designer": 404, "worker": "ok"},
    "case_write": {"anonymous": 401, "admin": "ok", "operator": "ok", "other_operator": 404, "mentor": "ok",
                   "other_mentor": 404, "designer": 404, "worker": REFUSED},
}


def test_the_matrix_covers_every_api_route(app):  # noqa: ANN001
    declared = {(rule.rule, method) for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")
                for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert declared == {(rule, method) for rule, method, _url, _body, _area in ROUTES}


@pytest.fixture
def world(app, service, people, sessions):  # noqa: ANN001, ANN201
    case_id, version = open_case(service, title=SECRET_TITLE)
    operator = PEOPLE["operator"].actor
    for item in ("interview_held", "service_explained"):  # to the stage with a document, which is attached
        version = service.tick(case_id, operator, version, item).version
    version = service.submit_form(case_id, operator, version, {"interview_date": "2026-01-10",
                                                               "employment_status": "at_risk"}).version
    version = service.advance(case_id, operator, version, "interview_done").version
    receipt = service.attach_document(case_id, operator, version, "signed_consent", "consent.pdf",
                                      sample_file("consent.pdf", 500))
    with sessions() as session:
        revision = session.get(Case, case_id).revision_id
    clients = {"anonymous": Api(app.test_client(), "none")}
    for role in ROLES[1:]:
        clients[role] = Api(app.test_client(), make_token(sessions, role))
    return {"case": case_id, "version": receipt.version, "clients": clients,
            "ids": {"case": case_id, "document": receipt.document_id, "revision": revision}}


def _call(api: Api, method: str, url: str, body, version: int):  # noqa: ANN001, ANN201
    if method == "GET":
        return api.get(url)
    if method == "DELETE":
        return api.delete(url, version=version)
    if body == "paper":  # the worker's consent, given on paper, with its scan
        return api.client.post(f"/api/v1{url}", content_type="multipart/form-data",
                               headers={**api.headers, "If-Match": f'"{version}"'},
                               data={"requirement": "consent_personal_data", "member": "w.luca",
                                     "evidence": (io.BytesIO(sample_file("scan.pdf", 500)), "scan.pdf")})
    if body == "file":
        return api.client.post(f"/api/v1{url}", content_type="multipart/form-data",
                               headers={**api.headers, "If-Match": f'"{version}"'},
                               data={"requirement": "signed_consent",
                                     "file": (io.BytesIO(sample_file("x.pdf", 500)), "x.pdf")})
    return api.post(url, body, version=version)


@pytest.mark.parametrize("role", [r for r in ROLES if r not in ("admin", "operator", "mentor")])
def test_every_api_route_refuses_what_this_role_may_not_see_or_do(world, sessions, role):  # noqa: ANN001
    api = world["clients"][role]
    before = _counts(sessions)
    checked = 0
    for _rule, method, url, body, area in ROUTES:
        expected = EXPECTED[area][role]
        if expected == "ok":
            continue
        answer = _call(api, method, url.format(**world["ids"]), body, world["version"])
        allowed = expected if isinstance(expected, tuple) else (expected,)
        assert answer.status_code in allowed, (method, url, role, answer.status_code, answer.get_json())
        assert answer.content_type == "application/problem+json"
        assert SECRET_TITLE not in answer.text and SECRET_WORKER not in answer.text, (method, url, role)
        checked += 1
    assert checked > 0
    assert _counts(sessions) == before  # nothing changed


@pytest.mark.parametrize("role", ["admin", "operator", "mentor"])
def test_every_api_read_lets_in_the_roles_it_serves(world, role):  # noqa: ANN001
    api = world["clients"][role]
    for _rule, method, url, _body, area in ROUTES:
        if method == "GET" and EXPECTED[area][role] == "ok":
            answer = api.get(url.format(**world["ids"]))
            assert answer.status_code == 200, (url, role, answer.status_code)
            if area == "case" and url == C:
                assert SECRET_TITLE in answer.text


def test_a_case_that_does_not_exist_answers_like_a_foreign_one(world, service):  # noqa: ANN001
    operator = world["clients"]["operator"]
    foreign, _v = open_case(service, desk="nice")
    for url in ("/cases/{case}", "/cases/{case}/timeline"):
        missing, other = operator.get(url.format(case=999999)), operator.get(url.format(case=foreign))
        assert missing.status_code == other.status_code == 404
        assert missing.get_json()["detail"] == other.get_json()["detail"]
    hold = {case: operator.post(f"/cases/{case}/hold", {"reason": "r"}, version=1) for case in (999999, foreign)}
    assert {a.status_code for a in hold.values()} == {404}
