"""A professional profile: its page, its form (ESCO occupations and skills with levels), deleting it."""
from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for
from flask_babel import gettext as _

from databank import esco
from databank.operations import may_edit
from databank.text import normalized
from engine.models import Case

from ...access import actor, is_manager_of, roles_required
from ...i18n import lang
from ...services import databank as bank, db
from ..forms import MAX_ROWS, ProfileForm, fill_profile_choices
from . import ROLES, bp
from .entries import _delete_entry, _initial_text, _or_404, _save_entry, _texts, entry_form_to_edit, new_entry_form


PROFILE_TEXT_FIELDS = ("desk_id", "display_name", "email", "phone", "summary", "years_experience", "qualifications",
                       "languages", "region", "province", "municipality", "latitude", "longitude", "mobility",
                       "availability", "available_from", "origin_firm", "origin_firm_nace", "case_id", "person_id")


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
    form, desks = new_entry_form(ProfileForm, availability="available", mobility="region")
    if request.method == "GET":
        for name in ("case_id", "person_id", "display_name"):
            if request.args.get(name):
                getattr(form, name).data = request.args.get(name, "")[:200]
        _pad(form)
    return _save_profile(form, desks, None)


@bp.route("/profiles/<int:profile_id>/edit", methods=["GET", "POST"])
@roles_required(*ROLES)
def edit_profile(profile_id: int):  # noqa: ANN201
    form, desks, record = entry_form_to_edit(lambda: bank().get_profile(actor(), profile_id, lang()), ProfileForm,
                                             _profile_initial)
    if request.method == "GET":
        _pad(form)
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
        form, desks, record, data_of=profile_data, initial=_profile_initial,
        create=bank().create_profile, update=bank().update_profile,
        stale=_("Someone else changed this profile after you opened it: nothing was saved. "
                "Open it again to see the changes, then make yours."),
        saved_text=_("The profile is saved."), shown=lambda entry_id: url_for("databank.profile", profile_id=entry_id),
        fill=fill_profile_choices, template="databank/profile_form.html")


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
    data = {name: _initial_text(record.get(name)) for name in PROFILE_TEXT_FIELDS if name not in ("qualifications", "languages")}
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
    return _delete_entry(bank().delete_profile, profile_id, _("The profile is erased."), "databank.profiles")
