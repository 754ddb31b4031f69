"""Assessment files: located refusals of bad files, and the scoring and ranking rules."""
from __future__ import annotations

from pathlib import Path

import yaml

from engine.assessment import answer_errors, check_assessment_file, evaluate

from ..conftest import FIXTURE_ASSESSMENTS

BASE = yaml.safe_load((FIXTURE_ASSESSMENTS / "mini-assess.yaml").read_text(encoding="utf-8"))


def check(tmp_path: Path, doc: dict | str):  # noqa: ANN201
    path = tmp_path / "mini-assess.yaml"
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return check_assessment_file(path, known_pathways={"mini", "solo"})


def codes(checked) -> set[str]:  # noqa: ANN001
    return {p.code for p in checked.problems}


def test_the_fixture_is_valid(tmp_path):
    assert check(tmp_path, BASE).problems == []


def test_semantic_mistakes_are_located_refusals(tmp_path):
    doc = yaml.safe_load(yaml.safe_dump(BASE))
    questions = doc["sections"][0]["questions"]
    questions[0]["scores"] = [{"dimension": "creativty"}]
    questions[1]["anchors"] = {"1": {"it": "a", "fr": "a", "en": "a"}, "5": {"it": "b", "fr": "b", "en": "b"}}
    questions.append(dict(questions[2]))  # duplicate id
    doc["rules"][0]["when"] = {"field": "answers.colleages", "gte": 2}
    doc["rules"][1]["supply_chain"] = "blue_green_energy"  # and a pathway: two targets
    doc["rules"].append({"id": "facts", "pathway": "mini", "reason": {"it": "x", "fr": "x", "en": "x"},
                         "when": {"field": "case.members", "gte": 2}})
    doc["rules"].append({"id": "elsewhere", "pathway": "nowhere", "reason": {"it": "x", "fr": "x", "en": "x"},
                         "when": {"field": "answers.crisis", "eq": True}})
    checked = check(tmp_path, doc)
    assert not checked.valid
    assert {"unknown_dimension", "key_for_type", "duplicate_question", "unknown_field", "rule_target",
            "rule_pathway_unranked", "unknown_pathway"} <= codes(checked)
    located = [p for p in checked.problems if p.code == "unknown_dimension"][0]
    assert located.format().startswith(f"{tmp_path / 'mini-assess.yaml'}:") and "sections[0].questions[0]" in located.format()
    fact = [p for p in checked.problems if p.code == "unknown_field" and "case.members" in p.format()]
    assert fact, "rules speak of answers and scores, never of case facts"


def test_schema_errors_and_hostile_files_are_refused_through_the_same_loader(tmp_path):
    assert "missing_key" in codes(check(tmp_path, {"id": "mini-assess", "version": 1}))
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))
    assert codes(check(tmp_path, bomb)) == {"too_many_nodes"}
    assert codes(check(tmp_path, "id: [unclosed")) == {"syntax"}


def test_missing_translations_are_warnings(tmp_path):
    doc = yaml.safe_load(yaml.safe_dump(BASE))
    del doc["title"]["fr"]
    checked = check(tmp_path, doc)
    assert checked.valid and [p.code for p in checked.warnings] == ["missing_translation"]


def test_scores_are_weighted_means_with_reversed_statements(tmp_path):
    doc = yaml.safe_load(yaml.safe_dump(BASE))
    doc["sections"][0]["questions"].insert(1, {
        "id": "no_ideas", "type": "scale", "text": {"it": "x", "fr": "x", "en": "x"},
        "scores": [{"dimension": "creativity", "weight": 2, "reverse": True}]})
    assessment = check(tmp_path, doc).assessment
    result = evaluate(assessment, {"new_ideas": 5, "no_ideas": 2, "colleagues": 0, "crisis": False})
    assert result.scores == {"creativity": round((5 + 2 * 4) / 3, 2)}  # reverse: 6 - 2 = 4


def test_rules_rank_pathways_with_their_reasons():
    assessment = check_assessment_file(FIXTURE_ASSESSMENTS / "mini-assess.yaml").assessment
    both = evaluate(assessment, {"new_ideas": 5, "colleagues": 3, "crisis": True})
    assert [(r.target, r.points) for r in both.pathways] == [("mini", 3.0), ("solo", 2.0)]
    assert [rule for rule, _ in both.pathways[0].reasons] == ["group"]
    assert both.recommended_pathway == "mini"
    none = evaluate(assessment, {"new_ideas": 1, "colleagues": 0, "crisis": False})
    assert none.recommended_pathway is None and none.scores == {"creativity": 1.0}


