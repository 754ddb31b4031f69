"""The case page, and the frame every action on it runs in: one engine operation with the case version the
page showed; a refusal is shown on the page in the user's language with what was typed kept, a stale version
shows what changed meanwhile.
"""
from __future__ import annotations

from typing import Any, Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from engine import ConflictError, EngineError, FormInvalid, NotAllowed, Receipt, RequirementsNotMet, policy
from engine.i18n import localize
from engine.models import Case
from engine.pathway import SignOffRule

from ...routing import posted_id
from ...access import actor, can_see_case, roles_required, visible_case_or_404
from ...i18n import lang
from ...services import db, services
from .. import page as case_page, parties as case_parties, stage_form
from ..forms import MeetingForm, NoteForm, SUPPLY_CHAIN_LABELS
from ..progress import score_text
from . import CASE_ROLES, bp
from .desks import _mentors, _pathways


def render_case(case: Case, status: int = 200, *, error: str | None = None, errors: list[str] | None = None,
                conflict: list[str] | None = None, keep: dict[str, Any] | None = None,
                form_errors: dict[str, list[str]] | None = None, where: str | None = None):  # noqa: ANN201
    """The case page; `error` is shown at `where` (the id of the place whose form was posted: `req-<id>`,
    `exits`, `action-<name>`, `choice`, `notes`, `meeting`), at the top when the page has no such place."""
    session = db()
    if request.method != "GET":
        session.rollback()  # a fresh snapshot: the engine wrote in its own transaction
        session.refresh(case)
    view = case_page.build(session, services().cases, case, actor(), lang(), viewer_name=current_user.display_name)
    keep = keep or {}
    stage_form_obj = None
    general_form_errors: list[str] = []
    if view.form_spec is not None:
        posted = keep.get("stage_form")
        stage_form_obj = stage_form.make_form(view.form_spec, lang(), formdata=posted, saved=view.saved_form)
        if form_errors:
            general_form_errors = stage_form.attach_errors(stage_form_obj, form_errors)
    signoff_blocks = {}
    if view.active:
        for r in view.requirements:
            if isinstance(r.spec, SignOffRule) and r.can_act:
                refusals = policy.sign_refusals(actor(), view.state, r.spec)
                signoff_blocks[r.spec.id] = [refusal.message(lang()) for refusal in refusals]
    other_pathways = [(pid, p) for pid, p in _pathways(services().library) if pid != view.pathway.id]
    if not view.manager or view.closed:
        other_pathways = []
    if where not in _places(view, other_pathways):
        where = None
    mentors = _mentors() if view.manager else []
    # Without questionnaires answered on this case, nor an earlier case it continues, no progress either.
    submitted = view.submitted
    return render_template(
        "cases/case.html", view=view, case=view.case, error=error, errors=errors or [], conflict=conflict,
        error_where=where if error else None,
        assessment_results=_assessment_results(view.case, submitted),
        progress=_progress(view.case) if submitted or view.case.previous_case_id is not None else [],
        keep=keep, stage_form=stage_form_obj, general_form_errors=general_form_errors,
        signoff_blocks=signoff_blocks, other_pathways=other_pathways, mentors=mentors,
        note_form=NoteForm(formdata=None, data={"body": keep.get("note", "")}),
        meeting_form=MeetingForm(formdata=None) if "meeting" not in keep else keep["meeting"],
        supply_chain_labels=SUPPLY_CHAIN_LABELS, parties=case_parties.build(session, view.case, view),
        pathway_titles={pid: localize(p.title, lang()) for pid, p in _pathways()},
    ), status


def _places(view: case_page.CaseView, other_pathways: list[Any]) -> set[str]:
    """The places of the page an error can be shown at (see `render_case`)."""
    places = {"req-" + r.spec.id for r in view.requirements} | {"notes", "meeting"}
    if view.exits:
        places.add("exits")
    if view.manager and not view.closed:
        places |= {"action-hold" if view.active else "action-resume", "action-withdraw", "action-mentor",
                   "action-members"}
        if view.visited_stage_ids and view.active:
            places.add("action-reopen")
        if other_pathways:
            places.add("action-switch")
        if view.recommendation and view.active and not view.stage.assessment:
            places.add("choice")
    return places


