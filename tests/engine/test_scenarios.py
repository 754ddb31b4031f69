"""The shipped pathways are tested like code: every scenario file must pass, on the test database."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.loader import parse_text
from engine.scenarios import ScenarioRunner, scenario_files

from ..conftest import FIXTURE_PATHWAYS, SHIPPED_PATHWAYS

SHIPPED_SCENARIOS = scenario_files([SHIPPED_PATHWAYS])


def test_every_shipped_pathway_has_scenarios():
    covered = {parse_text(p.read_text(encoding="utf-8"), str(p)).data["pathway"] for p in SHIPPED_SCENARIOS}
    assert covered >= {"startup", "wbo", "spinoff", "community_coop"}


@pytest.mark.parametrize("path", SHIPPED_SCENARIOS, ids=lambda p: p.stem)
def test_shipped_scenario_passes(path: Path, sessions, desks):
    runner = ScenarioRunner(SHIPPED_PATHWAYS, sessions)
    try:
        assert all(c.valid for c in runner.report), [p.format() for c in runner.report for p in c.errors]
        result = runner.run_file(path)
    finally:
        runner.close()
    assert result.passed, "\n".join(result.failures)
    assert result.steps_run > 0


SCENARIO = """
scenario: {name}
pathway: mini
actors:
  anna: {{roles: [operator], desks: [genova]}}
  marco: {{roles: [mentor]}}
  w1: {{roles: [worker], name: Luca}}
case: {{desk: genova, members: [w1], mentors: [marco], opened_by: anna}}
steps:
  - {{as: w1, tick: consent}}
  - {{as: anna, submit: {{sector: nautical}}}}
{extra}
"""


def run_text(tmp_path: Path, name: str, extra: str):  # noqa: ANN201
    path = tmp_path / f"{name}.yaml"
    path.write_text(SCENARIO.format(name=name, extra=extra), encoding="utf-8")
    with ScenarioRunner(FIXTURE_PATHWAYS) as runner:
        return runner.run_file(path)


def test_a_scenario_reaching_the_expected_stage_passes(tmp_path):
    result = run_text(tmp_path, "ok", "  - {as: anna, advance: continue}\n  - expect: {stage: study, status: active}")
    assert result.passed, result.failures
    assert result.steps_run == 4


def test_a_wrong_expectation_fails_with_its_line(tmp_path):
    result = run_text(tmp_path, "wrong", "  - {as: anna, advance: continue}\n  - expect: {stage: deed}")
    assert not result.passed
    assert ":14:" in result.failures[0] and "expected stage 'deed', found 'study'" in result.failures[0]


def test_an_expected_refusal_must_happen_with_the_right_reason(tmp_path):
    ok = run_text(tmp_path, "refusal", "  - {as: w1, tick: leaflet, refused: not_allowed}")
    assert ok.passed, ok.failures
    wrong_code = run_text(tmp_path, "code", "  - {as: w1, tick: leaflet, refused: case_closed}")
    assert "expected [case_closed]" in wrong_code.failures[0]
    not_refused = run_text(tmp_path, "done", "  - {as: anna, tick: leaflet, refused: not_allowed}")
    assert "was expected to be refused" in not_refused.failures[0]
    missing = run_text(tmp_path, "missing", "  - {as: anna, advance: continue}\n"
                                            "  - {as: anna, advance: positive, refused: {code: exit_not_allowed, "
                                            "missing: [plan, form, review, condition]}}")
    assert missing.passed, missing.failures


def test_an_unexpected_refusal_fails_the_scenario(tmp_path):
    result = run_text(tmp_path, "unexpected", "  - {as: anna, advance: nowhere}")
    assert "refused unexpectedly" in result.failures[0]


def test_a_scenario_that_breaks_the_schema_is_reported_not_run(tmp_path):
    result = run_text(tmp_path, "schema", "  - {as: anna, fly: away}")
    assert not result.passed and "unknown key 'fly'" in result.failures[0]


MID_WAY = """
scenario: mid_way
pathway: mini
actors:
  anna: {{roles: [operator], desks: [genova]}}
  marco: {{roles: [mentor]}}
  w1: {{roles: [worker]}}
  w2: {{roles: [worker]}}
  w3: {{roles: [worker]}}
case:
  desk: genova
  members: [w1, w2, w3]
  mentors: [marco]
  opened_by: anna
  at: study
  forms: {{study: {{viable: true, investment: 12000}}}}
