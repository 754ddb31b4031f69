"""A structural resource: its page, its form, its status, its photos and documents, deleting it."""
from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from databank.errors import DatabankError, EntryInvalid, EntryNotFound, StaleEntry
from databank.operations import may_edit
from databank.vocabulary import CATEGORIES, label
from engine import NotAllowed
from engine.models import Case, Desk

from ...access import actor, is_manager_of, roles_required
from ...i18n import lang
from ...security import send_private_file
from ...services import databank as bank, db
from ..forms import FileForm, ResourceForm, fill_resource_choices
from . import ROLES, bp
from .entries import (
    _delete_entry, _fresh, _initial_text, _or_404, _posted_int, _save_entry, entry_form_to_edit, new_entry_form,
)


RESOURCE_TEXT_FIELDS = ("desk_id", "category", "title", "description", "region", "province", "municipality",
                        "address", "latitude", "longitude", "surface_m2", "capacity", "condition", "available_from",
                        "terms", "owner_kind", "owner_name", "contact_name", "contact_email", "contact_phone",
                        "origin_firm", "origin_firm_nace")


@bp.get("/resources/<int:resource_id>")
@roles_required(*ROLES)
def resource(resource_id: int):  # noqa: ANN201
    return _resource_page(resource_id)


def _resource_page(resource_id: int, status: int = 200, error: str | None = None,
                   file_form: FileForm | None = None, typed: dict[str, str] | None = None):  # noqa: ANN202
    record = _or_404(lambda: bank().get_resource(actor(), resource_id, lang()))
    case = db().get(Case, record["reserved_case_id"]) if record["reserved_case_id"] else None
    cases = {c.id: c for c in db().scalars(select(Case).where(Case.id.in_({x["case_id"] for x in record["links"]})))}
    return render_template(
        "databank/resource.html", resource=record, editable=may_edit(actor(), record["desk_id"]), case=case,
        manages=lambda c: c is not None and is_manager_of(c), cases=cases, error=error,
        file_form=file_form or FileForm(formdata=None), desk=db().get(Desk, record["desk_id"]),
        typed=typed or {}), status


@bp.route("/resources/new", methods=["GET", "POST"])
@roles_required(*ROLES)
def new_resource():  # noqa: ANN201
    form, desks = new_entry_form(ResourceForm, condition="good", owner_kind="firm")
    if request.method == "GET" and request.args.get("category") in CATEGORIES:
        form.category.data = request.args["category"]
    return _save_resource(form, desks, None)


@bp.route("/resources/<int:resource_id>/edit", methods=["GET", "POST"])
@roles_required(*ROLES)
def edit_resource(resource_id: int):  # noqa: ANN201
    form, desks, record = entry_form_to_edit(lambda: bank().get_resource(actor(), resource_id, lang()),
                                             ResourceForm, _resource_initial)
    return _save_resource(form, desks, record)


def _save_resource(form: ResourceForm, desks: list[tuple[str, str]], record: dict[str, Any] | None):  # noqa: ANN202
    return _save_entry(
        form, desks, record, data_of=resource_data, initial=_resource_initial,
        create=bank().create_resource, update=bank().update_resource,
        stale=_("Someone else changed this resource after you opened it: nothing was saved. "
                "Open it again to see the changes, then make yours."),
        saved_text=_("The resource is saved."),
        shown=lambda entry_id: url_for("databank.resource", resource_id=entry_id),
        fill=fill_resource_choices, template="databank/resource_form.html")


def resource_data(form: ResourceForm) -> dict[str, Any]:
    data: dict[str, Any] = {name: (getattr(form, name).data or "").strip() for name in RESOURCE_TEXT_FIELDS}
    data["offers"] = list(form.offers.data or [])
    data["supply_chains"] = list(form.supply_chains.data or [])
    data["published"] = bool(form.published.data)
    data["exact_location_public"] = bool(form.exact_location_public.data)
    return data