def test_answers_are_checked_per_question():
    assessment = check_assessment_file(FIXTURE_ASSESSMENTS / "mini-assess.yaml").assessment
    errors = answer_errors(assessment, {"new_ideas": 0, "colleagues": -1, "age": 40}, complete=True)
    assert set(errors) == {"new_ideas", "colleagues", "crisis", "age"}
    assert answer_errors(assessment, {"new_ideas": 3}, complete=False) == {}


def test_a_pathway_asking_for_an_unknown_assessment_is_refused_where_it_asks(tmp_path):
    import shutil

    from engine.library import check_directory

    from ..conftest import ROOT

    (tmp_path / "assessments").mkdir()
    shutil.copy(FIXTURE_ASSESSMENTS / "mini-assess.yaml", tmp_path / "assessments")
    pathways = tmp_path / "pathways"
    pathways.mkdir()
    text = (ROOT / "tests" / "fixtures" / "assessed" / "assessed.yaml").read_text(encoding="utf-8")
    (pathways / "assessed.yaml").write_text(text, encoding="utf-8")
    [ok], _ = check_directory(pathways)
    assert ok.valid
    (pathways / "assessed.yaml").write_text(text.replace("id: mini-assess", "id: mini-asess"), encoding="utf-8")
    [bad], _ = check_directory(pathways)
    [problem] = bad.errors
    assert problem.code == "unknown_assessment" and problem.line == 10
    assert "mini-assess" in problem.message("en")


# --- a re-assessment names the assessment it is compared with (`compares_to`) ------------------------


def write(directory: Path, doc: dict) -> Path:
    path = directory / f"{doc['id']}.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def followup_of(target: str) -> dict:
    doc = yaml.safe_load(yaml.safe_dump(BASE))
    doc.update(id="mini-followup", compares_to=target)
    return doc


def test_a_follow_up_compares_to_another_assessment_of_the_library(tmp_path):
    write(tmp_path, BASE)
    checked = check_assessment_file(write(tmp_path, followup_of("mini-assess")), known_pathways={"mini", "solo"})
    assert checked.problems == [] and checked.assessment.compares_to == "mini-assess"
    assert check(tmp_path, BASE).assessment.compares_to is None  # an intake compares to nothing


def test_comparing_to_an_unknown_assessment_is_a_located_localized_refusal(tmp_path):
    write(tmp_path, BASE)
    path = write(tmp_path, followup_of("mini-asess"))
    checked = check_assessment_file(path, known_pathways={"mini", "solo"})
    assert not checked.valid and checked.assessment is None
    [problem] = checked.errors
    line = next(n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                if text.startswith("compares_to:"))
    assert (problem.code, problem.line) == ("unknown_assessment", line)
    assert problem.format("en").startswith(f"{path}:{line}:")
    assert "there is no assessment 'mini-asess' (known: mini-assess)" in problem.format("en")
    assert "non esiste la valutazione 'mini-asess'" in problem.format("it")
    assert "il n'y a pas d'évaluation « mini-asess »" in problem.format("fr")
    # The library given explicitly (as the web application and the scenarios know it) is used instead.
    assert check_assessment_file(path, {"mini", "solo"}, known_assessments={"mini-asess", "mini-followup"}).valid


def test_comparing_an_assessment_to_itself_is_refused(tmp_path):
    path = write(tmp_path, followup_of("mini-followup"))
    [problem] = check_assessment_file(path, known_pathways={"mini", "solo"}).errors
    assert (problem.code, problem.path) == ("compares_to_itself", ("compares_to",))
    assert "cannot be compared with itself" in problem.format("en")
    assert "non può essere confrontata con sé stessa" in problem.format("it")
    assert "ne peut pas être comparée à elle-même" in problem.format("fr")


def test_compares_to_must_be_an_assessment_id(tmp_path):
    checked = check(tmp_path, {**BASE, "compares_to": "Mini Assess"})
    assert [(p.code, p.path) for p in checked.errors] == [("bad_pattern", ("compares_to",))]
    assert [p.path for p in check(tmp_path, {**BASE, "compares_to": ["mini-assess"]}).errors] == [("compares_to",)]


def test_the_command_line_reports_an_unknown_baseline_with_its_line(tmp_path):
    from click.testing import CliRunner

    from engine.cli import main

    write(tmp_path, BASE)
    write(tmp_path, followup_of("nowhere"))
    result = CliRunner().invoke(main, ["assessments", "validate", "--lang", "it", str(tmp_path)])
    assert result.exit_code == 1
    assert "mini-followup.yaml" in result.output and "non esiste la valutazione 'nowhere'" in result.output
