"""`make screenshots`: PNGs of the main pages of the demo, at 1366 px (a laptop) and 390 px (a phone), for
each role, into a folder (default `screenshots/`, git-ignored). The demo runs on a scratch SQLite database;
the browser is Debian's Chromium, as in the browser tests.

    python -m tests.e2e.screenshots [OUT_DIR] [--lang it|fr|en]

Pages that scroll sideways on the phone are listed at the end (exit status 1 if any)."""
from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import make_server

from tests.e2e import site
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

# The main pages of each role (the links of the demo lead to the others).
PAGES = {
    "public": ["/catalogue/{lang}/", "/catalogue/{lang}/resources/", "/login"],
    "worker": ["/me/"],
    "operator": ["/desks", "/desks/genova", "/cases/{case}", "/cases/new", "/monitoring/", "/databank/",
                 "/databank/resources?status=available"],
    "admin": ["/admin/", "/admin/users"],
    "designer": ["/designer/"],
}


def _name(role: str, url: str, width: int) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", url.lower()).strip("-") or "home"
    return f"{role}-{slug}-{width}.png"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", default="screenshots")
    parser.add_argument("--lang", default="it", choices=site.LANGUAGES)
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # not a line per request
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    from webui import create_app
    from webui.demo import DEMO_PASSWORD
    from webui.security import hash_password

    with tempfile.TemporaryDirectory(prefix="opera-screens-") as scratch:
        app = create_app({"SECRET_KEY": os.urandom(24).hex(), "DATABASE_URL": f"sqlite:///{scratch}/demo.sqlite",
                          "INSTANCE_PATH": scratch})
        with app.app_context():
            site.load_demo(app, hash_password(DEMO_PASSWORD))
        case = _a_case(app)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        too_wide = []
        written = 0
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
                for role, urls in PAGES.items():
                    for size in (site.WIDE, site.PHONE):
                        context = browser.new_context(**size)
                        page = context.new_page()
                        site.login(page, base, role)
                        page.goto(base + "/login" if role == "public" else base + "/settings")
                        site.choose_language(page, args.lang)
                        for url in urls:
                            url = url.format(lang=args.lang, case=case)
                            page.goto(base + url)
                            width = size["viewport"]["width"]
                            page.screenshot(path=str(out / _name(role, url, width)), full_page=True)
                            written += 1
                            measured = site.overflow(page)
                            if measured["scroll"] > measured["inner"]:
                                too_wide.append(f"{role} {url} at {width} px: {measured}")
                        context.close()
                browser.close()
        finally:
            server.shutdown()
            app.extensions["opera"].engine.dispose()
    print(f"{written} screenshots in {out}/")
    for line in too_wide:
        print("scrolls sideways:", line)
    return 1 if too_wide else 0


def _a_case(app) -> int:  # noqa: ANN001
    """The demo's first case (a WBO group at the feasibility study, with a mentor and a questionnaire)."""
    from sqlalchemy import select

    from engine.models import Case

    with app.extensions["opera"].sessions() as session:
        return session.scalar(select(Case.id).where(Case.desk_id == "genova").order_by(Case.id).limit(1))


if __name__ == "__main__":
    sys.exit(main())
