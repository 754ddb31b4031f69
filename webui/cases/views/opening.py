"""Opening a case for one worker or a group: new workers get an account in the case's own transaction
(webui/cases/operations.py).
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from engine import EngineError, Member, NotAllowed, policy
from engine.i18n import localize
from engine.models import Desk

from ...access import actor, roles_required
from ...i18n import lang
from ...models import User
from ...services import db, services
from .. import operations
from ..forms import OpenCaseForm
from . import DESK_ROLES, bp
from .desks import _mentors, _pathways


@bp.route("/cases/new", methods=["GET", "POST"])
@roles_required(*DESK_ROLES)
def new_case():  # noqa: ANN201
    library = services().library
    allowed = policy.working_desk_ids(actor())
    desk_query = select(Desk).order_by(Desk.country, Desk.name)
    if allowed is not None:
        desk_query = desk_query.where(Desk.id.in_(sorted(allowed)))
    desk_rows = list(db().scalars(desk_query))
    if not desk_rows:
        abort(403)
    pathways = _pathways(library)
    form = OpenCaseForm()
    form.desk.choices = [(d.id, f"{d.name} ({d.country})") for d in desk_rows]
    form.pathway.choices = [(pid, localize(p.title, lang())) for pid, p in pathways]
    form.mentor.choices = [("", _("No mentor yet"))] + [(m.id, m.display_name) for m in _mentors()]
    if request.method == "GET":
        wanted = request.args.get("desk")
        form.desk.data = wanted if wanted in {d.id for d in desk_rows} else desk_rows[0].id
    status = 200
    errors: list[str] = []
    if request.method == "POST" and "more" in request.form:
        form.workers.append_entry()
    elif form.validate_on_submit():
        members, new_users, errors = _members_from(form)
        if not errors:
            mentor_members = []
            if form.mentor.data:
                mentor = db().get(User, form.mentor.data)
                if mentor is None or not mentor.has("mentor"):
                    abort(400)
                mentor_members.append(Member(mentor.id, mentor.display_name))
            try:
                receipt = operations.open_case(
                    actor(), new_accounts=new_users, pathway_id=form.pathway.data, desk_id=form.desk.data,
                    members=members, mentors=mentor_members, supply_chains=form.supply_chains.data or [],
                    title=(form.title.data or "").strip())
            except NotAllowed:
                abort(404)
            except EngineError as exc:
                errors.append(exc.message(lang()))
            except operations.AccountTaken as exc:
                errors.append(exc.message())
            else:
                flash(_("The case is open."), "success")
                return redirect(url_for("cases.case", case_id=receipt.case_id))
        status = 422
    elif request.method == "POST":
        status = 422
    return render_template("cases/new.html", form=form, errors=errors, pathways=pathways), status


def _members_from(form: OpenCaseForm) -> tuple[list[Member], list[User], list[str]]:
    """The workers typed in, the accounts to create for the new ones, and what is wrong."""
    members: list[Member] = []
    new_users: list[User] = []
    errors: list[str] = []
    seen: set[str] = set()
    for entry in form.workers.entries:
        typed = operations.TypedWorker(entry.form.name.data or "", entry.form.email.data or "",
                                       entry.form.sex.data or None, entry.form.birth_year.data or "")
        email = typed.email.strip().lower()
        if not typed.name.strip() and not email:
            continue
        if email in seen:
            errors.append(_("%(email)s is written twice.", email=email))
            continue
        if email:
            seen.add(email)
        member, account, error = operations.worker_from(db(), typed)
        if error:
            errors.append(error)
            continue
        members.append(member)
        if account is not None:
            new_users.append(account)
    if not members and not errors:
        errors.append(_("Name at least one worker."))
    return members, new_users, errors
