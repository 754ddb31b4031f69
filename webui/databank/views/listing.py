"""The lists of profiles and resources: full-text search, filters with facet counts, CSV/XLSX export."""
from __future__ import annotations

from typing import Any, Callable

from flask import Response, current_app, render_template, request
from flask_babel import gettext as _

from databank.exchange import export_profiles, export_resources
from databank.search import search_profiles, search_resources

from ...access import actor, roles_required
from ...i18n import lang
from ...services import db
from ..lists import ListArgs, PROFILE_FACETS, RESOURCE_FACETS
from . import ROLES, bp
from .entries import _editable_desks


EXPORT_TYPES = {"csv": "text/csv; charset=utf-8",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@bp.get("/profiles")
@roles_required(*ROLES)
def profiles():  # noqa: ANN201
    return _listing("profiles", search_profiles, PROFILE_FACETS)


@bp.get("/resources")
@roles_required(*ROLES)
def resources():  # noqa: ANN201
    return _listing("resources", search_resources, RESOURCE_FACETS)


def _listing(kind: str, search: Callable[..., Any], facet_names: Any) -> str:
    args = ListArgs.read(kind, request.args)
    result = search(db(), actor(), args.query(current_app.config["PAGE_SIZE"]), lang())
    return render_template(f"databank/{kind}.html", args=args, result=result, facet_names=facet_names,
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
    return _download("profiles", export_profiles, fmt)


@bp.get("/resources/export.<any(csv, xlsx):fmt>")
@roles_required(*ROLES)
def export_resource_list(fmt: str):  # noqa: ANN201
    return _download("resources", export_resources, fmt)


def _download(kind: str, export: Callable[..., bytes], fmt: str) -> Response:
    """The whole list the filters select (no page), as a file."""
    body = export(db(), actor(), ListArgs.read(kind, request.args).query(1), fmt, lang())
    return Response(body, mimetype=EXPORT_TYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="{kind}.{fmt}"', "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff"})
