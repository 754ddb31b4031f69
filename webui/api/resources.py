"""The API's resources beyond cases: pathways (read, check a text, the diagram), the monitoring figures and
the databank (search with facets, profiles, resources, matching, reserving for a case).
Each reads through the same functions as its pages (the designer's check, the dashboard's figures with their
small-count suppression) and is gated by the same area of the access policy."""
from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, request
from flask_babel import force_locale
from sqlalchemy import select

from databank import textindex
from databank.errors import EntryNotFound
from databank.matching import need_for_case, suggest_profiles, suggest_resources
from databank.search import search_profiles, search_resources
from engine.errors import NotAllowed
from engine.i18n import localize
from engine.models import PathwayRevision

from .. import access
from ..databank.lists import ListArgs

from ..designer import operations as designer_operations
from ..designer.diagram import render_pathway_svg
from ..designer.simulation import assessment_titles, target_pathways
from ..designer.views import _directory
from ..monitoring.views import export_rows, read_dashboard, read_filters, scope_of
from ..services import current_pathways, databank, db, services
from . import schemas
from .problems import api_language
from .views import (
    IF_MATCH,
    MAX_ID,
    READ_PROBLEMS,
    WRITE_PROBLEMS,
    _actor,
    _expected_version,
    _receipt,
    bp,
    problems,
)


def _require(area: str) -> None:
    """The access policy's area, as the pages of the same things are gated (403 otherwise)."""
    if not access.may_enter(area):
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
    _require("designer")
    lang = api_language()
    return [{"id": pid, "version": str(p.version), "title": localize(p.title, lang),
             "stages": [{"id": s.id, "title": localize(s.title, lang), "exits": [e.id for e in s.exits]}
                        for s in p.stages]} for pid, p in current_pathways()]


@bp.get("/pathways/<string:pathway_id>/diagram.svg")
@bp.response(200, {"type": "string"}, content_type="image/svg+xml")
@problems(*READ_PROBLEMS)
def pathway_diagram(pathway_id: str):  # noqa: ANN201
    """The pathway's diagram, as on the designer's pages."""
    _require("designer")
    pathway = _pathway(pathway_id)
    # the pathways its exits lead to, so that their stages show by title
    others = target_pathways(services().library, db(), pathway)
    titles = assessment_titles(services().assessments, db(), pathway)
    svg = render_pathway_svg(pathway, api_language(), others=others, assessment_titles=titles)
    return Response(svg, mimetype="image/svg+xml")


def _revision_summary(row: PathwayRevision, active: int | None) -> dict[str, Any]:
    return {"id": row.id, "pathway_id": row.pathway_id, "version": row.version, "content_hash": row.content_hash,
            "active": row.id == active, "created_at": row.created_at, "created_by": row.created_by}


@bp.get("/pathways/<string:pathway_id>/revisions")
@bp.response(200, schemas.Revisions)
@problems(*READ_PROBLEMS)
def pathway_revisions(pathway_id: str):  # noqa: ANN201
    """Every stored revision of the pathway, newest first; `active` marks the one new cases start on."""
    _require("designer")
    rows = db().scalars(select(PathwayRevision).where(PathwayRevision.pathway_id == pathway_id)
                        .order_by(PathwayRevision.id.desc())).all()
    if not rows:
        abort(404)
    active = designer_operations.active_revision(db(), pathway_id)
    return {"revisions": [_revision_summary(r, active) for r in rows]}


@bp.get("/pathway-revisions/<int:revision_id>")
@bp.response(200, schemas.Revision)
@problems(*READ_PROBLEMS)
def pathway_revision(revision_id: int):  # noqa: ANN201
    """One stored revision: the file as written and the pathway as it runs (cases keep the revision they
    were opened on)."""
    _require("designer")
    row = db().get(PathwayRevision, revision_id) if revision_id <= MAX_ID else None
    if row is None:
        abort(404)
    active = designer_operations.active_revision(db(), row.pathway_id)
    return {**_revision_summary(row, active), "source_file": row.source_file, "source_text": row.source_text,
            "document": row.document}


@bp.post("/pathways/check")
@bp.arguments(schemas.PathwayText)
@bp.response(200, schemas.PathwayCheck)
@problems(400, 401, 403, 429)
def check_pathway(body: dict[str, Any]):  # noqa: ANN201
    """Check a pathway text as the designer's editor does: valid or not, each problem with its line."""
    _require("designer_edit")
    checked = designer_operations.check_text(services().library, _directory(), body["file_name"], body["text"])
    return {"valid": checked.valid,
            "problems": designer_operations.problem_dicts(checked.problems, api_language())}


