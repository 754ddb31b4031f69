"""Checking pathway files: every rule reports a located problem (FILE:LINE:COL and the path in the document),
fragments are resolved and their mistakes point at the fragment file, and the library keeps one revision per
distinct content, never replacing a valid revision with an invalid file."""
from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.errors import InvalidOperation
from engine.library import PathwayLibrary, check_directory, load_fragments
from engine.loader import Problem, parse_text
from engine.models import PathwayRevision, PathwaySource
from engine.validation import CheckedPathway, check_source
from tests.conftest import SHIPPED_PATHWAYS

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "pathways"
SHIPPED = ROOT / "pathways"
T = "{it: T, fr: T, en: T}"


def yaml_text(text: str) -> str:
    """Dedent, and write '@' for a text in the three languages."""
    return textwrap.dedent(text).lstrip("\n").replace("@", T)


def body(text: str) -> str:
    """A dedented block of YAML to append to HEAD (top-level keys at column 0)."""
    return textwrap.dedent(text).lstrip("\n")


def write(directory: Path, relative: str, text: str) -> Path:
    path = directory / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml_text(text), encoding="utf-8")
    return path


def line_of(path: Path, marker: str) -> int:
    lines = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if marker in line]
    assert len(lines) == 1, f"marker {marker!r} found on lines {lines}"
    return lines[0]


def check(directory: Path, pathway_id: str = "p") -> CheckedPathway:
    results, fragment_problems = check_directory(directory)
    found = [c for c in results if c.file == str(directory / f"{pathway_id}.yaml")]
    assert len(found) == 1
    for problem in found[0].problems:
        assert isinstance(problem, Problem) and problem.line >= 1 and problem.column >= 1
    return found[0]


def codes(checked: CheckedPathway) -> list[str]:
    return [p.code for p in checked.problems]


def only(checked: CheckedPathway, code: str) -> Problem:
    matching = [p for p in checked.problems if p.code == code]
    assert len(matching) == 1, [p.format() for p in checked.problems]
    return matching[0]


HEAD = """
id: p
version: 1
title: @
"""

VALID = HEAD + body("""
stages:
  - id: start
    title: @
    exits:
      - id: done
        label: @
        outcome: withdrawn
""")


def test_a_minimal_pathway_is_valid_with_no_warning(tmp_path):
    write(tmp_path, "p.yaml", VALID)
    checked = check(tmp_path)
    assert checked.problems == [] and checked.valid
    assert checked.pathway is not None and checked.pathway.stage_ids == ("start",)


# --- stages, roles, outcomes ------------------------------------------------------------------------


def test_an_exit_to_an_unknown_stage_is_located_at_its_to_and_suggests_the_closest_stage(tmp_path):
    path = write(tmp_path, "p.yaml", HEAD + body("""
    stages:
      - id: start
        title: @
        exits:
          - id: go
            label: @
            to: studdy
      - id: study
        title: @
        exits:
          - id: done
            label: @
            outcome: withdrawn
    """))
    problem = only(check(tmp_path), "unknown_stage")
    assert (problem.file, problem.line, problem.column) == (str(path), line_of(path, "to: studdy"), 9)
    assert problem.path == ("stages", 0, "exits", 0, "to")
    assert problem.params == {"stage": "studdy", "suggestion": "study"}
    assert problem.format() == (f"{path}:{problem.line}:9: there is no stage 'studdy' (closest: study) "
                                "(at stages[0].exits[0].to)")


def test_an_unknown_start_stage_is_reported(tmp_path):
    write(tmp_path, "p.yaml", VALID.replace("title: @\nstages", "title: @\nstart: begin\nstages", 1))
    problem = only(check(tmp_path), "unknown_stage")
    assert problem.path == ("start",) and problem.params["stage"] == "begin"


def test_on_paper_is_for_what_a_worker_gives_and_the_sign_offs_of_declared_roles(tmp_path):
    path = write(tmp_path, "p.yaml", HEAD + body("""
    roles:
      - id: notary
        title: @
    stages:
      - id: start
        title: @
        checklist:
          - id: consent
            label: @
            roles: [worker, operator]
            on_paper: true
          - id: visit
            label: @
            on_paper: true
        signoffs:
          - id: review
            label: @
            role: mentor
            on_paper: true
          - id: deed
            label: @
            role: notary
            on_paper: true
        exits:
          - id: done
            label: @
            outcome: withdrawn
    """))
    problems = [p for p in check(tmp_path).problems if p.code.startswith("paper_")]
    assert [(p.code, p.path) for p in problems] == [
        ("paper_without_worker", ("stages", 0, "checklist", 1, "on_paper")),
        ("paper_not_party", ("stages", 0, "signoffs", 0, "on_paper")),
    ]
    on_paper_lines = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "on_paper" in line]
    assert [p.line for p in problems] == [on_paper_lines[1], on_paper_lines[2]]


def test_unknown_roles_are_reported_wherever_roles_are_named(tmp_path):
    path = write(tmp_path, "p.yaml", HEAD + body("""
    roles:
      - id: notary
        title: @
    stages:
      - id: start
        title: @
        checklist:
          - id: tick
            label: @
            roles: [operator, notery]
        documents:
          - id: paper
            label: @
            types: [pdf]
            uploaded_by: [clerk]
        signoffs:
          - id: seal
            label: @
            role: judge
          - id: deed
            label: @
            role: notary
        exits:
          - id: done
            label: @
            outcome: withdrawn
    """))
    checked = check(tmp_path)
    problems = [p for p in checked.problems if p.code == "unknown_role"]
    assert [(p.params["role"], p.path, p.line) for p in problems] == [
        ("notery", ("stages", 0, "checklist", 0, "roles", 1), line_of(path, "notery")),
        ("clerk", ("stages", 0, "documents", 0, "uploaded_by", 0), line_of(path, "clerk")),
        ("judge", ("stages", 0, "signoffs", 0, "role"), line_of(path, "judge")),
    ]
    assert "notary" in problems[0].params["known"] and "operator" in problems[0].params["known"]
    assert "declare it under 'roles'" in problems[0].message()
    assert not checked.valid


