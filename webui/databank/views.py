"""Databank pages for help-desk operators: profiles and structural resources, their search with facets,
forms, photos and documents, import and export, and the matching page of a case.

Who may see or change what is decided by the databank (`databank.operations`): these views pass the
actor of the request and turn refusals into pages. An operator of another desk sees a resource read-only
and a profile without its personal part (unless the worker consented); workers, mentors and designers
have nothing here (403); a case one may not manage answers 404.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlencode
from typing import Any, Callable

from flask import (
    Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from databank import esco
from databank.errors import DatabankError, EntryInvalid, EntryNotFound, Problem, StaleEntry
from databank.exchange import export_profiles, export_resources, import_file
from databank.matching import need_for_case, suggest_profiles, suggest_resources
from databank.models import Profile, Resource
from databank.operations import may_edit
from databank.search import search_profiles, search_resources
from databank.text import normalized
from databank.vocabulary import CATEGORIES, OFFERS, STATUSES, label
from engine import ConflictError, EngineError, NotAllowed, policy
from engine.models import Case, Desk

from ..access import actor, area_required, is_manager_of, managed_case_or_404, roles_required
from ..i18n import lang
from ..services import databank as bank
from ..services import db
from ..security import send_private_file
from .forms import (
    MAX_ROWS, OWN_PROFILE_FIELDS, FileForm, ImportForm, MatchingForm, OwnProfileForm, ProfileForm, ResourceForm,
    fill_matching_choices, fill_own_profile_choices, fill_profile_choices, fill_resource_choices, set_errors,
)
from .lists import PROFILE_FACETS, RESOURCE_FACETS, ListArgs
from .pending import PendingImports

bp = Blueprint("databank", __name__, template_folder="templates")
ROLES = policy.AREAS["databank"]
EXPORT_TYPES = {"csv": "text/csv; charset=utf-8",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
PROFILE_TEXT_FIELDS = ("desk_id", "display_name", "email", "phone", "summary", "years_experience", "qualifications",
                       "languages", "region", "province", "municipality", "latitude", "longitude", "mobility",
                       "availability", "available_from", "origin_firm", "origin_firm_nace", "case_id", "person_id")
RESOURCE_TEXT_FIELDS = ("desk_id", "category", "title", "description", "region", "province", "municipality",
                        "address", "latitude", "longitude", "surface_m2", "capacity", "condition", "available_from",
                        "terms", "owner_kind", "owner_name", "contact_name", "contact_email", "contact_phone",
                        "origin_firm", "origin_firm_nace")


def pending_imports() -> PendingImports:
    return PendingImports(Path(current_app.instance_path) / "databank-imports")


def _texts() -> dict[str, str]:
    return {"none": _("Not given"), "level": _("Level not given"), "choose": _("Choose…"), "any": _("Any")}


def _editable_desks() -> list[tuple[str, str]]:
    desks = policy.working_desk_ids(actor())
    query = select(Desk.id, Desk.name).order_by(Desk.country, Desk.name)
    if desks is not None:
        query = query.where(Desk.id.in_(sorted(desks)))
    return [(d, name) for d, name in db().execute(query)]


def _fresh() -> None:
    """A new snapshot for the request's session: the databank wrote in its own transaction."""
    db().rollback()


# --- overview ----------------------------------------------------------------------------------------

@bp.get("/")
@roles_required(*ROLES)
def index():  # noqa: ANN201
    me = actor()
    session = db()
    own = sorted(me.desks)
    profiles = session.scalar(select(func.count()).select_from(Profile)) or 0
    own_profiles = session.scalar(select(func.count()).select_from(Profile).where(Profile.desk_id.in_(own))) or 0
    by_status = dict(session.execute(select(Resource.status, func.count()).group_by(Resource.status)).all())
    by_category = dict(session.execute(select(Resource.category, func.count()).group_by(Resource.category)).all())
    return render_template(
        "databank/index.html", profiles=profiles, own_profiles=own_profiles, own=own,
        statuses=[(s, label("status", s, lang()), by_status.get(s, 0)) for s in STATUSES],
        categories=[(c, label("category", c, lang()), by_category.get(c, 0)) for c in CATEGORIES],
        resources=sum(by_status.values()), editable=bool(_editable_desks()))


# --- lists -------------------------------------------------------------------------------------------

