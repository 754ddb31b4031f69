"""The worker portal (/me): my pathway, what is asked of me and doing it, my notifications, my data;
accepting an invitation and signing in by link. Staff pages here: inviting the workers of a case, and
erasing a worker (admin).

A worker sees only the cases they follow (anything else answers 404) and acts through the same engine
operations as the operators, recorded with the worker as actor; the engine refuses requirements of other
roles and other members' per-member requirements.
"""
from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any, Callable

from flask import (
    Blueprint, Response, abort, current_app, flash, make_response, redirect, render_template, request, send_file,
    session, url_for,
)
from flask_babel import gettext as _, ngettext
from flask_login import current_user, login_required
from sqlalchemy import func, select

from engine import ConflictError, EngineError, FormInvalid, NotAllowed, Receipt
from engine import policy
from engine.models import Case, CaseMember, utcnow

from ..routing import posted_file
from ..access import (
    actor, area_required, document_or_404, followed_case_or_404, managed_case_or_404, roles_required,
)
from ..auth import accounts
from ..cases import operations as case_operations
from ..cases import stage_form
from ..cases.views.actions import add_document_download
from ..cases.views.case import posted_version
from ..cases.views.questionnaire import AnswerTexts, QuestionnairePage, answer_questionnaire, questionnaire_of
from ..i18n import lang
from ..models import User
from ..notifications.models import OutboxMessage
from ..security import hash_password, verify_password
from ..services import db, services
from . import consent, invitations, page, tokens
from .forms import ConfirmForm, NewPasswordForm, SignInLinkForm, WelcomeForm
from .models import AccessToken, ConsentRecord
from .personal_data import erase_for_good, erase_worker, export_data, export_zip