def test_an_unknown_outcome_is_reported_and_a_declared_one_is_accepted(tmp_path):
    path = write(tmp_path, "p.yaml", VALID.replace("outcome: withdrawn", "outcome: graduated"))
    problem = only(check(tmp_path), "unknown_outcome")
    assert problem.line == line_of(path, "graduated")
    assert problem.params["outcome"] == "graduated" and "withdrawn" in problem.params["known"]
    write(tmp_path, "p.yaml", VALID.replace("outcome: withdrawn", "outcome: graduated").replace(
        "stages:", "outcomes:\n  - id: graduated\n    title: @\nstages:"))
    assert check(tmp_path).problems == []


def test_a_duplicate_stage_id_is_reported_at_the_second_stage(tmp_path):
    path = write(tmp_path, "p.yaml", HEAD + body("""
    stages:
      - id: start
        title: @
        exits:
          - {id: go, label: @, to: start2}
      - id: start2
        title: @
        exits:
          - {id: done, label: @, outcome: withdrawn}
      - id: start
        title: @
        exits:
          - {id: done, label: @, outcome: withdrawn}
    """))
    problem = only(check(tmp_path), "duplicate_stage")
    assert problem.path == ("stages", 2, "id")
    assert problem.line == len(path.read_text().splitlines()) - 3


def test_duplicate_requirement_ids_are_reported_even_across_kinds(tmp_path):
    path = write(tmp_path, "p.yaml", HEAD + body("""
    stages:
      - id: start
        title: @
        checklist:
          - {id: plan, label: @}
        documents:
          - {id: plan, label: @, types: [pdf]}  # second plan
        signoffs:
          - {id: form, label: @, role: mentor}  # clashes with the form
        form:
          fields:
            - {id: size, type: integer, label: @}
        exits:
          - {id: done, label: @, outcome: withdrawn}
    """))
    checked = check(tmp_path)
    problems = [p for p in checked.problems if p.code == "duplicate_requirement"]
    assert [(p.params["id"], p.line) for p in problems] == [
        ("plan", line_of(path, "second plan")), ("form", line_of(path, "clashes with the form"))]


def test_duplicate_exit_and_field_ids_are_reported(tmp_path):
    path = write(tmp_path, "p.yaml", HEAD + body("""
    stages:
      - id: start
        title: @
        form:
          fields:
            - {id: size, type: integer, label: @}
            - {id: size, type: string, label: @}  # second size
        exits:
          - {id: done, label: @, outcome: withdrawn}
          - {id: done, label: @, outcome: employed}  # second done
    """))
    checked = check(tmp_path)
    assert only(checked, "duplicate_field").line == line_of(path, "second size")
    assert only(checked, "duplicate_field").path == ("stages", 0, "form", "fields", 1, "id")
    assert only(checked, "duplicate_exit").line == line_of(path, "second done")


def test_a_stage_nothing_leads_to_is_unreachable(tmp_path):
    path = write(tmp_path, "p.yaml", VALID + "  - id: orphan\n    title: @\n    exits:\n"
                                             "      - {id: done, label: @, outcome: withdrawn}\n")
    problem = only(check(tmp_path), "unreachable_stage")
    assert problem.line == line_of(path, "id: orphan")
    assert problem.message() == "the stage 'orphan' can never be reached from the start"


def test_stages_that_only_loop_between_themselves_have_no_way_out(tmp_path):
    path = write(tmp_path, "p.yaml", HEAD + body("""
    stages:
      - id: start
        title: @
        exits:
          - {id: go, label: @, to: ping}
          - {id: done, label: @, outcome: withdrawn}
      - id: ping
        title: @
        exits:
          - {id: back, label: @, to: pong}
      - id: pong
        title: @
        exits:
          - {id: again, label: @, to: ping}
    """))
    checked = check(tmp_path)
    problems = [p for p in checked.problems if p.code == "no_way_out"]
    assert [(p.params["stage"], p.line) for p in problems] == [
        ("ping", line_of(path, "id: ping")), ("pong", line_of(path, "id: pong"))]
    assert "unreachable_stage" not in codes(checked)


def test_a_loop_with_an_exit_to_another_pathway_is_a_way_out(tmp_path):
    write(tmp_path, "p.yaml", HEAD + body("""
    stages:
      - id: start
        title: @
        exits:
          - {id: go, label: @, to: loop}
      - id: loop
        title: @
        exits:
          - {id: again, label: @, to: start}
          - {id: elsewhere, label: @, pathway: other}
    """))
    write(tmp_path, "other.yaml", VALID.replace("id: p\n", "id: other\n"))
    assert check(tmp_path).problems == []


def test_a_stage_may_not_be_called_case(tmp_path):
    write(tmp_path, "p.yaml", VALID.replace("id: start", "id: case"))
    assert "reserved_stage_id" in codes(check(tmp_path))


def test_a_group_with_more_minimum_than_maximum_members_is_reported(tmp_path):
    write(tmp_path, "p.yaml", VALID.replace("stages:", "group: {min_members: 5, max_members: 2}\nstages:"))
    assert only(check(tmp_path), "group_range").path == ("group",)


# --- conditions -------------------------------------------------------------------------------------


def with_condition(condition: str) -> str:
    return HEAD + body("""
    stages:
      - id: study
        title: @
        form:
          fields:
            - {id: viable, type: boolean, label: @}
            - {id: budget, type: number, label: @}
            - id: sector
              type: choice
              label: @
              options:
                - {value: nautical, label: @}
                - {value: tourism, label: @}
            - id: tags
              type: choices
              label: @
              options:
                - {value: green, label: @}
        exits:
          - id: go
            label: @
            outcome: withdrawn
            when: CONDITION
          - {id: other, label: @, outcome: employed}
    """).replace("CONDITION", condition)


