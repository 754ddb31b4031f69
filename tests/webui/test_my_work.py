"""My work: the staff's landing page lists what waits for them — scoped by the access policy, never another
desk's case — and counts it in the navigation."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from databank.models import ContactRequest
from engine.db import writing
from engine.models import Case, utcnow
from tests.webui.conftest import PEOPLE, open_case
from tests.webui.test_case_page import complete_first_interview, walk_to
from webui.models import WorkSeen
from webui.notifications.models import OutboxMessage

SECRET = "Cantiere di Nizza"


def _due(sessions, case_id: int, days: float) -> None:  # noqa: ANN001
    """The case's stage due `days` from now (the clock moved on): a date, not a change of the case."""
    with writing(sessions).begin() as session:
        session.execute(update(Case).where(Case.id == case_id).values(due_at=utcnow() + timedelta(days=days)))


def _section(page: str, section_id: str) -> str:
    start = page.index(f'id="{section_id}"')
    end = page.find("<section", start + 1)
    return page[start:end if end > 0 else len(page)]


def test_staff_land_on_my_work_after_login(as_role, browser):
    for role in ("operator", "mentor", "admin"):
        assert as_role(role).get("/").headers["Location"] == "/my-work"
    response = browser.login(PEOPLE["operator"])
    assert response.headers["Location"] == "/"
    page = browser.get("/my-work")
    assert page.status_code == 200 and "<h1>My work</h1>" in page.text
    assert as_role("worker").get("/my-work").status_code == 403
    assert as_role("designer").get("/my-work").status_code == 403


def test_an_operator_sees_the_overdue_and_due_cases_of_their_desks_only(service, sessions, as_role):
    late, _v = open_case(service, title="Late case")
    soon, _v = open_case(service, title="Due on Friday")
    later, _v = open_case(service, title="Due next month")
    foreign, _v = open_case(service, desk="nice", title=SECRET, mentor="other_mentor")
    _due(sessions, late, -3)
    _due(sessions, soon, 2)
    _due(sessions, later, 30)
    _due(sessions, foreign, -5)
    page = as_role("operator").get("/my-work").text
    due = _section(page, "due")
    assert "Late case" in due and "Due on Friday" in due and "Due next month" not in due
    assert due.index("Late case") < due.index("Due on Friday") and "(overdue)" in due
    assert SECRET not in page
    assert "My work (1)" in page  # the overdue case, counted in the navigation
    other = as_role("other_operator").get("/my-work").text
    assert SECRET in _section(other, "due") and "Late case" not in other
    admin = as_role("admin").get("/my-work").text
    assert SECRET in admin and "Late case" in admin


def test_sign_offs_waiting_for_me_and_those_asked_of_others(service, sessions, as_role):
    case_id, _v = walk_to(service, "feasibility_study")
    foreign, _v = walk_to(service, "feasibility_study", desk="nice")
    with writing(sessions).begin() as session:
        session.execute(update(Case).where(Case.id == foreign).values(title=SECRET))
    mentor = as_role("mentor").get("/my-work").text
    mine = _section(mentor, "signoffs")
    assert f'href="/cases/{case_id}#req-feasibility_signoff"' in mine
    assert f'href="/cases/{foreign}#req-feasibility_signoff"' in mine  # assigned to both: a mentor has no desk
    other_mentor = as_role("other_mentor").get("/my-work").text
    assert "No sign-off is waiting for you." in other_mentor and SECRET not in other_mentor
    assert f"/cases/{case_id}" not in other_mentor
    operator = as_role("operator").get("/my-work").text
    section = _section(operator, "signoffs")
    assert "No sign-off is waiting for you." in section  # an operator does not sign the mentor's
    assert "Sign-offs and decisions asked of others, still open" in section
    assert f'href="/cases/{case_id}#req-feasibility_signoff"' in section and "Waiting for: a mentor" in section
    assert SECRET not in operator
    # The mentor's own page lists the same sign-off (one list, two pages).
    assert f'href="/cases/{case_id}#req-feasibility_signoff"' in as_role("mentor").get("/mentor").text


