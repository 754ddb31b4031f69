"""The common methodology: declarative assessments (`assessments/*.yaml`).

An assessment has localized sections and questions; scale answers (and choice options) score into
dimensions on the 1–5 scale; recommendation rules, written in the pathway condition language over
`answers.<question>` and `scores.<dimension>`, give points to pathways and supply chains, each with a
localized reason. The result ranks the pathways with the reasons that produced each rank.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from . import conditions
from .errors import Unmet
from .loader import CheckedFile, LoadError, Problem, SourceDocument, dump_canonical, read_file
from .pathway import SUPPLY_CHAINS, Text

SCALE = (1, 5)
QUESTION_VALUE_TYPES = {"scale": "integer", "number": "number", "yes_no": "boolean", "choice": "string",
                        "choices": "array", "text": "string"}


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    text: Text
    section: str
    required: bool = True
    help: Text | None = None
    anchors: Mapping[int, Text] = field(default_factory=dict)
    scores: tuple[tuple[str, float, bool], ...] = ()  # (dimension, weight, reverse)
    options: tuple[tuple[str, Text, Mapping[str, float]], ...] = ()  # (value, label, scores)
    raw: Mapping[str, Any] = field(default_factory=dict)

    def json_schema(self) -> dict[str, Any]:
        if self.type == "scale":
            return {"type": "integer", "minimum": SCALE[0], "maximum": SCALE[1]}
        if self.type == "number":
            schema: dict[str, Any] = {"type": "number"}
            for key in ("minimum", "maximum"):
                if key in self.raw:
                    schema[key] = self.raw[key]
            return schema
        if self.type == "yes_no":
            return {"type": "boolean"}
        values = [v for v, _, _ in self.options]
        if self.type == "choice":
            return {"type": "string", "enum": values}
        if self.type == "choices":
            return {"type": "array", "items": {"enum": values}, "uniqueItems": True}
        return {"type": "string", "maxLength": self.raw.get("max_length", 2000)}

    def option_label(self, value: str) -> Text | None:
        return next((label for v, label, _ in self.options if v == value), None)


@dataclass(frozen=True)
class Dimension:
    id: str
    title: Text
    area: str | None = None
    description: Text | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    when: Mapping[str, Any]
    reason: Text
    points: float = 1
    pathway: str | None = None
    supply_chain: str | None = None


@dataclass(frozen=True)
class Assessment:
    id: str
    version: str
    title: Text
    description: Text | None
    areas: Mapping[str, Text]
    dimensions: tuple[Dimension, ...]
    sections: tuple[tuple[str, Text, Text | None], ...]  # (id, title, intro)
    questions: tuple[Question, ...]
    pathways: tuple[str, ...]
    rules: tuple[Rule, ...]
    document: Mapping[str, Any] = field(repr=False, compare=False)
    content_hash: str = ""
    compares_to: str | None = None  # a re-assessment: the assessment it is compared with (e.g. the intake)

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def section_questions(self, section_id: str) -> list[Question]:
        return [q for q in self.questions if q.section == section_id]

    def dimension(self, dimension_id: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.id == dimension_id), None)


def build_assessment(doc: Mapping[str, Any]) -> Assessment:
    questions = []
    for section in doc["sections"]:
        for q in section["questions"]:
            questions.append(Question(
                id=q["id"], type=q["type"], text=q["text"], section=section["id"], required=q.get("required", True),
                help=q.get("help"), anchors=MappingProxyType({int(k): v for k, v in q.get("anchors", {}).items()}),
                scores=tuple((s["dimension"], float(s.get("weight", 1)), bool(s.get("reverse", False)))
                             for s in q.get("scores", [])),
                options=tuple((o["value"], o["label"], MappingProxyType(dict(o.get("scores", {}))))
                              for o in q.get("options", [])),
                raw=MappingProxyType(dict(q)),
            ))
    return Assessment(
        id=doc["id"], version=str(doc["version"]), title=doc["title"], description=doc.get("description"),
        areas=MappingProxyType({a["id"]: a["title"] for a in doc.get("areas", [])}),
        dimensions=tuple(Dimension(d["id"], d["title"], d.get("area"), d.get("description"))
                         for d in doc["dimensions"]),
        sections=tuple((s["id"], s["title"], s.get("intro")) for s in doc["sections"]),
        questions=tuple(questions),
        pathways=tuple(doc.get("pathways", [])),
        rules=tuple(Rule(r["id"], r["when"], r["reason"], float(r.get("points", 1)), r.get("pathway"),
                         r.get("supply_chain")) for r in doc.get("rules", [])),
        document=doc,
        content_hash=hashlib.sha256(dump_canonical(doc).encode("utf-8")).hexdigest(),
        compares_to=doc.get("compares_to"),
    )


# --- checking files ----------------------------------------------------------------------------------


@dataclass
class CheckedAssessment(CheckedFile):
    file: str
    source: SourceDocument | None
    problems: list[Problem]
    assessment: Assessment | None = None


def check_assessment_file(path: Path, known_pathways: set[str] | None = None,
                          known_assessments: set[str] | None = None) -> CheckedAssessment:
    """Check one file; the assessments it may name (`compares_to`) are, unless given, the files beside it."""
    try:
        doc = read_file(path)
    except LoadError as exc:
        return CheckedAssessment(str(path), None, [exc.problem])
    if known_assessments is None:
        known_assessments = library_ids(path.parent)
    return check_assessment_source(doc, known_pathways, expected_id=path.stem, known_assessments=known_assessments)


def library_ids(directory: Path) -> set[str]:
    """The assessment ids of a directory: its files are named after the assessments they hold."""
    from .checking import PATHWAY_SUFFIXES

    return {p.stem for p in directory.iterdir() if p.is_file() and p.suffix in PATHWAY_SUFFIXES} \
        if directory.is_dir() else set()


def check_assessment_source(doc: SourceDocument, known_pathways: set[str] | None = None,
                            expected_id: str | None = None,
                            known_assessments: set[str] | None = None) -> CheckedAssessment:
    """Schema, then meaning; `known_assessments` (when given) are the ids `compares_to` may name."""
    from .validation import ResolvedDocument, assessment_reference_problems, schema_problems

    problems = schema_problems(doc, "assessment.schema.json")
    if problems:
        return CheckedAssessment(doc.file, doc, problems)
    rd = ResolvedDocument(doc, doc.data)
    problems = _semantic_problems(rd, doc.data, known_pathways)
    problems += assessment_reference_problems(rd, doc.data, known_assessments)
    if expected_id and doc.data["id"] != expected_id:
        problems.append(doc.problem("assessment_name", ("id",), id=doc.data["id"], file=f"{expected_id}.yaml"))
    checked = CheckedAssessment(doc.file, doc, sorted(problems, key=lambda p: (p.line, p.column)))
    if checked.valid:
        checked.assessment = build_assessment(doc.data)
    return checked


def _semantic_problems(rd: Any, d: dict, known_pathways: set[str] | None) -> list[Problem]:
    from .i18n import LANGUAGES
    from .validation import _condition_problems, _texts

    out: list[Problem] = []
    for path, text in _texts(d, ()):
        missing = [lang for lang in LANGUAGES if lang not in text]
        if missing:
            out.append(rd.problem("missing_translation", path, "warning", languages=", ".join(missing)))
    areas = {a["id"] for a in d.get("areas", [])}
    dimensions: set[str] = set()
    for i, dim in enumerate(d["dimensions"]):
        if dim["id"] in dimensions:
            out.append(rd.problem("duplicate_dimension", ("dimensions", i, "id"), id=dim["id"]))
        dimensions.add(dim["id"])
        if "area" in dim and dim["area"] not in areas:
            out.append(rd.problem("unknown_area", ("dimensions", i, "area"), area=dim["area"]))
    fields: dict[str, dict] = {f"scores.{dim}": {"type": "number"} for dim in dimensions}
    seen_questions: set[str] = set()
    scored: set[str] = set()
    for s, section in enumerate(d["sections"]):
        for q, question in enumerate(section["questions"]):
            path = ("sections", s, "questions", q)
            if question["id"] in seen_questions:
                out.append(rd.problem("duplicate_question", path + ("id",), id=question["id"]))
            seen_questions.add(question["id"])
            kind = question["type"]
            if kind in ("choice", "choices") and not question.get("options"):
                out.append(rd.problem("options_missing", path, field=question["id"]))
            if kind not in ("choice", "choices") and "options" in question:
                out.append(rd.problem("options_unexpected", path + ("options",), field=question["id"], type=kind))
            if kind != "scale" and ("anchors" in question or "scores" in question):
                key = "anchors" if "anchors" in question else "scores"
                out.append(rd.problem("key_for_type", path + (key,), key=key, type=kind))
            for k, score in enumerate(question.get("scores", [])):
                scored.add(score["dimension"])
                if score["dimension"] not in dimensions:
                    out.append(rd.problem("unknown_dimension", path + ("scores", k, "dimension"),
                                          dimension=score["dimension"]))
            for k, option in enumerate(question.get("options", [])):
                for dim in option.get("scores", {}):
                    scored.add(dim)
                    if dim not in dimensions:
                        out.append(rd.problem("unknown_dimension", path + ("options", k, "scores", dim), dimension=dim))
            fields[f"answers.{question['id']}"] = {
                "type": {"scale": "integer", "yes_no": "boolean"}.get(kind, kind if kind in ("number", "choices") else "string"),
                "options": question.get("options", []),
            }
    for i, dim in enumerate(d["dimensions"]):
        if dim["id"] not in scored:
            out.append(rd.problem("dimension_unscored", ("dimensions", i, "id"), "warning", dimension=dim["id"]))
    ranked = set(d.get("pathways", []))
    for i, rule in enumerate(d.get("rules", [])):
        path = ("rules", i)
        if ("pathway" in rule) == ("supply_chain" in rule):
            out.append(rd.problem("rule_target", path))
        if "pathway" in rule:
            if rule["pathway"] not in ranked:
                out.append(rd.problem("rule_pathway_unranked", path + ("pathway",), pathway=rule["pathway"]))
            if known_pathways is not None and rule["pathway"] not in known_pathways:
                out.append(rd.problem("unknown_pathway", path + ("pathway",), pathway=rule["pathway"],
                                      known=", ".join(sorted(known_pathways))))
        shape_ok = not list(conditions.shape_problems(rule["when"]))
        facts = [(sub, c) for sub, c in conditions.comparisons(rule["when"]) if c["field"].startswith("case.")] \
            if shape_ok else []
        for sub_path, comparison in facts:  # an assessment speaks of a person's answers, not of a case
            out.append(rd.problem("unknown_field", path + ("when",) + sub_path + ("field",),
                                  field=comparison["field"], suggestion="answers.<question> / scores.<dimension>"))
        if not facts:
            out.extend(_condition_problems(rd, path + ("when",), rule["when"], fields))
    return out


# --- answering and scoring ---------------------------------------------------------------------------


def answer_errors(assessment: Assessment, answers: Mapping[str, Any], complete: bool) -> dict[str, list[Unmet]]:
    """Invalid answers (always) and missing required ones (when `complete`), per question."""
    errors: dict[str, list[Unmet]] = {}
    for key in answers:
        if assessment.question(key) is None:
            errors.setdefault(key, []).append(Unmet("form.unknown_field", key))
    for question in assessment.questions:
        value = answers.get(question.id)
        if value is None or value == "" or value == []:
            if complete and question.required:
                errors.setdefault(question.id, []).append(Unmet("form.required", question.id))
            continue
        from .cases import form_errors

        field_errors = form_errors({"type": "object", "properties": {question.id: question.json_schema()},
                                    "additionalProperties": False}, {question.id: value})
        for name, errs in field_errors.items():
            errors.setdefault(name, []).extend(errs)
    return errors


def clean_answers(answers: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answers.items() if v is not None and v != "" and v != []}


def dimension_scores(assessment: Assessment, answers: Mapping[str, Any]) -> dict[str, float | None]:
    """Each dimension's weighted mean on the 1–5 scale (None when no answer counts toward it)."""
    totals: dict[str, list[float]] = {d.id: [0.0, 0.0] for d in assessment.dimensions}
    for question in assessment.questions:
        value = answers.get(question.id)
        if value is None:
            continue
        if question.type == "scale" and isinstance(value, int):
            for dimension, weight, reverse in question.scores:
                points = (SCALE[0] + SCALE[1] - value) if reverse else value
                totals[dimension][0] += weight * points
                totals[dimension][1] += weight
        elif question.type in ("choice", "choices"):
            chosen = value if isinstance(value, list) else [value]
            for option_value, _, scores in question.options:
                if option_value in chosen:
                    for dimension, points in scores.items():
                        totals[dimension][0] += points
                        totals[dimension][1] += 1
    return {dim: (round(total / weight, 2) if weight else None) for dim, (total, weight) in totals.items()}


