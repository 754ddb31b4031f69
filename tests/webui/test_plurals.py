"""Counts are written with the plural rules of the reader's language (gettext's ngettext): one is singular
everywhere, zero is singular in French and plural in Italian."""
from __future__ import annotations

import html

from tests.webui.conftest import Browser, open_case


def in_language(browser: Browser, language: str, url: str) -> str:
    browser.post("/language", data={"language": language})
    return html.unescape(browser.get(url).text)


def test_failed_logins_are_counted_in_the_singular_then_in_the_plural(app, as_role, people):
    victim = Browser(app.test_client())
    victim.login(people["operator"], password="wrong")
    admin = as_role("admin")
    assert "1 accesso fallito dopo l'ultimo riuscito." in in_language(admin, "it", "/admin/users/op.genova")
    assert "1 échec de connexion depuis la dernière réussite." in in_language(admin, "fr", "/admin/users/op.genova")
    assert "1 failed login since the last success." in in_language(admin, "en", "/admin/users/op.genova")
    victim.login(people["operator"], password="wrong")
    assert "2 accessi falliti dopo l'ultimo riuscito." in in_language(admin, "it", "/admin/users/op.genova")
    assert "2 échecs de connexion depuis la dernière réussite." in in_language(admin, "fr", "/admin/users/op.genova")


def test_the_desk_list_counts_its_cases_with_each_languages_rule(service, as_role):
    operator = as_role("operator")
    assert "0 pratiche" in in_language(operator, "it", "/desks/genova")
    assert "0 dossier<" in in_language(operator, "fr", "/desks/genova")
    open_case(service)
    assert "1 pratica<" in in_language(operator, "it", "/desks/genova")
    assert "1 dossier<" in in_language(operator, "fr", "/desks/genova")
    open_case(service)
    assert "2 pratiche<" in in_language(operator, "it", "/desks/genova")
    assert "2 dossiers<" in in_language(operator, "fr", "/desks/genova")