steps:
{steps}
"""


def run_mid_way(tmp_path: Path, steps: str, **case: str):  # noqa: ANN201
    text = MID_WAY.format(steps=steps)
    for key, value in case.items():
        text = text.replace(f"  {key}: ", f"  {key}: {value}  # ", 1)
    path = tmp_path / "mid_way.yaml"
    path.write_text(text, encoding="utf-8")
    with ScenarioRunner(FIXTURE_PATHWAYS) as runner:
        return runner.run_file(path)


def test_a_scenario_starts_at_a_later_stage_from_given_forms_and_checks_values_due_days_and_events(tmp_path):
    result = run_mid_way(tmp_path, """\
  - expect: {stage: study, missing: [plan, review], forms: {study: {viable: true, investment: 12000}},
             due_in_days: 30, events: [case_opened]}
  - {as: anna, upload: {document: plan, filename: plan.pdf, bytes: 2000}}
  - {as: marco, sign: review}
  - {as: anna, advance: positive, expect: {stage: deed, due_in_days: null,
                                           events: [case_opened, document_attached, signed_off, advanced]}}
""")
    assert result.passed, result.failures


def test_a_wrong_form_value_due_date_or_event_fails_with_what_was_found(tmp_path):
    wrong_value = run_mid_way(tmp_path, "  - expect: {forms: {study: {investment: 13000}}}")
    assert "expected study.investment = 13000, found 12000" in wrong_value.failures[0]
    wrong_due = run_mid_way(tmp_path, "  - expect: {due_in_days: 10}")
    assert "due in 30 days, expected 10" in wrong_due.failures[0]
    wrong_events = run_mid_way(tmp_path, "  - expect: {events: [signed_off, case_opened]}")
    assert "do not contain ['signed_off', 'case_opened'] in order" in wrong_events.failures[0]


def test_carried_data_follows_a_case_to_another_pathway(tmp_path):
    result = run_mid_way(tmp_path, """\
  - {as: anna, submit: {viable: false}}
  - {as: anna, advance: negative, expect: {pathway: solo, stage: idea, carried: [welcome]}}
""", members="[w1]")
    assert result.passed, result.failures


def test_an_unknown_start_stage_or_invalid_given_form_is_a_clear_failure(tmp_path):
    unknown = run_mid_way(tmp_path, "  - expect: {stage: study}", at="stduy")
    assert "has no stage 'stduy' to open the case at" in unknown.failures[0]
    invalid = run_mid_way(tmp_path, "  - expect: {stage: study}", forms="{study: {investment: -5}}")
    assert "could not be opened" in invalid.failures[0] and "investment" in invalid.failures[0]


def test_a_scenario_starts_after_the_intake_questionnaire_with_given_answers(tmp_path, sessions, desks):
    """The pathway choice needs a submitted assessment: given answers stand for the whole intake."""
    import yaml

    from ..conftest import ROOT

    answers = yaml.safe_load((ROOT / "assessments" / "scenarios" / "intake_community_coop_village_it.yaml")
                             .read_text(encoding="utf-8"))["answers"]
    scenario = {
        "scenario": "choice_after_given_assessment", "pathway": "startup",
        "actors": {"op": {"roles": ["operator"], "desks": ["genova"]}, "anna": {"roles": ["worker"]}},
        "case": {"desk": "genova", "members": ["anna"], "opened_by": "op", "at": "pathway_choice",
                 "assessments": {"entrepreneurial_assessment": {"anna": answers}}},
        "steps": [
            {"expect": {"stage": "pathway_choice", "events": ["case_opened"]}},
            {"as": "op", "choose": {"pathway": "startup"}, "refused": "reason_required"},
            {"as": "op", "choose": {"pathway": "startup", "reason": "She wants to open her own shop"},
             "expect": {"pathway": "startup", "stage": "pathway_choice",
                        "events": ["case_opened", "pathway_chosen"]}},
        ],
    }
    path = tmp_path / "choice.yaml"
    path.write_text(yaml.safe_dump(scenario, allow_unicode=True), encoding="utf-8")
    with ScenarioRunner(SHIPPED_PATHWAYS, sessions) as runner:
        result = runner.run_file(path)
        assert result.passed, result.failures
        from sqlalchemy import select

        from engine.models import Case

        with sessions() as session:
            case_id = session.scalar(select(Case.id).order_by(Case.id.desc()).limit(1))
        assert runner.service.recommendation(case_id)[0][0] == "community_coop"
    scenario["case"]["assessments"]["entrepreneurial_assessment"]["anna"] = {"colleagues_interested": 0}
    path.write_text(yaml.safe_dump(scenario, allow_unicode=True), encoding="utf-8")
    with ScenarioRunner(SHIPPED_PATHWAYS) as runner:
        incomplete = runner.run_file(path)
    assert "the case could not be opened" in incomplete.failures[0]
