"""Progress over a pathway: the follow-up assessment compared with the intake, per worker, per competence
and per area, across the case continued on the chosen pathway and across revisions of the assessments."""
from __future__ import annotations

import copy

import pytest

from engine import Actor, Member
from engine.assessment import Assessment, build_assessment
from engine.assessment_scenarios import load_assessments
from engine.pathway import build_pathway
from engine.progress import case_chain, case_progress, compare

from ..conftest import ROOT

OPERATOR = Actor.of("op1", ["operator"], ["genova"])
ANNA, LUCA = Member("w1", "Anna Rossi"), Member("w2", "Luca Bianchi")
# Scale answers per EntreComp area: at intake, then at follow-up.
INTAKE_LEVELS = {"ideas_opportunities": 2, "resources": 3, "into_action": 2}
FOLLOWUP_LEVELS = {"ideas_opportunities": 4, "resources": 3, "into_action": 5}
TITLE = {"it": "Percorso rivalutato", "fr": "Parcours réévalué", "en": "Reassessed pathway"}


def reassessed_pathway(pathway_id: str = "reassessed") -> dict:
    """Intake questionnaire, the activity, then the follow-up questionnaire (the shipped assessments)."""
    label = {"it": "Avanti", "fr": "Suite", "en": "Next"}
    return {
        "id": pathway_id, "version": 1, "title": {k: f"{v} ({pathway_id})" for k, v in TITLE.items()},
        "group": {"min_members": 1, "max_members": 10},
        "stages": [
            {"id": "intake", "title": {"it": "Accoglienza", "fr": "Accueil", "en": "Intake"},
             "assessment": {"id": "entrecomp-intake"},
             "exits": [{"id": "next", "label": label, "to": "activity"}]},
            {"id": "activity", "title": {"it": "Attività", "fr": "Activité", "en": "Activity"},
             "exits": [{"id": "next", "label": label, "to": "followup"}]},
            {"id": "followup", "title": {"it": "Fine percorso", "fr": "Fin de parcours", "en": "Follow-up"},
             "assessment": {"id": "entrecomp-followup"},
             "exits": [{"id": "close", "label": label, "outcome": "company_created"}]},
        ],
    }


def register_reassessed(library, assessments) -> None:  # noqa: ANN001
    """The shipped intake and follow-up assessments, and two pathways that ask for both."""
    for checked in load_assessments(ROOT / "assessments").values():
        if checked.assessment is not None and checked.assessment.id in ("entrecomp-intake", "entrecomp-followup"):
            assessments.register(checked.assessment, checked.source.text, checked.file)
    for pathway_id in ("reassessed", "reassessed-alt"):
        library.register(build_pathway(reassessed_pathway(pathway_id)), source_file=f"{pathway_id}.yaml")


def answers_for(assessment: Assessment, levels: dict[str, int]) -> dict:
    """Complete answers whose competence scores are the level of their area (reversed statements too)."""
    area_of = {d.id: d.area for d in assessment.dimensions}
    answers: dict = {}
    for q in assessment.questions:
        if q.type == "scale":
            dimension, _weight, reverse = q.scores[0] if q.scores else (None, 1, False)
            level = levels.get(area_of.get(dimension), 3)
            answers[q.id] = 6 - level if reverse else level
        elif q.type == "number":
            answers[q.id] = q.raw.get("minimum", 1)
        elif q.type == "yes_no":
            answers[q.id] = False
        elif q.type == "choice":
            answers[q.id] = q.options[0][0]
        elif q.type == "choices":
            answers[q.id] = [q.options[0][0]]
        else:
            answers[q.id] = "-"
    return answers


def current(assessments, sessions, assessment_id: str) -> Assessment:  # noqa: ANN001
    with sessions() as session:
        return assessments.revision(assessments.current_revision_id(assessment_id, session), session)


@pytest.fixture
def reassessed(library, assessments):  # noqa: ANN001, ANN201
    register_reassessed(library, assessments)


def to_followup(service, sessions, assessments, members=(ANNA, LUCA)):  # noqa: ANN001, ANN201
    """A case where every worker has submitted the intake, moved to the follow-up stage."""
    receipt = service.open_case(OPERATOR, pathway_id="reassessed", desk_id="genova", members=list(members))
    case_id, v = receipt.case_id, receipt.version
    intake = current(assessments, sessions, "entrecomp-intake")
    for m in members:
        v = service.submit_assessment(case_id, Actor.of(m.person_id, ["worker"]), v,
                                      answers=answers_for(intake, INTAKE_LEVELS)).version
    v = service.advance(case_id, OPERATOR, v, "next").version
    return case_id, service.advance(case_id, OPERATOR, v, "next").version


