"""The worker's own profile (/databank/me): seen as the desk registered it, contacts, availability
and consent to sharing changed by the worker.
"""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from databank.errors import EntryInvalid, StaleEntry

from ...access import actor, area_required
from ...i18n import lang
from ...services import databank as bank
from ..forms import OWN_PROFILE_FIELDS, OwnProfileForm, fill_own_profile_choices, set_errors
from . import bp
from .entries import _fresh, _version
from .profiles import _profile_initial


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
                    bank().update_profile(actor(), record["id"], _version(form), changes, locale=lang())
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
