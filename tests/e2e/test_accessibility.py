"""axe-core (vendored from the npm registry) on the main pages, in Chromium: no serious or critical violation.
Also: every page works with the keyboard alone (a skip link first) and on a phone-sized screen."""
from __future__ import annotations

import pytest

from tests.conftest import layout_only
from tests.e2e.conftest import axe_violations
from tests.webui.conftest import open_case
from tests.webui.test_case_page import walk_to

SERIOUS = ("serious", "critical")


def serious(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["impact"] in SERIOUS]


@layout_only
@pytest.mark.parametrize("locale", ["en-GB", "it-IT", "fr-FR"])
def test_the_main_pages_have_no_serious_accessibility_violations(new_page, live_server, service, locale):
    case_id, _v = walk_to(service, "feasibility_study")
    open_case(service, pathway="startup", title="Second case")
    pages = {
        "operator": ["/my-work", "/desks", "/desks/genova", "/desks/genova?pathway=wbo&status=all", "/cases/new",
                     f"/cases/{case_id}", "/settings"],
        "mentor": ["/my-work", "/mentor", f"/cases/{case_id}"],
        "admin": ["/admin/", "/admin/users", "/admin/users/new", "/admin/desks", "/admin/desks/genova"],
    }
    anonymous = new_page(locale=locale)
    anonymous.goto(live_server + "/login")
    found = {"/login": serious(axe_violations(anonymous))}
    for role, urls in pages.items():
        page = new_page(role, locale=locale)
        for url in urls:
            page.goto(live_server + url)
            assert page.locator("main h1").count() >= 1, url
            found[f"{role} {url}"] = serious(axe_violations(page))
        assert not page.errors, page.errors
    assert {k: v for k, v in found.items() if v} == {}


def test_the_case_page_is_usable_with_the_keyboard(new_page, live_server, service):
    case_id, _v = open_case(service)
    page = new_page("operator")
    page.goto(f"{live_server}/cases/{case_id}")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    # Tab through the page: every control gets the focus, in order, and shows it.
    reached = set()
    for _i in range(60):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("document.activeElement.textContent.trim() || document.activeElement.name || ''"))
    assert "Tick" in reached and "Save the form" in reached


def test_the_case_page_fits_a_phone_screen(chromium, live_server, service, people):
    from tests.e2e.conftest import login
    from tests.webui.conftest import PEOPLE

    case_id, _v = open_case(service)
    context = chromium.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        login(page, live_server, PEOPLE["operator"].email)
        for url in (f"/cases/{case_id}", "/desks/genova", "/my-work"):
            page.goto(live_server + url)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 380, (url, width)
    finally:
        context.close()
