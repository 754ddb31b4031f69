"""The JSON API: tokens, reading cases, case operations with If-Match / 409 and problem documents."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.models import AuditEntry, utcnow
from tests.webui.conftest import PEOPLE, WORKERS, open_case
from webui.api.models import ApiToken
from webui.api.tokens import create_token, revoke
from webui.portal.models import StaffAccessLog

WORKER_IDS = {m.person_id for m in WORKERS}


def make_token(sessions, person: str = "operator", scope: str = "write", days: int = 30) -> str:  # noqa: ANN001
    with sessions.begin() as session:
        _row, plain = create_token(session, PEOPLE[person].id, name="partner", scope=scope, days=days,
                                   created_by=PEOPLE[person].id)
    return plain


class Api:
    """A client of the JSON API with a bearer token."""

    def __init__(self, client, token: str):  # noqa: ANN001
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **kwargs):  # noqa: ANN003, ANN201
        return self.client.get(f"/api/v1{path}", headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)

    def post(self, path: str, json=None, version: int | None = None, **kwargs):  # noqa: ANN001, ANN003, ANN201
        headers = {**self.headers, **kwargs.pop("headers", {})}
        if version is not None:
            headers["If-Match"] = f'"{version}"'
        return self.client.post(f"/api/v1{path}", json=json, headers=headers, **kwargs)

    def delete(self, path: str, version: int | None = None, **kwargs):  # noqa: ANN003, ANN201
        headers = {**self.headers, **kwargs.pop("headers", {})}
        if version is not None:
            headers["If-Match"] = f'"{version}"'
        return self.client.delete(f"/api/v1{path}", headers=headers, **kwargs)


@pytest.fixture
def api(app, people, sessions):  # noqa: ANN001, ANN201
    return Api(app.test_client(), make_token(sessions))


def test_a_call_without_a_valid_token_is_a_401_problem(app, people, sessions):  # noqa: ANN001
    client = app.test_client()
    answer = client.get("/api/v1/desks")
    assert answer.status_code == 401 and answer.content_type == "application/problem+json"
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/api/v1/desks", headers={"Authorization": "Bearer opera_wrong"}).status_code == 401
    expired = make_token(sessions, days=1)
    with sessions.begin() as session:
        for row in session.scalars(select(ApiToken)):
            row.expires_at = utcnow() - timedelta(seconds=1)
    assert client.get("/api/v1/desks", headers={"Authorization": f"Bearer {expired}"}).status_code == 401


def test_tokens_are_stored_hashed_and_revocable(app, people, sessions):  # noqa: ANN001
    plain = make_token(sessions)
    with sessions() as session:
        row = session.scalars(select(ApiToken)).one()
        assert plain not in (row.token_hash, row.prefix) and plain.startswith(row.prefix)
        assert row.last_used_at is None
    api = Api(app.test_client(), plain)
    assert api.get("/desks").status_code == 200
    with sessions.begin() as session:
        assert session.scalars(select(ApiToken)).one().last_used_at is not None
        assert revoke(session, row.id, PEOPLE["operator"].id)
    assert api.get("/desks").status_code == 401


def test_every_call_is_in_the_audit_log_and_case_reads_in_the_staff_view_log(app, api, sessions, service):  # noqa: ANN001
    case_id, _v = open_case(service)
    api.get("/desks")
    api.get("/desks/genova/cases?status=all")
    api.get(f"/cases/{case_id}")
    from webui.portal.access_log import staff_views

    staff_views(app).write_pending()
    with sessions() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.type == "api_call")
                                  .order_by(AuditEntry.seq)).all()
        views = session.scalars(select(StaffAccessLog).where(StaffAccessLog.case_id == case_id)).all()
    assert [e.data["path"] for e in entries] == ["/api/v1/desks?", "/api/v1/desks/genova/cases?status=all",
                                                 f"/api/v1/cases/{case_id}?"]
    assert {e.actor_id for e in entries} == {PEOPLE["operator"].id}
    assert {(v.staff_id, v.person_id) for v in views} == {(PEOPLE["operator"].id, w) for w in WORKER_IDS}


def test_a_read_token_cannot_write(app, people, sessions, service):  # noqa: ANN001
    case_id, version = open_case(service)
    api = Api(app.test_client(), make_token(sessions, scope="read"))
    assert api.get(f"/cases/{case_id}").status_code == 200
    answer = api.post(f"/cases/{case_id}/hold", {"reason": "waiting"}, version=version)
    assert answer.status_code == 403 and answer.get_json()["code"] == "read_only_token"


def test_calls_over_the_limit_get_429(app, people, sessions):  # noqa: ANN001
    app.config["API_CALLS_PER_MINUTE"] = 3
    api = Api(app.test_client(), make_token(sessions))
    assert [api.get("/desks").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert api.get("/desks").headers["Retry-After"] == "60"


def test_desks_and_their_cases_follow_the_access_rules(api, service):  # noqa: ANN001
    mine = [open_case(service, title=f"Caso {n}")[0] for n in range(3)]
    theirs, _v = open_case(service, desk="nice")
    assert [d["id"] for d in api.get("/desks").get_json()] == ["genova"]
    first = api.get("/desks/genova/cases?limit=2").get_json()
    assert [c["id"] for c in first["cases"]] == mine[:2] and first["next_cursor"]
    rest = api.get(f"/desks/genova/cases?limit=2&cursor={first['next_cursor']}").get_json()
    assert [c["id"] for c in rest["cases"]] == mine[2:] and rest["next_cursor"] is None
    assert [c["id"] for c in api.get("/desks/genova/cases?q=caso+1").get_json()["cases"]] == [mine[1]]
    assert api.get("/desks/nice/cases").status_code == 404
    assert api.get(f"/cases/{theirs}").status_code == 404
    assert api.get(f"/cases/{theirs}/timeline").status_code == 404
    assert api.post(f"/cases/{theirs}/hold", {"reason": "x"}, version=1).status_code == 404


def test_a_case_reads_with_its_stage_what_is_missing_and_its_version(api, service):  # noqa: ANN001
    case_id, version = open_case(service)
    answer = api.get(f"/cases/{case_id}", headers={"Accept-Language": "it"})
    assert answer.status_code == 200 and answer.headers["ETag"] == f'"{version}"'
    body = answer.get_json()
    assert body["version"] == version and body["stage"]["id"] == body["stage_id"]
    assert body["stage"]["requirements"] and all(not e["allowed"] for e in body["stage"]["exits"])
    unmet = [m for e in body["stage"]["exits"] for m in e["missing"]]
    assert unmet and all(m["message"] for m in unmet)
    events = api.get(f"/cases/{case_id}/timeline").get_json()["events"]
    assert [e["type"] for e in events][0] == "case_opened"


def test_writes_need_the_version_and_a_stale_one_is_a_409_with_what_changed(api, service):  # noqa: ANN001
    case_id, version = open_case(service)
    missing = api.post(f"/cases/{case_id}/hold", {"reason": "attesa"})
    assert missing.status_code == 428 and missing.content_type == "application/problem+json"
    held = api.post(f"/cases/{case_id}/hold", {"reason": "attesa documenti"}, version=version)
    assert held.status_code == 200 and held.get_json()["version"] == version + 1
    assert held.headers["ETag"] == f'"{version + 1}"'
    stale = api.post(f"/cases/{case_id}/resume", {"reason": "ripresa"}, version=version,
                     headers={"Accept-Language": "fr"})
    problem = stale.get_json()
    assert stale.status_code == 409 and stale.content_type == "application/problem+json"
    assert problem["code"] == "conflict" and problem["current_version"] == version + 1
    assert [c["type"] for c in problem["changes"]] == ["put_on_hold"]
    assert stale.headers["Content-Language"] == "fr"
    resumed = api.post(f"/cases/{case_id}/resume", {"reason": "ripresa"}, version=version + 1)
    assert resumed.status_code == 200


def test_engine_refusals_are_localized_problem_documents(api, service):  # noqa: ANN001
    case_id, version = open_case(service)
    exit_id = api.get(f"/cases/{case_id}").get_json()["stage"]["exits"][0]["id"]
    answers = {lang: api.post(f"/cases/{case_id}/advance", {"exit": exit_id}, version=version,
                              headers={"Accept-Language": lang}) for lang in ("it", "fr", "en")}
    assert {a.status_code for a in answers.values()} == {422}
    details = {lang: a.get_json()["detail"] for lang, a in answers.items()}
    assert len(set(details.values())) == 3, details
    assert answers["en"].get_json()["code"] == "exit_not_allowed" and answers["en"].get_json()["missing"]
    bad = api.post(f"/cases/{case_id}/hold", {"reason": ""}, version=version)
    assert bad.status_code == 400 and "reason" in bad.get_json()["errors"]["json"]


def test_the_spec_is_openapi_3_1_and_served_without_a_token(app):  # noqa: ANN001
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0"
    assert "/api/v1/cases/{case_id}/advance" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_pathways_their_diagram_and_checking_a_text(app, people, sessions):  # noqa: ANN001
    operator = Api(app.test_client(), make_token(sessions))
    listed = {p["id"]: p for p in operator.get("/pathways", headers={"Accept-Language": "fr"}).get_json()}
    assert "wbo" in listed and listed["wbo"]["stages"]
    svg = operator.get("/pathways/wbo/diagram.svg")
    assert svg.status_code == 200 and svg.content_type.startswith("image/svg+xml") and b"<svg" in svg.data
    # an exit to another pathway names it and its stage by title, not by id
    svg = operator.get("/pathways/wbo/diagram.svg", headers={"Accept-Language": "fr"}).data.decode()
    assert "Idée et motivation" in svg and "idea_motivation)" not in svg
    assert "(EntreComp) - accueil" in svg and "entrecomp-intake" not in svg
    assert operator.get("/pathways/nowhere/diagram.svg").status_code == 404
    assert operator.post("/pathways/check", {"file_name": "x.yaml", "text": "id: x"}).status_code == 403
    designer = Api(app.test_client(), make_token(sessions, "designer"))
    checked = designer.post("/pathways/check", {"file_name": "broken.yaml", "text": "id: broken\nstages: 3\n"},
                            headers={"Accept-Language": "it"}).get_json()
    assert checked["valid"] is False and checked["problems"][0]["line"] >= 1 and checked["problems"][0]["message"]


def test_monitoring_figures_are_the_dashboards_with_small_counts_suppressed(app, people, sessions, service):  # noqa: ANN001
    for _ in range(2):
        open_case(service)
    for _ in range(6):
        open_case(service, desk="nice")
    from engine.monitoring import refresh

    refresh(app.extensions["opera"].engine)
    admin = Api(app.test_client(), make_token(sessions, "admin"))
    figures = {(f["table"], f["item"]): f["value"] for f in admin.get("/monitoring").get_json()["figures"]}
    assert figures[("totals", "opened")] == 8
    genova = {(f["table"], f["item"]): f["value"]
              for f in admin.get("/monitoring?desk=genova").get_json()["figures"]}
    assert genova[("totals", "opened")] == "<5"
    operator = Api(app.test_client(), make_token(sessions))
    mine = {(f["table"], f["item"]): f["value"] for f in operator.get("/monitoring?desk=nice").get_json()["figures"]}
    assert mine[("totals", "opened")] == 0  # not its desk: nothing of it
    assert Api(app.test_client(), make_token(sessions, "mentor")).get("/monitoring").status_code == 403


def test_the_databank_search_matching_and_reserving_for_a_case(app, people, sessions, service):  # noqa: ANN001
    from webui.services import databank

    operator_actor = PEOPLE["operator"].actor
    with app.app_context():
        saved = databank().create_resource(operator_actor, {
            "desk_id": "genova", "title": "Capannone di Sestri", "category": "shed", "region": "Liguria",
            "province": "IT-GE", "municipality": "Genova", "status": "available", "offers": ["rent"],
            "supply_chains": ["nautical_shipbuilding"], "surface_m2": 1200})
    api = Api(app.test_client(), make_token(sessions))
    page = api.get("/databank/resources?q=capannone").get_json()
    assert page["total"] == 1 and page["facets"]
    assert api.get(f"/databank/resources/{saved.id}").status_code == 200
    assert api.get("/databank/resources/999999").status_code == 404
    case_id, version = open_case(service)
    suggested = api.get(f"/cases/{case_id}/matching").get_json()
    assert [s["id"] for s in suggested["resources"]] == [saved.id] and suggested["resources"][0]["reasons"]
    reserved = api.post(f"/cases/{case_id}/reservations", {"resource_id": saved.id}, version=version)
    assert reserved.status_code == 200 and reserved.get_json()["version"] == version + 1
    again = api.post(f"/cases/{case_id}/reservations", {"resource_id": saved.id}, version=version)
    assert again.status_code == 409
    assert Api(app.test_client(), make_token(sessions, "mentor")).get("/databank/resources").status_code == 403
