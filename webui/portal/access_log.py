"""Every view of a worker's data by staff is logged: the case page, its documents, answers and dossier.

An after-request hook, so that the operator pages need not remember to do it: a successful GET of a
case page by someone who is not a worker of it writes one row per worker of the case.

A page view never waits for the database's write lock: when another writer holds it (SQLite allows one),
the rows are written once the page has been sent, waiting their turn then.
"""
from __future__ import annotations

import logging
from functools import partial
from typing import Any

from flask import Flask, Response, request
from flask_login import current_user
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import OperationalError

from engine.db import database_problem, writing
from engine.models import CaseMember, utcnow

from ..services import db, services
from .models import StaffAccessLog

LOGGED_BLUEPRINTS = ("cases", "dossier", "api")  # the API: a token acts for its account
log = logging.getLogger(__name__)


def log_staff_view(response: Response) -> Response:
    if request.method != "GET" or response.status_code != 200 or not request.endpoint:
        return response
    if request.blueprint not in LOGGED_BLUEPRINTS or not current_user.is_authenticated:
        return response
    args = request.view_args or {}
    case_id = args.get("case_id")
    if not isinstance(case_id, int):
        return response
    person = args.get("person_id")
    workers = db().execute(select(CaseMember.person_id).where(
        CaseMember.case_id == case_id, CaseMember.kind == "worker")).scalars().all()
    rows = [{"staff_id": current_user.id, "person_id": worker, "case_id": case_id,
             "what": request.endpoint[:100], "at": utcnow()}
            for worker in (workers if person is None else [w for w in workers if w == person])
            if worker != current_user.id]
    if rows:
        engine = services().engine
        try:
            _write(writing(engine, wait=False), rows)
        except OperationalError as exc:
            if database_problem(exc)[0] != "database.busy":
                raise
            response.call_on_close(partial(_write_after_the_page, writing(engine), rows))
    return response


def _write(engine: Engine, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as connection:
        connection.execute(insert(StaffAccessLog), rows)


def _write_after_the_page(engine: Engine, rows: list[dict[str, Any]]) -> None:
    try:
        _write(engine, rows)
    except OperationalError:
        # Not lost without a trace: the server's log keeps who saw whose data.
        log.exception("staff views could not be logged in the database: %s", rows)


def init_app(app: Flask) -> None:
    app.after_request(log_staff_view)
