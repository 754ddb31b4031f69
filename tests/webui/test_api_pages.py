"""The pages around the API: a user's tokens on the settings page (shown once, listed with last use,
revocable); an admin's service accounts and webhooks with their delivery log and replay button; the API's
browsable reference."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from engine import Actor
from engine.check import check
from engine.models import AuditEntry
from tests.webui.conftest import PEOPLE, open_case
from tests.webui.test_api import Api
from tests.webui.test_api_webhooks import Partner
from webui.api import operations
from webui.api.models import ApiToken, ServiceAccount, WebhookDelivery, WebhookEndpoint
from webui.api.operations import TokenValues
from webui.models import User
from webui.notifications.cli import notify

TOKEN = re.compile(r"<code>(opera_[A-Za-z0-9_-]+)</code>")


def test_a_user_creates_a_token_sees_it_once_and_revokes_it(app, as_role, sessions):  # noqa: ANN001
    browser = as_role("operator")
    created = browser.post("/settings/api-tokens", {"name": "Servizio regionale", "scope": "read", "days": "30"})
    assert created.status_code == 200
    token = TOKEN.search(created.text).group(1)
    api = Api(app.test_client(), token)
    assert api.get("/desks").status_code == 200
    listed = browser.get("/settings/api-tokens").text
    assert token not in listed and token[:12] in listed and "Servizio regionale" in listed
    with sessions() as session:
        row = session.scalars(select(ApiToken)).one()
        assert row.scope == "read" and row.last_used_at is not None and row.user_id == PEOPLE["operator"].id
        assert session.scalars(select(AuditEntry).where(AuditEntry.type == "token_created")).one()
    assert as_role("other_operator").post(f"/settings/api-tokens/{row.id}/revoke").status_code == 404
    assert api.get("/desks").status_code == 200  # someone else cannot revoke it
    assert browser.post(f"/settings/api-tokens/{row.id}/revoke").status_code == 302
    assert api.get("/desks").status_code == 401


def test_a_bad_token_form_is_refused_with_a_message(as_role, sessions):  # noqa: ANN001
    answer = as_role("mentor").post("/settings/api-tokens", {"name": "", "scope": "admin", "days": "9999"})
    assert answer.status_code == 400 and "Give the token a name" in answer.text
    with sessions() as session:
        assert session.scalars(select(ApiToken)).all() == []


def test_an_admin_creates_a_service_account_limited_to_its_desks(app, as_role, service, sessions):  # noqa: ANN001
    admin = as_role("admin")
    created = admin.post("/admin/integrations/service-accounts", {
        "account_id": "svc.camera", "display_name": "Camera di commercio", "desks": ["genova"],
        "name": "prod", "scope": "write", "days": "90"})
    assert created.status_code == 200
    api = Api(app.test_client(), TOKEN.search(created.text).group(1))
    mine, _v = open_case(service)
    theirs, _v = open_case(service, desk="nice")
    assert [d["id"] for d in api.get("/desks").get_json()] == ["genova"]
    assert api.get(f"/cases/{mine}").status_code == 200 and api.get(f"/cases/{theirs}").status_code == 404
    with sessions() as session:
        user = session.get(User, "svc.camera")
        assert user.password_hash is None and user.roles == ["operator"] and user.desk_ids == ["genova"]
        assert session.get(ServiceAccount, "svc.camera") is not None
    for role in ("operator", "mentor", "worker"):
        assert as_role(role).get("/admin/integrations").status_code == 403


def test_an_admin_registers_a_webhook_sees_its_deliveries_and_replays_one(app, as_role, service, sessions):  # noqa: ANN001
    partner = Partner()
    try:
        admin = as_role("admin")
        created = admin.post("/admin/integrations/webhooks", {"url": partner.url, "event_types": "case_opened"})
        assert created.status_code == 200 and "whsec_" in created.text
        assert admin.post("/admin/integrations/webhooks", {"url": "ftp://x", "event_types": ""}).status_code == 400
        open_case(service)
        notify(app)
        with sessions() as session:
            delivery = session.scalars(select(WebhookDelivery)).one()
        log = admin.get(f"/admin/integrations/webhooks/{delivery.endpoint_id}")
        assert log.status_code == 200 and "case_opened" in log.text
        assert admin.post(f"/admin/integrations/deliveries/{delivery.id}/replay").status_code == 302
        notify(app)
        assert len(partner.received) == 2
        assert as_role("operator").post(f"/admin/integrations/deliveries/{delivery.id}/replay").status_code == 403
    finally:
        partner.close()


def _entries(session, subject_type: str) -> list[tuple[str, str, str, dict]]:  # noqa: ANN001
    return [(e.subject_id, e.type, e.actor_id, e.data) for e in session.scalars(
        select(AuditEntry).where(AuditEntry.subject_type == subject_type).order_by(AuditEntry.id))]


def test_every_integration_change_writes_its_audit_entry_and_the_check_stays_clean(app, as_role, sessions):  # noqa: ANN001
    admin = as_role("admin")
    assert admin.post("/admin/integrations/service-accounts", {
        "account_id": "svc.inps", "display_name": "INPS", "desks": ["genova", "nice"],
        "name": "prod", "scope": "read", "days": "30"}).status_code == 200
    assert admin.post("/admin/integrations/webhooks", {
        "url": "https://partner.example/hook", "event_types": "case_opened stage_entered",
        "desks": ["genova"]}).status_code == 200
    with sessions() as session:
        token = session.scalars(select(ApiToken)).one()
        endpoint = session.scalars(select(WebhookEndpoint)).one()
    assert admin.post(f"/admin/integrations/webhooks/{endpoint.id}", {
        "url": "https://partner.example/hook2", "event_types": "case_opened", "desks": ["genova"]}).status_code == 302
    assert admin.post(f"/admin/integrations/webhooks/{endpoint.id}", {  # nothing changed: no entry
        "url": "https://partner.example/hook2", "event_types": "case_opened", "desks": ["genova"]}).status_code == 302
    assert admin.post(f"/admin/integrations/tokens/{token.id}/revoke").status_code == 302
    admin_id = PEOPLE["admin"].id
    with sessions() as session:
        assert session.get(WebhookEndpoint, endpoint.id).active is False  # the box was left unticked
        assert _entries(session, "user") == [("svc.inps", "service_account_created", admin_id,
                                              {"desks": ["genova", "nice"]})]
        assert _entries(session, "api_token") == [
            (str(token.id), "token_created", admin_id, {"user": "svc.inps", "name": "prod", "scope": "read",
                                                        "kind": "service"}),
            (str(token.id), "token_revoked", admin_id, {})]
        webhook = _entries(session, "webhook")
        assert [(subject, kind) for subject, kind, _a, _d in webhook] == [
            (str(endpoint.id), "webhook_registered"), (str(endpoint.id), "webhook_changed")]
        assert webhook[1][3]["changes"] == {
            "url": {"from": "https://partner.example/hook", "to": "https://partner.example/hook2"},
            "event_types": {"from": ["case_opened", "stage_entered"], "to": ["case_opened"]},
            "active": {"from": True, "to": False}}
    assert check(sessions.kw["bind"], app.extensions["opera"].files).problems == []


def test_a_taken_service_account_id_leaves_no_account_token_nor_entry(as_role, sessions):  # noqa: ANN001
    answer = as_role("admin").post("/admin/integrations/service-accounts", {
        "account_id": PEOPLE["operator"].id, "display_name": "Again", "desks": ["genova"],
        "name": "prod", "scope": "read", "days": "30"})
    assert answer.status_code == 400 and "exists already" in answer.text
    with sessions() as session:
        assert session.scalars(select(ServiceAccount)).all() == [] and session.scalars(select(ApiToken)).all() == []
        assert session.scalars(select(AuditEntry)).all() == []


def test_a_service_account_whose_token_fails_is_not_created_either(app, people, sessions):  # noqa: ANN001
    admin = Actor.of(people["admin"].id, people["admin"].roles)
    with pytest.raises(ValueError):
        operations.create_service_account(sessions, admin, "svc.half", "Half", ["genova"],
                                          TokenValues("prod", "everything", 30))
    with sessions() as session:
        assert session.get(User, "svc.half") is None and session.get(ServiceAccount, "svc.half") is None
        assert session.scalars(select(AuditEntry)).all() == []


def test_replaying_an_unknown_delivery_is_not_found_and_writes_nothing(as_role, sessions):  # noqa: ANN001
    admin = as_role("admin")
    assert admin.post("/admin/integrations/deliveries/4242/replay").status_code == 404
    assert admin.post(f"/admin/integrations/deliveries/{2**40}/replay").status_code == 404
    with sessions() as session:
        assert session.scalars(select(AuditEntry)).all() == []


def test_the_reference_page_loads_the_vendored_swagger_ui(app):  # noqa: ANN001
    client = app.test_client()
    page = client.get("/api/docs")
    assert page.status_code == 200 and "/api/v1/openapi.json" in page.text
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text):
        assert client.get(asset).status_code == 200, asset


INTEGRATION_ROUTES = [  # rule, method, url, who may
    ("/settings/api-tokens", "GET", "/settings/api-tokens", "account"),
    ("/settings/api-tokens", "POST", "/settings/api-tokens", "account"),
    ("/settings/api-tokens/<int:token_id>/revoke", "POST", "/settings/api-tokens/1/revoke", "account"),
    ("/admin/integrations", "GET", "/admin/integrations", "admin"),
    ("/admin/integrations/service-accounts", "POST", "/admin/integrations/service-accounts", "admin"),
    ("/admin/integrations/service-accounts/<account_id>/tokens", "POST",
     "/admin/integrations/service-accounts/svc.x/tokens", "admin"),
    ("/admin/integrations/tokens/<int:token_id>/revoke", "POST", "/admin/integrations/tokens/1/revoke", "admin"),
    ("/admin/integrations/webhooks", "POST", "/admin/integrations/webhooks", "admin"),
    ("/admin/integrations/webhooks/<int:endpoint_id>", "GET", "/admin/integrations/webhooks/1", "admin"),
    ("/admin/integrations/webhooks/<int:endpoint_id>", "POST", "/admin/integrations/webhooks/1", "admin"),
    ("/admin/integrations/deliveries/<int:delivery_id>/replay", "POST",
     "/admin/integrations/deliveries/1/replay", "admin"),
    ("/api/docs", "GET", "/api/docs", "public"),
]


def test_the_integration_pages_matrix(app, as_role, browser):  # noqa: ANN001
    declared = {(rule.rule, method) for rule in app.url_map.iter_rules()
                if rule.endpoint.startswith("integrations.") and rule.endpoint != "integrations.static"
                for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert declared == {(rule, method) for rule, method, _url, _who in INTEGRATION_ROUTES}
    for _rule, method, url, who in INTEGRATION_ROUTES:
        if who == "public":
            continue
        anonymous = browser.client.get(url) if method == "GET" else browser.client.post(url)
        assert anonymous.status_code in (302, 400), url  # to the login page (or a POST without its CSRF token)
    for role in ("operator", "other_operator", "mentor", "designer", "worker"):
        user = as_role(role)
        for _rule, method, url, who in INTEGRATION_ROUTES:
            if who != "admin":
                continue
            answer = user.get(url) if method == "GET" else user.post(url, {})
            assert answer.status_code == 403, (role, url, answer.status_code)
    # nobody revokes a token that is not theirs: 404 as for one that does not exist
    assert as_role("operator").post("/settings/api-tokens/1/revoke").status_code == 404
