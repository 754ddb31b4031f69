"""The public catalogue in a real browser: a visitor (no login) from France opens the catalogue, searches and
filters, finds a machine, sees it on the map and in its photo, and writes to the help desk, whose mailbox (a
real SMTP server, aiosmtpd) receives the message; axe-core finds no serious violation on the way."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from databank import Databank
from databank.demo import demo_photo
from databank.esco import import_esco
from databank.models import ContactRequest
from engine.models import Desk
from tests.databank.conftest import ESCO_FIXTURE
from tests.e2e.conftest import PEOPLE, axe_violations
from tests.webui.test_notifications import body, subject
from tests.webui.test_public_pages import DESK_ADDRESS, cnc, hangar

OPERATOR = PEOPLE["operator"].actor
OTHER_OPERATOR = PEOPLE["other_operator"].actor


@pytest.fixture
def resources(app, sessions, service, people):  # noqa: ANN001, ANN201
    import_esco(sessions, ESCO_FIXTURE)
    with sessions.begin() as session:
        session.get(Desk, "genova").contact_email = DESK_ADDRESS
    bank = Databank(sessions, app.extensions["opera"].files, service)
    machine = bank.create_resource(OPERATOR, cnc()).id
    bank.add_resource_file(OPERATOR, machine, "photo", "fronte.jpg", demo_photo("machine", 1), "Vue de face")
    shed = bank.create_resource(OPERATOR, cnc(title="Capannone con carroponte", category="shed", surface_m2=2400,
                                              municipality="La Spezia", latitude=44.10, longitude=9.82,
                                              description="Capannone in riva al mare.", offers=["rent"]))
    bank.add_resource_file(OPERATOR, shed.id, "photo", "interno.jpg", demo_photo("shed", 2), "Interno")
    bank.create_resource(OTHER_OPERATOR, hangar())
    return {"machine": machine}


def serious(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def go(page, action) -> None:  # noqa: ANN001
    with page.expect_navigation():
        action()
    assert not page.errors, page.errors


def test_a_visitor_finds_a_machine_in_french_and_writes_to_the_desk(app, sessions, live_server, new_page, mail,
                                                                   resources):  # noqa: ANN001
    page = new_page(locale="fr-FR")
    page.goto(f"{live_server}/catalogue/")
    assert page.url == f"{live_server}/catalogue/fr/"
    assert page.locator("h1").inner_text() == "Ressources et compétences de la zone Italie–France Maritime"
    assert page.locator(".area-map svg .marker").count() == 3
    assert serious(axe_violations(page)) == []

    go(page, lambda: page.get_by_role("link", name="Ressources", exact=True).first.click())
    page.get_by_label("Mots").fill("fresatrice")
    page.get_by_label("Catégorie").select_option(label="Machine")
    go(page, lambda: page.get_by_role("button", name="Rechercher").click())
    assert page.locator(".result-count").inner_text() == "1 ressource trouvée"
    assert serious(axe_violations(page)) == []
    go(page, lambda: page.get_by_role("link", name="Centro di lavoro CNC a 5 assi", exact=True).click())

    assert page.url == (f"{live_server}/catalogue/fr/resources/{resources['machine']}"
                        "-centro-di-lavoro-cnc-a-5-assi")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert "Vente" in page.locator(".resource-offers").inner_text()
    photo = page.get_by_role("img", name="Vue de face")
    photo.scroll_into_view_if_needed()
    assert photo.evaluate("img => img.complete && img.naturalWidth") == 640
    marker = page.locator(".area-map svg a .marker")
    assert marker.count() == 1 and marker.is_visible()
    assert serious(axe_violations(page)) == []

    page.get_by_label("Votre nom").fill("Helga Investor")
    page.get_by_label("Votre adresse e-mail").fill("helga@invest.example")
    page.get_by_label("Votre message").fill("Nous cherchons une fraiseuse 5 axes pour un atelier à Gênes.")
    go(page, lambda: page.get_by_role("button", name="Envoyer au guichet").click())
    assert page.locator("h1").inner_text() == "Merci, votre message a été envoyé"
    assert serious(axe_violations(page)) == []

    [message] = mail.inbox.to(DESK_ADDRESS)
    assert "Centro di lavoro CNC a 5 assi" in subject(message)
    assert "helga@invest.example" in body(message) and "fraiseuse 5 axes" in body(message)
    with sessions() as session:
        [enquiry] = session.scalars(select(ContactRequest)).all()
        assert (enquiry.desk_id, enquiry.resource_id, enquiry.language) == ("genova", resources["machine"], "fr")


def test_the_map_leads_to_the_resource_and_the_language_links_keep_the_page(live_server, new_page, resources):  # noqa: ANN001
    page = new_page(locale="it-IT")
    page.goto(f"{live_server}/catalogue/it/")
    go(page, lambda: page.locator(".area-map svg a", has=page.locator("title", has_text="Centro di lavoro")).click())
    assert f"/catalogue/it/resources/{resources['machine']}-" in page.url
    go(page, lambda: page.get_by_role("link", name="English").click())
    assert f"/catalogue/en/resources/{resources['machine']}-" in page.url
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Ask the help desk about this resource").is_visible()
