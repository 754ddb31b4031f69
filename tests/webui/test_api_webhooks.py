"""Webhooks: events reach a partner's local HTTP server, signed, in order per case, retried after a failure,
replayed on demand; `opera notify` delivers them with the e-mails."""
from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from engine.models import utcnow
from tests.webui.conftest import PEOPLE, open_case
from webui.api.models import WebhookDelivery
from webui.api.webhooks import SIGNATURE_HEADER, register_endpoint, replay, verify_signature
from webui.notifications.cli import notify


class Partner:
    """A partner's HTTP server on localhost that records what it receives (and can be told to fail)."""

    def __init__(self) -> None:
        self.received: list[tuple[dict, bytes, str]] = []
        self.failing = False
        partner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if partner.failing:
                    self.send_response(503)
                else:
                    partner.received.append((json.loads(body), body, self.headers[SIGNATURE_HEADER]))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:  # noqa: ANN002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/opera"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def partner():  # noqa: ANN201
    server = Partner()
    yield server
    server.close()


def register(sessions, partner: Partner, types: list[str], desks: list[str] | None = None) -> str:  # noqa: ANN001
    with sessions.begin() as session:
        return register_endpoint(session, partner.url, types, PEOPLE["admin"].id, desks).secret


def test_events_are_delivered_signed_and_in_order(app, people, sessions, service, partner):  # noqa: ANN001
    secret = register(sessions, partner, ["*"], ["genova"])
    case_id, version = open_case(service)
    service.hold(case_id, PEOPLE["operator"].actor, version, "attesa")
    open_case(service, desk="nice")  # another desk: not this partner's
    report = notify(app)
    assert report.webhooks == 2 and report.webhook_sending.delivered == 2
    assert [(p["case"]["id"], p["event"]["type"]) for p, _b, _s in partner.received] == [
        (case_id, "case_opened"), (case_id, "put_on_hold")]
    for _payload, body, signature in partner.received:
        assert verify_signature(secret, body, signature)
        assert not verify_signature("whsec_other", body, signature)
        assert not verify_signature(secret, body.replace(b'"seq":', b'"seq":1'), signature)
    assert notify(app).webhooks == 0 and len(partner.received) == 2  # nothing twice


def test_a_failed_delivery_is_retried_later_and_holds_back_the_case(app, people, sessions, service, partner):  # noqa: ANN001
    register(sessions, partner, ["case_opened", "put_on_hold", "resumed"])
    case_id, version = open_case(service)
    partner.failing = True
    assert notify(app).webhook_sending.failed == 1  # the first fails; the next of the same case waits
    receipt = service.hold(case_id, PEOPLE["operator"].actor, version, "attesa")
    partner.failing = False
    assert notify(app).webhook_sending.delivered == 0  # not due yet: the case keeps its order
    later = utcnow() + timedelta(minutes=5)
    assert notify(app, now=later).webhook_sending.delivered == 2
    assert [p["event"]["type"] for p, _b, _s in partner.received] == ["case_opened", "put_on_hold"]
    with sessions() as session:
        log = session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
    assert [(d.status, d.attempts) for d in log] == [("delivered", 2), ("delivered", 1)]
    assert log[0].last_error == "" and receipt.version == version + 1


def test_a_delivery_can_be_replayed(app, people, sessions, service, partner):  # noqa: ANN001
    register(sessions, partner, ["case_opened"])
    open_case(service)
    notify(app)
    with sessions.begin() as session:
        delivery = session.scalars(select(WebhookDelivery)).one()
        assert replay(session, delivery.id)
    notify(app)
    assert [p["event"]["type"] for p, _b, _s in partner.received] == ["case_opened", "case_opened"]
