"""The databank in a browser: an operator registers a shed and a CNC machine of a closing shipyard through
the forms, finds both from a WBO case's matching page, reserves the shed, and sees it reserved and the
event in the case's timeline. The ESCO pickers complete as one types. axe-core on the databank pages."""
from __future__ import annotations

import re

import pytest

from databank.esco import import_esco
from tests.databank.conftest import ESCO_FIXTURE, WELDER
from tests.e2e.conftest import axe_violations
from tests.webui.conftest import open_case

SERIOUS = ("serious", "critical")


@pytest.fixture
def taxonomy(app, sessions):  # noqa: ANN001, ANN201
    return import_esco(sessions, ESCO_FIXTURE)


def register_resource(page, base: str, values: dict[str, str], offers: list[str]) -> str:  # noqa: ANN001
    page.goto(base + "/databank/resources/new")
    page.select_option("#category", values.pop("category"))
    page.select_option("#region", values.pop("region"))
    page.select_option("#owner_kind", values.pop("owner_kind"))
    for name, value in values.items():
        page.fill(f"#{name}", value)
    for offer in offers:
        page.check(f"input[name=offers][value={offer}]")
    page.check("input[name=supply_chains][value=nautical_shipbuilding]")
    with page.expect_navigation():
        page.get_by_role("button", name="Save the resource").click()
    assert re.search(r"/databank/resources/\d+$", page.url), page.content()
    return page.url


def test_an_operator_registers_a_shed_and_a_machine_then_reserves_the_shed_from_a_wbo_case(
        new_page, live_server, service, taxonomy):
    case_id, _version = open_case(service, pathway="wbo", title="WBO Officine Sestri")
    page = new_page("operator")
    shed_url = register_resource(page, live_server, {
        "category": "shed", "region": "IT-42", "owner_kind": "insolvency_administrator",
        "title": "Capannone ex Cantieri Navali Liguri", "description": "Capannone con carroponte da 20 t.",
        "municipality": "La Spezia", "surface_m2": "2400", "origin_firm": "Cantieri Navali Liguri S.p.A.",
        "origin_firm_nace": "C30.11", "owner_name": "Dott. Marco Curatore"}, ["rent", "sale"])
    assert page.locator("h1").inner_text() == "Capannone ex Cantieri Navali Liguri"
    assert "Available" in page.locator("#resource-status").inner_text()
    register_resource(page, live_server, {
        "category": "machine", "region": "IT-42", "owner_kind": "insolvency_administrator",
        "title": "Centro di lavoro CNC a 5 assi", "capacity": "5 assi, 3000 x 1500 mm", "municipality": "Genova",
        "origin_firm": "Cantieri Navali Liguri S.p.A.", "origin_firm_nace": "C30.11"}, ["sale"])

    # From the case page to its matching page; a shed and a CNC machine in Liguria.
    page.goto(f"{live_server}/cases/{case_id}")
    with page.expect_navigation():
        page.get_by_role("link", name="Matching: resources and profiles for this case").click()
    page.check("input[name=categories][value=shed]")
    page.check("input[name=categories][value=machine]")
    page.fill("#words", "CNC carroponte")
    with page.expect_navigation():
        page.get_by_role("button", name="Find").click()
    suggestions = page.locator("#suggested-resources")
    assert suggestions.get_by_role("link", name="Capannone ex Cantieri Navali Liguri").count() == 1
    assert suggestions.get_by_role("link", name="Centro di lavoro CNC a 5 assi").count() == 1
    shed_entry = suggestions.locator("li.entry", has_text="Capannone ex Cantieri Navali Liguri")
    shed_entry.locator("summary").click()
    assert "Shed / warehouse, as needed" in shed_entry.locator("ul.reasons").inner_text()
    with page.expect_navigation():
        shed_entry.get_by_role("button", name=re.compile("Reserve for this case")).click()
    assert "The resource is reserved for this case." in page.locator("main").inner_text()
    reserved = page.locator("#reserved")
    assert "Capannone ex Cantieri Navali Liguri" in reserved.inner_text() and "Reserved" in reserved.inner_text()
    # The shed left the suggestions (no longer available); the machine is still there.
    assert page.locator("#suggested-resources").get_by_role("link", name="Capannone ex Cantieri Navali Liguri").count() == 0
    assert page.locator("#suggested-resources").get_by_role("link", name="Centro di lavoro CNC a 5 assi").count() == 1

    page.goto(shed_url)
    assert "Reserved" in page.locator("#resource-status").inner_text()
    page.goto(f"{live_server}/cases/{case_id}")
    timeline = page.locator("#timeline").inner_text()
    assert "linked Capannone ex Cantieri Navali Liguri to the case" in timeline
    assert not page.errors, page.errors

    # A visitor from France (no login) finds the machine in the public catalogue; the reserved shed is not
    # offered any more, and the administrator's name is never shown.
    visitor = new_page(locale="fr-FR")
    visitor.goto(f"{live_server}/catalogue/")
    assert visitor.url == f"{live_server}/catalogue/fr/"
    with visitor.expect_navigation():
        visitor.get_by_role("link", name="Ressources", exact=True).first.click()
    visitor.get_by_label("Mots").fill("CNC")
    with visitor.expect_navigation():
        visitor.get_by_role("button", name="Rechercher").click()
    with visitor.expect_navigation():
        visitor.get_by_role("link", name="Centro di lavoro CNC a 5 assi", exact=True).click()
    assert visitor.locator("html").get_attribute("lang") == "fr"
    title = visitor.locator("h1").inner_text()  # not translated: marked as the owner's language
    assert title.startswith("Centro di lavoro CNC a 5 assi") and "italien, la langue du propriétaire" in title
    assert "Vente" in visitor.locator("main").inner_text()
    visitor.goto(f"{live_server}/catalogue/fr/resources/?q=Capannone")
    assert visitor.get_by_role("link", name="Capannone ex Cantieri Navali Liguri").count() == 0
    assert "Curatore" not in visitor.content()
    assert not visitor.errors, visitor.errors


