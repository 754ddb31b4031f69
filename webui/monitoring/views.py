"""The programme monitoring dashboard (operators: their desks; admins: everything), the cases behind each
figure, and CSV/XLSX exports of the tables with small-count suppression and no personal data."""
from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterator

from flask import Blueprint, Response, abort, after_this_request, render_template, request
from flask_babel import gettext as _
from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError

from engine import monitoring
from engine.db import database_problem
from engine.i18n import localize
from engine.models import Case, Desk
from engine.monitoring import AGE_KEYS, SEX_KEYS, Dashboard, Scope, case_ids, dashboard

from engine import policy

from ..access import actor, roles_required, visible_desk_ids
from ..i18n import lang
from ..services import current_pathways, db, services
from ..templating import fmt_number, outcome_label, status_label, supply_chain_name
from .chart import bar_chart

bp = Blueprint("monitoring", __name__, template_folder="templates")
ROLES = policy.AREAS["monitoring"]
# Events a page folds into the figures itself (one short transaction, see fold_for_the_page).
PAGE_FOLD = 1000
log = logging.getLogger(__name__)
FIGURES = ("opened", "active", "on_hold", "closed", "overdue", "outcome", "pathway", "stage", "supply_chain", "sex",
           "age")
FILTER_KEYS = ("desk", "region", "country", "pathway", "from", "until")
SMALL = "<5"


@dataclass
class Filters:
    desk: str = ""
    region: str = ""
    country: str = ""
    pathway: str = ""
    start: date | None = None
    until: date | None = None

    def args(self, **extra: Any) -> dict[str, Any]:
        """The filters as query arguments (for the figures' links and the exports)."""
        out = {"desk": self.desk, "region": self.region, "country": self.country, "pathway": self.pathway,
               "from": self.start.isoformat() if self.start else "",
               "until": self.until.isoformat() if self.until else ""}
        out.update(extra)
        return {k: v for k, v in out.items() if v not in ("", None)}


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def read_filters() -> Filters:
    a = request.args
    return Filters(desk=a.get("desk", "").strip()[:64], region=a.get("region", "").strip()[:100],
                   country=a.get("country", "").strip().upper()[:2], pathway=a.get("pathway", "").strip()[:64],
                   start=_date(a.get("from")), until=_date(a.get("until")))


def scope_of(filters: Filters) -> Scope:
    """The scope the user may see: an operator never goes beyond its desks, whatever the filters ask."""
    desks = policy.monitoring_desks(actor(), filters.desk or None)

    def moment(d: date | None) -> datetime | None:
        return datetime(d.year, d.month, d.day, tzinfo=timezone.utc) if d else None

    return Scope(desks=desks, region=filters.region or None, country=filters.country or None,
                 pathway=filters.pathway or None, opened_from=moment(filters.start),
                 opened_until=moment(filters.until + timedelta(days=1)) if filters.until else None)


def fold_for_the_page() -> bool:
    """Bring the figures up to date as far as a page may: a small backlog is folded at once, if the write
    lock is free (never waiting for it: a page never waits for another writer, nor holds the lock long);
    a larger backlog, or a busy lock, is folded once the page has been sent. True when the figures are
    complete."""
    engine = services().engine
    try:
        monitoring.refresh(engine, wait=False, most=PAGE_FOLD)
    except OperationalError as exc:
        if database_problem(exc)[0] != "database.busy":
            raise
    if not monitoring.behind(engine):
        return True

    @after_this_request
    def fold_later(response: Response) -> Response:
        response.call_on_close(lambda: _fold_after_the_page(engine))
        return response

    return False


def _fold_after_the_page(engine: Engine) -> None:
    try:
        monitoring.refresh(engine)
    except OperationalError:
        # The next page, `opera db refresh-monitoring` or `opera db upgrade` fold them.
        log.exception("the monitoring figures could not be brought up to date")


def read_dashboard(scope: Scope) -> Dashboard:
    """The figures, read on a connection of their own: the request's session may already hold a snapshot
    taken before the monitoring projection caught up with the latest events (SQLite)."""
    complete = fold_for_the_page()
    with services().engine.connect() as connection:
        board = dashboard(connection, scope, refresh_first=False)
    board.complete = complete
    return board


def sex_label(key: str) -> str:
    return {"female": _("Female"), "male": _("Male"), "other": _("Other"), "not_recorded": _("Not recorded")}[key]


