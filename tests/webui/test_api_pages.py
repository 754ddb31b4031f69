"""The pages around the API: a user's tokens on the settings page (shown once, listed with last use,
revocable); an admin's service accounts and webhooks with their delivery log and replay button; the API's
browsable reference."""
from __future__ import annotations

import re

from sqlalchemy import select

from engine.models import AuditEntry
from tests.webui.conftest import PEOPLE, open_case
from tests.webui.test_api import Api
from tests.webui.test_api_webhooks import Partner
from webui.api.models import ApiToken, ServiceAccount, WebhookDelivery
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


def test_the_reference_page_loads_the_vendored_swagger_ui(app):  # noqa: ANN001
    client = app.test_client()
    page = client.get("/api/docs")
    assert page.status_code == 200 and "/api/v1/openapi.json" in page.text
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text):
        assert client.get(asset).status_code == 200, asset
