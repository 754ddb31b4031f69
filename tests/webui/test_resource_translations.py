"""A resource's title and description translated per language for the public catalogue: written by the
operators of its desk from the databank page (with an audit entry), shown to the catalogue's readers of that
language, and the owner's text marked as such where no translation exists."""
from __future__ import annotations

import html

from sqlalchemy import select

from engine import audit
from tests.webui.conftest import Browser
from tests.webui.test_public_pages import OPERATOR, OTHER_OPERATOR, bank, cnc, hangar  # noqa: F401 - the databank fixture


def page(browser: Browser, url: str) -> str:
    response = browser.get(url, follow_redirects=True)
    assert response.status_code == 200, url
    return html.unescape(response.text)


def test_an_operator_translates_a_resource_and_the_catalogue_shows_it_per_language(app, bank, as_role, sessions):
    resource_id = bank.create_resource(OPERATOR, cnc()).id
    operator = as_role("operator")
    staff_page = page(operator, f"/databank/resources/{resource_id}")
    assert "Translations for the public catalogue" in staff_page and 'name="language" value="it"' not in staff_page
    response = operator.post(f"/databank/resources/{resource_id}/translations", data={
        "language": "fr", "title": "Centre d'usinage CNC 5 axes", "description": "Fraiseuse 5 axes, entretien suivi."})
    assert response.status_code == 302
    public = Browser(app.test_client())
    french = page(public, f"/catalogue/fr/resources/{resource_id}")
    assert "<h1><span>Centre d'usinage CNC 5 axes</span></h1>" in french and "Fraiseuse 5 axes" in french
    assert "Centro di lavoro" not in french.split("<h1>", 1)[1].split("</h1>", 1)[0]
    english = page(public, f"/catalogue/en/resources/{resource_id}")  # no English: the owner's Italian, said so
    assert '<span lang="it">Centro di lavoro CNC a 5 assi</span>' in english
    assert "in Italian, the owner's language" in english
    assert '<p class="resource-description" lang="it">Fresatrice a 5 assi' in english
    italian = page(public, f"/catalogue/it/resources/{resource_id}")
    assert "<h1><span>Centro di lavoro CNC a 5 assi</span></h1>" in italian and "lingua del proprietario" not in italian
    assert "Centre d'usinage CNC 5 axes</a></h3>" in page(public, "/catalogue/fr/resources/")
    assert ('lang="it">Centro di lavoro CNC a 5 assi</a> <small class="original-language">in Italian, the owner'
            in page(public, "/catalogue/en/resources/"))
    with sessions() as session:
        types = [e.type for e in audit.entries(session.connection(), "databank.resource", resource_id)]
        assert types[-1] == "resource_translated"
    # Both empty: the translation is removed, the French page shows the Italian, marked.
    operator.post(f"/databank/resources/{resource_id}/translations", data={"language": "fr", "title": "",
                                                                            "description": ""})
    french = page(public, f"/catalogue/fr/resources/{resource_id}")
    assert '<span lang="it">Centro di lavoro CNC a 5 assi</span>' in french and "en italien, la langue du propriétaire" in french


def test_a_translation_is_refused_in_the_owners_language_or_without_a_title_and_by_another_desk(bank, as_role):
    resource_id = bank.create_resource(OPERATOR, cnc()).id
    operator = as_role("operator")
    refused = operator.post(f"/databank/resources/{resource_id}/translations", data={
        "language": "it", "title": "Altro titolo", "description": ""})
    assert refused.status_code == 422 and "is not one of: en, fr" in html.unescape(refused.text)
    refused = operator.post(f"/databank/resources/{resource_id}/translations", data={
        "language": "en", "title": "", "description": "A description without its title"})
    assert refused.status_code == 422 and "A description without its title" in refused.text  # kept
    other = as_role("other_operator")
    assert other.post(f"/databank/resources/{resource_id}/translations", data={
        "language": "fr", "title": "Intrus", "description": ""}).status_code == 403
    french_resource = bank.create_resource(OTHER_OPERATOR, hangar()).id  # in France: its text is French
    section = html.unescape(other.get(f"/databank/resources/{french_resource}").text).split('id="translations"')[1]
    assert "above are in French, the owner's language" in section
    assert 'name="language" value="it"' in section and 'name="language" value="fr"' not in section
