"""Invitations and sign-in links: e-mailed through the real SMTP server, single-use, expiring."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from engine import audit
from engine.models import utcnow
from tests.webui.conftest import PEOPLE, Browser, csrf_from, open_case
from tests.webui.test_notifications import body, smtp  # noqa: F401 - the SMTP server fixture
from tests.webui.test_portal import MARCO, add_worker
from webui.models import User
from webui.notifications.models import OutboxMessage
from webui.portal.models import AccessToken

NEW_PASSWORD = "a long new password"


def link_in(message, path: str) -> str:  # noqa: ANN001
    found = re.search(r"https://opera\.test(" + re.escape(path) + r"[A-Za-z0-9_\-]+)", body(message))
    assert found, body(message)
    return found.group(1)


def invite_marco(app, smtp, sessions, service, as_role):  # noqa: ANN001, ANN201
    add_worker(sessions, password=None)
    from tests.webui.conftest import WORKERS

    case_id, _v = open_case(service, members=[WORKERS[0], MARCO.member])
    operator = as_role("operator")
    page = operator.get(f"/me/staff/cases/{case_id}/invite")
    assert page.status_code == 200 and "Marco Bianchi" in page.text
    response = operator.post(f"/me/staff/cases/{case_id}/invite", data={"person": MARCO.id})
    assert response.status_code == 302
    mails = smtp.inbox.to(MARCO.email)
    assert len(mails) == 1
    return case_id, link_in(mails[0], "/me/welcome/")


def test_an_invited_worker_sets_a_password_once_and_lands_on_their_pathway(app, smtp, sessions, service, as_role):
    case_id, link = invite_marco(app, smtp, sessions, service, as_role)
    client = app.test_client()
    page = client.get(link)
    assert page.status_code == 200 and "Welcome, Marco Bianchi" in page.text
    response = client.post(link, data={"csrf_token": csrf_from(page.text), "way": "password",
                                       "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert client.get("/me/", follow_redirects=True).request.path == f"/me/cases/{case_id}"
    # Single use: the same link does not work again.
    assert app.test_client().get(link).status_code == 410
    # The password works on the login page.
    browser = Browser(app.test_client())
    login_page = browser.client.get("/login")
    assert browser.client.post("/login", data={"email": MARCO.email, "password": NEW_PASSWORD,
                                               "csrf_token": csrf_from(login_page.text)}).status_code == 302
    # The sent e-mail no longer keeps the link in the outbox.
    with sessions() as session:
        assert all(m.link == "" for m in session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "invitation")))
        assert all(len(t.token_hash) == 64 for t in session.scalars(select(AccessToken)))
        invited, accepted = audit.entries(session.connection(), "user", MARCO.id)
    assert (invited.type, invited.actor_id) == ("invitation_sent", PEOPLE["operator"].id)
    assert (accepted.type, accepted.actor_id, accepted.data["by_link"]) == ("invitation_accepted", MARCO.id, False)


def test_an_expired_invitation_does_not_work(app, smtp, sessions, service, as_role):
    _case_id, link = invite_marco(app, smtp, sessions, service, as_role)
    with sessions.begin() as session:
        session.execute(update(AccessToken).values(expires_at=utcnow() - timedelta(minutes=1)))
    assert app.test_client().get(link).status_code == 410


def test_a_disabled_account_cannot_use_its_invitation(app, smtp, sessions, service, as_role):
    _case_id, link = invite_marco(app, smtp, sessions, service, as_role)
    with sessions.begin() as session:
        session.get(User, MARCO.id).disabled = True
    assert app.test_client().get(link).status_code == 410


def test_a_worker_signs_in_with_an_emailed_link_and_then_sets_a_password(app, smtp, sessions, service, as_role):
    _case_id, link = invite_marco(app, smtp, sessions, service, as_role)
    client = app.test_client()
    page = client.get(link)
    client.post(link, data={"csrf_token": csrf_from(page.text), "way": "link"})
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/me/my-data").text)})
    ask = client.get("/me/sign-in")
    assert client.post("/me/sign-in", data={"csrf_token": csrf_from(ask.text),
                                            "email": MARCO.email}).status_code == 200
    again = client.get("/me/sign-in")
    client.post("/me/sign-in", data={"csrf_token": csrf_from(again.text), "email": MARCO.email})
    links = [m for m in smtp.inbox.to(MARCO.email) if "/me/sign-in/" in body(m)]
    assert len(links) == 1  # one link a minute at most
    sign_in = link_in(links[0], "/me/sign-in/")
    confirm = client.get(sign_in)
    assert confirm.status_code == 200  # a GET (a mail scanner) does not spend the link
    assert client.post(sign_in, data={"csrf_token": csrf_from(confirm.text)}).status_code == 302
    assert client.get(sign_in).status_code == 410
    # Signed in by link: a password can be set without knowing the (random) current one.
    page = client.get("/me/password")
    assert 'name="current_password"' not in page.text
    response = client.post("/me/password", data={"csrf_token": csrf_from(page.text), "password": NEW_PASSWORD,
                                                 "confirm": NEW_PASSWORD})
    assert response.status_code == 302


def test_asking_a_link_for_an_unknown_address_looks_the_same_and_sends_nothing(app, smtp, people):
    client = app.test_client()
    ask = client.get("/me/sign-in")
    response = client.post("/me/sign-in", data={"csrf_token": csrf_from(ask.text), "email": "nobody@test.example"})
    assert response.status_code == 200 and "Look at your e-mail" in response.text
    assert smtp.inbox.messages == []


def test_opera_invite_sends_an_invitation_to_every_worker_of_a_case_with_an_email(app, smtp, sessions, service,
                                                                                  monkeypatch, db_url, tmp_path):
    from click.testing import CliRunner

    import webui.cli as cli

    add_worker(sessions, password=None)
    from tests.webui.conftest import WORKERS

    case_id, _v = open_case(service, members=[WORKERS[0], WORKERS[1], MARCO.member])
    for name, value in {"OPERA_DATABASE_URL": db_url, "OPERA_INSTANCE_PATH": str(tmp_path / "cli"),
                        "OPERA_SMTP_HOST": "127.0.0.1", "OPERA_SMTP_PORT": str(smtp.port),
                        "OPERA_BASE_URL": "https://opera.test"}.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli.main, ["invite", "--case", str(case_id)])
    assert result.exit_code == 0, result.output
    assert "2 invitations queued" in result.output  # Luca has no e-mail
    assert {r for m in smtp.inbox.messages for r in m.recipients} == {MARCO.email, PEOPLE["worker"].email}


def test_a_newer_invitation_makes_the_older_one_stop_working(app, smtp, sessions, service, as_role):
    case_id, first = invite_marco(app, smtp, sessions, service, as_role)
    operator = as_role("operator")
    assert operator.post(f"/me/staff/cases/{case_id}/invite", data={"person": MARCO.id}).status_code == 302
    second = link_in(smtp.inbox.to(MARCO.email)[-1], "/me/welcome/")
    assert second != first
    assert app.test_client().get(first).status_code == 410
    assert app.test_client().get(second).status_code == 200


def test_an_invitation_stops_working_once_the_account_is_set_up(app, smtp, sessions, service, as_role):
    from webui.auth import accounts

    _case_id, link = invite_marco(app, smtp, sessions, service, as_role)
    with app.test_request_context():
        from webui.security import hash_password

        accounts.change_password(sessions, MARCO.id, hash_password(NEW_PASSWORD))
    assert app.test_client().get(link).status_code == 410
