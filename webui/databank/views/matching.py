"""The matching page of a case: resources and profiles ranked with their reasons, and reserving,
releasing or taking a resource for the case (one operation with the case's event).
"""
from __future__ import annotations

from typing import Any, Callable
from urllib.parse import parse_qsl, urlencode

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from databank import Databank, esco
from databank.errors import EntryNotFound, StaleEntry
from databank.matching import need_for_case, suggest_profiles, suggest_resources
from databank.text import normalized
from databank.vocabulary import CATEGORIES, OFFERS
from engine import ConflictError, EngineError, NotAllowed
from engine.models import Case
from engine.numbers import read_number

from ...access import actor, managed_case_or_404, roles_required
from ...i18n import lang
from ...services import databank as bank, db
from ..forms import MatchingForm, fill_matching_choices
from . import ROLES, bp
from .entries import _fresh, _posted_int, _texts
from .resources import _version_of


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
            given["min_surface_m2"] = float(read_number(surface, lang()))
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


# What can be done with a resource for a case: the path (and endpoint), the databank's operation, what the page
# says once it is done.
RESOURCE_ACTIONS = (
    ("reserve", Databank.reserve_resource, _l("The resource is reserved for this case.")),
    ("release", Databank.release_resource, _l("The resource is available again.")),
    ("taken", Databank.mark_resource_taken, _l("The resource is recorded as taken by this case.")),
)


def _resource_action(operation: Callable[..., Any], done: Any) -> Callable:
    @roles_required(*ROLES)
    def view(case_id: int):  # noqa: ANN202
        resource_id = _posted_int(request.form.get("resource_id"))
        return _case_action(case_id, lambda v: operation(bank(), actor(), resource_id, case_id, v), str(done))
    return view


for _path, _operation, _done in RESOURCE_ACTIONS:
    bp.add_url_rule(f"/cases/<int:case_id>/{_path}", endpoint=_path, view_func=_resource_action(_operation, _done),
                    methods=["POST"])
