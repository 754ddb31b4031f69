"""The Flask application of the web UI (see the package's docstring)."""
from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any, Mapping

from flask import Flask, g, redirect, render_template, url_for
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy.exc import IntegrityError, OperationalError

from engine import CaseService, PathwayLibrary
from engine.assessment_library import AssessmentLibrary
from engine.db import make_engine, make_session_factory, upgrade
from engine.stored_files import open_file_store

from . import config as config_module
from . import i18n, routing, security
from .access import may_enter
from .services import Services, close_db, db

log = logging.getLogger(__name__)
csrf = CSRFProtect()
login_manager = LoginManager()


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    settings = config_module.resolve(config)
    app = Flask(__name__, instance_path=settings["INSTANCE_PATH"], instance_relative_config=True)
    app.config.update(settings)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config["PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        proxies = app.config["PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]

    routing.init_app(app)
    _init_engine(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    i18n.init_app(app)
    security.init_app(app)
    app.teardown_appcontext(close_db)

    from .admin.views import bp as admin_bp
    from .auth.views import bp as auth_bp
    from .cases.views import bp as cases_bp
    from .designer.views import bp as designer_bp
    from .monitoring.views import bp as monitoring_bp
    from .dossier.views import bp as dossier_bp
    from .portal.views import bp as portal_bp
    from .databank.views import bp as databank_bp
    from .public.views import bp as public_bp
    from .signing.views import bp as signing_bp
    from .mywork import bp as mywork_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(cases_bp)
    app.register_blueprint(mywork_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(designer_bp, url_prefix="/designer")
    app.register_blueprint(dossier_bp)
    app.register_blueprint(portal_bp, url_prefix="/me")
    app.register_blueprint(monitoring_bp, url_prefix="/monitoring")
    app.register_blueprint(databank_bp, url_prefix="/databank")
    app.register_blueprint(public_bp, url_prefix="/catalogue")
    app.register_blueprint(signing_bp)
    from . import api

    api.init_app(app)
    _register_pages(app)
    from . import templating

    templating.init_app(app)
    return app


def _init_engine(app: Flask) -> None:
    url = app.config["DATABASE_URL"]
    if app.config["AUTO_UPGRADE"]:
        upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    library = PathwayLibrary(sessions, app.config["PATHWAYS_DIR"])
    if app.config["SYNC_PATHWAYS"] and Path(app.config["PATHWAYS_DIR"]).is_dir():
        _sync(lambda: _log_refused(library.sync(author="webui"), library.last_outcomes))
    assessments = AssessmentLibrary(sessions, app.config["ASSESSMENTS_DIR"])
    if app.config["SYNC_PATHWAYS"] and Path(app.config["ASSESSMENTS_DIR"]).is_dir():
        _sync(lambda: assessments.sync(known_pathways=set(library.pathway_ids())))
    files = open_file_store(engine, app.instance_path, app.config.get("FILE_STORE"))
    service = CaseService(sessions, library, files, assessments=assessments)
    app.extensions["opera"] = Services(engine, sessions, library, files, service, assessments)


def _sync(run: Any) -> None:
    """Record the files as revisions; two server processes starting together may race: retry."""
    for attempt in range(3):
        try:
            run()
            return
        except (IntegrityError, OperationalError):
            if attempt == 2:
                raise


def _log_refused(report: Any, outcomes: Any = ()) -> None:
    for checked in report:
        for problem in checked.errors:
            log.warning("pathway file refused: %s", problem.format())
    for outcome in outcomes:  # an older file than a revision saved in the browser: kept inactive, said once
        if outcome.action == "kept":
            log.info("%s", outcome.message())


@login_manager.user_loader
def _load_user(user_id: str):  # noqa: ANN202
    from .auth.accounts import session_is_current
    from .models import User

    row = db().execute(_user_with_links().where(User.id == user_id)).unique().one_or_none()
    if row is None:
        return None
    user, seen_at = row
    g.work_seen = (user.id, seen_at)  # for the navigation's My work count (webui.templating)
    return user if user.is_active and session_is_current(user) else None


@functools.cache
def _user_with_links():  # noqa: ANN202
    """The account with its desks and roles, and when it last marked its My work page as seen (the navigation
    counts what arrived since), in one statement: every page asks for them. Built once."""
    from sqlalchemy import select
    from sqlalchemy.orm import joinedload

    from .models import User, WorkSeen

    return (select(User, WorkSeen.seen_at).outerjoin(WorkSeen, WorkSeen.user_id == User.id)
            .options(joinedload(User.desk_links), joinedload(User.role_links)))


def _register_pages(app: Flask) -> None:
    @app.get("/health")
    def health():  # noqa: ANN202
        """A bare page (no database, no template): for load balancers and as the benchmark's baseline."""
        return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}

    @app.get("/")
    def home():  # noqa: ANN202
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login"))
        if may_enter("my_work"):
            return redirect(url_for("mywork.index"))
        return render_template("nothing_here.html")

    for code in (400, 403, 404, 405, 413, 429):
        app.register_error_handler(code, _error_page)
    app.register_error_handler(CSRFError, _csrf_error)


def _error_page(error: Any):  # noqa: ANN202
    code = getattr(error, "code", 500) or 500
    return render_template("error.html", code=code), code


def _csrf_error(error: CSRFError):  # noqa: ANN202
    return render_template("error.html", code=400, csrf=True, reason=error.description), 400


__all__ = ["create_app"]
