"""A whole workers-buy-out case through the API only, from opening to outcome: the shipped Italian happy-path
scenario, each of its actors calling with their own token; the partner's local server receives every event
as a signed webhook, in order."""
from __future__ import annotations

import io

import yaml
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from engine import Actor
from engine.models import Desk
from engine.scenarios import sample_file
from tests.conftest import SHIPPED_PATHWAYS
from tests.webui.conftest import PASSWORD, TEST_PASSWORD_METHOD
from tests.webui.test_api import Api
from tests.webui.test_api_webhooks import Partner
from webui.api.models import WebhookEndpoint
from webui.api.tokens import create_token
from webui.api.webhooks import register_endpoint, verify_signature
from webui.models import DeskMembership, User
from webui.notifications.cli import notify

SCENARIO = SHIPPED_PATHWAYS / "scenarios" / "wbo_happy_path_it.yaml"


def accounts_with_tokens(sessions, scenario: dict, partner_url: str) -> dict[str, str]:  # noqa: ANN001
    """One account per actor of the scenario (its roles and desks), each with a write token; the partner's
    endpoint registered for every event."""
    tokens = {}
    password_hash = generate_password_hash(PASSWORD, method=TEST_PASSWORD_METHOD)
    with sessions.begin() as session:
        session.add(Desk(id=scenario["case"]["desk"], name="Sportello Genova", country="IT", region="Liguria"))
        session.flush()
        for name, spec in scenario["actors"].items():
            user = User(id=name, email=f"{name}@test.example", display_name=spec.get("name", name),
                        password_hash=password_hash, roles=spec["roles"], disabled=False, failed_logins=0)
            user.desk_links = [DeskMembership(desk_id=d) for d in spec.get("desks", [])]
            session.add(user)
        session.flush()
        for name in scenario["actors"]:
            tokens[name] = create_token(session, name, name="test", scope="write", days=1, created_by="admin")[1]
        register_endpoint(session, partner_url, ["*"], "admin")
    return tokens


def call(api: Api, case_id: int, version: int, action: str, arg, member: str | None):  # noqa: ANN001, ANN201
    path = f"/cases/{case_id}"
    if action == "tick":
        return api.post(f"{path}/ticks", {"item": arg, "member": member}, version=version)
    if action == "submit":
        return api.post(f"{path}/form", {"data": arg}, version=version)
    if action == "sign":
        return api.post(f"{path}/signoffs", {"signoff": arg}, version=version)
    if action == "advance":
        return api.post(f"{path}/advance", {"exit": arg}, version=version)
    if action == "assess":
        body = {"answers": arg, **({"person_id": member} if member else {})}
        return api.post(f"{path}/assessment", body, version=version)
    if action == "choose":
        return api.post(f"{path}/pathway-choice", {"pathway": arg["pathway"], "reason": arg.get("reason", "")},
                        version=version)
    if action == "upload":
        data = {"requirement": arg["document"], **({"member": member} if member else {}),
                "file": (io.BytesIO(sample_file(arg["filename"], arg.get("bytes", 1000))),
                         arg["filename"])}
        return api.client.post(f"/api/v1{path}/documents", data=data, content_type="multipart/form-data",
                               headers={**api.headers, "If-Match": f'"{version}"'})
    raise AssertionError(f"the test does not drive {action}")


def test_a_whole_wbo_case_through_the_api_with_signed_webhooks(app, sessions):  # noqa: ANN001
    scenario = yaml.safe_load(SCENARIO.read_text(encoding="utf-8"))
    partner = Partner()
    try:
        tokens = accounts_with_tokens(sessions, scenario, partner.url)
        with sessions() as session:
            secret = session.scalars(select(WebhookEndpoint)).one().secret
        client = app.test_client()
        apis = {name: Api(client, token) for name, token in tokens.items()}
        case_spec = scenario["case"]
        opener = apis[case_spec["opened_by"]]
        names = {name: spec.get("name", name) for name, spec in scenario["actors"].items()}
        opened = opener.post(f"/desks/{case_spec['desk']}/cases", {
            "pathway": scenario["pathway"], "title": "WBO",
            "workers": [{"person_id": m, "display_name": names[m]} for m in case_spec["members"]],
            "mentors": [{"person_id": m, "display_name": names[m]} for m in case_spec.get("mentors", [])],
            "supply_chains": case_spec.get("supply_chains", [])})
        assert opened.status_code == 201, opened.get_json()
        case_id, version = opened.get_json()["case_id"], opened.get_json()["version"]
        # The case's parties (the notary, the financing body...) are added by the engine's operation: the API
        # has no endpoint for parties yet. Each signs with its own account's token.
        opener_spec = scenario["actors"][case_spec["opened_by"]]
        operator = Actor.of(case_spec["opened_by"], opener_spec["roles"], opener_spec.get("desks", []))
        for name, role in case_spec.get("parties", {}).items():
            version = app.extensions["opera"].cases.add_party(case_id, operator, version, role, names[name],
                                                              names[name], account_id=name).version
        actions = ("tick", "submit", "sign", "advance", "assess", "choose", "upload")
        for index, step in enumerate(scenario["steps"]):
            action = next((a for a in actions if a in step), None)
            if action is not None:
                answer = call(apis[step["as"]], case_id, version, action, step[action], step.get("member"))
                if "refused" in step:
                    assert answer.status_code in (403, 409, 422), (index, step, answer.get_json())
                    assert answer.content_type == "application/problem+json"
                else:
                    assert answer.status_code == 200, (index, step, answer.get_json())
                    assert answer.headers["ETag"] == f'"{answer.get_json()["version"]}"'
                    version = answer.get_json()["version"]
            expected_stage = (step.get("expect") or {}).get("stage")
            if expected_stage:
                assert opener.get(f"/cases/{case_id}").get_json()["stage_id"] == expected_stage, (index, step)
        final = opener.get(f"/cases/{case_id}").get_json()
        assert final["status"] == "closed" and final["outcome"] == "coop_constituted"
        events = opener.get(f"/cases/{case_id}/timeline").get_json()["events"]
        timeline = [e["seq"] for e in events]
        # each person's questionnaire reads back with the scores its submission recorded
        submitted = {e["data"]["member"]: e["data"]["scores"] for e in events if e["type"] == "assessment_submitted"}
        assessments = opener.get(f"/cases/{case_id}/assessments").get_json()["assessments"]
        assert submitted and {a["person_id"]: a["scores"] for a in assessments if a["submitted"]} == submitted
        ranked = [a["pathways"] for a in assessments if a["submitted"] and a["pathways"]]
        assert ranked and all(p[0]["target"] == "wbo" and p[0]["reasons"] for p in ranked)

        report = notify(app)
        assert report.webhook_sending.failed == 0
        received = [(p["event"]["seq"], body, signature) for p, body, signature in partner.received
                    if p["case"]["id"] == case_id]
        assert [seq for seq, _b, _s in received] == timeline  # every event, in order
        assert all(verify_signature(secret, body, signature) for _seq, body, signature in received)
    finally:
        partner.close()
