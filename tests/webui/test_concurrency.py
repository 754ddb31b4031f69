"""Acting on a stale page: a clear "this case changed meanwhile" with what changed, and nothing typed is lost."""
from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest
from sqlalchemy import insert, select

from engine.models import Case, Event, FormData
from tests.conftest import database_kind
from tests.engine.test_check import assert_no_problems
from tests.webui.conftest import WORKERS, open_case, version_of


def test_a_stale_form_shows_what_changed_and_keeps_what_was_typed(service, sessions, as_role, people, files):
    case_id, _v = open_case(service)
    first, second = as_role("operator"), as_role("admin")
    stale = version_of(first.get(f"/cases/{case_id}").text)
    # Meanwhile, someone else ticks an item.
    fresh = version_of(second.get(f"/cases/{case_id}").text)
    assert second.post(f"/cases/{case_id}/checklist", data={"version": fresh, "item": "interview_held"}).status_code == 302
    response = first.post(f"/cases/{case_id}/form", data={
        "version": stale, "field-interview_date": "2026-04-01", "field-employment_status": "laid_off",
        "field-notes": "Long notes typed by the first operator"})
    assert response.status_code == 409
    html = response.text
    assert "This case changed meanwhile" in html
    assert "Ada Admin" in html and "Interview held" in html  # what changed, in words
    assert "Long notes typed by the first operator" in html and 'value="2026-04-01"' in html
    assert version_of(html) == stale + 1  # the page now carries the current version
    with sessions() as session:
        assert session.scalar(select(FormData).where(FormData.case_id == case_id)) is None
        assert session.get(Case, case_id).version == stale + 1
    # Sending it again, from the refreshed page, works.
    response = first.post(f"/cases/{case_id}/form", data={
        "version": version_of(html), "field-interview_date": "2026-04-01", "field-employment_status": "laid_off",
        "field-notes": "Long notes typed by the first operator"})
    assert response.status_code == 302
    assert_no_problems(sessions, files)


def test_a_stale_reason_is_kept_in_its_form(service, sessions, as_role, files):
    case_id, v = open_case(service)
    first, second = as_role("operator"), as_role("admin")
    second.post(f"/cases/{case_id}/notes", data={"version": v, "body": "a note changes no version"})
    second.post(f"/cases/{case_id}/hold", data={"version": v, "reason": "Waiting for documents"})
    response = first.post(f"/cases/{case_id}/withdraw", data={"version": v, "reason": "Moved to Milan",
                                                              "confirmed": "1"})
    assert response.status_code == 409
    assert "This case changed meanwhile" in response.text and "Waiting for documents" in response.text
    assert "Moved to Milan</textarea>" in response.text
    with sessions() as session:
        assert session.get(Case, case_id).status == "on_hold"
        assert [e.type for e in session.scalars(select(Event).where(Event.case_id == case_id))] == [
            "case_opened", "put_on_hold"]
    assert_no_problems(sessions, files)


def test_two_operators_advancing_the_same_case_one_wins_the_other_is_told(service, sessions, as_role, people, files):
    case_id, v = open_case(service)
    operator = people["operator"].actor
    v = service.tick(case_id, operator, v, "interview_held").version
    v = service.tick(case_id, operator, v, "service_explained").version
    v = service.submit_form(case_id, operator, v, {"interview_date": "2026-01-10", "employment_status": "at_risk"}).version
    first, second = as_role("operator"), as_role("admin")
    assert first.post(f"/cases/{case_id}/advance", data={"version": v, "exit": "interview_done"}).status_code == 302
    response = second.post(f"/cases/{case_id}/advance", data={"version": v, "exit": "interview_done"})
    assert response.status_code == 409 and "Giulia Parodi" in response.text
    with sessions() as session:
        assert session.get(Case, case_id).stage_id == "data_consent"
    assert_no_problems(sessions, files)