@pytest.mark.parametrize("condition, code, params, path", [
    ("{field: study.viabel, eq: true}", "unknown_field", {"field": "study.viabel", "suggestion": "study.viable"},
     ("when", "field")),
    ("{field: other.viable, eq: true}", "unknown_field", {"field": "other.viable", "suggestion": "study.viable"},
     ("when", "field")),
    ("{field: case.age, gt: 3}", "unknown_fact", None, ("when", "field")),
    ("{field: study.viable, gt: 3}", "condition_type",
     {"op": "gt", "field": "study.viable", "type": "boolean"}, ("when", "gt")),
    ("{field: study.sector, lte: 3}", "condition_type", None, ("when", "lte")),
    ("{field: study.budget, contains: 3}", "condition_type", None, ("when", "contains")),
    ("{field: study.viable, eq: 'yes'}", "condition_value", None, ("when", "eq")),
    ("{field: study.budget, ne: 'much'}", "condition_value", None, ("when", "ne")),
    ("{field: study.sector, eq: fishing}", "condition_option",
     {"field": "study.sector", "value": "fishing", "known": "nautical, tourism"}, ("when", "eq")),
    ("{field: study.sector, in: [nautical, fishing]}", "condition_option", None, ("when", "in")),
    ("{field: study.tags, contains: blue}", "condition_option", None, ("when", "contains")),
    ("{any: [{field: study.viable, eq: true}, {not: {field: study.budget, gt: true}}]}", "wrong_type", None,
     ("when", "any", 1, "not", "gt")),
    ("{all: [{field: study.viable, eq: true}, {not: {field: study.sectr, exists: true}}]}", "unknown_field", None,
     ("when", "all", 1, "not", "field")),
])
def test_a_condition_that_can_never_work_as_meant_is_reported_where_it_is_wrong(tmp_path, condition, code,
                                                                                params, path):
    file = write(tmp_path, "p.yaml", with_condition(condition))
    problem = only(check(tmp_path), code)
    assert problem.path == ("stages", 0, "exits", 0) + path
    assert problem.line == line_of(file, "when:")
    if params is not None:
        assert problem.params == {**problem.params, **params}


@pytest.mark.parametrize("condition, code, path", [
    ("{field: study.viable}", "condition_operator", ()),
    ("{field: study.budget, gt: 1, lt: 5}", "condition_operator", ()),
    ("{eq: 1}", "condition_shape", ()),
    ("{all: [{field: study.viable, eq: true}], any: [{field: study.viable, eq: false}]}", "condition_shape", ()),
    ("{all: [{field: study.viable, eq: true}], eq: 1}", "condition_operator_without_field", ("eq",)),
    ("{not: {field: study.viable, eq: true, not: {field: study.viable, eq: false}}}", "condition_shape", ("not",)),
    ("{any: [{field: study.viable, eq: true}, {gt: 3}]}", "condition_shape", ("any", 1)),
])
def test_a_malformed_condition_is_reported_with_the_place_of_the_mistake(tmp_path, condition, code, path):
    write(tmp_path, "p.yaml", with_condition(condition))
    checked = check(tmp_path)
    problem = only(checked, code)
    assert problem.path == ("stages", 0, "exits", 0, "when") + path
    assert checked.pathway is None


def test_well_formed_conditions_on_fields_and_case_facts_are_accepted(tmp_path):
    condition = ("{all: [{field: study.viable, eq: true}, {field: study.budget, gte: 1000}, "
                 "{field: study.sector, in: [nautical]}, {field: study.tags, contains: green}, "
                 "{not: {field: case.members, lt: 2}}, {any: [{field: case.country, eq: IT}, "
                 "{field: study.budget, exists: false}]}]}")
    write(tmp_path, "p.yaml", with_condition(condition))
    checked = check(tmp_path)
    assert checked.problems == [] and checked.pathway is not None


# --- exits ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("exit_, code, key", [
    ("{id: done, label: @, outcome: withdrawn, carry: [start]}", "carry_without_pathway", "carry"),
    ("{id: done, label: @, outcome: withdrawn, at: start}", "carry_without_pathway", "carry"),
    ("{id: done, label: @, to: start, outcome: withdrawn}", "exit_target", None),
    ("{id: done, label: @}", "exit_target", None),
])
def test_an_exit_must_lead_to_exactly_one_target_and_carry_only_to_a_pathway(tmp_path, exit_, code, key):
    path = write(tmp_path, "p.yaml", HEAD + body(f"""
    stages:
      - id: start
        title: @
        exits:
          - {{id: finish, label: @, outcome: employed}}
          - {exit_}  # the exit
    """))
    problem = only(check(tmp_path), code)
    assert problem.line == line_of(path, "# the exit")
    assert problem.path == ("stages", 0, "exits", 1) + ((key,) if key else ())


def test_an_exit_with_two_targets_names_them(tmp_path):
    write(tmp_path, "p.yaml", VALID.replace("outcome: withdrawn", "outcome: withdrawn\n        pathway: other"))
    problem = only(check(tmp_path), "exit_target")
    assert problem.params == {"found": "pathway, outcome"}


def test_exits_may_only_require_requirements_of_their_stage(tmp_path):
    path = write(tmp_path, "p.yaml", VALID.replace("outcome: withdrawn",
                                                   "outcome: withdrawn\n        requires: [consent]"))
    problem = only(check(tmp_path), "unknown_requirement")
    assert problem.line == line_of(path, "requires:")


def test_exits_to_another_pathway_are_checked_against_the_directory(tmp_path):
    path = write(tmp_path, "p.yaml", HEAD + body("""
    stages:
      - id: start
        title: @
        exits:
          - {id: a, label: @, pathway: nowhere}
          - {id: b, label: @, pathway: other, at: finish, carry: [start]}
          - {id: d, label: @, pathway: p}
    """))
    write(tmp_path, "other.yaml", VALID.replace("id: p\n", "id: other\n").replace("id: start", "id: finish"))
    checked = check(tmp_path)
    assert sorted(codes(checked)) == ["exit_to_itself", "unknown_pathway"]
    unknown = only(checked, "unknown_pathway")
    assert unknown.line == line_of(path, "nowhere") and unknown.params["known"] == "other, p"
    assert only(checked, "exit_to_itself").line == line_of(path, "pathway: p}")
    assert checked.pathway is None and not checked.valid


def test_an_exit_at_a_stage_missing_in_the_other_pathway_is_located_at_its_at(tmp_path):
    path = write(tmp_path, "p.yaml", HEAD + body("""
    stages:
      - id: start
        title: @
        exits:
          - {id: good, label: @, pathway: other, at: finish, carry: [start]}
          - {id: typo, label: @, pathway: other, at: finsh}
    """))
    write(tmp_path, "other.yaml", VALID.replace("id: p\n", "id: other\n").replace("id: start", "id: finish"))
    checked = check(tmp_path)
    problem = only(checked, "unknown_target_stage")
    assert (problem.file, problem.line) == (str(path), line_of(path, "finsh"))
    assert problem.path == ("stages", 0, "exits", 1, "at")
    assert problem.message() == "the pathway 'other' has no stage 'finsh' (closest: finish)"
    # 'start' is carried, but 'other' has no stage 'start' whose form could receive it.
    carried = only(checked, "carry_not_in_target")
    assert carried.path == ("stages", 0, "exits", 0, "carry", 0) and "'other'" in carried.message()
    assert checked.pathway is None and not checked.valid


