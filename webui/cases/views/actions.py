"""The actions of the case page: requirements, exits, hold and resume, reopen, switch, mentors, members,
notes and meetings. Each is one operation (engine, or webui/cases/operations.py) run through `act`.
"""
from __future__ import annotations

from datetime import datetime, time, timezone
from typing import Any, Callable, Iterable
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _

from engine.i18n import localize, message

from ...access import actor, document_or_404, is_manager_of, roles_required, visible_case_or_404
from ...confirmation import unconfirmed
from ...i18n import lang
from ...security import send_document
from ...routing import posted_file, posted_text
from ...services import db, services
from .. import operations, stage_form
from ..forms import MeetingForm, NoteForm
from . import CASE_ROLES, bp
from .case import _conflict, act, posted_version, render_case


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
    posted = posted_file()
    if posted is None:
        return render_case(visible_case_or_404(case_id), 422, error=_("Choose a file to upload."),
                           where="req-" + requirement)
    filename, content = posted
    return act(case_id, lambda a, v: services().cases.attach_document(
        case_id, a, v, requirement, filename, content, member=member),
        _("The document is attached."), anchor="req-" + requirement)


def add_document_download(blueprint: Blueprint, roles: Iterable[str], case_or_404: Callable[[int], Any]) -> None:
    """GET /cases/<id>/documents/<id> (endpoint "download") on an area's pages: the file of a document of a case
    the area shows (`case_or_404`), if the user may see that document."""
    @roles_required(*roles)
    def download(case_id: int, document_id: int):  # noqa: ANN202
        return send_document(document_or_404(case_or_404(case_id), document_id))

    blueprint.add_url_rule("/cases/<int:case_id>/documents/<int:document_id>", view_func=download, methods=["GET"])


add_document_download(bp, CASE_ROLES, visible_case_or_404)


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
        return render_case(case_row, 422, error=_("This stage has no form."), where="req-form")
    data = stage_form.collect(spec.form, request.form)
    keep = {"stage_form": request.form}
    if posted_version() != case_row.version:
        # Stale before anything else: say what changed (the engine checks again, atomically, on saving).
        return _conflict(case_row, posted_version(), keep)
    problems = stage_form.validate(spec.form, data)
    if problems:
        messages = {name: [u.message(lang()) for u in items] for name, items in problems.items()}
        return render_case(case_row, 422, error=_("Some fields need to be corrected."), keep=keep,
                           form_errors=messages, where="req-form")
    return act(case_id, lambda a, v: services().cases.submit_form(case_id, a, v, data),
               _("The form is saved."), keep=keep, anchor="req-form")


@bp.post("/cases/<int:case_id>/signoffs")
@roles_required(*CASE_ROLES)
def sign_off(case_id: int):  # noqa: ANN201
    signoff = request.form.get("signoff", "")
    comment = posted_text("comment")
    decision = request.form.get("decision") or "approve"
    return act(case_id, lambda a, v: services().cases.sign_off(case_id, a, v, signoff, comment=comment,
                                                               decision=decision),
               _("Your sign-off is recorded.") if decision == "approve" else _("Your decision is recorded."),
               keep={"signoff": signoff, "comment": comment, "decision": decision},
               anchor="req-" + signoff)


@bp.post("/cases/<int:case_id>/signoffs/request")
@roles_required(*CASE_ROLES)
def request_signoff(case_id: int):  # noqa: ANN201
    signoff = request.form.get("signoff", "")
    person = request.form.get("person", "")
    note = posted_text("note")
    return act(case_id, lambda a, v: services().cases.request_signoff(case_id, a, v, signoff, person, note),
               _("The sign-off is asked for: a message tells them."),
               keep={"action": "request_signoff", "signoff": signoff, "note": note}, anchor="req-" + signoff)


@bp.post("/cases/<int:case_id>/advance")
@roles_required(*CASE_ROLES)
def advance(case_id: int):  # noqa: ANN201
    case_row = visible_case_or_404(case_id)
    exit_id = request.form.get("exit", "")
    typed = {key: posted_text(key, 20) for key in ("jobs_created", "jobs_kept")}
    keep = {"action": "exit", "exit": exit_id, **typed}
    jobs: dict[str, int] = {}
    for key, text in typed.items():
        if not text:
            continue  # not recorded: monitoring counts only what was said
        if not (text.isascii() and text.isdigit()) or int(text) > 100000:
            return render_case(visible_case_or_404(case_id), 422, error=message("jobs_invalid", lang()), keep=keep,
                               where="exits")
        jobs[key] = int(text)
    stage = services().library.revision(case_row.revision_id).pathway.stage(case_row.stage_id)
    chosen = next((e for e in (stage.exits if stage else ()) if e.id == exit_id), None)
    if chosen is not None and not chosen.to and is_manager_of(case_row):
        asked = unconfirmed(_("Take the exit “%(exit)s”? It closes this case. This cannot be undone.",
                              exit=localize(chosen.label, lang())), _case_url(case_id, "exits"))
        if asked is not None:
            return asked
    return act(case_id, lambda a, v: services().cases.advance(case_id, a, v, exit_id, **jobs),
               _("The case has moved on."), keep=keep, where="exits")


def _case_url(case_id: int, anchor: str) -> str:
    return url_for("cases.case", case_id=case_id, _anchor=anchor)


def _reason() -> str:
    return posted_text("reason")


def _act_with_reason(case_id: int, action: str, operation: Callable[..., Any], done: str):  # noqa: ANN202
    """An operation whose only input is the reason typed (kept in the form if it is refused)."""
    reason = _reason()
    return act(case_id, lambda a, v: operation(case_id, a, v, reason), done, keep={"action": action, "reason": reason})