def test_what_workers_sent_since_i_last_looked(service, sessions, as_role):
    case_id, v = open_case(service, title="Anna's case")
    v = complete_first_interview(service, case_id, v)
    foreign, fv = open_case(service, desk="nice", title=SECRET, mentor="other_mentor")
    worker = PEOPLE["worker"].actor
    v = service.tick(case_id, worker, v, "consent_personal_data", member="w.anna").version
    operator = as_role("operator")
    page = operator.get("/my-work").text
    arrivals = _section(page, "arrivals")
    assert "Anna Rossi" in arrivals and f'href="/cases/{case_id}#timeline"' in arrivals
    assert "Giulia Parodi" not in arrivals  # the staff's own steps are not news
    assert SECRET not in page
    assert "My work (1)" in page
    assert operator.post("/my-work/seen").status_code == 302
    page = operator.get("/my-work").text
    assert "Nothing new from workers or parties." in _section(page, "arrivals") and "My work (" not in page


def test_a_decision_given_by_someone_else_is_news_for_the_operator(service, sessions, as_role):
    case_id, v = walk_to(service, "feasibility_study")
    operator = as_role("operator")
    assert operator.post("/my-work/seen").status_code == 302
    service.sign_off(case_id, PEOPLE["mentor"].actor, v, "feasibility_signoff", comment="Sound plan")
    arrivals = _section(operator.get("/my-work").text, "arrivals")
    assert "Elena Rossi" in arrivals and f"/cases/{case_id}#timeline" in arrivals


def test_enquiries_of_my_desks_and_unread_messages(service, sessions, as_role):
    with writing(sessions).begin() as session:
        session.add_all([
            ContactRequest(desk_id="genova", region="", name="Marco Investor", email="marco@example.com",
                           organisation="Capital Srl", message="Is the shed still free?", language="it",
                           created_at=utcnow()),
            ContactRequest(desk_id="nice", region="", name="Secret Investor", email="s@example.com",
                           organisation="", message="Bonjour", language="fr", created_at=utcnow()),
            ContactRequest(desk_id="genova", region="", name="Handled Already", email="h@example.com",
                           organisation="", message="Old", language="it", created_at=utcnow(),
                           handled_at=utcnow()),
            OutboxMessage(key="t:1", recipient_id="op.genova", email=None, kind="signoff_given", case_id=None,
                          subject="A sign-off was given", body="…", status="in_app"),
            OutboxMessage(key="t:2", recipient_id="op.nice", email=None, kind="signoff_given", case_id=None,
                          subject="Another desk's message", body="…", status="in_app"),
        ])
    page = as_role("operator").get("/my-work").text
    enquiries = _section(page, "enquiries")
    assert "Marco Investor" in enquiries and "Is the shed still free?" in enquiries
    assert "Secret Investor" not in page and "Handled Already" not in page
    assert "A sign-off was given" in _section(page, "messages") and "Another desk's message" not in page
    assert "My work (2)" in page
    mentor = as_role("mentor").get("/my-work").text
    assert 'id="enquiries"' not in mentor and "Marco Investor" not in mentor


def test_my_work_in_italian_and_french(as_role):
    operator = as_role("operator")
    operator.post("/language", data={"language": "it"})
    assert "Il mio lavoro" in operator.get("/my-work").text
    operator.post("/language", data={"language": "fr"})
    assert "Mon travail" in operator.get("/my-work").text


def test_what_workers_sent_counts_on_every_desk_for_an_administrator_and_only_lately(service, sessions, as_role):
    case_id, v = open_case(service, title="Anna's case")
    v = complete_first_interview(service, case_id, v)
    foreign, _fv = open_case(service, desk="nice", title=SECRET, mentor="other_mentor")
    v = service.tick(case_id, PEOPLE["worker"].actor, v, "consent_personal_data", member="w.anna").version
    admin = as_role("admin")
    assert admin.post("/my-work/seen").status_code == 302
    with writing(sessions).begin() as session:  # seen a while ago: the worker's step came after
        session.execute(update(WorkSeen).where(WorkSeen.user_id == PEOPLE["admin"].actor.id)
                        .values(seen_at=utcnow() - timedelta(hours=1)))
    page = admin.get("/my-work").text
    assert f'href="/cases/{case_id}#timeline"' in _section(page, "arrivals")
    assert "My work (1)" in page
    with writing(sessions).begin() as session:  # seen after it: nothing new
        session.execute(update(WorkSeen).where(WorkSeen.user_id == PEOPLE["admin"].actor.id)
                        .values(seen_at=utcnow()))
    assert "My work (" not in admin.get("/my-work").text


def test_a_recent_window_is_a_plain_condition_and_a_hint_to_sqlites_planner():
    from sqlalchemy.dialects import postgresql, sqlite

    from engine.models import Event
    from engine.queries import selective

    query = select(Event.id).where(selective(Event.at > utcnow()))
    assert "likelihood(events.at > ?, 0.000001)" in str(query.compile(dialect=sqlite.dialect()))
    on_postgresql = str(query.compile(dialect=postgresql.dialect()))
    assert "WHERE events.at > %(at_1)s" in on_postgresql and "likelihood" not in on_postgresql


