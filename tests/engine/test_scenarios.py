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