@bp.get("/cases/<int:case_id>")
@roles_required(*CASE_ROLES)
def case(case_id: int):  # noqa: ANN201
    return render_case(visible_case_or_404(case_id, options=(joinedload(Case.members),)))  # the page names them


def posted_version() -> int:
    """The version of the case the page showed: an operation on a case that changed since is refused."""
    return posted_id(request.form.get("version"))


def act(case_id: int, operation: Callable[[Any, int], Receipt], done: str, *, keep: dict[str, Any] | None = None,
        anchor: str = "", where: str | None = None) -> Any:
    """Run one engine operation on the case with the version the page showed; show the outcome — a refusal
    at `where`, the place of the page the action was posted from (by default its anchor, or its `action`)."""
    case_row = visible_case_or_404(case_id)
    version = posted_version()
    where = where or anchor or ("action-" + keep["action"] if keep and keep.get("action") else None)
    try:
        receipt = operation(actor(), version)
    except ConflictError:
        return _conflict(case_row, version, keep)
    except FormInvalid as exc:
        return render_case(case_row, 422, error=exc.message(lang()), keep=keep, form_errors=exc.messages(lang()),
                           where=where)
    except RequirementsNotMet as exc:
        return render_case(case_row, 422, error=_("This exit cannot be taken yet."),
                           errors=[u.message(lang()) for u in exc.unmet], keep=keep, where=where)
    except NotAllowed as exc:
        return render_case(case_row, 403, error=exc.message(lang()), keep=keep, where=where)
    except EngineError as exc:
        return render_case(case_row, 422, error=exc.message(lang()), keep=keep, where=where)
    flash(done, "success")
    target = receipt.new_case_id or case_id
    if target != case_id:
        db().rollback()  # a fresh snapshot, that sees the case the operation opened
        new_case_row = db().get(Case, target)
        if new_case_row is None or not _visible(new_case_row):
            target = case_id
    return redirect(url_for("cases.case", case_id=target, _anchor=anchor or None))


def _conflict(case_row: Case, seen_version: int, keep: dict[str, Any] | None):  # noqa: ANN202
    """The page again, at the current version, saying what changed since `seen_version`; what the user
    typed is put back in its form."""
    db().rollback()
    changes = case_page.changes_since(db(), case_row, seen_version, lang())
    return render_case(case_row, 409, conflict=changes, keep=keep)


def _visible(case_row: Case) -> bool:
    return can_see_case(case_row)


@bp.app_template_global()
def member_names(case_row: Case, kind: str = "worker") -> str:
    return ", ".join(m.display_name or m.person_id for m in case_row.members if m.kind == kind)


def _assessment_results(case_row: Case, responses: list[Any]) -> list[tuple[Any, Any]]:
    """Each submitted questionnaire of the case (`responses`), in words, with its scores as a chart (1 to 5)."""
    from engine.dossier import assessment_results

    from ...monitoring.chart import bar_chart

    if not responses:
        return []
    names = {m.person_id: m.display_name for m in case_row.members}
    records = assessment_results(db(), services().library, services().assessments, responses, lang(),
                                 lambda person: names.get(person) or person)
    return [(record, bar_chart([(title, score or 0) for title, score in record.scores],
                               f"{record.title} — {record.person}", f"scores-{index}",
                               value_text=lambda v: score_text(v) if v else "—", top=5))
            for index, record in enumerate(records)]


def _progress(case_row: Case) -> list[tuple[Any, Any]]:
    """Each worker's follow-up compared with their intake, with its chart."""
    from ..progress import progress_with_charts

    names = {m.person_id: m.display_name for m in case_row.members}
    return progress_with_charts(db(), services().assessments, case_row.id, lang(), names)
