"""Desk pages, opening cases, the case page and its actions, the mentor's view.

Every change to a case is one engine operation, given the case version the page showed. A refusal is shown
on the case page, in the user's language, with what was typed kept in the form; a stale version shows what
changed meanwhile.
"""
from __future__ import annotations

import dataclasses
import re
import secrets
import unicodedata
from datetime import datetime, time, timezone
from typing import Any, Callable
from zoneinfo import ZoneInfo

from flask import (
    Blueprint, abort, current_app, flash, redirect, render_template, request, url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from engine import (
    ConflictError, EngineError, FormInvalid, Member, NotAllowed, Receipt, RequirementsNotMet, policy,
)
from engine.i18n import localize
from engine.models import Case, Desk, utcnow
from engine.pathway import SignOffRule
from engine.queries import counts
from engine.requirements import StageState

from ..access import (
    actor, can_see_case, document_or_404, roles_required, visible_case_or_404, visible_desk_ids,
    visible_desk_or_404,
)
from ..i18n import lang
from ..models import CaseNote, User, UserRole
from ..services import current_pathways, db, services
from ..security import send_private_file
from . import page as case_page
from . import stage_form
from .forms import (
    SUPPLY_CHAIN_LABELS, DeskFilterForm, MeetingForm, NoteForm, OpenCaseForm,
)
from .listing import Filters, desk_page

bp = Blueprint("cases", __name__, template_folder="templates")
DESK_ROLES = policy.AREAS["desks"]
CASE_ROLES = policy.AREAS["cases"]
MENTOR_ROLES = policy.AREAS["mentor"]


# --- desks ------------------------------------------------------------------------------------------

@bp.get("/desks")
@roles_required(*DESK_ROLES)
def desks():  # noqa: ANN201
    allowed = visible_desk_ids()
    query = select(Desk).order_by(Desk.country, Desk.name)
    if allowed is not None:
        query = query.where(Desk.id.in_(sorted(allowed)))
    rows = list(db().scalars(query))
    now = utcnow()
    ids = [d.id for d in rows]
    active = dict(db().execute(select(Case.desk_id, func.count()).where(
        Case.desk_id.in_(ids), Case.status == "active").group_by(Case.desk_id)).all())
    late = dict(db().execute(select(Case.desk_id, func.count()).where(
        Case.desk_id.in_(ids), Case.status == "active", Case.due_at < now).group_by(Case.desk_id)).all())
    held = dict(db().execute(select(Case.desk_id, func.count()).where(
        Case.desk_id.in_(ids), Case.status == "on_hold").group_by(Case.desk_id)).all())
    return render_template("cases/desks.html", desks=rows, active=active, late=late, held=held)


@bp.get("/desks/<desk_id>")
@roles_required(*DESK_ROLES)
def desk(desk_id: str):  # noqa: ANN201
    desk_row = visible_desk_or_404(desk_id)
    f = Filters.from_args(request.args)
    now = utcnow()
    library = services().library
    session = db()
    result = desk_page(session, desk_id, f, current_app.config["PAGE_SIZE"], now,
                       visible=policy.visible_cases_clause(actor()))
    pathways = _pathways(library)
    stage_counts = counts(session, desks=[desk_id], status="active")
    per_pathway = []
    for pid, pathway in pathways:
        rows = [(s, stage_counts.get((desk_id, pid, s.id), 0)) for s in pathway.stages]
        total = sum(n for _s, n in rows)
        if total:
            per_pathway.append((pid, pathway, rows, total))
    overdue_count = session.scalar(select(func.count()).select_from(Case).where(
        Case.desk_id == desk_id, Case.status == "active", Case.due_at < now)) or 0
    form = DeskFilterForm(MultiDict(request.args))
    form.pathway.choices = [("", _("All pathways"))] + [(pid, localize(p.title, lang())) for pid, p in pathways]
    stage_choices = [("", _("All stages"))]
    seen = set()
    for pid, p in pathways:
        if f.pathway and pid != f.pathway:
            continue
        for s in p.stages:
            if s.id not in seen:
                seen.add(s.id)
                stage_choices.append((s.id, localize(s.title, lang())))
    form.stage.choices = stage_choices
    form.supply_chain.choices = [("", _("All supply chains"))] + [(k, str(v)) for k, v in SUPPLY_CHAIN_LABELS.items()]
    mentors = _mentors()
    form.mentor.choices = [("", _("Any mentor"))] + [(m.id, m.display_name) for m in mentors]
    for name in ("status", "sort", "order"):
        getattr(form, name).data = getattr(f, name)
    return render_template(
        "cases/desk.html", desk=desk_row, result=result, filters=f, form=form, per_pathway=per_pathway,
        overdue_count=overdue_count, now=now, revision_of=lambda rid: library.revision(rid, session).pathway,
    )


def _pathways(_library: Any = None) -> list[tuple[str, Any]]:
    return current_pathways()


def _mentors() -> list[Any]:
    return users_with_role("mentor")


def users_with_role(role: str) -> list[Any]:
    """(id, display_name) of the enabled accounts with a role."""
    return list(db().execute(select(User.id, User.display_name).join(UserRole)
                             .where(UserRole.role == role, User.disabled.is_(False)).order_by(User.display_name)))


# --- opening a case ---------------------------------------------------------------------------------

@bp.route("/cases/new", methods=["GET", "POST"])
@roles_required(*DESK_ROLES)
def new_case():  # noqa: ANN201
    library = services().library
    allowed = policy.working_desk_ids(actor())
    desk_query = select(Desk).order_by(Desk.country, Desk.name)
    if allowed is not None:
        desk_query = desk_query.where(Desk.id.in_(sorted(allowed)))
    desk_rows = list(db().scalars(desk_query))
    if not desk_rows:
        abort(403)
    pathways = _pathways(library)
    form = OpenCaseForm()
    form.desk.choices = [(d.id, f"{d.name} ({d.country})") for d in desk_rows]
    form.pathway.choices = [(pid, localize(p.title, lang())) for pid, p in pathways]
    form.mentor.choices = [("", _("No mentor yet"))] + [(m.id, m.display_name) for m in _mentors()]
    if request.method == "GET":
        wanted = request.args.get("desk")
        form.desk.data = wanted if wanted in {d.id for d in desk_rows} else desk_rows[0].id
    status = 200
    errors: list[str] = []
    if request.method == "POST" and "more" in request.form:
        form.workers.append_entry()
    elif form.validate_on_submit():
        members, new_users, errors = _members_from(form)
        if not errors:
            mentor_members = []
            if form.mentor.data:
                mentor = db().get(User, form.mentor.data)
                if mentor is None or not mentor.has("mentor"):
                    abort(400)
                mentor_members.append(Member(mentor.id, mentor.display_name))
            try:
                receipt = services().cases.open_case(
                    actor(), pathway_id=form.pathway.data, desk_id=form.desk.data, members=members,
                    mentors=mentor_members, supply_chains=form.supply_chains.data or [],
                    title=(form.title.data or "").strip())
            except NotAllowed:
                abort(404)
            except EngineError as exc:
                errors.append(exc.message(lang()))
            else:
                db().rollback()  # a fresh transaction: the engine has written since this one began
                for user in new_users:
                    db().add(user)
                try:
                    db().commit()
                except IntegrityError:
                    db().rollback()
                flash(_("The case is open."), "success")
                return redirect(url_for("cases.case", case_id=receipt.case_id))
        status = 422
    elif request.method == "POST":
        status = 422
    return render_template("cases/new.html", form=form, errors=errors, pathways=pathways), status


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:30] or "worker"


