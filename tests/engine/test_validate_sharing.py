"""Checking a pathway reads its document without changing it: the resolved document shares the pathway's own
stages with the source (no copy of the whole file) and, of each shared stage it includes, copies the mapping
and the exits, which '$next' and `adapt:` change for each include."""
from __future__ import annotations

import copy
import hashlib

from engine.library import load_fragments
from engine.loader import dump_canonical, parse_text
from engine.validation import _texts, check_source
from tests.conftest import SHIPPED_PATHWAYS
from tests.engine.test_adapt_included_stages import PATHWAY

TWICE = """\
id: twice
version: 1
title: {it: Due volte, fr: Deux fois, en: Twice}
stages:
  - include: business_plan
  - id: middle
    title: {it: Mezzo, fr: Milieu, en: Middle}
    exits:
      - {id: on, label: {it: Avanti, fr: Suite, en: On}, to: business_plan_2}
  - id: business_plan_2
    title: {it: Fine, fr: Fin, en: End}
    exits:
      - {id: done, label: {it: Fatto, fr: Fait, en: Done}, outcome: company_created}
"""


def test_checking_leaves_the_source_document_as_it_was_read() -> None:
    doc = parse_text(PATHWAY, "adapted.yaml")
    before = copy.deepcopy(doc.data)
    checked = check_source(doc, load_fragments(SHIPPED_PATHWAYS)[0])
    assert checked.valid, [p.format() for p in checked.problems]
    assert doc.data == before
    resolved = checked.pathway.document
    assert resolved is not doc.data and resolved["stages"] is not doc.data["stages"]
    assert resolved["stages"][1] is doc.data["stages"][1]  # the pathway's own stage: shared, unchanged
    included = resolved["stages"][0]
    assert included["due_days"] == 45 and included["exits"][0]["to"] == "launch"


def test_each_include_gets_its_own_copy_of_the_shared_stage() -> None:
    fragments = load_fragments(SHIPPED_PATHWAYS)[0]
    shared_before = copy.deepcopy(fragments["business_plan"].doc.data)
    checked = check_source(parse_text(PATHWAY, "adapted.yaml"), fragments)
    other = check_source(parse_text(TWICE, "twice.yaml"), fragments)
    assert checked.valid and other.valid, [p.format() for p in checked.problems + other.problems]
    assert fragments["business_plan"].doc.data == shared_before
    assert checked.pathway.stage("business_plan").exit("plan_approved").to == "launch"
    assert other.pathway.stage("business_plan").exit("plan_approved").to == "middle"
    mine, theirs = checked.pathway.document["stages"][0], other.pathway.document["stages"][0]
    assert mine is not theirs and mine["exits"] is not theirs["exits"]
    assert mine["exits"][0] is not theirs["exits"][0]


def _texts_recursively(node: object, path: tuple = ()) -> list[tuple[tuple, dict]]:
    """The definition the walk of `_texts` keeps to: depth first, in document order, not inside 'when'."""
    if isinstance(node, dict):
        if node and set(node) <= {"it", "fr", "en"} and all(isinstance(v, str) for v in node.values()):
            return [(path, node)]
        return [found for key, value in node.items() if key != "when"
                for found in _texts_recursively(value, path + (key,))]
    if isinstance(node, list):
        return [found for i, value in enumerate(node) for found in _texts_recursively(value, path + (i,))]
    return []


def test_texts_are_found_in_document_order_and_not_inside_conditions() -> None:
    doc = parse_text(PATHWAY, "adapted.yaml").data
    document = {"a": [doc, {"it": "x", "en": 1}, {}], "when": {"it": "no"}, "b": {"fr": "oui"}, "c": "text"}
    found = list(_texts(document, ("root",)))
    assert found == _texts_recursively(document, ("root",))
    assert found[0] == (("root", "a", 0, "title"), doc["title"]) and found[-1] == (("root", "b"), {"fr": "oui"})
    assert not any("when" in path for path, _ in found)


def test_a_valid_file_is_located_only_when_a_problem_asks_where() -> None:
    doc = parse_text(PATHWAY, "adapted.yaml")
    assert doc._locations is None  # a valid file never needs a second reading
    line = PATHWAY.splitlines().index("  - id: launch") + 1
    assert doc.where(("stages", 1, "id")) == ("adapted.yaml", line, 5)
    assert doc.where(("stages", 1, "exits", 0, "nothing", "here")) == ("adapted.yaml", line + 3, 9)
    assert doc.locations[()] == (1, 1)


def test_the_content_hash_is_of_the_resolved_document_and_computed_when_asked() -> None:
    fragments = load_fragments(SHIPPED_PATHWAYS)[0]
    pathway = check_source(parse_text(PATHWAY, "adapted.yaml"), fragments).pathway
    assert "content_hash" not in vars(pathway)  # checking a file does not hash it
    expected = hashlib.sha256(dump_canonical(pathway.document).encode("utf-8")).hexdigest()
    assert pathway.content_hash == expected
    same = check_source(parse_text("# the same pathway\n" + PATHWAY, "adapted.yaml"), fragments).pathway
    assert same.content_hash == expected
    other = check_source(parse_text(PATHWAY.replace("due_days: 45", "due_days: 46"), "adapted.yaml"), fragments)
    assert other.pathway.content_hash != expected
