"""Every view of a worker's data by staff is logged: the case page, its documents, answers and dossier.

An after-request hook, so that the operator pages need not remember to do it: a successful GET of a
case page by someone who is not a worker of it is noted (who, which case, which page, when).

A page view never takes the database's write lock: the views are kept in the process for a moment
(STAFF_VIEW_LOG_SECONDS, 1 s) and written together, one transaction for all of them, by a thread of their
own, which waits its turn behind another writer instead of a page. The rows (one per worker of the case)
are made when written, from the members the case has then: a worker erased meanwhile is logged under
their pseudonym, as their older views are. Views still kept when the process ends are written on its way
out (a killed process loses at most the last moment's, and says so nowhere: that is the price of pages that
never wait).
"""
from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref
from typing import Any

from flask import Flask, Response, current_app, request
from flask_login import current_user
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import OperationalError

from engine.db import database_problem, writing
from engine.models import CaseMember, utcnow

from .models import StaffAccessLog

LOGGED_BLUEPRINTS = ("cases", "dossier", "api")  # the API: a token acts for its account
EXTENSION = "opera_staff_views"
log = logging.getLogger(__name__)


class StaffViews:
    """The staff views of this process not written yet, and the thread that writes them."""

    def __init__(self, engine: Engine, seconds: float) -> None:
        self.engine = engine
        self.seconds = seconds
        self._pending: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._writing = threading.Lock()  # one write at a time: a caller's flush waits for one under way
        self._writer: threading.Thread | None = None
        atexit.register(_write_at_exit, weakref.ref(self))

    def add(self, view: dict[str, Any]) -> None:
        with self._lock:
            self._pending.append(view)
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_soon, name="staff-view-log", daemon=True)
                self._writer.start()

    def _write_soon(self) -> None:
        while True:
            time.sleep(self.seconds)
            self.write_pending()
            with self._lock:
                if not self._pending:
                    self._writer = None
                    return

    def write_pending(self) -> int:
        """Write the views kept so far (waiting for the write lock, and for a write of them already under way:
        when it returns, every view added before the call is in the database); returns how many rows this call
        wrote."""
        with self._writing:
            return self._write_pending()

    def _write_pending(self) -> int:
        with self._lock:
            views, self._pending = self._pending, []
        if not views:
            return 0
        try:
            with writing(self.engine).begin() as connection:
                rows = _rows(connection, views)
                if rows:
                    connection.execute(insert(StaffAccessLog), rows)
        except OperationalError as exc:
            if database_problem(exc)[0] == "database.busy":
                with self._lock:
                    self._pending[:0] = views  # a long writer held the lock: next time
                return 0
            # Not lost without a trace: the server's log keeps who saw whose data.
            log.exception("staff views could not be logged in the database: %s", views)
            return 0
        return len(rows)


def _rows(connection: Any, views: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per worker of the case (or the one worker the page was about) who is not the viewer."""
    workers: dict[int, list[str]] = {}
    for case_id, person in connection.execute(select(CaseMember.case_id, CaseMember.person_id).where(
            CaseMember.case_id.in_({v["case_id"] for v in views}), CaseMember.kind == "worker")):
        workers.setdefault(case_id, []).append(person)
    return [{"staff_id": v["staff_id"], "person_id": worker, "case_id": v["case_id"], "what": v["what"], "at": v["at"]}
            for v in views for worker in workers.get(v["case_id"], [])
            if worker != v["staff_id"] and v["person"] in (None, worker)]


def _write_at_exit(reference: weakref.ref) -> None:
    views = reference()
    if views is not None:
        views.write_pending()


def staff_views(app: Flask) -> StaffViews:
    return app.extensions[EXTENSION]


def log_staff_view(response: Response) -> Response:
    if request.method != "GET" or response.status_code != 200 or not request.endpoint:
        return response
    if request.blueprint not in LOGGED_BLUEPRINTS or not current_user.is_authenticated:
        return response
    args = request.view_args or {}
    case_id = args.get("case_id")
    if not isinstance(case_id, int):
        return response
    staff_views(current_app).add({"staff_id": current_user.id, "case_id": case_id, "person": args.get("person_id"),
                                  "what": request.endpoint[:100], "at": utcnow()})
    return response


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = StaffViews(app.extensions["opera"].engine,
                                           float(app.config.get("STAFF_VIEW_LOG_SECONDS", 1.0)))
    app.after_request(log_staff_view)