def _members_from(form: OpenCaseForm) -> tuple[list[Member], list[User], list[str]]:
    """The workers typed in: an e-mail of a known worker reuses that person; anyone else is registered."""
    members: list[Member] = []
    new_users: list[User] = []
    errors: list[str] = []
    seen: set[str] = set()
    for entry in form.workers.entries:
        name = (entry.form.name.data or "").strip()
        email = (entry.form.email.data or "").strip().lower()
        if not name and not email:
            continue
        sex = entry.form.sex.data or None
        year_text = (entry.form.birth_year.data or "").strip()
        birth_year = int(year_text) if year_text.isdigit() and len(year_text) <= 6 else None
        if year_text and birth_year is None:
            errors.append(_("Write the year of birth of %(name)s with digits (for example 1975), or leave it empty.",
                            name=name or email))
            continue
        if email:
            if email in seen:
                errors.append(_("%(email)s is written twice.", email=email))
                continue
            seen.add(email)
            existing = db().scalar(select(User).where(User.email == email))
            if existing is not None:
                if not existing.has("worker"):
                    errors.append(_("%(email)s belongs to a staff account, not to a worker.", email=email))
                    continue
                members.append(Member(existing.id, existing.display_name, sex, birth_year))
                continue
        if not name:
            errors.append(_("Give the name of the worker with the e-mail %(email)s.", email=email))
            continue
        user = User(id=f"w-{_slug(name)}-{secrets.token_hex(3)}", email=email or None, display_name=name,
                    password_hash=None, roles=["worker"], language=None, disabled=False, failed_logins=0)
        new_users.append(user)
        members.append(Member(user.id, name, sex, birth_year))
    if not members and not errors:
        errors.append(_("Name at least one worker."))
    return members, new_users, errors