@bp.get("/profiles")
@roles_required(*ROLES)
def profiles():  # noqa: ANN201
    args = ListArgs.read("profiles", request.args)
    query = args.profile_query(current_app.config["PAGE_SIZE"])
    result = search_profiles(db(), actor(), query, lang())
    return render_template("databank/profiles.html", args=args, result=result, facet_names=PROFILE_FACETS,
                           facet_titles=_facet_titles(), editable=bool(_editable_desks()))


@bp.get("/resources")
@roles_required(*ROLES)
def resources():  # noqa: ANN201
    args = ListArgs.read("resources", request.args)
    query = args.resource_query(current_app.config["PAGE_SIZE"])
    result = search_resources(db(), actor(), query, lang())
    return render_template("databank/resources.html", args=args, result=result, facet_names=RESOURCE_FACETS,
                           facet_titles=_facet_titles(), editable=bool(_editable_desks()))


def _facet_titles() -> dict[str, str]:
    return {"occupation": _("Occupations"), "skill": _("Skills"), "region": _("Region"),
            "province": _("Province or département"), "supply_chain": _("Supply chain"),
            "availability": _("Availability"), "mobility": _("Mobility"), "desk": _("Help desk"),
            "category": _("Category"), "status": _("Status"), "offer": _("Offered for"),
            "condition": _("Condition"), "size_band": _("Surface")}


@bp.get("/profiles/export.<any(csv, xlsx):fmt>")
@roles_required(*ROLES)
def export_profile_list(fmt: str):  # noqa: ANN201
    args = ListArgs.read("profiles", request.args)
    body = export_profiles(db(), actor(), args.profile_query(1), fmt, lang())
    return _download(body, fmt, "profiles")


@bp.get("/resources/export.<any(csv, xlsx):fmt>")
@roles_required(*ROLES)
def export_resource_list(fmt: str):  # noqa: ANN201
    args = ListArgs.read("resources", request.args)
    body = export_resources(db(), actor(), args.resource_query(1), fmt, lang())
    return _download(body, fmt, "resources")


