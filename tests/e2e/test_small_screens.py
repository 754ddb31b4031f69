"""Every page reached from the demo fits a 390 px wide phone: no horizontal scroll, for the anonymous public,
the worker, the designer, the operator and the admin, in Italian, French and English. Each route pattern is
visited once per language (by the first of these roles that reaches it), so that the crawl stays short."""
from __future__ import annotations

import threading

import pytest
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from tests.conftest import layout_only
from tests.e2e import site
from tests.webui.conftest import TEST_PASSWORD_METHOD
from webui.demo import DEMO_PASSWORD


@pytest.fixture
def demo_server(app):  # noqa: ANN001, ANN201
    site.load_demo(app, generate_password_hash(DEMO_PASSWORD, method=TEST_PASSWORD_METHOD))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="opera-demo-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@layout_only
def test_no_page_scrolls_sideways_on_a_phone(chromium, demo_server, app):
    too_wide: dict[str, dict] = {}
    visited: dict[tuple[str, str], list[str]] = {}
    seen_routes: dict[str, set[str]] = {language: set() for language in site.LANGUAGES}
    for role in ("public", "worker", "designer", "operator", "admin"):
        context = chromium.new_context(**site.PHONE)
        context.set_default_timeout(15000)
        try:
            page = context.new_page()
            site.login(page, demo_server, role)
            for language in site.LANGUAGES:
                page.goto(demo_server + ("/login" if role == "public" else "/settings"))
                site.choose_language(page, language)

                def check(page, url, role=role, language=language):  # noqa: ANN001, ANN202
                    assert page.evaluate("document.documentElement.lang") == language, (role, language, url)
                    measured = site.overflow(page)
                    assert measured["inner"] == 390
                    if measured["scroll"] > measured["inner"]:
                        too_wide[f"{role} {language} {url}"] = measured

                visited[(role, language)] = site.crawl(page, demo_server, app, site.start_urls(role, language), check,
                                                       seen_routes[language])
        finally:
            context.close()
    assert too_wide == {}
    for (role, language), urls in visited.items():  # the crawl reached each role's own pages
        assert len(urls) >= {"operator": 15, "admin": 5, "designer": 4, "worker": 3, "public": 3}[role], (
            role, language, urls)
    assert any(u.startswith("/desks/") for u in visited[("operator", "it")])
    assert any(u.startswith("/cases/") for u in visited[("operator", "fr")])
    assert any(u.startswith("/me") for u in visited[("worker", "en")])
    assert any(u.startswith("/designer") for u in visited[("designer", "it")])
    assert any(u.startswith("/admin") for u in visited[("admin", "fr")])
    assert any("/resources/" in u for u in visited[("public", "fr")])
