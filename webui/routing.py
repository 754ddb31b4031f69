"""Addresses: ids in them and in forms (a number the database's integer column cannot hold names nothing:
404 in a path, 400 or nothing in a form or query, never a database error), and absolute addresses, which
come from the configured OPERA_BASE_URL, never from the request's Host header (which anyone can set)."""
from __future__ import annotations

import os
from urllib.parse import urlsplit
from typing import Any

from flask import Flask, abort, current_app, request, url_for
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # PostgreSQL's integer, the type of every id column


def database_id(value: Any) -> int | None:
    """The id a text names, or None when it is not a number a row can have."""
    try:
        number = int(str(value).strip()) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and 0 <= number <= MAX_ID else None


def posted_id(value: Any) -> int:
    """An id or version the page itself sent: anything else is a malformed request (400)."""
    number = database_id(value)
    if number is None:
        abort(400)
    return number


def posted_text(name: str, limit: int = 2000, *, one_line: bool = False) -> str:
    """A text a form sent, trimmed and cut to `limit` (one_line: its runs of blanks made one space)."""
    text = request.form.get(name) or ""
    return (" ".join(text.split()) if one_line else text.strip())[:limit]


def posted_file(name: str = "file") -> tuple[str, bytes] | None:
    """The name and content of the file a form sent, or None when none was chosen."""
    upload = request.files.get(name)
    if upload is None or not upload.filename:
        return None
    return upload.filename, upload.read()


def _digits_up_to(largest: int) -> str:
    """A regular expression of the decimal numbers 0..largest (so an address with a larger one matches no route
    at all: a converter that refused it after matching would let another method's route answer 405)."""
    text = str(largest)
    choices = ["0"] + [r"[1-9]" + (rf"[0-9]{{{n - 1}}}" if n > 1 else "") for n in range(1, len(text))]
    for i, digit in enumerate(map(int, text)):
        lowest = 1 if i == 0 else 0
        if digit > lowest:
            rest = len(text) - i - 1
            smaller = f"[{lowest}-{digit - 1}]" if digit - 1 > lowest else str(lowest)
            choices.append(text[:i] + smaller + (rf"[0-9]{{{rest}}}" if rest else ""))
    return "(?:" + "|".join(choices + [text]) + ")"


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>` in every route: a number the integer column can hold, else the route does not match (404)."""

    regex = _digits_up_to(MAX_ID)

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def base_url() -> str:
    configured = current_app.config.get("BASE_URL") or os.environ.get("OPERA_BASE_URL")
    return (configured or "http://localhost:5000").rstrip("/")


def absolute_url_for(endpoint: str, **values: Any) -> str:
    """The page's address on the configured site (for sitemaps, language alternates, e-mails)."""
    return base_url() + url_for(endpoint, _external=False, **values)


def site_path(url: str) -> str:
    """The path (and query) of an address on this site: links between its pages stay on the host serving them."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def init_app(app: Flask) -> None:
    """Before any blueprint adds its routes: they are compiled with the converter known at that moment."""
    app.url_map.converters["int"] = DatabaseIdConverter
    app.add_template_filter(site_path)