def age_label(key: str) -> str:
    return {"under_25": _("Under 25"), "25_34": _("25–34"), "35_44": _("35–44"), "45_54": _("45–54"),
            "55_over": _("55 and over"), "not_recorded": _("Not recorded")}[key]


def worker_rows(board: Dashboard) -> dict[str, list[tuple[str, str, int]]]:
    """Workers per sex and per age band at opening: {figure: [(key, label, workers)]}, in a fixed order."""
    return {"sex": [(k, sex_label(k), board.workers_by_sex.get(k, 0)) for k in SEX_KEYS],
            "age": [(k, age_label(k), board.workers_by_age.get(k, 0)) for k in AGE_KEYS]}


def _desks() -> list[Desk]:
    allowed = visible_desk_ids()
    query = select(Desk).order_by(Desk.name)
    if allowed is not None:
        query = query.where(Desk.id.in_(sorted(allowed)))
    return list(db().scalars(query))


def _stage_title(pathways: dict, pathway_id: str, stage_id: str) -> str:
    pathway = pathways.get(pathway_id)
    if pathway is not None:
        for stage in pathway.stages:
            if stage.id == stage_id:
                return localize(stage.title, lang())
    return stage_id


def _pathway_title(pathways: dict, pathway_id: str) -> str:
    pathway = pathways.get(pathway_id)
    return localize(pathway.title, lang()) if pathway is not None else pathway_id


def funnel_rows(board: Dashboard, pathways: dict) -> list[tuple[str, str, list[tuple[str, str, int, Any]]]]:
    """(pathway id, title, [(stage id, stage title, cases reached, StageTime | None)]) — stages in the
    pathway's order, then any stage no longer in the active revision."""
    out = []
    for pathway_id in sorted(set(board.funnel) | {p for p, _ in board.stage_times}):
        reached = board.funnel.get(pathway_id, {})
        pathway = pathways.get(pathway_id)
        order = [s.id for s in pathway.stages] if pathway is not None else []
        order += sorted(s for s in set(reached) | {s for p, s in board.stage_times if p == pathway_id}
                        if s not in order)
        rows = [(s, _stage_title(pathways, pathway_id, s), reached.get(s, 0), board.stage_times.get((pathway_id, s)))
                for s in order]
        out.append((pathway_id, _pathway_title(pathways, pathway_id), rows))
    return out


@bp.get("/")
@roles_required(*ROLES)
def dashboard_page():  # noqa: ANN201
    filters = read_filters()
    board = read_dashboard(scope_of(filters))
    pathways = dict(current_pathways())
    funnel = funnel_rows(board, pathways)
    charts = {pid: bar_chart([(title, n) for _s, title, n, _t in rows],
                             _("Cases that reached each stage: %(pathway)s", pathway=ptitle), f"funnel-{pid}",
                             value_text=fmt_number)
              for pid, ptitle, rows in funnel}
    workers = worker_rows(board)
    charts["sex"] = bar_chart([(label, n) for _k, label, n in workers["sex"]], _("Workers per sex"), "workers-sex",
                              value_text=fmt_number)
    charts["age"] = bar_chart([(label, n) for _k, label, n in workers["age"]], _("Workers per age band at opening"),
                              "workers-age", value_text=fmt_number)
    return render_template(
        "monitoring/dashboard.html", board=board, filters=filters, funnel=funnel, charts=charts, workers=workers,
        desks=_desks(), pathways=pathways, pathway_title=lambda p: _pathway_title(pathways, p),
        outcome_title=lambda o: outcome_label(o) or _("(none)"))


@bp.get("/cases")
@roles_required(*ROLES)
def cases():  # noqa: ANN201
    filters = read_filters()
    figure = request.args.get("figure", "opened")
    key = request.args.get("key") or None
    if figure not in FIGURES or (figure == "sex" and key not in SEX_KEYS) or (figure == "age" and key not in AGE_KEYS):
        abort(404)
    complete = fold_for_the_page()
    with services().engine.connect() as connection:
        ids = case_ids(connection, scope_of(filters), figure, key, refresh_first=False)
    found = list(db().scalars(select(Case).where(Case.id.in_(ids), policy.visible_cases_clause(actor()))
                              .order_by(Case.id))) if ids else []
    pathways = dict(current_pathways())
    return render_template("monitoring/cases.html", cases=found, filters=filters, figure=figure, key=key,
                           complete=complete,
                           figure_label=_figure_label(figure, key, pathways), status_label=status_label,
                           pathway_title=lambda p: _pathway_title(pathways, p),
                           stage_title=lambda p, s: _stage_title(pathways, p, s))


