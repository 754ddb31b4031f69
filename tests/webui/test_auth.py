"""Logging in and out: sessions, throttling, CSRF, security headers, languages."""
from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from engine import audit
from tests.webui.conftest import PASSWORD, Browser, csrf_from
from webui.models import User
from webui.security import CONTENT_SECURITY_POLICY


def test_an_operator_logs_in_and_gets_a_secure_httponly_samesite_session_cookie(browser, people):
    response = browser.login(people["operator"])
    assert response.status_code == 302 and response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert "opera_session=" in cookie
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert browser.get("/").headers["Location"] == "/my-work"


def test_a_wrong_password_is_refused_with_the_same_words_as_an_unknown_account(browser, people):
    wrong = browser.login(people["operator"], password="not the password")
    unknown = browser.client.post("/login", data={"email": "nobody@nowhere.example", "password": "whatever",
                                                  "csrf_token": browser.token()})
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong e-mail or password." in wrong.text and "Wrong e-mail or password." in unknown.text
    assert browser.get("/desks").status_code == 302  # still logged out


def test_logins_are_throttled_after_repeated_failures_even_with_the_right_password(app, browser, people, sessions):
    for _attempt in range(app.config["LOGIN_MAX_FAILURES"]):
        assert browser.login(people["operator"], password="guess").status_code == 401
    locked = browser.login(people["operator"], password=PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.text
    with sessions() as session:
        user = session.get(User, people["operator"].id)
        assert user.failed_logins == app.config["LOGIN_MAX_FAILURES"]
    # Another account is not locked by it.
    assert Browser(app.test_client()).login(people["mentor"]).status_code == 302


def test_an_unknown_address_is_throttled_like_a_known_one(app, browser):
    for _attempt in range(app.config["LOGIN_MAX_FAILURES"]):
        browser.client.post("/login", data={"email": "ghost@nowhere.example", "password": "x",
                                            "csrf_token": browser.token()})
    response = browser.client.post("/login", data={"email": "ghost@nowhere.example", "password": "x",
                                                   "csrf_token": browser.token()})
    assert response.status_code == 429


def test_a_disabled_account_cannot_log_in_and_its_open_session_ends(app, browser, people, sessions):
    assert browser.login(people["operator"]).status_code == 302
    with sessions.begin() as session:
        session.get(User, people["operator"].id).disabled = True
    assert browser.get("/desks").status_code == 302
    assert browser.login(people["operator"]).status_code == 401


def test_logging_out_takes_a_post_with_its_csrf_token(browser, people):
    browser.login(people["operator"])
    assert browser.get("/logout").status_code == 405
    assert browser.client.post("/logout").status_code == 400  # no CSRF token
    assert browser.get("/desks").status_code == 200
    assert browser.post("/logout").status_code == 302
    assert browser.get("/desks").status_code == 302


def test_a_form_posted_without_its_csrf_token_is_refused_and_changes_nothing(browser, people, sessions):
    browser.login(people["admin"])
    response = browser.client.post("/admin/desks/new", data={"id": "bastia", "name": "Bastia", "country": "FR"})
    assert response.status_code == 400
    assert "The form has expired" in response.text
    from engine.models import Desk

    with sessions() as session:
        assert session.get(Desk, "bastia") is None


def test_after_login_only_a_local_next_page_is_followed(browser, people):
    page = browser.get("/login?next=//evil.example/steal")
    response = browser.client.post("/login?next=//evil.example/steal", data={
        "email": people["operator"].email, "password": PASSWORD, "csrf_token": csrf_from(page.text)})
    assert response.headers["Location"] == "/"
    browser.post("/logout")
    page = browser.get("/login?next=/desks/genova")
    response = browser.client.post("/login?next=/desks/genova", data={
        "email": people["operator"].email, "password": PASSWORD, "csrf_token": csrf_from(page.text)})
    assert response.headers["Location"] == "/desks/genova"


def test_passwords_are_stored_hashed_with_scrypt(browser, people, sessions):
    browser.login(people["operator"])
    wrong = browser.post("/settings", data={"password-current_password": "not it",
                                            "password-new_password": "a brand new passphrase",
                                            "password-confirm": "a brand new passphrase"})
    assert wrong.status_code == 400
    browser.post("/settings", data={"password-current_password": PASSWORD,
                                    "password-new_password": "a brand new passphrase",
                                    "password-confirm": "a brand new passphrase"})
    with sessions() as session:
        stored = session.get(User, people["operator"].id).password_hash
    assert stored.startswith("scrypt:") and "a brand new passphrase" not in stored
    with sessions() as session:  # one entry for the change, none for the refused one, no hash in it
        [entry] = audit.entries(session.connection(), "user", people["operator"].id)
    assert (entry.type, entry.actor_id, entry.data) == ("password_changed", people["operator"].id, {})
    browser.post("/logout")
    assert browser.login(people["operator"], password="a brand new passphrase").status_code == 302


def test_every_page_carries_the_security_headers_and_a_csp_without_inline_script(browser, people):
    for url in ("/login", "/health"):
        headers = browser.get(url).headers
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert "script-src 'self'" in CONTENT_SECURITY_POLICY and "unsafe-inline" not in CONTENT_SECURITY_POLICY
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"


def test_no_template_has_an_inline_script_style_or_event_handler():
    root = Path(__file__).resolve().parents[2] / "webui"
    templates = list(root.rglob("*.html"))
    assert len(templates) > 10
    for path in templates:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        assert not re.search(r"<style\b", text), path
        assert not re.search(r"\sstyle=", text), path
        assert not re.search(r"\son[a-z]+=", text), path


def test_the_language_is_the_users_setting_else_the_browsers(app, browser, people, sessions):
    with sessions.begin() as session:
        session.get(User, people["operator"].id).language = None
    browser.login(people["operator"])
    assert '<html lang="fr">' in browser.get("/desks", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).text
    assert '<html lang="it">' in browser.get("/desks", headers={"Accept-Language": "it"}).text
    assert "Sportelli" in browser.get("/desks", headers={"Accept-Language": "it"}).text
    browser.post("/language", data={"language": "it", "next": "/desks"})
    page = browser.get("/desks", headers={"Accept-Language": "fr"})
    assert '<html lang="it">' in page.text
    with sessions() as session:
        assert session.scalar(select(User.language).where(User.id == people["operator"].id)) == "it"
        [entry] = audit.entries(session.connection(), "user", people["operator"].id)
    assert (entry.type, entry.data) == ("settings_changed", {"fields": ["language"]})


def test_the_login_page_speaks_the_browsers_language(browser):
    assert "Se connecter" in browser.get("/login", headers={"Accept-Language": "fr"}).text
    assert "Accedi" in browser.get("/login", headers={"Accept-Language": "it"}).text


# --- sessions that end ----------------------------------------------------------------------------------

def _copied(app, browser):  # noqa: ANN001, ANN202
    """A second client carrying a copy of the browser's session cookie (a stolen or copied cookie)."""
    thief = app.test_client()
    cookie = browser.client.get_cookie("opera_session")
    thief.set_cookie("opera_session", cookie.value)
    return Browser(thief)


def test_a_copied_cookie_stops_opening_admin_pages_after_logout(app, browser, people):
    assert browser.login(people["admin"]).status_code == 302
    thief = _copied(app, browser)
    assert thief.get("/admin/users").status_code == 200
    assert browser.post("/logout").status_code == 302
    assert thief.get("/admin/users").status_code == 302  # to the login page
    assert "/login" in thief.get("/admin/users").headers["Location"]


def test_changing_ones_password_ends_the_other_sessions_but_keeps_this_one(app, browser, people, sessions):
    assert browser.login(people["operator"]).status_code == 302
    other = Browser(app.test_client())
    assert other.login(people["operator"]).status_code == 302
    response = browser.post("/settings", data={"password-current_password": PASSWORD,
                                               "password-new_password": "another long password",
                                               "password-confirm": "another long password"})
    assert response.status_code == 302, response.text
    assert browser.get("/desks").status_code == 200
    assert other.get("/desks").status_code == 302
    with sessions() as session:
        assert [e.type for e in audit.entries(session.connection(), "user", people["operator"].id)][-1] == \
            "password_changed"


def test_a_role_or_desk_change_and_sign_out_everywhere_end_the_accounts_sessions(app, browser, people, sessions,
                                                                                 as_role):
    from webui.admin import operations

    operator = as_role("operator")
    assert operator.get("/desks").status_code == 200
    admin = as_role("admin")
    page = admin.get(f"/admin/users/{people['operator'].id}")
    assert "Sign out everywhere" in page.text
    # Saving the account without changing its rights keeps its sessions.
    with sessions() as session:
        user = session.get(User, people["operator"].id)
        values = operations.AccountValues(email=user.email, display_name=user.display_name, roles=user.roles,
                                          desks=user.desk_ids, language=user.language, disabled=False)
    admin_actor = people["admin"].actor
    operations.change_user(sessions, admin_actor, people["operator"].id, values)
    assert operator.get("/desks").status_code == 200
    # Another desk: the sessions opened with the old desks end.
    operations.change_user(sessions, admin_actor, people["operator"].id,
                           operations.AccountValues(**{**values.__dict__, "desks": ["genova", "nice"]}))
    assert operator.get("/desks").status_code == 302
    # Signed in again, then signed out everywhere by the administrator.
    operator = as_role("operator")
    assert operator.get("/desks").status_code == 200
    response = admin.post(f"/admin/users/{people['operator'].id}/sign-out")
    assert response.status_code == 302
    assert operator.get("/desks").status_code == 302
    assert admin.get("/admin/users").status_code == 200  # the administrator's own session goes on
    with sessions() as session:
        entries = audit.entries(session.connection(), "user", people["operator"].id)
    assert (entries[-1].type, entries[-1].actor_id, entries[-1].data) == \
        ("sessions_ended", people["admin"].id, {"reason": "admin"})


def test_only_an_administrator_signs_an_account_out_everywhere(app, people, as_role):
    operator = as_role("operator")
    assert operator.post(f"/admin/users/{people['mentor'].id}/sign-out").status_code == 403
    admin = as_role("admin")
    assert admin.post("/admin/users/nobody/sign-out").status_code == 404


# --- throttling nobody can turn into a lockout ----------------------------------------------------------

def _from(app, address: str) -> Browser:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return Browser(client)


def test_failures_from_elsewhere_do_not_lock_the_owner_out_of_a_known_address(app, people):
    owner = people["operator"]
    assert _from(app, "192.0.2.10").login(owner).status_code == 302  # the owner's usual address, now known
    for address in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        attacker = _from(app, address)
        for _attempt in range(app.config["LOGIN_MAX_FAILURES"]):
            attacker.login(owner, password="guess")
    # The account is held back from unknown addresses, even with the right password...
    assert _from(app, "203.0.113.9").login(owner).status_code == 429
    # ...but its owner, from the address they signed in from before, gets in.
    assert _from(app, "192.0.2.10").login(owner).status_code == 302


def test_the_wait_grows_with_every_failure_past_the_free_ones(app, people, sessions):
    from webui.models import LoginThrottle

    owner = people["mentor"]
    attacker = _from(app, "198.51.100.7")
    free = app.config["LOGIN_MAX_FAILURES"]
    for _attempt in range(free - 1):
        assert attacker.login(owner, password="guess").status_code == 401
    assert attacker.login(owner, password="guess").status_code == 401  # the last free one starts a wait
    assert attacker.login(owner).status_code == 429  # even the right password waits
    waits = []
    with app.test_request_context():
        from webui.security import throttle_keys

        pair_key = throttle_keys(owner.email, "198.51.100.7")[0][0]
    for _round in range(3):
        with sessions.begin() as session:  # let the present waits pass, as time would
            row = session.get(LoginThrottle, pair_key)
            waits.append((row.locked_until - row.window_start).total_seconds())
            for each in session.scalars(select(LoginThrottle)):
                each.locked_until = each.window_start
        assert attacker.login(owner, password="guess").status_code == 401
    with sessions() as session:
        row = session.get(LoginThrottle, pair_key)
        waits.append((row.locked_until - row.window_start).total_seconds())
    first = app.config["LOGIN_FIRST_DELAY_SECONDS"]
    assert waits == [first, first * 2, first * 4, first * 8]
