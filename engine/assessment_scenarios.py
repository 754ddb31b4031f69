"""Assessment scenarios: "these answers give this result" — the methodology is tested like code."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .assessment import Assessment, answer_errors, check_assessment_file, clean_answers, evaluate
from .checking import PATHWAY_SUFFIXES
from .loader import LoadError, SourceDocument, read_file
from .validation import schema_problems

ASSESSMENT_SCENARIO_DIR = "scenarios"


@dataclass
class AssessmentScenarioResult:
    file: str
    name: str
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def assessment_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in PATHWAY_SUFFIXES)


def load_assessments(directory: Path, known_pathways: set[str] | None = None) -> dict[str, Any]:
    """Every assessment file of a directory, checked: {id or file stem: CheckedAssessment}."""
    return {p.stem: check_assessment_file(p, known_pathways) for p in assessment_files(directory)}


def run_assessment_scenario(path: Path, assessments: dict[str, Assessment]) -> AssessmentScenarioResult:
    try:
        doc = read_file(path)
    except LoadError as exc:
        return AssessmentScenarioResult(str(path), path.stem, [exc.problem.format()])
    problems = schema_problems(doc, "assessment-scenario.schema.json")
    if problems:
        return AssessmentScenarioResult(str(path), path.stem, [p.format() for p in problems])
    result = AssessmentScenarioResult(str(path), doc.data["scenario"])
    result.failures.extend(_check(doc, assessments))
    return result


def _check(doc: SourceDocument, assessments: dict[str, Assessment]) -> list[str]:
    data = doc.data
    expect = data["expect"]

    def fail(key: str, text: str) -> str:
        file, line, col = doc.where(("expect", key))
        return f"{file}:{line}:{col}: {text}"

    assessment = assessments.get(data["assessment"])
    if assessment is None:
        file, line, col = doc.where(("assessment",))
        return [f"{file}:{line}:{col}: no valid assessment '{data['assessment']}'"]
    answers = clean_answers(data["answers"])
    errors = answer_errors(assessment, answers, complete=True)
    if "invalid" in expect:
        if sorted(errors) != sorted(expect["invalid"]):
            return [fail("invalid", f"refused answers {sorted(errors)}, expected {sorted(expect['invalid'])}")]
        return []
    if errors:
        details = "; ".join(f"{q}: {' '.join(u.message() for u in errs)}" for q, errs in errors.items())
        file, line, col = doc.where(("answers",))
        return [f"{file}:{line}:{col}: the answers are refused: {details}"]
    outcome = evaluate(assessment, answers)
    ranking = [r.target for r in outcome.pathways if r.points > 0]
    failures = []
    if "pathway" in expect and outcome.recommended_pathway != expect["pathway"]:
        failures.append(fail("pathway", f"recommended {outcome.recommended_pathway}, expected {expect['pathway']} "
                                        f"(ranking {_explain(outcome.pathways)})"))
    if expect.get("no_pathway") and outcome.recommended_pathway is not None:
        failures.append(fail("no_pathway", f"recommended {outcome.recommended_pathway}, expected none"))
    if "ranking" in expect and ranking[:len(expect["ranking"])] != expect["ranking"]:
        failures.append(fail("ranking", f"ranking {_explain(outcome.pathways)}, expected to start with "
                                        f"{expect['ranking']}"))
    if "supply_chain" in expect and outcome.recommended_supply_chain != expect["supply_chain"]:
        failures.append(fail("supply_chain", f"supply chain {outcome.recommended_supply_chain}, expected "
                                             f"{expect['supply_chain']}"))
    if "reasons" in expect:
        first = outcome.pathways[0] if outcome.pathways else None
        got = {rule for rule, _ in first.reasons} if first else set()
        missing = [r for r in expect["reasons"] if r not in got]
        if missing:
            failures.append(fail("reasons", f"rules {missing} are not among the reasons {sorted(got)}"))
    for dimension, value in expect.get("scores", {}).items():
        if outcome.scores.get(dimension) != value:
            failures.append(fail("scores", f"score of {dimension} is {outcome.scores.get(dimension)}, expected {value}"))
    return failures


def _explain(ranked: tuple) -> str:
    return ", ".join(f"{r.target}={r.points:g}" for r in ranked)