def test_a_valid_pathway_whose_exit_lands_on_a_missing_stage_of_another_pathway_is_invalid(tmp_path):
    write(tmp_path, "p.yaml", VALID.replace("outcome: withdrawn", "pathway: other\n        at: nope"))
    write(tmp_path, "other.yaml", VALID.replace("id: p\n", "id: other\n"))
    checked = check(tmp_path)
    assert codes(checked) == ["unknown_target_stage"]
    assert checked.pathway is None
    assert check(tmp_path, "other").valid


def test_a_file_must_be_named_after_its_pathway_and_an_id_defined_once(tmp_path):
    path = write(tmp_path, "p.yaml", VALID.replace("id: p\n", "id: q\n"))
    checked = check(tmp_path)
    problem = only(checked, "pathway_name")
    assert problem.params == {"id": "q", "file": "p.yaml"}
    assert (problem.line, problem.column) == (line_of(path, "id: q"), 1)
    assert checked.pathway is None

def test_a_misnamed_copy_of_a_pathway_does_not_invalidate_the_file_named_after_it(tmp_path):
    write(tmp_path, "copy_of_q.yaml", VALID.replace("id: p\n", "id: q\n"))  # sorts before q.yaml
    write(tmp_path, "q.yaml", VALID.replace("id: p\n", "id: q\n"))
    results, _ = check_directory(tmp_path)
    assert [(Path(c.file).name, sorted(codes(c))) for c in results] == [
        ("copy_of_q.yaml", ["duplicate_pathway", "pathway_name"]), ("q.yaml", [])]
    assert only(results[0], "duplicate_pathway").params == {"id": "q", "other": str(tmp_path / "q.yaml")}
    # Also when only the copy is validated (opera pathways validate copy_of_q.yaml).
    results, _ = check_directory(tmp_path, only=[tmp_path / "copy_of_q.yaml"])
    assert "duplicate_pathway" in codes(results[0])


def test_two_files_with_the_same_stem_defining_one_pathway_are_reported(tmp_path):
    write(tmp_path, "q.yaml", VALID.replace("id: p\n", "id: q\n"))
    (tmp_path / "q.json").write_text(
        '{"id": "q", "version": 1, "title": {"it": "Q", "fr": "Q", "en": "Q"}, "stages": [{"id": "s", '
        '"title": {"it": "S", "fr": "S", "en": "S"}, "exits": [{"id": "e", "label": {"it": "E", "fr": "E", '
        '"en": "E"}, "outcome": "withdrawn"}]}]}')
    results, _ = check_directory(tmp_path)
    assert [(Path(c.file).name, codes(c)) for c in results] == [("q.json", []), ("q.yaml", ["duplicate_pathway"])]


# --- translations and the schema --------------------------------------------------------------------


def test_a_missing_translation_is_a_warning_not_an_error(tmp_path):
    path = write(tmp_path, "p.yaml", VALID.replace("    title: @", "    title: {it: Inizio, en: Start}"))
    checked = check(tmp_path)
    assert checked.valid and checked.pathway is not None
    assert checked.errors == []
    warning = checked.warnings[0]
    assert len(checked.warnings) == 1
    assert (warning.code, warning.severity, warning.params) == ("missing_translation", "warning", {"languages": "fr"})
    assert warning.line == line_of(path, "Inizio")
    assert warning.format().endswith(": warning: translation missing in: fr (at stages[0].title)")


def test_a_missing_key_is_named_in_plain_words(tmp_path):
    path = write(tmp_path, "p.yaml", VALID.replace("    title: @\n", "", 1))
    problem = only(check(tmp_path), "missing_key")
    assert problem.params == {"key": "title"}
    assert problem.line == line_of(path, "id: start")
    assert problem.format() == f"{path}:{problem.line}:5: 'title' is missing (at stages[0])"


def test_an_unknown_key_suggests_the_closest_allowed_one(tmp_path):
    path = write(tmp_path, "p.yaml", VALID.replace("    exits:", "    exit:"))
    checked = check(tmp_path)
    problem = only(checked, "unknown_key_suggest")
    assert problem.params == {"key": "exit", "suggestion": "exits"}
    assert (problem.line, problem.column) == (line_of(path, "exit:"), 5)
    assert "did you mean 'exits'?" in problem.message()
    assert "forse 'exits'?" in problem.message("it")
    assert "vouliez-vous dire « exits » ?" in problem.message("fr")
    assert only(checked, "missing_key").params == {"key": "exits"}


def test_an_unknown_key_without_a_close_match_lists_the_allowed_keys(tmp_path):
    write(tmp_path, "p.yaml", VALID.replace("version: 1", "version: 1\ncolour: red"))
    problem = only(check(tmp_path), "unknown_key")
    assert problem.params["key"] == "colour"
    assert "stages" in problem.params["allowed"] and "supply_chains" in problem.params["allowed"]


@pytest.mark.parametrize("change, code, message", [
    (("    title: @\n", "    title: @\n    due_days: ten\n"), "wrong_type", "expected integer, found string"),
    (("title: @\nstages", "title: Start\nstages"), "wrong_type", "expected object, found string"),
    (("id: start", "id: Start"), "bad_pattern", "'Start' is not well formed. Lower-case letters"),
    (("version: 1", "version: 1\nsupply_chains: [fishing]"), "not_in_enum", "'fishing' is not one of: nautical"),
    (("    title: @\n", "    title: @\n    due_days: 0\n"), "out_of_range", "'0' breaks the rule minimum 1"),
    (("stages:", "group: {min_members: 2, min_members: 3}\nstages:"), "duplicate_key", "the key 'min_members'"),
])
def test_schema_errors_read_as_friendly_messages(tmp_path, change, code, message):
    write(tmp_path, "p.yaml", VALID.replace(*change, 1))
    checked = check(tmp_path)
    assert codes(checked) == [code]
    assert message in checked.problems[0].message()
    assert not checked.valid


def test_a_file_that_is_not_a_mapping_is_reported_once(tmp_path):
    (tmp_path / "p.yaml").write_text("- just\n- a list\n")
    assert codes(check(tmp_path)) == ["not_a_mapping"]


