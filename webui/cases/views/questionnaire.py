"""The assessment questionnaire of a case's worker, answered at the desk: saved as a draft or submitted."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from engine import ConflictError, EngineError, FormInvalid, NotAllowed, policy

from ...access import actor, roles_required, visible_case_or_404
from ...i18n import lang
from ...services import db, services
from .. import stage_form
from . import CASE_ROLES, bp
from .case import posted_version


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
    from .. import questionnaire as q

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
                services().cases.submit_assessment(case_id, actor(), posted_version(), person_id=person_id,
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
            error = " ".join([error, *stage_form.attach_errors(form, exc.messages(lang()))])
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