def _resource_initial(record: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {name: _initial_text(record.get(name)) for name in RESOURCE_TEXT_FIELDS}
    data.update({"version": str(record["version"]), "offers": list(record["offers"]),
                 "supply_chains": list(record["supply_chains"]), "published": bool(record["published"]),
                 "exact_location_public": bool(record.get("exact_location_public"))})
    return data


@bp.post("/resources/<int:resource_id>/delete")
@roles_required(*ROLES)
def delete_resource(resource_id: int):  # noqa: ANN201
    return _delete_entry(bank().delete_resource, resource_id, _("The resource is erased."), "databank.resources",
                         refused=lambda exc: _resource_page(resource_id, 409, exc.message(lang())))


@bp.post("/resources/<int:resource_id>/status")
@roles_required(*ROLES)
def resource_status(resource_id: int):  # noqa: ANN201
    """Available or taken by someone outside the cases (a reservation goes through a case)."""
    wanted = request.form.get("status", "")
    record = _or_404(lambda: bank().get_resource(actor(), resource_id, lang()))
    if not may_edit(actor(), record["desk_id"]):
        abort(403)
    if wanted not in ("available", "taken"):
        return _resource_page(resource_id, 422, _("Choose a status."))
    try:
        bank().update_resource(actor(), resource_id, _version_of(request.form), {"status": wanted})
    except StaleEntry:
        return _resource_page(resource_id, 409, _("Someone else changed this resource after you opened it: "
                                                  "nothing was saved. Check it, then try again."))
    except EntryInvalid as exc:
        return _resource_page(resource_id, 422, " ".join(m for ms in exc.field_errors(lang()).values() for m in ms))
    _fresh()
    flash(_("The status is now: %(status)s.", status=label("status", wanted, lang())), "success")
    return redirect(url_for("databank.resource", resource_id=resource_id))


@bp.post("/resources/<int:resource_id>/translations")
@roles_required(*ROLES)
def translate_resource(resource_id: int):  # noqa: ANN201
    """The title and description for the public catalogue in another language (both empty: removed)."""
    language = request.form.get("language", "")
    title = (request.form.get("title") or "")[:1000]
    description = (request.form.get("description") or "")[:20000]
    try:
        bank().translate_resource(actor(), resource_id, language, title, description)
    except EntryNotFound:
        abort(404)
    except NotAllowed:
        abort(403)
    except EntryInvalid as exc:
        return _resource_page(resource_id, 422, " ".join(m for ms in exc.field_errors(lang()).values() for m in ms),
                              typed={"language": language, "title": title, "description": description})
    flash(_("The translation is saved.") if title.strip() else _("The translation is removed."), "success")
    return redirect(url_for("databank.resource", resource_id=resource_id, _anchor="translations"))


def _version_of(form: MultiDict) -> int:
    return _posted_int(form.get("version"))


@bp.post("/resources/<int:resource_id>/files")
@roles_required(*ROLES)
def add_file(resource_id: int):  # noqa: ANN201
    record = _or_404(lambda: bank().get_resource(actor(), resource_id, lang()))
    if not may_edit(actor(), record["desk_id"]):
        abort(403)
    form = FileForm()
    upload = request.files.get("file")
    if not form.validate_on_submit():
        return _resource_page(resource_id, 422, _("The form has expired: send it again.")
                              if form.csrf_token.errors else _("Choose a photo or a document."), form)
    if upload is None or not upload.filename:
        return _resource_page(resource_id, 422, _("Choose a file to upload."), form)
    try:
        bank().add_resource_file(actor(), resource_id, form.kind.data, upload.filename, upload.read(),
                                 form.caption.data or "")
    except NotAllowed:
        abort(403)
    except DatabankError as exc:
        return _resource_page(resource_id, 422, exc.message(lang()), form)
    _fresh()
    flash(_("The file is attached."), "success")
    return redirect(url_for("databank.resource", resource_id=resource_id, _anchor="files"))


@bp.get("/resources/<int:resource_id>/files/<int:file_id>")
@roles_required(*ROLES)
def resource_file(resource_id: int, file_id: int):  # noqa: ANN201
    record = _or_404(lambda: bank().get_resource(actor(), resource_id, lang()))
    row = next((f for f in record["files"] if f["id"] == file_id), None)
    if row is None:
        abort(404)
    inline = row["kind"] == "photo" and row["content_type"] in ("image/jpeg", "image/png")
    return send_private_file(row["sha256"], row["content_type"], row["filename"], inline=inline)


@bp.post("/resources/<int:resource_id>/files/<int:file_id>/remove")
@roles_required(*ROLES)
def remove_file(resource_id: int, file_id: int):  # noqa: ANN201
    try:
        bank().remove_resource_file(actor(), resource_id, file_id)
    except EntryNotFound:
        abort(404)
    except NotAllowed:
        abort(403)
    _fresh()
    flash(_("The file is removed."), "success")
    return redirect(url_for("databank.resource", resource_id=resource_id, _anchor="files"))
