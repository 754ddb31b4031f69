"""The shipped methodology is tested like code: valid files, and every scenario passes."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.assessment_scenarios import ASSESSMENT_SCENARIO_DIR, assessment_files, load_assessments, run_assessment_scenario
from engine.library import pathway_files

from ..conftest import ROOT, SHIPPED_PATHWAYS

ASSESSMENTS = ROOT / "assessments"
SCENARIOS = assessment_files(ASSESSMENTS / ASSESSMENT_SCENARIO_DIR)


@pytest.fixture(scope="module")
def shipped():  # noqa: ANN201
    checked = load_assessments(ASSESSMENTS, {p.stem for p in pathway_files(SHIPPED_PATHWAYS)})
    return checked


def test_the_shipped_assessments_are_valid_and_fully_translated(shipped):
    assert set(shipped) >= {"entrecomp-intake", "entrecomp-followup"}
    for checked in shipped.values():
        assert checked.problems == [], [p.format() for p in checked.problems]


def test_the_intake_covers_the_fifteen_entrecomp_competences_in_three_areas(shipped):
    intake = shipped["entrecomp-intake"].assessment
    assert len(intake.dimensions) == 15 and len(intake.areas) == 3
    assert {d.area for d in intake.dimensions} == set(intake.areas)
    followup = shipped["entrecomp-followup"].assessment
    assert [d.id for d in followup.dimensions] == [d.id for d in intake.dimensions]  # before/after comparable


def test_every_pathway_can_be_recommended_first(shipped):
    from engine.loader import parse_text

    firsts = {parse_text(p.read_text(encoding="utf-8"), str(p)).data["expect"].get("pathway") for p in SCENARIOS}
    assert firsts >= {"startup", "wbo", "spinoff", "community_coop"}


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_shipped_assessment_scenario_passes(path: Path, shipped):
    valid = {c.assessment.id: c.assessment for c in shipped.values() if c.assessment}
    result = run_assessment_scenario(path, valid)
    assert result.passed, "\n".join(result.failures)