bp = Blueprint("portal", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static")
NOT_IN_APP = page.NOT_IN_APP
PORTAL_ROLES = policy.AREAS["portal"]
STAFF_ROLES = policy.AREAS["desks"]


@bp.record_once
def _setup(state: Any) -> None:
    from . import access_log

    access_log.init_app(state.app)

    @state.app.before_request
    def _workers_start_here():  # noqa: ANN202
        # The start page of a worker is their pathway (staff keep theirs).
        if request.endpoint == "home" and current_user.is_authenticated and current_user.roles == ["worker"]:
            return redirect(url_for("portal.home"))
        return None


# --- my cases ---------------------------------------------------------------------------------------

def my_cases() -> list[Case]:
    return list(db().scalars(select(Case).where(policy.followed_cases_clause(actor()))
                             .order_by((Case.status == "closed"), Case.opened_at.desc())))


@bp.get("/")
@roles_required(*PORTAL_ROLES)
def home():  # noqa: ANN201
    cases = my_cases()
    if len(cases) == 1:
        return redirect(url_for("portal.case", case_id=cases[0].id))
    library = services().library
    return render_template("portal/home.html", cases=cases, unread=_unread(),
                           pathway_of=lambda c: library.revision(c.revision_id, db()).pathway)


def render_case(case: Case, status: int = 200, *, error: str | None = None, errors: list[str] | None = None,
                formdata: Any = None, form_errors: dict[str, list[str]] | None = None):  # noqa: ANN201
    session = db()
    session.rollback()  # a fresh snapshot: the engine wrote in its own transaction
    session.refresh(case)
    view = page.build(session, services().library, case, actor(), lang())
    form = None
    stage_spec = view.stage.form
    if stage_spec is not None and view.active and any(t.kind == "form" for t in view.tasks):
        saved = dict(view.form_row.data) if view.form_row else None
        form = stage_form.make_form(stage_spec, lang(), formdata=formdata, saved=saved)
        if form_errors:
            errors = [*(errors or []), *stage_form.attach_errors(form, form_errors)]
    from ..cases.progress import progress_with_charts

    progress = progress_with_charts(session, services().assessments, case.id, lang(),
                                    {current_user.id: current_user.display_name}, only_person=current_user.id)
    return render_template("portal/case.html", view=view, case=view.case, error=error, errors=errors or [],
                           stage_form=form, unread=_unread(), progress=progress), status


@bp.get("/cases/<int:case_id>")
@roles_required(*PORTAL_ROLES)
def case(case_id: int):  # noqa: ANN201
    return render_case(followed_case_or_404(case_id))


def act(case_id: int, operation: Callable[[Any, int], Receipt], done: str, anchor: str = "",
        formdata: Any = None) -> Any:
    """One engine operation with the version the page showed, as the worker; the outcome in plain words."""
    case_row = followed_case_or_404(case_id)
    version = posted_version()
    try:
        operation(actor(), version)
    except ConflictError:
        return render_case(case_row, 409, error=_("Someone else changed your pathway in the meantime. "
                                                  "Look at the page again and try once more."), formdata=formdata)
    except FormInvalid as exc:
        return render_case(case_row, 422, error=_("Some answers need to be corrected."), formdata=formdata,
                           form_errors=exc.messages(lang()))
    except NotAllowed as exc:
        return render_case(case_row, 403, error=exc.message(lang()))
    except EngineError as exc:
        return render_case(case_row, 422, error=exc.message(lang()), formdata=formdata)
    flash(done, "success")
    return redirect(url_for("portal.case", case_id=case_id, _anchor=anchor or None))


@bp.post("/cases/<int:case_id>/checklist")
@roles_required(*PORTAL_ROLES)
def checklist(case_id: int):  # noqa: ANN201
    item = request.form.get("item", "")
    if request.form.get("action") == "untick":
        return act(case_id, lambda a, v: services().cases.untick(case_id, a, v, item), _("Done: it is undone."),
                   anchor="task-" + item)
    if consent.is_consent(item):
        text_version = _consent_text_version()
        return act(case_id, lambda a, v: consent.tick_consent(a, case_id, v, item, lang(), text_version),
                   _("Done, thank you."), anchor="task-" + item)
    return act(case_id, lambda a, v: services().cases.tick(case_id, a, v, item), _("Done, thank you."),
               anchor="task-" + item)


@bp.post("/cases/<int:case_id>/documents")
@roles_required(*PORTAL_ROLES)
def upload(case_id: int):  # noqa: ANN201
    case_row = followed_case_or_404(case_id)
    requirement = request.form.get("requirement", "")
    posted = posted_file()
    if posted is None:
        return render_case(case_row, 422, error=_("Choose a file first."))
    filename, content = posted
    return act(case_id, lambda a, v: services().cases.attach_document(case_id, a, v, requirement, filename, content),
               _("Your document is sent, thank you."), anchor="task-" + requirement)


add_document_download(bp, PORTAL_ROLES, followed_case_or_404)


@bp.post("/cases/<int:case_id>/documents/<int:document_id>/remove")
@roles_required(*PORTAL_ROLES)
def remove_document(case_id: int, document_id: int):  # noqa: ANN201
    document_or_404(followed_case_or_404(case_id), document_id)
    return act(case_id, lambda a, v: services().cases.remove_document(case_id, a, v, document_id),
               _("The document is removed."))


@bp.post("/cases/<int:case_id>/form")
@roles_required(*PORTAL_ROLES)
def submit_form(case_id: int):  # noqa: ANN201
    case_row = followed_case_or_404(case_id)
    spec = services().library.revision(case_row.revision_id, db()).pathway.stage(case_row.stage_id)
    if spec is None or spec.form is None:
        return render_case(case_row, 422, error=_("There is nothing to fill in at this step."))
    data = stage_form.collect(spec.form, request.form)
    problems = stage_form.validate(spec.form, data)
    if problems:
        return render_case(case_row, 422, error=_("Some answers need to be corrected."), formdata=request.form,
                           form_errors={k: [u.message(lang()) for u in v] for k, v in problems.items()})
    return act(case_id, lambda a, v: services().cases.submit_form(case_id, a, v, data),
               _("Your answers are saved, thank you."), anchor="task-form", formdata=request.form)


@bp.post("/cases/<int:case_id>/signoffs")
@roles_required(*PORTAL_ROLES)
def sign(case_id: int):  # noqa: ANN201
    signoff = request.form.get("signoff", "")
    return act(case_id, lambda a, v: services().cases.sign_off(case_id, a, v, signoff),
               _("You have signed, thank you."), anchor="task-" + signoff)


# --- the assessment questionnaire -------------------------------------------------------------------

@bp.route("/cases/<int:case_id>/questionnaire", methods=["GET", "POST"])
@roles_required(*PORTAL_ROLES)
def questionnaire(case_id: int):  # noqa: ANN201
    case_row = followed_case_or_404(case_id)
    found = questionnaire_of(case_row, current_user.id)
    if found is None:
        abort(404)
    _stage, requirement, response, assessment = found
    if "worker" not in requirement.roles:
        abort(404)
    if response is not None and response.submitted_at is not None:
        flash(_("Your answers are already sent."), "info")
        return redirect(url_for("portal.case", case_id=case_id))
    outcome = answer_questionnaire(case_row, assessment, response, AnswerTexts(
        submitted=_("Your answers are sent, thank you."), submitted_to=url_for("portal.case", case_id=case_id),
        saved=_("Your answers are saved: you can come back and finish later."),
        saved_to=url_for("portal.questionnaire", case_id=case_id),
        changed=_("Your pathway changed in the meantime: check your answers and send them again.")))
    if not isinstance(outcome, QuestionnairePage):
        return outcome
    return render_template("portal/questionnaire.html", case=case_row, assessment=assessment,
                           sections=outcome.sections(assessment), error=outcome.error), outcome.status


# --- notifications ----------------------------------------------------------------------------------

def _unread() -> int:
    return db().scalar(select(func.count()).select_from(page.unread_messages(current_user.id).subquery())) or 0


@bp.get("/notifications")
@login_required
def notifications():  # noqa: ANN201
    rows = list(db().scalars(select(OutboxMessage).where(
        OutboxMessage.recipient_id == current_user.id, OutboxMessage.kind.not_in(NOT_IN_APP))
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(100)))
    return render_template("portal/notifications.html", messages=rows, form=ConfirmForm())


@bp.post("/notifications/read")
@login_required
def mark_read():  # noqa: ANN201
    if not ConfirmForm().validate_on_submit():
        abort(400)
    page.mark_messages_read(services().sessions, current_user.id)
    return redirect(url_for("portal.notifications"))


# --- my data ----------------------------------------------------------------------------------------

def _consent_text_version() -> str:
    return str(current_app.config.get("CONSENT_TEXT_VERSION", "v1"))


def withdrawal_text() -> str:
    """The words of a withdrawal, in the reader's language (their digest goes in the record)."""
    return _("I withdraw my consent to the processing of my personal data. I know that my pathway is put on "
             "hold and that my professional profile is no longer shown to other help desks.")


def withdraw(person_id: str) -> consent.Withdrawal:
    return consent.withdraw_consent(actor(), person_id, lang(), _consent_text_version(),
                                    withdrawal_text())


@bp.get("/my-data")
@roles_required(*PORTAL_ROLES)
def my_data():  # noqa: ANN201
    return _my_data_page()


def _my_data_page(status: int = 200):  # noqa: ANN202
    return render_template("portal/my_data.html", form=ConfirmForm(), withdrawal=withdrawal_text(),
                           renewal=renewal_text(), withdrawn=_consent_withdrawn(current_user.id)), status


def _consent_withdrawn(person_id: str) -> bool:
    """Whether the person's latest consent record is a withdrawal."""
    latest = db().scalar(select(ConsentRecord.kind).where(ConsentRecord.person_id == person_id)
                         .order_by(ConsentRecord.given_at.desc(), ConsentRecord.id.desc()).limit(1))
    return latest == "withdrawn"


@bp.post("/my-data/withdraw-consent")
@roles_required(*PORTAL_ROLES)
def withdraw_consent():  # noqa: ANN201
    return _consent_change(_("Tick the box to confirm that you withdraw your consent."),
                           lambda: withdraw(current_user.id),
                           _("Your consent is withdrawn: your pathway is on hold and your help desk is told why."))


def _consent_change(unticked: str, change: Callable[[], Any], done: str) -> Any:
    """A change of the worker's consent, made only when they ticked the box that confirms it; then their data
    page, with what was done."""
    if not ConfirmForm().validate_on_submit() or request.form.get("confirm") != "yes":
        flash(unticked, "error")
        return _my_data_page(400)
    change()
    flash(done, "success")
    return redirect(url_for("portal.my_data"))


@bp.get("/my-data.zip")
@roles_required(*PORTAL_ROLES)
def my_data_zip():  # noqa: ANN201
    import io

    with services().engine.connect() as connection:
        content = export_zip(connection, services().files, current_user.id, lang(), summary=_summary)
    response = send_file(io.BytesIO(content), mimetype="application/zip", as_attachment=True,
                         download_name="my-data.zip", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _summary(data: dict[str, Any]) -> str:
    """The download's readable part, in the worker's language."""
    known = {"exported_at", "account", "person", "cases", "memberships", "events", "forms", "documents",
             "assessments", "notes", "meetings", "consents", "notifications", "staff_views", "databank_profiles"}
    return render_template("portal/my_data_summary.html", data=data,
                           others={k: v for k, v in data.items() if k not in known and v})


@bp.get("/my-data/summary")
@roles_required(*PORTAL_ROLES)
def my_data_summary():  # noqa: ANN201
    with services().engine.connect() as connection:
        data = export_data(connection, current_user.id, lang())
    response = current_app.make_response(_summary(data))
    response.headers["Cache-Control"] = "private, no-store"
    return response


def renewal_text() -> str:
    return _("I give my consent to the processing of my personal data again.")


@bp.post("/my-data/renew-consent")
@roles_required(*PORTAL_ROLES)
def renew_consent():  # noqa: ANN201
    return _consent_change(_("Tick the box to confirm that you give your consent again."),
                           lambda: consent.renew_consent(actor(), lang(), _consent_text_version(), renewal_text()),
                           _("Your consent is recorded. Your help desk resumes your pathway."))


@bp.route("/password", methods=["GET", "POST"])
@roles_required(*PORTAL_ROLES)
def password():  # noqa: ANN201
    """A new password: after a sign-in by link the current one is not asked (the link proved the address)."""
    form = NewPasswordForm()
    by_link = bool(session.get(accounts.SIGNED_IN_BY_LINK))
    status = 200
    if request.method == "POST":
        current = request.form.get("current_password", "")
        user = db().get(User, current_user.id)
        if not by_link and not verify_password(user, current):
            flash(_("This is not your current password."), "error")
            status = 400
        elif form.validate_on_submit():
            accounts.change_password(services().sessions, user.id, hash_password(form.password.data))
            db().rollback()  # a fresh read: the epoch moved on in the operation's transaction
            accounts.keep_session(user)  # every other session of the account has ended
            session.pop(accounts.SIGNED_IN_BY_LINK, None)
            flash(_("Your new password is saved."), "success")
            return redirect(url_for("portal.home"))
        else:
            status = 400
    return render_template("portal/password.html", form=form, by_link=by_link), status


# --- invitations and sign-in links ------------------------------------------------------------------

def _link_or_410(token: str, purpose: str) -> tuple[AccessToken, User]:
    """The valid link a token names (see tokens.find), and the account it is for; the page of an expired link
    (410) for none."""
    row = tokens.find(db(), token, purpose)
    if row is None:
        abort(_link_expired())
    return row, db().get(User, row.user_id)


def _link_expired() -> Response:
    return make_response(render_template("portal/link_expired.html"), 410)


@bp.route("/welcome/<token>", methods=["GET", "POST"])
def welcome(token: str):  # noqa: ANN201
    row, user = _link_or_410(token, tokens.INVITATION)
    form = WelcomeForm()
    status = 200
    if form.validate_on_submit():
        if form.way.data == "password" and not form.password.data:
            form.password.errors = [_("Choose a password.")]
            status = 400
        else:
            by_link = form.way.data == "link"
            chosen = secrets.token_urlsafe(32) if by_link else form.password.data
            if not accounts.accept_invitation(services().sessions, row, hash_password(chosen), by_link=by_link):
                return _link_expired()
            db().rollback()  # a fresh read: the account changed in the operation's transaction
            accounts.start_session(db().get(User, row.user_id), by_link=by_link)
            flash(_("Welcome! Here is your pathway."), "success")
            return redirect(url_for("portal.home"))
    elif request.method == "POST":
        status = 400
    return render_template("portal/welcome.html", form=form, user=user), status


@bp.route("/sign-in", methods=["GET", "POST"])
def ask_sign_in_link():  # noqa: ANN201
    form = SignInLinkForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db().scalar(select(User).where(User.email == email))
        # The same answer whether the address is known or not: nothing to learn from it.
        if user is not None and user.is_active and user.has("worker") and not _asked_recently(user.id):
            invitations.send_now([invitations.request_sign_in_link(services().sessions, user.id)])
        return render_template("portal/sign_in_sent.html")
    return render_template("portal/sign_in.html", form=form), 400 if request.method == "POST" else 200


def _asked_recently(user_id: str) -> bool:
    """One link a minute at most: the form cannot be used to flood someone's mailbox."""
    since = utcnow() - timedelta(minutes=1)
    return db().scalar(select(func.count()).select_from(AccessToken).where(
        AccessToken.user_id == user_id, AccessToken.purpose == tokens.SIGN_IN, AccessToken.created_at > since)) > 0


@bp.route("/sign-in/<token>", methods=["GET", "POST"])
def sign_in(token: str):  # noqa: ANN201
    # GET only shows a button: mail scanners that open links must not spend them.
    row, user = _link_or_410(token, tokens.SIGN_IN)
    form = ConfirmForm()
    if form.validate_on_submit():
        if not user.is_active or not tokens.spend(services().sessions, row):
            return _link_expired()
        accounts.start_session(user, by_link=True)
        return redirect(url_for("portal.home"))
    return render_template("portal/sign_in_confirm.html", form=form, user=user)


# --- staff: inviting the workers of a case; erasing a worker ----------------------------------------

@bp.route("/staff/cases/<int:case_id>/invite", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def invite(case_id: int):  # noqa: ANN201
    case_row = managed_case_or_404(case_id)
    worker_ids = [m.person_id for m in case_row.members if m.kind == "worker"]
    users = {u.id: u for u in db().scalars(select(User).where(User.id.in_(worker_ids)))}
    form = ConfirmForm()
    if form.validate_on_submit():
        wanted = request.form.get("person")
        chosen = [users[p] for p in worker_ids if p in users and (wanted in (None, "", p))]
        queued, refused = invitations.invite_each(services().sessions, [u.id for u in chosen], current_user.id)
        skipped = [users[user_id].display_name for user_id in refused]
        invitations.send_now(queued)
        if queued:
            flash(ngettext("%(num)d invitation sent.", "%(num)d invitations sent.", len(queued)), "success")
        if skipped:
            flash(_("No invitation for: %(names)s (no e-mail, or the account is disabled).",
                    names=", ".join(skipped)), "error")
        return redirect(url_for("portal.invite", case_id=case_id))
    return _invite_page(case_row, form)


def _invite_page(case_row: Case, form: ConfirmForm) -> str:
    worker_ids = [m.person_id for m in case_row.members if m.kind == "worker"]
    users = {u.id: u for u in db().scalars(select(User).where(User.id.in_(worker_ids)))}
    return render_template("portal/invite.html", case=case_row, workers=[
        (m, users.get(m.person_id)) for m in case_row.members if m.kind == "worker"], form=form,
        keep=request.form if request.method == "POST" else {})


@bp.post("/staff/cases/<int:case_id>/contact")
@roles_required(*STAFF_ROLES)
def worker_contact(case_id: int):  # noqa: ANN201
    """The case's operator notes a worker's e-mail and phone (a worker without e-mail or internet)."""
    case_row = managed_case_or_404(case_id)
    person = request.form.get("person", "")
    if person not in {m.person_id for m in case_row.members if m.kind == "worker"}:
        abort(404)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    refusal = case_operations.set_worker_contact(services().sessions, actor(), person,
                                                 (request.form.get("email") or "")[:300],
                                                 (request.form.get("phone") or "")[:100])
    if refusal:
        flash(refusal, "error")
        return _invite_page(case_row, form), 422
    flash(_("The contact details are saved."), "success")
    return redirect(url_for("portal.invite", case_id=case_id))


@bp.route("/staff/cases/<int:case_id>/consent-withdrawn", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def record_withdrawal(case_id: int):  # noqa: ANN201
    """The operator records a worker's withdrawal of consent from their signed paper."""
    case_row = managed_case_or_404(case_id)
    workers = [m for m in case_row.members if m.kind == "worker"]
    form = ConfirmForm()
    status = 200
    if request.method == "POST":
        chosen = next((m for m in workers if m.person_id == request.form.get("person")), None)
        if not form.validate_on_submit() or chosen is None or request.form.get("confirm") != "yes":
            flash(_("Choose the worker and confirm that you hold their signed withdrawal."), "error")
            status = 400
        else:
            name = chosen.display_name
            done = withdraw(chosen.person_id)
            flash(_("The withdrawal of %(name)s is recorded: %(n)d cases put on hold.", name=name, n=len(done.held)),
                  "success")
            if done.refused:
                flash(_("Cases of other help desks were not put on hold: %(cases)s. Tell their help desks.",
                        cases=", ".join(f"#{c}" for c in done.refused)), "error")
            return redirect(url_for("cases.case", case_id=case_id))
    return render_template("portal/record_withdrawal.html", case=case_row, workers=workers, form=form), status


@bp.route("/staff/people/<person_id>/erase", methods=["GET", "POST"])
@area_required("admin")
def erase(person_id: str):  # noqa: ANN201
    user = db().get(User, person_id)
    if user is None or not user.has("worker") or len(user.roles) != 1:
        abort(404)  # staff accounts are not erased from here
    form = ConfirmForm()
    if form.validate_on_submit() and request.form.get("confirm") == user.display_name:
        admin_id = current_user.id
        db().rollback()  # and no read of this session until the erasure is done: its snapshot would keep the log
        erase_for_good(services().engine, services().files,
                       lambda connection, released: erase_worker(connection, person_id, admin_id, released=released))
        flash(_("The person's data is erased."), "success")
        return redirect(url_for("admin.users"))
    status = 400 if request.method == "POST" else 200
    cases = list(db().scalars(select(Case).join(CaseMember).where(CaseMember.person_id == person_id)))
    return render_template("portal/erase.html", person=user, cases=cases, form=form,
                           wrong=request.method == "POST"), status


__all__ = ["bp"]