def test_problems_of_a_file_the_loader_refuses_are_reported_not_raised(tmp_path):
    (tmp_path / "p.yaml").write_bytes(b"id: p\ntitle: caf\xe9\n")
    (tmp_path / "q.yaml").write_text(yaml_text(VALID.replace("id: p\n", "id: q\n")))
    results, _ = check_directory(tmp_path)
    assert [codes(c) for c in results] == [["encoding"], []]


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc")
def test_an_unreadable_file_is_reported_and_the_others_are_still_checked(tmp_path):
    (tmp_path / "broken.yaml").symlink_to("/proc/self/mem")  # a regular file whose read fails (EIO)
    write(tmp_path, "p.yaml", VALID)
    results, _ = check_directory(tmp_path)
    assert [(Path(c.file).name, codes(c)) for c in results] == [("broken.yaml", ["unreadable"]), ("p.yaml", [])]


# --- fragments --------------------------------------------------------------------------------------


WELCOME = """
fragment: welcome
title: @
stages:
  - id: welcome
    title: @
    exits:
      - {id: continue, label: @, to: $next}
"""


def with_include(include: str = "  - include: welcome", after: str = VALID.split("stages:\n", 1)[1]) -> str:
    return HEAD + "stages:\n" + include + "\n" + after


def test_a_fragment_is_placed_where_it_is_included_and_next_leads_to_the_following_stage(tmp_path):
    write(tmp_path, "shared/welcome.yaml", WELCOME)
    write(tmp_path, "p.yaml", with_include())
    checked = check(tmp_path)
    assert checked.problems == []
    assert checked.pathway.stage_ids == ("welcome", "start")
    assert checked.pathway.stage("welcome").exit("continue").to == "start"
    assert checked.pathway.start == "welcome"


def test_an_explicit_next_overrides_the_following_stage(tmp_path):
    write(tmp_path, "shared/welcome.yaml", WELCOME)
    write(tmp_path, "p.yaml", with_include("  - {include: welcome, next: finish}",
                                           VALID.split("stages:\n", 1)[1] + "  - id: finish\n    title: @\n"
                                           "    exits:\n      - {id: done, label: @, outcome: employed}\n"))
    checked = check(tmp_path)
    assert checked.resolved.data["stages"][0]["exits"][0]["to"] == "finish"
    # Nothing leads to 'start' any more: the include skips it.
    assert codes(checked) == ["unreachable_stage"] and only(checked, "unreachable_stage").params == {"stage": "start"}


def test_two_includes_in_a_row_chain_next_to_the_first_stage_of_the_second_fragment(tmp_path):
    write(tmp_path, "shared/welcome.yaml", WELCOME)
    write(tmp_path, "shared/intake.yaml", WELCOME.replace("welcome", "intake"))
    write(tmp_path, "p.yaml", with_include("  - include: welcome\n  - include: intake"))
    checked = check(tmp_path)
    assert checked.problems == [], [p.format() for p in checked.problems]
    assert checked.pathway.stage_ids == ("welcome", "intake", "start")
    assert [checked.pathway.stage(s).exits[0].to for s in ("welcome", "intake")] == ["intake", "start"]


def test_an_unknown_fragment_is_reported_with_the_known_ones(tmp_path):
    write(tmp_path, "shared/welcome.yaml", WELCOME)
    path = write(tmp_path, "p.yaml", with_include("  - include: welcom"))
    problem = only(check(tmp_path), "unknown_fragment")
    assert problem.params == {"fragment": "welcom", "known": "welcome"}
    assert (problem.file, problem.line) == (str(path), line_of(path, "include: welcom"))
    assert problem.path == ("stages", 0, "include")


def test_next_with_nothing_after_the_include_is_reported(tmp_path):
    write(tmp_path, "shared/welcome.yaml", WELCOME)
    path = write(tmp_path, "p.yaml", HEAD + "stages:\n  - include: welcome\n")
    problem = only(check(tmp_path), "fragment_next_missing")
    assert problem.line == line_of(path, "include: welcome")
    assert "add 'next: <stage>'" in problem.message()


def test_an_error_inside_a_fragment_is_located_in_the_fragment_file(tmp_path):
    fragment = write(tmp_path, "shared/welcome.yaml", WELCOME.replace(
        "    exits:", "    checklist:\n      - {id: consent, label: @, roles: [notary]}\n    exits:"))
    write(tmp_path, "p.yaml", with_include())
    problem = only(check(tmp_path), "unknown_role")
    assert problem.file == str(fragment)
    assert problem.line == line_of(fragment, "notary")
    assert problem.path == ("stages", 0, "checklist", 0, "roles", 0)


def test_a_fragment_stage_after_a_pathway_stage_is_still_located_in_the_fragment(tmp_path):
    fragment = write(tmp_path, "shared/closing.yaml", """
    fragment: closing
    title: @
    stages:
      - id: closing
        title: @
        exits:
          - {id: done, label: @, outcome: graduated}
    """)
    path = write(tmp_path, "p.yaml", HEAD + body("""
    stages:
      - id: start
        title: @
        exits:
          - {id: go, label: @, to: closing}
          - {id: ghost, label: @, to: nowhere}
      - include: closing
    """))
    checked = check(tmp_path)
    by_code = {p.code: p for p in checked.problems}
    assert set(by_code) == {"unknown_outcome", "unknown_stage"}
    assert (by_code["unknown_outcome"].file, by_code["unknown_outcome"].line) == (
        str(fragment), line_of(fragment, "graduated"))
    assert (by_code["unknown_stage"].file, by_code["unknown_stage"].line) == (str(path), line_of(path, "nowhere"))


def test_a_fragment_with_schema_errors_is_reported_in_its_file_and_breaks_its_includers(tmp_path):
    fragment = write(tmp_path, "shared/welcome.yaml", WELCOME.replace("title: @\nstages", "titel: @\nstages"))
    write(tmp_path, "p.yaml", with_include())
    results, fragment_problems = check_directory(tmp_path)
    assert {p.code for p in fragment_problems} == {"missing_key", "unknown_key_suggest"}
    assert all(p.file == str(fragment) for p in fragment_problems)
    assert codes(results[0]) == ["broken_fragment"]


def test_a_fragment_must_be_named_after_its_file(tmp_path):
    write(tmp_path, "shared/welcome.yaml", WELCOME.replace("fragment: welcome", "fragment: hello"))
    _, fragment_problems = check_directory(tmp_path)
    assert [p.code for p in fragment_problems] == ["fragment_name"]