# --- the case page ----------------------------------------------------------------------------------

def render_case(case: Case, status: int = 200, *, error: str | None = None, errors: list[str] | None = None,
                conflict: list[str] | None = None, keep: dict[str, Any] | None = None,
                form_errors: dict[str, list[str]] | None = None):  # noqa: ANN201
    session = db()
    if request.method != "GET":
        session.rollback()  # a fresh snapshot: the engine wrote in its own transaction
        session.refresh(case)
    view = case_page.build(session, services().cases, case, actor(), lang())
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
    mentors = _mentors() if view.manager else []
    return render_template(
        "cases/case.html", view=view, case=view.case, error=error, errors=errors or [], conflict=conflict,
        assessment_results=_assessment_results(view.case),
        progress=_progress(view.case),
        keep=keep, stage_form=stage_form_obj, general_form_errors=general_form_errors,
        signoff_blocks=signoff_blocks, other_pathways=other_pathways, mentors=mentors,
        note_form=NoteForm(formdata=None, data={"body": keep.get("note", "")}),
        meeting_form=MeetingForm(formdata=None) if "meeting" not in keep else keep["meeting"],
        supply_chain_labels=SUPPLY_CHAIN_LABELS,
        pathway_titles={pid: localize(p.title, lang()) for pid, p in _pathways()},
    ), status


@bp.get("/cases/<int:case_id>")
@roles_required(*CASE_ROLES)
def case(case_id: int):  # noqa: ANN201
    return render_case(visible_case_or_404(case_id))


def _version() -> int:
    try:
        return int(request.form["version"])
    except (KeyError, ValueError):
        abort(400)


def act(case_id: int, operation: Callable[[Any, int], Receipt], done: str, *, keep: dict[str, Any] | None = None,
        anchor: str = "") -> Any:
    """Run one engine operation on the case with the version the page showed; show the outcome."""
    case_row = visible_case_or_404(case_id)
    version = _version()
    try:
        receipt = operation(actor(), version)
    except ConflictError:
        return _conflict(case_row, version, keep)
    except FormInvalid as exc:
        return render_case(case_row, 422, error=exc.message(lang()), keep=keep, form_errors=exc.messages(lang()))
    except RequirementsNotMet as exc:
        return render_case(case_row, 422, error=_("This exit cannot be taken yet."),
                           errors=[u.message(lang()) for u in exc.unmet], keep=keep)
    except NotAllowed as exc:
        return render_case(case_row, 403, error=exc.message(lang()), keep=keep)
    except EngineError as exc:
        return render_case(case_row, 422, error=exc.message(lang()), keep=keep)
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


def _member_arg() -> str | None:
    member = request.form.get("member") or None
    return member


@bp.post("/cases/<int:case_id>/checklist")
@roles_required(*CASE_ROLES)
def checklist(case_id: int):  # noqa: ANN201
    item = request.form.get("item", "")
    member = _member_arg()
    if request.form.get("action") == "untick":
        return act(case_id, lambda a, v: services().cases.untick(case_id, a, v, item, member=member),
                   _("The item is unticked."), anchor="req-" + item)
    return act(case_id, lambda a, v: services().cases.tick(case_id, a, v, item, member=member),
               _("The item is ticked."), anchor="req-" + item)