@dataclass(frozen=True)
class Ranked:
    target: str  # a pathway id or a supply chain
    points: float
    reasons: tuple[tuple[str, Text], ...]  # (rule id, reason)


@dataclass(frozen=True)
class AssessmentResult:
    scores: Mapping[str, float | None]
    pathways: tuple[Ranked, ...]
    supply_chains: tuple[Ranked, ...]

    @property
    def recommended_pathway(self) -> str | None:
        return self.pathways[0].target if self.pathways and self.pathways[0].points > 0 else None

    @property
    def recommended_supply_chain(self) -> str | None:
        return self.supply_chains[0].target if self.supply_chains and self.supply_chains[0].points > 0 else None

    def as_dict(self) -> dict[str, Any]:
        def ranked(items: tuple[Ranked, ...]) -> list[dict[str, Any]]:
            return [{"target": r.target, "points": r.points,
                     "reasons": [{"rule": rule, "reason": dict(reason)} for rule, reason in r.reasons]} for r in items]

        return {"scores": dict(self.scores), "pathways": ranked(self.pathways),
                "supply_chains": ranked(self.supply_chains)}


def evaluate(assessment: Assessment, answers: Mapping[str, Any]) -> AssessmentResult:
    scores = dimension_scores(assessment, answers)

    def lookup(ref: str) -> Any:
        owner, _, name = ref.partition(".")
        if owner == "answers":
            return answers.get(name, conditions.MISSING)
        if owner == "scores":
            value = scores.get(name)
            return conditions.MISSING if value is None else value
        return conditions.MISSING

    pathway_points: dict[str, list[Any]] = {p: [0.0, []] for p in assessment.pathways}
    chain_points: dict[str, list[Any]] = {c: [0.0, []] for c in SUPPLY_CHAINS}
    for rule in assessment.rules:
        if not conditions.evaluate(rule.when, lookup):
            continue
        bucket = pathway_points if rule.pathway else chain_points
        entry = bucket.setdefault(rule.pathway or rule.supply_chain or "", [0.0, []])
        entry[0] += rule.points
        entry[1].append((rule.id, rule.reason))

    def rank(bucket: dict[str, list[Any]], order: tuple[str, ...]) -> tuple[Ranked, ...]:
        items = [Ranked(target, points, tuple(reasons)) for target, (points, reasons) in bucket.items()]
        # Ties keep the declared order, so the ranking is stable and explainable.
        return tuple(sorted(items, key=lambda r: (-r.points, order.index(r.target) if r.target in order else 99)))

    return AssessmentResult(scores, rank(pathway_points, assessment.pathways), rank(chain_points, SUPPLY_CHAINS))
