"""Under load: the app served as in production (`opera serve`: gunicorn, several processes with threads) on
the test database (a SQLite file, or PostgreSQL), 50 clients logging in, opening case pages and writing
case notes together for 30 seconds. Not one answer may be a server error, and every note the app said it
saved must be stored.

Only localhost; bounded: about 40 seconds in all.
"""
from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from engine.models import Desk
from tests.conftest import SHIPPED_PATHWAYS
from tests.webui.conftest import PASSWORD, TEST_PASSWORD_METHOD, WORKERS, open_case
from webui.models import CaseNote, DeskMembership, User

CLIENTS = 50
LOAD_SECONDS = 30
ACCOUNTS = CLIENTS  # one person per browser: a logout ends every session of its account
CASES = 5
NOTES_PER_LOGIN = 8
SERVER_WORKERS = 4
OPERA = Path(sys.executable).with_name("opera")
CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Tally:
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)  # 5xx and broken connections, with what was asked
    notes_saved: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, method: str, path: str, status: int) -> None:
        with self.lock:
            self.statuses[status] += 1
            if status >= 500:
                self.failures.append(f"{status} {method} {path}")


class Client:
    """One person's browser: its own connection (kept alive), its own session cookie, no redirects followed."""

    def __init__(self, port: int, tally: Tally):
        self.port = port
        self.tally = tally
        self.cookies: dict[str, str] = {}
        self.location = ""
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as exc:
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            with self.tally.lock:
                self.tally.failures.append(f"{type(exc).__name__} {method} {path}: {exc}")
            return 0, ""
        self.location = response.headers.get("Location", "")
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        self.tally.count(method, path, response.status)
        return response.status, text

    def token(self, path: str) -> str | None:
        status, html = self.request("GET", path)
        found = CSRF.search(html) if status == 200 else None
        return found.group(1) if found else None


def _work(number: int, port: int, case_ids: list[int], deadline: float, tally: Tally) -> None:
    client = Client(port, tally)
    email = f"op{number % ACCOUNTS}@load.example"
    case_path = f"/cases/{case_ids[number % len(case_ids)]}"
    written = 0
    while time.monotonic() < deadline:
        token = client.token("/login")
        if token is None:
            continue
        status, _ = client.request("POST", "/login", {"email": email, "password": PASSWORD, "csrf_token": token})
        if status != 302:
            continue
        token = client.token(case_path)  # a page view: the staff-view log writes too
        for _ in range(NOTES_PER_LOGIN):
            if token is None or time.monotonic() >= deadline:
                break
            body = f"load note {number}-{written}"
            written += 1
            status, _ = client.request("POST", case_path + "/notes", {"body": body, "csrf_token": token})
            if status == 302 and case_path in client.location:  # back to the case, not to the login page
                with tally.lock:
                    tally.notes_saved.append(body)
        client.request("POST", "/logout", {"csrf_token": token or ""})
    client.connection.close()


@pytest.fixture
def served(app, db_url, sessions, service, tmp_path):  # noqa: ANN001, ANN201
    """`opera serve` on the test database, with accounts and cases to work on; yields its port."""
    password_hash = generate_password_hash(PASSWORD, method=TEST_PASSWORD_METHOD)
    with sessions.begin() as session:
        session.add(Desk(id="genova", name="Sportello Genova", country="IT", region="Liguria"))
        session.flush()
        for i in range(ACCOUNTS):
            user = User(id=f"op{i}", email=f"op{i}@load.example", display_name=f"Operator {i}",
                        password_hash=password_hash, roles=["operator"], language="en", disabled=False,
                        failed_logins=0)
            user.desk_links = [DeskMembership(desk_id="genova")]
            session.add(user)
        for member in WORKERS:
            session.add(User(id=member.person_id, email=None, display_name=member.display_name,
                             roles=["worker"], disabled=False, failed_logins=0))
    case_ids = [open_case(service, mentor=None)[0] for _ in range(CASES)]
    app.extensions["opera"].engine.dispose()
    port = _free_port()
    env = {**os.environ, "OPERA_DATABASE_URL": db_url, "OPERA_INSTANCE_PATH": str(tmp_path / "served"),
           "OPERA_SECRET_KEY": "load test secret key, long enough to sign", "OPERA_COOKIE_SECURE": "0",
           "OPERA_PATHWAYS_DIR": str(SHIPPED_PATHWAYS)}
    log = (tmp_path / "server.log").open("w+")
    server = subprocess.Popen([str(OPERA), "serve", "--host", "127.0.0.1", "--port", str(port),
                               "--workers", str(SERVER_WORKERS)],
                              env=env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    try:
        started = time.monotonic()
        while time.monotonic() - started < 60:
            if server.poll() is not None:
                log.seek(0)
                pytest.fail(f"opera serve stopped: {log.read()[-3000:]}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/health")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("opera serve did not answer within 60 s")
        yield port, case_ids, log
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def test_fifty_clients_logging_in_and_writing_notes_get_no_server_error(served, sessions):
    port, case_ids, log = served
    tally = Tally()
    deadline = time.monotonic() + LOAD_SECONDS
    clients = [threading.Thread(target=_work, args=(n, port, case_ids, deadline, tally), name=f"client-{n}")
               for n in range(CLIENTS)]
    for client in clients:
        client.start()
    for client in clients:
        client.join(timeout=LOAD_SECONDS + 70)
    assert not any(c.is_alive() for c in clients), "clients still waiting for answers"
    log.seek(0)
    server_log = log.read()
    summary = f"answers by status: {dict(tally.statuses)}; notes saved: {len(tally.notes_saved)}"
    print(summary)
    assert not tally.failures, f"{len(tally.failures)} failures ({summary}): " \
                               f"{Counter(tally.failures).most_common(5)}\n{server_log[-3000:]}"
    assert "Traceback" not in server_log, server_log[-3000:]
    assert len(tally.notes_saved) >= CLIENTS, summary  # every client got to write
    with sessions() as session:
        stored = session.scalars(select(CaseNote.body).where(CaseNote.body.like("load note %"))).all()
    assert sorted(stored) == sorted(tally.notes_saved)