def test_a_fragment_included_twice_gives_duplicate_stages_located_in_the_fragment(tmp_path):
    fragment = write(tmp_path, "shared/welcome.yaml", WELCOME)
    write(tmp_path, "p.yaml", with_include("  - include: welcome\n  - include: welcome"))
    problem = only(check(tmp_path), "duplicate_stage")
    assert problem.file == str(fragment)


# --- the shipped pathways ---------------------------------------------------------------------------


def test_the_shipped_pathways_are_valid_with_no_error_and_no_warning():
    results, fragment_problems = check_directory(SHIPPED)
    assert [p.format() for p in fragment_problems] == []
    assert {Path(c.file).stem for c in results} >= {"startup", "spinoff", "wbo", "community_coop"}
    assert [p.format() for c in results for p in c.problems] == []
    assert all(c.pathway is not None for c in results)


def test_the_test_fixtures_are_valid():
    results, fragment_problems = check_directory(FIXTURES)
    assert fragment_problems == [] and [p.format() for c in results for p in c.problems] == []


def test_check_source_accepts_a_document_parsed_from_text():
    doc = parse_text(yaml_text(VALID), "inline.yaml")
    checked = check_source(doc, {}, known_pathways=["p"])
    assert checked.valid and checked.pathway.id == "p" and checked.pathway_id == "p"


# --- the library: revisions -------------------------------------------------------------------------


def copy_fixtures(target: Path) -> Path:
    """mini and solo (which include shared/welcome), on their own: other fixtures may come and go."""
    (target / "shared").mkdir(parents=True)
    for name in ("mini.yaml", "solo.yaml", "shared/welcome.yaml"):
        shutil.copy(FIXTURES / name, target / name)
    return target


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    return copy_fixtures(tmp_path / "pathways")


def revision_count(sessions, pathway_id: str | None = None) -> int:  # noqa: ANN001
    with sessions() as session:
        query = select(func.count()).select_from(PathwayRevision)
        if pathway_id:
            query = query.where(PathwayRevision.pathway_id == pathway_id)
        return session.scalar(query)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_sync_stores_one_revision_per_distinct_content_and_none_when_nothing_changed(sessions, directory):
    library = PathwayLibrary(sessions, directory)
    report = library.sync(author="designer1")
    assert [c.valid for c in report] == [True, True]
    assert revision_count(sessions) == 2
    first = {pid: library.active_revision_id(pid) for pid in ("mini", "solo")}
    library.sync()
    library.sync()
    assert revision_count(sessions) == 2
    assert {pid: library.active_revision_id(pid) for pid in ("mini", "solo")} == first
    with sessions() as session:
        row = session.get(PathwayRevision, first["mini"])
        assert row.created_by == "designer1"
        assert row.source_text == (directory / "mini.yaml").read_text(encoding="utf-8")
        assert [s["id"] for s in row.document["stages"]] == ["welcome", "study", "deed"]  # fragment inlined
    assert library.pathway_ids() == ["mini", "solo"]


def test_a_changed_file_adds_a_revision_and_the_old_one_stays_readable_for_pinned_cases(sessions, directory):
    library = PathwayLibrary(sessions, directory)
    library.sync()
    old_id = library.active_revision_id("mini")
    edit(directory / "mini.yaml", "en: Mini pathway", "en: Small pathway")
    library.sync()
    new_id = library.active_revision_id("mini")
    assert new_id != old_id
    assert revision_count(sessions, "mini") == 2 and revision_count(sessions, "solo") == 1
    assert library.revision(old_id).pathway.title["en"] == "Mini pathway"
    assert library.revision(new_id).pathway.title["en"] == "Small pathway"
    assert library.current("mini").revision_id == new_id
    # A fresh library (another process) reads the old revision from the database, not from the file.
    assert PathwayLibrary(sessions, directory).revision(old_id).pathway.title["en"] == "Mini pathway"


def test_going_back_to_earlier_content_reuses_its_revision(sessions, directory):
    library = PathwayLibrary(sessions, directory)
    library.sync()
    original = library.active_revision_id("mini")
    edit(directory / "mini.yaml", "due_days: 30", "due_days: 31")
    library.sync()
    edit(directory / "mini.yaml", "due_days: 31", "due_days: 30")
    library.sync()
    assert library.active_revision_id("mini") == original
    assert revision_count(sessions, "mini") == 2


def test_an_invalid_file_keeps_the_last_valid_revision_active_and_its_problems_are_stored(sessions, directory):
    library = PathwayLibrary(sessions, directory)
    library.sync()
    active = library.active_revision_id("mini")
    edit(directory / "mini.yaml", "to: deed", "to: dead")
    report = library.sync()
    assert [c.valid for c in report] == [False, True]
    assert library.active_revision_id("mini") == active
    assert revision_count(sessions, "mini") == 1
    with sessions() as session:
        source = session.get(PathwaySource, str(directory / "mini.yaml"))
        assert source.valid is False and source.active_revision_id == active
        assert [(p["code"], p["severity"], p["path"]) for p in source.problems] == [
            ("unknown_stage", "error", "stages[1].exits[0].to")]  # one typo, one error: no follow-on ones
        assert source.problems[0]["line"] == line_of(directory / "mini.yaml", "to: dead")
        assert "there is no stage 'dead' (closest: deed)" in source.problems[0]["message"]
    # Fixed again: valid, no problems left, and the same content is the same revision.
    edit(directory / "mini.yaml", "to: dead", "to: deed")
    library.sync()
    with sessions() as session:
        source = session.get(PathwaySource, str(directory / "mini.yaml"))
        assert source.valid is True and source.problems == []
    assert library.active_revision_id("mini") == active


def test_a_file_unreadable_from_the_first_sync_gives_no_active_revision(sessions, directory):
    (directory / "broken.yaml").write_bytes(b"\x00\x01")
    library = PathwayLibrary(sessions, directory)
    report = library.sync()
    assert {Path(c.file).name: c.valid for c in report} == {"broken.yaml": False, "mini.yaml": True, "solo.yaml": True}
    with sessions() as session:
        source = session.get(PathwaySource, str(directory / "broken.yaml"))
        assert source.pathway_id is None and source.active_revision_id is None
        assert [p["code"] for p in source.problems] == ["binary"]
    with pytest.raises(InvalidOperation):
        library.active_revision_id("broken")