def test_the_news_of_my_cases_is_read_from_the_index_of_news_alone(db_engine):  # noqa: ANN001
    """The count in every page's navigation finds the recent news through the partial index of news events
    (`ix_events_news`): the query's condition is the index's own, which the database has to see in a query
    to read that index (on a near-empty table, forbidding the other plans shows that it can)."""
    from datetime import datetime, timezone

    from engine.models import Event
    from engine.queries import news_event, selective

    recent_news = select(Event.id).where(selective(Event.at > datetime(2026, 12, 1, tzinfo=timezone.utc)),
                                         news_event())
    sql = str(recent_news.compile(db_engine, compile_kwargs={"literal_binds": True}))
    with db_engine.connect() as connection:
        if db_engine.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + sql))
        else:
            plan = "\n".join(row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
    assert "ix_events_news" in plan, plan


def test_an_operators_news_count_is_read_by_desk_from_the_index_alone(db_engine):  # noqa: ANN001
    """An operator's count (the navigation's, on every page) reads the news of its desks, and who acted, from
    the partial index of news by desk (`ix_events_desk_news`), not every case of the desks."""
    from sqlalchemy import func

    from engine import Actor
    from webui.mywork.lists import _arrivals_query

    operator = Actor.of("op", ["operator"], ["genova", "nice"])
    since = utcnow() - timedelta(days=7)
    query = select(func.count()).select_from(_arrivals_query(operator, since).subquery())
    sql = str(query.compile(db_engine, compile_kwargs={"literal_binds": True}))
    with db_engine.connect() as connection:
        if db_engine.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            connection.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
            plan = "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + sql))
            assert "Index Only Scan using ix_events_desk_news" in plan, plan
        else:
            plan = "\n".join(row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
            assert "INDEX ix_events_desk_news (desk_id=? AND at>?)" in plan, plan  # then the few rows found


def test_whose_cases_are_whole_desks(service, sessions, as_role):  # noqa: ANN001
    """The desks read for an operator's news are exactly the cases the access policy lets it see; anyone
    whose cases are not whole desks (an administrator, a mentor, both roles) is answered the other way."""
    from engine import Actor, policy

    open_case(service, title="Genova")
    open_case(service, desk="nice", title=SECRET, mentor="other_mentor")
    actors = [Actor.of("op", ["operator"], ["genova"]), Actor.of("op2", ["operator"], ["genova", "nice"]),
              Actor.of("adm", ["admin"]), Actor.of("men1", ["mentor"]), Actor.of("other_mentor", ["mentor"]),
              Actor.of("both", ["operator", "mentor"], ["nice"]), Actor.of("w", ["worker"])]
    with sessions() as session:
        for actor in actors:
            desks = policy.visible_cases_desks(actor)
            if desks is None:
                continue
            visible = set(session.scalars(select(Case.id).where(policy.visible_cases_clause(actor))))
            assert visible == set(session.scalars(select(Case.id).where(Case.desk_id.in_(desks)))), actor
    assert [policy.visible_cases_desks(a) for a in actors] == [
        frozenset({"genova"}), frozenset({"genova", "nice"}), None, None, None, None, None]


def test_news_is_a_sign_off_a_decision_or_a_step_of_someone_outside_the_staff(service, sessions, people):  # noqa: ANN001
    """Whether an event is news is read from the event itself (its roles when it was written), so that the
    index of news holds exactly the rows the count looks for."""
    from engine.models import Event
    from engine.queries import news_event

    case_id, _v = open_case(service)
    with writing(sessions).begin() as session:
        rows = [("signed_off", ["mentor"], {}), ("form_submitted", ["operator"], {"decision": "approve"}),
                ("document_uploaded", ["worker"], {}), ("signed_off", ["party:3"], {}),
                ("checklist_ticked", ["operator"], {}), ("form_submitted", ["admin", "operator"], {}),
                ("advanced", ["mentor"], {"decision": None})]
        for seq, (kind, roles, data) in enumerate(rows, start=100):
            session.add(Event(case_id=case_id, seq=seq, type=kind, actor_id="someone", actor_roles=roles, data=data))
    with sessions() as session:
        news = session.execute(select(Event.seq).where(Event.case_id == case_id, Event.seq >= 100, news_event())
                               .order_by(Event.seq)).scalars().all()
    assert news == [100, 101, 102, 103]
