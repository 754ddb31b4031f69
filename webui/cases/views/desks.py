"""The desk pages: the desks an operator sees, and one desk's cases with filters, counts and sorting."""
from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, ngettext
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from engine import policy
from engine.i18n import localize
from engine.models import Case, Desk, utcnow
from engine.queries import counts

from ...access import actor, roles_required, visible_desk_ids, visible_desk_or_404
from ...i18n import lang
from engine import Member

from ...models import SavedFilter, User, UserRole
from ...routing import posted_text
from ...services import current_pathways, db, services
from .. import bulk, operations
from ..forms import DeskFilterForm, SUPPLY_CHAIN_LABELS
from ..listing import SAVED_KEYS, Filters, desk_page
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
    form.status.data = f.status
    form.sort.data = f"{f.sort}:{f.order}"
    saved = list(session.scalars(select(SavedFilter).where(SavedFilter.user_id == actor().id)
                                 .order_by(SavedFilter.name)))
    return render_template(
        "cases/desk.html", desk=desk_row, result=result, filters=f, form=form, per_pathway=per_pathway,
        overdue_count=overdue_count, now=now, revision_of=lambda rid: library.revision(rid, session).pathway,
        saved_filters=saved, mentors=mentors, back=request.full_path.rstrip("?"),
    )


def _back(desk_id: str) -> str:
    """Where to return after an action of the desk list: the list as it was (only this desk's page)."""
    back = request.form.get("back", "")
    prefix = url_for("cases.desk", desk_id=desk_id)
    return back if back == prefix or back.startswith(prefix + "?") else prefix


@bp.post("/desks/<desk_id>/bulk")
@roles_required(*DESK_ROLES)
def bulk_action(desk_id: str):  # noqa: ANN201
    desk_row = visible_desk_or_404(desk_id)
    action = request.form.get("action", "")
    ids = bulk.case_ids(request.form.getlist("case"))
    back = _back(desk_id)
    if action not in bulk.ACTIONS:
        abort(400)
    if not ids:
        flash(_("Select at least one case in the list first."), "error")
        return redirect(back)
    mentor = None
    if action == "mentor":
        mentor = db().get(User, request.form.get("mentor", ""))
        if mentor is None or not mentor.has("mentor") or mentor.disabled:
            flash(_("Choose a mentor."), "error")
            return redirect(back)
    selection = bulk.select_cases(db(), actor(), desk_id, ids)
    page = {"desk": desk_row, "action": action, "mentor": mentor, "selection": selection, "back": back}
    if selection.refused:
        # Nothing is done: the user sees which cases are not theirs to act on.
        return render_template("cases/bulk.html", **page), 403
    if request.form.get("confirmed") != "1":
        return render_template("cases/bulk.html", **page)
    if mentor is not None:
        outcome = bulk.assign_mentor(services().cases, actor(), selection.cases,
                                     Member(mentor.id, mentor.display_name), lang())
        done = ngettext("%(num)d case has a new mentor.", "%(num)d cases have a new mentor.", len(outcome.done))
    else:
        outcome = bulk.remind(services().sessions, actor(), selection.cases,
                              _("The case is not active: there is no step to remind of."))
        done = ngettext("A reminder is sent to the workers of %(num)d case.",
                        "A reminder is sent to the workers of %(num)d cases.", len(outcome.done))
    if outcome.done:
        flash(done, "success")
    for case_id, why in outcome.failed:
        flash(_("Case #%(id)s: %(why)s", id=case_id, why=why), "error")
    return redirect(back)


@bp.post("/desks/<desk_id>/filters")
@roles_required(*DESK_ROLES)
def save_filter(desk_id: str):  # noqa: ANN201
    visible_desk_or_404(desk_id)
    name = posted_text("name", 80, one_line=True)
    back = _back(desk_id)
    if not name:
        flash(_("Give the saved filters a name."), "error")
        return redirect(back)
    query = {k: v[:200] for k in SAVED_KEYS if (v := request.form.get(k, ""))}
    operations.save_filter(services().sessions, actor(), name, query)
    flash(_("The filters are saved as “%(name)s”.", name=name), "success")
    return redirect(back)


@bp.post("/desks/<desk_id>/filters/<int:filter_id>/delete")
@roles_required(*DESK_ROLES)
def delete_filter(desk_id: str, filter_id: int):  # noqa: ANN201
    visible_desk_or_404(desk_id)
    if not operations.delete_filter(services().sessions, actor(), filter_id):
        abort(404)
    flash(_("The saved filters are deleted."), "success")
    return redirect(_back(desk_id))


def _pathways(_library: Any = None) -> list[tuple[str, Any]]:
    return current_pathways()


def _mentors() -> list[Any]:
    return users_with_role("mentor")


def users_with_role(role: str) -> list[Any]:
    """(id, display_name) of the enabled accounts with a role."""
    return list(db().execute(select(User.id, User.display_name).join(UserRole)
                             .where(UserRole.role == role, User.disabled.is_(False)).order_by(User.display_name)))
