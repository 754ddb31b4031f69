"""The mentor's view: the cases assigned to them and the sign-offs waiting for them."""
from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy import select

from engine import policy
from engine.models import Case, Desk, utcnow
from engine.requirements import StageState

from ...access import actor, roles_required
from ...i18n import lang
from ...services import db, services
from . import MENTOR_ROLES, bp


@bp.get("/mentor")
@roles_required(*MENTOR_ROLES)
def mentor():  # noqa: ANN201
    session = db()
    library = services().library
    rows = list(session.scalars(select(Case).where(policy.mentor_cases_clause(current_user.id))
                                .order_by(Case.status, Case.due_at.is_(None), Case.due_at, Case.id)))
    waiting = []
    now = utcnow()
    for row in rows:
        if row.status != "active":
            continue
        pathway = library.revision(row.revision_id, session).pathway
        stage = pathway.stage(row.stage_id)
        rules = [r for r in (stage.signoffs if stage else ()) if r.role == "mentor"]
        if not rules:
            continue
        state = StageState.load(session, row, pathway, now)
        for rule in rules:
            blockers = policy.sign_refusals(actor(), state, rule)
            if any(b.code in policy.SIGNOFF_DONE for b in blockers):
                continue  # not waiting for me any more
            waiting.append((row, pathway, stage, rule, [b.message(lang()) for b in blockers]))
    return render_template("cases/mentor.html", cases=rows, waiting=waiting, now=now,
                           revision_of=lambda rid: library.revision(rid, session).pathway,
                           desks={d.id: d for d in session.scalars(select(Desk))})