def _figure_label(figure: str, key: str | None, pathways: dict) -> str:
    labels = {"opened": _("Opened"), "active": _("Active"), "on_hold": _("On hold"), "closed": _("Closed"),
              "overdue": _("Overdue")}
    if figure in labels:
        return labels[figure]
    if figure == "outcome":
        return _("Outcome: %(outcome)s", outcome=outcome_label(key) or key or "")
    if figure == "supply_chain":
        return _("Supply chain: %(chain)s", chain=supply_chain_name(key or ""))
    if figure == "sex":
        return _("Workers per sex: %(sex)s", sex=sex_label(key) if key in SEX_KEYS else key or "")
    if figure == "age":
        return _("Workers per age band at opening: %(band)s", band=age_label(key) if key in AGE_KEYS else key or "")
    if figure == "pathway":
        return _("Pathway: %(pathway)s", pathway=_pathway_title(pathways, key or ""))
    pathway_id, _sep, stage_id = (key or "").partition("/")
    return _("Reached the stage %(stage)s (%(pathway)s)", stage=_stage_title(pathways, pathway_id, stage_id),
             pathway=_pathway_title(pathways, pathway_id))


# Exports ------------------------------------------------------------------------------------------------

def suppress(n: int) -> int | str:
    """Small-count suppression: a count from 1 to 4 could point at a person; it is written "<5"."""
    return SMALL if 1 <= n <= 4 else n


def export_rows(board: Dashboard, pathways: dict) -> Iterator[tuple[str, str, str, str, Any]]:
    """(table, pathway, item, label, value) — counts only, no names and no case ids."""
    totals = {"opened": _("Opened"), "active": _("Active"), "on_hold": _("On hold"), "closed": _("Closed"),
              "overdue": _("Overdue")}
    for k, label in totals.items():
        yield "totals", "", k, label, suppress(board.totals.get(k, 0))
    for pathway_id, per in sorted(board.by_pathway.items()):
        for k in ("opened", "active", "on_hold", "closed"):
            yield "pathways", pathway_id, k, totals[k], suppress(per.get(k, 0))
    for outcome, n in sorted(board.outcomes.items(), key=lambda kv: kv[0] or ""):
        yield "outcomes", "", outcome or "", outcome_label(outcome) or _("(none)"), suppress(n)
    yield "jobs", "", "created", _("Jobs created"), suppress(board.jobs.get("created", 0))
    yield "jobs", "", "kept", _("Jobs kept"), suppress(board.jobs.get("kept", 0))
    for pathway_id, _title, rows in funnel_rows(board, pathways):
        for stage_id, stage_title, n, time in rows:
            yield "funnel", pathway_id, stage_id, stage_title, suppress(n)
            if time is not None:
                small = 1 <= time.visits <= 4
                yield "stage_times", pathway_id, stage_id + ":visits", stage_title, suppress(time.visits)
                yield "stage_times", pathway_id, stage_id + ":median_days", stage_title, \
                    SMALL if small else time.median_days
                yield "stage_times", pathway_id, stage_id + ":p90_days", stage_title, SMALL if small else time.p90_days
    for chain, n in sorted(board.supply_chains.items()):
        yield "supply_chains", "", chain, supply_chain_name(chain), suppress(n)
    for figure, rows in worker_rows(board).items():
        for key, label, n in rows:
            yield "workers_" + figure, "", key, label, suppress(n)


def _export_data() -> tuple[list[str], list[tuple]]:
    filters = read_filters()
    board = read_dashboard(scope_of(filters))
    header = [_("Table"), _("Pathway"), _("Item"), _("Label"), _("Value")]
    return header, list(export_rows(board, dict(current_pathways())))


def _download(body: bytes, mimetype: str, name: str) -> Response:
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@bp.get("/export.csv")
@roles_required(*ROLES)
def export_csv():  # noqa: ANN201
    header, rows = _export_data()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return _download(("\ufeff" + out.getvalue()).encode("utf-8"), "text/csv", "monitoring.csv")


@bp.get("/export.xlsx")
@roles_required(*ROLES)
def export_xlsx():  # noqa: ANN201
    from openpyxl import Workbook

    header, rows = _export_data()
    book = Workbook()
    book.remove(book.active)
    for table in dict.fromkeys(r[0] for r in rows):
        sheet = book.create_sheet(title=table[:31])
        sheet.append(header)
        for row in rows:
            if row[0] == table:
                sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return _download(out.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     "monitoring.xlsx")
