"""Every view of a worker's data by staff is logged: the case page, its documents, answers and dossier.

An after-request hook, so that the operator pages need not remember to do it: a successful GET of a
case page by someone who is not a worker of it writes one row per worker of the case.
"""
from __future__ import annotations

from flask import Flask, Response, request
from flask_login import current_user
from sqlalchemy import insert, select

from engine.db import writing
from engine.models import CaseMember, utcnow

from ..services import db, services
from .models import StaffAccessLog

LOGGED_BLUEPRINTS = ("cases", "dossier", "api")  # the API: a token acts for its account


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
        # A transaction of its own that writes (see engine.db.writing).
        with writing(services().engine).begin() as connection:
            connection.execute(insert(StaffAccessLog), rows)
    return response


def init_app(app: Flask) -> None:
    app.after_request(log_staff_view)
