"""The desk list scans well: sortable column headers, the main filters on one line and the others folded,
sort choices that say which way they go, saved filters per user, and bulk actions (assign a mentor, send a
reminder) confirmed first, done through the engine's operations and refused whole when a case is not the
user's to act on."""
from __future__ import annotations

import html
import re
from datetime import timedelta

from sqlalchemy import select, update

from engine import audit
from engine.models import Case, Event, utcnow
from tests.webui.conftest import open_case
from tests.webui.test_desk_page import case_numbers
from webui.models import SavedFilter
from webui.notifications.models import OutboxMessage


def header_link(page: str, label: str) -> tuple[str, str]:
    """(aria-sort, href) of a sortable column header."""
    found = re.search(rf'<th scope="col" aria-sort="(\w+)"><a href="([^"]+)">{label}<', page)
    assert found, f"no sortable header {label}"
    return found.group(1), html.unescape(found.group(2))


def test_column_headers_sort_and_the_sort_menu_says_which_way(service, sessions, as_role):
    first, second, third = (open_case(service)[0] for _ in range(3))
    now = utcnow()
    with sessions.begin() as session:  # due dates in the order 2, 3, 1
        for case_id, days in ((second, 1), (third, 2), (first, 3)):
            session.execute(update(Case).where(Case.id == case_id).values(due_at=now + timedelta(days=days)))
    operator = as_role("operator")
    page = operator.get("/desks/genova").text
    assert case_numbers(page) == [second, third, first]  # due date, soonest first by default
    assert header_link(page, "Due")[0] == "ascending" and header_link(page, "Case")[0] == "none"
    page = operator.get(header_link(page, "Due")[1]).text  # the same header again: the other way
    assert case_numbers(page) == [first, third, second] and header_link(page, "Due")[0] == "descending"
    page = operator.get(header_link(page, "Case")[1]).text  # a number header starts with the highest
    assert case_numbers(page) == [third, second, first] and header_link(page, "Case")[0] == "descending"
    # The menu's choices name their direction; choosing one sorts that way and shows it chosen.
    page = operator.get("/desks/genova?sort=id:asc").text
    assert case_numbers(page) == [first, second, third]
    assert '<option selected value="id:asc">Number, lowest first</option>' in page
    assert "Due date, soonest first" in page and "Newest cases first" in page and "Ascending" not in page


def test_the_main_filters_are_on_one_line_and_the_others_folded(service, as_role):
    open_case(service)
    operator = as_role("operator")
    page = operator.get("/desks/genova").text
    line = page[page.index('class="filter-line"'):page.index('class="more-filters"')]
    assert 'name="q"' in line and 'name="status"' in line and 'name="sort"' in line and 'name="pathway"' not in line
    assert '<details class="more-filters">' in page  # folded while unused
    assert '<details class="more-filters" open>' in operator.get("/desks/genova?pathway=wbo").text


def test_saved_filters_belong_to_their_user_and_never_keep_a_name(service, sessions, as_role):
    wbo = open_case(service)[0]
    startup = open_case(service, pathway="startup")[0]
    operator = as_role("operator")
    page = operator.get("/desks/genova?pathway=startup&status=all&q=anna&sort=opened:desc").text
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">',
                             page[page.index('action="/desks/genova/filters"'):]))
    assert "q" not in hidden and hidden["pathway"] == "startup"
    response = operator.post("/desks/genova/filters", data={**{k: v for k, v in hidden.items() if k != "csrf_token"},
                                                           "name": "  Start-ups   all "})
    assert response.status_code == 302
    with sessions() as session:
        saved = session.scalars(select(SavedFilter)).one()
        assert saved.user_id == "op.genova" and saved.name == "Start-ups all"
        assert saved.query == {"pathway": "startup", "status": "all", "sort": "opened", "order": "desc"}
        assert [e.type for e in audit.entries(session.connection(), "user", "op.genova")][-1] == "filter_saved"
    page = operator.get("/desks/genova").text
    link = re.search(r'<a href="([^"]+)">Start-ups all</a>', page)
    assert link and case_numbers(operator.get(html.unescape(link.group(1))).text) == [startup]
    assert wbo in case_numbers(page)
    # Another operator neither sees nor deletes it.
    other = as_role("admin")
    assert "Start-ups all" not in other.get("/desks/genova").text
    assert other.post(f"/desks/genova/filters/{saved.id}/delete").status_code == 404
    assert operator.post("/desks/genova/filters", data={"name": "   "}).status_code == 302
    assert "Give the saved filters a name." in operator.get("/desks/genova").text
    assert operator.post(f"/desks/genova/filters/{saved.id}/delete").status_code == 302
    with sessions() as session:
        assert session.scalars(select(SavedFilter)).all() == []