def submit_followup(service, sessions, assessments, case_id, v, person, levels=FOLLOWUP_LEVELS):  # noqa: ANN001, ANN201
    followup = current(assessments, sessions, "entrecomp-followup")
    return service.submit_assessment(case_id, OPERATOR, v, person_id=person,
                                     answers=answers_for(followup, levels)).version


def test_each_competence_and_area_shows_intake_follow_up_and_change(service, sessions, assessments, reassessed):
    case_id, v = to_followup(service, sessions, assessments)
    v = submit_followup(service, sessions, assessments, case_id, v, "w1")
    v = submit_followup(service, sessions, assessments, case_id, v, "w2",
                        levels={"ideas_opportunities": 1, "resources": 4, "into_action": 2})
    with sessions() as session:
        anna, luca = case_progress(session, assessments, case_id)
    assert (anna.person_id, luca.person_id) == ("w1", "w2")
    assert len(anna.competences) == 15 and anna.not_compared == ()
    by_id = {c.id: c for c in anna.competences}
    assert (by_id["creativity"].before, by_id["creativity"].after, by_id["creativity"].change) == (2.0, 4.0, 2.0)
    assert by_id["financial_literacy"].change == 0.0
    assert by_id["coping_with_uncertainty"].change == 3.0  # scored by two statements at intake, one after
    assert by_id["creativity"].title["fr"] == "Créativité" and by_id["creativity"].area == "ideas_opportunities"
    assert [(a.id, a.before, a.after, a.change) for a in anna.areas] == [
        ("ideas_opportunities", 2.0, 4.0, 2.0), ("resources", 3.0, 3.0, 0.0), ("into_action", 2.0, 5.0, 3.0)]
    assert anna.areas[0].title["it"] == "Idee e opportunità"
    assert [(a.id, a.change) for a in luca.areas] == [
        ("ideas_opportunities", -1.0), ("resources", 1.0), ("into_action", 0.0)]
    assert (anna.before.assessment_id, anna.after.assessment_id) == ("entrecomp-intake", "entrecomp-followup")
    assert anna.before.submitted_at < anna.after.submitted_at


def test_a_worker_with_only_an_intake_has_no_comparison(service, sessions, assessments, reassessed):
    case_id, v = to_followup(service, sessions, assessments)
    with sessions() as session:
        assert case_progress(session, assessments, case_id) == []  # nobody has answered the follow-up yet
    service.save_assessment_answers(case_id, OPERATOR, {"creativity_1": 5}, person_id="w2")  # a draft is not enough
    submit_followup(service, sessions, assessments, case_id, v, "w1")
    with sessions() as session:
        assert [p.person_id for p in case_progress(session, assessments, case_id)] == ["w1"]


def test_the_follow_up_on_the_chosen_pathway_is_compared_with_the_intake_before_the_choice(
        service, sessions, assessments, reassessed):
    receipt = service.open_case(OPERATOR, pathway_id="reassessed", desk_id="genova",
                                members=[Member("w1", "Anna Rossi", "female", 1970)])
    case_id, v = receipt.case_id, receipt.version
    intake = current(assessments, sessions, "entrecomp-intake")
    v = service.submit_assessment(case_id, Actor.of("w1", ["worker"]), v,
                                  answers=answers_for(intake, INTAKE_LEVELS)).version
    v = service.advance(case_id, OPERATOR, v, "next").version
    chosen = service.record_pathway_choice(case_id, OPERATOR, v, "reassessed-alt", reason="her own project")
    new_case, v = chosen.new_case_id, 1
    v = service.advance(new_case, OPERATOR, v, "next").version
    submit_followup(service, sessions, assessments, new_case, v, "w1")
    with sessions() as session:
        assert case_chain(session, new_case) == [new_case, case_id]
        [anna] = case_progress(session, assessments, new_case)
        assert case_progress(session, assessments, case_id) == []  # the first case has no follow-up
        from engine.models import CaseMember

        carried = session.query(CaseMember).filter_by(case_id=new_case, person_id="w1").one()
        assert (carried.sex, carried.birth_year) == ("female", 1970)  # the choice carries the details along
    assert anna.after.case_id == new_case and anna.areas[2].change == 3.0


