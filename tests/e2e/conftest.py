"""Browser tests: the app served on 127.0.0.1 (a free port, a background thread) on the test database
(SQLite, or PostgreSQL with OPERA_TEST_DATABASE_URL), driven by Debian's headless Chromium through Playwright.

Never `playwright install`: the browser is /usr/bin/chromium. Without it a developer's run skips these
tests with the reason shown; with CI=true it fails instead.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.webui.conftest import (  # noqa: F401 - shared fixtures
    PASSWORD, PEOPLE, app, compiled_translations, instance_path, people, service, shipped_assessments,
    shipped_pathways,
)
from tests.webui.test_notifications import SmtpServer

CHROMIUM = Path(os.environ.get("OPERA_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
IN_CI = os.environ.get("CI", "").lower() == "true"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"


def pytest_collection_modifyitems(items) -> None:  # noqa: ANN001
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def chromium():  # noqa: ANN201
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - the test extra installs it
        if IN_CI:
            pytest.fail(f"playwright is not installed: {exc}")
        pytest.skip(f"playwright is not installed: {exc}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app, people):  # noqa: ANN001, ANN201, F811
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="opera-e2e-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def new_page(chromium, live_server):  # noqa: ANN001, ANN201
    """new_page("operator") -> a page in a fresh browser context, logged in through the login form."""
    contexts = []

    def make(role: str | None = None, locale: str = "en-GB"):  # noqa: ANN202
        context = chromium.new_context(locale=locale, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15000)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.errors = errors  # type: ignore[attr-defined]
        if role:
            login(page, live_server, PEOPLE[role].email)
        return page

    yield make
    for context in contexts:
        context.close()


def login(page, base: str, email: str, password: str = PASSWORD) -> None:  # noqa: ANN001
    page.goto(base + "/login")
    page.fill("#email", email)
    page.fill("#password", password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert "/login" not in page.url, page.content()


def axe_violations(page) -> list[dict]:  # noqa: ANN001
    """Run axe-core in the page (evaluated through the DevTools protocol: the page's CSP allows no inline script)."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                            nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 5)}));
    }""")


@pytest.fixture
def mail(app, live_server):  # noqa: ANN001, ANN201
    """A real SMTP server (aiosmtpd) the app sends to, with links pointing at the live server."""
    server = SmtpServer()
    server.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port, SMTP_FROM="OPERA <noreply@opera.test>",
                      SMTP_TIMEOUT=5, BASE_URL=live_server)
    yield server
    server.stop()
