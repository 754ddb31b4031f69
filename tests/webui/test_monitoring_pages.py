"""The programme monitoring pages: figures counted from cases opened through the engine, the cases behind
each figure, what an operator of another desk may see, and the exports (small counts suppressed)."""
from __future__ import annotations

import csv
import html
import io
import re

from tests.webui.conftest import WORKERS, open_case  # noqa: F401


def figure(page: str, name: str) -> tuple[int, str | None]:
    """(the number shown for a total, the link behind it or None)."""
    found = re.search(rf'data-figure="{name}">(?:<a href="([^"]+)">)?(\d+)', page)
    assert found, f"no figure {name} on the page"
    return int(found.group(2)), html.unescape(found.group(1)) if found.group(1) else None


def listed(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-case="(\d+)"', page)]


def test_the_dashboard_counts_the_cases_and_links_to_them(service, as_role):
    genova = [open_case(service)[0] for _ in range(3)]
    nice = open_case(service, desk="nice", mentor=None)[0]
    admin = as_role("admin")
    page = admin.get("/monitoring/")
    assert page.status_code == 200
    assert figure(page.text, "opened")[0] == 4 and figure(page.text, "active")[0] == 4
    assert figure(page.text, "closed") == (0, None) and figure(page.text, "on_hold") == (0, None)
    assert "<svg" in page.text and "<desc" in page.text  # the funnel chart, with its text alternative
    assert "First interview" in page.text  # the pathway's own stage titles
    assert "“&lt;5”" in page.text and "style=" not in page.text and "<script>" not in page.text  # CSP

    operator = as_role("operator")
    page = operator.get("/monitoring/").text
    count, link = figure(page, "opened")
    assert count == 3 and link.startswith("/monitoring/cases?")
    cases = operator.get(link)
    assert cases.status_code == 200 and listed(cases.text) == genova
    assert all(f'href="/cases/{i}"' in cases.text for i in genova)
    # a filter only narrows what the operator sees
    assert figure(operator.get("/monitoring/?desk=nice").text, "opened")[0] == 0
    assert figure(operator.get("/monitoring/?country=IT").text, "opened")[0] == 3
    stage = listed(operator.get("/monitoring/cases?figure=stage&key=wbo/first_interview").text)
    assert stage == genova and nice not in stage
    assert listed(admin.get("/monitoring/cases?figure=opened&desk=nice").text) == [nice]
    chain = re.search(r'href="(/monitoring/cases\?[^"]*figure=supply_chain[^"]*)"', page)
    assert chain and listed(operator.get(html.unescape(chain.group(1))).text) == genova
    active = [u for u in re.findall(r'href="(/monitoring/cases\?[^"]*)"', page)
              if "figure=active" in u and "pathway=wbo" in u]
    assert len(active) == 1 and listed(operator.get(html.unescape(active[0])).text) == genova


def test_an_operator_of_another_desk_sees_zeros_and_no_foreign_case(service, as_role):
    genova = [open_case(service)[0] for _ in range(2)]
    other = as_role("other_operator")
    page = other.get("/monitoring/?desk=genova").text
    assert figure(page, "opened") == (0, None)
    for url in ("/monitoring/cases?figure=opened", "/monitoring/cases?figure=opened&desk=genova",
                "/monitoring/cases?figure=stage&key=wbo/first_interview&desk=genova",
                "/monitoring/cases?figure=pathway&key=wbo"):
        response = other.get(url)
        assert response.status_code == 200 and listed(response.text) == []
        assert not any(f"/cases/{i}" in response.text for i in genova)


def test_other_roles_are_refused(as_role):
    for role in ("worker", "designer", "mentor"):
        browser = as_role(role)
        for url in ("/monitoring/", "/monitoring/cases?figure=opened", "/monitoring/export.csv",
                    "/monitoring/export.xlsx"):
            assert browser.get(url).status_code == 403, (role, url)


def test_the_csv_export_suppresses_small_counts_and_names_nobody(service, as_role):
    for _ in range(5):
        open_case(service)
    open_case(service, desk="nice", mentor=None)
    response = as_role("admin").get("/monitoring/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.data.decode("utf-8-sig")
    rows = {(r[0], r[1], r[2]): r[4] for r in csv.reader(io.StringIO(text))}
    assert rows[("totals", "", "opened")] == "6"
    assert rows[("totals", "", "closed")] == "0"
    assert rows[("pathways", "wbo", "opened")] == "6"
    operator_rows = {(r[0], r[1], r[2]): r[4] for r in csv.reader(io.StringIO(
        as_role("other_operator").get("/monitoring/export.csv").data.decode("utf-8-sig")))}
    assert operator_rows[("totals", "", "opened")] == "<5"  # one case at Nice
    assert not any(v in ("1", "2", "3", "4") for v in operator_rows.values())
    for worker in WORKERS:
        assert worker.display_name not in text
    assert "Elena Rossi" not in text and "Giulia Parodi" not in text


def test_the_xlsx_export_opens_with_openpyxl(service, as_role):
    from openpyxl import load_workbook

    for _ in range(2):
        open_case(service)
    response = as_role("operator").get("/monitoring/export.xlsx?lang=fr")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert "totals" in book.sheetnames and "funnel" in book.sheetnames
    values = {row[2]: row[4] for row in book["totals"].iter_rows(min_row=2, values_only=True)}
    assert values["opened"] == "<5" and values["closed"] == 0


def test_the_page_speaks_the_users_language(service, as_role):
    open_case(service)
    operator = as_role("operator")
    operator.post("/language", data={"language": "it"})
    page = operator.get("/monitoring/").text
    assert "Primo colloquio" in page and "Monitoraggio del programma" in page


def test_supply_chains_are_shown_by_name_not_code(service, as_role):
    open_case(service)
    operator = as_role("operator")
    page = operator.get("/monitoring/").text
    assert '<th scope="row">Nautical and shipbuilding</th>' in page
    assert '<th scope="row">nautical_shipbuilding</th>' not in page
    cases = operator.get("/monitoring/cases?figure=supply_chain&key=nautical_shipbuilding").text
    assert "Supply chain: Nautical and shipbuilding" in cases
    operator.post("/language", data={"language": "fr"})
    rows = {(r[0], r[2]): r[3] for r in csv.reader(io.StringIO(
        operator.get("/monitoring/export.csv").data.decode("utf-8-sig")))}
    assert rows[("supply_chains", "nautical_shipbuilding")] == "Nautisme et construction navale"
    operator.post("/language", data={"language": "it"})
    assert '<th scope="row">Nautica e cantieristica</th>' in operator.get("/monitoring/").text


def test_outcomes_link_to_their_cases_and_the_period_filters_by_opening(service, as_role, people):
    from datetime import datetime, timedelta, timezone

    kept, v = open_case(service)
    gone, w = open_case(service)
    service.withdraw(gone, people["operator"].actor, w, "found a job elsewhere")
    operator = as_role("operator")
    page = operator.get("/monitoring/").text
    assert figure(page, "closed")[0] == 1 and figure(page, "active")[0] == 1
    link = re.search(r'href="(/monitoring/cases\?[^"]*figure=outcome[^"]*)"', page)
    assert link and listed(operator.get(html.unescape(link.group(1))).text) == [gone]
    tomorrow = (datetime.now(timezone.utc).date() + timedelta(days=1)).isoformat()
    today = datetime.now(timezone.utc).date().isoformat()
    assert figure(operator.get(f"/monitoring/?from={tomorrow}").text, "opened")[0] == 0
    assert figure(operator.get(f"/monitoring/?from={today}&until={today}").text, "opened")[0] == 2
    assert operator.get("/monitoring/?from=not-a-date").status_code == 200
    assert operator.get("/monitoring/cases?figure=bogus").status_code == 404


def test_workers_per_sex_and_age_band_link_to_their_cases_and_are_suppressed_in_exports(service, as_role):
    from engine import Member

    this_year = __import__("datetime").date.today().year
    women = [open_case(service, members=[Member("w.a", "A", "female", this_year - 30),
                                         Member("w.b", "B", "female", this_year - 60)])[0] for _ in range(3)]
    mixed = open_case(service, members=[Member("w.c", "C", "male", this_year - 20), Member("w.d", "D")])[0]
    admin = as_role("admin")
    page = admin.get("/monitoring/").text
    assert 'id="workers-sex"' in page and 'id="workers-age"' in page and "Workers per sex" in page

    def cell(figure: str, key: str) -> tuple[int, str | None]:
        found = re.search(rf'data-{figure}="{key}">(?:<a href="([^"]+)">)?(\d+)', page)
        assert found, (figure, key)
        return int(found.group(2)), html.unescape(found.group(1)) if found.group(1) else None

    female, link = cell("sex", "female")
    assert female == 6 and listed(admin.get(link).text) == women
    assert cell("sex", "male")[0] == 1 and cell("sex", "not_recorded")[0] == 1 and cell("sex", "other") == (0, None)
    assert cell("age", "25_34")[0] == 3 and cell("age", "55_over")[0] == 3
    under_25, link = cell("age", "under_25")
    assert under_25 == 1 and listed(admin.get(link).text) == [mixed]
    assert cell("age", "not_recorded")[0] == 1
    assert admin.get("/monitoring/cases?figure=sex&key=unknown").status_code == 404
    rows = {(r[0], r[2]): r[4] for r in csv.reader(io.StringIO(
        admin.get("/monitoring/export.csv").data.decode("utf-8-sig")))}
    assert rows[("workers_sex", "female")] == "6" and rows[("workers_sex", "male")] == "<5"
    assert rows[("workers_age", "55_over")] == "<5" and rows[("workers_age", "45_54")] == "0"
