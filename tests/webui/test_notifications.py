"""Notifications: events and due dates become outbox rows, sent to a real SMTP server (aiosmtpd) started
by the test; when the server is down nothing is lost and everything goes out later."""
from __future__ import annotations

import socket
from datetime import timedelta
from email import message_from_bytes
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, update

from engine.models import Case, utcnow
from tests.webui.conftest import PEOPLE, open_case
from tests.webui.test_portal import case_at
from webui.models import User
from webui.notifications.cli import notify
from webui.notifications.models import OutboxMessage
from webui.notifications.sender import SmtpSettings, send_due


class Inbox:
    """aiosmtpd handler: keeps every message received."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        message = message_from_bytes(envelope.content)
        message.recipients = list(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in m.recipients]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(app, people):  # noqa: ANN001, ANN201
    server = SmtpServer()
    server.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port, SMTP_FROM="OPERA <noreply@opera.test>",
                      SMTP_TIMEOUT=5, BASE_URL="https://opera.test")
    yield server
    server.stop()


def subject(message) -> str:  # noqa: ANN001
    return str(make_header(decode_header(message["Subject"])))


def body(message) -> str:  # noqa: ANN001
    return message.get_payload(decode=True).decode("utf-8")


def rows(sessions, **where) -> list[OutboxMessage]:  # noqa: ANN001, ANN003
    with sessions() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        for key, value in where.items():
            query = query.where(getattr(OutboxMessage, key) == value)
        return list(session.scalars(query))


def test_a_stage_change_reaches_the_worker_by_email_and_in_the_app(app, service, smtp, as_role):
    case_id, v = case_at(service, "first_interview")
    notify(app)
    from tests.webui.test_portal import walk
    from tests.webui.test_case_page import INTAKE_EXITS

    walk(service, case_id, v, INTAKE_EXITS[:1])
    report = notify(app)
    assert report.sending.sent >= 1
    mails = smtp.inbox.to("anna@test.example")
    changed = [m for m in mails if "moved on" in subject(m)]
    assert len(changed) == 1
    assert "Consent to personal data processing" in subject(changed[0])
    assert "I consent to the processing of my personal data" in body(changed[0])  # what is asked of her
    assert f"https://opera.test/me/cases/{case_id}" in body(changed[0])
    page = as_role("worker").get("/me/notifications").text
    assert "Your pathway has moved on: Consent to personal data processing" in page
    # Workers without an e-mail get it in the app only.
    assert all(r.status == "in_app" for r in rows(app.extensions["opera"].sessions, recipient_id="w.luca"))


def test_running_notify_twice_queues_and_sends_nothing_twice(app, service, smtp):
    case_id, v = case_at(service, "data_consent")
    notify(app)
    count = len(smtp.inbox.messages)
    queued = len(rows(app.extensions["opera"].sessions))
    second = notify(app)
    assert second.from_events == 0 and second.reminders == 0 and second.sending.sent == 0
    assert len(smtp.inbox.messages) == count and len(rows(app.extensions["opera"].sessions)) == queued
    # Starting over from the first event (a lost cursor) still adds nothing: each key is unique.
    with app.extensions["opera"].sessions.begin() as session:
        from webui.notifications.models import NotificationCursor
        session.get(NotificationCursor, "events").last_event_id = 0
    assert notify(app).from_events == 0


def test_messages_are_in_the_recipients_language(app, service, smtp, sessions):
    with sessions.begin() as session:
        session.get(User, "w.anna").language = "it"
    case_at(service, "data_consent")
    notify(app)
    mails = smtp.inbox.to("anna@test.example")
    assert any("Il suo percorso è andato avanti" in subject(m) for m in mails), [subject(m) for m in mails]
    assert any("Consenso al trattamento dei dati personali" in subject(m) for m in mails)


def test_due_dates_approaching_and_passed_send_one_reminder_each(app, service, smtp, sessions):
    soon, _v = open_case(service, title="Soon")
    late, _v = open_case(service, title="Late")
    now = utcnow()
    with sessions.begin() as session:
        session.execute(update(Case).where(Case.id == soon).values(due_at=now + timedelta(days=2)))
        session.execute(update(Case).where(Case.id == late).values(due_at=now - timedelta(days=1)))
    notify(app)
    notify(app)
    subjects = [subject(m) for m in smtp.inbox.to("anna@test.example")]
    assert sum("is due soon" in s for s in subjects) == 1
    assert sum("is late" in s for s in subjects) == 1


def test_a_mentor_hears_when_a_sign_off_waits(app, service, smtp):
    case_at(service, "group_formation")  # it went through the crisis diagnosis, signed off by the mentor
    notify(app)
    mails = smtp.inbox.to(PEOPLE["mentor"].email)
    assert any("A sign-off waits for you" in subject(m) for m in mails)
    assert any("https://opera.test/cases/" in body(m) for m in mails)


def test_when_the_smtp_server_is_down_nothing_is_lost_and_it_is_sent_later(app, service, smtp, sessions):
    smtp.stop()
    case_at(service, "data_consent")
    report = notify(app)
    assert report.sending.sent == 0 and report.sending.failed >= 1
    waiting = rows(sessions, email="anna@test.example")
    assert waiting and all(r.status == "pending" and r.attempts == 1 and r.last_error for r in waiting)
    # Too early for the next attempt: the server is up again, but the row waits for its time.
    smtp.start()
    assert notify(app).sending.sent == 0
    report = notify(app, now=utcnow() + timedelta(minutes=5))
    assert report.sending.sent == len(waiting)
    assert all(r.status == "sent" and r.sent_at for r in rows(sessions, email="anna@test.example"))
    assert len(smtp.inbox.to("anna@test.example")) == len(waiting)
    assert notify(app, now=utcnow() + timedelta(hours=1)).sending.sent == 0


def test_retries_wait_longer_and_longer(app, service, smtp, sessions):
    smtp.stop()
    case_at(service, "first_interview")
    notify(app, send=False)
    now = utcnow()
    waits = []
    for attempt in range(4):
        send_due(sessions, SmtpSettings.from_config(app.config), now=now)
        row = rows(sessions, email="anna@test.example")[0]
        waits.append(row.next_attempt_at - now)
        now = row.next_attempt_at
    assert waits == sorted(waits) and waits[0] < waits[-1]
    assert rows(sessions, email="anna@test.example")[0].attempts == 4


def test_the_outbox_keys_are_unique(app, service, sessions, people):
    case_at(service, "data_consent")
    notify(app, send=False)
    with sessions() as session:
        keys = session.scalar(select(func.count(OutboxMessage.key.distinct())))
        total = session.scalar(select(func.count()).select_from(OutboxMessage))
    assert keys == total > 0
