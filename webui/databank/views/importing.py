"""Importing profiles or resources from CSV/XLSX: a report per row first, then all rows or none."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from databank.exchange import import_file
from engine import NotAllowed

from ...access import actor, roles_required
from ...i18n import lang
from ...services import databank as bank, services
from ..forms import ImportForm
from ..pending import PendingImports
from . import ROLES, bp
from .entries import _editable_desks, _fresh


def pending_imports() -> PendingImports:
    opera = services()
    return PendingImports(opera.engine, opera.sessions, opera.files)


@bp.route("/import", methods=["GET", "POST"])
@roles_required(*ROLES)
def import_page():  # noqa: ANN201
    desks = _editable_desks()
    if not desks:
        abort(403)
    form = ImportForm()
    form.desk_id.choices = desks
    if request.method == "GET":
        if request.args.get("kind") in ("profiles", "resources"):
            form.kind.data = request.args["kind"]
        return render_template("databank/import.html", form=form, report=None, token=None, error=None)
    upload = request.files.get("file")
    error = None
    if not form.validate_on_submit():
        error = _("The form has expired: send it again.") if form.csrf_token.errors else _("Check the form.")
    elif form.desk_id.data not in dict(desks):
        abort(403)
    elif upload is None or not upload.filename:
        error = _("Choose a CSV or XLSX file.")
    if error:
        return render_template("databank/import.html", form=form, report=None, token=None, error=error), 422
    content = upload.read()
    try:
        report = import_file(bank(), actor(), form.kind.data, upload.filename, content, form.desk_id.data,
                             dry_run=True)
    except NotAllowed:
        abort(403)
    token = None
    if report.ok and report.rows:
        token = pending_imports().put(actor().id, form.kind.data, form.desk_id.data, upload.filename, content)
    return render_template("databank/import.html", form=form, report=report, token=token, error=None,
                           filename=upload.filename), 200 if report.ok else 422


@bp.post("/import/<token>")
@roles_required(*ROLES)
def confirm_import(token: str):  # noqa: ANN201
    form = ImportForm()
    desks = _editable_desks()
    form.desk_id.choices = desks
    if not form.validate_on_submit() and form.csrf_token.errors:
        abort(400)
    store = pending_imports()
    pending = store.get(token, actor().id)
    if pending is None:
        flash(_("This import is no longer waiting (done already, or more than a day old): upload the file again."),
              "error")
        return redirect(url_for("databank.import_page"))
    try:
        report = import_file(bank(), actor(), pending.kind, pending.filename, pending.content, pending.desk_id)
    except NotAllowed:
        abort(403)
    if not report.committed:
        # Something changed since the check (an entry edited meanwhile...): nothing was written.
        form.kind.data, form.desk_id.data = pending.kind, pending.desk_id
        return render_template("databank/import.html", form=form, report=report, token=None, error=None,
                               filename=pending.filename), 409
    store.drop(token)
    _fresh()
    flash(report.summary(lang()), "success")
    return redirect(url_for("databank.profiles" if pending.kind == "profiles" else "databank.resources"))