def test_many_staff_views_at_once_are_all_served_and_all_logged(app, service, sessions, as_role, files):
    """Every case page view is in the staff-view log; views arriving together never fail, and are written
    together after the pages."""
    import threading

    from webui.portal.access_log import staff_views
    from webui.portal.models import StaffAccessLog

    case_ids = [open_case(service)[0] for _i in range(4)]
    clients = [as_role("operator") for _ in range(6)]
    statuses: list[int] = []

    def browse(client) -> None:  # noqa: ANN001
        for i in range(12):
            response = client.get(f"/cases/{case_ids[i % len(case_ids)]}")
            statuses.append(response.status_code)
            response.close()

    threads = [threading.Thread(target=browse, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 72
    staff_views(app).write_pending()
    with sessions() as session:
        logged = session.scalars(select(StaffAccessLog.case_id)).all()
    workers = len(WORKERS)
    assert sorted(logged) == sorted(case_ids[i % 4] for i in range(12) for _c in range(6) for _w in range(workers))
    assert_no_problems(sessions, files)


class Served:
    """The app served by a real threaded server (responses closed as in production), a logged-in client."""

    def __init__(self, app, person):  # noqa: ANN001
        import threading

        from werkzeug.serving import make_server

        from tests.webui.conftest import PASSWORD, csrf_from

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.cookies: dict[str, str] = {}
        token = csrf_from(self.ask("GET", "/login")[1])
        assert self.ask("POST", "/login", urlencode({"email": person.email, "password": PASSWORD,
                                                      "csrf_token": token}))[0] == 302

    def ask(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        import http.client

        connection = http.client.HTTPConnection("127.0.0.1", self.server.server_port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        connection.close()
        return response.status, text

    def timed_get(self, path: str) -> tuple[int, str, float]:
        import time

        started = time.monotonic()
        status, text = self.ask("GET", path)
        return status, text, time.monotonic() - started

    def close(self) -> None:
        self.server.shutdown()


def wait_until(condition, seconds: float = 20) -> bool:  # noqa: ANN001
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.mark.skipif(database_kind() != "sqlite", reason="SQLite's one write lock (PostgreSQL inserts wait for nobody)")
def test_a_case_page_view_does_not_wait_for_a_writer_and_is_logged_once_it_is_done(app, service, sessions,
                                                                                db_engine, people):
    """The page never takes the write lock: served at once while another writer holds it; the staff-view log
    is written afterwards, by the log's own writer, once the lock is free."""
    from engine.db import writing
    from engine.models import Desk
    from webui.portal.models import StaffAccessLog

    case_id, _v = open_case(service)
    served = Served(app, people["operator"])
    try:
        with writing(db_engine).connect() as other:
            held = other.begin()  # another writer (an import, say) holds the lock for a while
            other.execute(insert(Desk.__table__).values(id="held", name="Held", country="IT", region=""))
            status, _page, waited = served.timed_get(f"/cases/{case_id}")
            assert status == 200 and waited < 5, waited  # served without waiting for the 30 s lock timeout
            time.sleep(1.5)  # the log's writer is due (STAFF_VIEW_LOG_SECONDS), and waits for the lock
            status, _page, waited = served.timed_get(f"/cases/{case_id}")
            assert status == 200 and waited < 5, waited  # pages still served while the log's writer waits
            with sessions() as session:
                assert session.scalars(select(StaffAccessLog)).all() == []  # not yet: the lock is held
            held.commit()
        logged: list = []

        def all_logged() -> bool:
            nonlocal logged
            with sessions() as session:
                logged = session.scalars(select(StaffAccessLog.person_id).where(
                    StaffAccessLog.case_id == case_id)).all()
            return len(logged) >= 2 * len(WORKERS)

        wait_until(all_logged)
        assert sorted(logged) == sorted(w.person_id for w in WORKERS for _view in range(2))
    finally:
        served.close()


@pytest.mark.skipif(database_kind() != "sqlite", reason="SQLite's one write lock (PostgreSQL inserts wait for nobody)")
def test_the_monitoring_pages_do_not_wait_for_a_writer_and_fold_the_new_events_once_sent(app, service, db_engine,
                                                                                         people):
    """While another writer holds the lock, the dashboard and its case lists are served at once with the figures
    folded so far, saying they are being brought up to date; the fold happens after the page, once the lock
    is free. A case page served meanwhile is not held up either."""
    from engine import monitoring
    from engine.db import writing
    from engine.models import Desk

    monitoring.refresh(db_engine)
    case_id, _v = open_case(service)  # new events, not folded yet
    assert monitoring.behind(db_engine)
    served = Served(app, people["operator"])
    try:
        with writing(db_engine).connect() as other:
            held = other.begin()
            other.execute(insert(Desk.__table__).values(id="held", name="Held", country="IT", region=""))
            for path in ("/monitoring/", "/monitoring/cases?figure=supply_chain&key=shipbuilding", f"/cases/{case_id}"):
                status, page, waited = served.timed_get(path)
                assert status == 200 and waited < 5, (path, waited)
                if path.startswith("/monitoring/"):
                    assert 'data-figures="incomplete"' in page, path
            assert monitoring.behind(db_engine)
            held.commit()
        assert wait_until(lambda: not monitoring.behind(db_engine))  # folded after the pages were sent
        status, page, _waited = served.timed_get("/monitoring/")
        assert status == 200 and 'data-figures="incomplete"' not in page
    finally:
        served.close()


def test_a_page_folds_a_small_backlog_itself_and_leaves_a_large_one_for_after_it_is_sent(app, service, db_engine,
                                                                                        people, monkeypatch):
    from engine import monitoring
    from webui.monitoring import views

    monitoring.refresh(db_engine)
    open_case(service)
    served = Served(app, people["operator"])
    try:
        status, page, _waited = served.timed_get("/monitoring/")  # a few events: folded for this very page
        assert status == 200 and 'data-figures="incomplete"' not in page and not monitoring.behind(db_engine)
        monkeypatch.setattr(views, "PAGE_FOLD", 1)
        open_case(service)
        open_case(service)  # two events at least: more than a page folds
        status, page, _waited = served.timed_get("/monitoring/")
        assert status == 200 and 'data-figures="incomplete"' in page
        assert wait_until(lambda: not monitoring.behind(db_engine))
    finally:
        served.close()
