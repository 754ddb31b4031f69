"""Simulating a pathway: replayed steps, open and closed exits with reasons, saved as a scenario."""
from __future__ import annotations

from engine.library import check_directory
from engine.loader import parse_text
from engine.scenarios import ScenarioRunner
from engine.simulation import scenario_text, simulate

from ..conftest import FIXTURE_PATHWAYS


def fixture_pathways():  # noqa: ANN201
    results, _ = check_directory(FIXTURE_PATHWAYS)
    return {c.pathway.id: c.pathway for c in results}


STEPS = [
    {"as": "worker1", "tick": "consent"},
    {"as": "operator", "advance": "continue"},  # refused: the form is missing
    {"as": "operator", "submit": {"sector": "tourism"}},
    {"as": "operator", "advance": "continue"},
    {"as": "operator", "submit": {"viable": False}},
]


def test_a_simulation_replays_steps_and_explains_each_exit():
    pathways = fixture_pathways()
    state = simulate(pathways["mini"], STEPS, others=pathways)
    assert [o.done for o in state.steps] == [True, False, True, True, True]
    assert state.steps[1].code == "exit_not_allowed" and "form" in state.steps[1].message.lower()
    assert (state.stage_id, state.status) == ("study", "active")
    assert state.exits["negative"] == []  # viable = no opens the referral, which needs only the form
    assert {u.requirement for u in state.exits["positive"]} == {"plan", "review", "condition"}
    assert {r.id: r.met for r in state.requirements} == {"plan": False, "form": True, "review": False}


def test_a_simulation_follows_a_referral_to_the_other_pathway():
    pathways = fixture_pathways()
    state = simulate(pathways["mini"], STEPS + [{"as": "operator", "advance": "negative"}], others=pathways)
    assert (state.pathway_id, state.stage_id) == ("solo", "idea")


def test_unknown_actors_and_actions_are_reported_not_raised():
    pathways = fixture_pathways()
    state = simulate(pathways["mini"], [{"as": "ghost", "tick": "consent"}, {"as": "operator", "dance": 1}])
    assert [o.code for o in state.steps] == ["invalid_step", "invalid_step"]


def test_the_steps_taken_become_a_scenario_that_passes(tmp_path):
    pathways = fixture_pathways()
    state = simulate(pathways["mini"], STEPS, members=2, others=pathways)
    text = scenario_text("recorded", pathways["mini"], state)
    doc = parse_text(text, "recorded.yaml").data
    assert doc["case"]["members"] == ["worker1", "worker2"]
    assert doc["steps"][1]["refused"] == "exit_not_allowed"
    path = tmp_path / "recorded.yaml"
    path.write_text(text, encoding="utf-8")
    with ScenarioRunner(FIXTURE_PATHWAYS) as runner:
        result = runner.run_file(path)
    # worker2 never consented in the simulation, so the recorded scenario stops where the simulation did.
    assert result.passed, result.failures


def test_a_simulation_passes_an_assessment_stage_with_the_assessments_given():
    from engine.assessment import check_assessment_file
    from engine.library import check_directory

    from ..conftest import FIXTURE_ASSESSMENTS, ROOT

    [checked], _ = check_directory(ROOT / "tests" / "fixtures" / "assessed")
    assessment = check_assessment_file(FIXTURE_ASSESSMENTS / "mini-assess.yaml").assessment
    steps = [{"as": "worker1", "assess": {"new_ideas": 4, "colleagues": 0, "crisis": False}},
             {"as": "operator", "advance": "next"}]
    state = simulate(checked.pathway, steps, assessments=[assessment])
    assert [o.done for o in state.steps] == [True, True] and state.stage_id == "study"
    without = simulate(checked.pathway, steps)
    assert without.steps[0].code == "unknown_assessment"


def test_steps_and_refusals_read_in_words_in_each_language_with_labels():
    from engine.simulation import describe_step

    pathways = fixture_pathways()
    state = simulate(pathways["mini"], STEPS, others=pathways)
    mini = pathways["mini"]
    sector = next(s.form.field("sector") for s in mini.stages if s.form and s.form.field("sector"))
    tourism = sector.option_label("tourism", "en")  # an option's label, not its value
    assert describe_step(mini, STEPS[2], "en") == f"Operator: submits the form “{sector.label['en']} = {tourism}”"
    assert describe_step(mini, {"as": "operator", "advance": "positive"}, "it") == "Operatore: prende l'uscita “Positivo”"
    assert describe_step(mini, {"as": "notary", "sign": "notary_deed"}, "fr") == "Notaire: signe “Acte notarié”"
    assert describe_step(mini, {"as": "worker1", "tick": "consent"}, "fr").startswith("Travailleur 1: coche “")
    refused = state.steps[1]
    assert refused.reason("it").startswith("Questa uscita non può ancora essere presa.")
    assert refused.reason("fr").startswith("Cette sortie ne peut pas encore être prise.")


def test_a_submitted_date_reads_the_readers_way_in_a_simulation_step():
    from engine.simulation import describe_step
    from tests.conftest import SHIPPED_PATHWAYS

    startup = {c.pathway.id: c.pathway for c in check_directory(SHIPPED_PATHWAYS)[0]}["startup"]
    step = {"as": "operator", "submit": {"interview_date": "2024-02-05", "employment_status": "laid_off"}}
    french = describe_step(startup, step, "fr")
    assert "5 févr. 2024" in french and "2024-02-05" not in french
    status = startup.field("first_interview.employment_status")
    assert status.option_label("laid_off", "fr") in french