def test_a_fragment_change_creates_a_new_revision_of_every_including_pathway(sessions, directory):
    library = PathwayLibrary(sessions, directory)
    library.sync()
    before = {pid: library.active_revision_id(pid) for pid in ("mini", "solo")}
    edit(directory / "shared" / "welcome.yaml", "due_days: 10", "due_days: 12")
    library.sync()
    after = {pid: library.active_revision_id(pid) for pid in ("mini", "solo")}
    assert all(after[pid] != before[pid] for pid in after)
    assert revision_count(sessions) == 4
    assert library.revision(after["solo"]).pathway.stage("welcome").due_days == 12
    assert library.revision(before["solo"]).pathway.stage("welcome").due_days == 10


def test_a_broken_fragment_keeps_the_including_pathways_on_their_last_valid_revision(sessions, directory):
    library = PathwayLibrary(sessions, directory)
    library.sync()
    before = {pid: library.active_revision_id(pid) for pid in ("mini", "solo")}
    edit(directory / "shared" / "welcome.yaml", "due_days: 10", "due_days: ten")
    report = library.sync()
    assert [codes(c) for c in report] == [["broken_fragment"], ["broken_fragment"]]
    assert [p.code for p in library.fragment_problems] == ["wrong_type"]
    assert {pid: library.active_revision_id(pid) for pid in ("mini", "solo")} == before


def test_the_machine_of_a_revision_is_built_once(sessions, directory):
    library = PathwayLibrary(sessions, directory)
    library.sync()
    revision_id = library.active_revision_id("mini")
    first = library.revision(revision_id)
    second = library.revision(revision_id)
    assert first is second
    assert first.machine is second.machine and first.pathway is second.pathway
    assert set(first.machine.states) >= {"welcome", "study", "deed", "pathway:solo", "outcome:coop_constituted"}


def test_an_unknown_revision_is_refused(sessions, directory):
    library = PathwayLibrary(sessions, directory)
    with pytest.raises(InvalidOperation):
        library.revision(999)
    with pytest.raises(InvalidOperation):
        library.active_revision_id("mini")


# --- more fragment and schema edge cases --------------------------------------------------------------


def test_next_missing_is_reported_once_per_include_however_many_next_exits(tmp_path):
    write(tmp_path, "shared/welcome.yaml", WELCOME.replace(
        "      - {id: continue, label: @, to: $next}",
        "      - {id: continue, label: @, to: $next}\n      - {id: skip, label: @, to: $next}"))
    write(tmp_path, "p.yaml", HEAD + "stages:\n  - include: welcome\n")
    assert codes(check(tmp_path)) == ["fragment_next_missing"]


def test_an_unknown_include_after_an_include_is_reported_alone(tmp_path):
    write(tmp_path, "shared/welcome.yaml", WELCOME)
    write(tmp_path, "p.yaml", with_include("  - include: welcome\n  - include: nowhere"))
    assert codes(check(tmp_path)) == ["unknown_fragment"]


def test_unique_items_follow_json_equality():
    def problems(chains: str) -> list[str]:
        return [p.code for p in check_source(parse_text(yaml_text(VALID).replace(
            "stages:", f"supply_chains: {chains}\nstages:"), "p.yaml"), {}).problems]

    assert "not_unique" in problems("[sustainable_tourism, sustainable_tourism]")
    assert "not_unique" in problems("[1, 1.0]")
    assert "not_unique" in problems("[{a: 1, b: 2}, {b: 2, a: 1}]")
    assert "not_unique" not in problems("[true, 1]")
    assert "not_unique" not in problems("[nautical_shipbuilding, sustainable_tourism]")


def test_a_long_list_of_mixed_values_under_unique_items_is_checked_quickly():
    import time

    items = ", ".join(f"{i}, x{i}" for i in range(10_000))  # unsortable: jsonschema compared all pairs
    text = yaml_text(VALID).replace("stages:", f"supply_chains: [{items}]\nstages:")
    doc = parse_text(text, "p.yaml")
    started = time.monotonic()
    checked = check_source(doc, {})
    assert time.monotonic() - started < 15  # a hang guard: it took minutes before
    assert "not_in_enum" in codes(checked) and "not_unique" not in codes(checked)


def test_versions_are_ordered_as_people_mean_them() -> None:
    from engine.library import version_key

    assert version_key(2) < version_key(10) < version_key("10.1")
    assert version_key("1.9") < version_key("1.10")
    assert version_key("1") < version_key("1.1") < version_key("2")


def test_sync_never_activates_a_lower_version_than_the_active_one_without_force(sessions, directory):
    library = PathwayLibrary(sessions, directory)
    library.sync()
    file_revision = library.active_revision_id("mini")
    # A revision saved elsewhere (the workbench) with a higher version becomes the active one.
    saved_text = (directory / "mini.yaml").read_text(encoding="utf-8").replace("version: 1", "version: 2")
    saved = check_source(parse_text(saved_text, "mini.yaml"), load_fragments(directory)[0]).pathway
    saved_id = library.register(saved, saved_text, str(directory / "mini.yaml"), author="des")
    assert library.active_revision_id("mini") == saved_id

    library.sync()
    assert library.active_revision_id("mini") == saved_id
    kept = next(o for o in library.last_outcomes if o.pathway_id == "mini")
    assert (kept.action, kept.revision_id, kept.active_revision_id) == ("kept", file_revision, saved_id)
    assert "opera pathways export mini" in kept.message() and "--force" in kept.message("it")
    assert next(o for o in library.last_outcomes if o.pathway_id == "solo").action == "unchanged"

    library.sync(force=True)
    assert library.active_revision_id("mini") == file_revision
    assert next(o for o in library.last_outcomes if o.pathway_id == "mini").action == "forced"


def test_export_writes_the_active_revision_readable_by_everyone_and_sync_then_finds_it_unchanged(sessions, directory):
    import stat

    library = PathwayLibrary(sessions, directory)
    library.sync()
    text = (directory / "mini.yaml").read_text(encoding="utf-8").replace("version: 1", "version: 3")
    saved = check_source(parse_text(text, "mini.yaml"), load_fragments(directory)[0]).pathway
    saved_id = library.register(saved, text, "<mini>", author="des")
    written = library.export(["mini"])
    assert [(path.name, row.id) for path, row in written] == [("mini.yaml", saved_id)]
    assert (directory / "mini.yaml").read_text(encoding="utf-8") == text
    assert stat.S_IMODE((directory / "mini.yaml").stat().st_mode) == 0o644
    library.sync()
    assert library.active_revision_id("mini") == saved_id
    assert next(o for o in library.last_outcomes if o.pathway_id == "mini").action == "unchanged"


