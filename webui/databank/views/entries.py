"""What the profile and resource pages share: the desks one may edit, a fresh snapshot after the databank
wrote, saving a form as an entry (refusals shown in the form, what was typed kept), reading an entry or 404.
"""
from __future__ import annotations

from typing import Any, Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from databank.errors import DatabankError, EntryInvalid, EntryNotFound, Problem, StaleEntry
from databank.operations import may_edit
from engine import NotAllowed, policy
from engine.models import Desk
from engine.numbers import write_number

from ...access import actor
from ...routing import posted_id
from ...i18n import lang
from ...services import db
from ..forms import set_errors


def _texts() -> dict[str, str]:
    return {"none": _("Not given"), "level": _("Level not given"), "choose": _("Choose…"), "any": _("Any")}


def _editable_desks() -> list[tuple[str, str]]:
    desks = policy.working_desk_ids(actor())
    query = select(Desk.id, Desk.name).order_by(Desk.country, Desk.name)
    if desks is not None:
        query = query.where(Desk.id.in_(sorted(desks)))
    return [(d, name) for d, name in db().execute(query)]


def new_entry_form(form_class: Callable[[], Any], **first_values: Any) -> tuple[Any, list[tuple[str, str]]]:
    """The form of a new entry and the desks it may belong to (403 if none). Shown first (GET), it starts in the
    desk the address asks for (if it may), with `first_values`."""
    desks = _editable_desks()
    if not desks:
        abort(403)
    form = form_class()
    if request.method == "GET":
        asked = request.args.get("desk")
        form.desk_id.data = asked if asked in dict(desks) else desks[0][0]
        for name, value in first_values.items():
            getattr(form, name).data = value
    return form, desks


def entry_form_to_edit(read: Callable[[], dict[str, Any]], form_class: Callable[..., Any],
                       initial: Callable[[dict[str, Any]], dict[str, Any]]) -> tuple[Any, list[tuple[str, str]], Any]:
    """The form of an entry to edit (404 if one may not see it), the desks it may move to (those one may edit,
    and its own; 403 if one may not edit it) and the entry. Shown first (GET), the form holds the entry."""
    record = _or_404(read)
    if not may_edit(actor(), record["desk_id"]):
        abort(403)
    desks = _editable_desks()
    if record["desk_id"] not in dict(desks):
        desks.append((record["desk_id"], record["desk_id"]))
    form = form_class(formdata=None, data=initial(record)) if request.method == "GET" else form_class()
    return form, desks, record


def _fresh() -> None:
    """A new snapshot for the request's session: the databank wrote in its own transaction."""
    db().rollback()


def _save_entry(form: Any, desks: list[tuple[str, str]], record: dict[str, Any] | None, *,
                data_of: Callable[[Any], dict[str, Any]], initial: Callable[[dict[str, Any]], dict[str, Any]],
                create: Callable[..., Any], update: Callable[..., Any], stale: str, saved_text: str,
                shown: Callable[[int], str], fill: Callable[..., None], template: str):  # noqa: ANN202
    """Create or update a profile or a resource from its form: only the fields that changed are sent, a
    save over a newer one is refused, and the core's refusals come back next to the fields. `data_of` reads a
    form as the databank takes it; `initial` gives the form's values of a stored entry."""
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
                    saved = create(actor(), data, locale=lang())
                else:
                    before = data_of(type(form)(formdata=None, data=initial(record)))  # as the form showed it
                    changes = {k: v for k, v in data.items() if v != before.get(k)}
                    saved = update(actor(), record["id"], _version(form), changes, locale=lang()) if changes else None
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


def _initial_text(value: Any) -> str:
    """A stored value as the entry's form shows it."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float):
        return write_number(value, lang())  # as typed in the page's language, read back the same
    return str(value)


def _delete_entry(delete: Callable[[Any, int], Any], entry_id: int, erased_text: str, listing: str,
                  refused: Callable[[DatabankError], Any] | None = None):  # noqa: ANN202
    """Erase a profile or a resource, then back to its list; a refusal of the databank goes to `refused`."""
    try:
        delete(actor(), entry_id)
    except EntryNotFound:
        abort(404)
    except NotAllowed:
        abort(403)
    except DatabankError as exc:
        if refused is None:
            raise
        return refused(exc)
    flash(erased_text, "success")
    return redirect(url_for(listing))


def _version(form: Any) -> int:
    return _posted_int(form.version.data)


def _posted_int(value: Any) -> int:
    return posted_id(value)


def _or_404(read: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return read()
    except EntryNotFound:
        abort(404)
    except NotAllowed:
        abort(403)
