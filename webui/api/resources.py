"""The API's resources beyond cases: pathways (read, check a text, the diagram) and the monitoring figures.
Each reads through the same functions as its pages (the designer's check, the dashboard's figures with their
small-count suppression) and is gated by the same roles."""
from __future__ import annotations

from typing import Any

from flask import Response, abort
from flask_babel import force_locale
from flask_login import current_user

from engine.i18n import localize

from ..designer import operations as designer_operations
from ..designer.diagram import render_pathway_svg
from ..designer.views import EDIT_ROLES, READ_ROLES, _directory
from ..monitoring.views import export_rows, read_dashboard, read_filters, scope_of
from ..services import current_pathways, services
from . import schemas
from .problems import api_language
from .views import READ_PROBLEMS, bp, problems

MONITORING_ROLES = ("admin", "operator")  # as the dashboard's pages


def _require(roles: tuple[str, ...]) -> None:
    if not any(current_user.has(r) for r in roles):
        abort(403)


def _pathway(pathway_id: str) -> Any:
    found = dict(current_pathways()).get(pathway_id)
    if found is None:
        abort(404)
    return found


@bp.get("/pathways")
@bp.response(200, schemas.PathwaySummary(many=True))
@problems(*READ_PROBLEMS)
def pathways():  # noqa: ANN201
    """The active revision of every pathway, with its stages."""
    _require(READ_ROLES)
    lang = api_language()
    return [{"id": pid, "version": str(p.version), "title": localize(p.title, lang),
             "stages": [{"id": s.id, "title": localize(s.title, lang), "exits": [e.id for e in s.exits]}
                        for s in p.stages]} for pid, p in current_pathways()]


@bp.get("/pathways/<string:pathway_id>/diagram.svg")
@bp.response(200, {"type": "string"}, content_type="image/svg+xml")
@problems(*READ_PROBLEMS)
def pathway_diagram(pathway_id: str):  # noqa: ANN201
    """The pathway's diagram, as on the designer's pages."""
    _require(READ_ROLES)
    svg = render_pathway_svg(_pathway(pathway_id), api_language())
    return Response(svg, mimetype="image/svg+xml")


@bp.post("/pathways/check")
@bp.arguments(schemas.PathwayText)
@bp.response(200, schemas.PathwayCheck)
@problems(400, 401, 403, 429)
def check_pathway(body: dict[str, Any]):  # noqa: ANN201
    """Check a pathway text as the designer's editor does: valid or not, each problem with its line."""
    _require(EDIT_ROLES)
    checked = designer_operations.check_text(services().library, _directory(), body["file_name"], body["text"])
    return {"valid": checked.valid,
            "problems": designer_operations.problem_dicts(checked.problems, api_language())}


@bp.get("/monitoring")
@bp.arguments(schemas.MonitoringFilters, location="query")
@bp.response(200, schemas.Figures)
@problems(400, *READ_PROBLEMS)
def monitoring(_filters: dict[str, Any]):  # noqa: ANN201
    """The dashboard's figures for the desks the caller sees, counts from 1 to 4 written "<5"."""
    _require(MONITORING_ROLES)
    board = read_dashboard(scope_of(read_filters()))
    with force_locale(api_language()):
        rows = list(export_rows(board, dict(current_pathways())))
    return {"figures": [{"table": t, "pathway": p, "item": i, "label": str(label), "value": v}
                        for t, p, i, label, v in rows]}