# --- impossible rules, follow-on errors -------------------------------------------------------------


def test_an_impossible_range_or_an_empty_in_list_is_an_error_at_its_line(tmp_path):
    path = write(tmp_path, "p.yaml", HEAD + body("""
    stages:
      - id: start
        title: @
        form:
          fields:
            - {id: price, type: number, minimum: 500, maximum: 100, label: @}
            - {id: name, type: string, min_length: 30, max_length: 20, label: @}
            - id: markets
              type: choices
              min_items: 3
              label: @
              options:
                - {value: local, label: @}
                - {value: export, label: @}
        exits:
          - id: done
            label: @
            outcome: withdrawn
            when: {field: start.name, in: []}
    """))
    checked = check(tmp_path)
    assert sorted(codes(checked)) == ["condition_empty_in"] + ["impossible_range"] * 3
    price = [p for p in checked.problems if p.code == "impossible_range"][0]
    assert price.line == line_of(path, "minimum: 500")
    assert price.message() == "the field 'price' can never be filled in: minimum (500) is greater than maximum (100)"
    assert "non potrà mai" in price.message("it") and "ne pourra jamais" in price.message("fr")
    assert only(checked, "condition_empty_in").line == line_of(path, "in: []")


def test_one_misspelt_stage_id_gives_one_error_not_a_cascade_of_unreachable_stages(tmp_path):
    write(tmp_path, "p.yaml", HEAD + body("""
    stages:
      - id: start
        title: @
        exits: [{id: go, label: @, to: secnd}]
      - id: second
        title: @
        exits: [{id: go, label: @, to: third}]
      - id: third
        title: @
        exits: [{id: go, label: @, to: fourth}]
      - id: fourth
        title: @
        exits: [{id: done, label: @, outcome: withdrawn}]
    """))
    checked = check(tmp_path)
    assert codes(checked) == ["unknown_stage"]
    assert checked.problems[0].params["suggestion"] == "second"


def test_stages_n_counts_the_stages_of_the_file_named_not_the_stages_after_includes_are_expanded(tmp_path):
    shutil.copytree(SHIPPED_PATHWAYS / "shared", tmp_path / "shared")
    path = write(tmp_path, "p.yaml", HEAD + body("""
    stages:
      - include: intake
      - id: idea
        title: @
        exits:
          - {id: done, label: @, outcome: withdrawm}
    """))
    problem = only(check(tmp_path), "unknown_outcome")
    assert problem.file == str(path) and problem.line == line_of(path, "withdrawm")
    assert problem.path == ("stages", 1, "exits", 0, "outcome")
    assert "(at stages[1].exits[0].outcome)" in problem.format()


def test_a_pathway_no_intake_rule_recommends_is_a_warning_until_a_rule_names_it(tmp_path):
    from tests.conftest import ROOT

    directory = tmp_path / "pathways"
    shutil.copytree(SHIPPED_PATHWAYS, directory, ignore=shutil.ignore_patterns("scenarios"))
    shutil.copytree(ROOT / "assessments", tmp_path / "assessments", ignore=shutil.ignore_patterns("scenarios"))
    write(directory, "p.yaml", VALID)
    checked = check(directory)
    warning = only(checked, "never_recommended")
    assert checked.valid and warning.severity == "warning" and warning.line == 1
    assert "entrecomp-intake.yaml" in warning.message() and "assessments/" in warning.message("it")
    assert all(not c.warnings for c in check_directory(directory)[0] if c.pathway_id != "p")

    intake = tmp_path / "assessments" / "entrecomp-intake.yaml"
    text = intake.read_text(encoding="utf-8").replace(
        "pathways: [startup, wbo, spinoff, community_coop]", "pathways: [startup, wbo, spinoff, community_coop, p]")
    rule = yaml_text("""
    - id: p_for_everyone
      pathway: p
      points: 1
      when: {field: answers.colleagues_interested, gte: 0}
      reason: @
    """)
    intake.write_text(text + "".join("  " + line + "\n" for line in rule.splitlines()), encoding="utf-8")
    assert "never_recommended" not in codes(check(directory))


def test_a_pathway_of_300_stages_as_dense_as_the_shipped_ones_is_admitted_and_valid(tmp_path: Path) -> None:
    """The size limit admits a real large pathway (about 1 MB of YAML), and the checker finds it valid."""
    from benchmarks.generate import branching_pathway, write_pathway

    path = write_pathway(branching_pathway(300), tmp_path / "large")
    shipped = sum(p.stat().st_size for p in SHIPPED_PATHWAYS.glob("*.yaml")) / sum(
        len(check_directory(SHIPPED_PATHWAYS, [p])[0][0].pathway.stages) for p in SHIPPED_PATHWAYS.glob("*.yaml"))
    assert path.stat().st_size > max(300 * shipped, 900_000)  # as dense per stage as the shipped files
    results, problems = check_directory(path.parent)
    assert not problems and [r.valid for r in results] == [True], [p.format() for p in results[0].problems[:5]]
    assert not results[0].warnings
    assert len(results[0].pathway.stages) == 300


def test_the_compiled_schema_check_is_kept_between_processes_and_only_trusted_when_nobody_else_may_write_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from engine import validation

    monkeypatch.setenv("OPERA_CACHE_DIR", str(tmp_path / "cache"))
    generated: list[str] = []

    def generate() -> str:
        generated.append("once")
        return "def validate_it(data):\n    if data != 'ok':\n        raise ValueError(data)\n    return data\n"

    check = validation._cached_check("pathway.schema.json", generate, "1")
    assert check("ok") == "ok" and generated == ["once"]
    (kept,) = (tmp_path / "cache").iterdir()
    again = validation._cached_check("pathway.schema.json", generate, "1")  # another process: read back
    assert again("ok") == "ok" and generated == ["once"]
    with pytest.raises(ValueError):
        again("no")
    os.chmod(kept, 0o666)  # anyone could have put code there: not run
    with pytest.raises(OSError):
        validation._cached_check("pathway.schema.json", generate, "1")
    # The shipped files still check the same through the cache.
    validation.fast_validator.cache_clear()
    try:
        assert all(r.valid for r in check_directory(SHIPPED_PATHWAYS)[0])
        assert any(p.name.startswith("check-pathway-") for p in (tmp_path / "cache").iterdir())
    finally:
        validation.fast_validator.cache_clear()
