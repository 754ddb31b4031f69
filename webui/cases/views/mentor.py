"""The mentor's view: the cases assigned to them and the sign-offs waiting for them."""
from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy import select

from engine import policy
from engine.models import Case, utcnow

from ...access import actor, roles_required
from ...i18n import lang
from ...mywork.lists import signoffs_waiting
from ...services import db, services
from . import MENTOR_ROLES, bp


@bp.get("/mentor")
@roles_required(*MENTOR_ROLES)
def mentor():  # noqa: ANN201
    session = db()
    library = services().library
    rows = list(session.scalars(select(Case).where(policy.mentor_cases_clause(current_user.id))
                                .order_by(Case.status, Case.due_at.is_(None), Case.due_at, Case.id)))
    now = utcnow()
    mine, _others = signoffs_waiting(session, library, actor(), rows, lang(), now)
    waiting = [(w.case, w.pathway, w.stage, w.rule, w.blockers) for w in mine if w.rule.role == "mentor"]
    return render_template("cases/mentor.html", cases=rows, waiting=waiting, now=now,
                           revision_of=lambda rid: library.revision(rid, session).pathway)
