"""The pathway guide's examples are real: every complete YAML example in docs/pathways.md validates — pathway
examples with the shipped shared stages, scenario examples against the scenario schema — every scenario
example runs and passes against the pathways the guide wrote before it (and the shipped ones), and every
snippet is at least valid YAML."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from engine.library import load_fragments
from engine.loader import parse_text
from engine.validation import check_source, schema_problems
from tests.conftest import ROOT, SHIPPED_PATHWAYS

GUIDE = ROOT / "docs" / "pathways.md"
BLOCK = re.compile(r"^```(yaml[^\n]*)\n(.*?)^```", re.M | re.S)


def blocks(kind: str) -> list[tuple[int, str]]:
    text = GUIDE.read_text(encoding="utf-8")
    return [(text[: m.start()].count("\n") + 1, m.group(2)) for m in BLOCK.finditer(text)
            if m.group(1).strip() == kind]


def example_ids(kind: str) -> list[str]:
    return [f"line{line}" for line, _ in blocks(kind)]


@pytest.fixture(scope="module")
def fragments():  # noqa: ANN201
    found, problems = load_fragments(SHIPPED_PATHWAYS)
    assert not problems
    return found


def test_the_guide_has_pathway_and_scenario_examples() -> None:
    examples = [yaml.safe_load(text) for _line, text in blocks("yaml")]
    assert sum("stages" in e for e in examples) >= 3
    assert sum("scenario" in e for e in examples) >= 2


@pytest.mark.parametrize(("line", "text"), blocks("yaml"), ids=example_ids("yaml"))
def test_every_complete_example_in_the_guide_validates(line: int, text: str, fragments) -> None:  # noqa: ANN001
    doc = parse_text(text, f"{GUIDE.name}:{line}")
    if "scenario" in doc.data:
        problems = schema_problems(doc, "scenario.schema.json")
    elif "dimensions" in doc.data:  # an assessment file, checked against the shipped library
        from engine.assessment import check_assessment_source, library_ids

        pathways = {p.stem for p in SHIPPED_PATHWAYS.glob("*.yaml")}
        problems = check_assessment_source(doc, pathways, known_assessments=library_ids(ROOT / "assessments")).errors
    else:
        known = {p.stem for p in SHIPPED_PATHWAYS.glob("*.yaml")} | {doc.data["id"]}
        problems = check_source(doc, fragments, known).errors
    assert not problems, "\n".join(p.format() for p in problems)


def scenario_examples() -> list[tuple[int, str]]:
    return [(line, text) for line, text in blocks("yaml") if "scenario" in yaml.safe_load(text)]


@pytest.mark.parametrize(("line", "text"), scenario_examples(), ids=[f"line{line}" for line, _ in scenario_examples()])
def test_every_scenario_example_in_the_guide_runs_and_passes(line: int, text: str, tmp_path: Path, sessions) -> None:  # noqa: ANN001
    """Run as `opera pathways test` would: the shipped pathways, plus the guide's pathway examples written
    before this scenario (a later version of the same pathway replaces the earlier one, as when editing)."""
    from engine.scenarios import ScenarioRunner

    directory = tmp_path / "pathways"
    shutil.copytree(SHIPPED_PATHWAYS, directory, ignore=shutil.ignore_patterns("scenarios"))
    shutil.copytree(ROOT / "assessments", tmp_path / "assessments")
    for pathway_line, pathway_text in blocks("yaml"):
        data = yaml.safe_load(pathway_text)
        if pathway_line < line and "stages" in data and "id" in data:
            (directory / f"{data['id']}.yaml").write_text(pathway_text, encoding="utf-8")
    with ScenarioRunner(directory, sessions) as runner:
        assert all(c.valid for c in runner.report), [p.format() for c in runner.report for p in c.errors]
        result = runner.run(parse_text(text, f"{GUIDE.name}:{line}"))
    assert result.passed, "\n".join(result.failures)


@pytest.mark.parametrize(("line", "text"), blocks("yaml snippet"), ids=example_ids("yaml snippet"))
def test_every_snippet_in_the_guide_is_valid_yaml(line: int, text: str) -> None:
    assert isinstance(yaml.safe_load(text), dict)


def test_the_guide_names_every_scenario_action_and_every_requirement_type() -> None:
    from engine.scenarios import ACTIONS

    text = GUIDE.read_text(encoding="utf-8")
    for action in ACTIONS:
        assert f"`{action}`" in text, action
    for key in ("checklist", "documents", "form", "assessment", "signoffs", "include", "$next", "when",
                "requires", "distinct_from", "per_member", "carry"):
        assert re.search(r"`[^`\n]*" + re.escape(key), text), key


def test_the_guide_lists_every_refusal_code_the_engine_gives() -> None:
    """A new refusal in the engine without its line in the guide's table fails here."""
    engine_dir = ROOT / "engine"
    raised = set()
    for path in engine_dir.glob("**/*.py"):
        raised |= set(re.findall(r'(?:InvalidOperation|DocumentRefused)\("([a-z_]+)"', path.read_text(encoding="utf-8")))
    raised |= {"not_allowed", "exit_not_allowed", "form_invalid", "conflict", "case_not_found"}
    table = GUIDE.read_text(encoding="utf-8").split("**Refusal codes.**", 1)[1].split("###", 1)[0]
    listed = set(re.findall(r"`([a-z_]+)`", table))
    assert raised - listed == set(), "refusal codes missing from the guide"