def _download(body: bytes, fmt: str, name: str) -> Response:
    return Response(body, mimetype=EXPORT_TYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="{name}.{fmt}"', "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff"})


# --- profiles ----------------------------------------------------------------------------------------

@bp.get("/profiles/<int:profile_id>")
@roles_required(*ROLES)
def profile(profile_id: int):  # noqa: ANN201
    record = _or_404(lambda: bank().get_profile(actor(), profile_id, lang()))
    case = db().get(Case, record["case_id"]) if record.get("case_id") else None
    return render_template("databank/profile.html", profile=record, editable=may_edit(actor(), record["desk_id"]),
                           case=case, case_visible=case is not None and is_manager_of(case))


@bp.route("/profiles/new", methods=["GET", "POST"])
@roles_required(*ROLES)
def new_profile():  # noqa: ANN201
    desks = _editable_desks()
    if not desks:
        abort(403)
    form = ProfileForm()
    if request.method == "GET":
        form.desk_id.data = request.args.get("desk") if request.args.get("desk") in dict(desks) else desks[0][0]
        form.availability.data, form.mobility.data = "available", "region"
        for name in ("case_id", "person_id", "display_name"):
            if request.args.get(name):
                getattr(form, name).data = request.args.get(name, "")[:200]
        _pad(form)
    return _save_profile(form, desks, None)


@bp.route("/profiles/<int:profile_id>/edit", methods=["GET", "POST"])
@roles_required(*ROLES)
def edit_profile(profile_id: int):  # noqa: ANN201
    record = _or_404(lambda: bank().get_profile(actor(), profile_id, lang()))
    if not may_edit(actor(), record["desk_id"]):
        abort(403)
    desks = _editable_desks()
    if record["desk_id"] not in dict(desks):
        desks.append((record["desk_id"], record["desk_id"]))
    if request.method == "GET":
        form = ProfileForm(formdata=None, data=_profile_initial(record))
        _pad(form)
    else:
        form = ProfileForm()
    return _save_profile(form, desks, record)


def _pad(form: ProfileForm, occupations: int = 2, skills: int = 4) -> None:
    """Empty rows to type new occupations and skills into."""
    for field, wanted in ((form.occupations, occupations), (form.skills, skills)):
        for _i in range(max(0, min(wanted, MAX_ROWS - len(field.entries)))):
            field.append_entry()


def _save_profile(form: ProfileForm, desks: list[tuple[str, str]], record: dict[str, Any] | None):  # noqa: ANN202
    if request.method == "POST":
        more = next((name for name in ("more_occupations", "more_skills") if name in request.form), None)
        if more:  # more rows asked for: show the form again, nothing is saved yet
            _pad(form, 3 if more == "more_occupations" else 0, 3 if more == "more_skills" else 0)
            fill_profile_choices(form, lang(), desks, _texts())
            return render_template("databank/profile_form.html", form=form, record=record, errors=[]), 200
    return _save_entry(
        form, desks, record, data_of=profile_data,
        baseline=lambda: profile_data(ProfileForm(formdata=None, data=_profile_initial(record))),
        create=bank().create_profile, update=bank().update_profile,
        stale=_("Someone else changed this profile after you opened it: nothing was saved. "
                "Open it again to see the changes, then make yours."),
        saved_text=_("The profile is saved."), shown=lambda entry_id: url_for("databank.profile", profile_id=entry_id),
        fill=fill_profile_choices, template="databank/profile_form.html")


def _save_entry(form: Any, desks: list[tuple[str, str]], record: dict[str, Any] | None, *,
                data_of: Callable[[Any], dict[str, Any]], baseline: Callable[[], dict[str, Any]],
                create: Callable[..., Any], update: Callable[..., Any], stale: str, saved_text: str,
                shown: Callable[[int], str], fill: Callable[..., None], template: str):  # noqa: ANN202
    """Create or update a profile or a resource from its form: only the fields that changed are sent, a
    save over a newer one is refused, and the core's refusals come back next to the fields."""
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            data = data_of(form)
            if data["desk_id"] and data["desk_id"] not in dict(desks):
                abort(403)
            try:
                if not data["desk_id"]:
                    raise EntryInvalid([Problem("desk_id", "value.required")])
                if record is None:
                    saved = create(actor(), data)
                else:
                    before = baseline()
                    changes = {k: v for k, v in data.items() if v != before.get(k)}
                    saved = update(actor(), record["id"], _version(form), changes) if changes else None
            except EntryInvalid as exc:
                errors = set_errors(form, exc.field_errors(lang()))
                status = 422
            except StaleEntry:
                errors, status = [stale], 409
            except NotAllowed:
                abort(403)
            except DatabankError as exc:
                errors, status = [exc.message(lang())], 422
            else:
                _fresh()
                flash(saved_text if saved else _("Nothing changed."), "success")
                return redirect(shown(saved.id if saved else record["id"]))
        else:
            status = 422
            errors = [_("The form has expired: send it again.")] if form.csrf_token.errors else []
    fill(form, lang(), desks, _texts())
    return render_template(template, form=form, record=record, errors=errors), status


def _version(form: Any) -> int:
    return _posted_int(form.version.data)


def _posted_int(value: Any) -> int:
    """A number the page itself sent (a version, an id): anything else is a malformed request."""
    try:
        return int(value)
    except (TypeError, ValueError):
        abort(400)


def profile_data(form: ProfileForm) -> dict[str, Any]:
    """What the form holds, as the databank's operations take it."""
    data: dict[str, Any] = {name: (getattr(form, name).data or "").strip() for name in PROFILE_TEXT_FIELDS}
    data["supply_chains"] = list(form.supply_chains.data or [])
    data["consent_to_share"] = bool(form.consent_to_share.data)
    data["occupations"] = _competences(form.occupations)
    data["skills"] = _competences(form.skills)
    return data


def _competences(rows: Any) -> list[dict[str, Any]]:
    """Each row: the ESCO concept the picker chose, if the words typed are still one of its labels;
    the words typed otherwise (the databank recognises an exact ESCO label by itself)."""
    entries = []
    for entry in rows.entries:
        text = " ".join((entry.form.text.data or "").split())
        uri = (entry.form.uri.data or "").strip()
        level = (entry.form.level.data or "").strip()
        years = (entry.form.years.data or "").strip()
        if not text and not level and not years:
            continue
        entries.append((text, uri if esco.is_esco_uri(uri) else "", level, years))
    uris = [uri for _t, uri, _l, _y in entries if uri]
    known = esco.labels_in_all_languages(db(), uris) if uris else {}
    preferred = esco.preferred_labels(db(), uris, lang()) if uris else {}
    out = []
    for text, uri, level, years in entries:
        names = {normalized(x) for x in known.get(uri, [])}
        if uri in preferred:
            names.add(normalized(preferred[uri][0]))
        chosen = uri if uri and normalized(text) in names else text
        out.append({"uri": chosen, "level": level or None, "years": years or None})
    return out


def _profile_initial(record: dict[str, Any]) -> dict[str, Any]:
    def text(value: Any) -> str:
        if value is None:
            return ""
        if hasattr(value, "isoformat"):
            return value.isoformat()
        if isinstance(value, float):
            return f"{value:g}"
        return str(value)

    data = {name: text(record.get(name)) for name in PROFILE_TEXT_FIELDS if name not in ("qualifications", "languages")}
    data.update({
        "version": str(record["version"]),
        "qualifications": "\n".join(record["qualifications"]),
        "languages": "; ".join(f"{x['code']}:{x['level']}" if x.get("level") else x["code"]
                               for x in record["languages"]),
        "supply_chains": list(record["supply_chains"]),
        "consent_to_share": bool(record["consent_to_share"]),
        "occupations": [_competence_initial(c) for c in record["occupations"]],
        "skills": [_competence_initial(c) for c in record["skills"]],
    })
    return data


def _competence_initial(c: dict[str, Any]) -> dict[str, str]:
    return {"text": c["label"], "uri": c["uri"] or "", "level": str(c["level"]) if c["level"] else "",
            "years": str(c["years"]) if c["years"] is not None else ""}


@bp.post("/profiles/<int:profile_id>/delete")
@roles_required(*ROLES)
def delete_profile(profile_id: int):  # noqa: ANN201
    try:
        bank().delete_profile(actor(), profile_id)
    except EntryNotFound:
        abort(404)
    except NotAllowed:
        abort(403)
    flash(_("The profile is erased."), "success")
    return redirect(url_for("databank.profiles"))


# --- resources ---------------------------------------------------------------------------------------

@bp.get("/resources/<int:resource_id>")
@roles_required(*ROLES)
def resource(resource_id: int):  # noqa: ANN201
    return _resource_page(resource_id)


def _resource_page(resource_id: int, status: int = 200, error: str | None = None,
                   file_form: FileForm | None = None):  # noqa: ANN202
    record = _or_404(lambda: bank().get_resource(actor(), resource_id, lang()))
    case = db().get(Case, record["reserved_case_id"]) if record["reserved_case_id"] else None
    cases = {c.id: c for c in db().scalars(select(Case).where(Case.id.in_({x["case_id"] for x in record["links"]})))}
    return render_template(
        "databank/resource.html", resource=record, editable=may_edit(actor(), record["desk_id"]), case=case,
        manages=lambda c: c is not None and is_manager_of(c), cases=cases, error=error,
        file_form=file_form or FileForm(formdata=None), desk=db().get(Desk, record["desk_id"])), status


@bp.route("/resources/new", methods=["GET", "POST"])
@roles_required(*ROLES)
def new_resource():  # noqa: ANN201
    desks = _editable_desks()
    if not desks:
        abort(403)
    form = ResourceForm()
    if request.method == "GET":
        form.desk_id.data = request.args.get("desk") if request.args.get("desk") in dict(desks) else desks[0][0]
        form.condition.data, form.owner_kind.data = "good", "firm"
        if request.args.get("category") in CATEGORIES:
            form.category.data = request.args["category"]
    return _save_resource(form, desks, None)


@bp.route("/resources/<int:resource_id>/edit", methods=["GET", "POST"])
@roles_required(*ROLES)
def edit_resource(resource_id: int):  # noqa: ANN201
    record = _or_404(lambda: bank().get_resource(actor(), resource_id, lang()))
    if not may_edit(actor(), record["desk_id"]):
        abort(403)
    desks = _editable_desks()
    if record["desk_id"] not in dict(desks):
        desks.append((record["desk_id"], record["desk_id"]))
    form = ResourceForm(formdata=None, data=_resource_initial(record)) if request.method == "GET" else ResourceForm()
    return _save_resource(form, desks, record)


def _save_resource(form: ResourceForm, desks: list[tuple[str, str]], record: dict[str, Any] | None):  # noqa: ANN202
    return _save_entry(
        form, desks, record, data_of=resource_data,
        baseline=lambda: resource_data(ResourceForm(formdata=None, data=_resource_initial(record))),
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
    return data


def _resource_initial(record: dict[str, Any]) -> dict[str, Any]:
    def text(value: Any) -> str:
        if value is None:
            return ""
        if hasattr(value, "isoformat"):
            return value.isoformat()
        if isinstance(value, float):
            return f"{value:g}"
        return str(value)

    data: dict[str, Any] = {name: text(record.get(name)) for name in RESOURCE_TEXT_FIELDS}
    data.update({"version": str(record["version"]), "offers": list(record["offers"]),
                 "supply_chains": list(record["supply_chains"]), "published": bool(record["published"])})
    return data


@bp.post("/resources/<int:resource_id>/delete")
@roles_required(*ROLES)
def delete_resource(resource_id: int):  # noqa: ANN201
    try:
        bank().delete_resource(actor(), resource_id)
    except EntryNotFound:
        abort(404)
    except NotAllowed:
        abort(403)
    except DatabankError as exc:
        return _resource_page(resource_id, 409, exc.message(lang()))
    flash(_("The resource is erased."), "success")
    return redirect(url_for("databank.resources"))


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


# --- import ------------------------------------------------------------------------------------------

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


# --- pickers -----------------------------------------------------------------------------------------

@bp.get("/esco")
@roles_required(*ROLES)
def esco_suggest():  # noqa: ANN201
    kind = request.args.get("kind")
    if kind not in ("skill", "occupation"):
        return jsonify({"error": _("Say which kind: skill or occupation.")}), 400
    typed = (request.args.get("q") or "")[:100]
    found = esco.suggest(db(), typed, kind=kind, lang=lang(), limit=10)
    response = jsonify({"items": [{"uri": s.uri, "label": s.label, "language": s.language, "matched": s.matched,
                                   "code": s.code} for s in found]})
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


# --- matching from a case ----------------------------------------------------------------------------

@bp.get("/cases/<int:case_id>/matching")
@roles_required(*ROLES)
def matching(case_id: int):  # noqa: ANN201
    return _matching_page(managed_case_or_404(case_id), request.args)


def _matching_page(case: Case, args: MultiDict, status: int = 200, error: str | None = None):  # noqa: ANN202
    session = db()
    form = MatchingForm(args)
    problems: list[str] = []
    given: dict[str, Any] = {}
    if args.get("need"):
        given = _need_from(form, problems)
    need = need_for_case(session, case.id, **given)
    if not args.get("need"):
        form.supply_chains.data = list(need.supply_chains)
        form.region.data = need.region
    fill_matching_choices(form, lang(), _texts())
    me = actor()
    found_resources = suggest_resources(session, me, need, lang(), limit=10)
    found_profiles = suggest_profiles(session, me, need, lang(), limit=10)
    reserved = bank().resources_of_case(me, case.id, lang())
    return render_template(
        "databank/matching.html", case=case, form=form, need=need, resources=found_resources,
        profiles=found_profiles, reserved=reserved, problems=problems, error=error,
        query=urlencode(list(args.items(multi=True)))), status


def _need_from(form: MatchingForm, problems: list[str]) -> dict[str, Any]:
    given: dict[str, Any] = {
        "categories": tuple(c for c in form.categories.data or [] if c in CATEGORIES),
        "region": form.region.data or "", "province": form.province.data or "",
        "municipality": " ".join((form.municipality.data or "").split())[:100],
        "supply_chains": tuple(form.supply_chains.data or []),
        "offers": tuple(o for o in form.offers.data or [] if o in OFFERS),
        "words": " ".join((form.words.data or "").split())[:200],
    }
    surface = (form.min_surface_m2.data or "").strip()
    if surface:
        try:
            given["min_surface_m2"] = float(surface.replace(",", "."))
            if not 0 <= given["min_surface_m2"] < 1e9:
                raise ValueError
        except ValueError:
            given.pop("min_surface_m2", None)
            form.min_surface_m2.errors = [_("'%(value)s' is not a number.", value=surface)]
            problems.append(form.min_surface_m2.errors[0])
    for name, kind in (("skills", "skill"), ("occupations", "occupation")):
        given[name] = _keys(getattr(form, name).data or "", kind)
    return given


def _keys(text: str, kind: str) -> tuple[str, ...]:
    """ESCO URIs of the words typed, when they name a concept; `text:` keys (as the profiles store free
    text) otherwise."""
    items = [" ".join(part.split()) for part in text.replace("\n", ";").split(";") if part.strip()][:20]
    resolved = esco.resolve_labels(db(), kind, [i for i in items if not esco.is_esco_uri(i)])
    keys = []
    for item in items:
        key = item if esco.is_esco_uri(item) else resolved.get(normalized(item)) or "text:" + normalized(item)[:290]
        if key not in keys:
            keys.append(key)
    return tuple(keys)


def _query_of(form: MultiDict) -> MultiDict:
    """The need the matching page showed, sent back with its forms (so the page comes back the same)."""
    return MultiDict(parse_qsl(form.get("query", "")[:4000], keep_blank_values=True))


def _back_to_matching(case_id: int) -> Any:
    query = _query_of(request.form)
    allowed = {"need", "categories", "region", "province", "municipality", "supply_chains", "min_surface_m2",
               "offers", "skills", "occupations", "words"}
    args = {k: query.getlist(k) for k in query if k in allowed}
    return redirect(url_for("databank.matching", case_id=case_id, **args))


def _case_action(case_id: int, run: Callable[[int], Any], done: str):  # noqa: ANN202
    case = managed_case_or_404(case_id)
    try:
        run(_version_of(request.form))
    except (ConflictError, StaleEntry):
        return _matching_page(case, _query_of(request.form), 409,
                              _("Someone else acted on this case or this resource after you opened the page: "
                                "nothing was done. Check the page, then try again."))
    except EntryNotFound:
        abort(404)
    except NotAllowed:
        abort(404)
    except EngineError as exc:
        return _matching_page(case, _query_of(request.form), 409, exc.message(lang()))
    _fresh()
    flash(done, "success")
    return _back_to_matching(case_id)


def _resource_id() -> int:
    return _posted_int(request.form.get("resource_id"))


@bp.post("/cases/<int:case_id>/reserve")
@roles_required(*ROLES)
def reserve(case_id: int):  # noqa: ANN201
    resource_id = _resource_id()
    return _case_action(case_id, lambda v: bank().reserve_resource(actor(), resource_id, case_id, v),
                        _("The resource is reserved for this case."))


@bp.post("/cases/<int:case_id>/release")
@roles_required(*ROLES)
def release(case_id: int):  # noqa: ANN201
    resource_id = _resource_id()
    return _case_action(case_id, lambda v: bank().release_resource(actor(), resource_id, case_id, v),
                        _("The resource is available again."))


@bp.post("/cases/<int:case_id>/taken")
@roles_required(*ROLES)
def taken(case_id: int):  # noqa: ANN201
    resource_id = _resource_id()
    return _case_action(case_id, lambda v: bank().mark_resource_taken(actor(), resource_id, case_id, v),
                        _("The resource is recorded as taken by this case."))


def _or_404(read: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return read()
    except EntryNotFound:
        abort(404)
    except NotAllowed:
        abort(403)


# --- the worker's own profile (portal) -----------------------------------------------------------------

@bp.route("/me", methods=["GET", "POST"])
@area_required("own_profile")
def own_profile():  # noqa: ANN201
    """A worker sees their profile as the desk registered it and changes their contacts, availability and
    consent to sharing."""
    record = bank().own_profile(actor(), lang())
    if record is None:
        return render_template("databank/own_profile.html", profile=None, form=None, errors=[])
    initial = _own_initial(record)
    form = OwnProfileForm(formdata=None, data=initial) if request.method == "GET" else OwnProfileForm()
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            data = _own_data(form)
            changes = {k: v for k, v in data.items() if v != _own_data(OwnProfileForm(formdata=None, data=initial))[k]}
            try:
                if changes:
                    bank().update_profile(actor(), record["id"], _version(form), changes)
            except EntryInvalid as exc:
                errors, status = set_errors(form, exc.field_errors(lang())), 422
            except StaleEntry:
                errors, status = [_("Your help desk changed your profile meanwhile: nothing was saved. "
                                    "Check it, then make your changes again.")], 409
            else:
                _fresh()
                flash(_("Your profile is saved.") if changes else _("Nothing changed."), "success")
                return redirect(url_for("databank.own_profile"))
        else:
            status = 422
            errors = [_("The form has expired: send it again.")] if form.csrf_token.errors else []
    fill_own_profile_choices(form, lang())
    return render_template("databank/own_profile.html", profile=record, form=form, errors=errors), status


def _own_initial(record: dict[str, Any]) -> dict[str, Any]:
    data = _profile_initial(record)
    return {name: data[name] for name in (*OWN_PROFILE_FIELDS, "version")}


def _own_data(form: OwnProfileForm) -> dict[str, Any]:
    data: dict[str, Any] = {name: (getattr(form, name).data or "").strip() for name in OWN_PROFILE_FIELDS
                            if name != "consent_to_share"}
    data["consent_to_share"] = bool(form.consent_to_share.data)
    return data
