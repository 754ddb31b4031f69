"""The assessment questionnaire of a case's worker, answered at the desk: saved as a draft or submitted. How a
questionnaire's page finds it and saves or submits the answers serves the worker's portal too."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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


def questionnaire_of(case_row: Any, person_id: str) -> tuple[Any, Any, Any, Any] | None:
    """The stage and its questionnaire requirement on an active case, the person's saved answers (None before
    any) and the questionnaire's revision they answer; None when there is nothing to answer."""
    from engine.models import AssessmentResponse

    pathway = services().library.revision(case_row.revision_id, db()).pathway
    stage = pathway.stage(case_row.stage_id)
    requirement = stage.assessment if stage is not None else None
    if requirement is None or case_row.status != "active":
        return None
    response = db().scalar(select(AssessmentResponse).where(
        AssessmentResponse.case_id == case_row.id, AssessmentResponse.person_id == person_id,
        AssessmentResponse.assessment_id == requirement.assessment_id))
    library = services().assessments
    revision_id = response.revision_id if response else library.current_revision_id(requirement.assessment_id, db())
    return stage, requirement, response, library.revision(revision_id, db())


def _questionnaire_context(case_id: int, person_id: str):  # noqa: ANN202
    """The case, the stage and its questionnaire requirement, the worker, their saved answers and the
    questionnaire (404 otherwise; 403 for one who may not answer it)."""
    case_row = visible_case_or_404(case_id)
    found = questionnaire_of(case_row, person_id)
    worker = next((m for m in case_row.members if m.kind == "worker" and m.person_id == person_id), None)
    if found is None or worker is None:
        abort(404)
    stage, requirement, response, assessment = found
    if not policy.may_act(actor(), case_row, requirement.roles):
        abort(403)
    return case_row, stage, requirement, worker, response, assessment


@bp.route("/cases/<int:case_id>/assessments/<person_id>", methods=["GET", "POST"])
@roles_required(*CASE_ROLES)
def questionnaire(case_id: int, person_id: str):  # noqa: ANN201
    case_row, stage, requirement, worker, response, assessment = _questionnaire_context(case_id, person_id)
    if response is not None and response.submitted_at is not None:
        flash(_("The answers of %(name)s are already submitted.", name=worker.display_name), "info")
        return redirect(url_for("cases.case", case_id=case_id, _anchor="req-assessment"))
    outcome = answer_questionnaire(case_row, assessment, response, AnswerTexts(
        submitted=_("The answers of %(name)s are submitted.", name=worker.display_name),
        submitted_to=url_for("cases.case", case_id=case_id, _anchor="req-assessment"),
        saved=_("The answers are saved: you can come back to them."),
        saved_to=url_for("cases.questionnaire", case_id=case_id, person_id=person_id),
        changed=_("This case changed meanwhile: check the answers and submit them again.")), person_id)
    if not isinstance(outcome, QuestionnairePage):
        return outcome
    return render_template("cases/questionnaire.html", case=case_row, stage=stage, requirement=requirement,
                           worker=worker, assessment=assessment, sections=outcome.sections(assessment),
                           error=outcome.error), outcome.status


@dataclass(frozen=True)
class AnswerTexts:
    """What a questionnaire's page says when answers are submitted or saved (and where it goes then), and when
    the case changed meanwhile."""

    submitted: str
    submitted_to: str
    saved: str
    saved_to: str
    changed: str


@dataclass
class QuestionnairePage:
    """The questionnaire to show: its form (the saved or posted answers), the refusal of posted ones if any."""

    form: Any
    status: int = 200
    error: str | None = None

    def sections(self, assessment: Any) -> list[tuple[Any, ...]]:
        """Each section's id, title, introduction and the fields of its questions."""
        return [(sid, title, intro, [self.form[x.id] for x in assessment.section_questions(sid)])
                for sid, title, intro in assessment.sections]


def answer_questionnaire(case_row: Any, assessment: Any, response: Any, texts: AnswerTexts,
                         person_id: str | None = None) -> Any:
    """A questionnaire's page for the answers of `person_id` (the caller's own without one): on POST, the answers
    saved, or submitted (the "submit" button), then a redirect; otherwise, or when refused, the page to show."""
    from .. import questionnaire as q

    if request.method != "POST":
        return QuestionnairePage(q.build(assessment, lang(), saved=response.answers if response else None))
    answers = q.collect(assessment, request.form)
    form = q.build(assessment, lang(), formdata=request.form)  # shown again if the answers are refused
    whose = {} if person_id is None else {"person_id": person_id}
    try:
        if request.form.get("action") == "submit":
            services().cases.submit_assessment(case_row.id, actor(), posted_version(), answers=answers, **whose)
            flash(texts.submitted, "success")
            return redirect(texts.submitted_to)
        services().cases.save_assessment_answers(case_row.id, actor(), answers, **whose)
        flash(texts.saved, "success")
        return redirect(texts.saved_to)
    except ConflictError:
        status, error = 409, texts.changed
    except FormInvalid as exc:
        status, error = 422, " ".join([_("Some answers are missing or need to be corrected."),
                                       *stage_form.attach_errors(form, exc.messages(lang()))])
    except NotAllowed as exc:
        status, error = 403, exc.message(lang())
    except EngineError as exc:
        status, error = 422, exc.message(lang())
    db().rollback()
    db().refresh(case_row)
    return QuestionnairePage(form, status, error)