@bp.post("/cases/<int:case_id>/documents")
@roles_required(*CASE_ROLES)
def upload(case_id: int):  # noqa: ANN201
    visible_case_or_404(case_id)
    requirement = request.form.get("requirement", "")
    member = _member_arg()
    upload_file = request.files.get("file")
    if upload_file is None or not upload_file.filename:
        return render_case(visible_case_or_404(case_id), 422, error=_("Choose a file to upload."))
    filename = upload_file.filename
    content = upload_file.read()
    return act(case_id, lambda a, v: services().cases.attach_document(
        case_id, a, v, requirement, filename, content, member=member),
        _("The document is attached."), anchor="req-" + requirement)


@bp.get("/cases/<int:case_id>/documents/<int:document_id>")
@roles_required(*CASE_ROLES)
def download(case_id: int, document_id: int):  # noqa: ANN201
    document = document_or_404(visible_case_or_404(case_id), document_id)
    return send_private_file(document.sha256, document.content_type, document.filename)


@bp.post("/cases/<int:case_id>/documents/<int:document_id>/remove")
@roles_required(*CASE_ROLES)
def remove_document(case_id: int, document_id: int):  # noqa: ANN201
    return act(case_id, lambda a, v: services().cases.remove_document(case_id, a, v, document_id),
               _("The document is removed."))


@bp.post("/cases/<int:case_id>/form")
@roles_required(*CASE_ROLES)
def submit_form(case_id: int):  # noqa: ANN201
    case_row = visible_case_or_404(case_id)
    spec = services().library.revision(case_row.revision_id).pathway.stage(case_row.stage_id)
    if spec is None or spec.form is None:
        return render_case(case_row, 422, error=_("This stage has no form."))
    data = stage_form.collect(spec.form, request.form)
    keep = {"stage_form": request.form}
    if _version() != case_row.version:
        # Stale before anything else: say what changed (the engine checks again, atomically, on saving).
        return _conflict(case_row, _version(), keep)
    problems = stage_form.validate(spec.form, data)
    if problems:
        messages = {name: [u.message(lang()) for u in items] for name, items in problems.items()}
        return render_case(case_row, 422, error=_("Some fields need to be corrected."), keep=keep,
                           form_errors=messages)
    return act(case_id, lambda a, v: services().cases.submit_form(case_id, a, v, data),
               _("The form is saved."), keep=keep, anchor="req-form")


@bp.post("/cases/<int:case_id>/signoffs")
@roles_required(*CASE_ROLES)
def sign_off(case_id: int):  # noqa: ANN201
    signoff = request.form.get("signoff", "")
    comment = (request.form.get("comment") or "").strip()[:2000]
    return act(case_id, lambda a, v: services().cases.sign_off(case_id, a, v, signoff, comment=comment),
               _("Your sign-off is recorded."), keep={"signoff": signoff, "comment": comment},
               anchor="req-" + signoff)


@bp.post("/cases/<int:case_id>/advance")
@roles_required(*CASE_ROLES)
def advance(case_id: int):  # noqa: ANN201
    exit_id = request.form.get("exit", "")
    return act(case_id, lambda a, v: services().cases.advance(case_id, a, v, exit_id),
               _("The case has moved on."))


def _reason() -> str:
    return (request.form.get("reason") or "").strip()[:2000]


@bp.post("/cases/<int:case_id>/hold")
@roles_required(*CASE_ROLES)
def hold(case_id: int):  # noqa: ANN201
    reason = _reason()
    return act(case_id, lambda a, v: services().cases.hold(case_id, a, v, reason),
               _("The case is on hold."), keep={"action": "hold", "reason": reason})


@bp.post("/cases/<int:case_id>/resume")
@roles_required(*CASE_ROLES)
def resume(case_id: int):  # noqa: ANN201
    reason = _reason()
    return act(case_id, lambda a, v: services().cases.resume(case_id, a, v, reason),
               _("The case is active again."), keep={"action": "resume", "reason": reason})


