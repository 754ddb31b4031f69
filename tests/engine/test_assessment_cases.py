"""The assessment as a stage requirement: answers saved as they go, submitted per worker, the pathway
choice recorded against the recommendation."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine import Actor, FormInvalid, InvalidOperation, Member, NotAllowed, RequirementsNotMet
from engine.library import check_directory
from engine.models import AssessmentResponse, Case
from engine.queries import timeline

from ..conftest import ROOT

OPERATOR = Actor.of("op1", ["operator"], ["genova"])
W1, W2 = Actor.of("w1", ["worker"]), Actor.of("w2", ["worker"])
GROUP = [Member("w1", "Anna Rossi"), Member("w2", "Luca Bianchi")]
WBO_ANSWERS = {"new_ideas": 2, "colleagues": 5, "crisis": True}


@pytest.fixture(autouse=True)
def assessed_pathway(library):  # noqa: ANN001, ANN201
    """A pathway whose first stage asks each worker for the fixture assessment, beside mini and solo."""
    [checked], _ = check_directory(ROOT / "tests" / "fixtures" / "assessed")
    assert checked.valid, [p.format() for p in checked.problems]
    library.register(checked.pathway, source_file="assessed.yaml")


def open_assessed(service, members=GROUP):  # noqa: ANN001, ANN201
    receipt = service.open_case(OPERATOR, pathway_id="assessed", desk_id="genova", members=list(members))
    return receipt.case_id, receipt.version


def test_answers_are_kept_as_they_are_given_and_refused_when_invalid(service, sessions):
    case_id, v = open_assessed(service)
    assert service.save_assessment_answers(case_id, W1, {"new_ideas": 4}) == {"new_ideas": 4}
    assert service.save_assessment_answers(case_id, W1, {"colleagues": 3}) == {"new_ideas": 4, "colleagues": 3}
    with pytest.raises(FormInvalid) as refused:
        service.save_assessment_answers(case_id, W1, {"new_ideas": 7})
    assert "al massimo 5" in refused.value.messages("it")["new_ideas"][0]
    with pytest.raises(NotAllowed):
        service.save_assessment_answers(case_id, W1, {"new_ideas": 1}, person_id="w2")
    # Leaving and coming back: the saved answers are there, and a draft changes no version.
    with sessions() as session:
        row = session.scalar(select(AssessmentResponse).where(AssessmentResponse.person_id == "w1"))
        assert row.answers == {"new_ideas": 4, "colleagues": 3} and row.submitted_at is None
        assert session.get(Case, case_id).version == v


def test_each_worker_submits_and_the_stage_waits_for_all(service, sessions):
    case_id, v = open_assessed(service)
    service.save_assessment_answers(case_id, W1, {"new_ideas": 2, "colleagues": 5})
    with pytest.raises(FormInvalid) as refused:
        service.submit_assessment(case_id, W1, v)
    assert list(refused.value.field_errors) == ["crisis"]
    v = service.submit_assessment(case_id, W1, v, answers={"crisis": True}).version
    with pytest.raises(InvalidOperation) as again:
        service.submit_assessment(case_id, W1, v)
    assert again.value.code == "already_submitted"
    missing = service.missing(case_id)["next"]
    assert [u.requirement for u in missing] == ["assessment"] and "Luca Bianchi" in missing[0].message("en")
    with pytest.raises(RequirementsNotMet):
        service.advance(case_id, OPERATOR, v, "next")
    with pytest.raises(InvalidOperation) as unnamed:
        service.submit_assessment(case_id, OPERATOR, v, answers={"new_ideas": 5, "colleagues": 0, "crisis": False})
    assert unnamed.value.code == "member_required"
    v = service.submit_assessment(case_id, OPERATOR, v, person_id="w2",
                                  answers={"new_ideas": 5, "colleagues": 0, "crisis": False}).version
    assert service.missing(case_id)["next"] == []
    with sessions() as session:
        result = session.scalar(select(AssessmentResponse).where(AssessmentResponse.person_id == "w1")).result
        assert result["scores"] == {"creativity": 2.0}
        assert result["pathways"][0]["target"] == "mini"
        assert result["pathways"][0]["reasons"][0]["reason"]["en"] == "Colleagues interested"
        texts = [e.text for e in timeline(session, case_id, "it")]
    assert "w1 ha inviato la valutazione 'Autovalutazione'" in texts[1]
    assert texts[2].endswith("per w2.")


def test_the_recommendation_adds_up_the_group_and_the_choice_is_recorded(service, sessions):
    case_id, v = open_assessed(service)
    v = service.submit_assessment(case_id, W1, v, answers=WBO_ANSWERS).version
    v = service.submit_assessment(case_id, W2, v, answers={"new_ideas": 5, "colleagues": 1, "crisis": True}).version
    assert service.recommendation(case_id) == [("mini", 3.0), ("solo", 2.0)]
    v = service.advance(case_id, OPERATOR, v, "next").version
    with pytest.raises(InvalidOperation) as refused:
        service.record_pathway_choice(case_id, OPERATOR, v, "assessed")  # against the recommendation, no reason
    assert refused.value.code == "reason_required"
    v = service.record_pathway_choice(case_id, OPERATOR, v, "mini").version  # as recommended
    with sessions() as session:
        old = session.get(Case, case_id)
        assert (old.status, old.outcome) == ("closed", "referred")
        assert session.get(Case, old.next_case_id).stage_id == "study"  # continues at the shared stage
        assert timeline(session, case_id, "en")[-1].text.startswith(
            "op1 recorded the choice of the pathway 'Mini pathway' (as recommended)")


def test_choosing_another_pathway_carries_the_assessments_along(service, sessions):
    case_id, v = open_assessed(service, members=GROUP[:1])
    with pytest.raises(InvalidOperation) as early:
        service.record_pathway_choice(case_id, OPERATOR, v, "mini", reason="before any answer")
    assert early.value.code == "choice_without_assessment"
    v = service.submit_assessment(case_id, W1, v, answers={"new_ideas": 5, "colleagues": 0, "crisis": False}).version
    v = service.advance(case_id, OPERATOR, v, "next").version
    with pytest.raises(InvalidOperation) as nowhere:
        service.record_pathway_choice(case_id, OPERATOR, v, "solo")  # recommended, but solo has no 'study'
    assert nowhere.value.code == "choice_stage_missing"
    receipt = service.record_pathway_choice(case_id, OPERATOR, v, "mini", reason="the group may grow")
    with sessions() as session:
        new = session.get(Case, receipt.new_case_id)
        assert (new.pathway_id, new.stage_id, new.previous_case_id) == ("mini", "study", case_id)
        carried = session.scalar(select(AssessmentResponse).where(AssessmentResponse.case_id == new.id))
        assert carried.result["pathways"][0]["target"] == "solo" and carried.submitted_at is not None
        entry = timeline(session, case_id, "fr")[-1].text
    assert "différent de la recommandation" in entry and "the group may grow" in entry


def test_drafts_are_refused_outside_the_assessment_stage(service):
    case_id, v = open_assessed(service, members=GROUP[:1])
    v = service.submit_assessment(case_id, W1, v, answers=WBO_ANSWERS).version
    service.advance(case_id, OPERATOR, v, "next")
    with pytest.raises(InvalidOperation) as refused:
        service.save_assessment_answers(case_id, W1, {"new_ideas": 3})
    assert refused.value.code == "stage_has_no_assessment"