def test_the_financing_rule_of_the_second_tutorial_is_explained_in_words_in_three_languages(tmp_path: Path, sessions) -> None:  # noqa: ANN001
    from engine.cases import Actor, Member
    from engine.errors import RequirementsNotMet
    from engine.models import Desk
    from engine.scenarios import ScenarioRunner

    directory = tmp_path / "pathways"
    shutil.copytree(SHIPPED_PATHWAYS, directory, ignore=shutil.ignore_patterns("scenarios"))
    shutil.copytree(ROOT / "assessments", tmp_path / "assessments")
    text = next(t for _line, t in blocks("yaml") if yaml.safe_load(t).get("id") == "shop_takeover")
    (directory / "shop_takeover.yaml").write_text(text, encoding="utf-8")
    with ScenarioRunner(directory, sessions) as runner:
        with sessions.begin() as session:
            session.add(Desk(id="genova", name="Genova", country="IT", region="Liguria"))
        op = Actor.of("op", ["operator"], ["genova"])
        receipt = runner.service.open_case(op, pathway_id="shop_takeover", desk_id="genova",
                                           members=[Member("anna", "Anna")], at="financing",
                                           forms={"business_plan": {"investment_needed": 95000,
                                                                    "revenue_year1": 1, "jobs_created": 1}})
        receipt = runner.service.submit_form(receipt.case_id, op, receipt.version, {
            "asking_price": 100000, "own_capital": 8000, "bank_loan": 90000,
            "offer_date": "2026-01-15", "deed_date": "2026-05-30"})
        with pytest.raises(RequirementsNotMet) as refused:
            runner.service.advance(receipt.case_id, op, receipt.version, "financed")
    english = refused.value.message("en")
    assert "Own capital (EUR) ≥ 10 % of Asking price (EUR)" in english
    assert "Own capital (EUR) + Bank loan (EUR) ≥ Investment needed (EUR)" in english
    assert "the days from Date of the owner's offer to Planned date of the deed ≤ 180" in english
    assert "Capitale proprio (EUR) ≥ il 10 % di Prezzo richiesto (EUR)" in refused.value.message("it")
    assert "Apport personnel (EUR) ≥ 10 % de Prix demandé (EUR)" in refused.value.message("fr")
    assert "financing." not in english and "business_plan." not in english