@bp.post("/cases/<int:case_id>/withdraw")
@roles_required(*CASE_ROLES)
def withdraw(case_id: int):  # noqa: ANN201
    reason = _reason()
    return act(case_id, lambda a, v: services().cases.withdraw(case_id, a, v, reason),
               _("The case is closed as withdrawn."), keep={"action": "withdraw", "reason": reason})


@bp.post("/cases/<int:case_id>/reopen")
@roles_required(*CASE_ROLES)
def reopen(case_id: int):  # noqa: ANN201
    reason = _reason()
    stage = request.form.get("stage", "")
    return act(case_id, lambda a, v: services().cases.reopen(case_id, a, v, stage, reason),
               _("The stage is reopened."), keep={"action": "reopen", "reason": reason, "stage": stage})


@bp.post("/cases/<int:case_id>/switch")
@roles_required(*CASE_ROLES)
def switch(case_id: int):  # noqa: ANN201
    reason = _reason()
    pathway = request.form.get("pathway", "")
    return act(case_id, lambda a, v: services().cases.switch_pathway(case_id, a, v, pathway, reason),
               _("The case continues on another pathway."),
               keep={"action": "switch", "reason": reason, "pathway": pathway})


@bp.post("/cases/<int:case_id>/mentors")
@roles_required(*CASE_ROLES)
def assign_mentor(case_id: int):  # noqa: ANN201
    case_row = visible_case_or_404(case_id)
    mentor = db().get(User, request.form.get("mentor", ""))
    if mentor is None or not mentor.has("mentor") or mentor.disabled:
        return render_case(case_row, 422, error=_("Choose a mentor."), keep={"action": "mentor"})
    member = Member(mentor.id, mentor.display_name)
    return act(case_id, lambda a, v: services().cases.assign_mentor(case_id, a, v, member),
               _("The mentor is assigned."), keep={"action": "mentor"})


@bp.post("/cases/<int:case_id>/members")
@roles_required(*CASE_ROLES)
def change_members(case_id: int):  # noqa: ANN201
    case_row = visible_case_or_404(case_id)
    remove = request.form.get("remove")
    if remove:
        return act(case_id, lambda a, v: services().cases.change_members(case_id, a, v, remove=[remove]),
                   _("The worker is removed from the group."))
    name = (request.form.get("name") or "").strip()[:200]
    email = (request.form.get("email") or "").strip().lower()[:254]
    sex = request.form.get("sex") or None
    year_text = (request.form.get("birth_year") or "").strip()[:20]
    keep = {"action": "members", "name": name, "email": email, "sex": sex or "", "birth_year": year_text}
    birth_year = int(year_text) if year_text.isdigit() and len(year_text) <= 6 else None
    if year_text and birth_year is None:
        return render_case(case_row, 422, error=_(
            "Write the year of birth of %(name)s with digits (for example 1975), or leave it empty.",
            name=name or email), keep=keep)
    new_user = None
    if email:
        existing = db().scalar(select(User).where(User.email == email))
        if existing is not None and not existing.has("worker"):
            return render_case(case_row, 422, error=_("%(email)s belongs to a staff account, not to a worker.",
                                                      email=email), keep=keep)
        if existing is not None:
            member = Member(existing.id, existing.display_name)
        elif name:
            new_user = User(id=f"w-{_slug(name)}-{secrets.token_hex(3)}", email=email, display_name=name,
                            roles=["worker"], disabled=False, failed_logins=0)
            member = Member(new_user.id, name)
        else:
            return render_case(case_row, 422, error=_("Give the name of the worker."), keep=keep)
    elif name:
        new_user = User(id=f"w-{_slug(name)}-{secrets.token_hex(3)}", email=None, display_name=name,
                        roles=["worker"], disabled=False, failed_logins=0)
        member = Member(new_user.id, name)
    else:
        return render_case(case_row, 422, error=_("Give the name of the worker."), keep=keep)
    member = dataclasses.replace(member, sex=sex, birth_year=birth_year)
    response = act(case_id, lambda a, v: services().cases.change_members(case_id, a, v, add=[member]),
                   _("The worker joins the group."), keep=keep)
    # A refusal comes back as the case page and its status (a tuple); only a redirect means it was done.
    if new_user is not None and not isinstance(response, tuple) and response.status_code == 302:
        db().rollback()  # a fresh transaction: the engine has written since this one began
        db().add(new_user)
        db().commit()
    return response


