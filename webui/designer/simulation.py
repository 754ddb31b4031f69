"""The workbench's simulation, apart from the views: the steps kept in the page, the one-click steps, the
step built from the form, and the revisions a simulated case can be sent to. Replaying the steps is the
engine's (`engine.simulation.simulate`).
"""
from __future__ import annotations

import json
from typing import Any

import yaml
from sqlalchemy.orm import Session

from engine import PathwayLibrary
from engine.assessment_library import AssessmentLibrary
from engine.errors import InvalidOperation
from engine.pathway import Pathway
from engine.scenarios import ACTIONS

from ..cases import stage_form
from . import operations

MAX_STEPS = 500


class BadSteps(ValueError):
    """The steps posted by the page are not a list of at most MAX_STEPS steps."""


def steps_from(raw: str | None) -> list[dict[str, Any]]:
    """The steps the page carries (JSON), checked."""
    try:
        steps = json.loads(raw or "[]")
    except ValueError:
        raise BadSteps from None
    if not isinstance(steps, list) or len(steps) > MAX_STEPS or not all(isinstance(s, dict) for s in steps):
        raise BadSteps
    return steps


def target_pathways(library: PathwayLibrary, session: Session, pathway: Pathway) -> dict[str, Pathway]:
    """The active revisions of the pathways this one can send a case to."""
    wanted = {e.pathway for s in pathway.stages for e in s.exits if e.pathway}
    out = {}
    for pathway_id in wanted:
        revision_id = operations.active_revision(session, pathway_id)
        if revision_id:
            out[pathway_id] = library.revision(revision_id, session).pathway
    return out


def assessment_titles(assessments: AssessmentLibrary, session: Session, pathway: Pathway) -> dict[str, Any]:
    """id -> title of the questionnaires the pathway's stages ask for (their newest stored revision)."""
    out = {}
    for stage in pathway.stages:
        if stage.assessment:
            try:
                revision_id = assessments.current_revision_id(stage.assessment.assessment_id, session)
            except InvalidOperation:  # not stored (yet): the diagram shows its id
                continue
            out[stage.assessment.assessment_id] = assessments.revision(revision_id, session).title
    return out


def quick_step(pathway: Pathway, stage_id: str, members: list[str], quick: str) -> dict[str, Any] | None:
    """A one-click step on the current stage ("tick:<item>", "sign:<id>", "upload:<doc>", "advance:<exit>"),
    done by someone who may do it."""
    action, _sep, item = quick.partition(":")
    stage = pathway.stage(stage_id)
    if stage is None:
        return None
    requirement = stage.requirement(item)

    def person(roles) -> str:  # noqa: ANN001
        role = next((r for r in roles if r not in ("worker", "admin", "designer")), None)
        return role or ("worker1" if "worker" in roles else "operator")

    step: dict[str, Any]
    if action == "tick" and requirement is not None and requirement.kind == "checklist":
        step = {"as": person(requirement.roles), "tick": item}
    elif action == "upload" and requirement is not None and requirement.kind == "document":
        step = {"as": person(requirement.uploaded_by),
                "upload": {"document": item, "filename": f"{item}.{requirement.types[0]}"}}
    elif action == "sign" and requirement is not None and requirement.kind == "signoff":
        step = {"as": requirement.role, "sign": item}
    elif action == "advance" and stage.exit(item) is not None:
        step = {"as": "operator", "advance": item}
    else:
        return None
    if getattr(requirement, "per_member", False) and members:
        step["member"] = members[0]
    return step


def step_from_form(pathway: Pathway, form: Any, lang: str | None = None) -> dict[str, Any] | None:
    """The step the "Next step" form describes (`form`: the posted fields, with `get` and `getlist`; numbers
    typed as written in `lang`)."""
    action, who = form.get("action", ""), form.get("as", "")
    if action not in ACTIONS or not who:
        return None
    item = (form.get("item") or "").strip()
    reason = (form.get("reason") or "").strip() or "simulation"
    step: dict[str, Any] = {"as": who}
    if action in ("tick", "untick", "sign", "advance"):
        step[action] = item
    elif action == "upload":
        step[action] = {"document": item, "filename": (form.get("filename") or "document.pdf").strip()}
    elif action == "submit":
        step[action] = submitted_values(pathway, form.get("stage", ""), form, lang)
    elif action == "assess":
        try:
            answers = yaml.safe_load(form.get("answers") or "{}") or {}
        except yaml.YAMLError:
            answers = {}
        step[action] = answers if isinstance(answers, dict) else {}
    elif action in ("hold", "resume", "withdraw"):
        step[action] = reason
    elif action == "reopen":
        step[action] = {"stage": item, "reason": reason}
    elif action in ("switch", "choose"):
        step[action] = {"pathway": item, "reason": reason}
    elif action == "close":
        step[action] = {"outcome": item, "reason": reason}
    if form.get("member"):
        step["member"] = form["member"]
    return step


def submitted_values(pathway: Pathway, stage_id: str, form: Any, lang: str | None = None) -> dict[str, Any]:
    """The form values of the posted "field.<id>" inputs, typed as the stage's form says and read as the case
    page reads them (a value that does not parse is kept as typed: the engine refuses it with the field's
    message)."""
    stage = pathway.stage(stage_id)
    if stage is None or stage.form is None:
        return {}
    return stage_form.collect(stage.form, form, prefix="field.", lang=lang)
