"""Stateless app servers: two `opera serve` with instance folders of their own on one PostgreSQL database
share everything a person can notice — the session (one secret key), uploaded files, the pathways saved in the
browser, the login throttles — and two `opera notify` at once send each message once.

PostgreSQL only (the shared database of a deployment); about 30 seconds.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
import requests
from sqlalchemy import func, select

from engine.scenarios import sample_file
from tests.conftest import SHIPPED_PATHWAYS, database_kind
from tests.webui.conftest import PASSWORD, PEOPLE, open_case
from tests.webui.test_notifications import SmtpServer, free_port
from tests.webui.test_uploads import at_diagnosis  # noqa: F401 - a fixture
from webui.notifications.models import OutboxMessage

OPERA = Path(sys.executable).with_name("opera")
CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
SECRET = "two servers share this secret key, long enough"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(database_kind() != "postgresql",
                       reason="app servers share a PostgreSQL database: runs in the PostgreSQL suite "
                              "(OPERA_TEST_DATABASE_URL)"),
]


def environment(db_url: str, instance: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("OPERA_")}
    return {**env, "OPERA_DATABASE_URL": db_url, "OPERA_INSTANCE_PATH": str(instance), "OPERA_SECRET_KEY": SECRET,
            "OPERA_COOKIE_SECURE": "0", "OPERA_PATHWAYS_DIR": str(SHIPPED_PATHWAYS), **extra}


@contextmanager
def servers(db_url: str, tmp_path: Path, count: int = 2) -> Iterator[list[str]]:
    """`opera serve` `count` times, each with its own instance folder; yields their base URLs."""
    started = []
    try:
        for number in range(count):
            port = free_port()
            log = (tmp_path / f"server{number}.log").open("w+")
            process = subprocess.Popen(
                [str(OPERA), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
                env=environment(db_url, tmp_path / f"instance{number}"), stdout=subprocess.DEVNULL, stderr=log,
                start_new_session=True)
            started.append((process, log, f"http://127.0.0.1:{port}"))
        for process, log, url in started:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    pytest.fail(f"opera serve stopped: {log.read()[-3000:]}")
                try:
                    if requests.get(url + "/health", timeout=2).status_code == 200:
                        break
                except requests.ConnectionError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail("opera serve did not answer within 60 s")
                time.sleep(0.2)
        yield [url for _process, _log, url in started]
        for _process, log, _url in started:
            log.seek(0)
            assert "Traceback" not in (text := log.read()), text[-3000:]
    finally:
        for process, log, _url in started:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            log.close()


def token(browser: requests.Session, url: str) -> str:
    page = browser.get(url, timeout=30)
    assert page.status_code == 200, (url, page.status_code)
    return CSRF.search(page.text).group(1)


def log_in(browser: requests.Session, base: str, email: str, password: str = PASSWORD) -> requests.Response:
    return browser.post(base + "/login", data={"email": email, "password": password,
                                                "csrf_token": token(browser, base + "/login")},
                        allow_redirects=False, timeout=30)


def test_two_app_servers_share_files_pathways_sessions_and_throttles(app, db_url, tmp_path, at_diagnosis,  # noqa: F811
                                                                     sessions):
    case_id, version = at_diagnosis
    app.extensions["opera"].engine.dispose()
    with servers(db_url, tmp_path) as (one, other):
        # Logged in on one server, known to the other (the same secret key signs the session).
        operator = requests.Session()
        assert log_in(operator, one, PEOPLE["operator"].email).status_code == 302
        assert operator.get(f"{other}/cases/{case_id}", timeout=30).status_code == 200

        # A document uploaded through one server downloads through the other.
        content = sample_file("bilanci.pdf", 3 * 1024 * 1024 + 5)  # more than one chunk
        csrf = token(operator, f"{one}/cases/{case_id}")
        sent = operator.post(f"{one}/cases/{case_id}/documents", allow_redirects=False, timeout=60,
                             data={"version": version, "requirement": "financial_statements", "csrf_token": csrf},
                             files={"file": ("bilanci.pdf", content, "application/pdf")})
        assert sent.status_code == 302, sent.text[-2000:]
        page = operator.get(f"{other}/cases/{case_id}", timeout=30).text
        link = re.search(rf'href="(/cases/{case_id}/documents/\d+)"', page).group(1)
        download = operator.get(other + link, timeout=60)
        assert download.status_code == 200 and download.content == content
        part = operator.get(other + link, headers={"Range": "bytes=1048570-1048579"}, timeout=30)
        assert part.status_code == 206 and part.content == content[1048570:1048580]
        assert not (tmp_path / "instance0" / "files").exists()  # nothing in an instance folder

        # A pathway saved in the browser on one server is the active one on the other, without a restart.
        designer = requests.Session()
        assert log_in(designer, other, PEOPLE["designer"].email).status_code == 302
        before = designer.get(f"{other}/designer/edit/startup", timeout=30).text  # the other server has it loaded
        base = re.search(r'name="base" value="(\d+)"', before).group(1)
        text = (SHIPPED_PATHWAYS / "startup.yaml").read_text(encoding="utf-8")
        newer = re.sub(r"(?m)^version: .*$", "version: 99.1.0", text, count=1)
        assert log_in(designer, one, PEOPLE["designer"].email).status_code == 302
        saved = designer.post(f"{one}/designer/edit", allow_redirects=False, timeout=60, data={
            "text": newer, "file_name": "startup.yaml", "base": base, "action": "save",
            "csrf_token": token(designer, f"{one}/designer/edit/startup")})
        assert saved.status_code == 302, saved.text[-2000:]
        revision = re.search(r"/designer/revisions/(\d+)", saved.headers["Location"]).group(1)
        after = designer.get(f"{other}/designer/edit/startup", timeout=30).text
        assert re.search(r'name="base" value="(\d+)"', after).group(1) == revision != base
        assert "version: 99.1.0" in after

        # Failed logins counted on one server lock the account on the other.
        mentor = PEOPLE["mentor"].email
        for _attempt in range(app.config["LOGIN_MAX_FAILURES"]):
            assert log_in(requests.Session(), one, mentor, "wrong password").status_code == 401
        refused = log_in(requests.Session(), other, mentor)
        assert refused.status_code == 429 and "Too many failed attempts" in refused.text


def test_two_notify_runs_at_once_send_each_message_once(app, db_url, tmp_path, service, people, sessions):
    from tests.webui.test_portal import case_at

    for _ in range(3):
        case_at(service, "data_consent")
    open_case(service)
    app.extensions["opera"].engine.dispose()
    smtp = SmtpServer()
    smtp.start()
    try:
        env = {"OPERA_SMTP_HOST": "127.0.0.1", "OPERA_SMTP_PORT": str(smtp.port),
               "OPERA_SMTP_FROM": "OPERA <noreply@opera.test>", "OPERA_BASE_URL": "https://opera.test"}
        runs = [subprocess.Popen([str(OPERA), "notify"], env=environment(db_url, tmp_path / f"cron{n}", **env),
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for n in range(2)]
        outputs = [run.communicate(timeout=180)[0] for run in runs]
        assert [run.returncode for run in runs] == [0, 0], outputs
    finally:
        smtp.stop()
    with sessions() as session:
        sent = session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "sent"))
        waiting = session.scalar(select(func.count()).select_from(OutboxMessage)
                                 .where(OutboxMessage.status.in_(("pending", "sending"))))
    received = [(tuple(m.recipients), m["Subject"], m.get_payload()) for m in smtp.inbox.messages]
    assert sent >= 3 and waiting == 0, outputs
    assert len(received) == sent and len(set(received)) == len(received), outputs