@bp.post("/cases/<int:case_id>/notes")
@roles_required(*CASE_ROLES)
def add_note(case_id: int):  # noqa: ANN201
    case_row = visible_case_or_404(case_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return render_case(case_row, 422, error=_("Write the note first."), keep={"note": form.body.data or ""})
    db().add(CaseNote(case_id=case_id, kind="note", author_id=current_user.id, body=form.body.data.strip()))
    db().commit()
    flash(_("The note is saved."), "success")
    return redirect(url_for("cases.case", case_id=case_id, _anchor="timeline"))


@bp.post("/cases/<int:case_id>/meetings")
@roles_required(*CASE_ROLES)
def add_meeting(case_id: int):  # noqa: ANN201
    case_row = visible_case_or_404(case_id)
    form = MeetingForm()
    if not form.validate_on_submit():
        return render_case(case_row, 422, error=_("Give the date of the meeting."), keep={"meeting": form})
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    when = datetime.combine(form.date.data, form.time.data or time(0, 0), tzinfo=zone).astimezone(timezone.utc)
    db().add(CaseNote(case_id=case_id, kind="meeting", author_id=current_user.id, body=(form.body.data or "").strip(),
                      place=(form.place.data or "").strip(), meeting_at=when))
    db().commit()
    flash(_("The meeting is recorded."), "success")
    return redirect(url_for("cases.case", case_id=case_id, _anchor="timeline"))


# --- the assessment questionnaire -------------------------------------------------------------------

def _questionnaire_context(case_id: int, person_id: str):  # noqa: ANN202
    """The case, the stage's assessment requirement, the worker and their saved answers (404 otherwise)."""
    from engine.models import AssessmentResponse

    case_row = visible_case_or_404(case_id)
    pathway = services().library.revision(case_row.revision_id, db()).pathway
    stage = pathway.stage(case_row.stage_id)
    requirement = stage.assessment if stage is not None else None
    worker = next((m for m in case_row.members if m.kind == "worker" and m.person_id == person_id), None)
    if requirement is None or worker is None or case_row.status != "active":
        abort(404)
    if not policy.may_act(actor(), case_row, requirement.roles):
        abort(403)
    response = db().scalar(select(AssessmentResponse).where(
        AssessmentResponse.case_id == case_id, AssessmentResponse.person_id == person_id,
        AssessmentResponse.assessment_id == requirement.assessment_id))
    library = services().assessments
    revision_id = response.revision_id if response else library.current_revision_id(requirement.assessment_id, db())
    return case_row, stage, requirement, worker, response, library.revision(revision_id, db())


@bp.route("/cases/<int:case_id>/assessments/<person_id>", methods=["GET", "POST"])
@roles_required(*CASE_ROLES)
def questionnaire(case_id: int, person_id: str):  # noqa: ANN201
    from . import questionnaire as q

    case_row, stage, requirement, worker, response, assessment = _questionnaire_context(case_id, person_id)
    if response is not None and response.submitted_at is not None:
        flash(_("The answers of %(name)s are already submitted.", name=worker.display_name), "info")
        return redirect(url_for("cases.case", case_id=case_id, _anchor="req-assessment"))
    status, error, formdata = 200, None, None
    if request.method == "POST":
        formdata = request.form
        answers = q.collect(assessment, request.form)
        try:
            if request.form.get("action") == "submit":
                services().cases.submit_assessment(case_id, actor(), _version(), person_id=person_id,
                                                   answers=answers)
                flash(_("The answers of %(name)s are submitted.", name=worker.display_name), "success")
                return redirect(url_for("cases.case", case_id=case_id, _anchor="req-assessment"))
            services().cases.save_assessment_answers(case_id, actor(), answers, person_id=person_id)
            flash(_("The answers are saved: you can come back to them."), "success")
            return redirect(url_for("cases.questionnaire", case_id=case_id, person_id=person_id))
        except ConflictError:
            status, error = 409, _("This case changed meanwhile: check the answers and submit them again.")
        except FormInvalid as exc:
            status, error = 422, _("Some answers are missing or need to be corrected.")
            form = q.build(assessment, lang(), formdata=formdata)
            stage_form.attach_errors(form, exc.messages(lang()))
            return _render_questionnaire(case_row, stage, requirement, worker, assessment, form, error, status)
        except NotAllowed as exc:
            status, error = 403, exc.message(lang())
        except EngineError as exc:
            status, error = 422, exc.message(lang())
        db().rollback()
        db().refresh(case_row)
    form = q.build(assessment, lang(), formdata=formdata, saved=response.answers if response else None)
    return _render_questionnaire(case_row, stage, requirement, worker, assessment, form, error, status)


def _render_questionnaire(case_row, stage, requirement, worker, assessment, form, error, status):  # noqa: ANN001, ANN202
    sections = [(sid, title, intro, [form[q.id] for q in assessment.section_questions(sid)])
                for sid, title, intro in assessment.sections]
    return render_template("cases/questionnaire.html", case=case_row, stage=stage, requirement=requirement,
                           worker=worker, assessment=assessment, sections=sections, error=error), status


@bp.post("/cases/<int:case_id>/choice")
@roles_required(*CASE_ROLES)
def choose_pathway(case_id: int):  # noqa: ANN201
    pathway = request.form.get("pathway", "")
    reason = _reason()
    return act(case_id, lambda a, v: services().cases.record_pathway_choice(case_id, a, v, pathway, reason=reason),
               _("The chosen pathway is recorded."), keep={"action": "choice", "reason": reason, "pathway": pathway},
               anchor="choice")


# --- the mentor's view ------------------------------------------------------------------------------

@bp.get("/mentor")
@roles_required(*MENTOR_ROLES)
def mentor():  # noqa: ANN201
    session = db()
    library = services().library
    rows = list(session.scalars(select(Case).where(policy.mentor_cases_clause(current_user.id))
                                .order_by(Case.status, Case.due_at.is_(None), Case.due_at, Case.id)))
    waiting = []
    now = utcnow()
    for row in rows:
        if row.status != "active":
            continue
        pathway = library.revision(row.revision_id, session).pathway
        stage = pathway.stage(row.stage_id)
        rules = [r for r in (stage.signoffs if stage else ()) if r.role == "mentor"]
        if not rules:
            continue
        state = StageState.load(session, row, pathway, now)
        for rule in rules:
            blockers = policy.sign_refusals(actor(), state, rule)
            if any(b.code in policy.SIGNOFF_DONE for b in blockers):
                continue  # not waiting for me any more
            waiting.append((row, pathway, stage, rule, [b.message(lang()) for b in blockers]))
    return render_template("cases/mentor.html", cases=rows, waiting=waiting, now=now,
                           revision_of=lambda rid: library.revision(rid, session).pathway,
                           desks={d.id: d for d in session.scalars(select(Desk))})


@bp.app_template_global()
def member_names(case_row: Case, kind: str = "worker") -> str:
    return ", ".join(m.display_name or m.person_id for m in case_row.members if m.kind == kind)



def _assessment_results(case_row: Case) -> list[tuple[Any, Any]]:
    """Each submitted questionnaire of the case, in words, with its scores as a chart (1 to 5)."""
    from engine.dossier import assessment_results
    from engine.models import AssessmentResponse

    from ..monitoring.chart import bar_chart

    responses = list(db().scalars(select(AssessmentResponse).where(
        AssessmentResponse.case_id == case_row.id, AssessmentResponse.submitted_at.is_not(None))))
    if not responses:
        return []
    names = {m.person_id: m.display_name for m in case_row.members}
    records = assessment_results(db(), services().library, services().assessments, responses, lang(),
                                 lambda person: names.get(person) or person)
    return [(record, bar_chart([(title, score or 0) for title, score in record.scores],
                               f"{record.title} — {record.person}", f"scores-{index}",
                               value_text=lambda v: f"{v:.1f}" if v else "—", top=5))
            for index, record in enumerate(records)]


def _progress(case_row: Case) -> list[tuple[Any, Any]]:
    """Each worker's follow-up compared with their intake, with its chart."""
    from .progress import progress_with_charts

    names = {m.person_id: m.display_name for m in case_row.members}
    return progress_with_charts(db(), services().assessments, case_row.id, lang(), names)
