"""The operator's desk page: filters, text search, sorting, pagination and counts per stage; opening a case."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select, update

from engine import Member
from engine.models import Case, utcnow
from tests.webui.conftest import PEOPLE, WORKERS, open_case
from webui.models import User


def case_numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<th scope="row"><a href="/cases/(\d+)"', html)]


def test_the_desk_page_lists_only_the_desks_cases_with_counts_per_stage(service, as_role):
    genova = [open_case(service, pathway=p, members=[Member("w.anna", "Anna Rossi")] if p == "startup" else None)[0]
              for p in ("wbo", "startup", "spinoff")]
    nice = open_case(service, desk="nice", mentor=None)[0]
    page = as_role("operator").get("/desks/genova")
    assert page.status_code == 200
    assert sorted(case_numbers(page.text)) == sorted(genova) and nice not in case_numbers(page.text)
    assert "Active cases per stage" in page.text and "First interview" in page.text
    assert "3 cases" in page.text


def test_filters_search_and_sorting(service, sessions, as_role):
    wbo, _ = open_case(service, pathway="wbo", title="Cantiere")
    startup, _ = open_case(service, pathway="startup", members=[Member("w.solo", "Zeno Solitario")], mentor=None)
    other, _ = open_case(service, pathway="spinoff", members=[Member("w.x", "Bruna Esposito")], mentor="other_mentor")
    with sessions.begin() as session:
        session.execute(update(Case).where(Case.id == startup).values(due_at=utcnow() - timedelta(days=3),
                                                                      supply_chains=["blue_green_energy"]))
    operator = as_role("operator")
    assert case_numbers(operator.get("/desks/genova?pathway=wbo").text) == [wbo]
    assert case_numbers(operator.get("/desks/genova?q=zeno").text) == [startup]
    assert case_numbers(operator.get("/desks/genova?q=FERRARI").text) == [wbo]  # a member of the group
    assert case_numbers(operator.get("/desks/genova?overdue=1").text) == [startup]
    assert case_numbers(operator.get("/desks/genova?supply_chain=blue_green_energy").text) == [startup]
    assert case_numbers(operator.get(f"/desks/genova?mentor={PEOPLE['other_mentor'].id}").text) == [other]
    assert case_numbers(operator.get("/desks/genova?stage=first_interview&pathway=spinoff").text) == [other]
    assert case_numbers(operator.get("/desks/genova?sort=id&order=desc").text) == [other, startup, wbo]
    assert case_numbers(operator.get("/desks/genova?sort=id&order=asc").text) == [wbo, startup, other]
    assert case_numbers(operator.get("/desks/genova?q=%25").text) == []  # a LIKE wildcard is searched literally
    service.withdraw(wbo, PEOPLE["operator"].actor, 1, "Left the project")
    assert wbo not in case_numbers(operator.get("/desks/genova").text)
    assert case_numbers(operator.get("/desks/genova?status=closed").text) == [wbo]
    assert operator.get("/desks/genova?sort=evil&order=sideways&page=abc").status_code == 200


def test_supply_chains_have_the_databanks_names_in_the_users_language(service, sessions, as_role):
    case_id, _ = open_case(service)  # nautical_shipbuilding
    with sessions.begin() as session:
        session.execute(update(User).where(User.id == PEOPLE["operator"].id).values(language="it"))
    operator = as_role("operator")
    assert "Nautica e cantieristica" in operator.get(f"/cases/{case_id}").text
    assert "Energie rinnovabili blu e verdi" in operator.get("/desks/genova").text  # the filter's choices


def test_the_list_is_paginated(app, service, as_role):
    app.config["PAGE_SIZE"] = 2
    ids = [open_case(service, members=[Member(f"w.{i}", f"Worker {i}")], pathway="startup", mentor=None)[0]
           for i in range(5)]
    operator = as_role("operator")
    first = operator.get("/desks/genova?sort=id").text
    assert case_numbers(first) == ids[:2] and "page 1 of 3" in first and "Next page" in first
    assert case_numbers(operator.get("/desks/genova?sort=id&page=3").text) == ids[4:]
    assert case_numbers(operator.get("/desks/genova?sort=id&page=99").text) == ids[4:]


def test_an_operator_opens_a_wbo_case_for_a_group(service, sessions, as_role):
    operator = as_role("operator")
    page = operator.get("/cases/new?desk=genova")
    assert page.status_code == 200 and "Workers buy-out" in page.text
    response = operator.post("/cases/new", data={
        "desk": "genova", "pathway": "wbo", "workers-0-name": "Anna Rossi", "workers-0-email": "anna@test.example",
        "workers-1-name": "Piero Neri", "workers-1-email": "", "workers-2-name": "Carla Blu",
        "workers-2-email": "carla@test.example", "supply_chains": ["nautical_shipbuilding"],
        "mentor": PEOPLE["mentor"].id, "title": ""})
    assert response.status_code == 302, response.text
    case_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with sessions() as session:
        case = session.get(Case, case_id)
        workers = [m for m in case.members if m.kind == "worker"]
        assert [m.display_name for m in workers] == ["Anna Rossi", "Piero Neri", "Carla Blu"]
        assert workers[0].person_id == "w.anna"  # the known worker is reused
        assert case.pathway_id == "wbo" and case.desk_id == "genova" and case.supply_chains == ["nautical_shipbuilding"]
        assert [m.person_id for m in case.members if m.kind == "mentor"] == [PEOPLE["mentor"].id]
        carla = session.scalar(select(User).where(User.email == "carla@test.example"))
        assert carla.roles == ["worker"] and carla.password_hash is None


def test_opening_refuses_a_group_too_small_for_the_pathway_and_staff_emails(service, sessions, as_role):
    operator = as_role("operator")
    response = operator.post("/cases/new", data={"desk": "genova", "pathway": "wbo", "workers-0-name": "A B"})
    assert response.status_code == 422 and "at least 2 workers" in response.text
    response = operator.post("/cases/new", data={"desk": "genova", "pathway": "startup",
                                                 "workers-0-name": "Sneaky", "workers-0-email": "rossi@test.example"})
    assert response.status_code == 422 and "belongs to a staff account" in response.text
    response = operator.post("/cases/new", data={"desk": "genova", "pathway": "startup"})
    assert response.status_code == 422 and "Name at least one worker." in response.text
    with sessions() as session:
        assert session.scalar(select(Case)) is None


def test_an_operator_cannot_open_a_case_at_another_desk(service, sessions, as_role):
    response = as_role("operator").post("/cases/new", data={"desk": "nice", "pathway": "startup",
                                                            "workers-0-name": "A B"})
    assert response.status_code == 422
    with sessions() as session:
        assert session.scalar(select(Case)) is None


def test_more_rows_for_a_big_group_keep_what_was_typed(as_role):
    response = as_role("operator").post("/cases/new", data={"desk": "genova", "pathway": "wbo", "more": "1",
                                                            "workers-0-name": "Anna Rossi"})
    assert response.status_code == 200
    assert 'name="workers-3-name"' in response.text and 'value="Anna Rossi"' in response.text


def test_the_desks_page_counts_active_overdue_and_held_cases(service, sessions, as_role):
    a, _ = open_case(service)
    b, v = open_case(service)
    service.hold(b, PEOPLE["operator"].actor, v, "Summer")
    with sessions.begin() as session:
        session.execute(update(Case).where(Case.id == a).values(due_at=utcnow() - timedelta(days=1)))
    page = as_role("operator").get("/desks").text
    assert "Sportello Genova" in page and "Guichet Nice" not in page
    row = page[page.index("Sportello Genova"):]
    assert re.search(r'<td class="num">1</td>\s*<td class="num"><a[^>]*class="overdue">1</a></td>\s*<td class="num">1</td>', row)
    admin_page = as_role("admin").get("/desks").text
    assert "Sportello Genova" in admin_page and "Guichet Nice" in admin_page
    assert WORKERS  # the fixtures' workers exist


def test_a_name_is_searched_among_the_cases_the_other_filters_keep(service, as_role):
    """The workers' names are looked up case by case among the desk's cases that pass the other filters:
    the same Rossi in another desk's case, or in another pathway, is not listed; a title still matches."""
    kept, _ = open_case(service, pathway="startup", members=[Member("w.rossi1", "Anna Rossi")], mentor=None)
    titled, _ = open_case(service, pathway="startup", title="Cantiere Rossi", mentor=None)
    open_case(service, pathway="spinoff", members=[Member("w.rossi2", "Bruno Rossi")], mentor=None)
    open_case(service, desk="nice", pathway="startup", members=[Member("w.rossi3", "Carla Rossi")], mentor=None)
    operator = as_role("operator")
    assert sorted(case_numbers(operator.get("/desks/genova?q=rossi&pathway=startup").text)) == sorted([kept, titled])


def test_the_name_search_reads_members_by_case_not_every_member(db_engine):  # noqa: ANN001
    """PostgreSQL would otherwise hash the names matching anywhere in the region (tens of thousands for a
    common name) to test a desk's few hundred cases: the plan looks members up by their case's id."""
    from datetime import datetime, timezone

    from werkzeug.datastructures import MultiDict

    from webui.cases.listing import Filters, desk_query

    query = desk_query("genova", Filters.from_args(MultiDict({"q": "rossi", "pathway": "wbo"})),
                       datetime(2026, 12, 1, tzinfo=timezone.utc))
    sql = str(select(func.count()).select_from(query.subquery()).compile(
        db_engine, compile_kwargs={"literal_binds": True}))
    with db_engine.connect() as connection:
        if db_engine.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a near-empty table: what it can do
            plan = "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + sql))
            looked_up = re.search(r"on case_members[^\n]*\n(?:[^\n]*\n)*?[^\n]*Index Cond: \(+case_id = ", plan)
        else:
            plan = "\n".join(row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
            looked_up = re.search(r"SEARCH case_members USING .*\(case_id=\?", plan)
    assert looked_up and "SCAN case_members" not in plan, plan
