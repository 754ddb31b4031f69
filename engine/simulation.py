"""Simulating a pathway revision as if a case were running, without touching real cases.

A simulation is only its list of steps (scenario steps): every call replays them on a fresh in-memory
database, so nothing lives in process memory between two requests and any web worker can continue
another's simulation. The steps taken can be saved as a scenario file.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from sqlalchemy.pool import StaticPool

from .assessment import Assessment
from .assessment_library import AssessmentLibrary
from .cases import Actor, CaseService, Member
from .db import make_engine, make_session_factory
from . import conditions
from .errors import EngineError, Unmet
from .i18n import DEFAULT_LANGUAGE, format_day, localize, message
from .files import FileStore
from .library import PathwayLibrary
from .loader import dump_yaml
from .models import Base, Case, Desk
from .pathway import Pathway
from .requirements import RequirementState
from .scenarios import ACTIONS, perform, refusal_code

SIMULATION_DESK = "simulation"
OPERATOR = "operator"
MENTOR = "mentor"


@dataclass
class StepOutcome:
    step: dict[str, Any]
    done: bool
    code: str | None = None
    message: str | None = None  # in English, for logs and scenario files
    error: EngineError | None = None

    def reason(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """Why the step was refused, in words in `lang`."""
        if self.error is not None:
            return self.error.message(lang)
        return message("simulation.invalid_step", lang) if self.code == "invalid_step" else (self.message or "")


def describe_step(pathway: Pathway, step: Mapping[str, Any], lang: str) -> str:
    """A simulation step in words, with the labels of what it names: "Operator: tick “Interview held”"."""
    action = next((a for a in ACTIONS if a in step), None)
    who = _actor_words(str(step.get("as", "?")), pathway, lang)
    if action is None:
        return f"{who}: ?"
    arg = step[action]
    if action in ("tick", "untick", "sign"):
        what = _requirement_label(pathway, str(arg), lang)
    elif action == "upload":
        what = f"{_requirement_label(pathway, str(arg.get('document')), lang)} ({arg.get('filename', '')})"
    elif action == "advance":
        exit_ = next((e for s in pathway.stages for e in s.exits if e.id == arg), None)
        what = localize(exit_.label, lang) if exit_ is not None else str(arg)
    elif action == "submit":
        what = ", ".join(f"{_field_label(pathway, k, lang)} = {_value_words(pathway, k, v, lang)}"
                         for k, v in arg.items())
    elif action == "assess":
        what = message("simulation.answers", lang, count=len(arg))
    elif action == "reopen":
        stage = pathway.stage(str(arg.get("stage")))
        what = f"{localize(stage.title, lang) if stage else arg.get('stage')} — {arg.get('reason', '')}"
    elif action in ("switch", "choose"):
        what = f"{arg.get('pathway')} — {arg.get('reason', '')}"
    elif action == "close":
        what = f"{arg.get('outcome')} — {arg.get('reason', '')}"
    else:
        what = str(arg)
    member = f" ({_actor_words(str(step['member']), pathway, lang)})" if step.get("member") else ""
    return f"{who}: {message('simulation.action.' + action, lang)} “{what}”{member}"


def _actor_words(name: str, pathway: Pathway, lang: str) -> str:
    if name.startswith("worker") and name[len("worker"):].isdigit():
        return message("simulation.worker", lang, number=name[len("worker"):])
    if name in pathway.roles:
        return localize(pathway.roles[name], lang)
    text = message("simulation.role." + name, lang)
    return name if text.startswith("simulation.role.") else text


def _requirement_label(pathway: Pathway, requirement_id: str, lang: str) -> str:
    for stage in pathway.stages:
        requirement = stage.requirement(requirement_id)
        if requirement is not None and requirement.label:
            return localize(requirement.label, lang)
    return requirement_id


def _value_words(pathway: Pathway, field_id: str, value: Any, lang: str) -> str:
    """A submitted value as people read it: an option's label, a date in the reader's way, yes/no."""
    for stage in pathway.stages:
        field_ = stage.form.field(field_id) if stage.form is not None else None
        if field_ is None:
            continue
        if field_.type == "date":
            return format_day(value, lang)
        if field_.options and isinstance(value, str):
            return field_.option_label(value, lang)
        if field_.options and isinstance(value, list):
            return ", ".join(field_.option_label(v, lang) for v in value)
    return conditions._show(value, lang)


def _field_label(pathway: Pathway, field_id: str, lang: str) -> str:
    for stage in pathway.stages:
        if stage.form is not None and stage.form.field(field_id) is not None:
            return localize(stage.form.field(field_id).label, lang)
    return field_id


@dataclass
class SimulationState:
    pathway_id: str
    stage_id: str
    status: str
    outcome: str | None
    steps: list[StepOutcome]
    requirements: list[RequirementState] = field(default_factory=list)
    exits: dict[str, list[Unmet]] = field(default_factory=dict)
    actors: dict[str, Actor] = field(default_factory=dict)
    members: list[str] = field(default_factory=list)


def simulation_actors(pathway: Pathway, members: int) -> dict[str, Actor]:
    """One actor per role the pathway can ask for: an operator of the simulation desk, the assigned
    mentor, the workers, and one person for each role the pathway declares (e.g. notary)."""
    actors = {
        OPERATOR: Actor.of(OPERATOR, ["operator"], [SIMULATION_DESK]),
        MENTOR: Actor.of(MENTOR, ["mentor"]),
    }
    for i in range(1, members + 1):
        actors[f"worker{i}"] = Actor.of(f"worker{i}", ["worker"])
    for role in pathway.roles:
        actors[role] = Actor.of(role, [role])
    return actors


def simulate(pathway: Pathway, steps: Sequence[Mapping[str, Any]], members: int = 1,
             others: Mapping[str, Pathway] | None = None, country: str = "IT",
             assessments: Sequence[Assessment] = ()) -> SimulationState:
    """Replay `steps` on a new case of `pathway` (and of `others`, for exits to other pathways), with the
    assessments its stages ask for."""
    members = max(members, pathway.group_min)
    engine = make_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    try:
        Base.metadata.create_all(engine)
        sessions = make_session_factory(engine)
        with sessions.begin() as session:
            session.add(Desk(id=SIMULATION_DESK, name="Simulation", country=country, region=""))
        library = PathwayLibrary(sessions)
        for other in (others or {}).values():
            if other.id != pathway.id:
                library.register(other, source_file=f"<{other.id}>")
        library.register(pathway, source_file=f"<simulated {pathway.id}>")
        assessment_library = AssessmentLibrary(sessions)
        for assessment in assessments:
            assessment_library.register(assessment, source_file=f"<{assessment.id}>")
        service = CaseService(sessions, library, _NoFiles(), assessments=assessment_library)
        actors = simulation_actors(pathway, members)
        workers = [a for name, a in actors.items() if name.startswith("worker")]
        receipt = service.open_case(actors[OPERATOR], pathway_id=pathway.id, desk_id=SIMULATION_DESK,
                                    members=[Member(w.id, w.id) for w in workers], mentors=[Member(MENTOR, MENTOR)])
        case_id, version = receipt.case_id, receipt.version
        for role in pathway.party_roles:  # each declared role's simulated person is the case's party in it
            version = service.add_party(case_id, actors[OPERATOR], version, role, role, role,
                                        account_id=actors[role].id).version
        outcomes = []
        for step in steps:
            action = next((a for a in ACTIONS if a in step), None)
            actor = actors.get(str(step.get("as")))
            if action is None or actor is None:
                outcomes.append(StepOutcome(dict(step), False, "invalid_step", "unknown action or actor"))
                continue
            try:
                done = perform(service, case_id, version, actor, action, step[action], step.get("member"))
            except EngineError as exc:
                outcomes.append(StepOutcome(dict(step), False, refusal_code(exc), exc.message(), exc))
                continue
            outcomes.append(StepOutcome(dict(step), True))
            case_id, version = (done.new_case_id, 1) if done.new_case_id else (case_id, done.version)
        with sessions() as session:
            case = session.get(Case, case_id)
            state = service.stage_state(session, case)
            return SimulationState(
                pathway_id=case.pathway_id, stage_id=case.stage_id, status=case.status, outcome=case.outcome,
                steps=outcomes, requirements=state.requirement_states(),
                exits={e.id: state.unmet_for(e) for e in state.stage.exits}, actors=actors,
                members=[w.id for w in workers])
    finally:
        engine.dispose()


def scenario_text(name: str, pathway: Pathway, state: SimulationState, country: str = "IT") -> str:
    """The steps of a simulation as a scenario file: done steps as they are, refused ones with `refused`,
    and the state reached as the final expectation."""
    actors = {}
    for key, actor in state.actors.items():
        spec: dict[str, Any] = {"roles": sorted(actor.roles)}
        if actor.desks:
            spec["desks"] = sorted(actor.desks)
        actors[key] = spec
    steps = []
    for outcome in state.steps:
        step = dict(outcome.step)
        if not outcome.done and outcome.code != "invalid_step":
            step["refused"] = outcome.code
        if outcome.code != "invalid_step":
            steps.append(step)
    expect: dict[str, Any] = {"pathway": state.pathway_id, "stage": state.stage_id, "status": state.status}
    if state.outcome:
        expect["outcome"] = state.outcome
    document = {
        "scenario": name, "pathway": pathway.id,
        "description": f"Recorded from a simulation of {pathway.id} v{pathway.version}",
        "actors": actors,
        "case": {"desk": SIMULATION_DESK, "country": country, "members": state.members, "mentors": [MENTOR],
                 "opened_by": OPERATOR, **({"parties": {role: role for role in pathway.party_roles}}
                                          if pathway.party_roles else {})},
        "steps": steps or [{"expect": expect}],
        "expect": expect,
    }
    return dump_yaml(document, sort_keys=False, width=110)


class _NoFiles(FileStore):
    """Simulated uploads are checked like real ones, but their bytes are not kept anywhere."""

    def __init__(self) -> None:
        super().__init__("/nonexistent")

    def put(self, content: bytes) -> str:
        import hashlib

        return hashlib.sha256(content).hexdigest()
