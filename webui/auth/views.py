"""Logging in and out, personal settings (name, language, password)."""
from __future__ import annotations

from math import ceil
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from ..models import User
from ..security import hash_password, locked_for, record_failure, record_success, verify_password
from ..services import begin_writing, db, services
from . import accounts
from .forms import LoginForm, PasswordForm, SettingsForm

bp = Blueprint("auth", __name__, template_folder="templates")


def safe_next(target: str | None) -> str | None:
    """Only a path on this site (never another host, nor a scheme-relative //host)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():  # noqa: ANN201
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("home"))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        address = request.remote_addr
        session_db = db()
        user = session_db.scalar(select(User).where(User.email == email))
        wait = locked_for(session_db, email, address, user)
        if wait is not None:
            minutes = max(1, ceil(wait.total_seconds() / 60))
            error = ngettext("Too many failed attempts. Try again in %(num)d minute.",
                             "Too many failed attempts. Try again in %(num)d minutes.", minutes)
            status = 429
        else:
            if verify_password(user, form.password.data) and user is not None and user.is_active:
                session_db = begin_writing()
                user = session_db.get(User, user.id)
                record_success(session_db, email, user, address)
                accounts.start_session(user)
                return redirect(safe_next(request.args.get("next")) or url_for("home"))
            session_db = begin_writing()
            record_failure(session_db, email, address, user)
            error = _("Wrong e-mail or password.")
            status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
def logout():  # noqa: ANN201
    if current_user.is_authenticated:
        accounts.end_session(services().sessions, current_user.id)
    else:
        accounts.end_session()
    flash(_("You are logged out."), "success")
    return redirect(url_for("auth.login"))


@bp.post("/language")
def language():  # noqa: ANN201
    chosen = request.form.get("language", "")
    if chosen not in current_app.config["LANGUAGES"]:
        abort(400)
    session["lang"] = chosen
    if current_user.is_authenticated:
        accounts.change_settings(services().sessions, current_user.id, language=chosen)
    return redirect(safe_next(request.form.get("next")) or url_for("home"))


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():  # noqa: ANN201
    user = db().get(User, current_user.id)
    form = SettingsForm(prefix="settings", obj=user if request.method == "GET" else None)
    if request.method == "GET":
        form.language.data = user.language or ""
    password_form = PasswordForm(prefix="password")
    status = 200
    if request.method == "POST":
        if "settings-display_name" in request.form:
            if form.validate_on_submit():
                language = form.language.data or None
                accounts.change_settings(services().sessions, user.id, display_name=form.display_name.data.strip(),
                                         language=language)
                if language:
                    session["lang"] = language
                flash(_("Your settings are saved."), "success")
                return redirect(url_for("auth.settings"))
            status = 400
        else:
            if password_form.validate_on_submit():
                if not verify_password(user, password_form.current_password.data):
                    password_form.current_password.errors = [_("This is not your current password.")]
                    status = 400
                else:
                    accounts.change_password(services().sessions, user.id,
                                             hash_password(password_form.new_password.data))
                    db().rollback()  # a fresh read: the epoch moved on in the operation's transaction
                    accounts.keep_session(user)  # every other session of the account has ended
                    flash(_("Your password is changed."), "success")
                    return redirect(url_for("auth.settings"))
            else:
                status = 400
    return render_template("auth/settings.html", form=form, password_form=password_form), status