@bp.post("/cases/<int:case_id>/hold")
@roles_required(*CASE_ROLES)
def hold(case_id: int):  # noqa: ANN201
    return _act_with_reason(case_id, "hold", services().cases.hold, _("The case is on hold."))


@bp.post("/cases/<int:case_id>/resume")
@roles_required(*CASE_ROLES)
def resume(case_id: int):  # noqa: ANN201
    return _act_with_reason(case_id, "resume", services().cases.resume, _("The case is active again."))


@bp.post("/cases/<int:case_id>/withdraw")
@roles_required(*CASE_ROLES)
def withdraw(case_id: int):  # noqa: ANN201
    asked = unconfirmed(_("Close this case as withdrawn? This cannot be undone."), _case_url(case_id, "actions"))
    if asked is not None and is_manager_of(visible_case_or_404(case_id)):
        return asked
    return _act_with_reason(case_id, "withdraw", services().cases.withdraw, _("The case is closed as withdrawn."))


@bp.post("/cases/<int:case_id>/reopen")
@roles_required(*CASE_ROLES)
def reopen(case_id: int):  # noqa: ANN201
    reason = _reason()
    stage = request.form.get("stage") or None  # none given: a closed case reopens in its last stage
    return act(case_id, lambda a, v: services().cases.reopen(case_id, a, v, stage, reason),
               _("The stage is reopened."), keep={"action": "reopen", "reason": reason, "stage": stage or ""})


@bp.post("/cases/<int:case_id>/switch")
@roles_required(*CASE_ROLES)
def switch(case_id: int):  # noqa: ANN201
    asked = unconfirmed(_("Close this case and open a new one on the chosen pathway? This cannot be undone."),
                        _case_url(case_id, "actions"))
    if asked is not None and is_manager_of(visible_case_or_404(case_id)):
        return asked
    reason = _reason()
    pathway = request.form.get("pathway", "")
    return act(case_id, lambda a, v: services().cases.switch_pathway(case_id, a, v, pathway, reason),
               _("The case continues on another pathway."),
               keep={"action": "switch", "reason": reason, "pathway": pathway})


@bp.post("/cases/<int:case_id>/mentors")
@roles_required(*CASE_ROLES)
def assign_mentor(case_id: int):  # noqa: ANN201
    case_row = visible_case_or_404(case_id)
    member = operations.mentor_member(db(), request.form.get("mentor", ""))
    if member is None:
        return render_case(case_row, 422, error=_("Choose a mentor."), keep={"action": "mentor"},
                           where="action-mentor")
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
    typed = operations.TypedWorker((request.form.get("name") or "")[:200], (request.form.get("email") or "")[:254],
                                   request.form.get("sex") or None, (request.form.get("birth_year") or "")[:20])
    keep = {"action": "members", "name": typed.name.strip(), "email": typed.email.strip().lower(),
            "sex": typed.sex or "", "birth_year": typed.birth_year_text.strip()}
    member, new_user, error = operations.worker_from(db(), typed)
    if error:
        return render_case(case_row, 422, error=error, keep=keep, where="action-members")
    try:
        return act(case_id, lambda a, v: operations.add_worker(a, case_id, v, member, new_user),
                   _("The worker joins the group."), keep=keep)
    except operations.AccountTaken as exc:
        return render_case(case_row, 422, error=exc.message(), keep=keep, where="action-members")


@bp.post("/cases/<int:case_id>/notes")
@roles_required(*CASE_ROLES)
def add_note(case_id: int):  # noqa: ANN201
    form = NoteForm()
    return _beside_the_case(
        case_id, form, lambda: operations.add_note(services().sessions, actor(), case_id, form.body.data.strip()),
        _("The note is saved."), _("Write the note first."), keep={"note": form.body.data or ""}, where="notes")


@bp.post("/cases/<int:case_id>/meetings")
@roles_required(*CASE_ROLES)
def add_meeting(case_id: int):  # noqa: ANN201
    form = MeetingForm()

    def record() -> None:
        zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
        when = datetime.combine(form.date.data, form.time.data or time(0, 0), tzinfo=zone).astimezone(timezone.utc)
        operations.add_meeting(services().sessions, actor(), case_id, when, (form.place.data or "").strip(),
                               (form.body.data or "").strip())
    return _beside_the_case(case_id, form, record, _("The meeting is recorded."), _("Give the date of the meeting."),
                            keep={"meeting": form}, where="meeting")


def _beside_the_case(case_id: int, form: Any, record: Callable[[], Any], done: str, refusal: str, *,
                     keep: dict[str, Any], where: str) -> Any:
    """A note or a meeting, written beside the case (not a change of it): then the case's timeline; the case
    page again with `refusal` (422) while the form is not right."""
    case_row = visible_case_or_404(case_id)
    if not form.validate_on_submit():
        return render_case(case_row, 422, error=refusal, keep=keep, where=where)
    record()
    flash(done, "success")
    return redirect(url_for("cases.case", case_id=case_id, _anchor="timeline"))


@bp.post("/cases/<int:case_id>/choice")
@roles_required(*CASE_ROLES)
def choose_pathway(case_id: int):  # noqa: ANN201
    pathway = request.form.get("pathway", "")
    case_row = visible_case_or_404(case_id)
    if pathway and pathway != case_row.pathway_id and is_manager_of(case_row):
        # Another pathway closes this case for a continuation: the page asks (the same pathway does not).
        asked = unconfirmed(_("Close this case and open a new one on the chosen pathway? This cannot be undone."),
                            _case_url(case_id, "choice"))
        if asked is not None:
            return asked
    reason = _reason()
    return act(case_id, lambda a, v: services().cases.record_pathway_choice(case_id, a, v, pathway, reason=reason),
               _("The chosen pathway is recorded."), keep={"action": "choice", "reason": reason, "pathway": pathway},
               anchor="choice")
