"""A pathway adapts the shared stages it includes — more exits, other due days or guidance — without
copying them; every problem of an adaptation points at the pathway file, where it is written."""
from __future__ import annotations

from engine.library import load_fragments
from engine.loader import parse_text
from engine.validation import check_source
from tests.conftest import SHIPPED_PATHWAYS

PATHWAY = """\
id: adapted
version: 1
title: {it: Adattato, fr: Adapté, en: Adapted}
stages:
  - include: business_plan
    next: launch
    adapt:
      business_plan:
        due_days: 45
        guidance: {it: Quarantacinque giorni., fr: Quarante-cinq jours., en: Forty-five days.}
        exits:
          - id: withdrawn
            label: {it: Ritiro, fr: Retrait, en: Withdrawal}
            outcome: withdrawn
            requires: none
  - id: launch
    title: {it: Avvio, fr: Lancement, en: Launch}
    exits:
      - {id: done, label: {it: Fatto, fr: Fait, en: Done}, outcome: company_created}
"""


def check(text: str):  # noqa: ANN201
    return check_source(parse_text(text, "adapted.yaml"), load_fragments(SHIPPED_PATHWAYS)[0])


def test_an_included_stage_gets_its_own_due_days_guidance_and_an_added_exit() -> None:
    checked = check(PATHWAY)
    assert checked.valid, [p.format() for p in checked.problems]
    stage = checked.pathway.stage("business_plan")
    assert stage.due_days == 45
    assert stage.guidance["en"] == "Forty-five days."
    assert [e.id for e in stage.exits] == ["plan_approved", "withdrawn"]
    assert stage.exit("plan_approved").to == "launch" and stage.exit("withdrawn").outcome == "withdrawn"
    assert stage.requirement("mentor_approval") is not None  # the rest comes from the shared file, uncopied


def test_the_shared_file_itself_is_unchanged_for_the_other_pathways() -> None:
    fragment = load_fragments(SHIPPED_PATHWAYS)[0]["business_plan"]
    assert fragment.stages[0]["due_days"] == 60
    assert [e["id"] for e in fragment.stages[0]["exits"]] == ["plan_approved"]


def test_a_mistake_in_an_added_exit_points_at_the_pathway_file_and_its_line() -> None:
    text = PATHWAY.replace("outcome: withdrawn\n", "outcome: withdrawm\n")
    problems = check(text).errors
    assert [(p.code, p.file, p.line) for p in problems] == [
        ("unknown_outcome", "adapted.yaml", text.splitlines().index("            outcome: withdrawm") + 1)]


def test_an_added_exit_with_the_id_of_a_shared_one_is_a_duplicate_located_in_the_pathway() -> None:
    text = PATHWAY.replace("- id: withdrawn", "- id: plan_approved")
    problems = check(text).errors
    assert [(p.code, p.file, p.line) for p in problems] == [
        ("duplicate_exit", "adapted.yaml", text.splitlines().index("          - id: plan_approved") + 1)]


def test_adapting_a_stage_the_shared_file_does_not_have_names_the_ones_it_has() -> None:
    text = PATHWAY.replace("      business_plan:\n", "      busines_plan:\n")
    problems = check(text).errors
    assert [p.code for p in problems] == ["adapt_unknown_stage"]
    assert "business_plan" in problems[0].message() and problems[0].file == "adapted.yaml"
    assert "étapes partagées" in problems[0].message("fr")


def test_an_added_exit_may_lead_to_the_stage_after_the_include_with_next() -> None:
    text = PATHWAY.replace("            outcome: withdrawn\n            requires: none\n",
                           "            to: $next\n            requires: none\n")
    checked = check(text)
    assert checked.valid, [p.format() for p in checked.problems]
    assert checked.pathway.stage("business_plan").exit("withdrawn").to == "launch"
