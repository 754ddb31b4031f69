"""Pathway generators for the benchmarks: plain documents in the shipped format, and a plan to drive cases.

Every text is given in the three languages so the generated files are valid *without warnings*: a benchmark
must measure the normal path of the checker, not the reporting of problems.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

OUTCOME = "company_created"


def text(words: str) -> dict[str, str]:
    return {"it": words, "fr": words, "en": words}


# Texts as long as the shipped pathways' labels and guidance, so that a generated stage weighs what a
# shipped one does (about 3.5 KB of YAML).
_LABEL_TAIL = {"it": "da completare con l'operatore dello sportello", "fr": "à compléter avec le conseiller du guichet",
               "en": "to be completed with the help desk's operator"}
_GUIDANCE = {
    "it": "Con il tutor e l'operatore guardiamo insieme che cosa serve in questa fase, chi lo prepara e entro quando; "
          "i documenti restano nel fascicolo del caso.",
    "fr": "Avec le mentor et le conseiller, nous voyons ensemble ce qu'il faut à cette étape, qui le prépare et pour "
          "quand ; les documents restent dans le dossier.",
    "en": "With the mentor and the operator we look together at what this stage needs, who prepares it and by when; "
          "the documents stay in the case's file.",
}


def label(words: str) -> dict[str, str]:
    return {lang: f"{words}: {tail}" for lang, tail in _LABEL_TAIL.items()}


def guidance(words: str) -> dict[str, str]:
    return {lang: f"{words}. {tail}" for lang, tail in _GUIDANCE.items()}


def stage_id(i: int) -> str:
    return f"s{i:03d}"


# --- the linear pathway that cases are driven through ---------------------------------------------------


@dataclass(frozen=True)
class StagePlan:
    """What it takes to leave one stage of `linear_pathway`: one engine operation each."""

    stage: str
    item: str
    form_data: dict[str, Any]
    signoff: str
    exit: str


def linear_pathway(stages: int = 6, pathway_id: str = "bench_linear") -> dict[str, Any]:
    """Stages in a row, each with a checklist item, a 3-field form, a mentor sign-off and one exit."""
    out = []
    for i in range(stages):
        last = i == stages - 1
        exit_: dict[str, Any] = {"id": "next", "label": text("Next")}
        exit_.update({"outcome": OUTCOME} if last else {"to": stage_id(i + 1)})
        # A condition on the form, as real pathways have: advancing evaluates it.
        exit_["when"] = {"field": f"{stage_id(i)}.ready", "eq": True}
        out.append({
            "id": stage_id(i),
            "title": text(f"Stage {i + 1}"),
            "due_days": 30,
            "checklist": [{"id": "meeting", "label": text("Meeting held")}],
            "form": {"fields": [
                {"id": "summary", "type": "string", "label": text("Summary"), "required": True, "max_length": 300},
                {"id": "amount", "type": "number", "label": text("Amount"), "minimum": 0},
                {"id": "ready", "type": "boolean", "label": text("Ready"), "required": True},
            ]},
            "signoffs": [{"id": "review", "label": text("Review"), "role": "mentor"}],
            "exits": [exit_],
        })
    return {"id": pathway_id, "version": 1, "title": text("Benchmark pathway"), "stages": out}


def linear_plan(doc: dict[str, Any], case_no: int = 0) -> list[StagePlan]:
    """The operations that take a case of `linear_pathway(doc)` from its start to its outcome."""
    return [StagePlan(s["id"], "meeting", {"summary": f"case {case_no} at {s['id']}", "amount": 1000 + case_no,
                                           "ready": True}, "review", "next")
            for s in doc["stages"]]


# --- a large pathway that exercises every check of the validator ----------------------------------------


def branching_pathway(stages: int = 300, pathway_id: str = "bench_large") -> dict[str, Any]:
    """Many stages, as dense as the shipped ones, with checklists, documents, forms, sign-offs and conditional, branching exits.

    Every stage is reachable (the `advance` chain) and can reach an outcome, so the document is VALID;
    `skip` and `back` make the graph branch and loop, and conditions refer to this and earlier stages' fields.
    """
    out = []
    for i in range(stages):
        sid = stage_id(i)
        stage: dict[str, Any] = {
            "id": sid,
            "title": text(f"Stage {i + 1}"),
            "guidance": guidance(f"Stage {i + 1}"),
            "due_days": 30,
            "checklist": [
                {"id": "prepared", "label": label("Prepared")},
                {"id": "consent", "label": label("Consent"), "roles": ["worker", "operator"],
                 "per_member": i % 5 == 0},
            ],
            "form": {"roles": ["worker", "operator"], "fields": [
                {"id": "score", "type": "integer", "label": label("Score"), "required": True,
                 "minimum": 0, "maximum": 10},
                {"id": "track", "type": "choice", "label": label("Track"),
                 "options": [{"value": "fast", "label": text("Fast")}, {"value": "slow", "label": text("Slow")}]},
                {"id": "ok", "type": "boolean", "label": label("OK")},
                {"id": "note", "type": "string", "label": label("Note"), "max_length": 200},
            ]},
            "exits": [],
        }
        if i % 4 == 0:
            stage["documents"] = [{"id": "evidence", "label": label("Evidence"), "types": ["pdf", "docx"],
                                   "max_mb": 5}]
        if i % 3 == 0:
            stage["signoffs"] = [{"id": "review", "label": label("Review"), "role": "mentor",
                                  "distinct_from": ["form_submitter"]}]
        advance: dict[str, Any] = {"id": "advance", "label": label("Advance"),
                                   "when": {"field": f"{sid}.score", "gte": 5}}
        if i == stages - 1:
            advance["outcome"] = OUTCOME
        else:
            advance["to"] = stage_id(i + 1)
        if i % 50 == 49:  # now and then, a condition on an earlier stage's answer
            advance["when"] = {"all": [advance["when"], {"field": f"{stage_id(i - 1)}.track", "in": ["fast", "slow"]}]}
        stage["exits"].append(advance)
        if i + 2 < stages:
            stage["exits"].append({"id": "skip", "label": label("Skip"), "to": stage_id(i + 2), "requires": ["form"],
                                   "when": {"all": [{"field": f"{sid}.track", "eq": "fast"},
                                                    {"field": f"{sid}.ok", "eq": True}]}})
        if i > 0:
            stage["exits"].append({"id": "back", "label": label("Back"), "to": stage_id(i - 1), "requires": "none",
                                   "when": {"any": [{"field": f"{sid}.score", "lt": 5},
                                                    {"not": {"field": f"{sid}.ok", "eq": True}}]}})
        if i % 10 == 9:
            stage["exits"].append({"id": "stop", "label": label("Stop"), "outcome": "withdrawn", "requires": "none",
                                   "when": {"field": "case.days_in_stage", "gt": 90}})
        out.append(stage)
    return {"id": pathway_id, "version": 1, "title": text("Large benchmark pathway"),
            "roles": [{"id": "notary", "title": text("Notary")}], "stages": out}


def write_pathway(doc: dict[str, Any], directory: Path) -> Path:
    """Write `doc` as `<id>.yaml` (the library wants a file named after its pathway)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{doc['id']}.yaml"
    # Flow style for leaves keeps texts on one line, like the shipped files: a realistic size per stage.
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=None, width=120),
                    encoding="utf-8")
    return path
