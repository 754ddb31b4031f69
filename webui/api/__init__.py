"""The JSON API (`/api/v1/`): the same engine operations and access rules as the pages, for machine clients
with bearer tokens; its OpenAPI 3.1 document is built from the code by flask-smorest (see docs/api.md)."""
from __future__ import annotations

import http

from flask import Flask
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from .schemas import Problem

PROBLEM_CONTENT_TYPE = "application/problem+json"


class OperaApi(Api):
    """flask-smorest, kept to the API's blueprint: the pages keep their own error pages (no app-wide JSON
    error handler), and the errors it documents are problem documents."""

    ERROR_SCHEMA = Problem

    def _register_error_handlers(self) -> None:
        """The API blueprint answers its own errors (views.py)."""

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_CONTENT_TYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def init_app(app: Flask) -> None:
    from .. import csrf
    from . import resources  # noqa: F401 (its routes join the blueprint before it is registered)
    from .pages import bp as pages_bp
    from .views import bp

    app.config.setdefault("API_TITLE", "OPERA Pathways")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api = OperaApi(app, spec_kwargs={"security": [{"bearer": []}]})
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.register_blueprint(bp)
    csrf.exempt(bp)
    app.register_blueprint(pages_bp)
    app.extensions["opera_api"] = api
