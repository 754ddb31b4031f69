"""Acting on a stale page: a clear "this case changed meanwhile" with what changed, and nothing typed is lost."""
from __future__ import annotations

from sqlalchemy import select

from engine.models import Case, Event, FormData
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
    response = first.post(f"/cases/{case_id}/withdraw", data={"version": v, "reason": "Moved to Milan"})
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


def test_many_staff_views_at_once_are_all_served_and_all_logged(service, sessions, as_role, files):
    """Every case page view writes the staff-view log; views arriving together wait their turn to write
    (SQLite allows one writer) instead of failing."""
    import threading

    from webui.portal.models import StaffAccessLog

    case_ids = [open_case(service)[0] for _i in range(4)]
    clients = [as_role("operator") for _ in range(6)]
    statuses: list[int] = []

    def browse(client) -> None:  # noqa: ANN001
        for i in range(12):
            statuses.append(client.get(f"/cases/{case_ids[i % len(case_ids)]}").status_code)

    threads = [threading.Thread(target=browse, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 72
    with sessions() as session:
        logged = session.scalars(select(StaffAccessLog.case_id)).all()
    workers = len(WORKERS)
    assert sorted(logged) == sorted(case_ids[i % 4] for i in range(12) for _c in range(6) for _w in range(workers))
    assert_no_problems(sessions, files)