@bp.get("/monitoring")
@bp.arguments(schemas.MonitoringFilters, location="query")
@bp.response(200, schemas.Figures)
@problems(400, *READ_PROBLEMS)
def monitoring(_filters: dict[str, Any]):  # noqa: ANN201
    """The dashboard's figures for the desks the caller sees, counts from 1 to 4 written "<5"."""
    _require("monitoring")
    board = read_dashboard(scope_of(read_filters()))
    with force_locale(api_language()):
        rows = list(export_rows(board, dict(current_pathways())))
    return {"figures": [{"table": t, "pathway": p, "item": i, "label": str(label), "value": v}
                        for t, p, i, label, v in rows]}


# --- the databank ------------------------------------------------------------------------------------------

def _page(result: Any) -> dict[str, Any]:
    return {"total": result.total, "page": result.page, "per_page": result.per_page, "items": result.items,
            "facets": {name: [{"code": v.code, "label": v.label, "count": v.count} for v in values]
                       for name, values in result.facets.items()}}


def _fresh_indexes() -> None:
    """The full-text tables exist (SQLite creates them at first use, in a transaction of its own); the
    request's session then takes a new snapshot that sees them."""
    textindex.ensure_indexes(db())
    db().rollback()


def _databank_list(kind: str, summary: str) -> None:
    """GET /databank/<kind>: the entries of a kind with the databank page's search and facets."""
    def view(_args: dict[str, Any]):  # noqa: ANN202
        _require("databank")
        _fresh_indexes()
        args = ListArgs.read(kind, request.args)
        search = search_profiles if kind == "profiles" else search_resources
        return _page(search(db(), _actor(), args.query(current_app.config["PAGE_SIZE"]), api_language()))

    view.__name__, view.__doc__ = f"databank_{kind}", summary
    bp.get(f"/databank/{kind}")(bp.arguments(schemas.DatabankSearch, location="query")(
        bp.response(200, schemas.DatabankPage)(problems(400, *READ_PROBLEMS)(view))))


_databank_list("profiles", "Professional profiles with the databank page's search and facets (personal parts as "
                           "the page shows).")
_databank_list("resources", "Structural resources with the databank page's search and facets.")


def _entry(read: Any, entry_id: int) -> dict[str, Any]:
    """A databank entry the caller may see (404 for one that is not, or not theirs to see)."""
    if entry_id > MAX_ID:
        abort(404)
    _require("databank")
    try:
        return {"entry": read(_actor(), entry_id, api_language())}
    except (EntryNotFound, NotAllowed):
        abort(404)


@bp.get("/databank/profiles/<int:profile_id>")
@bp.response(200, schemas.DatabankEntry)
@problems(*READ_PROBLEMS)
def databank_profile(profile_id: int):  # noqa: ANN201
    """One profile, as much of it as its page shows the caller."""
    return _entry(databank().get_profile, profile_id)


@bp.get("/databank/resources/<int:resource_id>")
@bp.response(200, schemas.DatabankEntry)
@problems(*READ_PROBLEMS)
def databank_resource(resource_id: int):  # noqa: ANN201
    """One resource."""
    return _entry(databank().get_resource, resource_id)


def _managed_case(case_id: int) -> Any:
    """The databank's case pages are its operators' (as webui.databank's matching page)."""
    _require("databank")
    if case_id > MAX_ID:
        abort(404)
    return access.managed_case_or_404(case_id)


@bp.get("/cases/<int:case_id>/matching")
@bp.response(200, schemas.Suggestions)
@problems(*READ_PROBLEMS)
def matching(case_id: int):  # noqa: ANN201
    """Resources and profiles ranked for the case (what it knows: supply chains, region), with the reasons
    of each score."""
    case = _managed_case(case_id)
    lang, me = api_language(), _actor()
    _fresh_indexes()
    need = need_for_case(db(), case.id)

    def listed(found: list[Any]) -> list[dict[str, Any]]:
        return [{"kind": s.kind, "id": s.id, "score": s.score, "reasons": s.explain(lang), "record": s.record}
                for s in found]

    return {"resources": listed(suggest_resources(db(), me, need, lang)),
            "profiles": listed(suggest_profiles(db(), me, need, lang))}


@bp.post("/cases/<int:case_id>/reservations")
@bp.arguments(schemas.Reservation)
@bp.response(200, schemas.Receipt)
@bp.doc(parameters=[IF_MATCH])
@problems(*WRITE_PROBLEMS)
def reserve(body: dict[str, Any], case_id: int):  # noqa: ANN201
    """Reserve an available resource for the case (an event in its timeline)."""
    _managed_case(case_id)
    version = _expected_version()
    try:
        receipt = databank().reserve_resource(_actor(), body["resource_id"], case_id, version)
    except EntryNotFound:
        abort(404)
    return _receipt(receipt)