def test_the_pickers_complete_occupations_from_the_taxonomy(new_page, live_server, taxonomy):
    page = new_page("operator")
    page.goto(live_server + "/databank/profiles/new")
    occupation = page.locator("#occupations-0-text")
    occupation.press_sequentially("weld", delay=30)
    page.wait_for_selector("#occupations-suggestions option", state="attached")
    options = page.eval_on_selector_all("#occupations-suggestions option", "els => els.map(e => e.value)")
    assert "welder" in options
    occupation.fill("welder")
    occupation.dispatch_event("input")
    assert page.locator("#occupations-0-uri").input_value() == WELDER
    occupation.fill("welder of boats")
    occupation.dispatch_event("input")
    assert page.locator("#occupations-0-uri").input_value() == ""
    occupation.fill("welder")
    occupation.dispatch_event("input")
    page.fill("#display_name", "Giorgio Bianchi")
    page.select_option("#region", "IT-42")
    with page.expect_navigation():
        page.get_by_role("button", name="Save the profile").click()
    assert re.search(r"/databank/profiles/\d+$", page.url), page.content()
    assert "welder" in page.locator("main").inner_text()
    assert not page.errors, page.errors


@pytest.mark.parametrize("locale", ["en-GB", "it-IT"])
def test_the_databank_pages_have_no_serious_accessibility_violations(new_page, live_server, service, taxonomy, app,
                                                                     locale):
    from databank import Databank
    from tests.databank.conftest import anna, shed
    from tests.webui.conftest import PEOPLE

    opera = app.extensions["opera"]
    bank = Databank(opera.sessions, opera.files, opera.cases)
    bank.create_resource(PEOPLE["operator"].actor, shed())
    bank.create_profile(PEOPLE["operator"].actor, anna(person_id=None))
    case_id, _v = open_case(service)
    page = new_page("operator", locale=locale)
    found = {}
    for url in ("/databank/", "/databank/resources", "/databank/resources?category=shed", "/databank/profiles",
                "/databank/resources/1", "/databank/profiles/1", "/databank/resources/new", "/databank/profiles/new",
                "/databank/import", f"/databank/cases/{case_id}/matching"):
        page.goto(live_server + url)
        assert page.locator("main h1").count() == 1, url
        found[url] = [v for v in axe_violations(page) if v["impact"] in SERIOUS]
    assert {k: v for k, v in found.items() if v} == {}
    assert not page.errors, page.errors
