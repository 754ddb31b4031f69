"""Errors of the JSON API as RFC 9457 problem documents (application/problem+json), in the caller's
language: the engine's own localized messages, and the web UI's for the HTTP errors."""
from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, json, request
from flask_babel import force_locale
from flask_babel import gettext as _

from databank.errors import EntryNotFound, StaleEntry
from engine.errors import (
    ConflictError,
    EngineError,
    FormInvalid,
    NotAllowed,
    NotFound,
    RequirementsNotMet,
)

PROBLEM_TYPE = "urn:opera:problem:"


def api_language() -> str:
    """Accept-Language first (a machine client says what it wants), then the account's language."""
    languages = current_app.config["LANGUAGES"]
    if request.headers.get("Accept-Language"):
        chosen = request.accept_languages.best_match(languages)
        if chosen:
            return chosen
    user = g.get("api_user")
    if user is not None and user.language in languages:
        return user.language
    return "en"


def problem(status: int, code: str, detail: str, **extra: Any) -> Response:
    body = {"type": PROBLEM_TYPE + code, "title": _title(status), "status": status, "detail": detail,
            "code": code, **extra}
    response = current_app.response_class(json.dumps(body), status=status, mimetype="application/problem+json")
    response.headers["Content-Language"] = api_language()
    return response


def _title(status: int) -> str:
    with force_locale(api_language()):
        titles = {
            400: _("The request is not valid."), 401: _("A valid API token is needed."),
            403: _("You may not do this."), 404: _("Not found."), 405: _("This method is not allowed here."),
            409: _("The case changed meanwhile."), 412: _("The case changed meanwhile."),
            413: _("The file is too large."), 415: _("This content type is not accepted."),
            422: _("The request cannot be carried out."), 428: _("The case version is needed (If-Match)."),
            429: _("Too many requests: wait a moment."),
        }
        return titles.get(status, _("Something went wrong."))


def engine_problem(error: EngineError) -> Response:
    lang = api_language()
    if isinstance(error, ConflictError):
        return problem(409, "conflict", error.message(lang), current_version=error.params.get("actual"),
                       changes=error.changes)
    if isinstance(error, StaleEntry):
        return problem(409, "conflict", error.message(lang), current_version=error.params.get("actual"), changes=[])
    if isinstance(error, (NotFound, EntryNotFound)):
        return problem(404, error.code, error.message(lang))
    if isinstance(error, NotAllowed):
        return problem(403, error.reason_code, error.message(lang))
    if isinstance(error, FormInvalid):
        return problem(422, error.code, error.message(lang), errors=error.messages(lang))
    if isinstance(error, RequirementsNotMet):
        return problem(422, error.code, error.message(lang), exit=error.exit_id,
                       missing=[u.as_dict(lang) for u in error.unmet])
    return problem(422, error.code, error.message(lang))


def http_problem(status: int, detail: str | None = None, code: str | None = None, **extra: Any) -> Response:
    return problem(status, code or f"http_{status}", detail or _title(status), **extra)
