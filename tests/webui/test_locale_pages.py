"""Numbers and dates on the pages in the reader's notation (it/fr/en), not as the machine keeps them: a surface
and a date in the public catalogue and the databank, a date of a stage form on the case page,
the reasons of a match."""
from __future__ import annotations

import re
from datetime import date

from tests.webui.conftest import PEOPLE, open_case
from tests.webui.test_case_page import complete_first_interview
from tests.webui.test_public_pages import bank, cnc, resource_url  # noqa: F401 - the databank fixture

OPERATOR = PEOPLE["operator"].actor
SURFACE = {"it": "1.500,5 m²", "fr": "1 500,5 m²", "en": "1,500.5 m²"}
AVAILABLE_FROM = {"it": "1 mar 2027", "fr": "1 mars 2027", "en": "Mar 1, 2027"}
CONSENT_DAY = {"it": "1 feb 2026", "fr": "1 févr. 2026", "en": "Feb 1, 2026"}


def text_of(html: str) -> str:
    """The page's text with the spaces of typography (narrow, no-break) read as plain ones."""
    return re.sub(r"[\u00a0\u202f]", " ", html)


def test_the_catalogue_and_the_databank_write_a_surface_and_a_date_in_each_language(app, bank, as_role):  # noqa: ANN001, F811
    resource = bank.create_resource(OPERATOR, cnc(surface_m2=1500.5, available_from=date(2027, 3, 1))).id
    visitor = app.test_client()
    operator = as_role("operator")
    for lang in ("it", "fr", "en"):
        public = text_of(visitor.get(resource_url(visitor, lang, resource)).text)
        assert SURFACE[lang] in public and AVAILABLE_FROM[lang] in public, lang
        operator.post("/language", data={"language": lang})
        staff = text_of(operator.get(f"/databank/resources/{resource}").text)
        assert SURFACE[lang] in staff, lang
        assert "1500.5" not in public + staff and "2027-03-01" not in public + staff


def test_the_date_of_a_stage_form_is_written_in_the_readers_language(service, as_role):  # noqa: ANN001
    case_id, v = open_case(service)
    v = complete_first_interview(service, case_id, v)
    v = service.tick(case_id, OPERATOR, v, "privacy_notice_given").version
    operator = as_role("operator")
    response = operator.post(f"/cases/{case_id}/form", data={
        "version": v, "field-consent_text_version": "v2.1", "field-consent_date": "2026-02-01"})
    assert response.status_code == 302
    for lang in ("it", "fr", "en"):
        operator.post("/language", data={"language": lang})
        page = text_of(operator.get(f"/cases/{case_id}").text)
        assert CONSENT_DAY[lang] in page, lang
        assert ">2026-02-01<" not in page


def test_the_reasons_of_a_match_write_decimals_and_days_in_the_readers_language() -> None:
    from databank.i18n import message

    assert message("reason.distance", "fr", km=2.5, place="Nice") == "à 2,5 km de Nice"
    assert message("reason.available_from", "fr", date=date(2027, 3, 1)) == "disponible à partir du 1 mars 2027"
    assert message("reason.available_from", "en", date=date(2027, 3, 1)) == "available from 1 Mar 2027"


def test_a_template_says_its_words_in_the_locale_of_the_moment_even_when_forced_within_a_request(app) -> None:  # noqa: ANN001
    """The templates find their catalogue by the locale alone: a page in the reader's language, a message
    rendered inside it with `force_locale` in its recipient's, then the page's language again."""
    from flask import render_template_string
    from flask_babel import force_locale

    words = "{{ _('My work') }}|{{ ngettext('%(num)d help desk', '%(num)d help desks', 2) }}"
    with app.test_request_context("/", headers={"Accept-Language": "it"}):
        assert render_template_string(words) == "Il mio lavoro|2 sportelli"
        with force_locale("fr"):
            assert render_template_string(words) == "Mon travail|2 guichets"
        with force_locale("en"):
            assert render_template_string(words) == "My work|2 help desks"
        assert render_template_string(words) == "Il mio lavoro|2 sportelli"