def test_answers_on_different_revisions_compare_only_the_competences_both_have(
        service, sessions, assessments, reassessed):
    case_id, v = to_followup(service, sessions, assessments)
    v = submit_followup(service, sessions, assessments, case_id, v, "w1")  # on the shipped revision
    # The follow-up is revised: 'vision' is dropped and 'creativity' retitled; Luca answers the new one.
    doc = copy.deepcopy(dict(current(assessments, sessions, "entrecomp-followup").document))
    doc["version"] = 2
    doc["dimensions"] = [d for d in doc["dimensions"] if d["id"] != "vision"]
    for d in doc["dimensions"]:
        if d["id"] == "creativity":
            d["title"] = {**d["title"], "en": "Creativity and ideas"}
    for section in doc["sections"]:
        section["questions"] = [q for q in section["questions"] if q["id"] != "vision_1"]
    assessments.register(build_assessment(doc))
    v = submit_followup(service, sessions, assessments, case_id, v, "w2")
    with sessions() as session:
        anna, luca = case_progress(session, assessments, case_id)
    assert anna.after.revision_id != luca.after.revision_id
    assert len(anna.competences) == 15 and "vision" in {c.id for c in anna.competences}
    assert len(luca.competences) == 14 and luca.not_compared == ("vision",)
    assert {c.id: c.title["en"] for c in luca.competences}["creativity"] == "Creativity and ideas"
    assert {c.id: c.title["en"] for c in anna.competences}["creativity"] == "Creativity"
    # Both sides of an area count the same competences: the mean is still 2 -> 4 without 'vision'.
    assert (luca.areas[0].before, luca.areas[0].after) == (2.0, 4.0)


def test_compare_matches_dimensions_by_id_and_skips_unscored_ones(assessments, sessions, reassessed):
    intake = current(assessments, sessions, "entrecomp-intake")
    followup = current(assessments, sessions, "entrecomp-followup")
    competences, areas, skipped = compare(intake, {"creativity": 2.5, "vision": 3.0, "self_awareness": None},
                                          followup, {"creativity": 4.0, "vision": 2.0, "self_awareness": 4.0})
    assert [(c.id, c.change) for c in competences] == [("creativity", 1.5), ("vision", -1.0)]
    assert [(a.id, a.before, a.after) for a in areas] == [("ideas_opportunities", 2.75, 3.0)]
    assert "self_awareness" in skipped and len(skipped) == 13


def followup_revision(assessments, sessions, version: int, **changes) -> dict:  # noqa: ANN001
    """A new revision of the shipped follow-up, with `changes` to its document (None removes a key)."""
    doc = copy.deepcopy(dict(current(assessments, sessions, "entrecomp-followup").document))
    doc["version"] = version
    for key, value in changes.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    assessments.register(build_assessment(doc))
    return doc


def test_the_follow_up_is_compared_with_what_its_file_names(service, sessions, assessments, reassessed):
    assert current(assessments, sessions, "entrecomp-followup").compares_to == "entrecomp-intake"
    # A revision that names no baseline: its answers are a questionnaire like any other, not a progress.
    followup_revision(assessments, sessions, 90, compares_to=None)
    case_id, v = to_followup(service, sessions, assessments)
    v = submit_followup(service, sessions, assessments, case_id, v, "w1")
    with sessions() as session:
        assert case_progress(session, assessments, case_id) == []
    # The newest revision names the intake again: answers given before it named one count too.
    followup_revision(assessments, sessions, 91, compares_to="entrecomp-intake")
    with sessions() as session:
        [anna] = case_progress(session, assessments, case_id)
    assert (anna.before.assessment_id, anna.after.assessment_id) == ("entrecomp-intake", "entrecomp-followup")


def test_a_follow_up_compared_with_another_assessment_looks_for_that_one(service, sessions, assessments,
                                                                        reassessed):
    # The follow-up now names the follow-up of another programme: the intake answers are not its baseline.
    other = copy.deepcopy(dict(current(assessments, sessions, "entrecomp-followup").document))
    other.update(id="entrecomp-midway", version=1)
    other.pop("compares_to")
    assessments.register(build_assessment(other))
    followup_revision(assessments, sessions, 92, compares_to="entrecomp-midway")
    case_id, v = to_followup(service, sessions, assessments)
    submit_followup(service, sessions, assessments, case_id, v, "w1")
    with sessions() as session:
        assert case_progress(session, assessments, case_id) == []
