"""Languages: Italian, French, English with Flask-Babel.

The catalogues are kept as `.po` text (webui/translations); the binary `.mo` files are compiled from them
when the application starts (into the instance folder, only when missing or older than the `.po`).
The language is the one in the page's URL (public catalogue), else the user's setting, else the one chosen
on the login page, else the browser's.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Mapping

from flask import current_app, g, request, session
from flask_babel import Babel, get_locale, get_translations
from flask_login import current_user

from engine.i18n import compile_catalogue, localize

SOURCE_DIR = Path(__file__).resolve().parent / "translations"


def compile_catalogs(target: Path, source: Path = SOURCE_DIR) -> Path:
    """Compile every messages.po under `source` into `target`, keeping the same layout."""
    for po_path in sorted(source.glob("*/LC_MESSAGES/*.po")):
        relative = po_path.relative_to(source).with_suffix(".mo")
        compile_catalogue(po_path, target / relative, relative.parts[0])
    return target


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if g.get("page_language") in languages:  # a page whose URL names its language (the public catalogue)
        return g.page_language
    if current_user and current_user.is_authenticated and getattr(current_user, "language", None) in languages:
        return current_user.language
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def lang() -> str:
    """The two-letter language of the current request (for the engine's and the pathways' texts)."""
    locale = get_locale()
    return locale.language if locale is not None else "en"


def loc(text: Mapping[str, str] | str | None) -> str:
    """A pathway text in the current language, falling back to another one rather than to nothing."""
    return localize(text, lang())


def init_app(app: Any) -> Babel:
    compiled = compile_catalogs(Path(app.instance_path) / "translations")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(compiled)
    babel = Babel(app, locale_selector=select_locale)
    _install_template_gettext(app)
    app.jinja_env.filters["loc"] = loc
    app.jinja_env.globals["lang"] = lang
    return babel


def _install_template_gettext(app: Any) -> None:
    """The templates' `_()` and `ngettext()`, as Flask-Babel's, but finding the catalogue by the request's
    locale alone: Flask-Babel's own lookup walks the request context three times a word, and a page says a
    few hundred. The locale is still asked each time, so `force_locale` (a message in its reader's
    language) is honoured."""
    catalogues: dict[Any, Any] = {}

    def catalogue() -> Any:
        locale = get_locale()
        found = catalogues.get(locale)
        if found is None:
            found = get_translations()
            if locale is not None:  # outside a request: the empty catalogue, not kept
                catalogues[locale] = found
        return found

    app.jinja_env.install_gettext_callables(
        gettext=lambda s: catalogue().ugettext(s),
        ngettext=lambda s, p, n: catalogue().ungettext(s, p, n),
        pgettext=lambda c, s: catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: catalogue().unpgettext(c, s, p, n),
        newstyle=True)


def iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""
