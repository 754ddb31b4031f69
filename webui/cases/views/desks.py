"""The desk pages: the desks an operator sees, and one desk's cases with filters, counts and sorting."""
from __future__ import annotations

from typing import Any

from flask import current_app, render_template, request
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from engine import policy
from engine.i18n import localize
from engine.models import Case, Desk, utcnow
from engine.queries import counts

from ...access import actor, roles_required, visible_desk_ids, visible_desk_or_404
from ...i18n import lang
from ...models import User, UserRole
from ...services import current_pathways, db, services
from ..forms import DeskFilterForm, SUPPLY_CHAIN_LABELS
from ..listing import Filters, desk_page
from . import DESK_ROLES, bp


@bp.get("/desks")
@roles_required(*DESK_ROLES)
def desks():  # noqa: ANN201
    allowed = visible_desk_ids()
    query = select(Desk).order_by(Desk.country, Desk.name)
    if allowed is not None:
        query = query.where(Desk.id.in_(sorted(allowed)))
    rows = list(db().scalars(query))
    now = utcnow()
    ids = [d.id for d in rows]
    active = dict(db().execute(select(Case.desk_id, func.count()).where(
        Case.desk_id.in_(ids), Case.status == "active").group_by(Case.desk_id)).all())
    late = dict(db().execute(select(Case.desk_id, func.count()).where(
        Case.desk_id.in_(ids), Case.status == "active", Case.due_at < now).group_by(Case.desk_id)).all())
    held = dict(db().execute(select(Case.desk_id, func.count()).where(
        Case.desk_id.in_(ids), Case.status == "on_hold").group_by(Case.desk_id)).all())
    return render_template("cases/desks.html", desks=rows, active=active, late=late, held=held)


@bp.get("/desks/<desk_id>")
@roles_required(*DESK_ROLES)
def desk(desk_id: str):  # noqa: ANN201
    desk_row = visible_desk_or_404(desk_id)
    f = Filters.from_args(request.args)
    now = utcnow()
    library = services().library
    session = db()
    result = desk_page(session, desk_id, f, current_app.config["PAGE_SIZE"], now,
                       visible=policy.visible_cases_clause(actor()))
    pathways = _pathways(library)
    stage_counts = counts(session, desks=[desk_id], status="active")
    per_pathway = []
    for pid, pathway in pathways:
        rows = [(s, stage_counts.get((desk_id, pid, s.id), 0)) for s in pathway.stages]
        total = sum(n for _s, n in rows)
        if total:
            per_pathway.append((pid, pathway, rows, total))
    overdue_count = session.scalar(select(func.count()).select_from(Case).where(
        Case.desk_id == desk_id, Case.status == "active", Case.due_at < now)) or 0
    form = DeskFilterForm(MultiDict(request.args))
    form.pathway.choices = [("", _("All pathways"))] + [(pid, localize(p.title, lang())) for pid, p in pathways]
    stage_choices = [("", _("All stages"))]
    seen = set()
    for pid, p in pathways:
        if f.pathway and pid != f.pathway:
            continue
        for s in p.stages:
            if s.id not in seen:
                seen.add(s.id)
                stage_choices.append((s.id, localize(s.title, lang())))
    form.stage.choices = stage_choices
    form.supply_chain.choices = [("", _("All supply chains"))] + [(k, str(v)) for k, v in SUPPLY_CHAIN_LABELS.items()]
    mentors = _mentors()
    form.mentor.choices = [("", _("Any mentor"))] + [(m.id, m.display_name) for m in mentors]
    for name in ("status", "sort", "order"):
        getattr(form, name).data = getattr(f, name)
    return render_template(
        "cases/desk.html", desk=desk_row, result=result, filters=f, form=form, per_pathway=per_pathway,
        overdue_count=overdue_count, now=now, revision_of=lambda rid: library.revision(rid, session).pathway,
    )


def _pathways(_library: Any = None) -> list[tuple[str, Any]]:
    return current_pathways()


def _mentors() -> list[Any]:
    return users_with_role("mentor")


def users_with_role(role: str) -> list[Any]:
    """(id, display_name) of the enabled accounts with a role."""
    return list(db().execute(select(User.id, User.display_name).join(UserRole)
                             .where(UserRole.role == role, User.disabled.is_(False)).order_by(User.display_name)))
