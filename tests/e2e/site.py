"""The demo site seen by a browser: its accounts per role, a crawl of the pages each role reaches (one page per
route: the same template with other values adds nothing but time), and what fits a phone's width.

Used by the small-screen test (tests/e2e/test_small_screens.py) and by `make screenshots`
(tests/e2e/screenshots.py)."""
from __future__ import annotations

import re
from collections import deque
from typing import Any, Callable
from urllib.parse import urljoin, urlsplit

from werkzeug.exceptions import HTTPException

from webui.demo import DEMO_PASSWORD

LANGUAGES = ("it", "fr", "en")
# The demo's accounts (README): who the crawl logs in as.
ACCOUNTS = {
    "operator": "operatore.genova@opera.example",
    "admin": "admin@opera.example",
    "designer": "designer@opera.example",
    "worker": "worker@opera.example",
    "public": None,
}
# Not pages: downloads, actions behind a link, and the API's reference (a vendored viewer of its own).
SKIPPED = re.compile(r"(\.(pdf|csv|xlsx|zip|png|jpe?g|json)$)|/logout|/static/|/api/|/export|/download|"
                     r"/documents/\d+|/files/\d+|/photos?/\d+")
# Not `is_mobile`: a mobile browser would widen its layout viewport to fit a page too wide, hiding the overflow.
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True}
WIDE = {"viewport": {"width": 1366, "height": 900}}
OVERFLOW = """() => {
    const width = window.innerWidth;
    const sticks = e => e.getBoundingClientRect().right > width + 1;
    const wide = [...document.querySelectorAll("body *")].filter(e => sticks(e) && ![...e.children].some(sticks))
        .slice(0, 3).map(e => e.tagName.toLowerCase() + (e.className && typeof e.className === "string" ?
                              "." + e.className.split(" ")[0] : "") + " " + (e.textContent || "").trim().slice(0, 40));
    return {scroll: document.documentElement.scrollWidth, inner: width, wide: wide};
}"""


def load_demo(app: Any, password_hash: str) -> None:
    """The demo data (desks, accounts, cases, databank with photos) in the app's database."""
    from databank.demo import load_demo_photos
    from webui import demo

    services = app.extensions["opera"]
    demo.load(services.sessions, services.library, services.files, password_hash)
    load_demo_photos(services.sessions, services.files)


def login(page: Any, base: str, role: str) -> None:
    email = ACCOUNTS[role]
    if email is None:
        return
    page.goto(base + "/login")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert "/login" not in page.url, f"{role} could not log in"


def choose_language(page: Any, language: str) -> None:
    """The footer's language form (kept in the account's settings when logged in)."""
    page.select_option("#footer-language", language)
    with page.expect_navigation():
        page.locator("form.language-form button[type=submit]").click()


def route_of(app: Any, path: str) -> str | None:
    """The route pattern a path is served by (None: not a page of the app)."""
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _args = adapter.match(path, method="GET")
    except HTTPException:
        return None
    return endpoint


def start_urls(role: str, language: str) -> list[str]:
    if role == "public":
        return [f"/catalogue/{language}/", "/login"]
    return ["/"]


def crawl(page: Any, base: str, app: Any, starts: list[str], visit: Callable[[Any, str], None],
          seen_routes: set[str] | None = None, limit: int = 60) -> list[str]:
    """Follow the links of the pages from `starts`, one page per route pattern (not in `seen_routes`, which
    it fills: shared by several crawls, each route is visited once), calling visit(page, url) on each;
    returns the URLs visited."""
    seen_routes = set() if seen_routes is None else seen_routes
    queue = deque(starts)
    visited: list[str] = []
    while queue and len(visited) < limit:
        url = queue.popleft()
        start = url in starts  # a start may land on a page seen already: its links are still followed
        split = urlsplit(urljoin(base + "/", url))
        if f"{split.scheme}://{split.netloc}" != base or SKIPPED.search(split.path):
            continue
        route = route_of(app, split.path)
        if route is None or (route in seen_routes and not start):
            continue
        seen_routes.add(route)
        response = page.goto(base + split.path + (f"?{split.query}" if split.query else ""))
        if response is None or response.status >= 400 or \
                not response.headers.get("content-type", "").startswith("text/html"):
            continue
        landed = urlsplit(page.url)  # where a redirect (a home page) led
        landed_route = route_of(app, landed.path)
        if landed_route is not None and (landed_route not in seen_routes or landed_route == route):
            seen_routes.add(landed_route)
            target = landed.path + (f"?{landed.query}" if landed.query else "")
            visited.append(target)
            visit(page, target)
        elif not start:
            continue
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
            if href and not href.startswith(("#", "mailto:", "tel:", "javascript:")):
                queue.append(urljoin(page.url, href.split("#", 1)[0]))
    return visited


def overflow(page: Any) -> dict[str, Any]:
    """How wide the page is against the window, and the first elements that stick out."""
    return page.evaluate(OVERFLOW)
