"""Administration: help desks, user accounts and their roles and desks, mentors of cases."""
from __future__ import annotations

from typing import Any, Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from engine import ConflictError, EngineError, Member
from engine.models import Case, Desk

from ..access import actor, area_required
from ..auth.accounts import keep_session
from ..i18n import lang
from ..models import User, UserRole
from ..security import hash_password
from ..services import db, services
from . import operations
from ..portal.forms import ConfirmForm
from .forms import AssignMentorForm, DeskForm, UserForm

bp = Blueprint("admin", __name__, template_folder="templates")
USERS_SHOWN = 200


@bp.get("/")
@area_required("admin")
def index():  # noqa: ANN201
    session = db()
    mentor_form = AssignMentorForm()
    mentor_form.mentor.choices = _mentor_choices()
    return render_template("admin/index.html", users=session.scalar(select(func.count()).select_from(User)),
                           desks=session.scalar(select(func.count()).select_from(Desk)),
                           cases=session.scalar(select(func.count()).select_from(Case)), mentor_form=mentor_form)


def _mentor_choices() -> list[tuple[str, str]]:
    from ..cases.views import users_with_role

    return [(u.id, u.display_name) for u in users_with_role("mentor")]


@bp.post("/mentors")
@area_required("admin")
def assign_mentor():  # noqa: ANN201
    form = AssignMentorForm()
    form.mentor.choices = _mentor_choices()
    if not form.validate_on_submit():
        flash(_("Give a case number and a mentor."), "error")
        return redirect(url_for("admin.index"))
    case = db().get(Case, form.case_id.data)
    if case is None:
        flash(_("There is no case %(id)s.", id=form.case_id.data), "error")
        return redirect(url_for("admin.index"))
    mentor = db().get(User, form.mentor.data)
    try:
        services().cases.assign_mentor(case.id, actor(), case.version, Member(mentor.id, mentor.display_name))
    except ConflictError:
        flash(_("The case changed meanwhile: try again."), "error")
        return redirect(url_for("admin.index"))
    except EngineError as exc:
        flash(exc.message(lang()), "error")
        return redirect(url_for("admin.index"))
    flash(_("%(mentor)s is the mentor of case %(id)s.", mentor=mentor.display_name, id=case.id), "success")
    return redirect(url_for("admin.index"))


# --- desks ------------------------------------------------------------------------------------------

@bp.get("/desks")
@area_required("admin")
def desks():  # noqa: ANN201
    rows = list(db().scalars(select(Desk).order_by(Desk.country, Desk.name)))
    return render_template("admin/desks.html", desks=rows)


@bp.route("/desks/new", methods=["GET", "POST"])
@area_required("admin")
def new_desk():  # noqa: ANN201
    form = DeskForm()
    return _submit(form, lambda: operations.create_desk(services().sessions, actor(), form.id.data,
                                                        _desk_values(form)),
                   _("The help desk is created."), "admin.desks", "admin/desk_form.html", desk=None)


@bp.route("/desks/<desk_id>", methods=["GET", "POST"])
@area_required("admin")
def edit_desk(desk_id: str):  # noqa: ANN201
    desk = _row_or_404(Desk, desk_id)
    form = DeskForm(obj=desk)
    form.id.data = desk.id
    return _submit(form, lambda: operations.change_desk(services().sessions, actor(), desk.id, _desk_values(form)),
                   _("The help desk is saved."), "admin.desks", "admin/desk_form.html", desk=desk)


def _desk_values(form: DeskForm) -> operations.DeskValues:
    return operations.DeskValues(form.name.data, form.country.data, form.region.data or "")


def _show(form: Any, refused: operations.AdminRefused) -> None:
    """The refusal under the field it is about."""
    getattr(form, refused.field).errors = [refused.message]


def _submit(form: Any, save: Callable[[], Any], saved_text: str, listing: str, template: str,
            **context: Any):  # noqa: ANN202
    """A create or edit form: saved, back to the list; refused, the form again with the refusal under its field."""
    if form.validate_on_submit():
        try:
            save()
        except operations.AdminRefused as refused:
            _show(form, refused)
        else:
            flash(saved_text, "success")
            return redirect(url_for(listing))
    status = 422 if request.method == "POST" else 200
    return render_template(template, form=form, **context), status


# --- users ------------------------------------------------------------------------------------------

@bp.get("/users")
@area_required("admin")
def users():  # noqa: ANN201
    role = request.args.get("role", "")
    q = (request.args.get("q") or "").strip()[:100]
    query = select(User).order_by(User.display_name)
    if role:
        query = query.join(UserRole).where(UserRole.role == role[:32])
    if q:
        pattern = "%" + q.lower().replace("\\", "").replace("%", "").replace("_", "") + "%"
        query = query.where(func.lower(User.display_name).like(pattern) | func.lower(User.email).like(pattern))
    rows = list(db().scalars(query.limit(USERS_SHOWN + 1)))
    return render_template("admin/users.html", users=rows[:USERS_SHOWN], more=len(rows) > USERS_SHOWN, role=role, q=q)


def _desk_choices() -> list[tuple[str, str]]:
    return [(d.id, f"{d.name} ({d.country})") for d in db().scalars(select(Desk).order_by(Desk.country, Desk.name))]


@bp.route("/users/new", methods=["GET", "POST"])
@area_required("admin")
def new_user():  # noqa: ANN201
    form = UserForm()
    form.desks.choices = _desk_choices()

    def create() -> None:
        if not form.password.data:
            raise operations.AdminRefused("password", _("Give a first password."))
        operations.create_user(services().sessions, actor(), form.id.data, _account_values(form),
                               hash_password(form.password.data))
    return _submit(form, create, _("The account is created."), "admin.users", "admin/user_form.html", user=None)


@bp.route("/users/<user_id>", methods=["GET", "POST"])
@area_required("admin")
def edit_user(user_id: str):  # noqa: ANN201
    user = _row_or_404(User, user_id)
    form = UserForm(obj=user if request.method == "GET" else None)
    form.desks.choices = _desk_choices()
    form.id.data = user.id
    if request.method == "GET":
        form.desks.data = user.desk_ids
        form.language.data = user.language or ""
        form.email.data = user.email or ""

    def change() -> None:
        operations.change_user(
            services().sessions, actor(), user.id, _account_values(form),
            password_hash=hash_password(form.password.data) if form.password.data else None,
            clear_failed_logins=bool(form.unlock.data))
        if user.id == current_user.id:
            db().rollback()  # a fresh read: the epoch moved on in the operation's transaction
            keep_session(user)  # one's own changed rights end the other sessions, not this one
    return _submit(form, change, _("The account is saved."), "admin.users", "admin/user_form.html", user=user,
                   sign_out_form=ConfirmForm())


@bp.post("/users/<user_id>/sign-out")
@area_required("admin")
def sign_out_everywhere(user_id: str):  # noqa: ANN201
    """Every login session of the account ends (for one's own account, this one too)."""
    _row_or_404(User, user_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    operations.end_sessions(services().sessions, actor(), user_id)
    flash(_("The account is signed out everywhere."), "success")
    return redirect(url_for("admin.edit_user", user_id=user_id))


def _row_or_404(model: type[Any], key: str) -> Any:
    """The desk or account the address names (404 for none)."""
    row = db().get(model, key)
    if row is None:
        abort(404)
    return row


def _account_values(form: UserForm) -> operations.AccountValues:
    return operations.AccountValues(
        email=form.email.data, display_name=form.display_name.data, roles=list(form.roles.data),
        desks=list(form.desks.data), language=form.language.data or None, disabled=bool(form.disabled.data))