def test_bulk_assign_a_mentor_asks_for_confirmation_then_uses_the_engine(service, sessions, as_role):
    first, second = open_case(service, mentor=None)[0], open_case(service, mentor=None)[0]
    untouched = open_case(service, mentor=None)[0]
    operator = as_role("operator")
    form = {"action": "mentor", "mentor": "men.dubois", "case": [str(first), str(second)],
            "back": "/desks/genova?status=all"}
    confirm = operator.post("/desks/genova/bulk", data=form)
    assert confirm.status_code == 200
    assert "Antoine Dubois becomes a mentor of these 2 cases:" in html.unescape(confirm.text)
    assert f"#{first}" in confirm.text and f"#{untouched}" not in confirm.text
    with sessions() as session:  # nothing done before the confirmation
        assert session.scalars(select(Event).where(Event.type == "members_changed")).all() == []
    done = operator.post("/desks/genova/bulk", data={**form, "confirmed": "1"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/desks/genova?status=all")
    with sessions() as session:
        changed = session.scalars(select(Event).where(Event.type == "members_changed")).all()
        assert sorted(e.case_id for e in changed) == [first, second]
        assert all(e.data["added_mentor"] == "men.dubois" and e.actor_id == "op.genova" for e in changed)
    assert "2 cases have a new mentor." in operator.get("/desks/genova").text
    assert "Antoine Dubois" in operator.get(f"/cases/{first}").text


def test_a_case_of_another_desk_in_the_selection_refuses_the_whole_action(service, sessions, as_role):
    ours = open_case(service, mentor=None)[0]
    theirs = open_case(service, desk="nice", mentor=None)[0]
    operator = as_role("operator")
    for confirmed in ("", "1"):
        for action in ("mentor", "remind"):
            response = operator.post("/desks/genova/bulk", data={
                "action": action, "mentor": "men.rossi", "case": [str(ours), str(theirs)], "confirmed": confirmed})
            assert response.status_code == 403
            assert "nothing was done" in html.unescape(response.text) and f"#{theirs}" in response.text
    # Asking through Nice's list does not help an operator of Genova either.
    assert operator.post("/desks/nice/bulk", data={"action": "remind", "case": [str(theirs)],
                                                   "confirmed": "1"}).status_code == 404
    with sessions() as session:
        assert session.scalars(select(Event).where(Event.type == "members_changed")).all() == []
        assert session.scalars(select(OutboxMessage)).all() == []


def test_bulk_reminders_reach_the_workers_once_a_day_with_an_audit_entry(service, sessions, as_role, people):
    first, v = open_case(service)
    closed, w = open_case(service)
    service.withdraw(closed, people["operator"].actor, w, "moved away")
    operator = as_role("operator")
    form = {"action": "remind", "case": [str(first), str(closed)], "confirmed": "1"}
    assert operator.post("/desks/genova/bulk", data=form).status_code == 302
    page = html.unescape(operator.get("/desks/genova").text)
    assert "A reminder is sent to the workers of 1 case." in page
    assert f"Case #{closed}: The case is not active" in page
    with sessions() as session:
        messages = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "desk_reminder")).all()
        assert sorted(m.recipient_id for m in messages) == ["w.anna", "w.luca", "w.sara"]
        assert all(m.case_id == first and "First interview" in m.subject for m in messages)
        entries = audit.entries(session.connection(), "case", first)
        assert [e.type for e in entries] == ["reminder_sent"] and entries[0].data["messages"] == 3
    operator.post("/desks/genova/bulk", data=form)  # the same day again: no second message
    with sessions() as session:
        assert len(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "desk_reminder")).all()) == 3
    assert operator.post("/desks/genova/bulk", data={"action": "remind"}).status_code == 302
    assert "Select at least one case in the list first." in operator.get("/desks/genova").text
